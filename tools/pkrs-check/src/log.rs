//! Framed scenario steps in a console log.

/// One step: the command's output, the kernel log it caused, its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: String,
    pub output: Vec<String>,
    pub dmesg: Vec<String>,
    pub rc: i32,
}

/// Removes the `[    1.234567] ` timestamp a kernel log line may start with.
pub fn strip_timestamp(line: &str) -> &str {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            let stamp = &rest[..end];
            if stamp.trim().chars().all(|c| c.is_ascii_digit() || c == '.') {
                return rest[end + 1..]
                    .strip_prefix(' ')
                    .unwrap_or(&rest[end + 1..]);
            }
        }
    }
    line
}

/// All complete steps of a log, in order. A step cut off by a crash or a
/// timeout (no `@@PKRS-END`) is not returned.
pub fn parse_steps(log: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut cur: Option<(Step, bool)> = None;
    for raw in log.lines() {
        let line = raw.trim_end_matches('\r');
        if let Some(id) = line.strip_prefix("@@PKRS-BEGIN ") {
            let step = Step {
                id: id.trim().to_string(),
                output: vec![],
                dmesg: vec![],
                rc: -1,
            };
            cur = Some((step, false));
        } else if line == "@@PKRS-DMESG" {
            if let Some((_, in_dmesg)) = cur.as_mut() {
                *in_dmesg = true;
            }
        } else if let Some(rest) = line.strip_prefix("@@PKRS-END ") {
            if let Some((mut step, _)) = cur.take() {
                let (id, rc) = rest.rsplit_once(" rc=").unwrap_or((rest, "-1"));
                if id.trim() == step.id {
                    step.rc = rc.trim().parse().unwrap_or(-1);
                    steps.push(step);
                }
            }
        } else if let Some((step, in_dmesg)) = cur.as_mut() {
            if *in_dmesg {
                step.dmesg.push(strip_timestamp(line).to_string());
            } else {
                step.output.push(line.to_string());
            }
        }
    }
    steps
}

/// The step with this id, if the log has it.
pub fn find_step<'a>(steps: &'a [Step], id: &str) -> Option<&'a Step> {
    steps.iter().find(|s| s.id == id)
}

/// The `@@PKRS-BOOTED <release> cpus=<N>` line the test box's `/init`
/// prints: the kernel release and the CPU count. The console may put
/// terminal escape codes (the firmware's screen reset) before it on the
/// same line.
pub fn booted(log: &str) -> Option<(String, u32)> {
    log.lines().find_map(|l| {
        let (_, rest) = l.split_once("@@PKRS-BOOTED ")?;
        let mut w = rest.split_whitespace();
        let release = w.next()?.to_string();
        let cpus = w
            .next()
            .and_then(|c| c.strip_prefix("cpus="))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        Some((release, cpus))
    })
}

/// Whether a kernel log line reports a bug: a BUG or oops, a WARN_ON's
/// "cut here" banner, a call trace, a bad page state, a DMA-API report, a
/// lockdep splat, or the page_pool's own report of pages that never came
/// back (a leak).
pub fn is_kernel_trouble(line: &str) -> bool {
    let line = strip_timestamp(line);
    [
        "BUG:",
        "Oops:",
        "------------[ cut here ]------------",
        "Call Trace:",
        "Bad page state",
        "general protection fault",
        "kernel BUG at",
        "DMA-API: ",
        "WARNING: possible circular locking dependency",
        "WARNING: suspicious RCU usage",
        "BUG: sleeping function called from invalid context",
        "pages never came back",
    ]
    .iter()
    .any(|p| line.contains(p))
        // DMA-API debug's own start-up lines are not reports.
        && !(line.contains("DMA-API: preallocated") || line.contains("DMA-API: debugging"))
}

/// The taint flags a test box may end with: an out-of-tree module (O,
/// bit 12), an unsigned one (E, 13), a KUnit test (N, 18).
pub const TAINT_ALLOWED: u64 = 1 << 12 | 1 << 13 | 1 << 18;

/// A whole test box run, as `scripts/testbox.sh` leaves it: the scenario
/// ran to its end and exited 0, the kernel reported no trouble anywhere
/// in the log (the steps, between them, after the last: the box's init
/// prints the kernel log left after the scenario), and the kernel ended
/// tainted by nothing but [`TAINT_ALLOWED`].
pub fn check_box(text: &str) -> Result<(), String> {
    let last = |tag: &str| {
        text.lines()
            .rev()
            .find_map(|l| l.trim_end_matches('\r').strip_prefix(tag))
            .map(|v| v.trim().to_string())
    };
    match last("@@PKRS-SCENARIO-EXIT ") {
        None => return Err("the scenario did not finish".into()),
        Some(rc) if rc != "0" => return Err(format!("the scenario exited {rc}")),
        _ => {}
    }
    if let Some(l) = text.lines().find(|l| is_kernel_trouble(l)) {
        return Err(format!("the kernel reported trouble: {:?}", l.trim_end()));
    }
    if last("@@PKRS-DMESG-REST").is_none() {
        return Err("no kernel log after the scenario (@@PKRS-DMESG-REST)".into());
    }
    let t = last("@@PKRS-TAINTED ").ok_or("no @@PKRS-TAINTED line")?;
    let t: u64 = t
        .parse()
        .map_err(|_| format!("tainted: {t:?} is not a number"))?;
    if t & !TAINT_ALLOWED != 0 {
        let bad: Vec<String> = (0..64)
            .filter(|b| (t & !TAINT_ALLOWED) >> b & 1 == 1)
            .map(|b| b.to_string())
            .collect();
        return Err(format!(
            "the kernel is tainted {t} (bit {} of include/linux/panic.h's TAINT_*)",
            bad.join(", ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_runs() {
        let good = "@@PKRS-BOOTED 7.2 cpus=2\n@@PKRS-BEGIN a\n@@PKRS-DMESG\n@@PKRS-END a rc=0\n\
                    @@PKRS-SCENARIO-EXIT 0\n@@PKRS-DMESG-REST\n[ 1.0] x\n@@PKRS-TAINTED 266240\n";
        assert_eq!(check_box(good), Ok(()));
        assert!(check_box(&good.replace("EXIT 0", "EXIT 1"))
            .unwrap_err()
            .contains("exited 1"));
        assert!(check_box(&good.replace("@@PKRS-SCENARIO-EXIT 0\n", ""))
            .unwrap_err()
            .contains("did not finish"));
        // Trouble after the last step, where no step's check looks.
        assert!(
            check_box(&good.replace("[ 1.0] x", "[ 1.0] WARNING: suspicious RCU usage"))
                .unwrap_err()
                .contains("trouble")
        );
        // W (a WARN, bit 9) and B (bad page, bit 5).
        let e = check_box(&good.replace("266240", "512")).unwrap_err();
        assert!(e.contains("bit 9"), "{e}");
        let e = check_box(&good.replace("266240", "4128")).unwrap_err();
        assert!(e.contains("bit 5"), "{e}");
        assert!(check_box(&good.replace("@@PKRS-TAINTED 266240\n", "")).is_err());
        assert!(check_box(&good.replace("@@PKRS-DMESG-REST\n", "")).is_err());
    }

    #[test]
    fn kernel_trouble_is_recognised() {
        assert!(is_kernel_trouble(
            "[    1.2] BUG: Bad page state in process insmod  pfn:01234"
        ));
        assert!(is_kernel_trouble(
            "[    1.2] ------------[ cut here ]------------"
        ));
        assert!(is_kernel_trouble(" Call Trace:"));
        assert!(is_kernel_trouble(
            "[ 10.1] DMA-API: pci 0000:00:07.0: device driver has pending DMA allocations while released from device [count=16]"
        ));
        assert!(is_kernel_trouble(
            "[ 3.0] page_pool_test: page_pool held: 16 pages never came back; the pool is leaked"
        ));
        assert!(is_kernel_trouble(
            "[ 3.0] WARNING: possible circular locking dependency detected"
        ));
        assert!(!is_kernel_trouble(
            "[ 0.5] DMA-API: preallocated 65536 debug entries"
        ));
        assert!(!is_kernel_trouble(
            "[ 0.5] DMA-API: debugging enabled by kernel config"
        ));
        assert!(!is_kernel_trouble(
            "[    1.2] m: WARN: running under a hypervisor: compare ratios"
        ));
        assert!(!is_kernel_trouble(
            "[    1.2] m: Type:for_loop Per elem: 1 cycles(tsc)"
        ));
    }

    #[test]
    fn finds_the_booted_line_behind_escape_codes() {
        let log =
            "SeaBIOS\nBooting from ROM..\x1bc\x1b[?7l\x1b[2J@@PKRS-BOOTED 7.2.13-pkrs cpus=2\nx\n";
        assert_eq!(booted(log), Some(("7.2.13-pkrs".into(), 2)));
        assert_eq!(booted("no boot line\n"), None);
    }

    #[test]
    fn strips_kernel_timestamps_only() {
        assert_eq!(strip_timestamp("[    1.396123] mod: Type:x"), "mod: Type:x");
        assert_eq!(strip_timestamp("[abc] kept"), "[abc] kept");
        assert_eq!(strip_timestamp("plain"), "plain");
    }

    #[test]
    fn parses_framed_steps() {
        let log = "boot noise\r\n@@PKRS-BEGIN a\r\ninsmod: failed\r\n@@PKRS-DMESG\r\n\
                   [ 1.0] m: reason\r\n@@PKRS-END a rc=1\r\nnoise\n\
                   @@PKRS-BEGIN b\n@@PKRS-DMESG\n@@PKRS-END b rc=0\n";
        let steps = parse_steps(log);
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].id, "a");
        assert_eq!(steps[0].output, vec!["insmod: failed"]);
        assert_eq!(steps[0].dmesg, vec!["m: reason"]);
        assert_eq!(steps[0].rc, 1);
        assert_eq!(steps[1].rc, 0);
        assert!(steps[1].dmesg.is_empty());
    }

    #[test]
    fn drops_a_step_cut_off_by_a_crash() {
        let log = "@@PKRS-BEGIN a\n@@PKRS-DMESG\nKernel panic\n";
        assert!(parse_steps(log).is_empty());
    }

    #[test]
    fn end_must_match_begin() {
        let log = "@@PKRS-BEGIN a\n@@PKRS-DMESG\n@@PKRS-END b rc=0\n";
        assert!(parse_steps(log).is_empty());
    }
}
