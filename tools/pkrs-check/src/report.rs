//! The figures of `make run` (`tests/guest/run-bench.sh`): each benchmark
//! module loaded `PKRS_BENCH_RUNS` times, one framed step
//! `bench.<module>.<run>` per load (`bench.<module>` counts as run 1), and
//! the summary printed at its end (`pkrs-check run-report LOG`): per test
//! the median over the runs, the spread (min-max), the ratios between the
//! Rust pool (`rs-*`), the C pool it wraps (`c-*`), the kernel's own C
//! bench (`bench_page_pool`) and the page allocator (`page_bench01`).
//!
//! Before its first step the scenario says what it runs:
//!
//! ```text
//! @@PKRS-RUN runs=3 icount=1 date=2026-12-01T10:30:00Z commit=5174651a2b3c
//! @@PKRS-RUN-BENCH page_pool_bench bench_page_pool page_bench01
//! @@PKRS-RUN-ARGS loops=100000
//! ```

use crate::{bench, log};
use std::fmt::Write as _;

/// What the scenario said about the run (its `@@PKRS-RUN` lines).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Header {
    /// Loads of each module.
    pub runs: u32,
    /// Whether the box timed by instruction count (`-icount shift=0`).
    pub icount: Option<bool>,
    /// When the scenario started (the guest's clock, UTC).
    pub date: Option<String>,
    /// The modules it loads, in order (those it found).
    pub modules: Vec<String>,
    /// Their parameters (`BENCH_ARGS`).
    pub args: String,
    /// The commit measured (`git describe --always --dirty`).
    pub commit: Option<String>,
}

impl Header {
    /// The `make run` command line that makes such a run.
    pub fn command(&self) -> String {
        let mut c = format!("make run BENCH=\"{}\"", self.modules.join(" "));
        if !self.args.is_empty() {
            let _ = write!(c, " BENCH_ARGS=\"{}\"", self.args);
        }
        if self.runs != 3 {
            let _ = write!(c, " PKRS_BENCH_RUNS={}", self.runs);
        }
        if self.icount == Some(true) {
            c.push_str(" ICOUNT=1");
        }
        c
    }
}

/// Parses the `@@PKRS-RUN` lines of a log; `None` without them.
pub fn parse_header(log: &str) -> Option<Header> {
    let mut h: Option<Header> = None;
    for line in log.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("@@PKRS-RUN ") {
            let h = h.get_or_insert_with(Header::default);
            for w in rest.split_whitespace() {
                match w.split_once('=') {
                    Some(("runs", v)) => h.runs = v.parse().unwrap_or(0),
                    Some(("icount", v)) => h.icount = Some(v == "1"),
                    Some(("date", v)) => h.date = Some(v.to_string()),
                    Some(("commit", v)) => h.commit = Some(v.to_string()),
                    _ => {}
                }
            }
        } else if let Some(rest) = line.strip_prefix("@@PKRS-RUN-BENCH") {
            let h = h.get_or_insert_with(Header::default);
            h.modules = rest.split_whitespace().map(String::from).collect();
        } else if let Some(rest) = line.strip_prefix("@@PKRS-RUN-ARGS") {
            let h = h.get_or_insert_with(Header::default);
            h.args = rest.trim().to_string();
        }
    }
    h
}

/// One test of one module: its name, step and, for a per-CPU line of a
/// concurrent run, the CPU.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub module: String,
    pub name: String,
    pub step: u32,
    pub cpu: Option<u32>,
}

impl Key {
    pub fn new(module: &str, name: &str, step: u32, cpu: Option<u32>) -> Key {
        Key {
            module: module.into(),
            name: name.into(),
            step,
            cpu,
        }
    }

    /// `Type:<name>` with its step when not 0 and its CPU.
    pub fn label(&self) -> String {
        let mut s = self.name.clone();
        if self.step != 0 {
            let _ = write!(s, " step:{}", self.step);
        }
        if let Some(c) = self.cpu {
            let _ = write!(s, " CPU({c})");
        }
        s
    }
}

/// One result line's figures, from the load `run`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub run: u32,
    pub cycles: u64,
    pub ns: f64,
}

/// The median of a list (the lower middle for an even count, so that it
/// is one of the figures printed), its minimum and maximum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    pub n: usize,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Stat {
    pub fn of(v: &[f64]) -> Option<Stat> {
        if v.is_empty() {
            return None;
        }
        let mut v = v.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        Some(Stat {
            n: v.len(),
            median: v[(v.len() - 1) / 2],
            min: v[0],
            max: v[v.len() - 1],
        })
    }
}

/// Everything a `make run` log (or several merged) measured.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub release: Option<String>,
    pub header: Option<Header>,
    /// Every test with its samples, in the order the log first shows them.
    pub tests: Vec<(Key, Vec<Sample>)>,
    /// Per module, the loads that completed (exit 0, no kernel trouble).
    pub runs: Vec<(String, Vec<u32>)>,
    /// What is missing or went wrong: a load that failed or did not
    /// complete, a test a load did not print.
    pub problems: Vec<String>,
}

/// `bench.<module>.<run>` (or `bench.<module>`, run 1): the module and run.
fn bench_step(id: &str) -> Option<(&str, u32)> {
    let rest = id.strip_prefix("bench.")?;
    match rest.rsplit_once('.') {
        Some((m, r)) if !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()) => {
            Some((m, r.parse().ok()?))
        }
        _ => Some((rest, 1)),
    }
}

/// The tests whose figures the summary compares: when their module ran
/// with its default `run_flags`, a load without one of them is reported.
fn required(module: &str) -> Vec<String> {
    let paths = ["page_pool01", "page_pool02", "page_pool03"];
    match module {
        "page_pool_bench" => {
            let mut v = Vec::new();
            for p in ["rs-", "c-"] {
                for c in ["no-softirq-", "softirq-"] {
                    v.extend(paths.iter().map(|t| format!("{p}{c}{t}")));
                }
            }
            v
        }
        "bench_page_pool" => paths.iter().map(|t| format!("no-softirq-{t}")).collect(),
        "page_bench01" => vec!["single_page_alloc_free".into()],
        _ => vec![],
    }
}

fn list(runs: &[u32]) -> String {
    runs.iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

impl Figures {
    /// Reads a `make run` console log. Malformed or inconsistent result
    /// lines are errors; missing figures are `problems`.
    pub fn parse(text: &str) -> Result<Figures, String> {
        let mut f = Figures {
            release: log::booted(text).map(|b| b.0),
            header: parse_header(text),
            ..Figures::default()
        };
        for step in log::parse_steps(text) {
            let Some((module, run)) = bench_step(&step.id) else {
                continue;
            };
            if let Some(l) = step.dmesg.iter().find(|l| log::is_kernel_trouble(l)) {
                f.problems
                    .push(format!("{}: the kernel reported trouble: {l}", step.id));
                continue;
            }
            if step.rc != 0 {
                f.problems.push(format!(
                    "{}: insmod exited {}: {}",
                    step.id,
                    step.rc,
                    step.output.join(" | ")
                ));
                continue;
            }
            let lines = bench::parse_lines(&step.dmesg).map_err(|e| format!("{}: {e}", step.id))?;
            for l in lines {
                l.validate(0).map_err(|e| format!("{}: {e}", step.id))?;
                f.add(
                    Key::new(&l.module, &l.name, l.step, l.cpu),
                    Sample {
                        run,
                        cycles: l.cycles,
                        ns: l.ns_per_elem(),
                    },
                );
            }
            match f.runs.iter_mut().find(|(m, _)| m == module) {
                Some((_, r)) => r.push(run),
                None => f.runs.push((module.to_string(), vec![run])),
            }
        }
        f.check_complete();
        Ok(f)
    }

    fn add(&mut self, k: Key, s: Sample) {
        match self.tests.iter_mut().find(|(x, _)| *x == k) {
            Some((_, v)) => v.push(s),
            None => self.tests.push((k, vec![s])),
        }
    }

    /// The loads of `module` that completed.
    pub fn module_runs(&self, module: &str) -> &[u32] {
        self.runs
            .iter()
            .find(|(m, _)| m == module)
            .map(|(_, r)| r.as_slice())
            .unwrap_or(&[])
    }

    fn check_complete(&mut self) {
        let want_runs = self.header.as_ref().map(|h| h.runs).unwrap_or(0);
        let mut modules: Vec<String> = self
            .header
            .as_ref()
            .map(|h| h.modules.clone())
            .unwrap_or_default();
        for (m, _) in &self.runs {
            if !modules.contains(m) {
                modules.push(m.clone());
            }
        }
        let flags_given = self
            .header
            .as_ref()
            .is_some_and(|h| h.args.contains("run_flags="));
        let mut problems = Vec::new();
        for m in &modules {
            let runs = self.module_runs(m);
            if runs.is_empty() {
                problems.push(format!("{m}: no load completed (no step bench.{m}.<run>)"));
                continue;
            }
            let missing: Vec<u32> = (1..=want_runs).filter(|r| !runs.contains(r)).collect();
            if !missing.is_empty() {
                problems.push(format!(
                    "{m}: run(s) {} of {want_runs} not in the log",
                    list(&missing)
                ));
            }
            for (k, s) in self.tests.iter().filter(|(k, _)| &k.module == m) {
                let missing: Vec<u32> = runs
                    .iter()
                    .copied()
                    .filter(|r| !s.iter().any(|x| x.run == *r))
                    .collect();
                if !missing.is_empty() {
                    problems.push(format!(
                        "{m}: Type:{} missing in run(s) {}",
                        k.label(),
                        list(&missing)
                    ));
                }
            }
            if !flags_given {
                for name in required(m) {
                    if !self
                        .tests
                        .iter()
                        .any(|(k, _)| &k.module == m && k.name == name)
                    {
                        problems.push(format!("{m}: no Type:{name} line"));
                    }
                }
            }
        }
        self.problems.extend(problems);
    }

    /// Adds another log's figures as more runs (numbered after these).
    pub fn merge(&mut self, other: Figures) {
        let base = self
            .tests
            .iter()
            .flat_map(|(_, s)| s.iter().map(|x| x.run))
            .chain(self.runs.iter().flat_map(|(_, r)| r.iter().copied()))
            .max()
            .unwrap_or(0);
        for (k, s) in other.tests {
            for mut x in s {
                x.run += base;
                self.add(k.clone(), x);
            }
        }
        for (m, r) in other.runs {
            let r: Vec<u32> = r.iter().map(|x| x + base).collect();
            match self.runs.iter_mut().find(|(x, _)| *x == m) {
                Some((_, v)) => v.extend(r),
                None => self.runs.push((m, r)),
            }
        }
        self.problems.extend(other.problems);
        if self.release.is_none() {
            self.release = other.release;
        }
        if self.header.is_none() {
            self.header = other.header;
        }
    }

    pub fn samples(&self, k: &Key) -> &[Sample] {
        self.tests
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, s)| s.as_slice())
            .unwrap_or(&[])
    }

    /// Cycles per element: median and spread over the runs.
    pub fn cycles(&self, k: &Key) -> Option<Stat> {
        let v: Vec<f64> = self.samples(k).iter().map(|s| s.cycles as f64).collect();
        Stat::of(&v)
    }

    /// Nanoseconds per element.
    pub fn ns(&self, k: &Key) -> Option<Stat> {
        let v: Vec<f64> = self.samples(k).iter().map(|s| s.ns).collect();
        Stat::of(&v)
    }

    /// `a / b` in cycles: the ratio of the medians, and the spread of the
    /// ratios of the runs that measured both (one boot, load by load).
    pub fn ratio(&self, a: &Key, b: &Key) -> Option<(f64, Option<Stat>)> {
        let (ma, mb) = (self.cycles(a)?, self.cycles(b)?);
        if mb.median <= 0.0 {
            return None;
        }
        let sb = self.samples(b);
        let per_run: Vec<f64> = self
            .samples(a)
            .iter()
            .filter_map(|x| {
                let y = sb.iter().find(|y| y.run == x.run)?;
                (y.cycles > 0).then(|| x.cycles as f64 / y.cycles as f64)
            })
            .collect();
        Some((ma.median / mb.median, Stat::of(&per_run)))
    }

    pub fn icount(&self) -> Option<bool> {
        self.header.as_ref().and_then(|h| h.icount)
    }

    /// The page_pool comparisons: for each test of the Rust pool
    /// (`page_pool_bench`'s `rs-<test>`), the keys of the three pools.
    pub fn pool_rows(&self) -> Vec<PoolRow> {
        self.tests
            .iter()
            .filter(|(k, _)| k.module == "page_pool_bench")
            .filter_map(|(k, _)| {
                let test = k.name.strip_prefix("rs-")?;
                let rs = k.clone();
                let c = Key::new("page_pool_bench", &format!("c-{test}"), k.step, k.cpu);
                let up = Key::new("bench_page_pool", test, k.step, k.cpu);
                Some(PoolRow {
                    test: Key::new("", test, k.step, k.cpu).label(),
                    rs,
                    c,
                    upstream: up,
                })
            })
            .collect()
    }
}

/// One path of the page_pool, in the three pools.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolRow {
    /// The test without the pool's prefix (`no-softirq-page_pool01`).
    pub test: String,
    pub rs: Key,
    pub c: Key,
    pub upstream: Key,
}

/// What a page_pool test measures, after its name.
pub fn path_name(test: &str) -> &'static str {
    if test.ends_with("page_pool01") {
        "fast path"
    } else if test.ends_with("page_pool02") {
        "ring"
    } else if test.ends_with("page_pool03") {
        "slow path"
    } else {
        ""
    }
}

/// The Rust pool's fast path and the page allocator's order-0 alloc+free.
pub fn rs_fast_path() -> Key {
    Key::new("page_pool_bench", "rs-no-softirq-page_pool01", 0, None)
}
pub fn page_alloc_single() -> Key {
    Key::new("page_bench01", "single_page_alloc_free", 0, None)
}

/// `129 (125-131) 52.8 ns`, or `-`.
fn cell(f: &Figures, k: &Key) -> String {
    match (f.cycles(k), f.ns(k)) {
        (Some(c), Some(n)) => format!(
            "{:.0} ({:.0}-{:.0}) {:.1} ns",
            c.median, c.min, c.max, n.median
        ),
        _ => "-".into(),
    }
}

/// `0.59 (0.57-0.61)`, or `-`.
fn ratio_cell(r: Option<(f64, Option<Stat>)>) -> String {
    match r {
        Some((m, Some(s))) if s.n > 1 => format!("{m:.2} ({:.2}-{:.2})", s.min, s.max),
        Some((m, _)) => format!("{m:.2}"),
        None => "-".into(),
    }
}

const BASELINES: [&str; 3] = ["for_loop", "atomic_inc", "lock"];

/// The summary `make run` ends with.
pub fn report(f: &Figures) -> String {
    let mut o = String::new();
    let runs = f.runs.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
    let mode = match f.icount() {
        Some(true) => "ICOUNT=1: a cycle is a guest instruction",
        Some(false) => "TCG cycles (ICOUNT off)",
        None => "ICOUNT not recorded",
    };
    let _ = writeln!(
        o,
        "make run summary: kernel {}, {} load(s) of each module, {mode}",
        f.release.as_deref().unwrap_or("unknown"),
        runs
    );
    let _ = writeln!(
        o,
        "each figure: median cycles over the loads (min-max), median ns; ratios of the medians in cycles (min-max of the loads' own ratios)"
    );
    let rows = f.pool_rows();
    if !rows.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "{:<32} {:<27} {:<27} {:<27} {:<17} {:<17}",
            "page_pool test",
            "Rust pool (rs-)",
            "C pool wrapped (c-)",
            "upstream bench_page_pool",
            "rs/c",
            "rs/upstream"
        );
        for r in &rows {
            let label = match path_name(&r.test) {
                "" => r.test.clone(),
                p => format!("{} {p}", r.test),
            };
            let _ = writeln!(
                o,
                "{:<32} {:<27} {:<27} {:<27} {:<17} {:<17}",
                label,
                cell(f, &r.rs),
                cell(f, &r.c),
                cell(f, &r.upstream),
                ratio_cell(f.ratio(&r.rs, &r.c)),
                ratio_cell(f.ratio(&r.rs, &r.upstream)),
            );
        }
    }
    let pa = page_alloc_single();
    if f.cycles(&pa).is_some() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "page allocator, order-0 alloc+free (page_bench01 single_page_alloc_free): {}",
            cell(f, &pa)
        );
        let fast = rs_fast_path();
        if f.cycles(&fast).is_some() {
            let _ = writeln!(
                o,
                "page allocator / Rust fast path (rs-no-softirq-page_pool01): {}",
                ratio_cell(f.ratio(&pa, &fast))
            );
        }
    }
    let others: Vec<&Key> = f
        .tests
        .iter()
        .map(|(k, _)| k)
        .filter(|k| {
            !BASELINES.contains(&k.name.as_str())
                && k.module != "page_pool_bench"
                && k.module != "bench_page_pool"
                && **k != pa
        })
        .collect();
    if !others.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "{:<22} {:<36} cycles (min-max), ns",
            "other tests", "Type:"
        );
        for k in others {
            let stepped = f
                .tests
                .iter()
                .any(|(x, _)| x.module == k.module && x.name == k.name && x.step != 0);
            let label = if stepped && k.step == 0 {
                format!("{} step:0", k.label())
            } else {
                k.label()
            };
            let _ = writeln!(o, "{:<22} {:<36} {}", k.module, label, cell(f, k));
        }
    }
    if f.tests.is_empty() {
        let _ = writeln!(o, "no result line in the log");
    }
    for p in &f.problems {
        let _ = writeln!(o, "missing: {p}");
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(m: &str, name: &str, cycles: u64, ns_total: u64) -> String {
        format!(
            "[    1.0] {m}: Type:{name} Per elem: {cycles} cycles(tsc) {}.{:03} ns (step:0) - \
             (measurement period time:0.{ns_total:09} sec time_interval:{ns_total}) - \
             (invoke count:1000 tsc_interval:{})",
            ns_total / 1000,
            ns_total % 1000,
            cycles * 1000
        )
    }

    fn step(id: &str, lines: &[String]) -> String {
        format!(
            "@@PKRS-BEGIN {id}\n@@PKRS-DMESG\n{}\n@@PKRS-END {id} rc=0\n",
            lines.join("\n")
        )
    }

    #[test]
    fn step_ids() {
        assert_eq!(
            bench_step("bench.page_bench01.2"),
            Some(("page_bench01", 2))
        );
        assert_eq!(bench_step("bench.page_bench01"), Some(("page_bench01", 1)));
        assert_eq!(bench_step("page_bench01.default"), None);
    }

    #[test]
    fn header_and_command() {
        let h = parse_header(
            "@@PKRS-RUN runs=5 icount=1 date=2026-12-01T10:00:00Z\n\
             @@PKRS-RUN-BENCH page_bench01 page_bench04_bulk\n@@PKRS-RUN-ARGS loops=2000\n",
        )
        .unwrap();
        assert_eq!(h.runs, 5);
        assert_eq!(h.icount, Some(true));
        assert_eq!(h.modules, vec!["page_bench01", "page_bench04_bulk"]);
        assert_eq!(
            h.command(),
            "make run BENCH=\"page_bench01 page_bench04_bulk\" BENCH_ARGS=\"loops=2000\" PKRS_BENCH_RUNS=5 ICOUNT=1"
        );
        assert_eq!(parse_header("nothing\n"), None);
    }

    #[test]
    fn even_counts_take_the_lower_middle() {
        let s = Stat::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.n), (2.0, 1.0, 4.0, 4));
        assert_eq!(Stat::of(&[]), None);
    }

    #[test]
    fn a_failed_load_and_a_missing_line_are_problems() {
        let mut log = String::from("@@PKRS-RUN runs=2 icount=0\n@@PKRS-RUN-BENCH m\n");
        log += &step(
            "bench.m.1",
            &[line("m", "a", 10, 5000), line("m", "b", 20, 9000)],
        );
        log += &step("bench.m.2", &[line("m", "a", 12, 5000)]);
        let f = Figures::parse(&log).unwrap();
        assert_eq!(f.problems, vec!["m: Type:b missing in run(s) 2"]);
        let log = log.replace("@@PKRS-END bench.m.2 rc=0", "@@PKRS-END bench.m.2 rc=1");
        let f = Figures::parse(&log).unwrap();
        assert_eq!(f.problems.len(), 2, "{:?}", f.problems);
        assert!(f.problems[0].starts_with("bench.m.2: insmod exited 1"));
        assert_eq!(f.problems[1], "m: run(s) 2 of 2 not in the log");
    }

    #[test]
    fn an_inconsistent_line_is_an_error() {
        let bad = line("m", "a", 10, 5000).replace("tsc_interval:10000", "tsc_interval:12000");
        assert!(Figures::parse(&step("bench.m.1", &[bad])).is_err());
    }

    #[test]
    fn merged_logs_add_runs() {
        let a = Figures::parse(&step("bench.m.1", &[line("m", "a", 10, 5000)])).unwrap();
        let b = Figures::parse(&step("bench.m.1", &[line("m", "a", 30, 5000)])).unwrap();
        let mut m = a.clone();
        m.merge(b);
        let k = Key::new("m", "a", 0, None);
        assert_eq!(m.samples(&k).len(), 2);
        assert_eq!(m.module_runs("m"), &[1, 2]);
        assert_eq!(m.cycles(&k).unwrap().max, 30.0);
    }
}
