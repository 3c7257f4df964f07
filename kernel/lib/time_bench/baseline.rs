// SPDX-License-Identifier: GPL-2.0

//! The baselines every bench module prints first: what the loop itself, an
//! atomic increment and a spinlock lock/unlock cost in this boot.

use super::{run_loop, Record};
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{new_spinlock, SpinLock};

/// A compiler barrier, as the kernel's `barrier()`: an empty `asm!` that
/// the compiler must assume reads and writes memory, so the loop around it
/// is neither folded nor vectorised, at no cost on the CPU.
#[inline(always)]
pub(crate) fn barrier() {
    // SAFETY: an empty instruction string does nothing at run time.
    unsafe { core::arch::asm!("", options(nostack, preserves_flags)) };
}

/// The empty loop: what the loop itself costs.
pub(crate) fn for_loop(rec: &mut Record, _: &()) -> Result {
    let mut n: u64 = 0;
    rec.start();
    for _ in 0..rec.loops {
        n += 1;
        barrier();
    }
    rec.stop(n);
    Ok(())
}

fn atomic_inc(rec: &mut Record, cnt: &Atomic<u64>) -> Result {
    cnt.store(0, Relaxed);
    rec.start();
    for _ in 0..rec.loops {
        cnt.add(1, Relaxed);
    }
    let n = cnt.load(Relaxed);
    rec.stop(n);
    Ok(())
}

fn lock_unlock(rec: &mut Record, lock: &SpinLock<u64>) -> Result {
    rec.start();
    for _ in 0..rec.loops {
        *lock.lock() += 1;
    }
    let n = *lock.lock();
    rec.stop(n);
    Ok(())
}

/// Runs the three baselines and prints their lines.
pub(crate) fn run(loops: u32) -> Result {
    run_loop(loops, 0, "for_loop", &(), for_loop)?;
    run_loop(loops, 0, "atomic_inc", &Atomic::new(0u64), atomic_inc)?;
    let lock = KBox::pin_init(new_spinlock!(0u64, "time_bench_baseline"), GFP_KERNEL)?;
    run_loop(loops, 0, "lock", &*lock, lock_unlock)?;
    Ok(())
}
