// SPDX-License-Identifier: GPL-2.0

//! One test on N CPUs at once: a kthread bound to each CPU waits until all
//! are ready, then all start together. Prints a line per CPU and a
//! `Sum Type:` line with the average.

use super::kthread::KThread;
use super::{print, BenchFn, Record, Stats};
use kernel::cpu::nr_cpu_ids;
use kernel::cpumask::Cpumask;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Full, Relaxed};
use kernel::sync::Completion;

#[pin_data]
struct Sync {
    /// Completed by the last thread to become ready.
    #[pin]
    all_ready: Completion,
    /// Completed by the caller to start every thread at once.
    #[pin]
    start: Completion,
    /// Completed by the last thread to finish.
    #[pin]
    all_done: Completion,
    waiting: Atomic<i32>,
    running: Atomic<i32>,
    /// Set when spawning failed: threads return without measuring.
    abort: Atomic<i32>,
}

struct Job<'a, T: ?Sized> {
    sync: &'a Sync,
    data: &'a T,
    f: BenchFn<T>,
    rec: Record,
    result: Result,
}

/// The body of each measuring kthread.
///
/// # Safety
///
/// `p` must point to a `Job<'_, T>` that stays valid, and that nothing else
/// accesses, until its `Sync::all_done` completes or the thread is stopped.
unsafe extern "C" fn job_thread<T: ?Sized + core::marker::Sync>(p: *mut c_void) -> c_int {
    // SAFETY: `p` is the `Job` that `run` handed to this thread; `run` does
    // not touch it until `all_done` completes (or the thread is stopped), so
    // this thread has exclusive access to it.
    let job = unsafe { &mut *p.cast::<Job<'_, T>>() };
    let sync = job.sync;
    if sync.waiting.fetch_add(-1, Full) == 1 {
        sync.all_ready.complete_all();
    }
    sync.start.wait_for_completion();
    if sync.abort.load(Relaxed) == 0 {
        let mut rec = job.rec;
        job.result = (job.f)(&mut rec, job.data);
        job.rec = rec;
        if sync.running.fetch_add(-1, Full) == 1 {
            sync.all_done.complete_all();
        }
    }
    0
}

/// The first `limit` online CPUs (all of them when `limit` is 0).
pub(crate) fn online_cpus(limit: u32) -> KVec<u32> {
    // SAFETY: `__cpu_online_mask` is the kernel's global mask of online CPUs,
    // valid for the kernel's lifetime; it is only read here.
    let online = unsafe { Cpumask::from_raw(&raw const kernel::bindings::__cpu_online_mask) };
    let mut cpus = KVec::new();
    for cpu in 0..nr_cpu_ids() {
        // SAFETY: `cpu` is below `nr_cpu_ids`.
        let id = unsafe { kernel::cpu::CpuId::from_u32_unchecked(cpu) };
        if online.test(id) && (limit == 0 || cpus.len() < limit as usize) {
            if cpus.push(cpu, GFP_KERNEL).is_err() {
                break;
            }
        }
    }
    cpus
}

/// The CPUs for a `parallel_cpus=N` module parameter: the first N online
/// CPUs, all of them for 0. More than are online is rejected with a reason.
pub(crate) fn parallel_cpus(n: u32) -> Result<KVec<u32>> {
    let online = online_cpus(0);
    if n as usize > online.len() {
        pr_err!(
            "invalid parallel_cpus={}: only {} CPUs are online\n",
            n,
            online.len()
        );
        return Err(EINVAL);
    }
    Ok(online_cpus(n))
}

/// Runs `f` on every CPU of `cpus` at once and returns the per-CPU figures,
/// in the order of `cpus`, without printing them. `f` finds its CPU in
/// [`Record::cpu`], so the threads of one run may play different roles.
pub(crate) fn measure<T: ?Sized + core::marker::Sync>(
    loops: u32,
    step: u32,
    name: &str,
    cpus: &[u32],
    data: &T,
    f: BenchFn<T>,
) -> Result<KVec<Stats>> {
    let n = i32::try_from(cpus.len()).map_err(|_| EINVAL)?;
    if n == 0 {
        return Err(EINVAL);
    }
    let sync = KBox::pin_init(
        pin_init!(Sync {
            all_ready <- Completion::new(),
            start <- Completion::new(),
            all_done <- Completion::new(),
            waiting: Atomic::new(n),
            running: Atomic::new(n),
            abort: Atomic::new(0),
        }),
        GFP_KERNEL,
    )?;
    let mut jobs = KVec::with_capacity(cpus.len(), GFP_KERNEL)?;
    for (thread, &cpu) in cpus.iter().enumerate() {
        let mut rec = Record::new(loops, step);
        rec.cpu = Some(cpu);
        rec.thread = thread;
        jobs.push(
            Job {
                sync: &sync,
                data,
                f,
                rec,
                result: Ok(()),
            },
            GFP_KERNEL,
        )?;
    }
    // `jobs` is not resized from here on: each thread owns one element.
    let mut threads = KVec::with_capacity(cpus.len(), GFP_KERNEL)?;
    for (job, &cpu) in jobs.iter_mut().zip(cpus) {
        let p: *mut Job<'_, T> = job;
        // SAFETY: the job outlives the thread: `threads` is dropped (which
        // stops and waits for every thread) before `jobs` and `sync`.
        match unsafe { KThread::spawn_on_cpu(job_thread::<T>, p.cast(), cpu) } {
            // Capacity was reserved above: this push does not allocate.
            Ok(t) => threads.push(t, GFP_KERNEL)?,
            Err(e) => {
                pr_err!(
                    "Type:{}: cannot start a thread on CPU {}: {:?}\n",
                    name,
                    cpu,
                    e
                );
                sync.abort.store(1, Relaxed);
                sync.start.complete_all();
                drop(threads);
                return Err(e);
            }
        }
    }
    sync.all_ready.wait_for_completion();
    sync.start.complete_all();
    sync.all_done.wait_for_completion();
    drop(threads);

    // A thread that failed first may have made the others give up with
    // EINTR: report the first error that is not that.
    let failed = jobs
        .iter()
        .zip(cpus)
        .filter_map(|(job, &cpu)| job.result.err().map(|e| (e, cpu)))
        .min_by_key(|(e, _)| *e == EINTR);
    if let Some((e, cpu)) = failed {
        pr_err!(
            "ABORT: Type:{} CPU({}) (step:{}) failed: {:?}\n",
            name,
            cpu,
            step,
            e
        );
        return Err(e);
    }
    let mut out = KVec::with_capacity(cpus.len(), GFP_KERNEL)?;
    for job in jobs.iter() {
        out.push(job.rec.stats()?, GFP_KERNEL)?;
    }
    Ok(out)
}

/// Runs `f` on every CPU of `cpus` at once, prints a line per CPU and the
/// `Sum Type:` average, and returns the per-CPU figures.
pub(crate) fn run<T: ?Sized + core::marker::Sync>(
    loops: u32,
    step: u32,
    name: &str,
    cpus: &[u32],
    data: &T,
    f: BenchFn<T>,
) -> Result<KVec<Stats>> {
    let out = measure(loops, step, name, cpus, data, f)?;
    report(name, step, cpus, &out);
    Ok(out)
}

/// Prints the figures of a concurrent run: a `Type:<name> CPU(<n>)` line
/// per CPU (`stats[i]` measured on `cpus[i]`) and the `Sum Type:` average.
pub(crate) fn report(name: &str, step: u32, cpus: &[u32], stats: &[Stats]) {
    let mut sum = 0u64;
    for (s, &cpu) in stats.iter().zip(cpus) {
        print(name, step, Some(cpu), s);
        sum += s.cycles;
    }
    pr_info!(
        "Sum Type:{} Average: {} cycles(tsc) CPUs:{} step:{}\n",
        name,
        // CAST: a CPU count fits in `u64`.
        sum.checked_div(stats.len() as u64).unwrap_or(0),
        stats.len(),
        step
    );
}
