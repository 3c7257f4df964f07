// SPDX-License-Identifier: GPL-2.0

//! Two page_pools behind one interface: the project's own, in Rust
//! ([`native::RsPagePool`]), and the kernel's C page_pool
//! ([`cpool::CPagePool`]). Benchmarks and drivers are generic over
//! [`PagePool`], so both run the same code.
//!
//! A page_pool keeps the pages of an RX ring in use: a page comes back to
//! the pool after the packet in it is done with, and goes out again
//! without a trip through the page allocator, DMA-mapped once for the
//! whole time it stays with the pool.
//!
//! # Contexts
//!
//! The *alloc side* of a pool ([`PagePool::alloc`],
//! [`PagePool::recycle_direct`]) takes `&mut self`: one context at a time,
//! in a driver the NAPI poll of the RX queue that owns the pool (softirq),
//! never hard IRQ. Pages go back from other contexts (another CPU, a
//! socket, a workqueue) by dropping their handle: in process or softirq
//! context for both pools, and also in hard IRQ for the native pool only
//! (the kernel's ring takes a `_bh` spinlock); debug builds check it. A
//! pool is created and dropped in process context; dropping it while
//! pages are still out is allowed, and the pool is freed when the last
//! one comes back.
//!
//! # DMA
//!
//! A pool maps pages only for a device that its owner is bound to
//! ([`Device<Bound>`]), and dropping the pool unmaps every page it mapped,
//! pages still out included: after the drop, nothing of the pool touches
//! the device, so the owner may let it go (unbind). A page that comes back
//! later is released without a DMA call.

#![allow(dead_code, reason = "each module uses a different part of the pool")]

pub(crate) mod cpool;
#[path = "../../../lib/dbgfs.rs"]
pub(crate) mod dbgfs;
mod dma;
pub(crate) mod native;
mod ring;

pub(crate) use native::{DomainHandle, PoolDomain};

use kernel::bindings;
use kernel::device::{Bound, Device};
use kernel::dma::{DataDirection, DmaAddress};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::aref::ARef;
use kernel::sync::Arc;

/// A value on cache lines of its own (x86's 64 bytes), so that fields
/// written by different contexts do not share a line.
#[repr(align(64))]
pub(crate) struct CacheAligned<T>(pub(crate) T);

impl<T> core::ops::Deref for CacheAligned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// How the network stack frees a pool's page handed to it (the XDP memory
/// model of the RX queue's `xdp_rxq_info`).
pub(crate) enum MemModel {
    /// `MEM_TYPE_PAGE_ORDER0`: `put_page()`; the page has left the pool.
    PageOrder0,
    /// `MEM_TYPE_PAGE_POOL`: back to this kernel `struct page_pool`.
    PagePool(*mut kernel::ffi::c_void),
}

/// Map each page for DMA when it enters the pool, unmap it when it leaves.
pub(crate) const DMA_MAP: u32 = 1 << 0;
/// Sync `max_len` bytes at `offset` for the device when a page is recycled.
pub(crate) const DMA_SYNC_DEV: u32 = 1 << 1;
/// Zero pages as they enter the pool, on the slow path (native pool only).
pub(crate) const PREZERO: u32 = 1 << 8;

/// The largest ring of returned pages a pool may have. (The kernel's C
/// pool clamps its ring to 16384 without saying so.)
pub(crate) const MAX_POOL_SIZE: u32 = 32768;

/// How to build a pool.
pub(crate) struct Params<'a> {
    /// Names the pool in warnings and in debugfs (unique in its domain).
    pub(crate) name: &'a CStr,
    /// Order of each page.
    pub(crate) order: u32,
    /// Size of the ring for pages returned from other contexts.
    pub(crate) pool_size: u32,
    /// NUMA node to allocate on (`NUMA_NO_NODE`: the local one).
    pub(crate) nid: i32,
    /// The device the pages are mapped for (with [`DMA_MAP`]), which the
    /// owner is bound to for the pool's life.
    pub(crate) dev: Option<&'a Device<Bound>>,
    /// Direction of the DMA mapping.
    pub(crate) dma_dir: DataDirection,
    /// Bytes synced for the device on recycle (with [`DMA_SYNC_DEV`]).
    pub(crate) max_len: u32,
    /// Where in the page the synced bytes start.
    pub(crate) offset: u32,
    /// [`DMA_MAP`], [`DMA_SYNC_DEV`], [`PREZERO`].
    pub(crate) flags: u32,
    /// Most pages out of the pool at once (handed out and not yet back);
    /// 0 for no limit (native pool only).
    pub(crate) max_outstanding: u32,
    /// The NAPI instance of the alloc side (kernel's pool only: pages freed
    /// in that NAPI recycle directly) and its netdev; null for none.
    pub(crate) napi: *mut bindings::napi_struct,
    pub(crate) netdev: *mut bindings::net_device,
}

impl<'a> Params<'a> {
    /// Parameters for order-0 pages without DMA, as the benchmarks use.
    pub(crate) fn new(name: &'a CStr) -> Self {
        Self {
            name,
            order: 0,
            pool_size: 1024,
            nid: bindings::NUMA_NO_NODE,
            dev: None,
            dma_dir: DataDirection::Bidirectional,
            max_len: 0,
            offset: 0,
            flags: 0,
            max_outstanding: 0,
            napi: core::ptr::null_mut(),
            netdev: core::ptr::null_mut(),
        }
    }

    /// Rejects what no pool can do, with a reason in the kernel log.
    pub(crate) fn validate(&self) -> Result {
        let bytes = (bindings::PAGE_SIZE as u64) << self.order.min(31);
        let node_ok = |nid: i32| {
            // SAFETY: `node_state()` reads a node mask; `nid` is in range.
            unsafe { crate::shim_bindings::pkrs_node_has_memory(nid) }
        };
        let reason = if self.order > bindings::MAX_PAGE_ORDER {
            Some("order above MAX_PAGE_ORDER")
        } else if self.pool_size == 0 || self.pool_size > MAX_POOL_SIZE {
            Some("pool_size must be 1 to 32768")
        } else if self.flags & !(DMA_MAP | DMA_SYNC_DEV | PREZERO) != 0 {
            Some("unknown flags")
        } else if self.flags & DMA_MAP != 0 && self.dev.is_none() {
            Some("DMA_MAP needs a device")
        } else if self.flags & DMA_MAP != 0
            && !matches!(
                self.dma_dir,
                DataDirection::FromDevice | DataDirection::Bidirectional
            )
        {
            Some("DMA_MAP needs direction FromDevice or Bidirectional")
        } else if self.nid != bindings::NUMA_NO_NODE
            && !(0..bindings::MAX_NUMNODES as i32).contains(&self.nid)
        {
            Some("no such NUMA node")
        } else if self.nid != bindings::NUMA_NO_NODE && !node_ok(self.nid) {
            Some("NUMA node without memory")
        } else if self.flags & DMA_SYNC_DEV != 0 && self.flags & DMA_MAP == 0 {
            Some("DMA_SYNC_DEV needs DMA_MAP")
        } else if self.flags & DMA_SYNC_DEV != 0 && self.max_len == 0 {
            Some("DMA_SYNC_DEV needs max_len")
        } else if u64::from(self.offset) + u64::from(self.max_len) > bytes {
            Some("offset + max_len past the end of the page")
        } else {
            None
        };
        match reason {
            Some(r) => {
                pr_err!(
                    "page_pool {}: invalid parameters: {} (order {}, pool_size {}, flags {:#x})\n",
                    self.name.to_str().unwrap_or("?"),
                    r,
                    self.order,
                    self.pool_size,
                    self.flags
                );
                Err(EINVAL)
            }
            None => Ok(()),
        }
    }
}

/// The C `struct device` of a [`Device`].
pub(crate) fn dev_raw(dev: &Device) -> *mut bindings::device {
    // CAST: `Device` is a `#[repr(transparent)]` wrapper of
    // `Opaque<bindings::device>` (rust/kernel/device.rs), itself a
    // transparent wrapper of the C struct, so the addresses are the same;
    // the kernel crate keeps its own accessor private.
    core::ptr::from_ref(dev).cast_mut().cast()
}

/// A device to map pages for: the first virtio PCI device (the test box's
/// NICs) that a driver is bound to, whichever driver it is.
pub(crate) fn dma_device() -> Option<ARef<Device>> {
    // CAST: `PCI_ANY_ID` is the all-ones device ID.
    // SAFETY: looks up a PCI device, taking a reference when found.
    let pdev = unsafe {
        bindings::pci_get_device(
            bindings::PCI_VENDOR_ID_REDHAT_QUMRANET,
            bindings::PCI_ANY_ID as u32,
            core::ptr::null_mut(),
        )
    };
    if pdev.is_null() {
        return None;
    }
    // SAFETY: `pdev` is live (we hold a reference); reading its driver
    // pointer is how `device_is_bound()`'s callers tell.
    let bound = unsafe { !(*pdev).dev.driver.is_null() };
    // SAFETY: `pdev` is live (we hold a reference); `get_device` takes one
    // of its own on the embedded `struct device`.
    let dev = unsafe { Device::get_device(&raw mut (*pdev).dev) };
    // SAFETY: drops the reference `pci_get_device` took.
    unsafe { bindings::pci_dev_put(pdev) };
    bound.then_some(dev)
}

/// A device of [`dma_device`] as bound, for a test or benchmark module
/// that maps pages for a device some other driver owns.
///
/// # Safety
///
/// The device stays bound while the reference is used, and every pool
/// made with it is dropped before the device may be unbound. (The test
/// box unbinds such a device only after the module's pools are gone.)
pub(crate) unsafe fn assume_bound(dev: &Device) -> &Device<Bound> {
    // SAFETY: by the function's safety requirements.
    unsafe { dev.as_bound() }
}

/// A page handed out by a pool. Dropping the handle gives the page back to
/// its pool, from any context; [`PagePool::recycle_direct`] is the faster
/// return on the alloc side.
pub(crate) trait PoolPage: Send {
    /// The `struct page` (the head page for order > 0).
    fn as_raw(&self) -> *mut bindings::page;
    /// The page's DMA address; `None` when its pool does not map pages.
    fn dma_addr(&self) -> Option<DmaAddress>;
}

/// What both page_pools offer. See the module documentation for contexts.
pub(crate) trait PagePool: Send + Sized + Unpin {
    /// The handle of a page of this pool.
    type Page: PoolPage;

    /// Short name of the implementation in result lines: `rs` or `c`.
    const KIND: &'static str;

    /// Creates a pool; `domain` holds its debugfs directory and finishes
    /// its destruction if pages are still out when it is dropped.
    fn new(params: &Params<'_>, domain: &Arc<PoolDomain>) -> Result<Self>;

    /// A page from the pool: from its cache (the fast path), else from the
    /// ring of returned pages, else from the page allocator.
    fn alloc(&mut self) -> Result<Self::Page>;

    /// Returns a page straight into the pool's cache (the XDP_DROP case).
    fn recycle_direct(&mut self, page: Self::Page);

    /// Hands a page to the network stack (an skb, an XDP frame), which
    /// frees it as [`PagePool::mem_model`] says: the caller owns the
    /// returned page reference from now on.
    fn release_to_stack(&mut self, page: Self::Page) -> *mut bindings::page;

    /// Frees a page of [`PagePool::release_to_stack`] that the stack did
    /// not take after all (no skb could be built, a redirect failed).
    fn drop_released(&mut self, page: *mut bindings::page);

    /// Makes `len` bytes at `offset` of a page visible to the CPU after the
    /// device wrote them (nothing for a pool that does not map). `offset`
    /// counts from the start of the page, for both kinds of pool (the
    /// kernel's `page_pool_dma_sync_for_cpu()` counts from the pool's
    /// `offset` parameter instead: the C pool converts).
    fn sync_for_cpu(&self, page: &Self::Page, offset: u32, len: u32);

    /// How the stack frees pages given to it with `release_to_stack`.
    fn mem_model(&self) -> MemModel;

    /// The pool's counters.
    fn stats(&self) -> Stats;

    /// What reads the pool's counters from any context without a
    /// reference to the pool, whose owner may meanwhile use it as `&mut`
    /// (a driver's `ethtool -S` during its NAPI poll).
    type StatsHandle: Send + Sync;

    /// The pool's [`PagePool::StatsHandle`].
    ///
    /// # Safety
    ///
    /// The caller gives the handle to [`PagePool::read_stats`] only while
    /// this pool lives.
    unsafe fn stats_handle(&self) -> Self::StatsHandle;

    /// The counters, read through the handle of a live pool.
    fn read_stats(h: &Self::StatsHandle) -> Stats;
}

/// A pool's counters, named as upstream's `page_pool_stats`, plus the
/// in-flight accounting and the native pool's own.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    /// Allocations served from the cache.
    pub(crate) alloc_fast: u64,
    /// Slow-path calls (order 0: one bulk allocation each).
    pub(crate) alloc_slow: u64,
    /// Slow-path allocations of order > 0.
    pub(crate) alloc_slow_high_order: u64,
    /// Times the ring was found empty on a refill.
    pub(crate) alloc_empty: u64,
    /// Refills of the cache from the ring.
    pub(crate) alloc_refill: u64,
    /// Pages from the ring released for being on the wrong NUMA node.
    pub(crate) alloc_waive: u64,
    /// Direct recycles into the cache.
    pub(crate) recycle_cached: u64,
    /// Direct recycles that found the cache full.
    pub(crate) recycle_cache_full: u64,
    /// Pages returned into the ring.
    pub(crate) recycle_ring: u64,
    /// Returns that found the ring full (the page is released).
    pub(crate) recycle_ring_full: u64,
    /// Returns of pages someone else still holds (released, not recycled).
    pub(crate) recycle_released_refcnt: u64,
    /// Allocations refused by the outstanding-pages limit (native pool).
    pub(crate) alloc_over_limit: u64,
    /// Pages that entered the pool.
    pub(crate) hold: u64,
    /// Pages that left the pool.
    pub(crate) release: u64,
    /// Pages handed out and not yet back (native pool; 0 for the C pool).
    pub(crate) outstanding: u64,
}

impl Stats {
    /// Pages the pool is responsible for: in its cache, in its ring, out.
    pub(crate) fn inflight(&self) -> u64 {
        self.hold.wrapping_sub(self.release)
    }
}

impl core::fmt::Debug for Stats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let rows: [(&str, u64); 16] = [
            ("alloc_fast", self.alloc_fast),
            ("alloc_slow", self.alloc_slow),
            ("alloc_slow_high_order", self.alloc_slow_high_order),
            ("alloc_empty", self.alloc_empty),
            ("alloc_refill", self.alloc_refill),
            ("alloc_waive", self.alloc_waive),
            ("recycle_cached", self.recycle_cached),
            ("recycle_cache_full", self.recycle_cache_full),
            ("recycle_ring", self.recycle_ring),
            ("recycle_ring_full", self.recycle_ring_full),
            ("recycle_released_refcnt", self.recycle_released_refcnt),
            ("alloc_over_limit", self.alloc_over_limit),
            ("hold", self.hold),
            ("release", self.release),
            ("inflight", self.inflight()),
            ("outstanding", self.outstanding),
        ];
        for (name, v) in rows {
            writeln!(f, "{name} {v}")?;
        }
        Ok(())
    }
}
