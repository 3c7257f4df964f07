// SPDX-License-Identifier: GPL-2.0

//! The DMA mappings of a native pool's pages, kept so that destroying the
//! pool can unmap every page it mapped, pages still out included, before
//! its owner lets the device go (upstream: the `dma_mapped` xarray and
//! `page_pool_scrub()` in `net/core/page_pool.c`).
//!
//! Each mapped page owns one slot of a table, named by the `id` its
//! [`Entry`](super::ring::Entry) carries. The alloc side maps pages and
//! takes slots; whoever releases a page (any context but NMI) empties its
//! slot and unmaps it. [`DmaMaps::scrub`], in the owner's drop, ends all
//! use of the device: it marks the table gone, waits for an RCU grace
//! period so that every release or sync that saw the table live is done,
//! then unmaps what is left in the table. Each use of the device outside
//! the alloc side runs inside an RCU read-side section that first checks
//! that the table is not gone, so no DMA call reaches the device after
//! `scrub` returns; a page that comes back later is only put.

use core::ptr::null_mut;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize};
use kernel::bindings;
use kernel::device::{Bound, Device};
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::rcu;

use crate::shim_bindings as shim;

/// Slots per chunk of the table.
const CHUNK: usize = 512;
/// Chunks at most: 65536 pages (256 MiB of order-0 pages) mapped at once.
const MAX_CHUNKS: usize = 128;

struct Chunk {
    /// `dma + 1` of the page that owns the slot; 0 when free. (A mapping of
    /// a whole page never ends at the top of the address space, so `dma +
    /// 1` is never 0.)
    slots: [AtomicU64; CHUNK],
}

/// The mapping table of one pool, and the device its pages are mapped for.
///
/// # Invariants
///
/// `chunks[..]` are null or chunks made by `KBox` that live until the
/// table is dropped; once `gone` is set, no slot is taken or filled again.
pub(crate) struct DmaMaps {
    dev: ARef<Device>,
    dir: bindings::dma_data_direction,
    bytes: usize,
    chunks: [AtomicPtr<Chunk>; MAX_CHUNKS],
    /// Where the alloc side looks for a free slot next.
    cursor: AtomicUsize,
    gone: AtomicBool,
}

impl DmaMaps {
    /// A table for pages of `bytes` bytes mapped for `dev` in `dir`.
    pub(crate) fn new(
        dev: &Device<Bound>,
        dir: bindings::dma_data_direction,
        bytes: usize,
    ) -> Self {
        let dev: &Device = dev;
        Self {
            dev: dev.into(),
            dir,
            bytes,
            chunks: [const { AtomicPtr::new(null_mut()) }; MAX_CHUNKS],
            cursor: AtomicUsize::new(0),
            gone: AtomicBool::new(false),
        }
    }

    fn raw_dev(&self) -> *mut bindings::device {
        super::dev_raw(&self.dev)
    }

    fn slot(&self, id: usize) -> Option<&AtomicU64> {
        let chunk = self.chunks.get(id / CHUNK)?.load(Acquire);
        // SAFETY: a non-null chunk lives as long as the table (invariants).
        let chunk = unsafe { chunk.as_ref() }?;
        Some(&chunk.slots[id % CHUNK])
    }

    /// A free slot for a new mapping, growing the table when all are
    /// taken. Alloc side only (one caller at a time).
    fn free_slot(&self) -> Option<usize> {
        let start = self.cursor.load(Relaxed);
        for c in 0..MAX_CHUNKS {
            let ci = (start / CHUNK + c) % MAX_CHUNKS;
            let mut chunk = self.chunks[ci].load(Acquire);
            if chunk.is_null() {
                let new = KBox::new(
                    Chunk {
                        slots: [const { AtomicU64::new(0) }; CHUNK],
                    },
                    GFP_ATOMIC | __GFP_NOWARN,
                )
                .ok()?;
                chunk = KBox::into_raw(new);
                // Release: the zeroed slots are seen with the pointer. Only
                // the alloc side stores chunk pointers.
                self.chunks[ci].store(chunk, Release);
            }
            // SAFETY: non-null, and lives as long as the table.
            let slots = unsafe { &(*chunk).slots };
            let first = if c == 0 { start % CHUNK } else { 0 };
            for i in Iterator::chain(first..CHUNK, 0..first) {
                if slots[i].load(Relaxed) == 0 {
                    let id = ci * CHUNK + i;
                    self.cursor.store(id + 1, Relaxed);
                    return Some(id);
                }
            }
        }
        None
    }

    /// Maps `page` for the device (alloc side, the table not gone): its
    /// DMA address and slot id.
    pub(crate) fn map(&self, page: *mut bindings::page) -> Result<(u64, u32)> {
        let id = self.free_slot().ok_or(ENOMEM)?;
        // SAFETY: `page` is a live allocation of `bytes` bytes that the
        // caller owns; the device is bound (the owner is alive: its drop
        // scrubs the table first). The CPU sync is skipped as upstream does:
        // the device writes the page first.
        let dma = unsafe {
            bindings::dma_map_page_attrs(
                self.raw_dev(),
                page,
                0,
                self.bytes,
                self.dir,
                // CAST: a small flag into `unsigned long`.
                bindings::DMA_ATTR_SKIP_CPU_SYNC as usize,
            )
        };
        // SAFETY: `dma` was just returned by a mapping call for this device.
        if unsafe { shim::pkrs_dma_mapping_error(self.raw_dev(), dma) } != 0 {
            return Err(ENOMEM);
        }
        if let Some(s) = self.slot(id) {
            s.store(dma.wrapping_add(1), Release);
        }
        // CAST: ids are below `MAX_CHUNKS * CHUNK`.
        Ok((dma, id as u32))
    }

    fn unmap(&self, dma: u64) {
        // SAFETY: `dma` is a mapping `map` made for this device, taken out
        // of its slot by the caller, so unmapped exactly once; the device is
        // still bound (the table is not gone, or `scrub` runs this before
        // it returns).
        unsafe {
            bindings::dma_unmap_page_attrs(
                self.raw_dev(),
                dma,
                self.bytes,
                self.dir,
                // CAST: a small flag into `unsigned long`.
                bindings::DMA_ATTR_SKIP_CPU_SYNC as usize,
            )
        };
    }

    /// The page of slot `id` leaves the pool: unmaps it, unless `scrub`
    /// did already. Any context but NMI.
    pub(crate) fn release(&self, id: u32) {
        let _guard = rcu::read_lock();
        if self.gone.load(Acquire) {
            return;
        }
        if let Some(s) = self.slot(id as usize) {
            let v = s.swap(0, AcqRel);
            if v != 0 {
                self.unmap(v.wrapping_sub(1));
            }
        }
    }

    /// Runs `f` with the device if the table is not gone, inside an RCU
    /// read-side section that `scrub` waits for. Any context but NMI.
    #[inline]
    pub(crate) fn with_device(&self, f: impl FnOnce(*mut bindings::device)) -> bool {
        let _guard = rcu::read_lock();
        if self.gone.load(Acquire) {
            return false;
        }
        f(self.raw_dev());
        true
    }

    /// The device, for the alloc side (the table cannot be gone while the
    /// owner is alive).
    #[inline]
    pub(crate) fn device(&self) -> *mut bindings::device {
        self.raw_dev()
    }

    /// Syncs `len` bytes at `offset` of a mapping for the device.
    ///
    /// # Safety
    ///
    /// `dev` is this table's device, not gone, and `dma` a live mapping of
    /// it with `offset + len` within the page.
    #[inline]
    pub(crate) unsafe fn sync_for_device(
        &self,
        dev: *mut bindings::device,
        dma: u64,
        offset: u32,
        len: u32,
    ) {
        // SAFETY: by the function's safety requirements.
        unsafe {
            shim::pkrs_dma_sync_for_device(dev, dma, offset.into(), len.into(), self.dir as c_int)
        };
    }

    /// Syncs `len` bytes at `offset` of a mapping for the CPU (alloc side).
    ///
    /// # Safety
    ///
    /// `dma` is a live mapping of this table's device with `offset + len`
    /// within the page.
    #[inline]
    pub(crate) unsafe fn sync_for_cpu(&self, dma: u64, offset: u32, len: u32) {
        // SAFETY: by the function's safety requirements; the owner is alive.
        unsafe {
            shim::pkrs_dma_sync_for_cpu(
                self.raw_dev(),
                dma,
                offset.into(),
                len.into(),
                self.dir as c_int,
            )
        };
    }

    /// Ends all use of the device: once this returns, no DMA call of this
    /// pool reaches it. Unmaps the pages still out; returns how many.
    /// Process context (it waits for an RCU grace period).
    pub(crate) fn scrub(&self) -> usize {
        self.gone.store(true, Release);
        // SAFETY: process context; waits for every RCU reader that may have
        // seen the table live.
        unsafe { bindings::synchronize_rcu() };
        let mut n = 0;
        for c in &self.chunks {
            let chunk = c.load(Acquire);
            // SAFETY: non-null chunks live as long as the table.
            let Some(chunk) = (unsafe { chunk.as_ref() }) else {
                continue;
            };
            for s in &chunk.slots {
                let v = s.swap(0, AcqRel);
                if v != 0 {
                    self.unmap(v.wrapping_sub(1));
                    n += 1;
                }
            }
        }
        n
    }

    /// Whether `scrub` ran.
    pub(crate) fn is_gone(&self) -> bool {
        self.gone.load(Acquire)
    }
}

impl Drop for DmaMaps {
    fn drop(&mut self) {
        for c in &self.chunks {
            let chunk = c.load(Relaxed);
            if !chunk.is_null() {
                // SAFETY: made by `KBox::into_raw` in `free_slot`; nothing
                // refers to the table any more.
                drop(unsafe { KBox::from_raw(chunk) });
            }
        }
    }
}
