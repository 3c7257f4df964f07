//! time_bench result lines:
//!
//! `<mod>: Type:<name> Per elem: <N> cycles(tsc) <N>.<NNN> ns (step:<N>) -
//! (measurement period time:<S>.<NNNNNNNNN> sec time_interval:<N>) -
//! (invoke count:<N> tsc_interval:<N>)`, with `CPU(<n>)` in place of
//! `Per elem:` for the per-CPU lines of a concurrent run, and
//! `Sum Type:<name> Average: <N> cycles(tsc) CPUs:<N> step:<N>`.
//!
//! The kernel's C time_bench (tools/testing/selftests/net/bench/page_pool/)
//! prints the same lines but takes the ns decimals as the remainder divided
//! by `invoke count / 1000`: the same figure when the count is a multiple of
//! 1000, else a larger one, of up to 4 digits. Both are accepted.

/// One parsed result line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchLine {
    pub module: String,
    pub name: String,
    pub cpu: Option<u32>,
    pub cycles: u64,
    pub ns: u64,
    pub ns_milli: u64,
    pub step: u32,
    pub period_sec: u64,
    pub period_nsec: u64,
    pub time_interval: u64,
    pub invoked: u64,
    pub tsc_interval: u64,
}

/// A `Sum Type:` line of a concurrent run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumLine {
    pub module: String,
    pub name: String,
    pub average: u64,
    pub cpus: u32,
    pub step: u32,
}

/// Consumes `prefix` from `s`.
fn eat<'a>(s: &'a str, prefix: &str) -> Result<&'a str, String> {
    s.strip_prefix(prefix)
        .ok_or_else(|| format!("expected {prefix:?} at {s:?}"))
}

/// Reads decimal digits up to the first non-digit.
fn num<T: std::str::FromStr>(s: &str) -> Result<(T, &str), String> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return Err(format!("expected a number at {s:?}"));
    }
    let v = s[..end]
        .parse()
        .map_err(|_| format!("number out of range: {:?}", &s[..end]))?;
    Ok((v, &s[end..]))
}

/// Reads `<digits>.<n to max digits>`.
fn fixed(s: &str, n: usize, max: usize) -> Result<(u64, u64, &str), String> {
    let (int, s) = num::<u64>(s)?;
    let s = eat(s, ".")?;
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end < n || end > max {
        return Err(format!("expected {n} decimals at {s:?}"));
    }
    let frac = s[..end].parse().map_err(|_| "bad decimals".to_string())?;
    Ok((int, frac, &s[end..]))
}

/// Splits `<module>: <rest>`; the module name has no spaces.
fn split_module(line: &str) -> Option<(&str, &str)> {
    let (m, rest) = line.split_once(": ")?;
    (!m.is_empty() && !m.contains(' ')).then_some((m, rest))
}

/// Parses a result line (without its kernel timestamp). `Ok(None)` when the
/// line is not a result line at all; `Err` when it claims to be one
/// (`Type:`) but a field is missing or malformed.
pub fn parse_line(line: &str) -> Result<Option<BenchLine>, String> {
    let Some((module, rest)) = split_module(line.trim_end()) else {
        return Ok(None);
    };
    let Some(rest) = rest.strip_prefix("Type:") else {
        return Ok(None);
    };
    let (name, s) = rest.split_once(' ').ok_or("no fields after the name")?;
    if name.is_empty() {
        return Err("empty test name".into());
    }
    let (cpu, s) = if let Some(s) = s.strip_prefix("Per elem: ") {
        (None, s)
    } else {
        let s = eat(s, "CPU(")?;
        let (cpu, s) = num::<u32>(s)?;
        (Some(cpu), eat(s, ") ")?)
    };
    let (cycles, s) = num(s)?;
    let s = eat(s, " cycles(tsc) ")?;
    let (ns, ns_milli, s) = fixed(s, 3, 4)?;
    let s = eat(s, " ns (step:")?;
    let (step, s) = num(s)?;
    let s = eat(s, ") - (measurement period time:")?;
    let (period_sec, period_nsec, s) = fixed(s, 9, 9)?;
    let s = eat(s, " sec time_interval:")?;
    let (time_interval, s) = num(s)?;
    let s = eat(s, ") - (invoke count:")?;
    let (invoked, s) = num(s)?;
    let s = eat(s, " tsc_interval:")?;
    let (tsc_interval, s) = num(s)?;
    let s = eat(s, ")")?;
    if !s.is_empty() {
        return Err(format!("trailing text {s:?}"));
    }
    Ok(Some(BenchLine {
        module: module.into(),
        name: name.into(),
        cpu,
        cycles,
        ns,
        ns_milli,
        step,
        period_sec,
        period_nsec,
        time_interval,
        invoked,
        tsc_interval,
    }))
}

/// Parses a `Sum Type:` line; `Ok(None)` when the line is not one.
pub fn parse_sum(line: &str) -> Result<Option<SumLine>, String> {
    let Some((module, rest)) = split_module(line.trim_end()) else {
        return Ok(None);
    };
    let Some(rest) = rest.strip_prefix("Sum Type:") else {
        return Ok(None);
    };
    let (name, s) = rest.split_once(' ').ok_or("no fields after the name")?;
    let s = eat(s, "Average: ")?;
    let (average, s) = num(s)?;
    let s = eat(s, " cycles(tsc) CPUs:")?;
    let (cpus, s) = num(s)?;
    let s = eat(s, " step:")?;
    let (step, s) = num(s)?;
    if !s.is_empty() {
        return Err(format!("trailing text {s:?}"));
    }
    Ok(Some(SumLine {
        module: module.into(),
        name: name.into(),
        average,
        cpus,
        step,
    }))
}

/// The result lines among `lines` (kernel log lines without their
/// timestamps), in order; an error names the first malformed one.
pub fn parse_lines<S: AsRef<str>>(lines: &[S]) -> Result<Vec<BenchLine>, String> {
    let mut out = Vec::new();
    for line in lines {
        let line = line.as_ref();
        if let Some(l) = parse_line(line).map_err(|e| format!("malformed line {line:?}: {e}"))? {
            out.push(l);
        }
    }
    Ok(out)
}

impl BenchLine {
    /// Nanoseconds per element, with the decimals the line's intervals
    /// give: `time_interval / invoke count` (the line's `<N>.<NNN> ns`
    /// when the count is a multiple of 1000).
    pub fn ns_per_elem(&self) -> f64 {
        self.time_interval as f64 / self.invoked.max(1) as f64
    }

    /// Checks that the fields agree with each other and that the counts
    /// that cannot be zero are not: the per-element figures are the
    /// intervals divided by the invocation count, the period is the
    /// interval in seconds, at least 1000 invocations were timed.
    pub fn validate(&self, min_invoked: u64) -> Result<(), String> {
        let who = format!("Type:{} (step:{})", self.name, self.step);
        if self.invoked < min_invoked.max(1000) {
            return Err(format!(
                "{who}: invoke count {} < {}",
                self.invoked,
                min_invoked.max(1000)
            ));
        }
        if self.tsc_interval == 0 || self.time_interval == 0 {
            return Err(format!("{who}: a zero interval"));
        }
        if self.cycles != self.tsc_interval / self.invoked {
            return Err(format!(
                "{who}: {} cycles != tsc_interval {} / invoke count {}",
                self.cycles, self.tsc_interval, self.invoked
            ));
        }
        let ns = self.time_interval / self.invoked;
        let rem = self.time_interval % self.invoked;
        let milli = rem * 1000 / self.invoked;
        let c_milli = rem / (self.invoked / 1000);
        if self.ns != ns || (self.ns_milli != milli && self.ns_milli != c_milli) {
            return Err(format!(
                "{who}: {}.{:03} ns != time_interval {} / invoke count {}",
                self.ns, self.ns_milli, self.time_interval, self.invoked
            ));
        }
        if self.period_sec * 1_000_000_000 + self.period_nsec != self.time_interval {
            return Err(format!(
                "{who}: period {}.{:09} s != time_interval",
                self.period_sec, self.period_nsec
            ));
        }
        if self.ns == 0 && self.ns_milli == 0 {
            return Err(format!("{who}: zero ns per element"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "page_bench01: Type:alloc_pages_order_step Per elem: 1309 cycles(tsc) \
        504.519 ns (step:0) - (measurement period time:0.050451932 sec time_interval:50451932) \
        - (invoke count:100000 tsc_interval:130931866)";

    #[test]
    fn parses_every_field() {
        let l = parse_line(GOOD).unwrap().unwrap();
        assert_eq!(l.module, "page_bench01");
        assert_eq!(l.name, "alloc_pages_order_step");
        assert_eq!(l.cpu, None);
        assert_eq!((l.cycles, l.ns, l.ns_milli, l.step), (1309, 504, 519, 0));
        assert_eq!(
            (l.period_sec, l.period_nsec, l.time_interval),
            (0, 50451932, 50451932)
        );
        assert_eq!((l.invoked, l.tsc_interval), (100000, 130931866));
        l.validate(100000).unwrap();
    }

    #[test]
    fn parses_upstream_c_bench_lines() {
        // As bench_page_pool.ko (the kernel's C bench) printed it, loops=20000.
        let c = "bench_page_pool: Type:no-softirq-page_pool01 Per elem: 180 cycles(tsc) 70.350 ns \
                 (step:0) - (measurement period time:0.001407013 sec time_interval:1407013) - \
                 (invoke count:20000 tsc_interval:3610724)";
        let l = parse_line(c).unwrap().unwrap();
        assert_eq!(l.module, "bench_page_pool");
        assert_eq!(l.name, "no-softirq-page_pool01");
        assert_eq!((l.cycles, l.ns, l.ns_milli), (180, 70, 350));
        l.validate(20000).unwrap();
        let warn =
            "bench_page_pool: time_bench_page_pool01_fast_path(): Cannot use page_pool fast-path";
        assert_eq!(parse_line(warn).unwrap(), None);
    }

    #[test]
    fn accepts_the_c_bench_decimals_for_counts_not_a_multiple_of_1000() {
        // 76499 ns / 1500: 50 rem 1499; 1499 * 1000 / 1500 = 999 here,
        // 1499 / (1500 / 1000) = 1499 in the C time_bench.
        let line = |dec: &str| {
            format!(
                "bench_page_pool: Type:t Per elem: 100 cycles(tsc) 50.{dec} ns (step:0) - \
                 (measurement period time:0.000076499 sec time_interval:76499) - \
                 (invoke count:1500 tsc_interval:150000)"
            )
        };
        for ok in ["999", "1499"] {
            let l = parse_line(&line(ok)).unwrap().unwrap();
            l.validate(1500).unwrap();
        }
        let l = parse_line(&line("998")).unwrap().unwrap();
        assert!(l.validate(1500).is_err());
        assert!(parse_line(&line("14990")).is_err());
    }

    #[test]
    fn parses_per_cpu_and_sum_lines() {
        let l = parse_line(
            "time_bench: Type:for_loop_concurrent CPU(1) 27 cycles(tsc) 10.850 ns (step:0) - \
             (measurement period time:0.010850000 sec time_interval:10850000) - \
             (invoke count:1000000 tsc_interval:27000000)",
        )
        .unwrap()
        .unwrap();
        assert_eq!(l.cpu, Some(1));
        l.validate(1000).unwrap();
        let s = parse_sum(
            "time_bench: Sum Type:for_loop_concurrent Average: 27 cycles(tsc) CPUs:2 step:0",
        )
        .unwrap()
        .unwrap();
        assert_eq!((s.average, s.cpus, s.step), (27, 2, 0));
    }

    #[test]
    fn parses_the_result_lines_among_others() {
        let lines = ["m: WARN: running under a hypervisor", GOOD, "m: done"];
        let l = parse_lines(&lines).unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].ns_per_elem(), 504.51932);
        assert!(parse_lines(&[GOOD.replace("(step:0)", "(step:)")]).is_err());
    }

    #[test]
    fn other_lines_are_not_results() {
        assert_eq!(
            parse_line("page_bench01: WARN: running under a hypervisor").unwrap(),
            None
        );
        assert_eq!(parse_line("KTAP version 1").unwrap(), None);
        assert_eq!(parse_sum(GOOD).unwrap(), None);
    }

    #[test]
    fn malformed_result_lines_are_errors() {
        for bad in [
            GOOD.replace("504.519", "504.52"),
            GOOD.replace("(step:0)", "(step:)"),
            GOOD.replace(" tsc_interval:130931866)", ""),
            GOOD.replace("cycles(tsc)", "cycles"),
            format!("{GOOD} extra"),
            GOOD.replace("0.050451932", "0.50451932"),
        ] {
            assert!(parse_line(&bad).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn inconsistent_fields_fail_validation() {
        let l = parse_line(GOOD).unwrap().unwrap();
        let mut x = l.clone();
        x.cycles += 1;
        assert!(x.validate(1000).is_err());
        let mut x = l.clone();
        x.ns_milli = 520;
        assert!(x.validate(1000).is_err());
        let mut x = l.clone();
        x.period_nsec += 1;
        assert!(x.validate(1000).is_err());
        let mut x = l.clone();
        x.invoked = 999;
        assert!(x.validate(0).is_err());
        assert!(l.validate(200000).is_err(), "fewer invocations than loops");
        let mut x = l;
        x.tsc_interval = 0;
        x.cycles = 0;
        assert!(x.validate(1000).is_err());
    }
}
