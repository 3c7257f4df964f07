// SPDX-License-Identifier: GPL-2.0

//! The simulated completion-queue NICs: netdevs `cqsim0`.. on the XDP RX
//! core, each with its "hardware" ([`hw::Hw`]) played by a kernel thread.
//!
//! Each NIC's device thread runs on `hw_cpu` and raises its interrupts on
//! `irq_cpu` (an IPI that schedules the NAPI poll there), so the device
//! and the driver run on different CPUs as a real NIC and its driver do.
//! Frames go out only when told: `/sys/kernel/debug/xdp_cqsim/<netdev>/ctl`
//! takes one command per write,
//!
//! ```text
//! send count=N [size=BYTES] [kind=udp|oversize|runt] [rate=PPS] [flows=N]
//!      [moder=FRAMES]
//! stop
//! ```
//!
//! and reads back the device's counters (`pending`, `rx_sent`,
//! `rx_out_of_buffer`, `rx_cq_full`, `tx_sent`, `tx_swapped`, `tx_intact`,
//! `tx_corrupt`, `tx_reordered`, `irqs`). Frames are IPv4/UDP from
//! 10.0.3.1 to 10.0.3.2 port 9, to the NIC's own MAC from
//! 52:54:00:00:00:f0, with a sequence number after the UDP header;
//! `tx_swapped` counts the XDP_TX frames that come back to that address
//! with the MACs swapped, `tx_intact` those of them whose first 64 bytes
//! (what the device wrote) are the frame of their sequence number but for
//! the swap (else `tx_corrupt`), and `tx_reordered` the intact ones whose
//! sequence number is not above all before (out of order, or twice). With `rate=0` the
//! device sends as fast as the RX ring has buffers (nothing is lost);
//! with a rate, a frame finding no buffer or a full CQ is dropped and
//! counted, as a real NIC does. `moder` moderates the RX interrupt: an
//! armed one fires only after that many frames of the job (sent or
//! dropped), when the device finds a ring without room, or when the job
//! ends.
//!
//! Teardown: the netdev is unregistered (closed: NAPI off, the device
//! told to stop), the device thread stopped, every buffer taken back from
//! both rings, the pool dropped.

pub(crate) mod hw;

use crate::kthread::KThread;
use crate::page_pool::cpool::CPagePool;
use crate::page_pool::dbgfs::{Dir, File};
use crate::page_pool::native::RsPagePool;
use crate::page_pool::{DomainHandle, PagePool, Params};
use crate::xdp_rx::netdev::NetDevice;
use crate::xdp_rx::queue::{max_mtu, Config, Queue};
use core::sync::atomic::Ordering::Relaxed;
use hw::{CqRx, CqTx, Hw};
use kernel::debugfs::Reader;
use kernel::device::Device;
use kernel::faux;
use kernel::prelude::*;
use kernel::str::{CStr, CString};
use kernel::sync::Arc;
use kernel::uaccess::UserSliceReader;

use crate::net_bindings as nb;

/// The driver's name (`ethtool -i`, debugfs).
pub(crate) const NAME: &CStr = c"xdp_cqsim";

/// The module's settings (its parameters, checked).
pub(crate) struct Settings {
    pub(crate) nics: u32,
    pub(crate) rq: u32,
    pub(crate) cq: u32,
    pub(crate) sq: u32,
    pub(crate) copybreak: u32,
    pub(crate) floor: bool,
    pub(crate) irq_cpu: u32,
    pub(crate) hw_cpu: u32,
    pub(crate) pool_c: bool,
}

/// The `ctl` file of a NIC.
struct Ctl(Arc<Hw>);

impl core::fmt::Debug for Ctl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.status(f)
    }
}

/// A `key=value` word as a number; `Err` with a reason.
fn number(v: &str) -> Result<u64> {
    v.parse::<u64>().map_err(|_| EINVAL)
}

impl Reader for Ctl {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0u8; 160];
        let n = reader.len();
        if n > buf.len() {
            return Err(EINVAL);
        }
        reader.read_slice(&mut buf[..n])?;
        let line = core::str::from_utf8(&buf[..n]).map_err(|_| EINVAL)?.trim();
        let mut words = line.split_whitespace();
        let job = &self.0.job;
        match words.next() {
            Some("stop") => {
                job.pending.store(0, Relaxed);
                Ok(())
            }
            Some("send") => {
                let (mut count, mut size, mut kind, mut rate, mut flows, mut moder) =
                    (0, 64, 0, 0, 1, 0);
                for w in words {
                    let (k, v) = w.split_once('=').ok_or(EINVAL)?;
                    match k {
                        "count" => count = number(v)?,
                        "size" => size = number(v)?,
                        "rate" => rate = number(v)?,
                        "flows" => flows = number(v)?,
                        "moder" => moder = number(v)?,
                        "kind" => {
                            kind = match v {
                                // An oversize frame is a UDP one whose
                                // size the MTU does not allow.
                                "udp" | "oversize" => 0,
                                "runt" => 1,
                                _ => return Err(EINVAL),
                            }
                        }
                        _ => return Err(EINVAL),
                    }
                }
                if count == 0
                    || !(1..=4096).contains(&size)
                    || flows == 0
                    || flows > 65535
                    || moder > 65536
                {
                    return Err(EINVAL);
                }
                // CAST: each checked above to fit.
                job.size.store(size as u32, Relaxed);
                job.kind.store(kind, Relaxed);
                job.rate
                    .store(u32::try_from(rate).map_err(|_| EINVAL)?, Relaxed);
                job.flows.store(flows as u32, Relaxed);
                job.moder.store(moder as u32, Relaxed);
                self.0.start_job(count);
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }
}

/// One simulated NIC with its pool of kind `P`.
struct Nic<P: PagePool> {
    // Dropped in this order (see `remove`): the control file, the device
    // thread, the queue (its pool), the netdev.
    ctl: Option<KBox<File<Ctl>>>,
    _dir: Dir,
    thread: Option<KThread>,
    queue: KBox<Queue<CqRx, CqTx, P>>,
    netdev: NetDevice,
}

impl<P: PagePool> Nic<P> {
    fn new(i: u32, parent: &Device, s: &Settings, domain: &DomainHandle) -> Result<Self> {
        let mut netdev = NetDevice::alloc::<Queue<CqRx, CqTx, P>>(parent, NAME)?;
        let name = CString::try_from_fmt(fmt!("cqsim{}", i))?;
        // SAFETY: a netdev not registered yet; the name is a C string.
        unsafe { nb::pkrs_nd_set_name(netdev.dev().as_ptr(), name.as_char_ptr()) };
        // A locally administered MAC address per NIC: 02:00:00:00:01:<i>.
        // CAST: at most 4 NICs.
        let mac = [0x02, 0, 0, 0, 0x01, i as u8];
        let hw = Hw::new(netdev.dev(), mac, s.irq_cpu, s.rq, s.cq, s.sq)?;
        let pool_name = CString::try_from_fmt(fmt!("cqsim{}-rx0", i))?;
        let mut p = Params::new(&pool_name);
        p.pool_size = s.rq;
        p.napi = netdev.dev().napi();
        p.netdev = netdev.dev().as_ptr();
        let pool = P::new(&p, domain.domain())?;
        let cfg = Config {
            copybreak: s.copybreak,
            mapped: false,
            floor: s.floor,
        };
        let queue = Queue::new(
            netdev.dev(),
            CqRx::new(hw.clone())?,
            CqTx::new(hw.clone()),
            pool,
            cfg,
        )?;
        // SAFETY: the queue is boxed and outlives the netdev's
        // registration (`remove` unregisters first).
        unsafe { netdev.attach(&*queue) };
        let xdp = crate::xdp_rx::XDP_FEATURES;
        netdev.setup(Some(&mac), (68, max_mtu(0), 1500), 0, xdp);
        let dir = domain.domain().dir.subdir(&name);
        let ctl = dir.read_write_file(c"ctl", Ctl(hw.clone()))?;
        let raw = Arc::into_raw(hw.clone()).cast_mut().cast();
        // SAFETY: the thread owns the reference `into_raw` gave it and is
        // stopped (`KThread`'s drop) before the module goes; `hw_cpu` was
        // checked online.
        let thread =
            unsafe { KThread::spawn(hw::device_thread, raw, c"cqsim/%u", i, Some(s.hw_cpu)) };
        let thread = match thread {
            Ok(t) => t,
            Err(e) => {
                // SAFETY: the thread was not made: the reference is ours.
                drop(unsafe { Arc::from_raw(raw.cast_const().cast::<Hw>()) });
                return Err(e);
            }
        };
        netdev.register()?;
        // SAFETY: a registered netdev; carrier on, the link is "up".
        unsafe { nb::pkrs_nd_carrier(netdev.dev().as_ptr(), true) };
        pr_info!(
            "{}: simulated CQ NIC, pool {}, RQ {} CQ {} SQ {}, device on CPU {}, interrupts to CPU {}\n",
            name.to_str().unwrap_or("?"),
            P::KIND,
            s.rq,
            s.cq,
            s.sq,
            s.hw_cpu,
            s.irq_cpu
        );
        Ok(Self {
            ctl: Some(ctl),
            _dir: dir,
            thread: Some(thread),
            queue,
            netdev,
        })
    }
}

impl<P: PagePool> Drop for Nic<P> {
    fn drop(&mut self) {
        drop(self.ctl.take());
        self.netdev.unregister();
        // The device stops before its rings are taken apart.
        drop(self.thread.take());
        self.queue.teardown();
    }
}

/// Every NIC of the module, with its kind of pool (held for their drop).
enum Nics {
    Rs(#[expect(dead_code, reason = "held for its drop")] KVec<Nic<RsPagePool>>),
    C(#[expect(dead_code, reason = "held for its drop")] KVec<Nic<CPagePool>>),
}

/// The module's state: the faux device the netdevs hang from, the pool
/// domain, the NICs.
pub(crate) struct Driver {
    // Dropped in this order: the NICs, the domain, the faux device.
    _nics: Nics,
    _domain: DomainHandle,
    _faux: faux::Registration,
}

impl Driver {
    pub(crate) fn new(s: &Settings) -> Result<Self> {
        let faux = faux::Registration::new(NAME, None)?;
        let domain = DomainHandle::new(NAME, 10)?;
        let parent: &Device = faux.as_ref();
        let nics = if s.pool_c {
            let mut v = KVec::new();
            for i in 0..s.nics {
                v.push(Nic::<CPagePool>::new(i, parent, s, &domain)?, GFP_KERNEL)?;
            }
            Nics::C(v)
        } else {
            let mut v = KVec::new();
            for i in 0..s.nics {
                v.push(Nic::<RsPagePool>::new(i, parent, s, &domain)?, GFP_KERNEL)?;
            }
            Nics::Rs(v)
        };
        Ok(Self {
            _nics: nics,
            _domain: domain,
            _faux: faux,
        })
    }
}
