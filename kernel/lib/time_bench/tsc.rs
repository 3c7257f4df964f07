// SPDX-License-Identifier: GPL-2.0

//! Cycle counter reads with the serialising sequence of Intel's "How to
//! Benchmark Code Execution Times" (doc 324264): `CPUID; RDTSC` at the
//! start, `RDTSCP; CPUID` at the stop. Other architectures count
//! nanoseconds instead, so "cycles" reads as ns there.

#[cfg(target_arch = "x86_64")]
mod imp {
    use core::arch::asm;

    /// Reads the TSC after `CPUID` has drained earlier instructions.
    #[inline(always)]
    pub(crate) fn start() -> u64 {
        let lo: u32;
        let hi: u32;
        // SAFETY: `cpuid` and `rdtsc` only read CPU state and write the named
        // registers; `rbx`, which LLVM reserves, is saved in `tmp` around
        // `cpuid` and restored. No memory is touched.
        unsafe {
            asm!(
                "mov {tmp}, rbx",
                "xor eax, eax",
                "cpuid",
                "mov rbx, {tmp}",
                "rdtsc",
                tmp = out(reg) _,
                out("eax") lo,
                out("edx") hi,
                out("ecx") _,
                options(nostack, nomem),
            );
        }
        (u64::from(hi) << 32) | u64::from(lo)
    }

    /// Reads the TSC with `RDTSCP` (waits for earlier instructions), then
    /// `CPUID` keeps later instructions from starting early.
    #[inline(always)]
    pub(crate) fn stop() -> u64 {
        let lo: u32;
        let hi: u32;
        // SAFETY: as in `start`: register-only instructions, `rbx` saved and
        // restored; `lo`/`hi` are copied out before `cpuid` overwrites
        // `eax`/`edx`, and the explicit register outputs keep the allocator
        // from placing `lo`/`hi`/`tmp` in `eax`, `ecx` or `edx`.
        unsafe {
            asm!(
                "rdtscp",
                "mov {lo:e}, eax",
                "mov {hi:e}, edx",
                "mov {tmp}, rbx",
                "xor eax, eax",
                "cpuid",
                "mov rbx, {tmp}",
                lo = out(reg) lo,
                hi = out(reg) hi,
                tmp = out(reg) _,
                out("eax") _,
                out("ecx") _,
                out("edx") _,
                options(nostack, nomem),
            );
        }
        (u64::from(hi) << 32) | u64::from(lo)
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    fn now() -> u64 {
        // SAFETY: `ktime_get` reads the monotonic clock; callable in any
        // context a benchmark runs in.
        let t = unsafe { kernel::bindings::ktime_get() };
        // CAST: monotonic time since boot is not negative.
        t as u64
    }

    #[inline(always)]
    pub(crate) fn start() -> u64 {
        now()
    }

    #[inline(always)]
    pub(crate) fn stop() -> u64 {
        now()
    }
}

pub(crate) use imp::{start, stop};
