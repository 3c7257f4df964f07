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
    /// The commit measured, when the log says.
    pub commit: Option<String>,
}

impl Source {
    fn icount_word(&self) -> &'static str {
        if self.icount {
            "on"
        } else {
            "off"
        }
    }

    /// One line: `make run ... (run-x.log): kernel R, D, commit C,
    /// ICOUNT on`.
    pub fn line(&self) -> String {
        format!(
            "{} ({}): kernel {}, {}, commit {}, ICOUNT {}",
            self.command,
            self.file,
            self.release,
            self.date,
            self.commit.as_deref().unwrap_or("not recorded"),
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

/// The order configurations are shown in: QEMU's default first, then the
/// like-for-like one, then any other.
fn cfg_rank(c: &str) -> u8 {
    match c {
        "default" => 0,
        "like" => 1,
        _ => 2,
    }
}

/// One XDP log per benchmark (virtio or simulated NIC), clock (ICOUNT on
/// or off) and device configuration: rounds are paired by number, and
/// rounds of two boots cannot be paired.
pub fn check_xdp_logs(logs: &[XdpLog]) -> Result<(), String> {
    let mut seen: Vec<(bool, bool, String, &str)> = Vec::new();
    for l in logs {
        let mut cfgs: Vec<&str> = l.runs.iter().map(|r| r.cfg.as_str()).collect();
        cfgs.dedup();
        for c in cfgs {
            if let Some(o) = seen
                .iter()
                .find(|x| x.0 == l.sim && x.1 == l.source.icount && x.2 == c)
            {
                return Err(format!(
                    "{} and {}: two XDP logs of configuration {c} with ICOUNT {}: keep one \
                     (rounds of two boots cannot be paired)",
                    o.3,
                    l.source.file,
                    if l.source.icount { "on" } else { "off" }
                ));
            }
            seen.push((l.sim, l.source.icount, c.to_string(), &l.source.file));
        }
    }
    Ok(())
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
        let commit = h.as_ref().and_then(|h| h.commit.clone());
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
                commit,
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
        let info = xdp::info(text);
        let icount = match info.get("icount") {
            Some(v) => v == "1",
            None if sim => file.contains("-icount"),
            None => runs
                .iter()
                .any(|r| (r.gns as f64 / r.ns as f64 - 1.0).abs() > 0.1),
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
                commit: info.get("commit").cloned(),
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

/// An interval cell: `[lo, hi]`, or `-` with too few rounds or boots for one.
fn ci_cell(ci: Option<(f64, f64)>, ratio: bool) -> String {
    match ci {
        Some((a, b)) if ratio => format!("[{a:.2}, {b:.2}]"),
        Some((a, b)) => format!("[{}, {}]", svg::num(a), svg::num(b)),
        None => "-".into(),
    }
}

/// The XDP benchmark's section: of the virtio NIC's logs, or with `sim`
/// of the simulated CQ NIC's. Per log kind (ICOUNT off, on) and device
/// configuration: the valid runs' medians with 95 % intervals, the
/// invalid runs and why, the ratios paired by round, and plots.
fn xdp_section(xdps: &[XdpLog], sim: bool, cmdline: &str, files: &mut Files, o: &mut String) {
    let logs: Vec<&XdpLog> = xdps.iter().filter(|x| x.sim == sim).collect();
    if logs.is_empty() {
        return;
    }
    if sim {
        section(o, "The XDP benchmark on the simulated CQ NIC", '=');
        let _ = writeln!(
            o,
            "``xdp_cqsim``'s device thread sends as fast as the RX ring takes frames: \
             frames per second the device completed, and the NET_RX softirq's \
             nanoseconds per frame (with ``ICOUNT=1`` instructions per frame), per \
             pool, XDP mode and case; see :doc:`../usage/xdp_benchmark`."
        );
    } else {
        section(o, "The XDP benchmark", '=');
        let _ = writeln!(
            o,
            "Frames per second through the test box's NIC (the generator's count) and \
             the NET_RX softirq's nanoseconds per frame (with ``ICOUNT=1`` guest \
             instructions per frame), per device configuration, driver, XDP mode and \
             case; see :doc:`../usage/xdp_benchmark` for the cases, the \
             configurations and the per-run checks."
        );
    }
    let _ = writeln!(
        o,
        "\nOnly runs whose counts agree (frames sent, received, seen by the program, \
         counted by the driver's verdict counter, reaching the stack or the other \
         NIC) are used, and round 1 of each boot is left out; medians with a \
         distribution-free 95 % interval. Ratios are paired round by round: \
         *a* / *b* in frames per second, and *b*'s cost per frame over *a*'s, so \
         that above 1 means *a* is faster or cheaper; \"ahead\" or \"behind\" when \
         the 95 % interval leaves out 1. A log of one boot gives intervals over \
         its rounds, and those do not cover how much a second boot moves; a log of \
         several boots (``scripts/xdp-bench.sh --boots``) takes each boot's median \
         as one value and gives the interval over the boots, none below six.\n"
    );
    for icount in [false, true] {
        let mine: Vec<&&XdpLog> = logs.iter().filter(|x| x.source.icount == icount).collect();
        if mine.is_empty() {
            continue;
        }
        let runs: Vec<xdp::Run> = mine.iter().flat_map(|x| x.runs.iter().cloned()).collect();
        let sources: Vec<&Source> = mine.iter().map(|x| &x.source).collect();
        let summ = xdp::summarise(&runs);
        let pairs = xdp::paired(&runs);
        let kind = if icount { "ICOUNT=1" } else { "ICOUNT off" };
        let cost_unit = if icount {
            "instructions per frame"
        } else {
            "ns per frame"
        };
        let mut cfgs: Vec<String> = Vec::new();
        for x in &summ {
            if !cfgs.contains(&x.cfg) {
                cfgs.push(x.cfg.clone());
            }
        }
        cfgs.sort_by_key(|c| cfg_rank(c));
        for cfg in &cfgs {
            let title = if sim {
                format!("Simulated CQ NIC, {kind}")
            } else {
                format!("Configuration ``{cfg}``, {kind}")
            };
            section(o, &title, '-');
            // The logs this configuration's runs come from.
            let sources: Vec<&Source> = sources
                .iter()
                .zip(&mine)
                .filter(|(_, l)| l.runs.iter().any(|r| r.cfg == *cfg))
                .map(|(s, _)| *s)
                .collect();
            let _ = writeln!(o, "Measured by:\n");
            for s in &sources {
                let _ = writeln!(o, "- {}", rst_literal_commands(&s.line()));
            }
            let _ = writeln!(o);
            let mut rows = Vec::new();
            let rows_of: Vec<&xdp::Summary> = summ.iter().filter(|x| x.cfg == *cfg).collect();
            for x in &rows_of {
                let why: Vec<String> = x.invalid.iter().map(|(w, n)| format!("{n}: {w}")).collect();
                rows.push(vec![
                    x.driver.clone(),
                    x.mode.clone(),
                    x.case.clone(),
                    if x.runs > 0 {
                        svg::num(x.pps)
                    } else {
                        "-".into()
                    },
                    ci_cell(x.pps_ci, false),
                    if x.runs > 0 {
                        format!("{:.0}", x.gns_per_pkt)
                    } else {
                        "-".into()
                    },
                    ci_cell(x.gns_ci, false),
                    // A redirect's frames out of the other NIC per second.
                    if x.case == "redirect" && x.runs > 0 {
                        format!("{} {}", svg::num(x.fwd_pps), ci_cell(x.fwd_pps_ci, false))
                    } else {
                        String::new()
                    },
                    format!("{}/{}", x.runs, x.total),
                    why.join("; "),
                ]);
            }
            let cost_head = format!("softirq {cost_unit}");
            table(
                o,
                &[
                    "Driver",
                    "Mode",
                    "Case",
                    "pps",
                    "95 %",
                    &cost_head,
                    "95 %",
                    "Delivered pps",
                    "Runs used/in log",
                    "Invalid runs",
                ],
                &rows,
            );
            let pc: Vec<&xdp::Paired> = pairs.iter().filter(|x| x.cfg == *cfg).collect();
            if !pc.is_empty() {
                let rows: Vec<Vec<String>> = pc
                    .iter()
                    .map(|x| {
                        vec![
                            x.case.clone(),
                            x.what.clone(),
                            format!("{:.2}", x.pps),
                            ci_cell(x.pps_ci, true),
                            xdp::verdict(x.pps_ci).into(),
                            format!("{:.2}", x.cost),
                            ci_cell(x.cost_ci, true),
                            xdp::verdict(x.cost_ci).into(),
                            x.rounds.to_string(),
                            x.boots.to_string(),
                        ]
                    })
                    .collect();
                table(
                    o,
                    &[
                        "Case", "a/b", "pps a/b", "95 %", "pps", "cost b/a", "95 %", "cost",
                        "Rounds", "Boots",
                    ],
                    &rows,
                );
            }
            if !sim {
                let _ = writeln!(
                    o,
                    "The seed's native/generic XDP_DROP (mlx5, one CPU): {:.2} without \
                     touching the frame, {:.2} reading it (generic XDP always reads it).\n",
                    xdp::SEED_NATIVE_NO_TOUCH / xdp::SEED_GENERIC_READ,
                    xdp::SEED_NATIVE_READ / xdp::SEED_GENERIC_READ
                );
            }
            // Plots: the medians with their intervals as the whiskers.
            let mut cases: Vec<String> = Vec::new();
            let mut drivers: Vec<String> = Vec::new();
            for x in &rows_of {
                if !cases.contains(&x.case) {
                    cases.push(x.case.clone());
                }
                let d = format!("{}/{}", x.driver, x.mode);
                if !drivers.contains(&d) {
                    drivers.push(d);
                }
            }
            let series = |cost: bool| -> Vec<Series> {
                drivers
                    .iter()
                    .filter_map(|d| {
                        let values: Vec<Option<Point>> = cases
                            .iter()
                            .map(|c| {
                                rows_of
                                    .iter()
                                    .find(|x| {
                                        format!("{}/{}", x.driver, x.mode) == *d
                                            && x.case == *c
                                            && x.runs > 0
                                    })
                                    .map(|x| {
                                        let (m, ci) = if cost {
                                            (x.gns_per_pkt, x.gns_ci)
                                        } else {
                                            (x.pps, x.pps_ci)
                                        };
                                        match ci {
                                            Some((a, b)) => Point::spread(m, a, b),
                                            None => Point::new(m),
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
            let stem = if sim {
                "generated-xdp-sim".to_string()
            } else if cfg == "default" {
                "generated-xdp".to_string()
            } else {
                format!("generated-xdp-{cfg}")
            };
            let ic = if icount { "-icount" } else { "" };
            for (cost, file, what, y) in [
                (
                    false,
                    format!("{stem}{ic}-pps.svg"),
                    "frames per second",
                    "frames per second".to_string(),
                ),
                (
                    true,
                    format!("{stem}{ic}-cost.svg"),
                    "softirq cost per frame",
                    format!("softirq {cost_unit}"),
                ),
            ] {
                let title = format!("{}: {what}", title.replace("``", ""));
                let chart = Chart {
                    kind: Kind::Bars,
                    title: title.clone(),
                    x_label: "case".into(),
                    y_label: y,
                    log_y: false,
                    categories: cases.clone(),
                    series: series(cost),
                    notes: provenance(&sources, cmdline),
                };
                figure(
                    o,
                    &file,
                    &title,
                    &caption(
                        &format!("{title}, per driver/mode and case; whiskers: the 95 % interval of the median"),
                        &chart.notes,
                    ),
                );
                files.push((file, svg::render(&chart)));
            }
        }
    }
}

/// Every file of the reports. `cmdline` is the generator's command as it
/// is to be quoted (file names only, no directories).
pub fn generate(runs: &[RunLog], xdps: &[XdpLog], cmdline: &str) -> Files {
    generate_with_repeats(runs, xdps, &[], cmdline)
}

/// Whether two boots of the XDP benchmark agree: for each repeat log, the
/// published log of the same benchmark, clock and configurations, and
/// `pkrs-check xdp-agree`'s comparison of the two, pair by pair.
fn repeat_section(xdps: &[XdpLog], repeats: &[XdpLog], o: &mut String) {
    if repeats.is_empty() {
        return;
    }
    section(o, "Two boots of the XDP benchmark", '=');
    let _ = writeln!(
        o,
        "The same command run again, in another boot (its log in \
         ``Documentation/reports/logs/repeat/``), against the log the tables \
         above come from: for every paired ratio both have, the two 95 % \
         intervals and whether they overlap (``pkrs-check xdp-agree``). A ratio \
         one log cannot make, or without an interval, counts as a disagreement.\n"
    );
    let cfgs = |x: &XdpLog| {
        let mut c: Vec<String> = x.runs.iter().map(|r| r.cfg.clone()).collect();
        c.sort();
        c.dedup();
        c
    };
    for r in repeats {
        let Some(m) = xdps
            .iter()
            .find(|x| x.sim == r.sim && x.source.icount == r.source.icount && cfgs(x) == cfgs(r))
        else {
            let _ = writeln!(
                o,
                "``{}``: no published log of the same kind to compare with.\n",
                r.source.file
            );
            continue;
        };
        let x = xdp::agreement(&m.runs, &r.runs);
        let (lines, ok) = (&x.lines, x.ok);
        section(
            o,
            &format!("``{}`` against ``{}``", m.source.file, r.source.file),
            '-',
        );
        let _ = writeln!(
            o,
            "{} (commit {}) and {} (commit {}), ICOUNT {}: {} of {} comparisons agree{}; \
             the verdict is the same in {} of {}.\n",
            m.source.date,
            m.source.commit.as_deref().unwrap_or("not recorded"),
            r.source.date,
            r.source.commit.as_deref().unwrap_or("not recorded"),
            r.source.icount_word(),
            x.overlap,
            lines.len(),
            if ok {
                ""
            } else {
                " (the others are listed first)"
            },
            x.same_verdict,
            lines.len()
        );
        let _ = writeln!(o, ".. code-block:: text\n");
        let mut sorted: Vec<&String> = lines.iter().filter(|l| l.ends_with("DISAGREE")).collect();
        sorted.extend(lines.iter().filter(|l| !l.ends_with("DISAGREE")));
        let _ = writeln!(
            o,
            "   {:<8} {:<10} {:<26} {:<5} {:>7} {:<15} {:>7} {:<15} {:<15} intervals",
            "cfg", "case", "a/b", "ratio", "log 1", "[95%]", "log 2", "[95%]", "verdicts"
        );
        for l in sorted {
            let _ = writeln!(o, "   {l}");
        }
        let _ = writeln!(o);
    }
}

/// [`generate`], with the repeat logs' agreement section.
pub fn generate_with_repeats(
    runs: &[RunLog],
    xdps: &[XdpLog],
    repeats: &[XdpLog],
    cmdline: &str,
) -> Files {
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

    let mut body = String::new();
    repeat_section(xdps, repeats, &mut body);
    frag("xdp-repeat", body, &mut files, &mut top);

    files.insert(0, ("generated.rst".into(), top));
    files
}

/// The markers of README.md's generated block (`docs-report --readme`).
pub const README_BEGIN: &str =
    "<!-- make reports: begin (generated from Documentation/reports/logs/: do not edit) -->";
pub const README_END: &str = "<!-- make reports: end -->";

fn md_table(o: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(o, "| {} |", header.join(" | "));
    let _ = writeln!(o, "|{}", "---|".repeat(header.len()));
    for r in rows {
        let _ = writeln!(o, "| {} |", r.join(" | "));
    }
    let _ = writeln!(o);
}

/// README.md's generated block (without its markers): the figures of the
/// same logs as the reports, in Markdown, each table with the logs (and
/// commits) it comes from.
pub fn readme(runs: &[RunLog], xdps: &[XdpLog]) -> String {
    let mut o = String::new();
    let src = |o: &mut String, sources: &[&Source]| {
        for s in sources {
            let _ = writeln!(
                o,
                "- {}",
                s.line().replace(" (", " (`").replace("): ", "`): ")
            );
        }
        let _ = writeln!(o);
    };
    for icount in [false, true] {
        let Some(g) = group(runs, icount) else {
            continue;
        };
        let rows: Vec<_> = g
            .figures
            .pool_rows()
            .into_iter()
            .filter(|r| r.rs.cpu.is_none())
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(
            o,
            "**page_pool, {} per operation** (median over the loads, min-max), from:\n",
            unit(icount)
        );
        src(&mut o, &g.sources.iter().collect::<Vec<_>>());
        let trs: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let ratio = |a: &Key, b: &Key| {
                    g.figures
                        .ratio(a, b)
                        .map(|(m, _)| format!("{m:.2}"))
                        .unwrap_or_default()
                };
                vec![
                    format!("`{}` {}", r.test, report::path_name(&r.test))
                        .trim_end()
                        .to_string(),
                    stat_cell(figure_of(&g, &r.rs)),
                    stat_cell(figure_of(&g, &r.c)),
                    stat_cell(figure_of(&g, &r.upstream)),
                    ratio(&r.rs, &r.c),
                    ratio(&r.rs, &r.upstream),
                ]
            })
            .collect();
        md_table(
            &mut o,
            &[
                "test",
                "Rust pool",
                "C pool (wrapped)",
                "upstream C bench",
                "Rust / C",
                "Rust / upstream",
            ],
            &trs,
        );
    }
    for sim in [false, true] {
        for icount in [false, true] {
            let mine: Vec<&XdpLog> = xdps
                .iter()
                .filter(|x| x.sim == sim && x.source.icount == icount)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let runs: Vec<xdp::Run> = mine.iter().flat_map(|x| x.runs.iter().cloned()).collect();
            let summ = xdp::summarise(&runs);
            let pairs = xdp::paired(&runs);
            let mut cfgs: Vec<String> = Vec::new();
            for x in &summ {
                if !cfgs.contains(&x.cfg) {
                    cfgs.push(x.cfg.clone());
                }
            }
            cfgs.sort_by_key(|c| cfg_rank(c));
            let cost = if icount { "instructions" } else { "ns" };
            for cfg in &cfgs {
                let _ = writeln!(
                    o,
                    "**{}, configuration `{cfg}`{}**: medians of the valid runs past \
                     round 1 (frames per second; NET_RX softirq {cost} per frame), and \
                     ratios paired by round with their 95 % interval, from:\n",
                    if sim {
                        "XDP on the simulated CQ NIC"
                    } else {
                        "XDP benchmark"
                    },
                    if icount { ", ICOUNT=1" } else { "" }
                );
                src(
                    &mut o,
                    &mine
                        .iter()
                        .filter(|x| x.runs.iter().any(|r| r.cfg == *cfg))
                        .map(|x| &x.source)
                        .collect::<Vec<_>>(),
                );
                let mut cases: Vec<&str> = Vec::new();
                let mut drivers: Vec<(String, String)> = Vec::new();
                for x in summ.iter().filter(|x| x.cfg == *cfg) {
                    if !cases.contains(&x.case.as_str()) {
                        cases.push(&x.case);
                    }
                    let d = (x.driver.clone(), x.mode.clone());
                    if !drivers.contains(&d) {
                        drivers.push(d);
                    }
                }
                let mut head: Vec<String> = vec!["case".into()];
                for (d, m) in &drivers {
                    head.push(if m == "drv" {
                        d.clone()
                    } else {
                        format!("{d} {m}")
                    });
                }
                let pair_names: Vec<&str> = {
                    let mut v: Vec<&str> = Vec::new();
                    for p in pairs.iter().filter(|p| p.cfg == *cfg) {
                        if !v.contains(&p.what.as_str()) {
                            v.push(&p.what);
                        }
                    }
                    v
                };
                for p in &pair_names {
                    head.push(format!("{p} pps [95 %]"));
                }
                let mut rows = Vec::new();
                for c in &cases {
                    for (what, is_cost) in [("pps", false), (cost, true)] {
                        let mut r = vec![format!("{c}, {what}")];
                        for (d, m) in &drivers {
                            r.push(
                                summ.iter()
                                    .find(|x| {
                                        x.cfg == *cfg
                                            && x.driver == *d
                                            && x.mode == *m
                                            && x.case == *c
                                            && x.runs > 0
                                    })
                                    .map(|x| {
                                        if is_cost {
                                            format!("{:.0}", x.gns_per_pkt)
                                        } else {
                                            svg::num(x.pps)
                                        }
                                    })
                                    .unwrap_or_default(),
                            );
                        }
                        for p in &pair_names {
                            r.push(
                                pairs
                                    .iter()
                                    .find(|x| x.cfg == *cfg && x.case == *c && x.what == *p)
                                    .map(|x| {
                                        let (v, ci) = if is_cost {
                                            (x.cost, x.cost_ci)
                                        } else {
                                            (x.pps, x.pps_ci)
                                        };
                                        format!("{v:.2} {}", ci_cell(ci, true))
                                    })
                                    .unwrap_or_default(),
                            );
                        }
                        rows.push(r);
                    }
                }
                let head: Vec<&str> = head.iter().map(String::as_str).collect();
                md_table(&mut o, &head, &rows);
                let bad: usize = summ
                    .iter()
                    .filter(|x| x.cfg == *cfg)
                    .map(|x| x.invalid.values().sum::<usize>())
                    .sum();
                let all: usize = summ.iter().filter(|x| x.cfg == *cfg).map(|x| x.total).sum();
                let _ = writeln!(
                    o,
                    "Runs: {all} in the log, {bad} invalid (their counts disagree: \
                     Documentation/reports says which and why). In the ratio columns \
                     the cost rows give *b*'s cost over *a*'s: above 1, *a* is cheaper.\n"
                );
            }
        }
    }
    if xdps.iter().any(|x| !x.sim) {
        let _ = writeln!(
            o,
            "The seed's native/generic XDP_DROP on mlx5: {:.2} without touching the \
             frame ({:.0} / {:.0} pps), {:.2} reading it ({:.0} / {:.0}); generic XDP \
             always reads it.",
            xdp::SEED_NATIVE_NO_TOUCH / xdp::SEED_GENERIC_READ,
            xdp::SEED_NATIVE_NO_TOUCH,
            xdp::SEED_GENERIC_READ,
            xdp::SEED_NATIVE_READ / xdp::SEED_GENERIC_READ,
            xdp::SEED_NATIVE_READ,
            xdp::SEED_GENERIC_READ
        );
    }
    o
}

/// `text` with its generated block replaced by `block`; Err when the
/// markers are missing or out of order.
pub fn splice_readme(text: &str, block: &str) -> Result<String, String> {
    let a = text
        .find(README_BEGIN)
        .ok_or("README.md has no generated block (its begin marker)")?;
    let b = text[a..]
        .find(README_END)
        .map(|i| a + i)
        .ok_or("README.md's generated block has no end marker")?;
    Ok(format!(
        "{}{README_BEGIN}\n{block}{}",
        &text[..a],
        &text[b..]
    ))
}

/// The markers of a quotation of the seed's figures in a hand-written
/// page (an rst comment each): figures between them are the original
/// project's, quoted, not measured here.
pub const SEED_BEGIN: &str = ".. seed figures: begin";
pub const SEED_END: &str = ".. seed figures: end";

/// Whether `w` (a word with its punctuation trimmed) is a figure: at least
/// two digits, or a decimal point, and nothing but digits, separators and
/// a trailing unit sign.
fn is_number(w: &str) -> bool {
    let w = w.trim_end_matches(['k', 'm', 'x', '%', '\u{d7}']);
    let digits = w.chars().filter(char::is_ascii_digit).count();
    w.chars().next().is_some_and(|c| c.is_ascii_digit())
        && w.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        && digits >= 2
}

/// Whether a line of text states a measured figure: a number followed by
/// a unit of measurement (pps, frames/s, cycles, instructions, ns per,
/// times cheaper, x as a ratio), or a table cell of numbers only.
pub fn states_figure(line: &str) -> bool {
    const UNITS: [&str; 8] = [
        "pps",
        "mpps",
        "frames/s",
        "cycles",
        "instructions",
        "ns/frame",
        "ns/pkt",
        "\u{d7}",
    ];
    let words: Vec<String> = line
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| "()[]`*:;,.!?\"'|<>".contains(c))
                .to_lowercase()
        })
        .collect();
    for (i, w) in words.iter().enumerate() {
        if !is_number(w) {
            continue;
        }
        if w.ends_with('\u{d7}') || (w.ends_with('x') && w.contains('.')) {
            return true;
        }
        // The unit, after at most one qualifier ("1.2 million pps",
        // "1736 TCG cycles", "32 ns per frame").
        let mut next = words[i + 1..].iter().take(2);
        let (n1, n2) = (next.next(), next.next());
        let unit = |u: Option<&String>| {
            u.is_some_and(|u| {
                UNITS
                    .iter()
                    .any(|x| u == x || (u.starts_with(x) && x.len() > 2))
            })
        };
        if unit(n1)
            || (n1.is_some_and(|q| ["million", "tcg", "guest"].contains(&q.as_str())) && unit(n2))
        {
            return true;
        }
        let is = |u: Option<&String>, any: &[&str]| u.is_some_and(|u| any.contains(&u.as_str()));
        if (is(n1, &["ns"]) && is(n2, &["per"]))
            || (is(n1, &["times"]) && is(n2, &["cheaper", "as", "faster", "slower", "more"]))
        {
            return true;
        }
    }
    // A table cell or row of numbers: markdown "| 1.2 | 3 |", rst list
    // tables "   - 151,332" or "   - 129 (91)".
    let t = line.trim();
    let cells: Vec<&str> = if t.starts_with('|') {
        t.split('|').collect()
    } else if let Some(c) = t.strip_prefix("* - ").or_else(|| t.strip_prefix("- ")) {
        vec![c]
    } else {
        return false;
    };
    cells.iter().any(|c| {
        let ws: Vec<&str> = c
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| "()`*".contains(c)))
            .filter(|w| !w.is_empty() && *w != "million" && *w != "\u{b1}" && *w != "-")
            .collect();
        !ws.is_empty() && ws.iter().all(|w| is_number(w)) && ws.iter().any(|w| is_number(w))
    })
}

/// Lines outside generated blocks, code and seed quotations that state
/// measured figures (`states_figure`): each must come from the logs, so
/// each is a problem. `rst`: the text is reStructuredText (literal blocks
/// after `::`, seed quotations between SEED_BEGIN and SEED_END), else
/// Markdown (code fences, README's generated block). Returns "LINE: text"
/// for each.
pub fn loose_figures(text: &str, rst: bool) -> Vec<String> {
    let mut out = Vec::new();
    let (mut code, mut gen, mut literal) = (false, false, false);
    for (i, l) in text.lines().enumerate() {
        if rst {
            if literal {
                if l.trim().is_empty() || l.starts_with([' ', '\t']) {
                    continue;
                }
                literal = false;
            }
            let t = l.trim();
            if t.ends_with("::") || t.starts_with(".. code-block::") || t.starts_with(".. code::") {
                literal = true;
            }
            if l.trim() == SEED_BEGIN {
                gen = true;
            } else if l.trim() == SEED_END {
                gen = false;
                continue;
            }
        } else {
            if l.starts_with("```") {
                code = !code;
                continue;
            }
            if l.contains(README_BEGIN) {
                gen = true;
            }
            if l.contains(README_END) {
                gen = false;
                continue;
            }
        }
        if code || gen {
            continue;
        }
        if states_figure(l) {
            out.push(format!("{}: {}", i + 1, l.trim()));
        }
    }
    out
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
    fn figures_in_text() {
        for l in [
            "DROP rs 844k pps against 834k",
            "cost 609 instructions and",
            "1736 TCG cycles: the fast path",
            "about 32 ns per frame natively",
            "rs/virtio_net is 1.12x",
            "native/generic 5.98\u{d7} here",
            "12.7 times cheaper in instructions",
            "     - 151,332",
            "   * - 129 (91)",
            "     - 19.8 million",
            "| drop | 1.36 | 1.09 |",
        ] {
            assert!(states_figure(l), "{l}");
        }
        for l in [
            "at 10000 frames per second, 5000 frames",
            "loads it 10 times",
            "up to 32 bytes, in multiples of 4",
            "x86-64: \"cycles\" are nanoseconds",
            "     - ``XDP_DROP`` (no touch)",
            "   * - 0x1f",
            "| Test | rs | c |",
        ] {
            assert!(!states_figure(l), "{l}");
        }
        let rst = "Text 48 instructions.\n\n.. code-block:: text\n\n   1451 cycles(tsc)\n\nA::\n\n   609 instructions\n\n.. seed figures: begin\n\n- 19.8 million\n\n.. seed figures: end\n\n- 76\n";
        assert_eq!(
            loose_figures(rst, true),
            ["1: Text 48 instructions.", "17: - 76"]
        );
        let md = format!("a 12 pps\n```\n34 pps\n```\n{README_BEGIN}\n| 1.2 | 3.4 |\n{README_END}\n| 5.6 | 78 |\n");
        assert_eq!(
            loose_figures(&md, false),
            ["1: a 12 pps", "8: | 5.6 | 78 |"]
        );
    }

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
