// SPDX-License-Identifier: GPL-2.0

//! The benchmark harness shared by every bench module.
//!
//! Compiled into each module that uses it (`#[path] mod time_bench;`). A test
//! is a function that calls [`Record::start`], runs its loop
//! [`Record::loops`] times and calls [`Record::stop`] with the number of
//! operations it did; [`run_loop`] then prints one line in the upstream
//! `time_bench` format:
//!
//! `Type:<name> Per elem: <N> cycles(tsc) <N>.<NNN> ns (step:<N>) - (...)`.

#![allow(dead_code, reason = "each module uses a different part of the harness")]

pub(crate) mod baseline;
pub(crate) mod concurrent;
pub(crate) mod env;
mod kthread;
mod tsc;

use kernel::prelude::*;
use kernel::time::{Instant, Monotonic};

/// Fewer invocations than this give meaningless per-element figures.
pub(crate) const MIN_INVOCATIONS: u64 = 1000;

const NSEC_PER_SEC: u64 = 1_000_000_000;

/// A benchmark function: runs `rec.loops` iterations between `rec.start()`
/// and `rec.stop()`.
pub(crate) type BenchFn<T> = fn(&mut Record, &T) -> Result;

/// The measurement of one test run.
#[derive(Clone, Copy)]
pub(crate) struct Record {
    /// Iterations the test is asked to run.
    pub(crate) loops: u32,
    /// Free-form test variant (an order, a bulk size, ...), printed as `step`.
    pub(crate) step: u32,
    tsc_start: u64,
    tsc_stop: u64,
    time_start: Instant<Monotonic>,
    time_stop: Instant<Monotonic>,
    invoked: u64,
}

impl Record {
    /// A record for `loops` iterations of variant `step`.
    pub(crate) fn new(loops: u32, step: u32) -> Self {
        let now = Instant::now();
        Self {
            loops,
            step,
            tsc_start: 0,
            tsc_stop: 0,
            time_start: now,
            time_stop: now,
            invoked: 0,
        }
    }

    /// Starts the clocks; the wall clock first, the serialised TSC last.
    #[inline(always)]
    pub(crate) fn start(&mut self) {
        self.time_start = Instant::now();
        self.tsc_start = tsc::start();
    }

    /// Stops the clocks (TSC first) and records `invoked` operations.
    #[inline(always)]
    pub(crate) fn stop(&mut self, invoked: u64) {
        self.tsc_stop = tsc::stop();
        self.time_stop = Instant::now();
        self.invoked = invoked;
    }

    /// Per-operation figures, in integer maths.
    pub(crate) fn stats(&self) -> Result<Stats> {
        if self.invoked < MIN_INVOCATIONS {
            pr_err!(
                "ERR: need more than {} invocations for timing (got {})\n",
                MIN_INVOCATIONS,
                self.invoked
            );
            return Err(EINVAL);
        }
        let tsc_interval = self.tsc_stop.wrapping_sub(self.tsc_start);
        let time_interval = (self.time_stop - self.time_start).as_nanos();
        if tsc_interval == 0 || time_interval <= 0 {
            pr_err!("ABORT: the measurement took zero time\n");
            return Err(ERANGE);
        }
        // CAST: checked positive above.
        Ok(Stats::compute(
            tsc_interval,
            time_interval as u64,
            self.invoked,
        ))
    }
}

/// Figures derived from a [`Record`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stats {
    /// TSC cycles per operation.
    pub(crate) cycles: u64,
    /// Nanoseconds per operation: integer part.
    pub(crate) ns: u64,
    /// Nanoseconds per operation: thousandths.
    pub(crate) ns_milli: u64,
    /// The TSC cycles of the whole run.
    pub(crate) tsc_interval: u64,
    /// The nanoseconds of the whole run.
    pub(crate) time_interval: u64,
    /// Operations in the run.
    pub(crate) invoked: u64,
}

impl Stats {
    /// Divides the run's totals by its operation count (`invoked` > 0).
    pub(crate) fn compute(tsc_interval: u64, time_interval: u64, invoked: u64) -> Self {
        let ns = time_interval / invoked;
        // The remainder is below `invoked`, so `* 1000` cannot overflow for
        // any count a `u32` loop produces.
        let ns_milli = (time_interval % invoked) * 1000 / invoked;
        Self {
            cycles: tsc_interval / invoked,
            ns,
            ns_milli,
            tsc_interval,
            time_interval,
            invoked,
        }
    }
}

/// Prints the result line of a finished test. `cpu` names the CPU in a
/// concurrent run (`Type:<name> CPU(<n>) ...`).
pub(crate) fn print(name: &str, step: u32, cpu: Option<u32>, s: &Stats) {
    let sec = s.time_interval / NSEC_PER_SEC;
    let sec_ns = s.time_interval % NSEC_PER_SEC;
    let tail = fmt!(
        "(step:{}) - (measurement period time:{}.{:09} sec time_interval:{}) - (invoke count:{} tsc_interval:{})",
        step,
        sec,
        sec_ns,
        s.time_interval,
        s.invoked,
        s.tsc_interval
    );
    match cpu {
        None => pr_info!(
            "Type:{} Per elem: {} cycles(tsc) {}.{:03} ns {}\n",
            name,
            s.cycles,
            s.ns,
            s.ns_milli,
            tail
        ),
        Some(cpu) => pr_info!(
            "Type:{} CPU({}) {} cycles(tsc) {}.{:03} ns {}\n",
            name,
            cpu,
            s.cycles,
            s.ns,
            s.ns_milli,
            tail
        ),
    }
}

/// Runs `f` once on this CPU and prints its result line.
pub(crate) fn run_loop<T: ?Sized>(
    loops: u32,
    step: u32,
    name: &str,
    data: &T,
    f: BenchFn<T>,
) -> Result<Stats> {
    let mut rec = Record::new(loops, step);
    if let Err(e) = f(&mut rec, data) {
        pr_err!("ABORT: Type:{} (step:{}) failed: {:?}\n", name, step, e);
        return Err(e);
    }
    if rec.invoked < u64::from(loops) {
        pr_warn!(
            "WARNING: Type:{} invoke count {} smaller than loops {}\n",
            name,
            rec.invoked,
            loops
        );
    }
    let s = rec.stats()?;
    print(name, step, None, &s);
    Ok(s)
}

/// Rejects a `loops` parameter the harness cannot time, with a reason.
pub(crate) fn check_loops(loops: u32) -> Result {
    if u64::from(loops) < MIN_INVOCATIONS {
        pr_err!(
            "invalid loops={}: at least {} are needed for timing\n",
            loops,
            MIN_INVOCATIONS
        );
        return Err(EINVAL);
    }
    Ok(())
}

/// Whether test `bit` is selected in a `run_flags` mask.
pub(crate) fn enabled(run_flags: u32, bit: u32) -> bool {
    bit < 32 && run_flags & (1 << bit) != 0
}

#[kunit_tests(pkrs_time_bench)]
mod tests {
    use super::*;

    #[test]
    fn stats_divides_and_keeps_three_decimals() {
        let s = Stats::compute(13_300, 5_150, 100);
        assert_eq!(s.cycles, 133);
        assert_eq!(s.ns, 51);
        assert_eq!(s.ns_milli, 500);
    }

    #[test]
    fn stats_decimals_are_zero_padded_thousandths() {
        // 2_000_123 ns over 1000 calls = 2000.123 ns.
        let s = Stats::compute(1_000, 2_000_123, 1000);
        assert_eq!((s.ns, s.ns_milli), (2000, 123));
        // 1_001 ns over 1000 calls = 1.001 ns.
        let s = Stats::compute(1_000, 1_001, 1000);
        assert_eq!((s.ns, s.ns_milli), (1, 1));
    }

    #[test]
    fn record_refuses_too_few_invocations() {
        let mut rec = Record::new(999, 0);
        rec.start();
        rec.stop(999);
        assert!(rec.stats().is_err());
    }

    #[test]
    fn record_measures_a_real_loop() {
        let mut rec = Record::new(1000, 0);
        rec.start();
        for i in 0..1000u32 {
            core::hint::black_box(i);
        }
        rec.stop(1000);
        let s = rec.stats().expect("a 1000-iteration loop takes time");
        assert_eq!(s.invoked, 1000);
        assert!(s.tsc_interval > 0 && s.time_interval > 0);
    }

    #[test]
    fn run_flags_select_bits() {
        assert!(enabled(0b101, 0));
        assert!(!enabled(0b101, 1));
        assert!(enabled(0b101, 2));
        assert!(!enabled(u32::MAX, 40));
    }
}
