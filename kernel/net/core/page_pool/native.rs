// SPDX-License-Identifier: GPL-2.0

//! The native page_pool, in Rust.
//!
//! The design of the seed documents and of `net/core/page_pool.c`:
//! - an array cache of pages that only the alloc side touches, without
//!   locks or atomics: `alloc` takes from it, `recycle_direct` puts back
//!   into it (the XDP_DROP case);
//! - a lock-free ring ([`PtrRing`]) for pages returned from anywhere else,
//!   drained into the cache in bulk when the cache runs dry;
//! - the page allocator, in bulk (`alloc_pages_bulk()`) on the pool's
//!   node, when the ring is empty too; each page is DMA-mapped once, when
//!   it enters the pool, and unmapped when it leaves it; the mappings are
//!   tracked ([`DmaMaps`]) so that dropping the pool unmaps the pages still
//!   out as well, and nothing touches the device after the drop;
//! - release to the page allocator when the cache and ring are full, or
//!   when a page cannot be reused (someone else holds it, or it sits on
//!   another NUMA node than the pool's);
//! - in-flight accounting: pages that entered (`hold`, counted by the alloc
//!   side) against pages that left (`release`, counted atomically); a
//!   dropped pool lives on, with its reaper, until the two are equal;
//! - a limit on the pages out at once, which upstream lacks: past it,
//!   `alloc` fails with `ENOSPC` and counts it, so a stuck consumer cannot
//!   drain memory;
//! - counters named as upstream's, compiled out with `CONFIG_PKRS_PAGE_POOL_STATS=n`;
//!   what the alloc side writes, what other contexts write and what no one
//!   writes after creation sit on separate cache lines.
//!
//! # Lifetime
//!
//! The owner ([`RsPagePool`]) and every page handed out ([`RsPage`]) point
//! to one [`Shared`] block. It is freed when the owner is gone and every
//! page came back: by the owner's drop if nothing is out then, else by the
//! [`Reaper`] once the last page is released. Whoever releases a page
//! counts it in `release` as its very last access to `Shared`, so the
//! block is never freed under a returning page.
//!
//! Pages must be back before the module that made the pool is unloaded:
//! their handles run this module's code when dropped.

use super::dbgfs::{Dir, File};
use super::dma::DmaMaps;
use super::ring::{Entry, Head, PtrRing};
use super::{
    CacheAligned, MemModel, PagePool, Params, PoolPage, Stats, DMA_MAP, DMA_SYNC_DEV, PREZERO,
};
use crate::shim_bindings as shim;
use core::ptr::NonNull;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU64};
use kernel::bindings;
use kernel::dma::DmaAddress;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::str::{CStr, CString};
use kernel::sync::{Arc, Mutex};
use kernel::workqueue::{self, impl_has_delayed_work, DelayedWork, WorkItem};

/// Pages the alloc cache holds (as upstream's `PP_ALLOC_CACHE_SIZE`).
const CACHE_SIZE: usize = 128;
/// Pages moved into the cache at once, from the ring or the allocator.
const REFILL: usize = 64;
/// How often the reaper looks at destroyed pools while one waits, in ms.
const REAP_MS: u32 = 100;

// The pool's own atomics are `core`'s, not `kernel::sync::atomic`'s: the
// latter call an out-of-line C helper for every access (unless the kernel
// inlines its Rust helpers, CONFIG_RUST_INLINE_HELPERS, which needs a clang
// matching rustc's LLVM), several per page on the fast path. `core`'s
// compile to plain instructions. Only Rust code touches them, so the Rust
// (C11) memory model covers every access.

/// Whether the counters are compiled in.
const STATS: bool = cfg!(pkrs_pp_stats);

/// Adds one to a counter that only one context writes (plain load and
/// store, no atomic instruction; readers elsewhere see a recent value).
#[inline(always)]
fn inc_local(c: &AtomicU64) {
    c.store(c.load(Relaxed).wrapping_add(1), Relaxed);
}

/// [`inc_local`] for a statistics counter.
#[inline(always)]
fn stat_local(c: &AtomicU64) {
    if STATS {
        inc_local(c);
    }
}

/// Counters written from any context, per CPU (as upstream's
/// `recycle_stats`): no cache line bounces between returning CPUs.
///
/// # Invariants
///
/// `0` is null (counters off, or no memory for them) or per-CPU memory of
/// [`PerCpu::N`] counters from `pkrs_percpu_alloc()`, freed by our drop.
struct PerCpu(*mut c_void);

impl PerCpu {
    const RING_ATTEMPTS: u32 = 0;
    const RING_FULL: u32 = 1;
    const RELEASED_REFCNT: u32 = 2;
    const N: u32 = 3;

    fn new() -> Self {
        if !STATS {
            return Self(core::ptr::null_mut());
        }
        // SAFETY: allocates; process context (pool creation).
        // INVARIANT: null, or `N` per-CPU counters.
        Self(unsafe { shim::pkrs_percpu_alloc(Self::N) })
    }

    /// Adds one to counter `i` on this CPU; any context but NMI.
    #[inline(always)]
    fn inc(&self, i: u32) {
        if STATS && !self.0.is_null() {
            // SAFETY: per-CPU memory of `N` counters (invariants), `i < N`.
            unsafe { shim::pkrs_percpu_inc(self.0, i) };
        }
    }

    fn sum(&self, i: u32) -> u64 {
        if self.0.is_null() {
            return 0;
        }
        // SAFETY: as above.
        unsafe { shim::pkrs_percpu_sum(self.0, i) }
    }
}

impl Drop for PerCpu {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: allocated by `new`; nothing uses it any more.
            unsafe { shim::pkrs_percpu_free(self.0) };
        }
    }
}

/// Counters only the alloc side writes.
struct LocalCounters {
    hold: AtomicU64,
    handed_out: AtomicU64,
    returned_direct: AtomicU64,
    alloc_fast: AtomicU64,
    alloc_slow: AtomicU64,
    alloc_slow_high_order: AtomicU64,
    alloc_empty: AtomicU64,
    alloc_refill: AtomicU64,
    alloc_waive: AtomicU64,
    recycle_cached: AtomicU64,
    recycle_cache_full: AtomicU64,
    alloc_over_limit: AtomicU64,
}

/// Counters written from any context that are not statistics (upstream's
/// `pages_state_release_cnt` is one shared atomic too).
struct SharedCounters {
    /// Pages that left the pool (see the module's "Lifetime").
    release: AtomicU64,
    returned_other: AtomicU64,
}

/// What the owner, the pages handed out and the reaper share.
struct Shared {
    // Written at creation only (`destroying` once, at the owner's drop).
    ring: PtrRing,
    name: CString,
    /// The pages' DMA mappings (with [`DMA_MAP`]).
    maps: Option<DmaMaps>,
    order: u32,
    nid: i32,
    /// Bytes of each page: `PAGE_SIZE << order`.
    bytes: usize,
    flags: u32,
    max_len: u32,
    offset: u32,
    /// Most pages out at once; 0: no limit.
    limit: u64,
    /// Whether pages out are counted (for the limit, or the statistics).
    track_out: bool,
    /// Set when the owner drops the pool: returns skip the ring.
    destroying: AtomicI32,
    local: CacheAligned<LocalCounters>,
    shared: CacheAligned<SharedCounters>,
    /// Statistics counted from any context.
    pcpu: PerCpu,
}

// SAFETY: `Shared` is only reached through shared references; its fields
// are atomics, immutable parameters, the ring (itself `Sync`), the mapping
// table (atomics, and a device reference usable from any thread) or the
// per-CPU counters (each CPU adds to its own, from any context).
unsafe impl Sync for Shared {}
// SAFETY: as for `Sync`: nothing in it is tied to a thread.
unsafe impl Send for Shared {}

impl Shared {
    /// Whether a page coming back may be reused: we hold its only
    /// reference, and it is not from the emergency reserves.
    #[inline]
    fn recyclable(&self, page: *mut bindings::page) -> bool {
        // SAFETY: the pool holds a reference to `page`, so it is a live
        // `struct page`.
        unsafe { shim::pkrs_page_recyclable(page) }
    }

    /// Whether a page from the ring is on the pool's NUMA node (the local
    /// one for `NUMA_NO_NODE`), as upstream checks on refill.
    #[inline]
    fn on_node(&self, _page: *mut bindings::page) -> bool {
        #[cfg(CONFIG_NUMA)]
        {
            let want = if self.nid == bindings::NUMA_NO_NODE {
                // SAFETY: reads this CPU's node; any context.
                unsafe { shim::pkrs_numa_mem_id() }
            } else {
                self.nid
            };
            // SAFETY: the pool holds a reference to the page.
            return unsafe { shim::pkrs_page_to_nid(_page) } == want;
        }
        #[cfg(not(CONFIG_NUMA))]
        true
    }

    /// Makes the device see `max_len` bytes at `offset` (`DMA_SYNC_DEV`),
    /// on the alloc side (the owner is alive, so the device is there).
    #[inline]
    fn sync_for_device(&self, e: Entry) {
        if self.flags & DMA_SYNC_DEV != 0 {
            if let Some(m) = &self.maps {
                // SAFETY: the owner is alive, so the table is not gone;
                // `e.dma` maps the page (it is in the pool) and `offset +
                // max_len <= bytes` was checked at creation.
                unsafe { m.sync_for_device(m.device(), e.dma, self.offset, self.max_len) };
            }
        }
    }

    /// Maps a page entering the pool (`DMA_MAP`): its entry.
    fn map(&self, page: *mut bindings::page) -> Result<Entry> {
        let Some(m) = &self.maps else {
            return Ok(Entry {
                page,
                dma: 0,
                id: 0,
            });
        };
        let (dma, id) = m.map(page)?;
        let e = Entry { page, dma, id };
        self.sync_for_device(e);
        Ok(e)
    }

    /// Unmaps the page (unless the pool was scrubbed) and counts it in
    /// `release`; the caller keeps the pool's reference to the page.
    /// Counting is the last access to `self`.
    #[inline]
    fn release_keep(&self, e: Entry) -> *mut bindings::page {
        if let Some(m) = &self.maps {
            m.release(e.id);
        }
        // Release: everything we did with the pool happens before a reaper
        // that sees this count frees it.
        self.shared.release.fetch_add(1, Release);
        e.page
    }

    /// The page leaves the pool: unmapped, counted, and the pool's
    /// reference dropped. Counting is the last access to `self`.
    fn release_page(&self, e: Entry) {
        if let Some(m) = &self.maps {
            m.release(e.id);
        }
        self.release_unmapped(e.page);
    }

    /// Drops the pool's reference to a page that is not DMA-mapped (any
    /// more) and counts it in `release`, the last access to `self`.
    fn release_unmapped(&self, page: *mut bindings::page) {
        // SAFETY: the pool owns one reference to the page; this drops it
        // (freeing the page unless someone else holds another).
        unsafe { shim::pkrs_put_page(page) };
        // Release: as in `release_keep`.
        self.shared.release.fetch_add(1, Release);
    }

    /// A page comes back from a context that is not the alloc side.
    ///
    /// # Safety
    ///
    /// `this` points to a live `Shared`, kept alive by `e` being one of its
    /// pages in flight, which the caller gives up.
    unsafe fn put(this: NonNull<Self>, e: Entry) {
        // SAFETY: by the function's safety requirements.
        let s = unsafe { this.as_ref() };
        if s.track_out {
            s.shared.returned_other.fetch_add(1, Relaxed);
        }
        if !s.recyclable(e.page) {
            s.pcpu.inc(PerCpu::RELEASED_REFCNT);
            return s.release_page(e);
        }
        if s.destroying.load(Relaxed) != 0 {
            return s.release_page(e);
        }
        if s.flags & DMA_SYNC_DEV != 0 {
            if let Some(m) = &s.maps {
                // The owner may be dropping the pool right now: sync only
                // while the table is live, which its scrub waits for.
                // SAFETY: inside `with_device` the device is the table's and
                // not gone; `e.dma` maps the page (still in the pool), and
                // `offset + max_len <= bytes` was checked at creation.
                let live = m.with_device(|dev| unsafe {
                    m.sync_for_device(dev, e.dma, s.offset, s.max_len)
                });
                if !live {
                    return s.release_page(e);
                }
            }
        }
        s.pcpu.inc(PerCpu::RING_ATTEMPTS);
        if let Err(e) = s.ring.push(e) {
            s.pcpu.inc(PerCpu::RING_FULL);
            s.release_page(e);
        }
        // Once in the ring, the page may be released, and the pool freed,
        // at any time: no access to `s` after the push.
    }

    /// The counters, as [`Stats`].
    fn stats(&self) -> Stats {
        let c = &self.local;
        let o = &self.shared;
        let ring_full = self.pcpu.sum(PerCpu::RING_FULL);
        Stats {
            alloc_fast: c.alloc_fast.load(Relaxed),
            alloc_slow: c.alloc_slow.load(Relaxed),
            alloc_slow_high_order: c.alloc_slow_high_order.load(Relaxed),
            alloc_empty: c.alloc_empty.load(Relaxed),
            alloc_refill: c.alloc_refill.load(Relaxed),
            alloc_waive: c.alloc_waive.load(Relaxed),
            recycle_cached: c.recycle_cached.load(Relaxed),
            recycle_cache_full: c.recycle_cache_full.load(Relaxed),
            recycle_ring: self.pcpu.sum(PerCpu::RING_ATTEMPTS).wrapping_sub(ring_full),
            recycle_ring_full: ring_full,
            recycle_released_refcnt: self.pcpu.sum(PerCpu::RELEASED_REFCNT),
            alloc_over_limit: c.alloc_over_limit.load(Relaxed),
            hold: c.hold.load(Relaxed),
            release: o.release.load(Relaxed),
            outstanding: self.outstanding(),
        }
    }

    /// Pages handed out and not yet back (0 when they are not counted).
    #[inline]
    fn outstanding(&self) -> u64 {
        if !self.track_out {
            return 0;
        }
        self.local
            .handed_out
            .load(Relaxed)
            .wrapping_sub(self.local.returned_direct.load(Relaxed))
            .wrapping_sub(self.shared.returned_other.load(Relaxed))
    }
}

/// A page of a native pool. Dropping it returns the page to the pool.
///
/// # Invariants
///
/// `e.page` is a page in flight of the pool `pool` points to (which keeps
/// that pool alive), with its DMA address `e.dma`.
pub(crate) struct RsPage {
    e: Entry,
    pool: NonNull<Shared>,
}

// SAFETY: a page may be returned from any thread (`Shared::put` is safe in
// any context), and `Shared` is `Sync`.
unsafe impl Send for RsPage {}

impl RsPage {
    /// Gives up the handle without returning the page.
    #[inline]
    fn into_entry(self) -> Entry {
        core::mem::ManuallyDrop::new(self).e
    }
}

impl PoolPage for RsPage {
    #[inline]
    fn as_raw(&self) -> *mut bindings::page {
        self.e.page
    }

    #[inline]
    fn dma_addr(&self) -> Option<DmaAddress> {
        // SAFETY: by the type invariants the pool is alive.
        unsafe { self.pool.as_ref() }
            .maps
            .as_ref()
            .map(|_| self.e.dma)
    }
}

impl Drop for RsPage {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: by the type invariants the page is in flight and keeps
        // the pool alive; the handle is gone after this.
        unsafe { Shared::put(self.pool, self.e) };
    }
}

/// What debugfs shows of a pool, and what reads its counters for
/// [`PagePool::read_stats`]: the counters of its shared block.
pub(crate) struct StatsView(NonNull<Shared>);

// SAFETY: the view only reads atomics of a `Sync` block; the pool drops
// its debugfs file before the block can be freed, and a stats handle is
// used only while the pool lives (`PagePool::stats_handle`).
unsafe impl Send for StatsView {}
// SAFETY: as for `Send`.
unsafe impl Sync for StatsView {}

impl core::fmt::Debug for StatsView {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // SAFETY: see the `Send` impl: the block outlives the file.
        let s = unsafe { self.0.as_ref() };
        core::fmt::Debug::fmt(&s.stats(), f)
    }
}

/// The owner of a native page_pool: its alloc side.
///
/// # Invariants
///
/// `shared` points to a live `Shared` that this pool owns (with the pages
/// in flight); the entries of `cache` are pages in flight, not out; `head`
/// is the consumer position of `shared.ring`.
pub(crate) struct RsPagePool {
    /// The alloc cache: its own allocation, made once at creation.
    cache: KVec<Entry>,
    shared: NonNull<Shared>,
    head: Option<Head>,
    gfp: bindings::gfp_t,
    domain: Arc<PoolDomain>,
    stats_file: Option<KBox<File<StatsView>>>,
    _dir: Dir,
}

// SAFETY: the owner may move between threads (it is used from one context
// at a time, as `&mut self` guarantees); what it points to is `Send`.
unsafe impl Send for RsPagePool {}
// SAFETY: through `&self` the owner only reads its parameters and the
// atomics of `Shared` (`stats`); everything else takes `&mut self`.
unsafe impl Sync for RsPagePool {}

impl RsPagePool {
    #[inline(always)]
    fn shared(&self) -> &Shared {
        // SAFETY: by the type invariants `shared` is live while we are.
        unsafe { self.shared.as_ref() }
    }

    #[inline(always)]
    fn local(&self) -> &LocalCounters {
        &self.shared().local
    }

    /// The alloc side's contract: one context at a time (`&mut self`
    /// ensures it for safe code), never hard IRQ or NMI.
    #[inline(always)]
    fn check_context(&self) {
        // The kernel pool's contract (`lockdep_assert_no_hardirq()` on its
        // put path): not in hard IRQ or NMI, nor with interrupts off, as
        // a NAPI poll of budget 0 from netpoll runs.
        // SAFETY: reads the preempt count and the IRQ flags; any context.
        debug_assert!(!unsafe { shim::pkrs_hardirq_or_irqs_off() });
    }

    #[cold]
    fn over_limit(&self) -> Result<RsPage> {
        inc_local(&self.local().alloc_over_limit);
        Err(ENOSPC)
    }

    /// Moves up to [`REFILL`] pages from the ring into the (empty) cache.
    /// A page on another node than the pool's is released and ends the
    /// refill, as upstream does: one stray page costs one release, not a
    /// drained ring.
    fn refill_from_ring(&mut self) -> usize {
        let Some(mut head) = self.head.take() else {
            return 0;
        };
        let mut n = 0;
        while n < REFILL {
            // SAFETY: `head` is the ring's consumer position (type
            // invariants) and `&mut self` makes us the only consumer.
            let Some(e) = (unsafe { self.shared().ring.pop(&mut head) }) else {
                break;
            };
            if !self.shared().on_node(e.page) {
                stat_local(&self.local().alloc_waive);
                self.shared().release_page(e);
                break;
            }
            // INVARIANT: a page in flight, in the cache (which holds at
            // most `CACHE_SIZE` and is empty here).
            if let Err(e) = self.cache.push_within_capacity(e) {
                self.shared().release_page(e.0);
                break;
            }
            n += 1;
        }
        self.head = Some(head);
        n
    }

    /// Fills the cache from the page allocator: order 0 in bulk, on the
    /// pool's node.
    fn refill_from_allocator(&mut self) -> Result {
        let mut pages = [core::ptr::null_mut::<bindings::page>(); REFILL];
        // CAST: `REFILL` fits in a `c_int`.
        // SAFETY: `pages` has `REFILL` writable NULL slots; the allocator
        // fills some with order-0 pages whose references become ours. The
        // node was checked at creation.
        let got = unsafe {
            shim::pkrs_alloc_pages_bulk_node(
                self.gfp,
                self.shared().nid,
                REFILL as c_int,
                pages.as_mut_ptr(),
            )
        };
        // CAST: at most `REFILL`.
        for &page in &pages[..(got.max(0) as usize).min(REFILL)] {
            if page.is_null() {
                continue;
            }
            inc_local(&self.local().hold);
            match self.shared().map(page) {
                // INVARIANT: a page in flight, in the cache (empty before
                // the refill, which adds at most `REFILL < CACHE_SIZE`).
                Ok(e) => {
                    if let Err(e) = self.cache.push_within_capacity(e) {
                        self.shared().release_page(e.0);
                    }
                }
                // Counted in `hold`, so released like any page (unmapped).
                Err(_) => self.shared().release_unmapped(page),
            }
        }
        if self.cache.is_empty() {
            return Err(ENOMEM);
        }
        Ok(())
    }

    /// One page of order > 0 from the page allocator.
    fn alloc_high_order(&mut self) -> Result<Entry> {
        let order = self.shared().order;
        // `__GFP_COMP` is `BIT(___GFP_COMP_BIT)` (include/linux/gfp_types.h).
        let gfp = self.gfp | (1 << bindings::___GFP_COMP_BIT);
        // SAFETY: any flags, a node with memory (checked at creation) and
        // an order up to `MAX_PAGE_ORDER` (checked too) may be passed; these
        // flags do not sleep.
        let page = unsafe { shim::pkrs_alloc_pages_node(self.shared().nid, gfp, order) };
        if page.is_null() {
            return Err(ENOMEM);
        }
        inc_local(&self.local().hold);
        stat_local(&self.local().alloc_slow_high_order);
        match self.shared().map(page) {
            Ok(e) => Ok(e),
            Err(e) => {
                self.shared().release_unmapped(page);
                Err(e)
            }
        }
    }

    /// The cache is empty: refill it from the ring, else the allocator.
    #[cold]
    fn alloc_slow(&mut self) -> Result<Entry> {
        if self.refill_from_ring() > 0 {
            stat_local(&self.local().alloc_refill);
        } else {
            stat_local(&self.local().alloc_empty);
            if self.shared().order > 0 {
                return self.alloc_high_order();
            }
            self.refill_from_allocator()?;
            stat_local(&self.local().alloc_slow);
        }
        self.cache.pop().ok_or(ENOMEM)
    }

    /// The pool's page, from the cache or the slow path.
    #[inline]
    pub(crate) fn alloc(&mut self) -> Result<RsPage> {
        self.check_context();
        let limit = self.shared().limit;
        if limit != 0 && self.shared().outstanding() >= limit {
            return self.over_limit();
        }
        let e = match self.cache.pop() {
            Some(e) => {
                stat_local(&self.local().alloc_fast);
                e
            }
            None => self.alloc_slow()?,
        };
        if self.shared().track_out {
            inc_local(&self.local().handed_out);
        }
        // INVARIANT: a page in flight of this pool, no longer in the cache.
        Ok(RsPage {
            e,
            pool: self.shared,
        })
    }

    /// Returns a page into the cache; a page of another pool goes back to
    /// that pool.
    #[inline]
    pub(crate) fn recycle_direct(&mut self, page: RsPage) {
        self.check_context();
        if page.pool != self.shared {
            return drop(page);
        }
        let e = page.into_entry();
        // SAFETY: by the type invariants `shared` is live while we are; a
        // reference that does not borrow `self`, which `cache` needs.
        let s = unsafe { self.shared.as_ref() };
        if s.track_out {
            inc_local(&s.local.returned_direct);
        }
        if !s.recyclable(e.page) {
            s.pcpu.inc(PerCpu::RELEASED_REFCNT);
            return s.release_page(e);
        }
        s.sync_for_device(e);
        match self.cache.push_within_capacity(e) {
            // INVARIANT: a page in flight, back in the cache.
            Ok(()) => stat_local(&s.local.recycle_cached),
            Err(e) => {
                stat_local(&s.local.recycle_cache_full);
                s.pcpu.inc(PerCpu::RING_ATTEMPTS);
                if let Err(e) = s.ring.push(e.0) {
                    s.pcpu.inc(PerCpu::RING_FULL);
                    s.release_page(e);
                }
            }
        }
    }

    /// Hands a page of this pool to the network stack (an skb or an XDP
    /// frame of memory model `MEM_TYPE_PAGE_ORDER0`, which `put_page()`
    /// frees): the page leaves the pool, unmapped, and the pool's
    /// reference becomes the caller's.
    #[inline]
    pub(crate) fn release_to_stack(&mut self, page: RsPage) -> *mut bindings::page {
        if page.pool != self.shared {
            // SAFETY: a page of another pool that `page` keeps alive.
            let other = unsafe { page.pool.as_ref() };
            if other.track_out {
                other.shared.returned_other.fetch_add(1, Relaxed);
            }
            return other.release_keep(page.into_entry());
        }
        let e = page.into_entry();
        if self.shared().track_out {
            inc_local(&self.local().returned_direct);
        }
        self.shared().release_keep(e)
    }

    /// Makes `len` bytes at `offset` of a DMA-mapped page visible to the
    /// CPU, after the device wrote them.
    #[inline]
    pub(crate) fn sync_for_cpu(&self, page: &RsPage, offset: u32, len: u32) {
        if let Some(m) = &self.shared().maps {
            if page.pool == self.shared
                && u64::from(offset) + u64::from(len) <= self.shared().bytes as u64
            {
                // SAFETY: the page is in flight of this live pool, so
                // mapped; the range is within it (checked above).
                unsafe { m.sync_for_cpu(page.e.dma, offset, len) };
            }
        }
    }
}

impl PagePool for RsPagePool {
    type Page = RsPage;
    const KIND: &'static str = "rs";

    fn new(params: &Params<'_>, domain: &Arc<PoolDomain>) -> Result<Self> {
        params.validate()?;
        let (ring, head) = PtrRing::new(params.pool_size)?;
        let bytes = bindings::PAGE_SIZE << params.order;
        let dma_dir = params.dma_dir as bindings::dma_data_direction;
        let maps = match params.dev {
            Some(dev) if params.flags & DMA_MAP != 0 => Some(DmaMaps::new(dev, dma_dir, bytes)),
            _ => None,
        };
        let cache = KVec::with_capacity(CACHE_SIZE, GFP_KERNEL)?;
        let zero = || AtomicU64::new(0);
        let shared = KBox::new(
            Shared {
                ring,
                name: CString::try_from(params.name)?,
                maps,
                order: params.order,
                nid: params.nid,
                bytes,
                flags: params.flags,
                max_len: params.max_len,
                offset: params.offset,
                limit: params.max_outstanding.into(),
                track_out: STATS || params.max_outstanding != 0,
                destroying: AtomicI32::new(0),
                local: CacheAligned(LocalCounters {
                    hold: zero(),
                    handed_out: zero(),
                    returned_direct: zero(),
                    alloc_fast: zero(),
                    alloc_slow: zero(),
                    alloc_slow_high_order: zero(),
                    alloc_empty: zero(),
                    alloc_refill: zero(),
                    alloc_waive: zero(),
                    recycle_cached: zero(),
                    recycle_cache_full: zero(),
                    alloc_over_limit: zero(),
                }),
                shared: CacheAligned(SharedCounters {
                    release: zero(),
                    returned_other: zero(),
                }),
                pcpu: PerCpu::new(),
            },
            GFP_KERNEL,
        )?;
        let shared = NonNull::new(KBox::into_raw(shared)).ok_or(ENOMEM)?;
        let dir = domain.dir.subdir(params.name);
        let stats_file = dir.read_only_file(c"stats", StatsView(shared)).ok();
        let mut gfp = bindings::GFP_ATOMIC | bindings::__GFP_NOWARN;
        if params.flags & PREZERO != 0 {
            gfp |= bindings::__GFP_ZERO;
        }
        // INVARIANT: we own the new block; the cache is empty.
        Ok(Self {
            cache,
            shared,
            head: Some(head),
            gfp,
            domain: domain.clone(),
            stats_file,
            _dir: dir,
        })
    }

    #[inline]
    fn alloc(&mut self) -> Result<RsPage> {
        RsPagePool::alloc(self)
    }

    #[inline]
    fn recycle_direct(&mut self, page: RsPage) {
        RsPagePool::recycle_direct(self, page)
    }

    #[inline]
    fn release_to_stack(&mut self, page: RsPage) -> *mut bindings::page {
        RsPagePool::release_to_stack(self, page)
    }

    fn drop_released(&mut self, page: *mut bindings::page) {
        // SAFETY: `release_to_stack` gave the caller this reference to a
        // page that no longer belongs to the pool.
        unsafe { shim::pkrs_put_page(page) };
    }

    #[inline]
    fn sync_for_cpu(&self, page: &RsPage, offset: u32, len: u32) {
        RsPagePool::sync_for_cpu(self, page, offset, len)
    }

    fn mem_model(&self) -> MemModel {
        MemModel::PageOrder0
    }

    fn stats(&self) -> Stats {
        self.shared().stats()
    }

    type StatsHandle = StatsView;

    unsafe fn stats_handle(&self) -> StatsView {
        StatsView(self.shared)
    }

    fn read_stats(h: &StatsView) -> Stats {
        // SAFETY: the pool lives (`stats_handle`'s contract), so does its
        // block; `stats` reads only atomics.
        unsafe { h.0.as_ref() }.stats()
    }
}

impl Drop for RsPagePool {
    fn drop(&mut self) {
        // The debugfs file reads the block: it goes first.
        drop(self.stats_file.take());
        // SAFETY: by the type invariants `shared` is live while we are; a
        // reference that does not borrow `self`.
        let s = unsafe { self.shared.as_ref() };
        s.destroying.store(1, Relaxed);
        let hold = s.local.hold.load(Relaxed);
        while let Some(e) = self.cache.pop() {
            s.release_page(e);
        }
        let Some(mut head) = self.head.take() else {
            return;
        };
        // What is back already leaves with the cache, unmapped the usual
        // way.
        // SAFETY: `head` is the ring's consumer position; we are its only
        // consumer.
        while let Some(e) = unsafe { s.ring.pop(&mut head) } {
            s.release_page(e);
        }
        // Then no DMA call of this pool reaches the device any more: the
        // pages still out are unmapped now, and only put when they return.
        let scrubbed = s.maps.as_ref().map_or(0, |m| m.scrub());
        PoolDomain::adopt(
            &self.domain,
            Pending {
                shared: self.shared,
                head,
                hold,
                since: jiffies(),
                next_warn: 0,
                scrubbed,
            },
        );
    }
}

/// The kernel's tick counter.
fn jiffies() -> u64 {
    // SAFETY: `jiffies` is a kernel global that is only read here, as the
    // C `READ_ONCE(jiffies)` does.
    let j = unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) };
    // CAST: `unsigned long` fits in `u64`.
    j as u64
}

/// A dropped pool waiting for its pages.
///
/// # Invariants
///
/// `shared` is a live block whose owner is gone; `head` is its ring's
/// consumer position; `hold` is the final count of pages that entered it.
pub(crate) struct Pending {
    shared: NonNull<Shared>,
    head: Head,
    hold: u64,
    since: u64,
    next_warn: u64,
    /// Pages still out that the owner's drop unmapped.
    scrubbed: usize,
}

// SAFETY: the block may be finished from any thread.
unsafe impl Send for Pending {}

impl Pending {
    /// Releases what came back through the ring; frees the block and
    /// returns true once no page is in flight.
    fn try_finish(&mut self) -> bool {
        // SAFETY: by the type invariants the block is live.
        let s = unsafe { self.shared.as_ref() };
        // SAFETY: `head` is the ring's consumer position and `&mut self`
        // makes us its only consumer.
        while let Some(e) = unsafe { s.ring.pop(&mut self.head) } {
            s.release_page(e);
        }
        // Acquire: pairs with the release count of the last page out.
        if s.shared.release.load(Acquire) != self.hold {
            return false;
        }
        // SAFETY: the owner is gone and every page that entered the block
        // left it, each counting `release` as its last access: nothing
        // else refers to the block, which `new` made with `KBox`.
        drop(unsafe { KBox::from_raw(self.shared.as_ptr()) });
        true
    }

    fn out(&self) -> u64 {
        // SAFETY: by the type invariants the block is live.
        let s = unsafe { self.shared.as_ref() };
        self.hold.wrapping_sub(s.shared.release.load(Relaxed))
    }

    fn name(&self) -> &CStr {
        // SAFETY: by the type invariants the block is live.
        &unsafe { self.shared.as_ref() }.name
    }
}

/// Finishes destroying native pools whose pages were still out when they
/// were dropped: while one waits, a delayed work (`PoolDomain`'s) runs a
/// pass every [`REAP_MS`] that releases what came back and frees the pools
/// with nothing left in flight, and every `warn_secs` names a pool still
/// waiting. With nothing waiting, nothing runs.
#[pin_data]
pub(crate) struct Reaper {
    #[pin]
    pending: Mutex<KVec<Pending>>,
    warn_jiffies: u64,
    stopped: AtomicBool,
}

impl Reaper {
    pub(crate) fn new(warn_secs: u32) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            pending <- kernel::new_mutex!(KVec::new()),
            // CAST: jiffies fit in `u64`.
            warn_jiffies: kernel::time::msecs_to_jiffies(warn_secs.saturating_mul(1000)) as u64,
            stopped: AtomicBool::new(false),
        })
    }

    /// Takes over a dropped pool (process context); true when it waits,
    /// so that a pass must be scheduled.
    fn adopt(&self, mut p: Pending) -> bool {
        if p.try_finish() {
            return false;
        }
        pr_info!(
            "page_pool {}: dropped with {} pages out ({} unmapped now); freed when they are back\n",
            p.name().to_str().unwrap_or("?"),
            p.out(),
            p.scrubbed
        );
        let mut list = self.pending.lock();
        // Checked under the lock: `stop` sets it under the lock too.
        if self.stopped.load(Relaxed) || list.reserve(1, GFP_KERNEL).is_err() {
            drop(list);
            Self::abandon(p);
            return false;
        }
        if let Err(e) = list.push_within_capacity(p) {
            drop(list);
            Self::abandon(e.0);
            return false;
        }
        true
    }

    /// Gives up on a pool: its memory stays allocated, so a page that
    /// comes back later is still handled safely.
    fn abandon(p: Pending) {
        pr_err!(
            "page_pool {}: {} pages never came back; the pool is leaked\n",
            p.name().to_str().unwrap_or("?"),
            p.out()
        );
        // `Pending` has no destructor: the block stays allocated.
    }

    /// One pass over the pools waiting; true when some still wait.
    fn reap(&self) -> bool {
        let now = jiffies();
        let warn = self.warn_jiffies;
        let mut list = self.pending.lock();
        list.retain(|p| {
            if p.try_finish() {
                return false;
            }
            let waited = now.wrapping_sub(p.since);
            if warn > 0 && waited >= p.next_warn.max(warn) {
                pr_warn!(
                    "page_pool {}: {} pages still out {} s after it was dropped\n",
                    p.name().to_str().unwrap_or("?"),
                    p.out(),
                    // SAFETY: a pure conversion.
                    unsafe { bindings::jiffies64_to_msecs(waited) } / 1000
                );
                p.next_warn = waited + warn;
            }
            true
        });
        !list.is_empty() && !self.stopped.load(Relaxed)
    }

    /// Pools waiting.
    pub(crate) fn pending(&self) -> usize {
        self.pending.lock().len()
    }

    /// No pass is scheduled after this; what is adopted later is abandoned.
    fn stop(&self) {
        let _list = self.pending.lock();
        self.stopped.store(true, Relaxed);
    }

    /// The module is going (after `stop`, with no pass running): a last
    /// pass, then what still waits is abandoned.
    fn shutdown(&self) {
        self.reap();
        let mut list = self.pending.lock();
        while let Some(p) = list.pop() {
            Self::abandon(p);
        }
    }
}

/// The pools of one module: their debugfs directory
/// (`/sys/kernel/debug/<name>/`) and the reaper of native pools dropped
/// while their pages were still out.
///
/// The module keeps the returned [`DomainHandle`] for its lifetime; its
/// drop stops the reaper (pools must be dropped before it).
#[pin_data]
pub(crate) struct PoolDomain {
    pub(crate) dir: Dir,
    #[pin]
    reaper: Reaper,
    #[pin]
    work: DelayedWork<PoolDomain>,
}

impl_has_delayed_work! {
    impl HasDelayedWork<Self> for PoolDomain { self.work }
}

impl WorkItem for PoolDomain {
    type Pointer = Arc<PoolDomain>;

    fn run(this: Arc<PoolDomain>) {
        if this.reaper.reap() {
            Self::schedule(this);
        }
    }
}

impl PoolDomain {
    /// A pass of the reaper in [`REAP_MS`] (none if one is scheduled).
    fn schedule(this: Arc<PoolDomain>) {
        let delay = kernel::time::msecs_to_jiffies(REAP_MS);
        // Already scheduled, or the domain is stopping: nothing to do.
        let _ = workqueue::system().enqueue_delayed(this, delay);
    }

    /// A dropped pool with pages still out waits here for them.
    fn adopt(this: &Arc<PoolDomain>, p: Pending) {
        if this.reaper.adopt(p) {
            Self::schedule(this.clone());
        }
    }

    /// Native pools destroyed but still waiting for pages.
    pub(crate) fn pending(&self) -> usize {
        self.reaper.pending()
    }
}

/// The owner's handle of a [`PoolDomain`].
pub(crate) struct DomainHandle {
    domain: Arc<PoolDomain>,
}

impl DomainHandle {
    /// A domain with debugfs directory `name`; a pool still waiting for
    /// its pages is reported every `warn_secs` seconds.
    pub(crate) fn new(name: &'static CStr, warn_secs: u32) -> Result<Self> {
        let domain = Arc::pin_init(
            try_pin_init!(PoolDomain {
                dir: Dir::new(name),
                reaper <- Reaper::new(warn_secs),
                work <- kernel::new_delayed_work!("pkrs_pp_reaper"),
            }),
            GFP_KERNEL,
        )?;
        Ok(Self { domain })
    }

    /// The domain, for creating pools.
    pub(crate) fn domain(&self) -> &Arc<PoolDomain> {
        &self.domain
    }
}

impl Drop for DomainHandle {
    fn drop(&mut self) {
        self.domain.reaper.stop();
        let dw = DelayedWork::<PoolDomain>::raw_as_work;
        // SAFETY: `work` is a field of the live domain; `Work` and the
        // `delayed_work` that holds it at offset 0 have the same address.
        let raw = unsafe { dw(&raw const self.domain.work) }.cast::<bindings::delayed_work>();
        // SAFETY: an initialised delayed work; process context. It may
        // re-queue itself while this runs, which the call handles.
        if unsafe { bindings::cancel_delayed_work_sync(raw) } {
            // The pass was scheduled and will not run: the reference it
            // was given (`Arc::into_raw` in the workqueue code) is ours to
            // drop.
            // SAFETY: that reference was made by `Arc::into_raw` of an
            // `Arc<PoolDomain>` pointing where ours does.
            drop(unsafe { Arc::from_raw(Arc::as_ptr(&self.domain)) });
        }
        self.domain.reaper.shutdown();
    }
}
