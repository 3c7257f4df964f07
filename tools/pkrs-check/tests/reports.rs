//! run-report and docs-report on logs of real runs (tests/data/): every
//! figure traced back to the lines it comes from, read here with plain
//! string searches rather than through the parser.

use pkrs_check::docs::{self, RunLog, XdpLog};
use pkrs_check::report::{self, Figures};
use std::path::PathBuf;
use std::process::Command;

/// The logs of `make reports`: its `make run` (TCG cycles) and `make run
/// ICOUNT=1` of page_pool_bench, bench_page_pool, page_bench01 and
/// page_bench04_bulk, and XDP benchmarks without ICOUNT and with.
const TCG: &str = "run-tcg.log";
const ICOUNT: &str = "run-icount.log";
const XDP: &str = "xdp-bench-20261206-214500-icount.log";
const XDP_WALL: &str = "xdp-bench-20261206-213300.log";

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn read(name: &str) -> String {
    String::from_utf8_lossy(&std::fs::read(data(name)).unwrap()).into_owned()
}

/// The lines of the text inside the steps `bench.*` (the measured loads,
/// not the warm-up), each with its step's id.
fn in_loads(text: &str) -> Vec<(String, &str)> {
    let mut step = None;
    let mut out = Vec::new();
    for l in text.lines() {
        if let Some(id) = l.strip_prefix("@@PKRS-BEGIN ") {
            step = id.starts_with("bench.").then(|| id.to_string());
        } else if l.starts_with("@@PKRS-END ") {
            step = None;
        } else if let Some(id) = &step {
            out.push((id.clone(), l));
        }
    }
    out
}

/// The figures of every `<module>: Type:<name> Per elem: ...` line of the
/// measured loads: (cycles, time_interval / invoke count), in order.
fn raw(text: &str, module: &str, name: &str) -> Vec<(u64, f64)> {
    let tag = format!("] {module}: Type:{name} Per elem: ");
    in_loads(text)
        .into_iter()
        .filter_map(|(_, l)| {
            let rest = &l[l.find(&tag)? + tag.len()..];
            let cycles = rest.split(' ').next()?.parse().ok()?;
            let field = |k: &str| -> f64 {
                let v = &rest[rest.find(k).unwrap() + k.len()..];
                v[..v.find(|c: char| !c.is_ascii_digit()).unwrap()]
                    .parse()
                    .unwrap()
            };
            Some((cycles, field("time_interval:") / field("invoke count:")))
        })
        .collect()
}

/// Median (lower middle), min, max.
fn mmm(v: &[u64]) -> (u64, u64, u64) {
    let mut v = v.to_vec();
    v.sort();
    (v[(v.len() - 1) / 2], v[0], v[v.len() - 1])
}

/// The summary's line that starts with `start`.
fn row<'a>(summary: &'a str, start: &str) -> &'a str {
    summary
        .lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line {start:?} in\n{summary}"))
}

/// The cell the summary prints for these lines: `median (min-max) ns`,
/// the ns being those of the line with the median ns.
fn cell(lines: &[(u64, f64)]) -> String {
    let (m, lo, hi) = mmm(&lines.iter().map(|x| x.0).collect::<Vec<_>>());
    let mut ns: Vec<f64> = lines.iter().map(|x| x.1).collect();
    ns.sort_by(|a, b| a.total_cmp(b));
    format!("{m} ({lo}-{hi}) {:.1} ns", ns[(ns.len() - 1) / 2])
}

#[test]
fn run_report_figures_trace_to_their_lines() {
    for log in [TCG, ICOUNT] {
        let text = read(log);
        let f = Figures::parse(&text).unwrap();
        assert!(f.problems.is_empty(), "{log}: {:?}", f.problems);
        // The warm-up load's lines are in the log, not in the figures.
        let fast = report::rs_fast_path();
        assert_eq!(text.matches("Type:rs-no-softirq-page_pool01 ").count(), 4);
        assert_eq!(f.samples(&fast).len(), 3);
        let s = report::report(&f);
        assert!(
            s.contains("kernel 7.2.13-pkrs, 3 load(s) of each module"),
            "{s}"
        );
        assert_eq!(
            s.contains("ICOUNT=1: a cycle is a guest instruction"),
            log == ICOUNT
        );
        for (test, start) in [
            ("no-softirq-page_pool01", "no-softirq-page_pool01 fast path"),
            ("no-softirq-page_pool02", "no-softirq-page_pool02 ring"),
            ("no-softirq-page_pool03", "no-softirq-page_pool03 slow path"),
        ] {
            let rs = raw(&text, "page_pool_bench", &format!("rs-{test}"));
            let c = raw(&text, "page_pool_bench", &format!("c-{test}"));
            let up = raw(&text, "bench_page_pool", test);
            assert_eq!((rs.len(), c.len(), up.len()), (3, 3, 3), "{log} {test}");
            let r = row(&s, start);
            for lines in [&rs, &c, &up] {
                assert!(
                    r.contains(&cell(lines)),
                    "{log}: {:?} not in {r:?}",
                    cell(lines)
                );
            }
            // The ratios: of the medians, then the spread of the loads'
            // own ratios (load i of one module against load i of the other).
            for (a, b) in [(&rs, &c), (&rs, &up)] {
                let ma = mmm(&a.iter().map(|x| x.0).collect::<Vec<_>>()).0;
                let mb = mmm(&b.iter().map(|x| x.0).collect::<Vec<_>>()).0;
                let per: Vec<f64> = a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| x.0 as f64 / y.0 as f64)
                    .collect();
                let lo = per.iter().copied().fold(f64::MAX, f64::min);
                let hi = per.iter().copied().fold(f64::MIN, f64::max);
                let want = format!("{:.2} ({lo:.2}-{hi:.2})", ma as f64 / mb as f64);
                assert!(r.contains(&want), "{log}: {want:?} not in {r:?}");
            }
        }
        // The page allocator against the Rust fast path.
        let pa = raw(&text, "page_bench01", "single_page_alloc_free");
        let fast = raw(&text, "page_pool_bench", "rs-no-softirq-page_pool01");
        assert!(row(&s, "page allocator, order-0").ends_with(&cell(&pa)));
        let m = |v: &[(u64, f64)]| mmm(&v.iter().map(|x| x.0).collect::<Vec<_>>()).0 as f64;
        let want = format!("{:.2} (", m(&pa) / m(&fast));
        assert!(row(&s, "page allocator / Rust fast path").contains(&want));
        // The other tests: each step of the order steps.
        let steps = raw(&text, "page_bench01", "alloc_pages_order_step");
        assert_eq!(steps.len(), 18, "6 orders, 3 loads");
        let order5: Vec<_> = steps.iter().skip(5).step_by(6).copied().collect();
        let start = format!(
            "{:<22} {:<36} ",
            "page_bench01", "alloc_pages_order_step step:5"
        );
        assert!(row(&s, &start).ends_with(&cell(&order5)));
    }
}

/// The log without the lines for which `drop` is true.
fn without(text: &str, drop: impl Fn(&str) -> bool) -> String {
    text.lines()
        .filter(|l| !drop(l))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn missing_figures_are_reported() {
    let text = read(TCG);
    // One line of the second load.
    let cut = in_loads(&text)
        .into_iter()
        .find(|(id, l)| {
            id == "bench.page_pool_bench.2"
                && l.contains("page_pool_bench: Type:c-softirq-page_pool02 ")
        })
        .unwrap()
        .1;
    let t = without(&text, |l| l == cut);
    let f = Figures::parse(&t).unwrap();
    assert_eq!(
        f.problems,
        vec!["page_pool_bench: Type:c-softirq-page_pool02 missing in run(s) 2"]
    );
    let s = report::report(&f);
    assert!(s.contains("missing: page_pool_bench: Type:c-softirq-page_pool02 missing in run(s) 2"));
    // A test gone from every load: the row shows no figure.
    let t = without(&text, |l| l.contains("Type:c-no-softirq-page_pool01 "));
    let f = Figures::parse(&t).unwrap();
    assert!(f
        .problems
        .contains(&"page_pool_bench: no Type:c-no-softirq-page_pool01 line".to_string()));
    let r = report::report(&f);
    let r = row(&r, "no-softirq-page_pool01 fast path");
    assert!(r.contains(" - "), "{r}");
    // A load that did not finish (its step has no end), one that failed.
    let t = without(&text, |l| {
        l.starts_with("@@PKRS-END bench.bench_page_pool.3 ")
    });
    let f = Figures::parse(&t).unwrap();
    assert_eq!(
        f.problems,
        vec!["bench_page_pool: run(s) 3 of 3 not in the log"]
    );
    let t = text.replace(
        "@@PKRS-END bench.page_bench01.1 rc=0",
        "@@PKRS-END bench.page_bench01.1 rc=1",
    );
    let f = Figures::parse(&t).unwrap();
    assert!(f.problems[0].starts_with("bench.page_bench01.1: insmod exited 1"));
    // A module the run names but never loaded.
    let t = text.replace(
        "@@PKRS-RUN-BENCH page_pool_bench",
        "@@PKRS-RUN-BENCH page_bench02 page_pool_bench",
    );
    let f = Figures::parse(&t).unwrap();
    assert_eq!(
        f.problems,
        vec!["page_bench02: no load completed (no step bench.page_bench02.<run>)"]
    );
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pkrs-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn run_report_command_exits_1_on_a_missing_figure() {
    let bin = env!("CARGO_BIN_EXE_pkrs-check");
    let out = Command::new(bin)
        .args(["run-report", data(TCG).to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let d = tmp("missing");
    let p = d.join("cut.log");
    std::fs::write(
        &p,
        without(&read(TCG), |l| l.contains("Type:rs-softirq-page_pool03 ")),
    )
    .unwrap();
    let out = Command::new(bin)
        .args(["run-report", p.to_str().unwrap()])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        s.contains("missing: page_pool_bench: no Type:rs-softirq-page_pool03 line"),
        "{s}"
    );
    assert!(
        s.contains("no-softirq-page_pool01 fast path"),
        "the summary is printed too"
    );
    let _ = std::fs::remove_dir_all(d);
}

fn logs() -> (Vec<RunLog>, Vec<XdpLog>) {
    let runs = [TCG, ICOUNT]
        .iter()
        .map(|n| RunLog::parse(n, &read(n), "2000-01-01").unwrap())
        .collect();
    let xdp = [XDP_WALL, XDP]
        .iter()
        .map(|n| XdpLog::parse(n, &read(n), "2000-01-01", false).unwrap())
        .collect();
    (runs, xdp)
}

/// The elements of class `class` of an SVG document (after checking that
/// it is well-formed XML with an `svg` root).
fn points(svg: &str, class: &str) -> Vec<(String, String, f64)> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .map(|n| {
            (
                n.attribute("data-series").unwrap().to_string(),
                n.attribute("data-category").unwrap().to_string(),
                n.attribute("data-value").unwrap().parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn sources_are_read_from_the_logs() {
    let (runs, xdp) = logs();
    assert_eq!(runs[0].source.release, "7.2.13-pkrs");
    assert!(!runs[0].source.icount);
    assert!(runs[1].source.icount);
    assert_eq!(
        runs[0].source.command,
        "make run BENCH=\"page_pool_bench bench_page_pool page_bench01 page_bench04_bulk\""
    );
    assert!(runs[1].source.command.ends_with(" ICOUNT=1"));
    assert!(
        runs[0].source.date.starts_with("2026-12-01 "),
        "{}",
        runs[0].source.date
    );
    // The XDP logs: ICOUNT from the guest's clock, the date from the name.
    assert!(!xdp[0].source.icount);
    assert_eq!(xdp[0].source.command, "make run BENCH=xdp");
    assert!(xdp[1].source.icount);
    assert_eq!(xdp[1].source.command, "make run BENCH=xdp ICOUNT=1");
    assert_eq!(xdp[1].source.date, "2026-12-06 21:45");
    // The commit measured, from the log's @@XDP-BENCH-INFO line.
    assert!(xdp[0]
        .source
        .commit
        .as_deref()
        .is_some_and(|c| c.len() >= 12));
    assert_eq!(xdp[1].source.release, "7.2.13-pkrs");
}

#[test]
fn docs_report_plots_every_figure_once() {
    let (runs, xdp) = logs();
    let files = docs::generate(&runs, &xdp, "pkrs-check docs-report --out x");
    let get = |n: &str| -> &str {
        &files
            .iter()
            .find(|f| f.0 == n)
            .unwrap_or_else(|| panic!("no {n}"))
            .1
    };
    let tcg = read(TCG);
    let ic = read(ICOUNT);
    // Three pools: the no-softirq, softirq and dma paths of rs and c, the
    // no-softirq ones of upstream.
    for (svg, text) in [
        ("generated-pools-tcg.svg", &tcg),
        ("generated-pools-icount.svg", &ic),
    ] {
        let p = points(get(svg), "bar");
        assert_eq!(p.len(), 9 + 9 + 3, "{svg}");
        let fast = p
            .iter()
            .find(|x| x.0 == "Rust pool (rs-)" && x.1 == "no-softirq page_pool01")
            .unwrap();
        let raw = raw(text, "page_pool_bench", "rs-no-softirq-page_pool01");
        assert_eq!(
            fast.2,
            mmm(&raw.iter().map(|x| x.0).collect::<Vec<_>>()).0 as f64
        );
    }
    // The page allocator: orders 0-5 of two tests.
    for svg in [
        "generated-page-alloc-orders-tcg.svg",
        "generated-page-alloc-orders-icount.svg",
    ] {
        let p = points(get(svg), "point");
        assert_eq!(p.len(), 12, "{svg}");
    }
    // Cycles against instructions: rs, c, upstream for three paths and
    // the page allocator, from each of the two boots.
    let p = points(get("generated-tcg-icount.svg"), "bar");
    assert_eq!(p.len(), 2 * 10);
    let pa = p
        .iter()
        .find(|x| x.0 == "instructions (ICOUNT=1)" && x.1 == "page alloc order 0")
        .unwrap();
    let raw_pa = raw(&ic, "page_bench01", "single_page_alloc_free");
    assert_eq!(
        pa.2,
        mmm(&raw_pa.iter().map(|x| x.0).collect::<Vec<_>>()).0 as f64
    );
    // Single against bulk: three tests, bulk sizes 1, 8, 16, 32, 64.
    for (svg, text) in [
        ("generated-page-alloc-bulk-tcg.svg", &tcg),
        ("generated-page-alloc-bulk-icount.svg", &ic),
    ] {
        let p = points(get(svg), "point");
        assert_eq!(p.len(), 15, "{svg}");
        let b8 = p
            .iter()
            .find(|x| x.0 == "alloc_pages_bulk" && x.1 == "8")
            .unwrap();
        let lines: Vec<u64> = raw(text, "page_bench04_bulk", "alloc_pages_bulk")
            .iter()
            .skip(1)
            .step_by(5)
            .map(|x| x.0)
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(b8.2, mmm(&lines).0 as f64, "{svg}");
    }
    // XDP: one bar per driver/mode/case with a valid run (one round: the
    // median is that run's), its pps the run's sent / seconds, read here
    // from the raw line; a row whose run is invalid has no bar and says so.
    let lines = |name: &str| -> Vec<String> {
        read(name)
            .lines()
            .filter_map(|l| l.strip_prefix("@@XDP-BENCH "))
            .map(String::from)
            .collect()
    };
    let kv = |l: &str, k: &str| -> String {
        l.split(' ')
            .find_map(|w| w.strip_prefix(&format!("{k}=")))
            .unwrap()
            .to_string()
    };
    let wall = lines(XDP_WALL);
    let pps = points(get("generated-xdp-pps.svg"), "bar");
    let mut valid = 0;
    for l in &wall {
        let r = pkrs_check::xdp::parse_line(&format!("@@XDP-BENCH {l}"))
            .unwrap()
            .unwrap();
        let key = format!("{}/{} {}", kv(l, "driver"), kv(l, "mode"), kv(l, "case"));
        let bar = pps.iter().find(|x| format!("{} {}", x.0, x.1) == key);
        if r.check().is_ok() {
            valid += 1;
            let want =
                kv(l, "sent").parse::<f64>().unwrap() * 1e9 / kv(l, "ns").parse::<f64>().unwrap();
            assert_eq!(bar.map(|b| b.2), Some(want), "{key}");
            // The cost: the softirq's ns over the frames received.
            let cost =
                kv(l, "sirq_ns").parse::<f64>().unwrap() / kv(l, "rx").parse::<f64>().unwrap();
            let c = points(get("generated-xdp-cost.svg"), "bar");
            let c = c
                .iter()
                .find(|x| format!("{} {}", x.0, x.1) == key)
                .unwrap();
            assert_eq!(c.2, cost, "{key}");
        } else {
            assert!(bar.is_none(), "{key}: an invalid run has no bar");
        }
    }
    assert_eq!(pps.len(), valid);
    assert!(valid > 20, "{valid}");
    assert!(get("generated-xdp.rst").contains("Runs used/in log"));
    assert_eq!(
        points(get("generated-xdp-icount-cost.svg"), "bar").len(),
        lines(XDP).len()
    );
    // Every SVG is shown by a fragment that generated.rst includes; each
    // caption names the command, the kernel, ICOUNT.
    let top = get("generated.rst");
    for (name, body) in &files {
        if name.ends_with(".svg") {
            let shown: Vec<_> = files
                .iter()
                .filter(|f| f.1.contains(&format!(".. figure:: {name}\n")))
                .collect();
            assert_eq!(shown.len(), 1, "{name}");
            assert!(top.contains(&format!(".. include:: {}\n", shown[0].0)));
            assert!(body.contains("kernel 7.2.13-pkrs"), "{name}");
            assert!(body.contains("Plotted by pkrs-check docs-report --out x"));
            assert!(body.contains("ICOUNT o"), "{name}");
        }
    }
    assert!(top.contains("``run-tcg.log``"));
    assert!(!top.contains("Missing from the logs"));
}

#[test]
fn docs_report_command_replaces_its_files_only() {
    let d = tmp("docs");
    std::fs::write(d.join("index.rst"), "kept").unwrap();
    std::fs::write(d.join("generated-stale.svg"), "old").unwrap();
    let bin = env!("CARGO_BIN_EXE_pkrs-check");
    let out = Command::new(bin)
        .arg("docs-report")
        .arg("--out")
        .arg(&d)
        .arg("--run")
        .arg(data(TCG))
        .arg("--xdp")
        .arg(data(XDP))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(d.join("index.rst")).unwrap(),
        "kept"
    );
    assert!(!d.join("generated-stale.svg").exists());
    let top = std::fs::read_to_string(d.join("generated.rst")).unwrap();
    // The command is quoted with the logs' names, not their directories.
    assert!(top.contains(&format!("--run {TCG} --xdp {XDP}``")), "{top}");
    assert!(!top.contains(env!("CARGO_MANIFEST_DIR")));
    assert!(d.join("generated-pools-tcg.svg").exists());
    assert!(
        !d.join("generated-tcg-icount.svg").exists(),
        "needs an ICOUNT run"
    );
    let _ = std::fs::remove_dir_all(d);
}

/// An `make run BENCH=xdp_sim ICOUNT=1` log (xdp_cqsim's simulated NIC).
const XDP_SIM: &str = "xdp-bench-sim-20261206-214000-icount.log";

#[test]
fn simulated_nic_has_its_own_section() {
    let (runs, mut xdp) = logs();
    let sim = XdpLog::parse(XDP_SIM, &read(XDP_SIM), "2000-01-01", true).unwrap();
    // A sim log's gns is NAPI time, far below the send's: ICOUNT comes
    // from the name, not the clocks.
    assert!(sim.source.icount);
    assert_eq!(sim.source.command, "make run BENCH=xdp_sim ICOUNT=1");
    xdp.push(sim);
    let files = docs::generate(&runs, &xdp, "pkrs-check docs-report --out x");
    let get = |n: &str| -> &str {
        &files
            .iter()
            .find(|f| f.0 == n)
            .unwrap_or_else(|| panic!("no {n}"))
            .1
    };
    // The softirq's instructions per frame: sirq_ns/rx of each valid run
    // past round 1, read here from the raw lines.
    let text = read(XDP_SIM);
    let mut n = 0;
    let cost = points(get("generated-xdp-sim-icount-cost.svg"), "bar");
    for l in text
        .lines()
        .filter_map(|l| l.trim_end_matches('\r').strip_prefix("@@XDP-BENCH "))
    {
        let kv = |k: &str| {
            l.split(' ')
                .find_map(|w| w.strip_prefix(&format!("{k}=")))
                .unwrap()
                .to_string()
        };
        let r = pkrs_check::xdp::parse_line(&format!("@@XDP-BENCH {l}"))
            .unwrap()
            .unwrap();
        if kv("run") != "2" || r.check().is_err() {
            continue;
        }
        n += 1;
        let key = format!("{}/{} {}", kv("driver"), kv("mode"), kv("case"));
        let g = kv("sirq_ns").parse::<f64>().unwrap() / kv("rx").parse::<f64>().unwrap();
        let x = cost
            .iter()
            .find(|x| format!("{} {}", x.0, x.1) == key)
            .unwrap_or_else(|| panic!("no bar for {key}"));
        assert_eq!(x.2, g, "{key}");
    }
    assert!(n > 0);
    assert_eq!(cost.len(), n);
    // Kept apart from the virtio NIC's: its files are the same as
    // without the sim log, and generated.rst includes both sections.
    let alone = docs::generate(&runs, &xdp[..2], "pkrs-check docs-report --out x");
    for n in [
        "generated-xdp.rst",
        "generated-xdp-pps.svg",
        "generated-xdp-cost.svg",
    ] {
        let a = &alone.iter().find(|f| f.0 == n).unwrap().1;
        assert_eq!(a, get(n), "{n}");
    }
    assert!(!get("generated-xdp.rst").contains("simulated"));
    let s = get("generated-xdp-sim.rst");
    assert!(s.contains("The XDP benchmark on the simulated CQ NIC"));
    assert!(s.contains("softirq instructions per frame"));
    // Redirect rows have the frames delivered out of the other NIC.
    assert!(s.contains("Delivered pps"));
    assert!(s.contains("make run BENCH=xdp_sim ICOUNT=1"));
    let top = get("generated.rst");
    assert!(top.contains(".. include:: generated-xdp-sim.rst\n"));
    assert!(top.contains(&format!("``{XDP_SIM}``")));
}

/// A benchmark log of 8 rounds of rs and virtio_net XDP_DROP, rs `ratio`
/// times as fast, with some spread.
fn synthetic_xdp(ratio: f64) -> String {
    let mut t = String::from(
        "@@PKRS-BOOTED 7.2.13-pkrs cpus=2\n@@XDP-BENCH-INFO cfg=default commit=abc icount=0 size=64 secs=2 rounds=8\n",
    );
    for round in 1..=8u32 {
        let wobble = 1.0 + f64::from(round % 3) * 0.02;
        for (d, sent) in [
            ("rs", 120_000.0 * ratio / 1.2 * wobble),
            ("virtio_net", 100_000.0),
        ] {
            let n = sent as u64;
            t += &format!(
                "@@XDP-BENCH cfg=default driver={d} mode=drv case=drop run={round} cb=0 sent={n} rx={n} prog={n} act={n} act_err=0 back=0 fwd=0 ipin=0 exc=0 rerr=0 dm_sent=0 dm_drops=0 ns=1000000000 gns=2000000000 sirq_ns={} sirq_runs=1 sirq_cpu_ns=0\n",
                n * 800
            );
        }
    }
    t + "@@XDP-BENCH-END\n"
}

#[test]
fn a_repeat_log_is_compared_with_its_published_twin() {
    let (runs, _) = logs();
    let log = |name: &str, ratio: f64| {
        XdpLog::parse(name, &synthetic_xdp(ratio), "2000-01-01", false).unwrap()
    };
    let published = [log("xdp-bench-20261207-010000.log", 1.2)];
    let rep = |repeat: XdpLog, xdp: &[XdpLog]| -> (String, String) {
        let files = docs::generate_with_repeats(&runs, xdp, &[repeat], "x");
        let get = |n: &str| {
            files
                .iter()
                .find(|f| f.0 == n)
                .map(|f| f.1.clone())
                .unwrap_or_default()
        };
        (get("generated-xdp-repeat.rst"), get("generated.rst"))
    };
    // A second boot at 1.22: every ratio's intervals overlap.
    let (r, top) = rep(log("xdp-bench-20261207-020000.log", 1.22), &published);
    assert!(r.contains("Two boots of the XDP benchmark"), "{r}");
    assert!(!r.contains("DISAGREE"), "{r}");
    assert!(
        r.contains("2 of 2 comparisons agree; the verdict is the same in 2 of 2."),
        "{r}"
    );
    assert!(top.contains(".. include:: generated-xdp-repeat.rst"));
    // At 2.0 the pps ratio does not, and comes first.
    let (r, _) = rep(log("xdp-bench-20261207-020000.log", 2.0), &published);
    assert!(
        r.contains("1 of 2 comparisons agree (the others are listed first); the verdict is the same in 2 of 2."),
        "{r}"
    );
    let first = r
        .lines()
        .find(|l| l.ends_with("agree") || l.ends_with("DISAGREE"))
        .unwrap();
    assert!(
        first.ends_with("DISAGREE") && first.contains(" pps "),
        "{first}"
    );
    // Without a published log of its kind there is nothing to compare.
    let ic = synthetic_xdp(1.2).replace("icount=0", "icount=1");
    let ic = XdpLog::parse(
        "xdp-bench-20261207-020000-icount.log",
        &ic,
        "2000-01-01",
        false,
    )
    .unwrap();
    assert!(ic.source.icount);
    let (r, _) = rep(ic, &published);
    assert!(r.contains("no published log of the same kind"), "{r}");
}
