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
#[path = "../kthread.rs"]
pub(crate) mod kthread;
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
    /// The CPU a concurrent run measures this record on (`None` otherwise).
    pub(crate) cpu: Option<u32>,
    /// This record's place in a concurrent run's CPU list (0 otherwise).
    pub(crate) thread: usize,
    tsc_start: u64,
    time_start: Instant<Monotonic>,
    tsc_interval: u64,
    time_interval: i64,
    invoked: u64,
}

impl Record {
    /// A record for `loops` iterations of variant `step`.
    pub(crate) fn new(loops: u32, step: u32) -> Self {
        let now = Instant::now();
        Self {
            loops,
            step,
            cpu: None,
            thread: 0,
            tsc_start: 0,
            time_start: now,
            tsc_interval: 0,
            time_interval: 0,
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
        self.tsc_interval = 0;
        self.time_interval = 0;
        self.lap_stop();
        self.invoked = invoked;
    }

    /// Stops the clocks and adds the interval since [`Record::start`] to the
    /// record: a test that times only part of its loop calls `start` and
    /// `lap_stop` around each timed part, then [`Record::set_invoked`].
    #[inline(always)]
    pub(crate) fn lap_stop(&mut self) {
        let tsc_stop = tsc::stop();
        let time_stop = Instant::now();
        self.tsc_interval = self
            .tsc_interval
            .wrapping_add(tsc_stop.wrapping_sub(self.tsc_start));
        self.time_interval += (time_stop - self.time_start).as_nanos();
    }

    /// Records the operations done in the laps timed so far.
    pub(crate) fn set_invoked(&mut self, invoked: u64) {
        self.invoked = invoked;
    }

    /// The TSC cycles timed so far.
    pub(crate) fn tsc_interval(&self) -> u64 {
        self.tsc_interval
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
        let (tsc_interval, time_interval) = (self.tsc_interval, self.time_interval);
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
