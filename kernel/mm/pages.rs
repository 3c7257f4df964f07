// SPDX-License-Identifier: GPL-2.0

//! Owned blocks of `2^order` pages from the page allocator.
//! (`kernel::page::Page` covers order 0 only.)

#![allow(dead_code, reason = "each page_bench module uses a different part")]

use super::shim_bindings;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::prelude::*;

/// The largest order the page allocator hands out.
pub(crate) const MAX_ORDER: u32 = bindings::MAX_PAGE_ORDER;

/// Rejects an order module parameter above [`MAX_ORDER`], with a reason.
pub(crate) fn check_order(param: &str, order: u32) -> Result {
    if order > MAX_ORDER {
        pr_err!(
            "invalid {}={}: above MAX_PAGE_ORDER ({})\n",
            param,
            order,
            MAX_ORDER
        );
        return Err(EINVAL);
    }
    Ok(())
}

/// A test: alloc + free of one block of order `rec.step`, `rec.loops` times.
pub(crate) fn alloc_free_loop(rec: &mut crate::time_bench::Record, _: &()) -> Result {
    let order = rec.step;
    rec.start();
    for _ in 0..rec.loops {
        drop(Pages::alloc_atomic(order)?);
    }
    rec.stop(u64::from(rec.loops));
    Ok(())
}

/// `2^order` contiguous pages, freed on drop.
///
/// # Invariants
///
/// `page` is the head of an allocation of `order` that this value owns (one
/// reference, taken by the allocator).
pub(crate) struct Pages {
    page: NonNull<bindings::page>,
    order: u32,
}

// SAFETY: a block of pages is not tied to the CPU or thread that allocated
// it: any CPU may free it (page_bench05 measures exactly that).
unsafe impl Send for Pages {}

impl Pages {
    /// Allocates without sleeping, as a driver's RX refill does
    /// (`GFP_ATOMIC | __GFP_NOWARN`, compound for order > 0).
    #[inline]
    pub(crate) fn alloc_atomic(order: u32) -> Result<Self> {
        if order > MAX_ORDER {
            return Err(EINVAL);
        }
        let mut gfp = bindings::GFP_ATOMIC | bindings::__GFP_NOWARN;
        if order > 0 {
            // `__GFP_COMP` is a C macro bindgen does not export; it is
            // `BIT(___GFP_COMP_BIT)` in include/linux/gfp_types.h.
            gfp |= 1 << bindings::___GFP_COMP_BIT;
        }
        // SAFETY: `alloc_pages` may be called with any flags and an order up
        // to `MAX_PAGE_ORDER` (checked above); atomic flags never sleep.
        let page = unsafe { bindings::alloc_pages(gfp, order) };
        let page = NonNull::new(page).ok_or(ENOMEM)?;
        // INVARIANT: we own the allocation just made.
        Ok(Self { page, order })
    }

    /// The order of the block.
    #[inline]
    pub(crate) fn order(&self) -> u32 {
        self.order
    }

    /// Gives up ownership: the caller now holds the reference.
    #[inline]
    pub(crate) fn into_raw(self) -> NonNull<bindings::page> {
        core::mem::ManuallyDrop::new(self).page
    }

    /// Takes back ownership of a block that [`Pages::into_raw`] gave up.
    ///
    /// # Safety
    ///
    /// `page` must come from [`Pages::into_raw`] on a block of `order`, and
    /// this must be the only `from_raw` for that call.
    #[inline]
    pub(crate) unsafe fn from_raw(page: NonNull<bindings::page>, order: u32) -> Self {
        // INVARIANT: by the safety requirements, ownership comes back to us.
        Self { page, order }
    }

    /// Drops our reference with `put_page()`, as drivers release pages.
    #[inline]
    pub(crate) fn put(self) {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: by the type invariants we own one reference to the head
        // page; `ManuallyDrop` keeps `drop` from freeing it a second time.
        unsafe { shim_bindings::pkrs_put_page(this.page.as_ptr()) };
    }
}

impl Drop for Pages {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: by the type invariants we own this allocation of `order`.
        unsafe { bindings::__free_pages(self.page.as_ptr(), self.order) };
    }
}

/// A fixed-size array of order-0 page slots, filled one page at a time or
/// by the page allocator's bulk API, and emptied one page at a time or by
/// `release_pages()`.
///
/// # Invariants
///
/// Every non-NULL slot holds an order-0 page that this value owns (one
/// reference each).
pub(crate) struct PageArray {
    slots: KVec<*mut bindings::page>,
}

impl PageArray {
    /// `n` empty slots.
    pub(crate) fn new(n: usize) -> Result<Self> {
        // INVARIANT: every slot is NULL.
        Ok(Self {
            slots: KVec::from_elem(core::ptr::null_mut(), n, GFP_KERNEL)?,
        })
    }

    /// Fills the first `n` slots with `alloc_pages()`, one call per page.
    /// Returns how many were filled (fewer when memory runs out).
    #[inline]
    pub(crate) fn fill_single(&mut self, n: usize) -> usize {
        let n = n.min(self.slots.len());
        for (i, slot) in self.slots[..n].iter_mut().enumerate() {
            if slot.is_null() {
                match Pages::alloc_atomic(0) {
                    // INVARIANT: the slot takes the reference of the new page.
                    Ok(p) => *slot = p.into_raw().as_ptr(),
                    Err(_) => return i,
                }
            }
        }
        n
    }

    /// Fills the empty ones among the first `n` slots with
    /// `alloc_pages_bulk()`: one call, and more only when a call stops short
    /// (it may, on per-CPU list contention or a low watermark) but made
    /// progress. Returns how many leading slots are filled.
    #[inline]
    pub(crate) fn fill_bulk(&mut self, n: usize) -> usize {
        let n = n.min(self.slots.len());
        let nr = kernel::ffi::c_int::try_from(n).unwrap_or(kernel::ffi::c_int::MAX);
        let gfp = bindings::GFP_ATOMIC | bindings::__GFP_NOWARN;
        let mut filled = 0;
        loop {
            // SAFETY: the first `nr` slots are valid for reads and writes;
            // the allocator fills only NULL slots, each with a page whose
            // reference passes to us (INVARIANT kept), and leaves the
            // others alone.
            let now =
                unsafe { shim_bindings::pkrs_alloc_pages_bulk(gfp, nr, self.slots.as_mut_ptr()) };
            // CAST: a count of slots, at most `nr`.
            let now = now as usize;
            if now >= n || now <= filled {
                return now;
            }
            filled = now;
        }
    }

    /// Frees the first `n` slots one page at a time (`__free_pages()`).
    #[inline]
    pub(crate) fn free_each(&mut self, n: usize) {
        let n = n.min(self.slots.len());
        for slot in &mut self.slots[..n] {
            let page = core::mem::replace(slot, core::ptr::null_mut());
            if !page.is_null() {
                // SAFETY: by the type invariants we own this order-0 page;
                // its slot is NULL from now on.
                unsafe { bindings::__free_pages(page, 0) };
            }
        }
    }

    /// Puts the pages of the first `n` slots with one `release_pages()`
    /// call. The filled slots must come first (as the fill methods leave
    /// them).
    #[inline]
    pub(crate) fn release(&mut self, n: usize) {
        let n = n.min(self.slots.len());
        let filled = self.slots[..n].iter().take_while(|p| !p.is_null()).count();
        let nr = kernel::ffi::c_int::try_from(filled).unwrap_or(kernel::ffi::c_int::MAX);
        // SAFETY: the first `nr` slots hold pages we own (type invariants);
        // `release_pages` drops one reference from each.
        unsafe { shim_bindings::pkrs_release_pages(self.slots.as_mut_ptr(), nr) };
        // CAST: `nr` is non-negative and at most `filled`.
        for slot in &mut self.slots[..nr as usize] {
            // INVARIANT: these references were just dropped.
            *slot = core::ptr::null_mut();
        }
        // Pages past a hole, if any, are freed one by one.
        self.free_each(n);
    }
}

impl Drop for PageArray {
    fn drop(&mut self) {
        self.free_each(self.slots.len());
    }
}
