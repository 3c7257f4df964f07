//! The documentation's reports (`pkrs-check docs-report`): from `make run`
//! logs (with and without ICOUNT) and XDP benchmark logs, the
//! reStructuredText tables and SVG plots of `Documentation/reports/`:
//! `generated.rst` (included by `index.rst`), the `generated-*.rst`
//! fragments it includes and the `generated-*.svg` plots they show. Each
//! figure says which command measured it, on which kernel, when, and
//! whether ICOUNT was on.

use crate::report::{self, Figures, Key, Stat};
use crate::svg::{self, Chart, Kind, Point, Series};
use crate::xdp;
use std::fmt::Write as _;

/// Where a log's figures come from.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// The log's file name (without its directory).
    pub file: String,
    /// The command that made the log.
    pub command: String,
    pub release: String,
    pub date: String,
    pub icount: bool,
}

impl Source {
    fn icount_word(&self) -> &'static str {
        if self.icount {
            "on"
        } else {
            "off"
        }
    }

    /// One line: `make run ... (run-x.log): kernel R, D, ICOUNT on`.
    pub fn line(&self) -> String {
        format!(
            "{} ({}): kernel {}, {}, ICOUNT {}",
            self.command,
            self.file,
            self.release,
            self.date,
            self.icount_word()
        )
    }
}

/// A `make run` log.
#[derive(Clone, Debug)]
pub struct RunLog {
    pub source: Source,
    pub figures: Figures,
}

/// An XDP benchmark log: `make run BENCH=xdp` (the virtio NIC, fed from
/// outside), or with `sim` `make run BENCH=xdp_sim` (xdp_cqsim's
/// simulated CQ NIC).
#[derive(Clone, Debug)]
pub struct XdpLog {
    pub source: Source,
    pub runs: Vec<xdp::Run>,
    pub sim: bool,
}

/// `YYYY-MM-DD HH:MM` from a `...-YYYYMMDD-HHMMSS...` file name (the
/// names `make run` and `scripts/xdp-bench.sh` give their logs).
pub fn date_from_name(name: &str) -> Option<String> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(14)).find_map(|i| {
        let w = &b[i..i + 15];
        let digits = |r: std::ops::Range<usize>| r.clone().all(|j| w[j].is_ascii_digit());
        (digits(0..8) && w[8] == b'-' && digits(9..15)).then(|| {
            let s = &name[i..i + 15];
            format!(
                "{}-{}-{} {}:{}",
                &s[0..4],
                &s[4..6],
                &s[6..8],
                &s[9..11],
                &s[11..13]
            )
        })
    })
}

/// `2026-12-01T10:30:00Z` as `2026-12-01 10:30`.
fn short_date(d: &str) -> String {
    let d = d.trim_end_matches('Z').replacen('T', " ", 1);
    d.get(..16).unwrap_or(&d).to_string()
}

fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

impl RunLog {
    /// `text` read from `path`; `mtime_date` is the date used when neither
    /// the log nor its name has one.
    pub fn parse(path: &str, text: &str, mtime_date: &str) -> Result<RunLog, String> {
        let figures = Figures::parse(text).map_err(|e| format!("{path}: {e}"))?;
        if figures.tests.is_empty() {
            return Err(format!("{path}: no result line in a bench.<module> step"));
        }
        let file = file_name(path);
        let h = figures.header.clone();
        let icount = figures.icount().unwrap_or_else(|| file.contains("-icount"));
        let command = match &h {
            Some(h) => h.command(),
            None => format!("make run{}", if icount { " ICOUNT=1" } else { "" }),
        };
        let date = h
            .and_then(|h| h.date)
            .map(|d| short_date(&d))
            .or_else(|| date_from_name(&file))
            .unwrap_or_else(|| mtime_date.to_string());
        Ok(RunLog {
            source: Source {
                command,
                release: figures.release.clone().unwrap_or_else(|| "unknown".into()),
                date,
                icount,
                file,
            },
            figures,
        })
    }
}

impl XdpLog {
    /// ICOUNT is told by the guest's clock: without it the guest's time
    /// of a send follows the host's (`gns` within 10% of `ns` in every
    /// run); with `-icount shift=0` it counts instructions instead. A
    /// `sim` log's `gns` is the driver's NAPI time, not the send's: there
    /// the log's name tells (`scripts/xdp-bench.sh` ends it `-icount`).
    pub fn parse(path: &str, text: &str, mtime_date: &str, sim: bool) -> Result<XdpLog, String> {
        let runs = xdp::parse_log(text).map_err(|e| format!("{path}: {e}"))?;
        if runs.is_empty() {
            return Err(format!("{path}: no @@XDP-BENCH line"));
        }
        let file = file_name(path);
        let icount = if sim {
            file.contains("-icount")
        } else {
            runs.iter()
                .any(|r| (r.gns as f64 / r.ns as f64 - 1.0).abs() > 0.1)
        };
        Ok(XdpLog {
            source: Source {
                command: format!(
                    "make run BENCH=xdp{}{}",
                    if sim { "_sim" } else { "" },
                    if icount { " ICOUNT=1" } else { "" }
                ),
                release: crate::log::booted(text)
                    .map(|b| b.0)
                    .unwrap_or_else(|| "unknown".into()),
                date: date_from_name(&file).unwrap_or_else(|| mtime_date.to_string()),
                icount,
                file,
            },
            runs,
            sim,
        })
    }
}

/// The logs of one kind (ICOUNT on or off), merged.
struct Group {
    sources: Vec<Source>,
    figures: Figures,
}

fn group(runs: &[RunLog], icount: bool) -> Option<Group> {
    let mut it = runs.iter().filter(|r| r.source.icount == icount);
    let first = it.next()?;
    let mut g = Group {
        sources: vec![first.source.clone()],
        figures: first.figures.clone(),
    };
    for r in it {
        g.sources.push(r.source.clone());
        g.figures.merge(r.figures.clone());
    }
    Some(g)
}

/// What the output directory gets: file name and contents.
pub type Files = Vec<(String, String)>;

/// The notes of a plot and the caption of its figure: the sources and the
/// generator's command.
fn provenance(sources: &[&Source], cmdline: &str) -> Vec<String> {
    let mut v: Vec<String> = sources
        .iter()
        .map(|s| format!("Measured by {}", s.line()))
        .collect();
    v.push(format!("Plotted by {cmdline}"));
    v
}

fn caption(what: &str, notes: &[String]) -> String {
    let mut c = format!("{what}.");
    for n in notes {
        let _ = write!(c, " {}.", rst_literal_commands(n));
    }
    c
}

/// Notes as caption text: the commands in literals.
fn rst_literal_commands(n: &str) -> String {
    if let Some(rest) = n.strip_prefix("Plotted by ") {
        return format!("Plotted by ``{rest}``");
    }
    if let Some(rest) = n.strip_prefix("Measured by ") {
        if let Some((cmd, tail)) = rest.split_once(" (") {
            return format!("Measured by ``{cmd}`` ({tail}");
        }
    }
    n.to_string()
}

fn figure(o: &mut String, file: &str, alt: &str, caption: &str) {
    let _ = writeln!(o, ".. figure:: {file}");
    let _ = writeln!(o, "   :alt: {alt}");
    let _ = writeln!(o, "   :width: 100%");
    let _ = writeln!(o);
    let _ = writeln!(o, "   {caption}");
    let _ = writeln!(o);
}

/// A list-table with a header row.
fn table(o: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(o, ".. list-table::");
    let _ = writeln!(o, "   :header-rows: 1");
    let _ = writeln!(o);
    for row in std::iter::once(header.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .chain(rows.iter().cloned())
    {
        for (i, c) in row.iter().enumerate() {
            let c = if c.is_empty() { "-" } else { c.as_str() };
            let _ = writeln!(o, "   {} {c}", if i == 0 { "* -" } else { "  -" });
        }
    }
    let _ = writeln!(o);
}

fn section(o: &mut String, title: &str, under: char) {
    let _ = writeln!(o, "{title}");
    let _ = writeln!(o, "{}", under.to_string().repeat(title.chars().count()));
    let _ = writeln!(o);
}

fn point(s: Option<Stat>) -> Option<Point> {
    s.map(|s| Point::spread(s.median, s.min, s.max))
}

fn stat_cell(s: Option<Stat>) -> String {
    match s {
        Some(s) if s.n > 1 => format!(
            "{} ({}-{})",
            svg::num(s.median),
            svg::num(s.min),
            svg::num(s.max)
        ),
        Some(s) => svg::num(s.median),
        None => String::new(),
    }
}

/// The per-operation figure of a group: TCG cycles, or instructions (with
/// `-icount shift=0` the guest's clocks, its TSC included, advance by one
/// per instruction).
fn figure_of(g: &Group, k: &Key) -> Option<Stat> {
    g.figures.cycles(k)
}

fn unit(icount: bool) -> &'static str {
    if icount {
        "instructions"
    } else {
        "TCG cycles"
    }
}

fn kind_title(icount: bool) -> &'static str {
    if icount {
        "instruction counts (ICOUNT=1)"
    } else {
        "TCG cycles"
    }
}

fn slug(icount: bool) -> &'static str {
    if icount {
        "icount"
    } else {
        "tcg"
    }
}

fn pools(g: &Group, icount: bool, cmdline: &str, files: &mut Files, o: &mut String) {
    let rows: Vec<_> = g
        .figures
        .pool_rows()
        .into_iter()
        .filter(|r| r.rs.cpu.is_none())
        .collect();
    if rows.is_empty() {
        return;
    }
    section(o, &format!("The three pools, {}", kind_title(icount)), '-');
    let u = unit(icount);
    let mut trs = Vec::new();
    for r in &rows {
        let ratio = |a: &Key, b: &Key| {
            g.figures
                .ratio(a, b)
                .map(|(m, _)| format!("{m:.2}"))
                .unwrap_or_default()
        };
        trs.push(vec![
            format!("``{}`` {}", r.test, report::path_name(&r.test))
                .trim_end()
                .to_string(),
            stat_cell(figure_of(g, &r.rs)),
            stat_cell(figure_of(g, &r.c)),
            stat_cell(figure_of(g, &r.upstream)),
            ratio(&r.rs, &r.c),
            ratio(&r.rs, &r.upstream),
        ]);
    }
    let _ = writeln!(
        o,
        "{u} per operation: the median over the loads (min-max); ratios of the medians."
    );
    let _ = writeln!(o);
    table(
        o,
        &[
            "Test",
            "Rust pool (rs-)",
            "C pool wrapped (c-)",
            "upstream bench_page_pool",
            "rs/c",
            "rs/upstream",
        ],
        &trs,
    );
    let plotted: Vec<_> = rows
        .iter()
        .filter(|r| r.test.contains("page_pool0"))
        .collect();
    let series = |name: &str, pick: fn(&report::PoolRow) -> &Key| Series {
        name: name.into(),
        values: plotted
            .iter()
            .map(|r| point(figure_of(g, pick(r))))
            .collect(),
    };
    let chart = Chart {
        kind: Kind::Bars,
        title: format!(
            "page_pool per operation, three pools, {}",
            kind_title(icount)
        ),
        x_label: "test (context, path)".into(),
        y_label: format!("{u} per operation"),
        log_y: true,
        categories: plotted
            .iter()
            .map(|r| {
                let (ctx, path) = r.test.rsplit_once('-').unwrap_or(("", &r.test));
                format!("{ctx}\n{path}")
            })
            .collect(),
        series: vec![
            series("Rust pool (rs-)", |r| &r.rs),
            series("C pool wrapped (c-)", |r| &r.c),
            series("upstream bench_page_pool", |r| &r.upstream),
        ],
        notes: provenance(&g.sources.iter().collect::<Vec<_>>(), cmdline),
    };
    let file = format!("generated-pools-{}.svg", slug(icount));
    figure(
        o,
        &file,
        &chart.title,
        &caption(
            &format!(
                "The three pools per path, {u} per operation, median and spread over the loads"
            ),
            &chart.notes,
        ),
    );
    files.push((file, svg::render(&chart)));
}

/// The steps of a test, in order, and their figures.
fn steps(g: &Group, module: &str, name: &str) -> Vec<(u32, Option<Stat>)> {
    let mut v: Vec<u32> = g
        .figures
        .tests
        .iter()
        .filter(|(k, _)| k.module == module && k.name == name && k.cpu.is_none())
        .map(|(k, _)| k.step)
        .collect();
    v.sort();
    v.dedup();
    v.into_iter()
        .map(|s| (s, figure_of(g, &Key::new(module, name, s, None))))
        .collect()
}

/// A line plot and table of tests of one module over their steps.
#[allow(clippy::too_many_arguments)]
fn step_plot(
    g: &Group,
    icount: bool,
    cmdline: &str,
    files: &mut Files,
    o: &mut String,
    (module, tests): (&str, &[&str]),
    (title, x_label, step_name, file_stem, log_y): (&str, &str, &str, &str, bool),
    per_what: &str,
) {
    let per: Vec<Vec<(u32, Option<Stat>)>> = tests.iter().map(|t| steps(g, module, t)).collect();
    let mut all: Vec<u32> = per.iter().flatten().map(|(s, _)| *s).collect();
    all.sort();
    all.dedup();
    if all.is_empty() {
        return;
    }
    let u = unit(icount);
    section(o, &format!("{title}, {}", kind_title(icount)), '-');
    let mut header = vec![step_name.to_string()];
    header.extend(tests.iter().map(|t| format!("``{t}``")));
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|s| {
            let mut r = vec![s.to_string()];
            for p in &per {
                r.push(stat_cell(p.iter().find(|(x, _)| x == s).and_then(|x| x.1)));
            }
            r
        })
        .collect();
    let _ = writeln!(
        o,
        "``{module}``, {u} {per_what}: the median over the loads (min-max)."
    );
    let _ = writeln!(o);
    table(
        o,
        &header.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        &rows,
    );
    let chart = Chart {
        kind: Kind::Lines,
        title: format!("{title}, {}", kind_title(icount)),
        x_label: x_label.into(),
        y_label: format!("{u} {per_what}"),
        log_y,
        categories: all.iter().map(|s| s.to_string()).collect(),
        series: tests
            .iter()
            .zip(&per)
            .map(|(t, p)| Series {
                name: t.to_string(),
                values: all
                    .iter()
                    .map(|s| point(p.iter().find(|(x, _)| x == s).and_then(|x| x.1)))
                    .collect(),
            })
            .collect(),
        notes: provenance(&g.sources.iter().collect::<Vec<_>>(), cmdline),
    };
    let file = format!("generated-{file_stem}-{}.svg", slug(icount));
    figure(
        o,
        &file,
        &chart.title,
        &caption(
            &format!("{title}: {module}, {u} {per_what}, median and spread over the loads"),
            &chart.notes,
        ),
    );
    files.push((file, svg::render(&chart)));
}

fn page_alloc(g: &Group, icount: bool, cmdline: &str, files: &mut Files, o: &mut String) {
    step_plot(
        g,
        icount,
        cmdline,
        files,
        o,
        (
            "page_bench01",
            &["alloc_pages_order_step", "put_order_step"],
        ),
        (
            "The page allocator per order",
            "page order",
            "Order",
            "page-alloc-orders",
            true,
        ),
        "per alloc+free of one block",
    );
    step_plot(
        g,
        icount,
        cmdline,
        files,
        o,
        (
            "page_bench04_bulk",
            &[
                "alloc_pages_single",
                "alloc_pages_bulk",
                "alloc_pages_bulk_release",
            ],
        ),
        (
            "Single against bulk allocation",
            "pages per call (bulk size)",
            "Bulk size",
            "page-alloc-bulk",
            false,
        ),
        "per page",
    );
}

/// TCG cycles against instruction counts for the same tests.
fn cycles_vs_instructions(
    tcg: &Group,
    ic: &Group,
    cmdline: &str,
    files: &mut Files,
    o: &mut String,
) {
    let mut keys: Vec<(String, Key)> = Vec::new();
    for r in tcg
        .figures
        .pool_rows()
        .into_iter()
        .filter(|r| r.rs.cpu.is_none() && r.test.starts_with("no-softirq-page_pool0"))
    {
        let path = report::path_name(&r.test);
        keys.push((format!("rs\n{path}"), r.rs.clone()));
        keys.push((format!("c\n{path}"), r.c.clone()));
        keys.push((format!("upstream\n{path}"), r.upstream.clone()));
    }
    keys.push(("page alloc\norder 0".into(), report::page_alloc_single()));
    let keys: Vec<_> = keys
        .into_iter()
        .filter(|(_, k)| tcg.figures.cycles(k).is_some() || ic.figures.cycles(k).is_some())
        .collect();
    if keys.is_empty() {
        return;
    }
    section(o, "TCG cycles against instruction counts", '=');
    let _ = writeln!(
        o,
        "The same tests timed in TCG cycles (a boot without ICOUNT) and counted in \
         guest instructions (a boot with ``ICOUNT=1``, where a guest cycle is one \
         instruction); the last column is the cycles each instruction took."
    );
    let _ = writeln!(o);
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|(_, k)| {
            let c = tcg.figures.cycles(k);
            let i = ic.figures.cycles(k);
            vec![
                format!("{} ``{}``", k.module, k.name),
                stat_cell(c),
                stat_cell(i),
                match (c, i) {
                    (Some(c), Some(i)) if i.median > 0.0 => format!("{:.2}", c.median / i.median),
                    _ => String::new(),
                },
            ]
        })
        .collect();
    table(
        o,
        &[
            "Test",
            "TCG cycles",
            "instructions",
            "cycles per instruction",
        ],
        &rows,
    );
    let sources: Vec<&Source> = tcg.sources.iter().chain(&ic.sources).collect();
    let chart = Chart {
        kind: Kind::Bars,
        title: "TCG cycles and instructions per operation".into(),
        x_label: "test".into(),
        y_label: "per operation".into(),
        log_y: true,
        categories: keys.iter().map(|(l, _)| l.clone()).collect(),
        series: vec![
            Series {
                name: "TCG cycles (ICOUNT off)".into(),
                values: keys
                    .iter()
                    .map(|(_, k)| point(tcg.figures.cycles(k)))
                    .collect(),
            },
            Series {
                name: "instructions (ICOUNT=1)".into(),
                values: keys
                    .iter()
                    .map(|(_, k)| point(ic.figures.cycles(k)))
                    .collect(),
            },
        ],
        notes: provenance(&sources, cmdline),
    };
    let file = "generated-tcg-icount.svg".to_string();
    figure(
        o,
        &file,
        &chart.title,
        &caption(
            "TCG cycles and instructions per operation, median and spread over the loads",
            &chart.notes,
        ),
    );
    files.push((file, svg::render(&chart)));
}

/// The XDP benchmark's section: of the virtio NIC's logs, or with `sim`
/// of the simulated CQ NIC's.
fn xdp_section(xdps: &[XdpLog], sim: bool, cmdline: &str, files: &mut Files, o: &mut String) {
    let pick = |icount: bool| -> Option<(Vec<&Source>, Vec<xdp::Summary>)> {
        let logs: Vec<&XdpLog> = xdps
            .iter()
            .filter(|x| x.sim == sim && x.source.icount == icount)
            .collect();
        if logs.is_empty() {
            return None;
        }
        let runs: Vec<xdp::Run> = logs.iter().flat_map(|x| x.runs.iter().cloned()).collect();
        Some((
            logs.iter().map(|x| &x.source).collect(),
            xdp::summarise(&runs),
        ))
    };
    let wall = pick(false);
    let ic = pick(true);
    // Frames per second from a wall-clock boot when there is one; guest
    // ns per frame from an ICOUNT boot when there is one.
    let Some(pps) = wall.as_ref().or(ic.as_ref()) else {
        return;
    };
    let gns = ic.as_ref().or(wall.as_ref()).expect("one of them");
    if sim {
        section(o, "The XDP benchmark on the simulated CQ NIC", '=');
        let _ = writeln!(
            o,
            "``xdp_cqsim``'s device thread sends as fast as the RX ring takes frames: \
             frames per second the device completed (median of the runs and min-max), \
             and nanoseconds per frame of the driver's NAPI polls alone (its \
             ``rx_poll_ns``; with ``ICOUNT=1`` instructions per frame), per pool, XDP \
             mode and case; see :doc:`../usage/xdp_benchmark` for the cases."
        );
    } else {
        section(o, "The XDP benchmark", '=');
        let _ = writeln!(
            o,
            "Frames per second through the test box's NIC (the generator's count, \
             median of the runs and min-max) and guest nanoseconds per frame (with \
             ``ICOUNT=1`` guest instructions per frame), per driver, XDP mode and case; \
             see :doc:`../usage/xdp_benchmark` for the cases."
        );
    }
    let _ = writeln!(o);
    let mut rows = Vec::new();
    for x in &pps.1 {
        let g = gns
            .1
            .iter()
            .find(|y| y.driver == x.driver && y.mode == x.mode && y.case == x.case);
        rows.push(vec![
            x.driver.clone(),
            x.mode.clone(),
            x.case.clone(),
            format!(
                "{} ({}-{})",
                svg::num(x.pps),
                svg::num(x.pps_min),
                svg::num(x.pps_max)
            ),
            g.map(|g| format!("{:.0}", g.gns_per_pkt))
                .unwrap_or_default(),
            x.runs.to_string(),
        ]);
    }
    let gns_head = match (sim, gns.0.iter().any(|s| s.icount)) {
        (false, true) => "guest ns per frame (ICOUNT=1)",
        (false, false) => "guest ns per frame",
        (true, true) => "NAPI ns per frame (ICOUNT=1)",
        (true, false) => "NAPI ns per frame",
    };
    table(
        o,
        &["Driver", "Mode", "Case", "pps (min-max)", gns_head, "Runs"],
        &rows,
    );
    let mut cases: Vec<String> = Vec::new();
    let mut drivers: Vec<String> = Vec::new();
    for x in pps.1.iter().chain(&gns.1) {
        if !cases.contains(&x.case) {
            cases.push(x.case.clone());
        }
        let d = format!("{}/{}", x.driver, x.mode);
        if !drivers.contains(&d) {
            drivers.push(d);
        }
    }
    let chart_of = |s: &[xdp::Summary], gns: bool| -> Vec<Series> {
        drivers
            .iter()
            .filter_map(|d| {
                let values: Vec<Option<Point>> = cases
                    .iter()
                    .map(|c| {
                        s.iter()
                            .find(|x| format!("{}/{}", x.driver, x.mode) == *d && x.case == *c)
                            .map(|x| {
                                if gns {
                                    Point::new(x.gns_per_pkt)
                                } else {
                                    Point::spread(x.pps, x.pps_min, x.pps_max)
                                }
                            })
                    })
                    .collect();
                values.iter().any(|v| v.is_some()).then(|| Series {
                    name: d.clone(),
                    values,
                })
            })
            .collect()
    };
    let (stem, what) = if sim {
        ("generated-xdp-sim", "XDP benchmark, simulated CQ NIC")
    } else {
        ("generated-xdp", "XDP benchmark")
    };
    let ns_what = if sim { "NAPI ns" } else { "guest ns" };
    for (file, title, y, data, is_gns) in [
        (
            format!("{stem}-pps.svg"),
            format!("{what}: frames per second"),
            "frames per second".to_string(),
            pps,
            false,
        ),
        (
            format!("{stem}-gns.svg"),
            format!("{what}: {ns_what} per frame"),
            if gns.0.iter().any(|s| s.icount) {
                format!("{ns_what} (instructions) per frame")
            } else {
                format!("{ns_what} per frame")
            },
            gns,
            true,
        ),
    ] {
        let (file, title) = (file.as_str(), title.as_str());
        let chart = Chart {
            kind: Kind::Bars,
            title: title.into(),
            x_label: "case".into(),
            y_label: y,
            log_y: false,
            categories: cases.clone(),
            series: chart_of(&data.1, is_gns),
            notes: provenance(&data.0, cmdline),
        };
        figure(
            o,
            file,
            title,
            &caption(&format!("{title}, per driver/mode and case"), &chart.notes),
        );
        files.push((file.to_string(), svg::render(&chart)));
    }
}

/// Every file of the reports. `cmdline` is the generator's command as it
/// is to be quoted (file names only, no directories).
pub fn generate(runs: &[RunLog], xdps: &[XdpLog], cmdline: &str) -> Files {
    let mut files = Files::new();
    let mut top = String::new();
    let _ = writeln!(top, ".. SPDX-License-Identifier: GPL-2.0");
    let _ = writeln!(top, "..");
    let _ = writeln!(
        top,
        ".. Written by pkrs-check docs-report (make reports): do not edit."
    );
    let _ = writeln!(top);
    section(&mut top, "Generated reports", '=');
    let _ = writeln!(
        top,
        "Made by ``{cmdline}`` (``make reports``) from these logs, every figure \
         from the test box (QEMU TCG, 2 vCPUs):"
    );
    let _ = writeln!(top);
    let mut rows = Vec::new();
    for s in runs
        .iter()
        .map(|r| (&r.source, r.figures.runs.iter().map(|x| x.1.len()).max()))
        .chain(xdps.iter().map(|x| (&x.source, None)))
    {
        rows.push(vec![
            format!("``{}``", s.0.file),
            format!("``{}``", s.0.command),
            s.0.release.clone(),
            s.0.date.clone(),
            s.0.icount_word().to_string(),
            s.1.map(|n| format!("{n} per module")).unwrap_or_default(),
        ]);
    }
    table(
        &mut top,
        &["Log", "Command", "Kernel", "Date", "ICOUNT", "Loads"],
        &rows,
    );
    let problems: Vec<String> = runs
        .iter()
        .flat_map(|r| {
            r.figures
                .problems
                .iter()
                .map(|p| format!("{}: {p}", r.source.file))
        })
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(top, "Missing from the logs:");
        let _ = writeln!(top);
        for p in problems {
            let _ = writeln!(top, "- {p}");
        }
        let _ = writeln!(top);
    }
    let tcg = group(runs, false);
    let ic = group(runs, true);
    let groups: Vec<(bool, &Group)> = [(false, tcg.as_ref()), (true, ic.as_ref())]
        .into_iter()
        .filter_map(|(i, g)| g.map(|g| (i, g)))
        .collect();

    let frag = |name: &str, body: String, files: &mut Files, top: &mut String| {
        if body.is_empty() {
            return;
        }
        let file = format!("generated-{name}.rst");
        let _ = writeln!(top, ".. include:: {file}");
        let _ = writeln!(top);
        files.push((
            file,
            format!(".. SPDX-License-Identifier: GPL-2.0\n\n{body}"),
        ));
    };

    let mut body = String::new();
    for (i, g) in &groups {
        pools(g, *i, cmdline, &mut files, &mut body);
    }
    if !body.is_empty() {
        let mut b = String::new();
        section(&mut b, "The three pools per path", '=');
        let _ = writeln!(
            b,
            "``page_pool_bench``'s Rust pool (``rs-``) and the kernel's C pool behind the \
             same interface (``c-``), loaded in the same boot as the kernel's own C \
             benchmark ``bench_page_pool`` (which has only the ``no-softirq`` tests)."
        );
        let _ = writeln!(b);
        body = b + &body;
    }
    frag("pools", body, &mut files, &mut top);

    let mut body = String::new();
    for (i, g) in &groups {
        page_alloc(g, *i, cmdline, &mut files, &mut body);
    }
    if !body.is_empty() {
        let mut b = String::new();
        section(&mut b, "The page allocator", '=');
        let _ = writeln!(
            b,
            "``page_bench01``: an alloc and a free of one block of each order \
             (``alloc_pages_order_step`` frees with ``__free_pages()``, \
             ``put_order_step`` with ``put_page()``); ``page_bench04_bulk``: order-0 \
             pages one call each against ``alloc_pages_bulk()`` filling an array."
        );
        let _ = writeln!(b);
        body = b + &body;
    }
    frag("page-alloc", body, &mut files, &mut top);

    let mut body = String::new();
    if let (Some(t), Some(i)) = (&tcg, &ic) {
        cycles_vs_instructions(t, i, cmdline, &mut files, &mut body);
    }
    frag("icount", body, &mut files, &mut top);

    let mut body = String::new();
    xdp_section(xdps, false, cmdline, &mut files, &mut body);
    frag("xdp", body, &mut files, &mut top);

    let mut body = String::new();
    xdp_section(xdps, true, cmdline, &mut files, &mut body);
    frag("xdp-sim", body, &mut files, &mut top);

    files.insert(0, ("generated.rst".into(), top));
    files
}

/// A file `docs-report` owns in its output directory: the ones it writes
/// (and removes before writing, so that no stale one stays).
pub fn is_generated(name: &str) -> bool {
    name == "generated.rst"
        || (name.starts_with("generated-")
            && (name.ends_with(".rst") || name.ends_with(".svg") || name.ends_with(".inc")))
}

/// Days since 1970-01-01 as `YYYY-MM-DD` (proleptic Gregorian).
pub fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            date_from_name("xdp-bench-20261201-102503-icount.log").as_deref(),
            Some("2026-12-01 10:25")
        );
        assert_eq!(date_from_name("x.log"), None);
        assert_eq!(short_date("2026-12-01T10:30:59Z"), "2026-12-01 10:30");
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_423), "2025-12-01");
        assert_eq!(civil_date(-1), "1969-12-31");
    }

    #[test]
    fn owned_files() {
        assert!(is_generated("generated.rst"));
        assert!(is_generated("generated-xdp.rst"));
        assert!(is_generated("generated-pools-tcg.svg"));
        assert!(!is_generated("index.rst"));
        assert!(!is_generated("logo.svg"));
    }
}
