// SPDX-License-Identifier: GPL-2.0

//! What page_pool_test does in `insmod` itself (see the crate root).

use crate::page_pool::cpool::CPagePool;
use crate::page_pool::native::RsPagePool;
use crate::page_pool::{dma_device, DomainHandle, PagePool, Params, DMA_MAP, PREZERO};
use kernel::prelude::*;

/// The module parameters that describe the pools made at load.
pub(crate) struct LoadParams {
    pub(crate) order: u32,
    pub(crate) pool_size: u32,
    pub(crate) flags: u32,
    pub(crate) max_outstanding: u32,
    pub(crate) dma_device: bool,
}

/// Makes a pool of each kind with the parameters, takes pages and gives
/// them back both ways. Bad parameters fail with `EINVAL`.
pub(crate) fn at_load(domain: &DomainHandle, load: &LoadParams) -> Result {
    let dev = if load.dma_device && load.flags & DMA_MAP != 0 {
        dma_device()
    } else {
        None
    };
    let mut p = Params::new(c"load");
    p.order = load.order;
    p.pool_size = load.pool_size;
    p.flags = load.flags;
    p.max_outstanding = load.max_outstanding;
    p.dev = dev.as_deref();
    if p.flags & crate::page_pool::DMA_SYNC_DEV != 0 {
        p.max_len = 1536.min(kernel::page::PAGE_SIZE as u32);
    }
    round_trip::<RsPagePool>(domain, &p)?;
    // The kernel's pool has neither a limit nor pre-zeroing.
    p.max_outstanding = 0;
    p.flags &= !PREZERO;
    round_trip::<CPagePool>(domain, &p)
}

fn round_trip<P: PagePool>(domain: &DomainHandle, p: &Params<'_>) -> Result {
    let mut pool = P::new(p, domain.domain())?;
    let page = pool.alloc()?;
    pool.recycle_direct(page);
    drop(pool.alloc()?);
    Ok(())
}

/// With page allocations made to fail: both pools must fail cleanly and
/// keep their counters consistent.
pub(crate) fn alloc_failure(domain: &DomainHandle) -> Result {
    check_failure::<RsPagePool>(domain)?;
    check_failure::<CPagePool>(domain)?;
    if domain.domain().pending() != 0 {
        pr_err!("alloc_failure: a dropped pool is still waiting for pages\n");
        return Err(EINVAL);
    }
    Ok(())
}

fn check_failure<P: PagePool>(domain: &DomainHandle) -> Result {
    let mut pool = P::new(&Params::new(c"fail"), domain.domain())?;
    for _ in 0..8 {
        match pool.alloc() {
            Err(e) if e == ENOMEM => {}
            Err(e) => {
                pr_err!(
                    "alloc_failure: {} pool: allocation failed with {:?}, not ENOMEM\n",
                    P::KIND,
                    e
                );
                return Err(EINVAL);
            }
            Ok(_) => {
                pr_err!(
                    "alloc_failure: {} pool: an allocation succeeded (is fail_page_alloc set up for this process?)\n",
                    P::KIND
                );
                return Err(EINVAL);
            }
        }
    }
    let s = pool.stats();
    if s.inflight() != 0 || s.outstanding != 0 {
        pr_err!(
            "alloc_failure: {} pool: counters wrong after failed allocations: hold {} release {} outstanding {}\n",
            P::KIND,
            s.hold,
            s.release,
            s.outstanding
        );
        return Err(EINVAL);
    }
    pr_info!(
        "alloc_failure: {} pool: 8 allocations failed with ENOMEM; hold {} release {} outstanding {}\n",
        P::KIND,
        s.hold,
        s.release,
        s.outstanding
    );
    Ok(())
}

/// The pool that stays with the module: 100 pages taken, 50 recycled
/// directly and 50 returned through the ring, so that its debugfs file
/// has something to show. With `cycle` false it only exists.
pub(crate) fn resident(domain: &DomainHandle, cycle: bool) -> Result<RsPagePool> {
    let mut pool = RsPagePool::new(&Params::new(c"resident"), domain.domain())?;
    if cycle {
        let mut pages = KVec::with_capacity(100, GFP_KERNEL)?;
        for _ in 0..100 {
            pages.push(pool.alloc()?, GFP_KERNEL)?;
        }
        for _ in 0..50 {
            if let Some(p) = pages.pop() {
                pool.recycle_direct(p);
            }
        }
        drop(pages);
    }
    Ok(pool)
}
