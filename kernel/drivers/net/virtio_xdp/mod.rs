// SPDX-License-Identifier: GPL-2.0

//! The virtio-net backend: binding a device, its netdev, its queue pair.
//!
//! Negotiated: the MAC and MTU of the config space and the link status;
//! no offloads, no mergeable buffers, no control queue, one queue pair
//! (the feature table is in the shim). Each RX buffer is one page of the
//! queue's pool, `XDP_PACKET_HEADROOM` in, the 12-byte virtio-net header
//! first; the device may write up to one page's frame, which bounds the
//! MTU (3490 bytes with one VLAN tag).
//!
//! With `VIRTIO_F_ACCESS_PLATFORM` (QEMU's `iommu_platform=on`) the
//! virtqueues use the DMA API: the pool then maps its pages for
//! `virtqueue_dma_dev()` (the PCI device, bound as long as the virtio
//! device is), RX buffers go in premapped and are synced for the CPU
//! before the program reads them. Without it (QEMU's default) the device
//! takes physical addresses and nothing is mapped.
//!
//! Teardown (unbind, rmmod, or a probe failing after the queue was made),
//! in the order of upstream's `virtnet_remove()`: config notifications
//! off and the link-status work finished, the netdev unregistered
//! (closed, its program detached), the device reset (no more DMA or
//! interrupts), every buffer taken back from both virtqueues, the queue
//! dropped with its pool, which unmaps every page it mapped, those still
//! in the stack included, then the virtqueues deleted. It is the drop of
//! the [`Nic`], so that no error path can skip it.

mod rings;

use crate::net_bindings as nb;
use crate::page_pool::cpool::CPagePool;
use crate::page_pool::native::RsPagePool;
use crate::page_pool::{DomainHandle, PagePool, Params, DMA_MAP, DMA_SYNC_DEV};
use crate::xdp_rx::netdev::NetDevice;
use crate::xdp_rx::queue::{max_frame, max_mtu, Config, Queue, HEADROOM};
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::sync::atomic::{AtomicPtr, AtomicU32};
use kernel::bindings;
use kernel::device::Device;
use kernel::dma::DataDirection;
use kernel::error::to_result;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::str::{CStr, CString};
use rings::{VirtioRx, VirtioTx, Vq};

/// The driver's name (sysfs, `ethtool -i`).
pub(crate) const NAME: &CStr = c"virtio_xdp";

const VIRTIO_NET_F_MAC: u32 = 5;
const VIRTIO_NET_F_MTU: u32 = 3;

/// Which page pool the RX rings use.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PoolKind {
    Rs = 0,
    C = 1,
}

/// Set at module load, before the driver is registered.
static POOL_KIND: AtomicU32 = AtomicU32::new(0);
static COPYBREAK: AtomicU32 = AtomicU32::new(0);
static FLOOR: AtomicU32 = AtomicU32::new(0);
/// The module's pool domain, for the devices' pools.
static DOMAIN: AtomicPtr<DomainHandle> = AtomicPtr::new(core::ptr::null_mut());

/// One bound device (or one being probed, once it has its queue).
///
/// # Invariants
///
/// `vdev` is attached (`pkrs_virtio_attach`) to `netdev` and has its
/// virtqueues, which `queue` (`Some` until the drop) uses; `netdev`'s
/// callbacks run on `queue`.
struct Nic<P: PagePool> {
    vdev: *mut nb::virtio_device,
    queue: Option<KBox<Queue<VirtioRx, VirtioTx, P>>>,
    netdev: NetDevice,
}

impl<P: PagePool> Drop for Nic<P> {
    fn drop(&mut self) {
        // SAFETY: our device (type invariants): no link-status work runs
        // on the netdev once it is being unregistered.
        unsafe { nb::pkrs_virtio_config_quiesce(self.vdev) };
        self.netdev.unregister();
        // SAFETY: as above: the reset stops its DMA and interrupts, so the
        // buffers it held can be taken back.
        unsafe { nb::pkrs_virtio_reset(self.vdev) };
        if let Some(q) = self.queue.take() {
            q.teardown();
            // The pool unmaps what it mapped here, before `remove`
            // returns; the queue's virtqueue handles go with it.
            drop(q);
        }
        // SAFETY: as above; nothing uses the virtqueues any more, and the
        // netdev (freed after this) is detached first.
        unsafe {
            nb::pkrs_virtio_del_vqs(self.vdev);
            nb::pkrs_virtio_detach(self.vdev);
        }
    }
}

/// A bound device with its kind of pool (held for its drop).
enum AnyNic {
    Rs(#[expect(dead_code, reason = "held for its drop")] Nic<RsPagePool>),
    C(#[expect(dead_code, reason = "held for its drop")] Nic<CPagePool>),
}

/// What probing got before it failed, undone in reverse.
struct Bringup {
    vdev: *mut nb::virtio_device,
    attached: bool,
    vqs: bool,
}

impl Drop for Bringup {
    fn drop(&mut self) {
        if self.vqs {
            // SAFETY: our device; its queues were found and, the device
            // reset first, may be deleted.
            unsafe {
                nb::pkrs_virtio_reset(self.vdev);
                nb::pkrs_virtio_del_vqs(self.vdev);
            }
        }
        if self.attached {
            // SAFETY: attached by this probe.
            unsafe { nb::pkrs_virtio_detach(self.vdev) };
        }
    }
}

impl<P: PagePool> Nic<P> {
    fn probe(vdev: *mut nb::virtio_device, domain: &DomainHandle) -> Result<Self> {
        // SAFETY: the device being probed is live while we are bound.
        let vdev_dev: &Device = unsafe { Device::from_raw(nb::pkrs_virtio_dev(vdev)) };
        // SAFETY: as above.
        let hdr_len = unsafe { nb::pkrs_virtio_net_hdr_len(vdev) };
        let mut mac = [0u8; 6];
        // SAFETY: as above; `mac` has room for 6 bytes.
        let have_mac = unsafe { nb::pkrs_virtio_has_feature(vdev, VIRTIO_NET_F_MAC) };
        if have_mac {
            // SAFETY: as above.
            unsafe { nb::pkrs_virtio_read_mac(vdev, mac.as_mut_ptr()) };
        }
        let mut mtu_max = max_mtu(hdr_len);
        // SAFETY: as above.
        if unsafe { nb::pkrs_virtio_has_feature(vdev, VIRTIO_NET_F_MTU) } {
            // SAFETY: as above.
            let dev_mtu = u32::from(unsafe { nb::pkrs_virtio_read_mtu(vdev) });
            if dev_mtu >= 68 {
                mtu_max = mtu_max.min(dev_mtu);
            }
        }

        let netdev = NetDevice::alloc::<Queue<VirtioRx, VirtioTx, P>>(vdev_dev, NAME)?;
        let mut up = Bringup {
            vdev,
            attached: false,
            vqs: false,
        };
        // SAFETY: our device and a netdev that outlives the attachment
        // (detached in `remove` or by `up`'s drop before it is freed).
        to_result(unsafe { nb::pkrs_virtio_attach(vdev, netdev.dev().as_ptr()) })?;
        up.attached = true;
        let (mut rxq, mut txq) = (core::ptr::null_mut(), core::ptr::null_mut());
        // SAFETY: our device, attached (the callbacks find the netdev).
        to_result(unsafe { nb::pkrs_virtio_find_vqs(vdev, &mut rxq, &mut txq) })?;
        up.vqs = true;
        // SAFETY: found above, deleted only after the queue is gone.
        let (rx_vq, tx_vq) = unsafe { (Vq::new(rxq), Vq::new(txq)) };
        let (rx_vq, tx_vq) = (rx_vq.ok_or(ENODEV)?, tx_vq.ok_or(ENODEV)?);

        // SAFETY: a live virtqueue.
        let dma_dev = unsafe { nb::virtqueue_dma_dev(rx_vq.as_ptr()) };
        let dma_dev: Option<&Device> = (!dma_dev.is_null()).then(|| {
            // SAFETY: the queue's device, referenced by the virtio device
            // (its parent) for as long as ours lives.
            unsafe { Device::from_raw(dma_dev) }
        });
        let name = CString::try_from_fmt(fmt!("{}-rx0", vdev_dev.name().to_str().unwrap_or("?")))?;
        let mut p = Params::new(&name);
        // SAFETY: a live virtqueue.
        p.pool_size = unsafe { nb::virtqueue_get_vring_size(rx_vq.as_ptr()) };
        p.napi = netdev.dev().napi();
        p.netdev = netdev.dev().as_ptr();
        if let Some(d) = dma_dev {
            // SAFETY: the PCI device the virtqueues map for is the virtio
            // device's parent, bound to its transport driver for as long as
            // our driver is bound to the virtio device, which is the pool's
            // whole life (it is dropped in `remove`).
            p.dev = Some(unsafe { d.as_bound() });
            p.flags = DMA_MAP | DMA_SYNC_DEV;
            p.dma_dir = DataDirection::FromDevice;
            p.offset = HEADROOM;
            p.max_len = hdr_len + max_frame(hdr_len);
        }
        let pool = P::new(&p, domain.domain())?;
        let cfg = Config {
            copybreak: COPYBREAK.load(Relaxed),
            mapped: dma_dev.is_some(),
            floor: FLOOR.load(Relaxed) != 0,
        };
        let queue = Queue::new(
            netdev.dev(),
            VirtioRx { vq: rx_vq, hdr_len },
            VirtioTx { vq: tx_vq },
            pool,
            cfg,
        )?;
        // SAFETY: the queue is boxed (a fixed address) and outlives the
        // netdev's registration (the `Nic`'s drop unregisters first).
        unsafe { netdev.attach(&*queue) };
        let xdp = crate::xdp_rx::XDP_FEATURES;
        netdev.setup(
            have_mac.then_some(&mac),
            (68, mtu_max, mtu_max.min(1500)),
            hdr_len,
            xdp,
        );
        // The queues and attachment now belong to the `Nic`, whose drop
        // undoes everything from here on, whatever fails.
        core::mem::forget(up);
        // INVARIANT: attached, with its queues, used by the queue.
        let mut nic = Self {
            vdev,
            queue: Some(queue),
            netdev,
        };
        // SAFETY: our device, its queues found: it may go live.
        unsafe { nb::pkrs_virtio_ready(vdev) };
        nic.netdev.register()?;
        // SAFETY: our device, attached to the netdev, now registered: the
        // link-status work may set its carrier (the drop quiesces it
        // before unregistering).
        unsafe { nb::pkrs_virtio_link_start(vdev) };
        pr_info!(
            "{}: {} on {}, pool {}, {}, MTU up to {}\n",
            nic.netdev.dev().name().to_str().unwrap_or("?"),
            NAME.to_str().unwrap_or("?"),
            vdev_dev.name().to_str().unwrap_or("?"),
            P::KIND,
            if dma_dev.is_some() {
                "pages DMA-mapped by the pool"
            } else {
                "no DMA mapping"
            },
            mtu_max
        );
        Ok(nic)
    }
}

/// The virtio driver's probe.
///
/// # Safety
///
/// Called by the virtio core for a device being bound to this driver.
unsafe extern "C" fn probe(vdev: *mut nb::virtio_device) -> c_int {
    let domain = DOMAIN.load(Acquire);
    // SAFETY: set before the driver is registered and cleared after it is
    // unregistered, so alive while any probe runs.
    let Some(domain) = (unsafe { domain.as_ref() }) else {
        return ENODEV.to_errno();
    };
    let nic = if POOL_KIND.load(Relaxed) == PoolKind::C as u32 {
        Nic::<CPagePool>::probe(vdev, domain).map(AnyNic::C)
    } else {
        Nic::<RsPagePool>::probe(vdev, domain).map(AnyNic::Rs)
    };
    // A failure here drops a registered `Nic`: its drop takes the device
    // down as `remove` would.
    let nic = match nic.and_then(|n| KBox::new(n, GFP_KERNEL).map_err(Into::into)) {
        Ok(n) => n,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: our device; its driver data is ours while we are bound.
    unsafe {
        bindings::dev_set_drvdata(nb::pkrs_virtio_dev(vdev), KBox::into_raw(nic).cast());
    }
    0
}

/// The virtio driver's remove.
///
/// # Safety
///
/// Called by the virtio core for a device this driver is bound to.
unsafe extern "C" fn remove(vdev: *mut nb::virtio_device) {
    // SAFETY: our bound device; `probe` stored a `KBox<AnyNic>` there.
    let p = unsafe { bindings::dev_get_drvdata(nb::pkrs_virtio_dev(vdev)) };
    if p.is_null() {
        return;
    }
    // SAFETY: made by `KBox::into_raw` in `probe`, taken back once.
    let nic = unsafe { KBox::from_raw(p.cast::<AnyNic>()) };
    // SAFETY: as above.
    unsafe { bindings::dev_set_drvdata(nb::pkrs_virtio_dev(vdev), core::ptr::null_mut()) };
    // The `Nic`'s drop takes the device down.
    drop(nic);
}

const VDRV_OPS: nb::pkrs_vdrv_ops = nb::pkrs_vdrv_ops {
    probe: Some(probe),
    remove: Some(remove),
};

/// The registered driver; unregistering it removes every device.
pub(crate) struct Driver {
    domain: KBox<DomainHandle>,
}

impl Driver {
    /// Checks the module parameters, then registers the driver.
    pub(crate) fn register(copybreak: u32, floor: u32) -> Result<Self> {
        let kind = if crate::xdp_rx::check_params(copybreak)? {
            PoolKind::C
        } else {
            PoolKind::Rs
        };
        if floor > 1 {
            pr_err!("invalid floor={}: 0 or 1\n", floor);
            return Err(EINVAL);
        }
        FLOOR.store(floor, Relaxed);
        POOL_KIND.store(kind as u32, Relaxed);
        COPYBREAK.store(copybreak, Relaxed);
        let domain = KBox::new(DomainHandle::new(NAME, 10)?, GFP_KERNEL)?;
        DOMAIN.store(core::ptr::from_ref(&*domain).cast_mut(), Release);
        // SAFETY: the table is a promoted `'static` constant; `NAME` too.
        let r = to_result(unsafe { nb::pkrs_virtio_register(&VDRV_OPS, NAME.as_char_ptr()) });
        if let Err(e) = r {
            DOMAIN.store(core::ptr::null_mut(), Release);
            return Err(e);
        }
        Ok(Self { domain })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SAFETY: registered by `register`; removes every device first.
        unsafe { nb::pkrs_virtio_unregister() };
        DOMAIN.store(core::ptr::null_mut(), Release);
        let _ = &self.domain;
    }
}
