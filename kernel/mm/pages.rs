// SPDX-License-Identifier: GPL-2.0

//! Owned blocks of `2^order` pages from the page allocator.
//! (`kernel::page::Page` covers order 0 only.)

use super::shim_bindings;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::prelude::*;

/// The largest order the page allocator hands out.
pub(crate) const MAX_ORDER: u32 = bindings::MAX_PAGE_ORDER;

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
