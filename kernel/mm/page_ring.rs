// SPDX-License-Identifier: GPL-2.0

//! A bounded FIFO of page blocks for handing pages from one CPU to another.
//!
//! Each slot is an atomic pointer, NULL when empty. A producer claims an
//! empty slot with a compare-and-exchange and a consumer empties a full
//! slot with an exchange, so a block always has exactly one owner, however
//! many CPUs use the ring; each side walks the slots in order with its own
//! [`Cursor`], so with one producer and one consumer the blocks come out in
//! the order they went in and the two sides share no index.

use crate::pages::Pages;
use core::ptr::{null_mut, NonNull};
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::atomic::{Acquire, Atomic, Relaxed, Release};

/// A ring of `2^k` slots, each empty or owning one block of `order`.
///
/// # Invariants
///
/// Every non-NULL slot holds a block of `order` given up by
/// [`Pages::into_raw`], owned by the ring.
pub(crate) struct PageRing {
    slots: KVec<Atomic<*mut bindings::page>>,
    mask: usize,
    order: u32,
}

/// One side's position in a [`PageRing`].
#[derive(Default)]
pub(crate) struct Cursor(usize);

impl PageRing {
    /// An empty ring of `size` slots (a power of two) for blocks of `order`.
    pub(crate) fn new(size: usize, order: u32) -> Result<Self> {
        if !size.is_power_of_two() {
            return Err(EINVAL);
        }
        let mut slots = KVec::with_capacity(size, GFP_KERNEL)?;
        for _ in 0..size {
            slots.push(Atomic::new(null_mut()), GFP_KERNEL)?;
        }
        // INVARIANT: every slot is NULL.
        Ok(Self {
            slots,
            mask: size - 1,
            order,
        })
    }

    /// Puts `page` in the slot at `cursor` and advances the cursor, or
    /// gives the block back when that slot is still full (the ring is full)
    /// or the block is not of the ring's order.
    #[inline]
    pub(crate) fn push(&self, cursor: &mut Cursor, page: Pages) -> Result<(), Pages> {
        if page.order() != self.order {
            return Err(page);
        }
        let slot = &self.slots[cursor.0 & self.mask];
        let raw = page.into_raw();
        // Release: the consumer that takes the block sees it fully set up.
        match slot.cmpxchg(null_mut(), raw.as_ptr(), Release) {
            Ok(_) => {
                // INVARIANT: the slot owns the block from now on.
                cursor.0 = cursor.0.wrapping_add(1);
                Ok(())
            }
            // SAFETY: the exchange failed, so `raw` is still ours alone: it
            // came from `into_raw` just above, on a block of `self.order`.
            Err(_) => Err(unsafe { Pages::from_raw(raw, self.order) }),
        }
    }

    /// Takes the block in the slot at `cursor` and advances the cursor;
    /// `None` when that slot is empty (the ring is empty).
    #[inline]
    pub(crate) fn pop(&self, cursor: &mut Cursor) -> Option<Pages> {
        let slot = &self.slots[cursor.0 & self.mask];
        if slot.load(Relaxed).is_null() {
            return None;
        }
        // Acquire: pairs with the producer's release.
        let raw = NonNull::new(slot.xchg(null_mut(), Acquire))?;
        cursor.0 = cursor.0.wrapping_add(1);
        // SAFETY: the exchange emptied the slot, so the block it held (from
        // `into_raw`, of `self.order`, by the type invariants) is ours alone.
        Some(unsafe { Pages::from_raw(raw, self.order) })
    }
}

impl Drop for PageRing {
    fn drop(&mut self) {
        for slot in self.slots.iter() {
            if let Some(raw) = NonNull::new(slot.xchg(null_mut(), Relaxed)) {
                // SAFETY: as in `pop`: the slot owned this block.
                drop(unsafe { Pages::from_raw(raw, self.order) });
            }
        }
    }
}
