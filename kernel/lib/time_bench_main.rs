// SPDX-License-Identifier: GPL-2.0

//! time_bench.ko: the benchmark harness on its own. Loading it prints what
//! skews the figures, the baselines, and the baselines run on several CPUs
//! at once (the concurrent mode), so a boot's reference figures come from
//! one `insmod`.

use kernel::prelude::*;

#[path = "time_bench/mod.rs"]
mod time_bench;

mod time_bench_tests;

module! {
    type: TimeBenchModule,
    name: "time_bench",
    authors: ["prototype-kernel-rs developers"],
    description: "Benchmark harness: baselines and concurrent mode",
    license: "GPL",
    params: {
        loops: u32 {
            default: 1_000_000,
            description: "Iterations per test (at least 1000)",
        },
        run_flags: u32 {
            default: 0xffff_ffff,
            description: "Bit mask of tests: 0 baselines, 1 concurrent baselines",
        },
        parallel_cpus: u32 {
            default: 0,
            description: "CPUs for the concurrent run (0 = all online)",
        },
    },
}

const BIT_BASELINE: u32 = 0;
const BIT_CONCURRENT: u32 = 1;

struct TimeBenchModule;

fn concurrent_atomic_inc(
    rec: &mut time_bench::Record,
    cnt: &kernel::sync::atomic::Atomic<u64>,
) -> Result {
    use kernel::sync::atomic::Relaxed;
    rec.start();
    for _ in 0..rec.loops {
        cnt.add(1, Relaxed);
    }
    rec.stop(u64::from(rec.loops));
    Ok(())
}

impl kernel::Module for TimeBenchModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let loops = *module_parameters::loops.value();
        let run_flags = *module_parameters::run_flags.value();
        let parallel_cpus = *module_parameters::parallel_cpus.value();
        time_bench::check_loops(loops)?;
        let cpus = time_bench::concurrent::parallel_cpus(parallel_cpus)?;
        time_bench::env::report();

        if time_bench::enabled(run_flags, BIT_BASELINE) {
            time_bench::baseline::run(loops)?;
        }
        if time_bench::enabled(run_flags, BIT_CONCURRENT) {
            time_bench::concurrent::run(
                loops,
                0,
                "for_loop_concurrent",
                &cpus,
                &(),
                time_bench::baseline::for_loop,
            )?;
            // All CPUs increment one counter: the cache line bounces.
            let shared = kernel::sync::atomic::Atomic::new(0u64);
            time_bench::concurrent::run(
                loops,
                0,
                "atomic_inc_shared_concurrent",
                &cpus,
                &shared,
                concurrent_atomic_inc,
            )?;
        }
        Ok(TimeBenchModule)
    }
}
