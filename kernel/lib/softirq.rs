// SPDX-License-Identifier: GPL-2.0

//! Runs a closure in softirq context (a tasklet), as a NAPI poll runs, and
//! waits for it. Compiled into the modules that use it (`#[path] mod`);
//! needs the crate's `shim_bindings`.

use crate::shim_bindings as shim;
use core::cell::UnsafeCell;
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::Completion;
use kernel::types::Opaque;

#[pin_data]
#[repr(C)]
struct Job<F> {
    /// First, so that the tasklet's address is the job's.
    #[pin]
    tasklet: Opaque<bindings::tasklet_struct>,
    #[pin]
    done: Completion,
    f: UnsafeCell<Option<F>>,
}

/// The tasklet's callback.
///
/// # Safety
///
/// `t` is the `tasklet` field of a live `Job<F>`, run once.
unsafe extern "C" fn callback<F: FnOnce()>(t: *mut bindings::tasklet_struct) {
    // SAFETY: `tasklet` is the first field of the `repr(C)` `Job<F>`, so
    // `t` is also the job's address; `run` keeps the job alive until
    // `done` completes.
    let job = unsafe { &*t.cast::<Job<F>>() };
    // SAFETY: only this callback touches `f`, and it runs once (a tasklet
    // scheduled once runs once, never concurrently with itself).
    if let Some(f) = unsafe { (*job.f.get()).take() } {
        f();
    }
    job.done.complete_all();
}

/// Runs `f` in a tasklet (softirq context, on this CPU) and returns once
/// it has run. Process context only (it sleeps).
pub(crate) fn run<F: FnOnce() + Send>(f: F) -> Result {
    let job = KBox::pin_init(
        pin_init!(Job {
            tasklet: Opaque::zeroed(),
            done <- Completion::new(),
            f: UnsafeCell::new(Some(f)),
        }),
        GFP_KERNEL,
    )?;
    let t = job.tasklet.get();
    // SAFETY: `t` is a zeroed, pinned `tasklet_struct` that lives until
    // `tasklet_kill` below; the callback matches it to this `Job<F>`.
    unsafe { bindings::tasklet_setup(t, Some(callback::<F>)) };
    // SAFETY: `t` was set up just above.
    unsafe { shim::pkrs_tasklet_schedule(t) };
    job.done.wait_for_completion();
    // SAFETY: `t` is set up; after this it is neither queued nor running,
    // so the job may be freed.
    unsafe { bindings::tasklet_kill(t) };
    Ok(())
}
