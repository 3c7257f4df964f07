// SPDX-License-Identifier: GPL-2.0

//! A kernel thread, optionally bound to one CPU (the kernel crate has no
//! kthread type). Shared by time_bench and the page_pool.

use kernel::bindings;
use kernel::error::from_err_ptr;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::aref::ARef;
use kernel::task::Task;

/// A started kthread that is stopped, and waited for, on drop.
///
/// # Invariants
///
/// `task` is a kthread created by `kthread_create_on_node`, woken, and not
/// yet passed to `kthread_stop`; `ARef` holds a reference so the
/// `task_struct` outlives the thread function's return.
pub(crate) struct KThread {
    task: ARef<Task>,
}

impl KThread {
    /// Creates a kthread bound to `cpu` and wakes it; it is named
    /// `time_bench/<cpu>`.
    ///
    /// # Safety
    ///
    /// `data` must stay valid for `f` until the returned value is dropped,
    /// and `f` must be sound to call with `data` on another thread.
    pub(crate) unsafe fn spawn_on_cpu(
        f: unsafe extern "C" fn(*mut c_void) -> c_int,
        data: *mut c_void,
        cpu: u32,
    ) -> Result<Self> {
        // SAFETY: the caller's guarantees are this function's.
        unsafe { Self::spawn(f, data, c"time_bench/%u", cpu, Some(cpu)) }
    }

    /// Creates a kthread named by `fmt` (a format with one `%u`, filled
    /// with `arg`), bound to `bind` if given, and wakes it.
    ///
    /// # Safety
    ///
    /// `data` must stay valid for `f` until the returned value is dropped,
    /// and `f` must be sound to call with `data` on another thread. `bind`
    /// must be an online CPU.
    pub(crate) unsafe fn spawn(
        f: unsafe extern "C" fn(*mut c_void) -> c_int,
        data: *mut c_void,
        fmt: &CStr,
        arg: u32,
        bind: Option<u32>,
    ) -> Result<Self> {
        // SAFETY: `f` and `data` meet `kthread_create_on_node`'s contract by
        // this function's safety requirements; `fmt` is a valid C string
        // that consumes the one `%u` argument given.
        let raw = unsafe {
            bindings::kthread_create_on_node(
                Some(f),
                data,
                bindings::NUMA_NO_NODE,
                fmt.as_char_ptr(),
                arg,
            )
        };
        let raw = from_err_ptr(raw)?;
        // SAFETY: `raw` is a live task returned by `kthread_create_on_node`;
        // `Task` is a transparent wrapper of `task_struct`, and `ARef::from`
        // takes a reference of its own.
        let task: ARef<Task> = ARef::from(unsafe { &*raw.cast::<Task>() });
        if let Some(cpu) = bind {
            // SAFETY: the thread has not been woken yet, which `kthread_bind`
            // requires; `cpu` is online by the caller's guarantee.
            unsafe { bindings::kthread_bind(raw, cpu) };
        }
        task.wake_up();
        // INVARIANT: created, woken, referenced, not stopped.
        Ok(Self { task })
    }
}

impl Drop for KThread {
    fn drop(&mut self) {
        // SAFETY: by the type invariants the thread has not been stopped and
        // our reference keeps its `task_struct` alive even if the thread
        // function already returned; `kthread_stop` waits for it to exit, so
        // no module code runs on it afterwards.
        unsafe { bindings::kthread_stop(self.task.as_ptr()) };
    }
}
