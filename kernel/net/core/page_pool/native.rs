// SPDX-License-Identifier: GPL-2.0

//! The native page_pool, in Rust.
//!
//! The design of the seed documents and of `net/core/page_pool.c`:
//! - an array cache of pages that only the alloc side touches, without
//!   locks or atomics: `alloc` takes from it, `recycle_direct` puts back
//!   into it (the XDP_DROP case);
//! - a lock-free ring ([`PtrRing`]) for pages returned from anywhere else,
//!   drained into the cache in bulk when the cache runs dry;
//! - the page allocator, in bulk (`alloc_pages_bulk()`), when the ring is
//!   empty too; each page is DMA-mapped once, when it enters the pool, and
//!   unmapped when it leaves it;
//! - release to the page allocator when the cache and ring are full, or
//!   when a page cannot be reused (someone else holds it, or it sits on
//!   another NUMA node than the pool's);
//! - in-flight accounting: pages that entered (`hold`, counted by the alloc
//!   side) against pages that left (`release`, counted atomically); a
//!   dropped pool lives on, with its reaper, until the two are equal;
//! - a limit on the pages out at once, which upstream lacks: past it,
//!   `alloc` fails with `ENOSPC` and counts it, so a stuck consumer cannot
//!   drain memory;
//! - counters named as upstream's, compiled out with `CONFIG_PKRS_PAGE_POOL_STATS=n`.
//!
//! # Lifetime
//!
//! The owner ([`RsPagePool`]) and every page handed out ([`RsPage`]) point
//! to one [`Shared`] block. It is freed when the owner is gone and every
//! page came back: by the owner's drop if nothing is out then, else by the
//! [`Reaper`] once the last page is released. Whoever releases a page
//! counts it in `release` as its very last access to `Shared`, so the
//! block is never freed under a returning page.

use super::ring::{Entry, Head, PtrRing};
use super::{PagePool, Params, PoolDomain, PoolPage, Stats, DMA_MAP, DMA_SYNC_DEV, PREZERO};
use crate::shim_bindings as shim;
use core::ptr::NonNull;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::sync::atomic::{AtomicI32, AtomicU64};
use kernel::bindings;
use kernel::debugfs::{Dir, File};
use kernel::device::Device;
use kernel::dma::DmaAddress;
use kernel::ffi::{c_int, c_long, c_void};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::aref::ARef;
use kernel::sync::{Arc, Mutex};

/// Pages the alloc cache holds (as upstream's `PP_ALLOC_CACHE_SIZE`).
const CACHE_SIZE: usize = 128;
/// Pages moved into the cache at once, from the ring or the allocator.
const REFILL: usize = 64;
/// How often the reaper looks at destroyed pools, in ms.
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

/// Adds one to a statistics counter written from any context.
#[inline(always)]
fn stat_shared(c: &AtomicU64) {
    if STATS {
        c.fetch_add(1, Relaxed);
    }
}

struct Counters {
    // Written by the alloc side only.
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
    // Written from any context.
    returned_other: AtomicU64,
    ring_attempts: AtomicU64,
    ring_full: AtomicU64,
    released_refcnt: AtomicU64,
}

/// What the owner, the pages handed out and the reaper share.
struct Shared {
    ring: PtrRing,
    name: &'static CStr,
    dev: Option<ARef<Device>>,
    order: u32,
    nid: i32,
    dma_dir: bindings::dma_data_direction,
    /// Bytes of each page: `PAGE_SIZE << order`.
    bytes: usize,
    flags: u32,
    max_len: u32,
    offset: u32,
    /// Most pages out at once; 0: no limit.
    limit: u64,
    /// Set when the owner drops the pool: returns skip the ring.
    destroying: AtomicI32,
    /// Pages that left the pool (see the module's "Lifetime").
    release: AtomicU64,
    c: Counters,
}

// SAFETY: `Shared` is only reached through shared references; its fields
// are atomics, immutable parameters, or the ring (itself `Sync`), and the
// `ARef<Device>` may be used from any thread.
unsafe impl Sync for Shared {}
// SAFETY: as for `Sync`: nothing in it is tied to a thread.
unsafe impl Send for Shared {}

impl Shared {
    /// Whether a page coming back may be reused: we hold its only
    /// reference, and it is not from the emergency reserves.
    #[inline]
    fn recyclable(&self, page: *mut bindings::page) -> bool {
        // SAFETY: the pool holds a reference to `page`, so it is a live
        // `struct page`. `_refcount` is read as `page_ref_count()` does
        // (an `atomic_read`, a volatile load). The first word of the union
        // after `flags` is `lru.next`, whose bit 1 marks a pfmemalloc page
        // (`page_is_pfmemalloc()` in include/linux/mm.h).
        let (refs, lru_next) = unsafe {
            (
                core::ptr::read_volatile(&raw const (*page)._refcount.counter),
                core::ptr::read_volatile((&raw const (*page).__bindgen_anon_1).cast::<usize>()),
            )
        };
        refs == 1 && lru_next & 2 == 0
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

    /// Makes the device see `max_len` bytes at `offset` (`DMA_SYNC_DEV`).
    #[inline]
    fn sync_for_device(&self, e: Entry) {
        if self.flags & DMA_SYNC_DEV != 0 {
            if let Some(dev) = &self.dev {
                // SAFETY: `e.dma` maps `self.bytes` bytes for `dev` in
                // `dma_dir` (the page is in the pool, so still mapped), and
                // `offset + max_len <= bytes` was checked at creation.
                unsafe {
                    shim::pkrs_dma_sync_for_device(
                        super::dev_raw(dev),
                        e.dma,
                        u64::from(self.offset),
                        u64::from(self.max_len),
                        self.dma_dir as c_int,
                    )
                };
            }
        }
    }

    /// Maps a page entering the pool (`DMA_MAP`); its DMA address, or 0.
    fn map(&self, page: *mut bindings::page) -> Result<u64> {
        let Some(dev) = self.dev.as_ref().filter(|_| self.flags & DMA_MAP != 0) else {
            return Ok(0);
        };
        // SAFETY: `page` is a live allocation of `bytes` bytes that we own;
        // `dev` is a live device (we hold a reference). The CPU sync is
        // skipped as upstream does: the device writes the page first.
        let dma = unsafe {
            bindings::dma_map_page_attrs(
                super::dev_raw(dev),
                page,
                0,
                self.bytes,
                self.dma_dir,
                // CAST: a small flag into `unsigned long`.
                bindings::DMA_ATTR_SKIP_CPU_SYNC as usize,
            )
        };
        // SAFETY: `dma` was just returned by a mapping call for `dev`.
        if unsafe { shim::pkrs_dma_mapping_error(super::dev_raw(dev), dma) } != 0 {
            return Err(ENOMEM);
        }
        let e = Entry { page, dma };
        self.sync_for_device(e);
        Ok(dma)
    }

    /// Unmaps the page and drops the pool's reference: the page leaves the
    /// pool. Counting it in `release` is the last access to `self`.
    fn release_page(&self, e: Entry) {
        if let Some(dev) = self.dev.as_ref().filter(|_| self.flags & DMA_MAP != 0) {
            // SAFETY: `e.dma` is the mapping `map` made of this page for
            // `dev`, not unmapped yet (the page was still in the pool).
            unsafe {
                bindings::dma_unmap_page_attrs(
                    super::dev_raw(dev),
                    e.dma,
                    self.bytes,
                    self.dma_dir,
                    // CAST: a small flag into `unsigned long`.
                    bindings::DMA_ATTR_SKIP_CPU_SYNC as usize,
                )
            };
        }
        self.release_unmapped(e.page);
    }

    /// Drops the pool's reference to a page that is not DMA-mapped (any
    /// more) and counts it in `release`, the last access to `self`.
    fn release_unmapped(&self, page: *mut bindings::page) {
        // SAFETY: the pool owns one reference to the page; this drops it
        // (freeing the page unless someone else holds another).
        unsafe { shim::pkrs_put_page(page) };
        // Release: everything we did with the pool happens before a reaper
        // that sees this count frees it.
        self.release.fetch_add(1, Release);
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
        if STATS || s.limit != 0 {
            s.c.returned_other.fetch_add(1, Relaxed);
        }
        if !s.recyclable(e.page) {
            stat_shared(&s.c.released_refcnt);
            return s.release_page(e);
        }
        if s.destroying.load(Relaxed) != 0 {
            return s.release_page(e);
        }
        s.sync_for_device(e);
        stat_shared(&s.c.ring_attempts);
        if let Err(e) = s.ring.push(e) {
            stat_shared(&s.c.ring_full);
            s.release_page(e);
        }
        // Once in the ring, the page may be released, and the pool freed,
        // at any time: no access to `s` after the push.
    }

    /// The counters, as [`Stats`].
    fn stats(&self) -> Stats {
        let c = &self.c;
        let ring_full = c.ring_full.load(Relaxed);
        let other = c.returned_other.load(Relaxed);
        Stats {
            alloc_fast: c.alloc_fast.load(Relaxed),
            alloc_slow: c.alloc_slow.load(Relaxed),
            alloc_slow_high_order: c.alloc_slow_high_order.load(Relaxed),
            alloc_empty: c.alloc_empty.load(Relaxed),
            alloc_refill: c.alloc_refill.load(Relaxed),
            alloc_waive: c.alloc_waive.load(Relaxed),
            recycle_cached: c.recycle_cached.load(Relaxed),
            recycle_cache_full: c.recycle_cache_full.load(Relaxed),
            recycle_ring: c.ring_attempts.load(Relaxed).wrapping_sub(ring_full),
            recycle_ring_full: ring_full,
            recycle_released_refcnt: c.released_refcnt.load(Relaxed),
            alloc_over_limit: c.alloc_over_limit.load(Relaxed),
            hold: c.hold.load(Relaxed),
            release: self.release.load(Relaxed),
            outstanding: c
                .handed_out
                .load(Relaxed)
                .wrapping_sub(c.returned_direct.load(Relaxed))
                .wrapping_sub(other),
        }
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
    fn dma_addr(&self) -> DmaAddress {
        self.e.dma
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

/// What debugfs shows of a pool: its counters.
struct StatsView(NonNull<Shared>);

// SAFETY: the view only reads atomics of a `Sync` block; the pool drops
// its debugfs file before the block can be freed.
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
/// in flight); `cache[..count]` are pages in flight, not out; `head` is
/// the consumer position of `shared.ring`.
pub(crate) struct RsPagePool {
    cache: [Entry; CACHE_SIZE],
    count: usize,
    shared: NonNull<Shared>,
    head: Option<Head>,
    gfp: bindings::gfp_t,
    domain: Arc<PoolDomain>,
    stats_file: Option<Pin<KBox<File<StatsView>>>>,
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

    /// The alloc side's contract: one context at a time (`&mut self`
    /// ensures it for safe code), never hard IRQ or NMI.
    #[inline(always)]
    fn check_context(&self) {
        // SAFETY: reads the preempt count; callable from any context.
        debug_assert!(!unsafe { shim::pkrs_in_hardirq_or_nmi() });
    }

    /// Pages handed out and not yet back.
    #[inline]
    fn outstanding(&self) -> u64 {
        let c = &self.shared().c;
        c.handed_out
            .load(Relaxed)
            .wrapping_sub(c.returned_direct.load(Relaxed))
            .wrapping_sub(c.returned_other.load(Relaxed))
    }

    #[cold]
    fn over_limit(&self) -> Result<RsPage> {
        inc_local(&self.shared().c.alloc_over_limit);
        Err(ENOSPC)
    }

    /// Moves up to [`REFILL`] pages from the ring into the (empty) cache.
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
            if self.shared().on_node(e.page) {
                self.cache[self.count] = e;
                self.count += 1;
                n += 1;
            } else {
                stat_local(&self.shared().c.alloc_waive);
                self.shared().release_page(e);
            }
        }
        self.head = Some(head);
        n
    }

    /// Fills the cache from the page allocator: order 0 in bulk.
    fn refill_from_allocator(&mut self) -> Result {
        let mut pages = [core::ptr::null_mut::<bindings::page>(); REFILL];
        // CAST: `REFILL` fits in a `c_int`.
        // SAFETY: `pages` has `REFILL` writable NULL slots; the allocator
        // fills some with order-0 pages whose references become ours.
        let got =
            unsafe { shim::pkrs_alloc_pages_bulk(self.gfp, REFILL as c_int, pages.as_mut_ptr()) };
        // CAST: at most `REFILL`.
        for &page in &pages[..(got.max(0) as usize).min(REFILL)] {
            if page.is_null() {
                continue;
            }
            let c = &self.shared().c;
            inc_local(&c.hold);
            match self.shared().map(page) {
                Ok(dma) => {
                    // INVARIANT: a page in flight, in the cache.
                    self.cache[self.count] = Entry { page, dma };
                    self.count += 1;
                }
                // Counted in `hold`, so released like any page (unmapped).
                Err(_) => self.shared().release_unmapped(page),
            }
        }
        if self.count == 0 {
            return Err(ENOMEM);
        }
        Ok(())
    }

    /// One page of order > 0 from the page allocator.
    fn alloc_high_order(&mut self) -> Result<Entry> {
        let order = self.shared().order;
        // `__GFP_COMP` is `BIT(___GFP_COMP_BIT)` (include/linux/gfp_types.h).
        let gfp = self.gfp | (1 << bindings::___GFP_COMP_BIT);
        // SAFETY: any flags, a valid node (checked at creation) and an order
        // up to `MAX_PAGE_ORDER` (checked too) may be passed; these flags
        // do not sleep.
        let page = unsafe { shim::pkrs_alloc_pages_node(self.shared().nid, gfp, order) };
        if page.is_null() {
            return Err(ENOMEM);
        }
        inc_local(&self.shared().c.hold);
        stat_local(&self.shared().c.alloc_slow_high_order);
        match self.shared().map(page) {
            Ok(dma) => Ok(Entry { page, dma }),
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
            stat_local(&self.shared().c.alloc_refill);
        } else {
            stat_local(&self.shared().c.alloc_empty);
            if self.shared().order > 0 {
                return self.alloc_high_order();
            }
            stat_local(&self.shared().c.alloc_slow);
            self.refill_from_allocator()?;
        }
        self.count -= 1;
        Ok(self.cache[self.count])
    }

    /// The pool's page, from the cache or the slow path.
    #[inline]
    pub(crate) fn alloc(&mut self) -> Result<RsPage> {
        self.check_context();
        let limit = self.shared().limit;
        if limit != 0 && self.outstanding() >= limit {
            return self.over_limit();
        }
        let e = if self.count > 0 {
            stat_local(&self.shared().c.alloc_fast);
            self.count -= 1;
            self.cache[self.count]
        } else {
            self.alloc_slow()?
        };
        inc_local(&self.shared().c.handed_out);
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
        let s = self.shared();
        inc_local(&s.c.returned_direct);
        if !s.recyclable(e.page) {
            stat_shared(&s.c.released_refcnt);
            return s.release_page(e);
        }
        s.sync_for_device(e);
        if self.count < CACHE_SIZE {
            stat_local(&s.c.recycle_cached);
            self.cache[self.count] = e;
            self.count += 1;
        } else {
            stat_local(&s.c.recycle_cache_full);
            stat_shared(&s.c.ring_attempts);
            if let Err(e) = s.ring.push(e) {
                stat_shared(&s.c.ring_full);
                s.release_page(e);
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
        let shared = KBox::new(
            Shared {
                ring,
                name: params.name,
                dev: params.dev.map(ARef::from),
                order: params.order,
                nid: params.nid,
                dma_dir: params.dma_dir as bindings::dma_data_direction,
                bytes: bindings::PAGE_SIZE << params.order,
                flags: params.flags,
                max_len: params.max_len,
                offset: params.offset,
                limit: params.max_outstanding.into(),
                destroying: AtomicI32::new(0),
                release: AtomicU64::new(0),
                c: Counters {
                    hold: AtomicU64::new(0),
                    handed_out: AtomicU64::new(0),
                    returned_direct: AtomicU64::new(0),
                    alloc_fast: AtomicU64::new(0),
                    alloc_slow: AtomicU64::new(0),
                    alloc_slow_high_order: AtomicU64::new(0),
                    alloc_empty: AtomicU64::new(0),
                    alloc_refill: AtomicU64::new(0),
                    alloc_waive: AtomicU64::new(0),
                    recycle_cached: AtomicU64::new(0),
                    recycle_cache_full: AtomicU64::new(0),
                    alloc_over_limit: AtomicU64::new(0),
                    returned_other: AtomicU64::new(0),
                    ring_attempts: AtomicU64::new(0),
                    ring_full: AtomicU64::new(0),
                    released_refcnt: AtomicU64::new(0),
                },
            },
            GFP_KERNEL,
        )?;
        let shared = NonNull::new(KBox::into_raw(shared)).ok_or(ENOMEM)?;
        let dir = domain.dir.subdir(params.name);
        let stats_file =
            KBox::pin_init(dir.read_only_file(c"stats", StatsView(shared)), GFP_KERNEL).ok();
        let mut gfp = bindings::GFP_ATOMIC | bindings::__GFP_NOWARN;
        if params.flags & PREZERO != 0 {
            gfp |= bindings::__GFP_ZERO;
        }
        // INVARIANT: we own the new block; the cache is empty.
        Ok(Self {
            cache: [Entry {
                page: core::ptr::null_mut(),
                dma: 0,
            }; CACHE_SIZE],
            count: 0,
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

    fn stats(&self) -> Stats {
        self.shared().stats()
    }
}

impl Drop for RsPagePool {
    fn drop(&mut self) {
        // The debugfs file reads the block: it goes first.
        drop(self.stats_file.take());
        let s = self.shared();
        s.destroying.store(1, Relaxed);
        let hold = s.c.hold.load(Relaxed);
        while self.count > 0 {
            self.count -= 1;
            self.shared().release_page(self.cache[self.count]);
        }
        let Some(head) = self.head.take() else {
            return;
        };
        self.domain.reaper.adopt(Pending {
            shared: self.shared,
            head,
            hold,
            since: jiffies(),
            next_warn: 0,
        });
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
struct Pending {
    shared: NonNull<Shared>,
    head: Head,
    hold: u64,
    since: u64,
    next_warn: u64,
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
        if s.release.load(Acquire) != self.hold {
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
        self.hold.wrapping_sub(s.release.load(Relaxed))
    }

    fn name(&self) -> &'static CStr {
        // SAFETY: by the type invariants the block is live.
        unsafe { self.shared.as_ref() }.name
    }
}

/// Finishes destroying native pools whose pages were still out when they
/// were dropped: every [`REAP_MS`] it releases what came back and frees
/// those with nothing left in flight, and every `warn_secs` it names a
/// pool still waiting.
#[pin_data]
pub(crate) struct Reaper {
    #[pin]
    pending: Mutex<KVec<Pending>>,
    warn_jiffies: u64,
    stopped: AtomicI32,
}

impl Reaper {
    pub(crate) fn new(warn_secs: u32) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            pending <- kernel::new_mutex!(KVec::new()),
            // CAST: jiffies fit in `u64`.
            warn_jiffies: kernel::time::msecs_to_jiffies(warn_secs.saturating_mul(1000)) as u64,
            stopped: AtomicI32::new(0),
        })
    }

    /// Takes over a dropped pool (process context).
    fn adopt(&self, mut p: Pending) {
        if p.try_finish() {
            return;
        }
        pr_info!(
            "page_pool {}: dropped with {} pages out; freed when they are back\n",
            p.name().to_str().unwrap_or("?"),
            p.out()
        );
        let mut list = self.pending.lock();
        // Checked under the lock: `shutdown` sets it before its last pass.
        if self.stopped.load(Relaxed) != 0 || list.reserve(1, GFP_KERNEL).is_err() {
            drop(list);
            return Self::abandon(p);
        }
        if let Err(e) = list.push_within_capacity(p) {
            drop(list);
            Self::abandon(e.0);
        }
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

    /// One pass over the pools waiting.
    pub(crate) fn reap(&self) {
        let now = jiffies();
        let warn = self.warn_jiffies;
        self.pending.lock().retain(|p| {
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
    }

    /// Pools waiting.
    pub(crate) fn pending(&self) -> usize {
        self.pending.lock().len()
    }

    /// The module is going: a last pass, then what still waits is
    /// abandoned (its pages would come back to code that is gone).
    pub(crate) fn shutdown(&self) {
        {
            // Under the lock, so that `adopt` sees it or is seen by `reap`.
            let _list = self.pending.lock();
            self.stopped.store(1, Relaxed);
        }
        self.reap();
        let mut list = self.pending.lock();
        while let Some(p) = list.pop() {
            Self::abandon(p);
        }
    }
}

/// The reaper's kthread: a [`Reaper::reap`] pass every [`REAP_MS`].
///
/// # Safety
///
/// `p` points to a [`PoolDomain`] that stays alive until the thread is
/// stopped.
pub(crate) unsafe extern "C" fn reaper_thread(p: *mut c_void) -> c_int {
    // SAFETY: by the function's safety requirements.
    let domain = unsafe { &*p.cast::<PoolDomain>() };
    let tick: c_long = kernel::time::msecs_to_jiffies(REAP_MS)
        .try_into()
        .unwrap_or(c_long::MAX);
    // SAFETY: called from a kthread.
    while !unsafe { bindings::kthread_should_stop() } {
        domain.reaper.reap();
        // SAFETY: process context; `kthread_stop` wakes the sleep early.
        unsafe { bindings::schedule_timeout_interruptible(tick) };
    }
    0
}
