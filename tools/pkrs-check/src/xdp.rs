//! The XDP benchmark's lines (`tests/guest/xdp-bench.sh`) and the report
//! made of them: per driver, mode and case, the median of the runs and
//! their spread, each figure counted twice (the generator's frames sent,
//! the receiving side's count), and the ratios between drivers and modes.
//!
//! ```text
//! @@XDP-BENCH driver=rs mode=drv case=drop run=1 sent=909984 rx=909984 back=1 ns=1000038617 gns=1070000000
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One run of one case.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub driver: String,
    pub mode: String,
    pub case: String,
    pub run: u32,
    /// Frames the generator wrote, in `ns` host nanoseconds.
    pub sent: u64,
    /// The receiving side's count over the same send.
    pub rx: u64,
    /// Frames that came back to the generator.
    pub back: u64,
    /// Frames the peer NIC received (a redirect's), 0 when not given.
    pub fwd: u64,
    pub ns: u64,
    /// Guest nanoseconds of the send (instructions with -icount shift=0).
    pub gns: u64,
}

/// Parses one `@@XDP-BENCH` line; `None` for other lines.
pub fn parse_line(line: &str) -> Result<Option<Run>, String> {
    let Some(rest) = line.trim_end().strip_prefix("@@XDP-BENCH ") else {
        return Ok(None);
    };
    let mut kv = BTreeMap::new();
    for w in rest.split_whitespace() {
        let (k, v) = w.split_once('=').ok_or(format!("not key=value: {w:?}"))?;
        if kv.insert(k, v).is_some() {
            return Err(format!("{k} twice"));
        }
    }
    let s = |k: &str| -> Result<String, String> {
        kv.get(k).map(|v| v.to_string()).ok_or(format!("no {k}="))
    };
    let n = |k: &str| -> Result<u64, String> {
        s(k)?.parse().map_err(|_| format!("{k} is not a number"))
    };
    let run = Run {
        driver: s("driver")?,
        mode: s("mode")?,
        case: s("case")?,
        run: u32::try_from(n("run")?).map_err(|_| "run out of range")?,
        sent: n("sent")?,
        rx: n("rx")?,
        back: n("back")?,
        fwd: if kv.contains_key("fwd") { n("fwd")? } else { 0 },
        ns: n("ns")?,
        gns: n("gns")?,
    };
    if run.ns == 0 {
        return Err("ns=0".into());
    }
    Ok(Some(run))
}

/// Every run in a console log.
pub fn parse_log(text: &str) -> Result<Vec<Run>, String> {
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(r) = parse_line(line).map_err(|e| format!("{line:?}: {e}"))? {
            out.push(r);
        }
    }
    Ok(out)
}

/// The median of a non-empty list (the lower middle for an even count).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[(v.len() - 1) / 2]
}

/// The runs of one driver/mode/case, summarised.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub driver: String,
    pub mode: String,
    pub case: String,
    pub runs: usize,
    /// Frames per second by the generator's count: median, min, max.
    pub pps: f64,
    pub pps_min: f64,
    pub pps_max: f64,
    /// Host nanoseconds per frame (1e9 / median pps).
    pub ns_per_pkt: f64,
    /// Guest nanoseconds (instructions with ICOUNT=1) per frame received:
    /// median.
    pub gns_per_pkt: f64,
    /// Worst disagreement between the two counts, rx against sent.
    pub rx_off: f64,
    /// Frames back per frame sent (XDP_TX), median.
    pub back_ratio: f64,
    /// Frames the peer received per frame sent (XDP_REDIRECT), median.
    pub fwd_ratio: f64,
    /// Whether rx equalled sent in every run.
    pub exact: bool,
}

/// Summaries in the order the cases first appear in the log.
pub fn summarise(runs: &[Run]) -> Vec<Summary> {
    let mut order: Vec<(String, String, String)> = Vec::new();
    let mut groups: BTreeMap<(String, String, String), Vec<&Run>> = BTreeMap::new();
    for r in runs {
        let k = (r.driver.clone(), r.mode.clone(), r.case.clone());
        if !groups.contains_key(&k) {
            order.push(k.clone());
        }
        groups.entry(k).or_default().push(r);
    }
    order
        .into_iter()
        .map(|k| {
            let g = &groups[&k];
            let mut pps: Vec<f64> = g
                .iter()
                .map(|r| r.sent as f64 * 1e9 / r.ns as f64)
                .collect();
            let mut gns: Vec<f64> = g
                .iter()
                .map(|r| r.gns as f64 / r.rx.max(1) as f64)
                .collect();
            let mut back: Vec<f64> = g
                .iter()
                .map(|r| r.back as f64 / r.sent.max(1) as f64)
                .collect();
            let mut fwd: Vec<f64> = g
                .iter()
                .map(|r| r.fwd as f64 / r.sent.max(1) as f64)
                .collect();
            let rx_off = g
                .iter()
                .map(|r| (r.rx as f64 - r.sent as f64).abs() / r.sent.max(1) as f64)
                .fold(0.0, f64::max);
            let pps_min = pps.iter().copied().fold(f64::INFINITY, f64::min);
            let pps_max = pps.iter().copied().fold(0.0, f64::max);
            let m = median(&mut pps);
            Summary {
                driver: k.0,
                mode: k.1,
                case: k.2,
                runs: g.len(),
                pps: m,
                pps_min,
                pps_max,
                ns_per_pkt: if m > 0.0 { 1e9 / m } else { 0.0 },
                gns_per_pkt: median(&mut gns),
                rx_off,
                back_ratio: median(&mut back),
                fwd_ratio: median(&mut fwd),
                exact: g.iter().all(|r| r.rx == r.sent),
            }
        })
        .collect()
}

fn find<'a>(s: &'a [Summary], driver: &str, mode: &str, case: &str) -> Option<&'a Summary> {
    s.iter()
        .find(|x| x.driver == driver && x.mode == mode && x.case == case)
}

/// The report: a table a person reads at a glance, the ratios, and one
/// parseable `xdp_result` line per row.
pub fn report(s: &[Summary]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<11} {:<7} {:<10} {:>10} {:>16} {:>9} {:>11} {:>6} {:>5} {:>4}",
        "driver",
        "mode",
        "case",
        "pps",
        "min-max",
        "ns/pkt",
        "guest-ns/pk",
        "rx-off",
        "back",
        "runs"
    );
    for x in s {
        let _ = writeln!(
            o,
            "{:<11} {:<7} {:<10} {:>10.0} {:>16} {:>9.0} {:>11.0} {:>5.1}% {:>5.2} {:>5.2} {:>4}",
            x.driver,
            x.mode,
            x.case,
            x.pps,
            format!("{:.0}-{:.0}", x.pps_min, x.pps_max),
            x.ns_per_pkt,
            x.gns_per_pkt,
            x.rx_off * 100.0,
            x.back_ratio,
            x.fwd_ratio,
            x.runs
        );
    }
    // Ratios per native case, by frames per second and by guest ns per
    // frame (guest instructions with ICOUNT=1: the figure that repeats).
    let ratio = |a: Option<&Summary>, b: Option<&Summary>, f: fn(&Summary) -> f64| match (a, b) {
        (Some(a), Some(b)) if f(b) > 0.0 => format!("{:.2}", f(a) / f(b)),
        _ => "-".into(),
    };
    let pps = |x: &Summary| x.pps;
    let cost = |x: &Summary| x.gns_per_pkt;
    let mut cases: Vec<&str> = Vec::new();
    for x in s
        .iter()
        .filter(|x| x.mode == "drv" && x.driver != "rs-floor")
    {
        if !cases.contains(&x.case.as_str()) {
            cases.push(&x.case);
        }
    }
    if !cases.is_empty() {
        let _ = writeln!(
            o,
            "ratios of medians: pps (higher is faster) | guest ns per frame (lower is cheaper)"
        );
        let _ = writeln!(
            o,
            "{:<10} {:>6} {:>8} {:>8} {:>8} {:>8} | {:>6} {:>8} {:>8} {:>8}",
            "case",
            "rs/c",
            "rs/vnet",
            "rs n/g",
            "c n/g",
            "vnet n/g",
            "rs/c",
            "rs/vnet",
            "rs n/g",
            "floor/rs"
        );
        let floor = find(s, "rs-floor", "drv", "none");
        for c in cases {
            let rs = find(s, "rs", "drv", c);
            let cc = find(s, "c", "drv", c);
            let vn = find(s, "virtio_net", "drv", c);
            let _ = writeln!(
                o,
                "{:<10} {:>6} {:>8} {:>8} {:>8} {:>8} | {:>6} {:>8} {:>8} {:>8}",
                c,
                ratio(rs, cc, pps),
                ratio(rs, vn, pps),
                ratio(rs, find(s, "rs", "generic", c), pps),
                ratio(cc, find(s, "c", "generic", c), pps),
                ratio(vn, find(s, "virtio_net", "generic", c), pps),
                ratio(rs, cc, cost),
                ratio(rs, vn, cost),
                ratio(find(s, "rs", "generic", c), rs, cost),
                ratio(floor, rs, cost),
            );
        }
    }
    for x in s {
        let _ = writeln!(
            o,
            "xdp_result driver={} mode={} case={} runs={} pps={:.0} pps_min={:.0} pps_max={:.0} ns_per_pkt={:.1} gns_per_pkt={:.1} rx_off={:.4} back_ratio={:.4} fwd_ratio={:.4}",
            x.driver, x.mode, x.case, x.runs, x.pps, x.pps_min, x.pps_max, x.ns_per_pkt,
            x.gns_per_pkt, x.rx_off, x.back_ratio, x.fwd_ratio
        );
    }
    o
}

/// Checks a short run for `make test`: every `drivers` × `cases` row is
/// there (the floor only with the case `none`), and in every run of the
/// cases `exact` the receiving side counted exactly the frames sent.
pub fn check(
    s: &[Summary],
    drivers: &[&str],
    cases: &[&str],
    exact: &[&str],
) -> Result<(), String> {
    for d in drivers {
        let (driver, mode) = d.split_once('/').unwrap_or((d, "drv"));
        for c in cases {
            if driver == "rs-floor" && *c != "none" {
                continue;
            }
            let x = find(s, driver, mode, c).ok_or(format!("no figure for {d} {c}"))?;
            if x.pps <= 0.0 {
                return Err(format!("{d} {c}: no frame went through"));
            }
            if exact.contains(c) && !x.exact {
                return Err(format!(
                    "{d} {c}: the receiving side did not count exactly the frames sent"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: &str = "@@XDP-BENCH driver=rs mode=drv case=drop run=1 sent=909984 rx=909984 back=1 ns=1000000000 gns=1070000000";

    #[test]
    fn parses_a_line() {
        let r = parse_line(L).unwrap().unwrap();
        assert_eq!(r.driver, "rs");
        assert_eq!(r.case, "drop");
        assert_eq!(r.sent, 909984);
        assert_eq!(r.gns, 1070000000);
        assert_eq!(parse_line("[ 1.0] something").unwrap(), None);
    }

    #[test]
    fn rejects_broken_lines() {
        assert!(parse_line("@@XDP-BENCH driver=rs").is_err());
        assert!(parse_line(&L.replace("sent=909984", "sent=x")).is_err());
        assert!(parse_line(&L.replace("run=1", "run=1 run=2")).is_err());
        assert!(parse_line(&L.replace("ns=1000000000", "ns=0")).is_err());
    }

    fn run(driver: &str, mode: &str, case: &str, n: u32, sent: u64, rx: u64) -> Run {
        Run {
            driver: driver.into(),
            mode: mode.into(),
            case: case.into(),
            run: n,
            sent,
            rx,
            back: sent / 2,
            fwd: 0,
            ns: 1_000_000_000,
            gns: 2_000_000_000,
        }
    }

    #[test]
    fn the_short_run_check() {
        let runs = vec![
            run("rs", "drv", "drop", 1, 300, 300),
            run("rs", "drv", "tx", 1, 300, 299),
            run("rs", "generic", "drop", 1, 100, 100),
        ];
        let s = summarise(&runs);
        assert!(check(&s, &["rs", "rs/generic"], &["drop"], &["drop"]).is_ok());
        // A missing row, an inexact count.
        assert!(check(&s, &["c"], &["drop"], &[]).is_err());
        assert!(check(&s, &["rs"], &["tx"], &["tx"]).is_err());
        assert!(check(&s, &["rs"], &["tx"], &[]).is_ok());
    }

    #[test]
    fn medians_spread_and_cross_check() {
        let runs = vec![
            run("rs", "drv", "drop", 1, 300, 300),
            run("rs", "drv", "drop", 2, 100, 100),
            run("rs", "drv", "drop", 3, 200, 198),
        ];
        let s = summarise(&runs);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].pps, 200.0);
        assert_eq!(s[0].pps_min, 100.0);
        assert_eq!(s[0].pps_max, 300.0);
        assert_eq!(s[0].runs, 3);
        assert!((s[0].rx_off - 0.01).abs() < 1e-9);
        assert!((s[0].ns_per_pkt - 5e6).abs() < 1e-3);
        assert!((s[0].back_ratio - 0.5).abs() < 1e-2);
    }

    #[test]
    fn ratios_between_drivers_and_modes() {
        let mut runs = vec![
            run("rs", "drv", "drop", 1, 400, 400),
            run("rs", "generic", "drop", 1, 100, 100),
            run("c", "drv", "drop", 1, 200, 200),
            run("virtio_net", "drv", "drop", 1, 800, 800),
            run("rs-floor", "drv", "none", 1, 1000, 1000),
        ];
        // Guest ns per frame: rs 2e9/400 = 5e6, generic 2e7, c 1e7, floor 2e6.
        runs[1].gns = 2_000_000_000;
        let rep = report(&summarise(&runs));
        let row = rep
            .lines()
            .find(|l| l.starts_with("drop "))
            .unwrap_or_else(|| panic!("no drop row in {rep}"));
        let cols: Vec<&str> = row.split_whitespace().collect();
        // pps: rs/c, rs/vnet, rs n/g, c n/g (none), vnet n/g (none).
        assert_eq!(&cols[1..6], ["2.00", "0.50", "4.00", "-", "-"], "{rep}");
        // cost: rs/c, rs/vnet, generic/rs, floor/rs.
        assert_eq!(&cols[7..11], ["0.50", "2.00", "4.00", "0.40"], "{rep}");
        assert!(rep.contains("xdp_result driver=rs mode=drv case=drop runs=1 pps=400"));
    }

    #[test]
    fn order_follows_the_log() {
        let runs = vec![
            run("virtio_net", "drv", "tx", 1, 1, 1),
            run("rs", "drv", "drop", 1, 1, 1),
        ];
        let s = summarise(&runs);
        assert_eq!(s[0].driver, "virtio_net");
        assert_eq!(s[1].driver, "rs");
    }
}
