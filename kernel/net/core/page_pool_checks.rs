// SPDX-License-Identifier: GPL-2.0

//! What page_pool_test does in `insmod` itself (see the crate root).

use crate::page_pool::cpool::CPagePool;
use crate::page_pool::native::RsPagePool;
use crate::page_pool::{
    assume_bound, dma_device, DomainHandle, PagePool, Params, PoolPage, DMA_MAP, DMA_SYNC_DEV,
    PREZERO,
};
use crate::shim_bindings as shim;
use kernel::bindings;
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
    // SAFETY: these pools are made and dropped within `insmod`, while
    // nothing unbinds the test box's NIC.
    p.dev = dev
        .as_deref()
        .map(|d| unsafe { crate::page_pool::assume_bound(d) });
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
    let prezero = p.flags & PREZERO != 0 && p.order <= bindings::MAX_PAGE_ORDER;
    if prezero {
        dirty_free_blocks(p.order);
    }
    let mut pool = P::new(p, domain.domain())?;
    if prezero {
        // The pool's first pages come fresh from the page allocator, which
        // likely hands back the blocks just dirtied: each must read as zero.
        let mut pages = KVec::new();
        for _ in 0..8 {
            pages.push(pool.alloc()?, GFP_KERNEL)?;
        }
        for page in &pages {
            check_zero(page.as_raw(), p.order)?;
        }
        pr_info!(
            "prezero: {} pool, order {}: 8 fresh pages read as zero\n",
            P::KIND,
            p.order
        );
        for page in pages {
            pool.recycle_direct(page);
        }
    }
    let page = pool.alloc()?;
    pool.recycle_direct(page);
    drop(pool.alloc()?);
    Ok(())
}

/// Allocates up to 4 MiB in blocks of `order`, fills them with 0xff and
/// frees them: the next allocations of that order tend to get them back
/// (the per-CPU lists and the buddy lists are LIFO), dirty.
fn dirty_free_blocks(order: u32) {
    let bytes = kernel::page::PAGE_SIZE << order;
    let n = (1024usize >> order.min(10)).max(1);
    let mut blocks = KVec::new();
    for _ in 0..n {
        // SAFETY: any gfp and order are allowed; `round_trip` only calls
        // this for an order up to MAX_PAGE_ORDER.
        let p =
            unsafe { bindings::alloc_pages(bindings::GFP_KERNEL | bindings::__GFP_NOWARN, order) };
        if p.is_null() {
            break;
        }
        // SAFETY: a block of `bytes` we own, lowmem (GFP_KERNEL, no highmem
        // on the architectures the project builds for).
        unsafe { core::ptr::write_bytes(shim::pkrs_page_address(p).cast::<u8>(), 0xff, bytes) };
        if blocks.push(p, GFP_KERNEL).is_err() {
            // SAFETY: allocated above with this order, not kept anywhere.
            unsafe { bindings::__free_pages(p, order) };
            break;
        }
    }
    for p in blocks {
        // SAFETY: each allocated above with this order and not kept.
        unsafe { bindings::__free_pages(p, order) };
    }
}

/// Whether the whole block of `order` at `page` reads as zero; `EINVAL`
/// with the first byte that does not.
fn check_zero(page: *mut bindings::page, order: u32) -> Result {
    let bytes = kernel::page::PAGE_SIZE << order;
    // SAFETY: `page` is a pool page of this order that the caller holds:
    // `bytes` readable bytes at its lowmem address that nobody writes.
    let s =
        unsafe { core::slice::from_raw_parts(shim::pkrs_page_address(page).cast::<u8>(), bytes) };
    match s.iter().position(|&b| b != 0) {
        None => Ok(()),
        Some(at) => {
            pr_err!(
                "prezero: a fresh order-{} page is not zero: byte {} is {:#x}\n",
                order,
                at,
                s[at]
            );
            Err(EINVAL)
        }
    }
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
    // A slow-path call that got no page is not an `alloc_slow` (the kernel's
    // pool counts its own way).
    if P::KIND == "rs" && s.alloc_slow != 0 {
        pr_err!(
            "alloc_failure: rs pool: alloc_slow {} after only failed refills\n",
            s.alloc_slow
        );
        return Err(EINVAL);
    }
    pr_info!(
        "alloc_failure: {} pool: 8 allocations failed with ENOMEM; hold {} release {} outstanding {}, alloc_slow {}\n",
        P::KIND,
        s.hold,
        s.release,
        s.outstanding,
        s.alloc_slow
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

/// Pages kept out of their dropped pools until the module goes.
pub(crate) struct HeldPages {
    _rs: KVec<<RsPagePool as PagePool>::Page>,
    _c: KVec<<CPagePool as PagePool>::Page>,
}

// SAFETY: nothing reaches the pages through a shared reference: they are
// only dropped, with the module.
unsafe impl Sync for HeldPages {}

/// Rejects a `hold_out` above 4096 pages.
pub(crate) fn check_hold_out(n: u32) -> Result {
    if n > 4096 {
        pr_err!("invalid hold_out={}: at most 4096 pages\n", n);
        return Err(EINVAL);
    }
    Ok(())
}

/// With `n > 0`: a DMA-mapping pool of each kind for the virtio NIC, `n`
/// pages taken from each, the pools dropped. Dropping a pool unmaps its
/// pages still out, so the NIC may be unbound while they are held; they go
/// back at `rmmod`, without a DMA call.
pub(crate) fn hold_out(domain: &DomainHandle, n: u32) -> Result<HeldPages> {
    let mut held = HeldPages {
        _rs: KVec::new(),
        _c: KVec::new(),
    };
    if n == 0 {
        return Ok(held);
    }
    let Some(dev) = dma_device() else {
        pr_err!("hold_out: no bound virtio PCI device to map pages for\n");
        return Err(ENODEV);
    };
    let mut p = Params::new(c"held");
    // SAFETY: the pools are dropped below, before `insmod` returns; only
    // then may the test box unbind the device.
    p.dev = Some(unsafe { assume_bound(&dev) });
    p.flags = DMA_MAP | DMA_SYNC_DEV;
    p.max_len = 1536;
    held._rs = take::<RsPagePool>(domain, &p, n)?;
    held._c = take::<CPagePool>(domain, &p, n)?;
    pr_info!(
        "hold_out: {} pages of each pool held, their pools dropped, mapped for {}\n",
        n,
        dev.name().to_str().unwrap_or("?")
    );
    Ok(held)
}

fn take<P: PagePool>(domain: &DomainHandle, p: &Params<'_>, n: u32) -> Result<KVec<P::Page>> {
    let mut pool = P::new(p, domain.domain())?;
    let mut pages = KVec::with_capacity(n as usize, GFP_KERNEL)?;
    for _ in 0..n {
        pages.push(pool.alloc()?, GFP_KERNEL)?;
    }
    Ok(pages)
}
