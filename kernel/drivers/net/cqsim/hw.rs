// SPDX-License-Identifier: GPL-2.0

//! The simulated NIC's "hardware": mlx5e's receive queue with its
//! completion queue, and an XDP send queue with its own, in memory, with a
//! kernel thread on another CPU playing the device.
//!
//! | here                        | mlx5e                                        |
//! |-----------------------------|----------------------------------------------|
//! | `rx_wq` + `rx_wq_pi`        | the RQ's WQEs, its doorbell record (`mlx5_wq_cyc_update_db_record`) |
//! | `rx_cq`, owner bit per wrap | the CQ's CQEs (`op_own & MLX5_CQE_OWNER_MASK`), `mlx5_cqwq_get_cqe()` |
//! | `rx_cq_ci`                  | the CQ's consumer counter in its doorbell record |
//! | `rx_armed` + an IPI         | `mlx5e_cq_arm()` and the completion EQ's interrupt |
//! | `tx_sq`, `tx_cq`            | the XDP SQ and its CQ (`en/xdp.c`)          |
//!
//! The device writes a frame into the buffer of the next posted WQE, then
//! a CQE naming that WQE and the byte count, and publishes it by flipping
//! the CQE's owner bit to the value of this lap of the ring (`pi / size`,
//! even laps 0, odd laps 1; every CQE starts as 1). The driver takes a CQE
//! when its owner bit matches its own lap. Each side's writes are made
//! visible with release stores and read with acquire loads: the
//! `dma_wmb()`/`dma_rmb()` of a real NIC and its driver.

use crate::xdp_rx::netdev::NetDev;
use crate::xdp_rx::{RxBuf, RxRing, TxRing, TxToken};
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize};
use kernel::bindings;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::net_bindings as nb;

/// A posted RX buffer, as the device reads it.
struct Wqe {
    va: AtomicPtr<u8>,
    len: AtomicU32,
}

/// An RX completion.
struct Cqe {
    wqe: AtomicU32,
    bytes: AtomicU32,
    owner: AtomicU32,
}

/// A posted TX buffer.
struct Sqe {
    token: AtomicUsize,
    data: AtomicPtr<u8>,
    len: AtomicU32,
}

/// A TX completion.
struct TxCqe {
    token: AtomicUsize,
    owner: AtomicU32,
}

/// What the device sends next (the `ctl` file sets it).
pub(crate) struct Job {
    /// Frames still to send.
    pub(crate) pending: AtomicU64,
    pub(crate) size: AtomicU32,
    /// 0: IPv4/UDP, 1: a runt (shorter than an Ethernet header).
    pub(crate) kind: AtomicU32,
    /// Frames per second; 0: as fast as the ring takes them.
    pub(crate) rate: AtomicU32,
    /// UDP source ports cycled through.
    pub(crate) flows: AtomicU32,
    /// Interrupt moderation: an armed RX interrupt fires after this many
    /// frames of the job (sent or dropped), when the device stalls on a
    /// ring, or when the job ends; 0 or 1: after every frame.
    pub(crate) moder: AtomicU32,
    /// The job's time (`ktime_get_mono_fast_ns()`): written by `send`, and
    /// by the driver when it rearms with the job sent and every CQE taken
    /// (`end_armed` lets that happen once per job, after `send` set it
    /// up). `job_ns` in `ctl` is the difference: the time the driver took
    /// for the job, without the reader's polling for its end.
    pub(crate) t_start: AtomicU64,
    pub(crate) t_end: AtomicU64,
    pub(crate) end_armed: AtomicBool,
}

/// What the device counts.
#[derive(Default)]
pub(crate) struct HwCounters {
    /// Frames written into posted buffers and completed.
    pub(crate) rx_sent: AtomicU64,
    /// Frames dropped for want of a posted buffer (only with a rate).
    pub(crate) rx_out_of_buffer: AtomicU64,
    /// Frames dropped because the CQ had no room.
    pub(crate) rx_cq_full: AtomicU64,
    /// Frames taken from the XDP SQ and completed.
    pub(crate) tx_sent: AtomicU64,
    /// Of those, frames with the MAC addresses swapped back to the sender.
    pub(crate) tx_swapped: AtomicU64,
    /// Of the swapped ones: the frame the device sent with that sequence
    /// number, but for the swap (its first 64 bytes, which the device
    /// wrote; the rest is the page's), or not.
    pub(crate) tx_intact: AtomicU64,
    pub(crate) tx_corrupt: AtomicU64,
    /// Intact ones whose sequence number is not above every one before
    /// (sent back out of order, or twice).
    pub(crate) tx_reordered: AtomicU64,
    /// Interrupts raised.
    pub(crate) irqs: AtomicU64,
}

/// The source MAC address of the frames the device sends.
pub(crate) const PEER_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x00, 0x00, 0xf0];

/// The rings and the device's state, shared by the driver's rings, the
/// device thread and the `ctl` file.
///
/// # Invariants
///
/// Sizes are powers of two; the driver's indexes only grow, by the rules
/// of [`CqRx`] and [`CqTx`]; a WQE's buffer is the driver's page from the
/// time it is published (`rx_wq_pi`) until the CQE naming it is taken.
pub(crate) struct Hw {
    dev: NetDev,
    mac: [u8; 6],
    /// The CPU the device's interrupts go to (the NAPI poll's).
    irq_cpu: u32,
    rx_wq: KVec<Wqe>,
    rx_cq: KVec<Cqe>,
    tx_sq: KVec<Sqe>,
    tx_cq: KVec<TxCqe>,
    /// Published by the driver: WQEs posted, CQEs taken, SQEs posted, TX
    /// CQEs taken.
    rx_wq_pi: AtomicU32,
    rx_cq_ci: AtomicU32,
    tx_sq_pi: AtomicU32,
    tx_cq_ci: AtomicU32,
    /// The device's own: WQEs and SQEs consumed, CQEs written.
    rx_wq_ci: AtomicU32,
    rx_cq_pi: AtomicU32,
    tx_sq_ci: AtomicU32,
    tx_cq_pi: AtomicU32,
    rx_armed: AtomicBool,
    tx_armed: AtomicBool,
    /// Off while the netdev is down: the device stops sending.
    pub(crate) enabled: AtomicBool,
    pub(crate) job: Job,
    pub(crate) c: HwCounters,
    /// The sequence number of the next frame (its UDP source port).
    seq: AtomicU64,
    /// The device thread, woken by a TX doorbell (null until it runs).
    thread: AtomicPtr<bindings::task_struct>,
    /// Frames since the last RX interrupt was due (moderation; only the
    /// device thread touches it).
    since_irq: AtomicU32,
    /// One more than the highest sequence number that came back intact
    /// (0: none yet; only the device thread touches it).
    tx_last_seq: AtomicU64,
}

fn new_ring<T>(size: u32, f: impl Fn() -> T) -> Result<KVec<T>> {
    let mut v = KVec::with_capacity(size as usize, GFP_KERNEL)?;
    for _ in 0..size {
        v.push(f(), GFP_KERNEL)?;
    }
    Ok(v)
}

/// The lap's owner bit of ring position `i` of a ring of `size`.
#[inline(always)]
fn lap(i: u32, size: u32) -> u32 {
    (i / size) & 1
}

impl Hw {
    /// Rings of the given sizes (powers of two, checked by the caller).
    pub(crate) fn new(
        dev: NetDev,
        mac: [u8; 6],
        irq_cpu: u32,
        rq: u32,
        cq: u32,
        sq: u32,
    ) -> Result<Arc<Self>> {
        Ok(Arc::new(
            Self {
                dev,
                mac,
                irq_cpu,
                rx_wq: new_ring(rq, || Wqe {
                    va: AtomicPtr::new(core::ptr::null_mut()),
                    len: AtomicU32::new(0),
                })?,
                rx_cq: new_ring(cq, || Cqe {
                    wqe: AtomicU32::new(0),
                    bytes: AtomicU32::new(0),
                    owner: AtomicU32::new(1),
                })?,
                tx_sq: new_ring(sq, || Sqe {
                    token: AtomicUsize::new(0),
                    data: AtomicPtr::new(core::ptr::null_mut()),
                    len: AtomicU32::new(0),
                })?,
                tx_cq: new_ring(sq, || TxCqe {
                    token: AtomicUsize::new(0),
                    owner: AtomicU32::new(1),
                })?,
                rx_wq_pi: AtomicU32::new(0),
                rx_cq_ci: AtomicU32::new(0),
                tx_sq_pi: AtomicU32::new(0),
                tx_cq_ci: AtomicU32::new(0),
                rx_wq_ci: AtomicU32::new(0),
                rx_cq_pi: AtomicU32::new(0),
                tx_sq_ci: AtomicU32::new(0),
                tx_cq_pi: AtomicU32::new(0),
                rx_armed: AtomicBool::new(false),
                tx_armed: AtomicBool::new(false),
                enabled: AtomicBool::new(false),
                job: Job {
                    pending: AtomicU64::new(0),
                    size: AtomicU32::new(64),
                    kind: AtomicU32::new(0),
                    rate: AtomicU32::new(0),
                    moder: AtomicU32::new(0),
                    flows: AtomicU32::new(1),
                    t_start: AtomicU64::new(0),
                    t_end: AtomicU64::new(0),
                    end_armed: AtomicBool::new(false),
                },
                c: HwCounters::default(),
                seq: AtomicU64::new(0),
                thread: AtomicPtr::new(core::ptr::null_mut()),
                since_irq: AtomicU32::new(0),
                tx_last_seq: AtomicU64::new(0),
            },
            GFP_KERNEL,
        )?)
    }

    /// Wakes the device thread (a doorbell while it sleeps).
    fn wake(&self) {
        let t = self.thread.load(Acquire);
        if !t.is_null() {
            // SAFETY: the device thread sets this to itself while it runs
            // and clears it before it ends; waking a running task is a
            // no-op. Any context.
            unsafe { bindings::wake_up_process(t) };
        }
    }

    fn rq_size(&self) -> u32 {
        // CAST: made from a `u32`.
        self.rx_wq.len() as u32
    }

    fn cq_size(&self) -> u32 {
        // CAST: as above.
        self.rx_cq.len() as u32
    }

    fn sq_size(&self) -> u32 {
        // CAST: as above.
        self.tx_sq.len() as u32
    }

    /// The "interrupt": NAPI scheduled on the interrupt CPU.
    fn interrupt(&self) {
        inc(&self.c.irqs);
        // SAFETY: a live netdev of the shim; process context (the device
        // thread). A CPU gone offline only loses this interrupt.
        unsafe { nb::pkrs_nd_interrupt_on(self.dev.as_ptr(), self.irq_cpu as c_int) };
    }

    /// Writes one frame of the job into `buf` (at most `room` bytes); its
    /// length.
    ///
    /// # Safety
    ///
    /// `buf` is `room` writable bytes nobody else touches.
    unsafe fn write_frame(&self, buf: *mut u8, room: u32) -> u32 {
        let size = self.job.size.load(Relaxed).min(room);
        let kind = self.job.kind.load(Relaxed);
        let seq = self.seq.fetch_add(1, Relaxed);
        let f = self.template(seq, size, kind);
        // SAFETY: `buf` has `room >= size` writable bytes (caller); the
        // template covers the first 64, the rest is left as the page was.
        unsafe { core::ptr::copy_nonoverlapping(f.as_ptr(), buf, size.min(64) as usize) };
        size
    }

    /// The first 64 bytes of frame `seq` of `size` bytes and `kind`, for
    /// the job's flows.
    fn template(&self, seq: u64, size: u32, kind: u32) -> [u8; 64] {
        let flows = u64::from(self.job.flows.load(Relaxed).max(1));
        let mut f = [0u8; 64];
        f[0..6].copy_from_slice(&self.mac);
        f[6..12].copy_from_slice(&PEER_MAC);
        if kind == 0 && size >= 42 {
            // IPv4 (0x0800), UDP from 10.0.3.1 to 10.0.3.2, checksum 0.
            f[12] = 0x08;
            // CAST: an IPv4 total length fits in 16 bits (frames of a page).
            let ip_len = (size - 14) as u16;
            let ip: [u8; 20] = [
                0x45,
                0,
                (ip_len >> 8) as u8,
                ip_len as u8,
                0,
                0,
                0x40,
                0,
                64,
                17,
                0,
                0,
                10,
                0,
                3,
                1,
                10,
                0,
                3,
                2,
            ];
            f[14..34].copy_from_slice(&ip);
            let sum = ip_checksum(&f[14..34]);
            f[24] = (sum >> 8) as u8;
            f[25] = sum as u8;
            // CAST: a port from a small flow count.
            let sport = (1024 + seq % flows) as u16;
            let udp_len = ip_len - 20;
            let udp = [
                (sport >> 8) as u8,
                sport as u8,
                0,
                9,
                (udp_len >> 8) as u8,
                udp_len as u8,
                0,
                0,
            ];
            f[34..42].copy_from_slice(&udp);
            f[42..50].copy_from_slice(&seq.to_be_bytes());
        }
        f
    }

    /// Checks a frame of `len` bytes sent back to the peer with the MACs
    /// swapped, from its first bytes `head` (up to 64): against the
    /// template of the sequence number it carries, and its order. Only the
    /// device thread calls it.
    fn check_back(&self, head: &[u8], len: u32) {
        if head.len() < 50 {
            return inc(&self.c.tx_corrupt);
        }
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&head[42..50]);
        let seq = u64::from_be_bytes(seq);
        let mut want = self.template(seq, len, 0);
        let (dst, src) = want.split_at_mut(6);
        dst.swap_with_slice(&mut src[..6]);
        if head != &want[..head.len()] {
            return inc(&self.c.tx_corrupt);
        }
        inc(&self.c.tx_intact);
        if seq < self.tx_last_seq.load(Relaxed) {
            inc(&self.c.tx_reordered);
        } else {
            self.tx_last_seq.store(seq + 1, Relaxed);
        }
    }

    /// Sends up to `n` frames of the job; how many were sent or dropped.
    fn produce(&self, n: u32) -> u32 {
        let mut done = 0;
        while done < n && self.job.pending.load(Relaxed) > 0 {
            let ci = self.rx_wq_ci.load(Relaxed);
            // Acquire: the WQE's contents are seen with its index.
            let pi = self.rx_wq_pi.load(Acquire);
            let cq_pi = self.rx_cq_pi.load(Relaxed);
            let cq_room = self.cq_size() - cq_pi.wrapping_sub(self.rx_cq_ci.load(Acquire));
            if ci == pi || cq_room == 0 {
                if self.job.rate.load(Relaxed) == 0 {
                    // As fast as the ring takes them: wait for room.
                    break;
                }
                // At a set rate the frame is lost, as on a real NIC.
                self.job.pending.fetch_sub(1, Relaxed);
                inc(if ci == pi {
                    &self.c.rx_out_of_buffer
                } else {
                    &self.c.rx_cq_full
                });
                done += 1;
                continue;
            }
            let w = &self.rx_wq[(ci & (self.rq_size() - 1)) as usize];
            let va = w.va.load(Relaxed);
            let room = w.len.load(Relaxed);
            // SAFETY: a posted WQE, not completed yet: its buffer is the
            // device's to write (type invariants).
            let bytes = unsafe { self.write_frame(va, room) };
            let e = &self.rx_cq[(cq_pi & (self.cq_size() - 1)) as usize];
            e.wqe.store(ci, Relaxed);
            e.bytes.store(bytes, Relaxed);
            // Release: the frame and the CQE's fields before its owner bit.
            e.owner.store(lap(cq_pi, self.cq_size()), Release);
            self.rx_cq_pi.store(cq_pi.wrapping_add(1), Relaxed);
            self.rx_wq_ci.store(ci.wrapping_add(1), Release);
            self.job.pending.fetch_sub(1, Relaxed);
            inc(&self.c.rx_sent);
            done += 1;
        }
        done
    }

    /// Sends what the XDP SQ holds; how many.
    fn transmit(&self) -> u32 {
        let mut n = 0;
        loop {
            let ci = self.tx_sq_ci.load(Relaxed);
            // Acquire: the SQE's contents with its index.
            if ci == self.tx_sq_pi.load(Acquire) {
                break;
            }
            let s = &self.tx_sq[(ci & (self.sq_size() - 1)) as usize];
            let data = s.data.load(Relaxed);
            let len = s.len.load(Relaxed);
            if len >= 12 {
                let mut head = [0u8; 64];
                let n = (len as usize).min(64);
                // SAFETY: the SQE's `len` bytes at `data` stay the
                // driver's and unchanged until the TX CQE is taken.
                unsafe { core::ptr::copy_nonoverlapping(data, head.as_mut_ptr(), n) };
                if head[0..6] == PEER_MAC && head[6..12] == self.mac {
                    inc(&self.c.tx_swapped);
                    self.check_back(&head[..n], len);
                }
            }
            let pi = self.tx_cq_pi.load(Relaxed);
            let e = &self.tx_cq[(pi & (self.sq_size() - 1)) as usize];
            e.token.store(s.token.load(Relaxed), Relaxed);
            // Release: the token before the owner bit.
            e.owner.store(lap(pi, self.sq_size()), Release);
            self.tx_cq_pi.store(pi.wrapping_add(1), Relaxed);
            self.tx_sq_ci.store(ci.wrapping_add(1), Relaxed);
            inc(&self.c.tx_sent);
            n += 1;
        }
        n
    }

    /// One turn of the device: TX, then a batch of RX, then the interrupt
    /// if the driver armed one; whether anything was done.
    fn turn(&self) -> bool {
        let tx = self.transmit();
        let (rx, want) = if self.enabled.load(Relaxed) {
            let want = if self.job.rate.load(Relaxed) > 0 {
                1
            } else {
                64
            };
            (self.produce(want), want)
        } else {
            (0, 0)
        };
        if (rx > 0 && self.rx_irq_due(rx, rx < want) && self.rx_armed.swap(false, AcqRel))
            || (tx > 0 && self.tx_armed.swap(false, AcqRel))
        {
            self.interrupt();
        }
        rx + tx > 0
    }

    /// Whether `rx` more frames make an RX interrupt due (moderation);
    /// `stalled`: the device found a ring without room.
    fn rx_irq_due(&self, rx: u32, stalled: bool) -> bool {
        let moder = self.job.moder.load(Relaxed);
        let since = self.since_irq.load(Relaxed).saturating_add(rx);
        if moder <= 1 || since >= moder || stalled || self.job.pending.load(Relaxed) == 0 {
            self.since_irq.store(0, Relaxed);
            true
        } else {
            self.since_irq.store(since, Relaxed);
            false
        }
    }

    /// The last job's time from `send` to the driver's taking its last
    /// CQE; 0 while it runs (or before any).
    fn job_ns(&self) -> u64 {
        let (t0, t1) = (self.job.t_start.load(Acquire), self.job.t_end.load(Acquire));
        if t1 > t0 && t0 > 0 {
            t1 - t0
        } else {
            0
        }
    }

    /// Starts a job of `count` frames (the `ctl` file's `send`, its other
    /// settings already stored).
    pub(crate) fn start_job(&self, count: u64) {
        let j = &self.job;
        j.end_armed.store(false, Relaxed);
        j.t_end.store(0, Relaxed);
        // SAFETY: a lockless clock read.
        j.t_start
            .store(unsafe { bindings::ktime_get_mono_fast_ns() }, Release);
        j.pending.store(count, Release);
        // Release: the driver sees the job's count before the arm.
        j.end_armed.store(true, Release);
    }

    /// Reads of the device's counters and state, for the `ctl` file.
    pub(crate) fn status(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let c = &self.c;
        writeln!(
            f,
            "pending={} rx_sent={} rx_out_of_buffer={} rx_cq_full={} tx_sent={} tx_swapped={} \
             tx_intact={} tx_corrupt={} tx_reordered={} irqs={} job_ns={}",
            self.job.pending.load(Relaxed),
            c.rx_sent.load(Relaxed),
            c.rx_out_of_buffer.load(Relaxed),
            c.rx_cq_full.load(Relaxed),
            c.tx_sent.load(Relaxed),
            c.tx_swapped.load(Relaxed),
            c.tx_intact.load(Relaxed),
            c.tx_corrupt.load(Relaxed),
            c.tx_reordered.load(Relaxed),
            c.irqs.load(Relaxed),
            self.job_ns(),
        )
    }
}

fn inc(c: &AtomicU64) {
    c.fetch_add(1, Relaxed);
}

fn ip_checksum(h: &[u8]) -> u16 {
    let mut sum = 0u32;
    for w in h.chunks(2) {
        sum += u32::from(w[0]) << 8 | u32::from(w.get(1).copied().unwrap_or(0));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    // CAST: folded to 16 bits above.
    !(sum as u16)
}

/// The device thread: turns until stopped, sleeping a tick when idle and
/// pacing itself at the job's rate.
///
/// # Safety
///
/// `p` is an `Arc<Hw>` made with `Arc::into_raw`, whose reference the
/// thread owns (dropped when it ends).
pub(crate) unsafe extern "C" fn device_thread(p: *mut c_void) -> c_int {
    // SAFETY: by the function's safety requirements.
    let hw = unsafe { Arc::from_raw(p.cast_const().cast::<Hw>()) };
    hw.thread.store(kernel::task::Task::current_raw(), Release);
    let mut next = 0u64;
    // SAFETY: called from a kthread.
    while !unsafe { bindings::kthread_should_stop() } {
        let rate = u64::from(hw.job.rate.load(Relaxed));
        if rate > 0 && hw.job.pending.load(Relaxed) > 0 {
            // SAFETY: a lockless clock read.
            let now = unsafe { bindings::ktime_get_mono_fast_ns() };
            if now < next {
                // Give the CPU to any other runnable thread (the other
                // NICs' device threads share it): a plain spin keeps a
                // woken thread waiting for the next tick under lazy
                // preemption, where `cond_resched()` does nothing. A sleep
                // cannot hold the pace: without high-resolution timers it
                // lasts a tick.
                // The pause stays too: it is what lets the other vCPU run
                // when TCG turns the vCPUs on one thread.
                kernel::processor::cpu_relax();
                // SAFETY: process context, no lock held.
                unsafe { bindings::yield_() };
                continue;
            }
            next = now.max(next) + 1_000_000_000 / rate;
        }
        if hw.turn() {
            // SAFETY: process context; lets others run on this CPU.
            unsafe { crate::shim_bindings::pkrs_cond_resched() };
            continue;
        }
        if hw.job.pending.load(Relaxed) > 0 && hw.enabled.load(Relaxed) {
            // Waiting for the driver to post buffers or take CQEs.
            kernel::processor::cpu_relax();
            // SAFETY: as above.
            unsafe { crate::shim_bindings::pkrs_cond_resched() };
        } else {
            // SAFETY: process context; `kthread_stop` wakes it early.
            unsafe { bindings::schedule_timeout_interruptible(1) };
        }
    }
    hw.thread.store(core::ptr::null_mut(), Release);
    // A waker that saw the pointer still runs `wake_up_process()` on a
    // task that `kthread_stop()` keeps alive until we are gone.
    drop(hw);
    0
}

/// The RX ring as the driver sees it: WQEs posted, CQEs taken.
pub(crate) struct CqRx {
    hw: Arc<Hw>,
    /// WQEs posted (published at the doorbell) and CQEs taken.
    wq_pi: u32,
    cq_ci: u32,
    /// The slot of each WQE position.
    slots: KVec<u32>,
}

impl CqRx {
    pub(crate) fn new(hw: Arc<Hw>) -> Result<Self> {
        let slots = new_ring(hw.rq_size(), || 0u32)?;
        Ok(Self {
            hw,
            wq_pi: 0,
            cq_ci: 0,
            slots,
        })
    }
}

impl RxRing for CqRx {
    fn hdr_len(&self) -> u32 {
        0
    }

    fn size(&self) -> u32 {
        self.hw.rq_size()
    }

    #[inline]
    fn post(&mut self, slot: u32, buf: &RxBuf) -> Result {
        let size = self.hw.rq_size();
        // The device's consumer: a WQE may be reused once its CQE is taken
        // (CQEs complete WQEs in order, one each).
        if self.wq_pi.wrapping_sub(self.cq_ci) >= size {
            return Err(ENOSPC);
        }
        let i = (self.wq_pi & (size - 1)) as usize;
        let w = &self.hw.rx_wq[i];
        w.va.store(buf.va, Relaxed);
        w.len.store(buf.len, Relaxed);
        self.slots[i] = slot;
        self.wq_pi = self.wq_pi.wrapping_add(1);
        Ok(())
    }

    fn doorbell(&mut self) {
        // Release: the WQEs before their index (the doorbell record).
        self.hw.rx_wq_pi.store(self.wq_pi, Release);
    }

    #[inline]
    fn complete(&mut self) -> Option<(u32, u32)> {
        let size = self.hw.cq_size();
        let e = &self.hw.rx_cq[(self.cq_ci & (size - 1)) as usize];
        // Acquire: pairs with the device's release of the owner bit.
        if e.owner.load(Acquire) != lap(self.cq_ci, size) {
            return None;
        }
        let wqe = e.wqe.load(Relaxed);
        let bytes = e.bytes.load(Relaxed);
        self.cq_ci = self.cq_ci.wrapping_add(1);
        // Release: our reads of the CQE before the device reuses it.
        self.hw.rx_cq_ci.store(self.cq_ci, Release);
        Some((self.slots[(wqe & (self.hw.rq_size() - 1)) as usize], bytes))
    }

    fn rearm(&mut self) -> bool {
        let j = &self.hw.job;
        // The job's end: all sent, every CQE taken (once per job).
        if j.end_armed.load(Acquire)
            && j.pending.load(Relaxed) == 0
            && self.hw.rx_cq_pi.load(Acquire) == self.cq_ci
            && j.end_armed.swap(false, AcqRel)
        {
            // SAFETY: a lockless clock read.
            j.t_end
                .store(unsafe { bindings::ktime_get_mono_fast_ns() }, Release);
        }
        self.hw.rx_armed.store(true, Release);
        let size = self.hw.cq_size();
        let e = &self.hw.rx_cq[(self.cq_ci & (size - 1)) as usize];
        // A CQE that came before the arm: take the arm back and poll on.
        e.owner.load(Acquire) == lap(self.cq_ci, size) && self.hw.rx_armed.swap(false, AcqRel)
    }

    fn set_up(&mut self, up: bool) {
        self.hw.enabled.store(up, Relaxed);
    }

    fn reclaim(&mut self) -> Option<u32> {
        // After the device stopped: the WQEs posted and not completed.
        if self.cq_ci == self.wq_pi {
            return None;
        }
        let i = (self.cq_ci & (self.hw.rq_size() - 1)) as usize;
        self.cq_ci = self.cq_ci.wrapping_add(1);
        Some(self.slots[i])
    }
}

/// The XDP SQ as the driver sees it.
pub(crate) struct CqTx {
    hw: Arc<Hw>,
    sq_pi: u32,
    cq_ci: u32,
}

impl CqTx {
    pub(crate) fn new(hw: Arc<Hw>) -> Self {
        Self {
            hw,
            sq_pi: 0,
            cq_ci: 0,
        }
    }
}

impl TxRing for CqTx {
    fn free(&self) -> u32 {
        self.hw.sq_size() - self.sq_pi.wrapping_sub(self.cq_ci)
    }

    #[inline]
    fn post(&mut self, token: TxToken, data: *mut u8, len: u32) -> Result {
        if self.free() == 0 {
            return Err(ENOSPC);
        }
        let s = &self.hw.tx_sq[(self.sq_pi & (self.hw.sq_size() - 1)) as usize];
        s.token.store(token.as_usize(), Relaxed);
        s.data.store(data, Relaxed);
        s.len.store(len, Relaxed);
        self.sq_pi = self.sq_pi.wrapping_add(1);
        Ok(())
    }

    fn doorbell(&mut self) {
        // Release: the SQEs before their index.
        self.hw.tx_sq_pi.store(self.sq_pi, Release);
        self.hw.wake();
    }

    #[inline]
    fn complete(&mut self) -> Option<TxToken> {
        let size = self.hw.sq_size();
        let e = &self.hw.tx_cq[(self.cq_ci & (size - 1)) as usize];
        // Acquire: pairs with the device's release of the owner bit.
        if e.owner.load(Acquire) != lap(self.cq_ci, size) {
            return None;
        }
        let t = e.token.load(Relaxed);
        self.cq_ci = self.cq_ci.wrapping_add(1);
        self.hw.tx_cq_ci.store(self.cq_ci, Release);
        Some(TxToken::from_usize(t))
    }

    fn rearm(&mut self) -> bool {
        self.hw.tx_armed.store(true, Release);
        let size = self.hw.sq_size();
        let e = &self.hw.tx_cq[(self.cq_ci & (size - 1)) as usize];
        e.owner.load(Acquire) == lap(self.cq_ci, size)
    }

    fn reclaim(&mut self) -> Option<TxToken> {
        if self.cq_ci == self.sq_pi {
            return None;
        }
        let s = &self.hw.tx_sq[(self.cq_ci & (self.hw.sq_size() - 1)) as usize];
        self.cq_ci = self.cq_ci.wrapping_add(1);
        Some(TxToken::from_usize(s.token.load(Relaxed)))
    }
}
