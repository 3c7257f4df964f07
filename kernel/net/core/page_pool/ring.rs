// SPDX-License-Identifier: GPL-2.0

//! The ring of pages returned to a native pool from other contexts: many
//! producers (any CPU, any context but NMI), one consumer (the pool's
//! alloc side, or the reaper once the pool is dropped).
//!
//! A bounded lock-free queue with a sequence number per slot (D. Vyukov's
//! bounded MPMC queue, consumer side simplified for a single consumer).
//! Where upstream's `ptr_ring` takes a producer spinlock, a producer here
//! claims a slot with one compare-and-exchange on the tail; it never
//! waits for another producer, so it is safe from softirq and hard IRQ.
//! Its atomics are `core`'s, inlined (see native.rs for why).

use crate::shim_bindings as shim;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize};
use kernel::bindings;
use kernel::prelude::*;

/// A page and its DMA address, as the pool keeps them.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) page: *mut bindings::page,
    pub(crate) dma: u64,
    /// The page's slot in the pool's DMA mapping table (0 unmapped).
    pub(crate) id: u32,
}

struct Slot {
    /// `pos` when free for the producer of position `pos`, `pos + 1` when
    /// it holds the entry of position `pos`.
    seq: AtomicUsize,
    page: AtomicPtr<bindings::page>,
    dma: AtomicU64,
    id: AtomicU32,
}

/// A bounded multi-producer, single-consumer ring of [`Entry`].
pub(crate) struct PtrRing {
    slots: KVVec<Slot>,
    mask: usize,
    /// The next position a producer claims.
    tail: AtomicUsize,
}

/// The consumer's position in a [`PtrRing`]. There is one per ring: the
/// ring's user keeps it with the state only the consumer touches.
pub(crate) struct Head(usize);

impl PtrRing {
    /// A ring of at least `size` slots (rounded up to a power of two, and
    /// at least 2: with one slot, "full for this lap" and "free for the
    /// next" would be the same sequence number) and its consumer position.
    pub(crate) fn new(size: u32) -> Result<(Self, Head)> {
        let size = (size as usize)
            .max(2)
            .checked_next_power_of_two()
            .ok_or(EINVAL)?;
        // Up to 32768 slots of 24 bytes: vmalloc rather than a high-order
        // kmalloc when memory is fragmented.
        let mut slots = KVVec::with_capacity(size, GFP_KERNEL)?;
        for i in 0..size {
            slots.push(
                Slot {
                    seq: AtomicUsize::new(i),
                    page: AtomicPtr::new(core::ptr::null_mut()),
                    dma: AtomicU64::new(0),
                    id: AtomicU32::new(0),
                },
                GFP_KERNEL,
            )?;
        }
        let ring = Self {
            slots,
            mask: size - 1,
            tail: AtomicUsize::new(0),
        };
        Ok((ring, Head(0)))
    }

    /// Adds `e`, or gives it back when the ring is full. Any context.
    ///
    /// Preemption is off from claiming a slot to publishing it: a producer
    /// preempted in between would hold up the consumer at that slot (and,
    /// past a wrap, every other producer) until it ran again.
    #[inline]
    pub(crate) fn push(&self, e: Entry) -> Result<(), Entry> {
        // SAFETY: paired with the `preempt_enable` below; any context.
        unsafe { shim::pkrs_preempt_disable() };
        let r = self.push_locked(e);
        // SAFETY: paired with the `preempt_disable` above.
        unsafe { shim::pkrs_preempt_enable() };
        r
    }

    #[inline(always)]
    fn push_locked(&self, e: Entry) -> Result<(), Entry> {
        let mut pos = self.tail.load(Relaxed);
        loop {
            let slot = &self.slots[pos & self.mask];
            // Acquire: the consumer's reads of this slot's last entry are
            // done before we overwrite it.
            let seq = slot.seq.load(Acquire);
            // CAST: the difference of two positions, compared to zero.
            let diff = seq.wrapping_sub(pos) as isize;
            if diff == 0 {
                match self
                    .tail
                    .compare_exchange(pos, pos.wrapping_add(1), Relaxed, Relaxed)
                {
                    Ok(_) => {
                        slot.page.store(e.page, Relaxed);
                        slot.dma.store(e.dma, Relaxed);
                        slot.id.store(e.id, Relaxed);
                        // Release: the consumer that sees the new sequence
                        // sees the entry.
                        slot.seq.store(pos.wrapping_add(1), Release);
                        return Ok(());
                    }
                    Err(now) => pos = now,
                }
            } else if diff < 0 {
                // The slot still holds the entry of one lap ago: full.
                return Err(e);
            } else {
                // Another producer took this position: catch up.
                pos = self.tail.load(Relaxed);
            }
        }
    }

    /// Takes the oldest entry, `None` when the ring is empty (or its oldest
    /// entry is still being written).
    ///
    /// # Safety
    ///
    /// `head` must be this ring's consumer position (from [`PtrRing::new`]),
    /// and no other call of `pop` on this ring may run at the same time.
    #[inline]
    pub(crate) unsafe fn pop(&self, head: &mut Head) -> Option<Entry> {
        let pos = head.0;
        let slot = &self.slots[pos & self.mask];
        // Acquire: pairs with the producer's release of the entry.
        if slot.seq.load(Acquire) != pos.wrapping_add(1) {
            return None;
        }
        let e = Entry {
            page: slot.page.load(Relaxed),
            dma: slot.dma.load(Relaxed),
            id: slot.id.load(Relaxed),
        };
        // Release: our reads are done before a producer reuses the slot,
        // one lap later.
        slot.seq
            .store(pos.wrapping_add(self.mask).wrapping_add(1), Release);
        head.0 = pos.wrapping_add(1);
        Some(e)
    }

    /// Entries in the ring, for statistics (racy while producers run).
    pub(crate) fn len(&self, head: &Head) -> usize {
        self.tail
            .load(Relaxed)
            .wrapping_sub(head.0)
            .min(self.mask + 1)
    }
}
