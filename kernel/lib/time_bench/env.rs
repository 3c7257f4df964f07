// SPDX-License-Identifier: GPL-2.0

//! What skews the figures: said once, before the first result line.

use kernel::prelude::*;

/// Kernel options that add work to the paths the benchmarks measure.
const SKEWING_OPTIONS: &[(&str, bool)] = &[
    ("CONFIG_DEBUG_PREEMPT", cfg!(CONFIG_DEBUG_PREEMPT)),
    ("CONFIG_KASAN", cfg!(CONFIG_KASAN)),
    ("CONFIG_KCSAN", cfg!(CONFIG_KCSAN)),
    ("CONFIG_KMSAN", cfg!(CONFIG_KMSAN)),
    ("CONFIG_PROVE_LOCKING (lockdep)", cfg!(CONFIG_PROVE_LOCKING)),
    ("CONFIG_DEBUG_LOCK_ALLOC", cfg!(CONFIG_DEBUG_LOCK_ALLOC)),
    ("CONFIG_DEBUG_SPINLOCK", cfg!(CONFIG_DEBUG_SPINLOCK)),
    ("CONFIG_DEBUG_ATOMIC_SLEEP", cfg!(CONFIG_DEBUG_ATOMIC_SLEEP)),
    ("CONFIG_DEBUG_PAGEALLOC", cfg!(CONFIG_DEBUG_PAGEALLOC)),
    ("CONFIG_DEBUG_VM", cfg!(CONFIG_DEBUG_VM)),
    ("CONFIG_PAGE_OWNER", cfg!(CONFIG_PAGE_OWNER)),
    ("CONFIG_SLUB_DEBUG_ON", cfg!(CONFIG_SLUB_DEBUG_ON)),
    ("CONFIG_DEBUG_OBJECTS", cfg!(CONFIG_DEBUG_OBJECTS)),
    ("CONFIG_KFENCE", cfg!(CONFIG_KFENCE)),
];

/// Whether CPUID says we run under a hypervisor (leaf 1, ECX bit 31).
#[cfg(target_arch = "x86_64")]
fn under_hypervisor() -> bool {
    // CPUID leaf 1 exists on every x86-64 CPU.
    let r = core::arch::x86_64::__cpuid(1);
    r.ecx & (1 << 31) != 0
}

#[cfg(not(target_arch = "x86_64"))]
fn under_hypervisor() -> bool {
    false
}

/// Prints one `WARN:` line per thing that makes the figures differ from a
/// production kernel on bare metal. Returns how many there were.
pub(crate) fn report() -> usize {
    let mut n = 0;
    for (name, on) in SKEWING_OPTIONS {
        if *on {
            pr_warn!("WARN: {} is enabled: this affects results\n", name);
            n += 1;
        }
    }
    if under_hypervisor() {
        pr_warn!(
            "WARN: running under a hypervisor: compare ratios of one boot, not absolute figures\n"
        );
        n += 1;
    }
    n
}
