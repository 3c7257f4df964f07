// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `pkrs_page_pool`: both page_pools, through the common trait
//! where the behaviour is common.

use kernel::prelude::*;

#[kunit_tests(pkrs_page_pool)]
mod tests {
    use crate::page_pool::cpool::CPagePool;
    use crate::page_pool::native::RsPagePool;
    use crate::page_pool::{
        dma_device, DomainHandle, PagePool, Params, PoolPage, DMA_MAP, DMA_SYNC_DEV, PREZERO,
    };
    use crate::time_bench::{concurrent, Record};
    use kernel::bindings;
    use kernel::prelude::*;
    use kernel::sync::SpinLock;

    /// A domain whose reaper warns after one second.
    fn domain() -> Result<DomainHandle> {
        DomainHandle::new(c"pkrs_pp_kunit", 1)
    }

    fn expect_einval<P: PagePool>(d: &DomainHandle, p: &Params<'_>) -> bool {
        matches!(P::new(p, d.domain()), Err(e) if e == EINVAL)
    }

    fn bad_params_rejected<P: PagePool>(d: &DomainHandle) {
        let base = || Params::new(c"bad");
        let mut p = base();
        p.order = bindings::MAX_PAGE_ORDER + 1;
        // Order above MAX_PAGE_ORDER.
        assert!(expect_einval::<P>(d, &p));
        let mut p = base();
        p.pool_size = 0;
        // Pool_size 0.
        assert!(expect_einval::<P>(d, &p));
        let mut p = base();
        p.pool_size = 40_000;
        // Pool_size 40000.
        assert!(expect_einval::<P>(d, &p));
        let mut p = base();
        p.flags = DMA_MAP;
        // DMA_MAP without a device.
        assert!(expect_einval::<P>(d, &p));
        let mut p = base();
        p.flags = DMA_SYNC_DEV;
        // DMA_SYNC_DEV without DMA_MAP.
        assert!(expect_einval::<P>(d, &p));
        let mut p = base();
        p.nid = 7;
        assert!(expect_einval::<P>(d, &p));
        let mut p = base();
        p.flags = 1 << 5;
        // Unknown flag.
        assert!(expect_einval::<P>(d, &p));
    }

    #[test]
    fn bad_parameters_are_einval() -> Result {
        let d = domain()?;
        bad_params_rejected::<RsPagePool>(&d);
        bad_params_rejected::<CPagePool>(&d);
        // The kernel's pool has no outstanding limit and no pre-zeroing.
        let mut p = Params::new(c"bad");
        p.max_outstanding = 4;
        assert!(expect_einval::<CPagePool>(&d, &p));
        let mut p = Params::new(c"bad");
        p.flags = PREZERO;
        assert!(expect_einval::<CPagePool>(&d, &p));
        Ok(())
    }

    fn no_dma_address_without_dma_map<P: PagePool>(d: &DomainHandle) -> Result {
        let mut pool = P::new(&Params::new(c"nodma"), d.domain())?;
        let page = pool.alloc()?;
        // A pool that maps nothing has no DMA address to give.
        assert!(page.dma_addr().is_none());
        pool.recycle_direct(page);
        Ok(())
    }

    #[test]
    fn pools_without_dma_map_report_no_dma_address() -> Result {
        let d = domain()?;
        no_dma_address_without_dma_map::<RsPagePool>(&d)?;
        no_dma_address_without_dma_map::<CPagePool>(&d)
    }

    /// Takes 10 pages, recycles 5 directly, returns 5 through the ring.
    fn round_trip<P: PagePool>(d: &DomainHandle) -> Result<(kernel::prelude::KVec<u64>, P)> {
        let mut pool = P::new(&Params::new(c"round_trip"), d.domain())?;
        let mut pages = KVec::new();
        for _ in 0..10 {
            pages.push(pool.alloc()?, GFP_KERNEL)?;
        }
        let out = pool.stats();
        for _ in 0..5 {
            if let Some(p) = pages.pop() {
                pool.recycle_direct(p);
            }
        }
        drop(pages);
        let back = pool.stats();
        let mut v = KVec::new();
        for x in [
            out.inflight(),
            out.outstanding,
            back.inflight(),
            back.outstanding,
        ] {
            v.push(x, GFP_KERNEL)?;
        }
        for x in [
            back.recycle_cached,
            back.recycle_ring,
            back.hold,
            back.release,
        ] {
            v.push(x, GFP_KERNEL)?;
        }
        Ok((v, pool))
    }

    #[test]
    fn rs_round_trips_keep_the_counters() -> Result {
        let d = domain()?;
        let (v, pool) = round_trip::<RsPagePool>(&d)?;
        // One bulk refill brought the pages in; 10 were out, then none.
        // In flight while 10 out: {}.
        assert!(v[0] >= 10);
        assert_eq!(v[1], 10);
        assert_eq!(v[3], 0);
        // Recycled into the cache.
        assert_eq!(v[4], 5);
        // Returned through the ring.
        assert_eq!(v[5], 5);
        // Nothing left the pool: every page came back to it, none was
        // given back to the page allocator.
        assert_eq!(v[7], 0);
        assert_eq!(v[2], v[0]);
        drop(pool);
        // Nothing was out: the pool is freed at once.
        assert_eq!(d.domain().pending(), 0);
        Ok(())
    }

    #[test]
    fn c_round_trips_keep_the_counters() -> Result {
        let d = domain()?;
        let (v, _pool) = round_trip::<CPagePool>(&d)?;
        // In flight while 10 out: {}.
        assert!(v[0] >= 10);
        // Recycled into the cache.
        assert_eq!(v[4], 5);
        // Returned through the ring.
        assert_eq!(v[5], 5);
        // No page left the pool.
        assert_eq!(v[2], v[0]);
        Ok(())
    }

    #[test]
    fn rs_tiny_ring_releases_what_it_cannot_hold() -> Result {
        let d = domain()?;
        let mut p = Params::new(c"tiny");
        p.pool_size = 1;
        let mut pool = RsPagePool::new(&p, d.domain())?;
        let mut pages = KVec::new();
        for _ in 0..10 {
            pages.push(pool.alloc()?, GFP_KERNEL)?;
        }
        drop(pages);
        let s = pool.stats();
        // The ring has two slots: two pages in it, eight released.
        assert_eq!(s.recycle_ring, 2);
        assert_eq!(s.recycle_ring_full, 8);
        assert_eq!(s.outstanding, 0);
        // The next allocations take the two from the ring first.
        drop(pool);
        assert_eq!(d.domain().pending(), 0);
        Ok(())
    }

    #[test]
    fn rs_outstanding_limit_holds_and_recovers() -> Result {
        let d = domain()?;
        let mut p = Params::new(c"limit");
        p.max_outstanding = 8;
        let mut pool = RsPagePool::new(&p, d.domain())?;
        let mut pages = KVec::new();
        for _ in 0..8 {
            pages.push(pool.alloc()?, GFP_KERNEL)?;
        }
        assert!(matches!(pool.alloc(), Err(e) if e == ENOSPC));
        assert!(matches!(pool.alloc(), Err(e) if e == ENOSPC));
        assert_eq!(pool.stats().alloc_over_limit, 2);
        assert_eq!(pool.stats().outstanding, 8);
        // One back through the ring, one directly: two more may go out.
        drop(pages.pop());
        if let Some(page) = pages.pop() {
            pool.recycle_direct(page);
        }
        pages.push(pool.alloc()?, GFP_KERNEL)?;
        pages.push(pool.alloc()?, GFP_KERNEL)?;
        assert!(matches!(pool.alloc(), Err(e) if e == ENOSPC));
        assert_eq!(pool.stats().alloc_over_limit, 3);
        drop(pages);
        assert_eq!(pool.stats().outstanding, 0);
        Ok(())
    }

    #[test]
    fn rs_dropped_pool_waits_for_its_pages() -> Result {
        let d = domain()?;
        let mut pool = RsPagePool::new(&Params::new(c"destroy"), d.domain())?;
        let mut pages = KVec::new();
        for _ in 0..3 {
            pages.push(pool.alloc()?, GFP_KERNEL)?;
        }
        drop(pool);
        // The pool waits for 3 pages.
        assert_eq!(d.domain().pending(), 1);
        drop(pages.pop());
        drop(pages.pop());
        // SAFETY: sleeping in a KUnit test (process context).
        unsafe { bindings::msleep(300) };
        // One page still out.
        assert_eq!(d.domain().pending(), 1);
        // Long enough for the reaper's warning (every second here).
        // SAFETY: as above.
        unsafe { bindings::msleep(1200) };
        drop(pages);
        let mut waited = 0;
        while d.domain().pending() != 0 && waited < 3000 {
            // SAFETY: as above.
            unsafe { bindings::msleep(50) };
            waited += 50;
        }
        // Freed after the last page came back.
        assert_eq!(d.domain().pending(), 0);
        Ok(())
    }

    /// Per-thread lists of pages for the concurrent test.
    #[pin_data]
    struct Share<T> {
        #[pin]
        pages: SpinLock<KVec<T>>,
    }

    type Lists<T> = KVec<Pin<KBox<Share<T>>>>;

    fn give_back<P: PagePool>(rec: &mut Record, lists: &Lists<P::Page>) -> Result {
        let mine = core::mem::take(&mut *lists[rec.thread].pages.lock());
        // CAST: a page count.
        let n = mine.len() as u64;
        rec.start();
        drop(mine);
        rec.stop(n);
        Ok(())
    }

    /// 2048 pages out, then two CPUs give back 1024 each at once.
    fn concurrent_returns<P: PagePool>(d: &DomainHandle) -> Result<P> {
        let cpus = concurrent::online_cpus(2);
        // Needs two online CPUs.
        assert!(cpus.len() >= 2);
        let mut p = Params::new(c"concurrent");
        p.pool_size = 4096;
        let mut pool = P::new(&p, d.domain())?;
        let mut lists: Lists<P::Page> = KVec::new();
        for _ in 0..2 {
            let mut v = KVec::with_capacity(1024, GFP_KERNEL)?;
            for _ in 0..1024 {
                v.push(pool.alloc()?, GFP_KERNEL)?;
            }
            lists.push(
                KBox::pin_init(
                    pin_init!(Share { pages <- kernel::new_spinlock!(v) }),
                    GFP_KERNEL,
                )?,
                GFP_KERNEL,
            )?;
        }
        concurrent::measure(1024, 0, "give_back", &cpus, &lists, give_back::<P>)?;
        Ok(pool)
    }

    #[test]
    fn rs_concurrent_returns_lose_no_page() -> Result {
        let d = domain()?;
        let pool = concurrent_returns::<RsPagePool>(&d)?;
        let s = pool.stats();
        assert_eq!(s.outstanding, 0);
        assert_eq!(s.recycle_ring + s.recycle_ring_full, 2048);
        // The ring has room for all.
        assert_eq!(s.recycle_ring_full, 0);
        drop(pool);
        // Every page that entered left again.
        assert_eq!(d.domain().pending(), 0);
        Ok(())
    }

    #[test]
    fn c_concurrent_returns_lose_no_page() -> Result {
        let d = domain()?;
        let pool = concurrent_returns::<CPagePool>(&d)?;
        let s = pool.stats();
        assert_eq!(s.recycle_ring + s.recycle_ring_full, 2048);
        // What is not in the ring left the pool: in flight = ring + cache.
        // In flight {}.
        assert!(s.inflight() <= 4096 + 128);
        Ok(())
    }

    #[test]
    fn rs_dma_pages_are_mapped_for_the_nic() -> Result {
        let d = domain()?;
        let dev = dma_device();
        // A virtio PCI device (the test box's NIC).
        assert!(dev.is_some());
        let mut p = Params::new(c"dma");
        // SAFETY: the pool is dropped in this test, while nothing unbinds
        // the test box's NIC.
        p.dev = dev
            .as_deref()
            .map(|d| unsafe { crate::page_pool::assume_bound(d) });
        p.flags = DMA_MAP | DMA_SYNC_DEV;
        p.max_len = 1536;
        let mut pool = RsPagePool::new(&p, d.domain())?;
        let mut pages = KVec::new();
        for _ in 0..100 {
            let page = pool.alloc()?;
            assert!(page.dma_addr().is_some());
            pages.push(page, GFP_KERNEL)?;
        }
        // Direct, ring and release paths with a mapping.
        for _ in 0..50 {
            if let Some(page) = pages.pop() {
                pool.recycle_direct(page);
            }
        }
        drop(pages);
        drop(pool);
        assert_eq!(d.domain().pending(), 0);
        Ok(())
    }

    #[test]
    fn rs_prezero_gives_zeroed_pages() -> Result {
        let d = domain()?;
        // Dirty some pages and free them: the allocator hands them out
        // again first (per-CPU lists are LIFO).
        let mut dirty = KVec::new();
        for _ in 0..64 {
            let page = kernel::page::Page::alloc_page(GFP_KERNEL)?;
            dirty.push(page, GFP_KERNEL)?;
        }
        for page in dirty.iter() {
            let ones = [0xaau8; 64];
            for off in (0..kernel::page::PAGE_SIZE).step_by(64) {
                // SAFETY: `ones` is valid for 64 bytes of reads.
                unsafe { page.write_raw(ones.as_ptr(), off, 64)? };
            }
        }
        drop(dirty);
        let mut p = Params::new(c"prezero");
        p.flags = PREZERO;
        let mut pool = RsPagePool::new(&p, d.domain())?;
        let mut held = KVec::new();
        for _ in 0..32 {
            let page = pool.alloc()?;
            // SAFETY: the page is ours while we hold its handle; an
            // order-0 page is mapped for the CPU by kmap_local_page.
            let zero = unsafe {
                let va = bindings::kmap_local_page(page.as_raw()).cast::<u8>();
                let s = core::slice::from_raw_parts(va, kernel::page::PAGE_SIZE);
                let z = s.iter().all(|&b| b == 0);
                bindings::kunmap_local(va.cast());
                z
            };
            // A page from the slow path is zeroed.
            assert!(zero);
            held.push(page, GFP_KERNEL)?;
        }
        Ok(())
    }
}
