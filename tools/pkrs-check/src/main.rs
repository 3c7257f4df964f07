//! pkrs-check: assertions over a test-box console log, one per call.
//!
//! ```text
//! pkrs-check bench LOG STEP --module M --loops N --expect NAME[:A-B,C,...] ... [--concurrent NAME:CPUS ...]
//! pkrs-check rejected LOG STEP --reason TEXT
//! pkrs-check kunit LOG STEP --suite NAME --min N
//! pkrs-check ok LOG STEP [STEP...]
//! pkrs-check logged LOG STEP TEXT...
//! pkrs-check clean LOG
//! pkrs-check box LOG
//! pkrs-check xdp-report LOG[,LOG...] [--check DRIVERS CASES [--boots N]]
//! pkrs-check xdp-agree LOG1[,LOG...] LOG2[,LOG...]
//! pkrs-check xdp-features LOG --driver D [--without BITS] [--with BITS]
//! pkrs-check run-report LOG
//! pkrs-check docs-report --out DIR [--readme FILE] [--docs DIR] [--check] [--run LOG]... [--xdp LOG]... [--xdp-sim LOG]... [--xdp-repeat LOG]...
//! ```
//! Prints one line saying what failed and exits 1; exits 0 silently on
//! success. The reports print what they made: `run-report` the summary of
//! a `make run` log (exit 1 when a figure is missing), `docs-report` the
//! files it wrote (see src/docs.rs).

use pkrs_check::{bench, calls, docs, ktap, log, report, xdp};
use std::collections::BTreeMap;
use std::process::ExitCode;

fn usage() -> String {
    "usage: pkrs-check (bench|rejected|kunit|ok|logged) LOG STEP [options] \
     | cheaper LOG STEP TYPE STEP2 TYPE2 --by N | clean LOG | box LOG | xdp-report LOG[,LOG...] | xdp-agree LOG1[,...] LOG2[,...] \
     | calls LISTING --in NAME [--in NAME]... [--forbid SYM,...] [--require SYM,...] \
     | run-report LOG | docs-report --out DIR [--readme FILE] [--docs DIR] [--check] [--run LOG]... [--xdp LOG]... [--xdp-sim LOG]... [--xdp-repeat LOG]..."
        .into()
}

/// `NAME`, or `NAME:STEPS` where STEPS is a comma-separated list of steps
/// `A` and ranges `A-B`: a test and the steps it must print.
fn parse_expect(s: &str) -> Result<(String, Vec<u32>), String> {
    let (name, list) = match s.split_once(':') {
        None => return Ok((s.to_string(), vec![0])),
        Some(x) => x,
    };
    let mut steps = Vec::new();
    for item in list.split(',') {
        let (a, b) = item.split_once('-').unwrap_or((item, item));
        let a: u32 = a.parse().map_err(|_| format!("bad step list in {s:?}"))?;
        let b: u32 = b.parse().map_err(|_| format!("bad step list in {s:?}"))?;
        steps.extend(a..=b);
    }
    Ok((name.to_string(), steps))
}

fn opt<'a>(args: &'a [String], key: &str) -> Vec<&'a str> {
    args.windows(2)
        .filter(|w| w[0] == key)
        .map(|w| w[1].as_str())
        .collect()
}

fn one<'a>(args: &'a [String], key: &str) -> Result<&'a str, String> {
    opt(args, key)
        .first()
        .copied()
        .ok_or_else(|| format!("missing {key}"))
}

fn check_bench(step: &log::Step, args: &[String]) -> Result<(), String> {
    let module = one(args, "--module")?;
    let loops: u64 = one(args, "--loops")?.parse().map_err(|_| "bad --loops")?;
    if step.rc != 0 {
        return Err(format!("insmod exited {}: {:?}", step.rc, step.output));
    }
    let mut seen: BTreeMap<(String, u32, Option<u32>), usize> = BTreeMap::new();
    let mut sums = BTreeMap::new();
    let mut per_cpu: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for line in &step.dmesg {
        if let Some(l) =
            bench::parse_line(line).map_err(|e| format!("malformed line {line:?}: {e}"))?
        {
            if l.module != module {
                return Err(format!(
                    "result line from {} while loading {module}",
                    l.module
                ));
            }
            l.validate(loops)?;
            if l.cpu.is_some() {
                per_cpu.entry(l.name.clone()).or_default().push(l.cycles);
            }
            *seen.entry((l.name.clone(), l.step, l.cpu)).or_default() += 1;
        }
        if let Some(s) =
            bench::parse_sum(line).map_err(|e| format!("malformed line {line:?}: {e}"))?
        {
            sums.insert(s.name.clone(), s);
        }
    }
    let mut expected = 0;
    for e in opt(args, "--expect") {
        let (name, steps) = parse_expect(e)?;
        for st in steps {
            expected += 1;
            match seen.get(&(name.clone(), st, None)) {
                Some(1) => {}
                Some(n) => return Err(format!("Type:{name} (step:{st}) printed {n} times")),
                None => return Err(format!("no result line for Type:{name} (step:{st})")),
            }
        }
    }
    for c in opt(args, "--concurrent") {
        let (name, cpus) = c.split_once(':').ok_or("--concurrent NAME:CPUS")?;
        let cpus: u32 = cpus.parse().map_err(|_| "bad CPU count")?;
        let lines = seen
            .iter()
            .filter(|((n, _, cpu), _)| n == name && cpu.is_some())
            .count();
        if lines != cpus as usize {
            return Err(format!("Type:{name}: {lines} per-CPU lines, want {cpus}"));
        }
        expected += lines;
        let s = sums.get(name).ok_or(format!("no Sum Type:{name} line"))?;
        if s.cpus != cpus || s.average == 0 {
            return Err(format!(
                "Sum Type:{name}: CPUs:{} average {}",
                s.cpus, s.average
            ));
        }
        // The average is the per-CPU lines' cycles summed over their count.
        let c = per_cpu.get(name).map(Vec::as_slice).unwrap_or(&[]);
        let mean = c.iter().sum::<u64>() / c.len().max(1) as u64;
        if s.average != mean {
            return Err(format!(
                "Sum Type:{name}: average {} but the per-CPU lines' mean is {mean} ({c:?})",
                s.average
            ));
        }
    }
    let total: usize = seen.values().sum();
    if total != expected {
        return Err(format!(
            "{total} result lines, {expected} expected: {:?}",
            seen.keys()
        ));
    }
    Ok(())
}

fn check_rejected(step: &log::Step, args: &[String]) -> Result<(), String> {
    let reason = one(args, "--reason")?;
    if step.rc == 0 {
        return Err("insmod succeeded; it must fail".into());
    }
    if !step.output.iter().any(|l| l.contains("Invalid argument")) {
        return Err(format!(
            "insmod did not fail with EINVAL: {:?}",
            step.output
        ));
    }
    // busybox insmod retries a failed finit_module() with init_module(), so
    // the module's init (and its reason line) may run twice: the reason
    // must be one line, the same each time.
    let hits: Vec<_> = step.dmesg.iter().filter(|l| l.contains(reason)).collect();
    if hits.is_empty() || hits.iter().any(|h| *h != hits[0]) {
        return Err(format!(
            "want one kernel log line with {reason:?}, got {:?}",
            step.dmesg
        ));
    }
    for line in &step.dmesg {
        if bench::parse_line(line).ok().flatten().is_some() || line.contains("Type:") {
            return Err(format!("a rejected load printed a result: {line:?}"));
        }
    }
    Ok(())
}

fn check_kunit(step: &log::Step, args: &[String]) -> Result<(), String> {
    let suite = one(args, "--suite")?;
    let min: usize = one(args, "--min")?.parse().map_err(|_| "bad --min")?;
    if !step
        .dmesg
        .iter()
        .any(|l| l.trim() == format!("# Subtest: {suite}"))
    {
        return Err(format!("KUnit suite {suite} did not run"));
    }
    let k = ktap::parse(&step.dmesg);
    if !k.failed.is_empty() {
        return Err(format!("KUnit failures: {:?}", k.failed));
    }
    if k.passed.len() < min {
        return Err(format!(
            "{} KUnit cases passed, want at least {min}",
            k.passed.len()
        ));
    }
    match k.totals {
        Some((p, 0, _, _)) if p as usize == k.passed.len() => Ok(()),
        t => Err(format!(
            "KUnit totals {t:?} disagree with {} passed cases",
            k.passed.len()
        )),
    }
}

/// `run-report LOG`: the summary of a `make run` log; fails when a load
/// or a figure is missing (after printing the summary).
fn run_report(path: &str) -> Result<(), String> {
    let text = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let f = report::Figures::parse(&String::from_utf8_lossy(&text))?;
    print!("{}", report::report(&f));
    if f.tests.is_empty() {
        return Err(format!("{path}: no result line in a bench.<module> step"));
    }
    if !f.problems.is_empty() {
        return Err(format!("{} figure(s) or load(s) missing", f.problems.len()));
    }
    Ok(())
}

/// The date of a file's last change, `YYYY-MM-DD` (UTC).
fn mtime_date(path: &str) -> String {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| docs::civil_date((d.as_secs() / 86_400) as i64))
        .unwrap_or_else(|| "unknown date".into())
}

/// `docs-report --out DIR [--run LOG]... [--xdp LOG]... [--xdp-sim LOG]...`: the
/// documentation's reports into DIR (see src/docs.rs).
/// The .rst files under `d`, recursively (build output left out).
fn rst_pages(d: &std::path::Path, out: &mut Vec<std::path::PathBuf>) -> Result<(), String> {
    for e in std::fs::read_dir(d)
        .map_err(|e| format!("{}: {e}", d.display()))?
        .flatten()
    {
        let p = e.path();
        let n = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if !n.starts_with('_') && !n.starts_with('.') {
                rst_pages(&p, out)?;
            }
        } else if n.ends_with(".rst") {
            out.push(p);
        }
    }
    Ok(())
}

fn docs_report(args: &[String]) -> Result<(), String> {
    let (mut out, mut runs, mut xdps, mut repeats) = (None, vec![], vec![], vec![]);
    let (mut readme, mut check_only, mut docs_dir) = (None::<String>, false, None::<String>);
    let mut quoted = vec!["pkrs-check docs-report".to_string()];
    let name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--check" {
            check_only = true;
            continue;
        }
        let v = it.next().ok_or_else(usage)?;
        let text = |v: &str| -> Result<String, String> {
            let t = std::fs::read(v).map_err(|e| format!("{v}: {e}"))?;
            Ok(String::from_utf8_lossy(&t).into_owned())
        };
        match a.as_str() {
            "--out" => {
                out = Some(v.clone());
                // Quoted without the machine's directories.
                let shown = match v.find("Documentation/") {
                    Some(i) if v.starts_with('/') => v[i..].to_string(),
                    _ if v.starts_with('/') => name(v),
                    _ => v.clone(),
                };
                quoted.push(format!("--out {shown}"));
            }
            "--run" => {
                runs.push(docs::RunLog::parse(v, &text(v)?, &mtime_date(v))?);
                quoted.push(format!("--run {}", name(v)));
            }
            "--readme" => readme = Some(v.clone()),
            "--docs" => docs_dir = Some(v.clone()),
            "--xdp" | "--xdp-sim" => {
                let sim = a == "--xdp-sim";
                xdps.push(docs::XdpLog::parse(v, &text(v)?, &mtime_date(v), sim)?);
                quoted.push(format!("{a} {}", name(v)));
            }
            "--xdp-repeat" => {
                repeats.push(docs::XdpLog::parse(v, &text(v)?, &mtime_date(v), false)?);
                quoted.push(format!("{a} {}", name(v)));
            }
            _ => return Err(usage()),
        }
    }
    let out = out.ok_or_else(|| "docs-report: --out DIR is required".to_string())?;
    if runs.is_empty() && xdps.is_empty() {
        return Err("docs-report: no log (--run LOG, --xdp LOG, --xdp-sim LOG)".into());
    }
    docs::check_xdp_logs(&xdps)?;
    let files = docs::generate_with_repeats(&runs, &xdps, &repeats, &quoted.join(" "));
    let readme = match readme {
        Some(p) => {
            let text = std::fs::read_to_string(&p).map_err(|e| format!("{p}: {e}"))?;
            let new = docs::splice_readme(&text, &docs::readme(&runs, &xdps))
                .map_err(|e| format!("{p}: {e}"))?;
            let loose = docs::loose_figures(&new, false);
            if let Some(l) = loose.first() {
                return Err(format!(
                    "{p}:{l}: a figure outside the generated block (it must come from a committed log)"
                ));
            }
            Some((p, text, new))
        }
        None => None,
    };
    // `--docs DIR`: no hand-written page under DIR states a figure (the
    // generated ones of --out and quotations of the seed aside).
    if let Some(d) = &docs_dir {
        let (mut pages, mut loose) = (vec![], vec![]);
        rst_pages(std::path::Path::new(d), &mut pages)?;
        pages.sort();
        for p in pages {
            if p.file_name()
                .is_some_and(|n| docs::is_generated(&n.to_string_lossy()))
            {
                continue;
            }
            let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            for l in docs::loose_figures(&text, true) {
                loose.push(format!("{}:{l}", p.display()));
            }
        }
        if !loose.is_empty() {
            return Err(format!(
                "figures in hand-written pages (each must come from a committed log, \
                 through the generated reports, or be marked as the seed's):\n{}",
                loose.join("\n")
            ));
        }
    }
    if check_only {
        // `--check`: the committed reports and README block are what these
        // logs give, file by file and line by line.
        let mut have: Vec<String> = std::fs::read_dir(&out)
            .map_err(|e| format!("{out}: {e}"))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| docs::is_generated(n))
            .collect();
        have.sort();
        let mut want: Vec<String> = files.iter().map(|f| f.0.clone()).collect();
        want.sort();
        if have != want {
            return Err(format!(
                "{out}: generated files {have:?}, the logs give {want:?}: run make reports"
            ));
        }
        let first_diff = |a: &str, b: &str| -> Option<String> {
            a.lines()
                .zip(b.lines())
                .position(|(x, y)| x != y)
                .or_else(|| {
                    (a.lines().count() != b.lines().count())
                        .then(|| a.lines().count().min(b.lines().count()))
                })
                .map(|i| {
                    format!(
                        "line {}: committed {:?}, the logs give {:?}",
                        i + 1,
                        a.lines().nth(i).unwrap_or(""),
                        b.lines().nth(i).unwrap_or("")
                    )
                })
        };
        for (n, body) in &files {
            let p = format!("{out}/{n}");
            let old = std::fs::read_to_string(&p).map_err(|e| format!("{p}: {e}"))?;
            if let Some(d) = first_diff(&old, body) {
                return Err(format!("{p}: {d}: run make reports"));
            }
        }
        if let Some((p, old, new)) = &readme {
            if let Some(d) = first_diff(old, new) {
                return Err(format!("{p}: {d}: run make reports"));
            }
        }
        println!(
            "the reports{} are what the logs give",
            if readme.is_some() {
                " and README's figures"
            } else {
                ""
            }
        );
        return Ok(());
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{out}: {e}"))?;
    let old = std::fs::read_dir(&out).map_err(|e| format!("{out}: {e}"))?;
    for e in old.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if docs::is_generated(&n) {
            std::fs::remove_file(e.path()).map_err(|e| format!("{out}/{n}: {e}"))?;
        }
    }
    for (n, body) in &files {
        let p = format!("{out}/{n}");
        std::fs::write(&p, body).map_err(|e| format!("{p}: {e}"))?;
        println!("wrote {p}");
    }
    if let Some((p, _, new)) = readme {
        std::fs::write(&p, new).map_err(|e| format!("{p}: {e}"))?;
        println!("wrote {p}");
    }
    Ok(())
}

/// `calls LISTING --in NAME... [--forbid SYM,...] [--require SYM,...]`:
/// in the disassembly LISTING (`llvm-objdump -dr --no-show-raw-insn -C`),
/// the functions whose name contains a NAME call no SYM of --forbid
/// (`prefix*` matches a prefix) and, between them, every SYM of --require.
fn calls_check(path: &str, rest: &[String]) -> Result<(), String> {
    if !rest.len().is_multiple_of(2)
        || rest
            .chunks(2)
            .any(|w| !matches!(w[0].as_str(), "--in" | "--forbid" | "--require"))
    {
        return Err(usage());
    }
    let within = opt(rest, "--in");
    if within.is_empty() {
        return Err(usage());
    }
    let list = |key| -> Vec<&str> {
        opt(rest, key)
            .into_iter()
            .flat_map(|v| v.split(','))
            .filter(|x| !x.is_empty())
            .collect()
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    match calls::check(
        &calls::parse(&text),
        &within,
        &list("--forbid"),
        &list("--require"),
    ) {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            Ok(())
        }
        Err(faults) => Err(faults.join("\n")),
    }
}

fn run(args: &[String]) -> Result<(), String> {
    match args {
        [cmd, path] if cmd == "run-report" => return run_report(path),
        [cmd, rest @ ..] if cmd == "docs-report" => return docs_report(rest),
        [cmd, path, rest @ ..] if cmd == "calls" => return calls_check(path, rest),
        _ => {}
    }
    if let [cmd, path, rest @ ..] = args {
        if cmd == "xdp-report" {
            // `xdp-report LOG`: the XDP benchmark's tables, paired ratios
            // and xdp_result/xdp_ratio lines; fails when the log has no run
            // or no valid run.
            // LOG may be a comma list: the logs' boots as one measurement.
            let runs = xdp_logs(path)?;
            if runs.is_empty() {
                return Err(format!("{path}: no @@XDP-BENCH line"));
            }
            print!("{}", xdp::report(&runs));
            // --check DRIVERS CASES (comma lists): the short run of make
            // test: every row there, every run valid.
            // --boots N: the log holds N boots, each with every row.
            let (check, boots) = match rest {
                [f, d, c] if f == "--check" => (Some((d, c)), None),
                [f, d, c, b, n] if f == "--check" && b == "--boots" => (
                    Some((d, c)),
                    Some(
                        n.parse::<u32>()
                            .map_err(|_| format!("--boots: not a number: {n}"))?,
                    ),
                ),
                [] => (None, None),
                _ => return Err(usage()),
            };
            if let Some((d, c)) = check {
                fn list(v: &str) -> Vec<&str> {
                    v.split(',').filter(|x| !x.is_empty()).collect()
                }
                xdp::check(&runs, &list(d), &list(c), boots)?;
            }
            if !runs.iter().any(|r| r.check().is_ok()) {
                return Err(format!("{path}: no valid run"));
            }
            return Ok(());
        }
        if cmd == "xdp-agree" {
            // `xdp-agree LOG1 LOG2`: the two logs' paired ratios agree
            // within their 95 % intervals (each pair, case and
            // configuration both have). Either may be a comma list of
            // logs whose boots make one measurement.
            let [other] = rest else {
                return Err(usage());
            };
            let x = xdp::agreement(&xdp_logs(path)?, &xdp_logs(other)?);
            let (lines, ok) = (&x.lines, x.ok);
            println!(
                "{:<8} {:<10} {:<26} {:<5} {:>7} {:<15} {:>7} {:<15} {:<15} intervals",
                "cfg", "case", "a/b", "ratio", "log 1", "[95%]", "log 2", "[95%]", "verdicts"
            );
            for l in lines {
                println!("{l}");
            }
            println!(
                "{} of {} intervals overlap; the verdict is the same in {} of {}",
                x.overlap,
                lines.len(),
                x.same_verdict,
                lines.len()
            );
            if !ok {
                return Err(if lines.is_empty() {
                    "the two logs have no paired ratio in common".into()
                } else {
                    "the two logs disagree (or a ratio has no interval)".into()
                });
            }
            return Ok(());
        }
        if cmd == "xdp-features" {
            // `xdp-features LOG --driver D [--without BITS] [--with BITS]`:
            // in every @@XDP-BENCH-DEV line of driver D, the virtio
            // feature bits BITS (comma list) were (not) negotiated.
            let text = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
            let driver = one(rest, "--driver")?;
            let bits = |k: &str| -> Result<Vec<usize>, String> {
                opt(rest, k)
                    .iter()
                    .flat_map(|v| v.split(','))
                    .map(|b| b.parse().map_err(|_| format!("bad bit {b:?}")))
                    .collect()
            };
            let (without, with) = (bits("--without")?, bits("--with")?);
            let mut seen = 0;
            for f in xdp::dev_features(&String::from_utf8_lossy(&text), driver) {
                seen += 1;
                for b in &without {
                    if f.get(*b) == Some(&true) {
                        return Err(format!("{driver} negotiated feature bit {b}"));
                    }
                }
                for b in &with {
                    if f.get(*b) != Some(&true) {
                        return Err(format!("{driver} did not negotiate feature bit {b}"));
                    }
                }
            }
            if seen == 0 {
                return Err(format!("{path}: no @@XDP-BENCH-DEV line of {driver}"));
            }
            return Ok(());
        }
        if cmd == "box" {
            // `box LOG`: a whole test box run is sound (log::check_box).
            let text = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
            return log::check_box(&String::from_utf8_lossy(&text));
        }
        if cmd == "clean" {
            // `clean LOG`: no kernel trouble anywhere in the log.
            let text = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
            let text = String::from_utf8_lossy(&text);
            return match text.lines().find(|l| log::is_kernel_trouble(l)) {
                Some(l) => Err(format!("the kernel reported trouble: {l:?}")),
                None => Ok(()),
            };
        }
    }
    let [cmd, path, id, rest @ ..] = args else {
        return Err(usage());
    };
    let text = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let steps = log::parse_steps(&String::from_utf8_lossy(&text));
    let step = find(&steps, id)?;
    match cmd.as_str() {
        "bench" => check_bench(step, rest),
        "rejected" => check_rejected(step, rest),
        "kunit" => check_kunit(step, rest),
        // `logged LOG STEP TEXT...`: each TEXT is in a kernel log line.
        "logged" => rest.iter().try_for_each(|t| {
            if step.dmesg.iter().any(|l| l.contains(t.as_str())) {
                Ok(())
            } else {
                Err(format!("no kernel log line with {t:?} in step {id}"))
            }
        }),
        // `cheaper LOG STEP TYPE STEP2 TYPE2 --by N`: TYPE's cycles in
        // STEP times N are at most TYPE2's in STEP2 (one boot: a log).
        "cheaper" => {
            let [t, id2, t2, ..] = rest else {
                return Err(usage());
            };
            let by: u64 = one(rest, "--by")?.parse().map_err(|_| "bad --by")?;
            check_cheaper(step, t, find(&steps, id2)?, t2, by)
        }
        // `ok LOG STEP [STEP...]`: each step exited 0.
        "ok" => std::iter::once(id)
            .chain(rest)
            .try_for_each(|id| check_ok(find(&steps, id)?)),
        _ => Err(usage()),
    }
}

/// The cycles of the one `Type:<name>` line (step 0, no CPU) of `step`.
fn cycles_of(step: &log::Step, name: &str) -> Result<u64, String> {
    let mut found = None;
    for line in &step.dmesg {
        if let Ok(Some(l)) = bench::parse_line(line) {
            if l.name == name && l.cpu.is_none() && l.step == 0 {
                if found.is_some() {
                    return Err(format!("Type:{name} printed twice in step {}", step.id));
                }
                found = Some(l.cycles);
            }
        }
    }
    found.ok_or_else(|| format!("no Type:{name} line in step {}", step.id))
}

/// Physics the figures must obey in one boot: `a` at least `by` times
/// cheaper than `b` (a pool's fast path against the page allocator).
fn check_cheaper(sa: &log::Step, a: &str, sb: &log::Step, b: &str, by: u64) -> Result<(), String> {
    let (ca, cb) = (cycles_of(sa, a)?, cycles_of(sb, b)?);
    println!(
        "{a}: {ca} cycles; {b}: {cb} cycles; ratio {:.2}",
        cb as f64 / ca.max(1) as f64
    );
    if ca.saturating_mul(by) <= cb {
        Ok(())
    } else {
        Err(format!(
            "{a} ({ca} cycles) is not {by} times cheaper than {b} ({cb} cycles)"
        ))
    }
}

/// The step `id`, provided the kernel reported no trouble during it.
fn find<'a>(steps: &'a [log::Step], id: &str) -> Result<&'a log::Step, String> {
    let step = log::find_step(steps, id)
        .ok_or_else(|| format!("step {id} is not in the log (crash or timeout?)"))?;
    match step.dmesg.iter().find(|l| log::is_kernel_trouble(l)) {
        Some(l) => Err(format!("step {id}: the kernel reported trouble: {l:?}")),
        None => Ok(step),
    }
}

fn check_ok(step: &log::Step) -> Result<(), String> {
    if step.rc == 0 {
        Ok(())
    } else {
        Err(format!(
            "step {} exit {}: {:?} {:?}",
            step.id, step.rc, step.output, step.dmesg
        ))
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The XDP benchmark's runs of a comma list of logs, their boots one after
/// the other ([`xdp::join_logs`]).
fn xdp_logs(list: &str) -> Result<Vec<xdp::Run>, String> {
    let mut logs = Vec::new();
    for p in list.split(',').filter(|p| !p.is_empty()) {
        let t = std::fs::read(p).map_err(|e| format!("{p}: {e}"))?;
        logs.push(xdp::parse_log(&String::from_utf8_lossy(&t)).map_err(|e| format!("{p}: {e}"))?);
    }
    Ok(xdp::join_logs(logs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_ranges() {
        assert_eq!(
            parse_expect("for_loop").unwrap(),
            ("for_loop".into(), vec![0])
        );
        assert_eq!(parse_expect("x:2-4").unwrap(), ("x".into(), vec![2, 3, 4]));
        assert_eq!(parse_expect("x:3").unwrap(), ("x".into(), vec![3]));
        assert!(parse_expect("x:a-b").is_err());
        assert_eq!(
            parse_expect("x:1,2,4-6,100").unwrap(),
            ("x".into(), vec![1, 2, 4, 5, 6, 100])
        );
        assert!(parse_expect("x:1,,2").is_err());
    }

    fn step(rc: i32, output: &[&str], dmesg: &[&str]) -> log::Step {
        log::Step {
            id: "s".into(),
            output: output.iter().map(|s| s.to_string()).collect(),
            dmesg: dmesg.iter().map(|s| s.to_string()).collect(),
            rc,
        }
    }

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    const LINE: &str = "m: Type:t Per elem: 10 cycles(tsc) 5.000 ns (step:0) - (measurement period time:0.000005000 sec time_interval:5000) - (invoke count:1000 tsc_interval:10000)";

    #[test]
    fn bench_wants_each_expected_line_once() {
        let a = args(&["--module", "m", "--loops", "1000", "--expect", "t"]);
        assert!(check_bench(&step(0, &[], &[LINE]), &a).is_ok());
        assert!(check_bench(&step(0, &[], &[LINE, LINE]), &a).is_err());
        assert!(check_bench(&step(0, &[], &[]), &a).is_err());
        assert!(check_bench(&step(1, &[], &[LINE]), &a).is_err());
        let more = args(&["--module", "m", "--loops", "2000", "--expect", "t"]);
        assert!(check_bench(&step(0, &[], &[LINE]), &more).is_err());
    }

    #[test]
    fn bench_sum_is_the_mean_of_the_per_cpu_lines() {
        let a = args(&["--module", "m", "--loops", "1000", "--concurrent", "c:2"]);
        let cpu = |n: u32, cycles: u32| {
            LINE.replace("Type:t Per elem: 10", &format!("Type:c CPU({n}) {cycles}"))
                .replace(
                    "tsc_interval:10000",
                    &format!("tsc_interval:{}", cycles * 1000),
                )
        };
        let (c0, c1) = (cpu(0, 10), cpu(1, 21));
        let sum = |avg: u32| format!("m: Sum Type:c Average: {avg} cycles(tsc) CPUs:2 step:0");
        let (ok, off) = (sum(15), sum(16));
        assert_eq!(
            check_bench(&step(0, &[], &[&c0, &c1, &ok]), &a),
            Ok(()),
            "{c0}"
        );
        let e = check_bench(&step(0, &[], &[&c0, &c1, &off]), &a).unwrap_err();
        assert!(e.contains("mean is 15"), "{e}");
    }

    #[test]
    fn cheaper_compares_cycles() {
        let slow = LINE
            .replace("Type:t Per elem: 10", "Type:u Per elem: 50")
            .replace("tsc_interval:10000", "tsc_interval:50000");
        let (a, b) = (step(0, &[], &[LINE]), step(0, &[], &[&slow]));
        assert_eq!(check_cheaper(&a, "t", &b, "u", 5), Ok(()));
        assert!(check_cheaper(&a, "t", &b, "u", 6).is_err());
        assert!(check_cheaper(&b, "u", &a, "t", 1).is_err());
        assert!(check_cheaper(&a, "x", &b, "u", 1)
            .unwrap_err()
            .contains("no Type:x"));
    }

    #[test]
    fn rejected_wants_einval_and_one_reason() {
        let a = args(&["--reason", "invalid loops"]);
        let out = ["insmod: can't insert 'm.ko': Invalid argument"];
        assert!(check_rejected(&step(1, &out, &["m: invalid loops=0: at least 1000"]), &a).is_ok());
        assert!(check_rejected(&step(0, &out, &["m: invalid loops=0"]), &a).is_err());
        assert!(check_rejected(&step(1, &["No such file"], &["m: invalid loops=0"]), &a).is_err());
        assert!(check_rejected(&step(1, &out, &[]), &a).is_err());
        let twice = [
            "m: invalid loops=0: at least 1000",
            "m: invalid loops=0: at least 1000",
        ];
        assert!(check_rejected(&step(1, &out, &twice), &a).is_ok());
        let differ = [
            "m: invalid loops=0: at least 1000",
            "m: invalid loops=0: other",
        ];
        assert!(check_rejected(&step(1, &out, &differ), &a).is_err());
        assert!(check_rejected(&step(1, &out, &["m: invalid loops=0", LINE]), &a).is_err());
    }
}
