// SPDX-License-Identifier: GPL-2.0

//! The kernel's own page_pool (`net/core/page_pool.c`) behind the same
//! interface as the native one. Its fast-path helpers are static inline,
//! so they are reached through the C shim (`pkrs_pp_*`).
//!
//! The kernel's pool keeps itself alive while pages are out
//! (`page_pool_destroy()` defers the release), so a [`CPage`] may outlive
//! the [`CPagePool`] it came from; its DMA address is no longer valid then
//! (the kernel unmaps pages in flight at destroy, `page_pool_scrub()`).
//! Unlike the native pool's, its pages must not be returned from hard IRQ
//! (the kernel's ring takes a `spin_lock_bh`): debug builds check it.

use super::dbgfs::{Dir, File};
use super::{
    MemModel, PagePool, Params, PoolDomain, PoolPage, Stats, DMA_MAP, DMA_SYNC_DEV, PREZERO,
};
use crate::shim_bindings as shim;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::device::Device;
use kernel::dma::DmaAddress;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::Arc;

/// The kernel's `PP_FLAG_DMA_MAP` and `PP_FLAG_DMA_SYNC_DEV`.
const PP_FLAG_DMA_MAP: u32 = 1 << 0;
const PP_FLAG_DMA_SYNC_DEV: u32 = 1 << 1;

/// A page of a kernel page_pool. Dropping it returns the page to the pool
/// (`page_pool_put_full_page()`, not direct).
///
/// # Invariants
///
/// `page` was allocated from the kernel pool `pool`, which stays alive
/// until the page is returned, and has not been returned yet.
pub(crate) struct CPage {
    page: NonNull<bindings::page>,
    pool: NonNull<c_void>,
}

// SAFETY: the kernel's page_pool accepts returns from any context but hard
// IRQ (checked in debug builds), on any CPU.
unsafe impl Send for CPage {}

impl PoolPage for CPage {
    #[inline]
    fn as_raw(&self) -> *mut bindings::page {
        self.page.as_ptr()
    }

    #[inline]
    fn dma_addr(&self) -> Option<DmaAddress> {
        // SAFETY: by the type invariants the page belongs to a live pool.
        if !unsafe { shim::pkrs_pp_dma_mapped(self.pool.as_ptr()) } {
            return None;
        }
        // SAFETY: as above; a mapping pool stored the address in the page.
        Some(unsafe { shim::pkrs_pp_dma_addr(self.page.as_ptr()) })
    }
}

impl Drop for CPage {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: reads the preempt count; callable from any context.
        debug_assert!(!unsafe { shim::pkrs_in_hardirq_or_nmi() });
        // SAFETY: by the type invariants the page is from `pool`, which is
        // alive and has not had it back; `false`: not the alloc side.
        unsafe { shim::pkrs_pp_put_full_page(self.pool.as_ptr(), self.page.as_ptr(), false) };
    }
}

/// What debugfs shows of a kernel pool, and what reads its counters for
/// [`PagePool::read_stats`].
pub(crate) struct StatsView(NonNull<c_void>);

// SAFETY: the view only calls `page_pool_get_stats()` and reads counters,
// which any context may; the pool drops its file before it is destroyed,
// and a stats handle is used only while the pool lives.
unsafe impl Send for StatsView {}
// SAFETY: as for `Send`.
unsafe impl Sync for StatsView {}

impl core::fmt::Debug for StatsView {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&read_stats(self.0), f)
    }
}

/// The owner of a kernel page_pool (its alloc side).
///
/// # Invariants
///
/// `pool` is a pool made by `page_pool_create()` and not destroyed yet.
pub(crate) struct CPagePool {
    pool: NonNull<c_void>,
    gfp: bindings::gfp_t,
    /// The kernel's pool uses the device until it is destroyed and takes
    /// no reference of its own: we hold one for it.
    _dev: Option<ARef<Device>>,
    /// `stats` in the domain's debugfs directory, as the native pool's.
    stats_file: Option<KBox<File<StatsView>>>,
    _dir: Dir,
}

// SAFETY: the owner may move between threads; `&mut self` keeps its alloc
// side to one context at a time.
unsafe impl Send for CPagePool {}

impl PagePool for CPagePool {
    type Page = CPage;
    const KIND: &'static str = "c";

    fn new(params: &Params<'_>, domain: &Arc<PoolDomain>) -> Result<Self> {
        params.validate()?;
        if params.max_outstanding != 0 || params.flags & PREZERO != 0 {
            pr_err!(
                "page_pool {}: the kernel's page_pool has no outstanding limit or pre-zeroing\n",
                params.name.to_str().unwrap_or("?")
            );
            return Err(EINVAL);
        }
        let mut flags = 0;
        if params.flags & DMA_MAP != 0 {
            flags |= PP_FLAG_DMA_MAP;
        }
        if params.flags & DMA_SYNC_DEV != 0 {
            flags |= PP_FLAG_DMA_SYNC_DEV;
        }
        let p = shim::pkrs_pp_params {
            order: params.order,
            pool_size: params.pool_size,
            nid: params.nid,
            dev: params
                .dev
                .map_or(core::ptr::null_mut(), |d| super::dev_raw(d)),
            dma_dir: params.dma_dir as c_int,
            max_len: params.max_len,
            offset: params.offset,
            flags,
            napi: params.napi,
            netdev: params.netdev,
        };
        // SAFETY: `p` is a valid parameter block; the device, if any, is
        // alive, and `_dev` below keeps it so until the pool is destroyed.
        let pool = kernel::error::from_err_ptr(unsafe { shim::pkrs_pp_create(&p) })?;
        let pool = NonNull::new(pool).ok_or(ENOMEM)?;
        let dir = domain.dir.subdir(params.name);
        let stats_file = dir.read_only_file(c"stats", StatsView(pool)).ok();
        // INVARIANT: a pool just created.
        Ok(Self {
            pool,
            gfp: bindings::GFP_ATOMIC | bindings::__GFP_NOWARN,
            _dev: params.dev.map(|d| ARef::from(&**d)),
            stats_file,
            _dir: dir,
        })
    }

    #[inline]
    fn alloc(&mut self) -> Result<CPage> {
        // SAFETY: by the type invariants the pool is alive; `&mut self`
        // makes this its only alloc-side user.
        let page = unsafe { shim::pkrs_pp_alloc(self.pool.as_ptr(), self.gfp) };
        // INVARIANT: a page of this pool, handed out.
        Ok(CPage {
            page: NonNull::new(page).ok_or(ENOMEM)?,
            pool: self.pool,
        })
    }

    #[inline]
    fn recycle_direct(&mut self, page: CPage) {
        if page.pool != self.pool {
            return drop(page);
        }
        let page = core::mem::ManuallyDrop::new(page);
        // SAFETY: the page is from this live pool and not returned yet;
        // `&mut self` makes this the pool's alloc side, as `allow_direct`
        // requires.
        unsafe { shim::pkrs_pp_put_full_page(self.pool.as_ptr(), page.page.as_ptr(), true) };
    }

    #[inline]
    fn release_to_stack(&mut self, page: CPage) -> *mut bindings::page {
        // The page stays the pool's: the stack gives it back
        // (`MEM_TYPE_PAGE_POOL`, or an skb marked for recycling).
        core::mem::ManuallyDrop::new(page).page.as_ptr()
    }

    fn drop_released(&mut self, page: *mut bindings::page) {
        // SAFETY: `release_to_stack` left the page this pool's; `&mut self`
        // is the alloc side, as `allow_direct` requires.
        unsafe { shim::pkrs_pp_put_full_page(self.pool.as_ptr(), page, true) };
    }

    #[inline]
    fn sync_for_cpu(&self, page: &CPage, offset: u32, len: u32) {
        // SAFETY: the page is in flight of its live pool; the kernel checks
        // nothing else and syncs only when the pool maps.
        unsafe { shim::pkrs_pp_sync_for_cpu(page.pool.as_ptr(), page.page.as_ptr(), offset, len) };
    }

    fn mem_model(&self) -> MemModel {
        MemModel::PagePool(self.pool.as_ptr())
    }

    fn stats(&self) -> Stats {
        read_stats(self.pool)
    }

    type StatsHandle = StatsView;

    unsafe fn stats_handle(&self) -> StatsView {
        StatsView(self.pool)
    }

    fn read_stats(h: &StatsView) -> Stats {
        read_stats(h.0)
    }
}

/// The counters of the kernel pool `pool` (alive).
fn read_stats(pool: NonNull<c_void>) -> Stats {
    let mut s = shim::pkrs_pp_stats::default();
    // SAFETY: the pool is alive; `s` is a valid block to fill.
    unsafe { shim::pkrs_pp_get_stats(pool.as_ptr(), &mut s) };
    Stats {
        alloc_fast: s.alloc_fast,
        alloc_slow: s.alloc_slow,
        alloc_slow_high_order: s.alloc_slow_high_order,
        alloc_empty: s.alloc_empty,
        alloc_refill: s.alloc_refill,
        alloc_waive: s.alloc_waive,
        recycle_cached: s.recycle_cached,
        recycle_cache_full: s.recycle_cache_full,
        recycle_ring: s.recycle_ring,
        recycle_ring_full: s.recycle_ring_full,
        recycle_released_refcnt: s.recycle_released_refcnt,
        alloc_over_limit: 0,
        // The kernel keeps these as 32-bit counters that wrap: `release`
        // is set so that `hold - release` is the true difference.
        hold: s.hold,
        // CAST: both are 32-bit values in `u64`s.
        release: s
            .hold
            .wrapping_sub(u64::from((s.hold as u32).wrapping_sub(s.release as u32))),
        outstanding: 0,
    }
}
impl Drop for CPagePool {
    fn drop(&mut self) {
        // The debugfs file reads the pool: it goes first.
        drop(self.stats_file.take());
        // SAFETY: by the type invariants the pool is not destroyed yet; the
        // kernel frees it once its pages are back.
        unsafe { shim::pkrs_pp_destroy(self.pool.as_ptr()) };
    }
}
