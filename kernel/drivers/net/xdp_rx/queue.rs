// SPDX-License-Identifier: GPL-2.0

//! One queue pair: its RX side (ring, slots, pool), its TX side, the XDP
//! program, the counters, and the netdev callbacks ([`NetOps`]).

use super::netdev::{NetDev, NetOps};
use super::rings::{RxBuf, RxRing, TxKind, TxRing, TxToken};
use super::stats::{add, inc, Counters};
use crate::net_bindings as nb;
use crate::page_pool::{MemModel, PagePool, PoolPage, Stats as PoolStats};
use core::cell::UnsafeCell;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use core::sync::atomic::{AtomicBool, AtomicPtr};
use kernel::bindings;
use kernel::prelude::*;

/// Room the program may use in front of the frame (the device header sits
/// at its end on RX).
pub(crate) const HEADROOM: u32 = nb::XDP_PACKET_HEADROOM;
const ETH_HLEN: u32 = 14;
const VLAN_HLEN: u32 = 4;
/// XDP_TX frames queued at most before the batch is posted.
const TX_BATCH: usize = 64;
/// When a poll could post no RX buffer at all, the next try is this much
/// later.
const REFILL_RETRY_MS: u32 = 10;
/// How long `ndo_stop` waits for the device to complete the skbs and
/// redirected frames it was given, at most.
const STOP_DRAIN_MS: u32 = 100;

/// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`: the tail of each page
/// that an skb built around it needs (from the C side: the alignment is
/// the architecture's `SMP_CACHE_BYTES`).
fn shinfo_room() -> u32 {
    // SAFETY: a pure function of the shim.
    unsafe { nb::pkrs_skb_shinfo_room() }
}

/// The largest frame one page holds: headroom and device header in front,
/// `skb_shared_info` behind.
pub(crate) fn max_frame(hdr_len: u32) -> u32 {
    // CAST: PAGE_SIZE fits in `u32`.
    bindings::PAGE_SIZE as u32 - HEADROOM - hdr_len - shinfo_room()
}

/// The largest MTU for which a frame with one VLAN tag fits one page.
pub(crate) fn max_mtu(hdr_len: u32) -> u32 {
    max_frame(hdr_len) - ETH_HLEN - VLAN_HLEN
}

/// How the queue treats frames.
pub(crate) struct Config {
    /// Frames up to this length handed to the stack are copied into a new
    /// skb, and their page recycled (0: never).
    pub(crate) copybreak: u32,
    /// Whether the pool maps its pages for the device (then they are synced
    /// for the CPU before anything reads them).
    pub(crate) mapped: bool,
    /// The floor: each completed buffer is counted and posted again as it
    /// is, with no pool, no program and no stack (what a frame costs the
    /// device and the ring alone).
    pub(crate) floor: bool,
}

/// A posted RX buffer: the pool's page and its address.
struct RxSlot<Pg> {
    page: Option<Pg>,
    va: *mut u8,
}

/// An XDP_TX frame of this poll, to be posted with the batch.
struct TxFrame<Pg> {
    page: Pg,
    /// Its data (device header first) and length.
    data: *mut u8,
    len: u32,
}

/// The RX side: the NAPI poll's (see the module documentation).
struct Rx<R, P: PagePool> {
    ring: R,
    pool: P,
    slots: KVec<RxSlot<P::Page>>,
    /// Slots with no buffer posted.
    free: KVec<u32>,
    xdp_tx: KVec<TxFrame<P::Page>>,
    /// Whether the pool maps pages (then they are synced for the CPU).
    mapped: bool,
}

/// The TX side: the TX queue lock holder's.
struct Tx<T, Pg> {
    ring: T,
    /// XDP_TX pages in flight, by TX slot.
    pages: KVec<Option<Pg>>,
    free: KVec<u32>,
    /// XDP_TX pages sent, for the next poll to recycle.
    done: KVec<Pg>,
    /// Buffers were posted since the last doorbell.
    unrung: bool,
    /// skbs and redirected frames in the ring: what someone else waits
    /// for (a socket, conntrack, another device's pool), reaped on a TX
    /// completion interrupt while there are any. XDP_TX pages are ours
    /// and wait for the next poll.
    waited: u32,
    /// The completion interrupt was armed since the last poll.
    armed: bool,
}

/// One queue pair of a netdev.
///
/// # Invariants
///
/// `rx` is only used by the NAPI poll, or in process context while NAPI is
/// disabled; `tx` only with the netdev's TX queue lock held (or with the
/// device quiesced at teardown). `prog` is null or a program whose
/// reference this queue holds.
pub(crate) struct Queue<R: RxRing, T: TxRing, P: PagePool> {
    dev: NetDev,
    rx: UnsafeCell<Rx<R, P>>,
    tx: UnsafeCell<Tx<T, P::Page>>,
    prog: AtomicPtr<bindings::bpf_prog>,
    /// Between `ndo_open` and `ndo_stop`: `ndo_xdp_xmit` sends only then
    /// (read and written under the TX lock).
    up: AtomicBool,
    hdr_len: u32,
    /// [`max_frame`] of `hdr_len`.
    max_frame: u32,
    cfg: Config,
    c: Counters,
    /// Reads the pool's counters without a reference to the pool, which
    /// the NAPI poll may hold as `&mut` meanwhile.
    pool_stats: P::StatsHandle,
}

// SAFETY: the cells are used as the type invariants say, which serialises
// every access to them; what `&Queue` reaches outside them is atomics,
// values set at creation, and the pool's stats handle, which is `Sync`.
unsafe impl<R: RxRing, T: TxRing, P: PagePool> Sync for Queue<R, T, P> {}
// SAFETY: everything in it may be used from any thread (the rings and the
// pool are `Send`, the stats handle `Send + Sync`).
unsafe impl<R: RxRing, T: TxRing, P: PagePool> Send for Queue<R, T, P> {}

impl<R: RxRing, T: TxRing, P: PagePool> Queue<R, T, P> {
    /// A queue for `dev` on rings `rx` and `tx`, with pages from `pool`.
    pub(crate) fn new(dev: NetDev, rx: R, tx: T, pool: P, cfg: Config) -> Result<KBox<Self>> {
        let hdr_len = rx.hdr_len();
        let rx_size = rx.size();
        let mut slots = KVec::with_capacity(rx_size as usize, GFP_KERNEL)?;
        let mut free = KVec::with_capacity(rx_size as usize, GFP_KERNEL)?;
        for i in 0..rx_size {
            slots.push(
                RxSlot {
                    page: None,
                    va: core::ptr::null_mut(),
                },
                GFP_KERNEL,
            )?;
            free.push(rx_size - 1 - i, GFP_KERNEL)?;
        }
        let tx_size = tx.free();
        let mut pages = KVec::with_capacity(tx_size as usize, GFP_KERNEL)?;
        let mut tx_free = KVec::with_capacity(tx_size as usize, GFP_KERNEL)?;
        for i in 0..tx_size {
            pages.push(None, GFP_KERNEL)?;
            tx_free.push(tx_size - 1 - i, GFP_KERNEL)?;
        }
        let mapped = cfg.mapped;
        // SAFETY: the handle is used only while the queue, which owns the
        // pool, lives (see `PagePool::stats_handle`).
        let pool_stats = unsafe { pool.stats_handle() };
        let q = KBox::new(
            Self {
                dev,
                rx: UnsafeCell::new(Rx {
                    ring: rx,
                    pool,
                    slots,
                    free,
                    xdp_tx: KVec::with_capacity(TX_BATCH, GFP_KERNEL)?,
                    mapped,
                }),
                tx: UnsafeCell::new(Tx {
                    ring: tx,
                    pages,
                    free: tx_free,
                    done: KVec::with_capacity(tx_size as usize, GFP_KERNEL)?,
                    unrung: false,
                    waited: 0,
                    armed: false,
                }),
                prog: AtomicPtr::new(core::ptr::null_mut()),
                up: AtomicBool::new(false),
                hdr_len,
                max_frame: max_frame(hdr_len),
                cfg,
                c: Counters::default(),
                pool_stats,
            },
            GFP_KERNEL,
        )?;
        Ok(q)
    }

    /// The RX side.
    ///
    /// # Safety
    ///
    /// The caller is the NAPI poll, or process context with NAPI disabled
    /// (type invariants), and holds no other reference to the RX side.
    #[allow(clippy::mut_from_ref)]
    unsafe fn rx(&self) -> &mut Rx<R, P> {
        // SAFETY: by the function's safety requirements.
        unsafe { &mut *self.rx.get() }
    }

    /// The TX side.
    ///
    /// # Safety
    ///
    /// The caller holds the TX queue lock (or the device is quiesced), and
    /// no other reference to the TX side.
    #[allow(clippy::mut_from_ref)]
    unsafe fn tx(&self) -> &mut Tx<T, P::Page> {
        // SAFETY: by the function's safety requirements.
        unsafe { &mut *self.tx.get() }
    }

    fn pool_stats(&self) -> PoolStats {
        P::read_stats(&self.pool_stats)
    }

    /// Posts pages into every free RX slot the pool gives one for; one
    /// doorbell. RX side (see [`Queue::rx`]).
    fn refill(&self, rx: &mut Rx<R, P>) {
        let buf_len = self.hdr_len + self.max_frame;
        let mut posted = 0u64;
        while let Some(slot) = rx.free.pop() {
            let page = match rx.pool.alloc() {
                Ok(p) => p,
                Err(_) => {
                    inc(&self.c.rx_alloc_fail);
                    rx.free.push_within_capacity(slot).ok();
                    break;
                }
            };
            // SAFETY: an order-0 page we hold (through `page`).
            let va = unsafe { nb::pkrs_page_address(page.as_raw()) }.cast::<u8>();
            let buf = RxBuf {
                // SAFETY: `HEADROOM` is within the page.
                va: unsafe { va.add(HEADROOM as usize) },
                dma: page.dma_addr().map(|d| d + u64::from(HEADROOM)),
                len: buf_len,
            };
            if rx.ring.post(slot, &buf).is_err() {
                rx.pool.recycle_direct(page);
                rx.free.push_within_capacity(slot).ok();
                break;
            }
            let s = &mut rx.slots[slot as usize];
            s.page = Some(page);
            s.va = va;
            posted += 1;
        }
        if posted > 0 {
            rx.ring.doorbell();
            inc(&self.c.rx_doorbells);
        }
    }

    /// Rings the TX doorbell for what was posted since the last one. TX
    /// lock held.
    fn tx_doorbell(&self, tx: &mut Tx<T, P::Page>) {
        if tx.unrung {
            tx.ring.doorbell();
            tx.unrung = false;
            inc(&self.c.tx_doorbells);
        }
    }

    /// Takes back what the TX ring sent. TX lock held; `napi_budget` is
    /// the poll's budget (0 outside NAPI).
    fn reclaim_tx(&self, tx: &mut Tx<T, P::Page>, napi_budget: i32) {
        let mut n = 0u64;
        while let Some(tok) = tx.ring.complete() {
            n += 1;
            match tok.kind() {
                TxKind::Skb(skb) => {
                    tx.waited = tx.waited.saturating_sub(1);
                    // SAFETY: an skb we posted, sent: ours to free.
                    unsafe { nb::napi_consume_skb(skb, napi_budget) }
                }
                TxKind::Frame(f) => {
                    tx.waited = tx.waited.saturating_sub(1);
                    // SAFETY: a frame `ndo_xdp_xmit` gave us, sent: returned
                    // to its memory model (not the NAPI-direct way: it is
                    // not ours).
                    unsafe { nb::xdp_return_frame(f) }
                }
                TxKind::Page(slot) => {
                    if let Some(p) = tx.pages.get_mut(slot as usize).and_then(Option::take) {
                        tx.free.push_within_capacity(slot).ok();
                        if let Err(p) = tx.done.push_within_capacity(p) {
                            drop(p);
                        }
                    }
                }
            }
        }
        add(&self.c.tx_completions, n);
        if n > 0 && self.dev.tx_stopped() && tx.ring.free() > 0 {
            self.dev.tx_wake();
        }
    }

    /// Arms the TX completion interrupt while skbs or redirected frames
    /// wait in the ring, so that they are reaped soon after they are sent
    /// and not only when the next frame arrives or leaves. TX lock held.
    fn arm_tx_irq(&self, tx: &mut Tx<T, P::Page>) {
        if tx.waited > 0 && !tx.armed {
            tx.armed = true;
            if tx.ring.rearm() {
                // Completions are there already: a poll takes them.
                self.dev.napi_schedule();
            }
        }
    }

    /// TX completions only: the poll of a budget of 0 (netpoll, with
    /// interrupts off), which must not run XDP or touch the page pool.
    /// XDP_TX pages stay in `done` for the next real poll.
    fn reap_tx_only(&self) {
        let _lock = self.dev.tx_lock();
        // SAFETY: TX lock held.
        let tx = unsafe { self.tx() };
        inc(&self.c.tx_polls_budget0);
        tx.armed = false;
        self.reclaim_tx(tx, 0);
        self.arm_tx_irq(tx);
    }

    /// Poll step 1: TX completions; XDP_TX pages back into the pool.
    fn poll_tx(&self, rx: &mut Rx<R, P>, budget: i32) {
        let _lock = self.dev.tx_lock();
        // SAFETY: TX lock held.
        let tx = unsafe { self.tx() };
        // An interrupt that was armed has fired, or will find this poll
        // done: decide again.
        tx.armed = false;
        self.reclaim_tx(tx, budget);
        while let Some(p) = tx.done.pop() {
            rx.pool.recycle_direct(p);
        }
        self.arm_tx_irq(tx);
    }

    /// Poll step 4: this poll's XDP_TX frames, in the order they came,
    /// under one TX lock and one doorbell; what does not fit is dropped,
    /// traced (`xdp_exception`) and recycled.
    fn flush_xdp_tx(&self, rx: &mut Rx<R, P>, prog: *mut bindings::bpf_prog) {
        let _lock = self.dev.tx_lock();
        // SAFETY: TX lock held.
        let tx = unsafe { self.tx() };
        // CAST: at most `TX_BATCH` frames.
        if (tx.ring.free() as usize) < rx.xdp_tx.len() {
            // What the device sent since the poll began makes room.
            self.reclaim_tx(tx, TX_BATCH as i32);
            while let Some(p) = tx.done.pop() {
                rx.pool.recycle_direct(p);
            }
        }
        let (mut sent, mut bytes) = (0u64, 0u64);
        for f in rx.xdp_tx.drain_all() {
            if tx.ring.free() > 0 {
                if let Some(slot) = tx.free.pop() {
                    if tx.ring.post(TxToken::page(slot), f.data, f.len).is_ok() {
                        tx.pages[slot as usize] = Some(f.page);
                        tx.unrung = true;
                        sent += 1;
                        bytes += u64::from(f.len.saturating_sub(self.hdr_len));
                        continue;
                    }
                    tx.free.push_within_capacity(slot).ok();
                }
            }
            inc(&self.c.rx_xdp_tx_full);
            // SAFETY: a live netdev and the program that chose XDP_TX.
            unsafe { nb::pkrs_xdp_exception(self.dev.as_ptr(), prog, nb::xdp_action_XDP_TX) };
            rx.pool.recycle_direct(f.page);
        }
        add(&self.c.tx_xdp_tx, sent);
        add(&self.c.tx_xdp_tx_bytes, bytes);
        self.tx_doorbell(tx);
    }

    /// Hands a frame to GRO: copied below `copybreak` (the page recycled),
    /// else an skb built around the page. `xdp` describes the frame.
    fn pass(&self, rx: &mut Rx<R, P>, page: P::Page, xdp: &mut nb::xdp_buff) {
        inc(&self.c.rx_pass);
        // CAST: pointers into one page.
        let len = (xdp.data_end as usize - xdp.data as usize) as u32;
        let skb = if len <= self.cfg.copybreak && xdp.data_meta == xdp.data {
            // SAFETY: `len` bytes at `xdp.data` are the frame, in a page we
            // hold.
            let skb = unsafe { nb::pkrs_skb_copy_rx(self.dev.as_ptr(), xdp.data, len) };
            rx.pool.recycle_direct(page);
            inc(&self.c.rx_copybreak);
            skb
        } else {
            let raw = rx.pool.release_to_stack(page);
            // SAFETY: `xdp` describes a frame in the page whose reference we
            // now own; on success the skb owns it.
            let skb = unsafe { nb::xdp_build_skb_from_buff(xdp) };
            if skb.is_null() {
                rx.pool.drop_released(raw);
            }
            skb
        };
        if skb.is_null() {
            inc(&self.c.rx_skb_alloc_fail);
            return;
        }
        // SAFETY: a new skb of ours, handed over; NAPI context.
        unsafe { nb::pkrs_nd_gro_receive(self.dev.as_ptr(), skb) };
    }

    /// One completed RX buffer. Poll step 3.
    #[inline]
    fn receive(
        &self,
        rx: &mut Rx<R, P>,
        prog: *mut bindings::bpf_prog,
        slot: u32,
        len: u32,
        redirected: &mut bool,
    ) {
        let Some(s) = rx.slots.get_mut(slot as usize) else {
            return;
        };
        let Some(page) = s.page.take() else {
            return;
        };
        let va = s.va;
        rx.free.push_within_capacity(slot).ok();
        if len < self.hdr_len + ETH_HLEN {
            inc(&self.c.rx_runt);
            return rx.pool.recycle_direct(page);
        }
        let frame_len = len - self.hdr_len;
        if frame_len > self.dev.mtu() + ETH_HLEN + VLAN_HLEN || frame_len > self.max_frame {
            inc(&self.c.rx_oversize);
            return rx.pool.recycle_direct(page);
        }
        if rx.mapped {
            rx.pool.sync_for_cpu(&page, HEADROOM, len);
        }
        inc(&self.c.rx_packets);
        add(&self.c.rx_bytes, frame_len.into());
        let mut xdp = nb::xdp_buff::default();
        // SAFETY: `va` is the page's address; the frame starts after the
        // headroom and the device header, within the page; the rxq lives
        // in the netdev.
        unsafe {
            nb::pkrs_xdp_prepare(
                &mut xdp,
                self.dev.rxq(),
                va.cast(),
                // CAST: PAGE_SIZE fits in `u32`.
                bindings::PAGE_SIZE as u32,
                HEADROOM + self.hdr_len,
                frame_len,
            )
        };
        if prog.is_null() {
            return self.pass(rx, page, &mut xdp);
        }
        // SAFETY: `prog` is a live XDP program (we hold a reference, and it
        // is freed only after an RCU grace period, which this softirq
        // holds off); `xdp` describes a frame it may read and write.
        let act = unsafe { nb::pkrs_xdp_run(prog, &mut xdp) };
        match act {
            nb::xdp_action_XDP_DROP => {
                inc(&self.c.rx_xdp_drop);
                rx.pool.recycle_direct(page);
            }
            nb::xdp_action_XDP_PASS => {
                inc(&self.c.rx_xdp_pass);
                self.pass(rx, page, &mut xdp);
            }
            nb::xdp_action_XDP_TX => {
                inc(&self.c.rx_xdp_tx);
                let hdr = self.hdr_len as usize;
                // SAFETY: the program keeps `data` at least
                // `sizeof(struct xdp_frame)` past the page start, more than
                // the device header, which is zeroed in front of it.
                let data = unsafe {
                    let d = xdp.data.cast::<u8>().sub(hdr);
                    core::ptr::write_bytes(d, 0, hdr);
                    d
                };
                // CAST: pointers into one page.
                let len = (xdp.data_end as usize - data as usize) as u32;
                if rx.xdp_tx.len() == rx.xdp_tx.capacity() {
                    self.flush_xdp_tx(rx, prog);
                }
                if let Err(f) = rx.xdp_tx.push_within_capacity(TxFrame { page, data, len }) {
                    inc(&self.c.rx_xdp_tx_full);
                    // SAFETY: as for a full ring (`flush_xdp_tx`).
                    unsafe {
                        nb::pkrs_xdp_exception(self.dev.as_ptr(), prog, nb::xdp_action_XDP_TX)
                    };
                    rx.pool.recycle_direct(f.0.page);
                }
            }
            nb::xdp_action_XDP_REDIRECT => {
                let raw = rx.pool.release_to_stack(page);
                // SAFETY: `xdp` describes the frame in the page whose
                // reference we now own and hand over on success; `prog` is
                // the program that chose the target.
                let err = unsafe { nb::xdp_do_redirect(self.dev.as_ptr(), &mut xdp, prog) };
                if err == 0 {
                    inc(&self.c.rx_xdp_redirect);
                    *redirected = true;
                } else {
                    inc(&self.c.rx_xdp_redirect_err);
                    rx.pool.drop_released(raw);
                }
            }
            nb::xdp_action_XDP_ABORTED => {
                inc(&self.c.rx_xdp_aborted);
                // SAFETY: a live netdev and program.
                unsafe { nb::pkrs_xdp_exception(self.dev.as_ptr(), prog, act) };
                rx.pool.recycle_direct(page);
            }
            _ => {
                inc(&self.c.rx_xdp_invalid);
                // SAFETY: as above; warns once.
                unsafe {
                    nb::bpf_warn_invalid_xdp_action(self.dev.as_ptr(), prog, act);
                    nb::pkrs_xdp_exception(self.dev.as_ptr(), prog, act);
                }
                rx.pool.recycle_direct(page);
            }
        }
    }

    /// One NAPI poll (see the module documentation of [`super`]).
    fn poll_inner(&self, budget: i32) -> i32 {
        if budget == 0 {
            // netpoll: TX completions only, the RX side untouched.
            self.reap_tx_only();
            return 0;
        }
        // SAFETY: this is the NAPI poll (type invariants).
        let rx = unsafe { self.rx() };
        inc(&self.c.rx_polls);
        self.poll_tx(rx, budget);
        let prog = self.prog.load(Acquire);
        let mut done = 0;
        if self.cfg.floor {
            return self.poll_floor(rx, budget);
        }
        loop {
            let mut redirected = false;
            while done < budget {
                let Some((slot, len)) = rx.ring.complete() else {
                    break;
                };
                done += 1;
                self.receive(rx, prog, slot, len, &mut redirected);
            }
            if !rx.xdp_tx.is_empty() {
                self.flush_xdp_tx(rx, prog);
            }
            if redirected {
                // SAFETY: NAPI context, after `xdp_do_redirect()` calls.
                unsafe { nb::xdp_do_flush() };
            }
            self.refill(rx);
            // CAST: slot counts fit in `usize`.
            if rx.free.len() == rx.slots.len() {
                // Nothing posted, so nothing can arrive to poll us again:
                // try again a little later.
                inc(&self.c.rx_no_buffer);
                if done < budget && self.dev.napi_complete(done) {
                    self.dev.napi_schedule_later(REFILL_RETRY_MS);
                }
                return done;
            }
            if !self.finish(rx, done, budget) {
                return done;
            }
        }
    }

    /// The end of a poll that took `done` of `budget` completions: true
    /// when completions came while interrupts went back on, which this
    /// poll takes too. The ring is re-armed before `napi_complete_done()`,
    /// as `virtqueue_napi_complete()` does, while this poll still owns it:
    /// once NAPI is released, another poll (scheduled by the TX interrupt,
    /// on another CPU) may use the ring at once.
    fn finish(&self, rx: &mut Rx<R, P>, done: i32, budget: i32) -> bool {
        if done >= budget {
            // NAPI polls again, interrupts still off.
            return false;
        }
        if rx.ring.rearm() {
            // Interrupts are off again.
            return true;
        }
        // A completion from now on interrupts; its napi_schedule() while we
        // still own NAPI makes this return false and NAPI poll again.
        self.dev.napi_complete(done);
        false
    }

    /// The poll of the floor mode (see [`Config::floor`]).
    #[cold]
    fn poll_floor(&self, rx: &mut Rx<R, P>, budget: i32) -> i32 {
        let mut done = 0;
        while self.floor_round(rx, &mut done, budget) {}
        done
    }

    /// One round of the floor's poll: true when the poll goes on (see
    /// [`Self::finish`]).
    fn floor_round(&self, rx: &mut Rx<R, P>, done: &mut i32, budget: i32) -> bool {
        let buf_len = self.hdr_len + self.max_frame;
        while *done < budget {
            let Some((slot, len)) = rx.ring.complete() else {
                break;
            };
            *done += 1;
            inc(&self.c.rx_packets);
            add(&self.c.rx_bytes, len.saturating_sub(self.hdr_len).into());
            let Some(s) = rx.slots.get(slot as usize) else {
                continue;
            };
            let Some(page) = s.page.as_ref() else {
                continue;
            };
            let buf = RxBuf {
                // SAFETY: `HEADROOM` is within the page.
                va: unsafe { s.va.add(HEADROOM as usize) },
                dma: page.dma_addr().map(|d| d + u64::from(HEADROOM)),
                len: buf_len,
            };
            if rx.ring.post(slot, &buf).is_err() {
                // The slot keeps its page; the next refill posts it.
                if let Some(s) = rx.slots.get_mut(slot as usize) {
                    drop(s.page.take());
                }
                rx.free.push_within_capacity(slot).ok();
            }
        }
        rx.ring.doorbell();
        inc(&self.c.rx_doorbells);
        self.refill(rx);
        self.finish(rx, *done, budget)
    }

    /// Takes back every buffer from both rings after the device was reset
    /// (process context, NAPI disabled, the netdev unregistered).
    pub(crate) fn teardown(&self) {
        // SAFETY: NAPI is disabled and the device quiesced: nothing else
        // uses either side.
        let (rx, tx) = unsafe { (self.rx(), self.tx()) };
        while let Some(slot) = rx.ring.reclaim() {
            if let Some(s) = rx.slots.get_mut(slot as usize) {
                drop(s.page.take());
            }
        }
        for p in rx.xdp_tx.drain_all() {
            drop(p.page);
        }
        self.reclaim_tx(tx, 0);
        while let Some(tok) = tx.ring.reclaim() {
            match tok.kind() {
                // SAFETY: an skb we posted and the device will not send.
                TxKind::Skb(skb) => unsafe { nb::pkrs_skb_free_any(skb) },
                // SAFETY: a frame given to us that will not be sent.
                TxKind::Frame(f) => unsafe { nb::xdp_return_frame(f) },
                TxKind::Page(slot) => {
                    if let Some(p) = tx.pages.get_mut(slot as usize).and_then(Option::take) {
                        drop(p);
                    }
                }
            }
        }
        while let Some(p) = tx.done.pop() {
            drop(p);
        }
        let old = self.prog.swap(core::ptr::null_mut(), AcqRel);
        if !old.is_null() {
            // SAFETY: the reference this queue held (type invariants).
            unsafe { bindings::bpf_prog_put(old) };
        }
    }
}

/// The netdev's counters in `ethtool -S`, after the queue's: the RX
/// watchdog's polls that found frames (interrupts it made up for).
const ND_NAMES: [&str; 1] = ["rx_watchdog"];

/// The pool's counters in `ethtool -S`, after the netdev's.
const POOL_NAMES: [&str; 11] = [
    "pp_alloc_fast",
    "pp_alloc_slow",
    "pp_alloc_empty",
    "pp_alloc_refill",
    "pp_alloc_waive",
    "pp_recycle_cached",
    "pp_recycle_cache_full",
    "pp_recycle_ring",
    "pp_recycle_ring_full",
    "pp_recycle_released_refcnt",
    "pp_inflight",
];

impl<R: RxRing, T: TxRing, P: PagePool> NetOps for Queue<R, T, P> {
    fn open(&self) -> Result {
        let (mem_type, allocator) = {
            // SAFETY: NAPI is disabled (the netdev is down): process
            // context owns the RX side.
            let rx = unsafe { self.rx() };
            match rx.pool.mem_model() {
                MemModel::PageOrder0 => {
                    (nb::xdp_mem_type_MEM_TYPE_PAGE_ORDER0, core::ptr::null_mut())
                }
                MemModel::PagePool(p) => (nb::xdp_mem_type_MEM_TYPE_PAGE_POOL, p),
            }
        };
        // SAFETY: a live netdev; process context, RTNL held.
        kernel::error::to_result(unsafe {
            nb::pkrs_nd_rxq_reg(self.dev.as_ptr(), mem_type, allocator)
        })?;
        {
            // SAFETY: as above.
            let rx = unsafe { self.rx() };
            self.refill(rx);
            rx.ring.set_up(true);
        }
        self.dev.napi_enable();
        {
            let _lock = self.dev.tx_lock_bh();
            self.up.store(true, Relaxed);
        }
        self.dev.tx_start();
        // Whatever completed while NAPI was off, and the interrupts armed.
        self.dev.napi_schedule();
        Ok(())
    }

    fn stop(&self) -> Result {
        {
            // `ndo_xdp_xmit` checks this under the lock: none sends after.
            let _lock = self.dev.tx_lock_bh();
            self.up.store(false, Relaxed);
        }
        self.dev.tx_disable();
        self.dev.napi_disable();
        {
            // SAFETY: NAPI is disabled: process context owns the RX side.
            let rx = unsafe { self.rx() };
            rx.ring.set_up(false);
        }
        // What the device was given completes now, or soon: skbs and
        // frames are freed here, not when the netdev next comes up (their
        // sockets, conntrack entries and pools wait for them).
        let mut waited_ms = 0;
        loop {
            let left = {
                let _lock = self.dev.tx_lock_bh();
                // SAFETY: TX lock held.
                let tx = unsafe { self.tx() };
                self.reclaim_tx(tx, 0);
                tx.waited
            };
            if left == 0 || waited_ms >= STOP_DRAIN_MS {
                break;
            }
            kernel::time::delay::fsleep(kernel::time::Delta::from_millis(1));
            waited_ms += 1;
        }
        // SAFETY: a live netdev; NAPI is disabled.
        unsafe { nb::pkrs_nd_rxq_unreg(self.dev.as_ptr()) };
        Ok(())
    }

    fn xmit(&self, skb: *mut bindings::sk_buff) -> bool {
        // SAFETY: ndo_start_xmit runs with the TX queue lock held.
        let tx = unsafe { self.tx() };
        self.reclaim_tx(tx, 0);
        if tx.ring.free() == 0 {
            inc(&self.c.tx_ring_full);
            self.dev.tx_stop();
            // What was posted with more to come goes now: none will come.
            self.tx_doorbell(tx);
            if tx.ring.rearm() {
                self.reclaim_tx(tx, 0);
            }
            if tx.ring.free() == 0 {
                return false;
            }
            self.dev.tx_wake();
        }
        // SAFETY: the stack's skb, ours to send or free.
        let data = unsafe { nb::pkrs_skb_push_hdr(skb, self.hdr_len) };
        if data.is_null() {
            inc(&self.c.tx_dropped);
            // SAFETY: as above.
            unsafe { nb::pkrs_skb_free_any(skb) };
            return true;
        }
        // SAFETY: a linear skb (the header just pushed into its data).
        let len = unsafe { (*skb).len };
        if tx.ring.post(TxToken::skb(skb), data.cast(), len).is_err() {
            inc(&self.c.tx_dropped);
            // SAFETY: as above.
            unsafe { nb::pkrs_skb_free_any(skb) };
            return true;
        }
        tx.unrung = true;
        tx.waited += 1;
        inc(&self.c.tx_packets);
        add(
            &self.c.tx_bytes,
            u64::from(len.saturating_sub(self.hdr_len)),
        );
        let full = tx.ring.free() == 0;
        // SAFETY: called from ndo_start_xmit.
        if full || !unsafe { nb::pkrs_nd_xmit_more() } {
            self.tx_doorbell(tx);
            self.arm_tx_irq(tx);
        }
        if full {
            self.dev.tx_stop();
            if tx.ring.rearm() {
                self.reclaim_tx(tx, 0);
            }
        }
        true
    }

    fn poll(&self, budget: i32) -> i32 {
        // SAFETY: a lockless clock read, any context.
        let t0 = unsafe { bindings::ktime_get_mono_fast_ns() };
        let done = self.poll_inner(budget);
        // SAFETY: as above.
        let t1 = unsafe { bindings::ktime_get_mono_fast_ns() };
        add(&self.c.rx_poll_ns, t1.wrapping_sub(t0));
        done
    }

    fn setup_prog(&self, prog: *mut bindings::bpf_prog) -> Result {
        // Every frame fits one page with XDP's headroom (the MTU is bounded
        // by that), so any program can be attached at any time.
        let old = self.prog.swap(prog, AcqRel);
        if !old.is_null() {
            // SAFETY: the reference this queue held; the program is freed
            // after an RCU grace period, so a poll still running it is fine.
            unsafe { bindings::bpf_prog_put(old) };
        }
        Ok(())
    }

    fn xdp_xmit(&self, frames: &[*mut bindings::xdp_frame], flags: u32) -> Result<i32> {
        if flags & !nb::XDP_XMIT_FLAGS_MASK != 0 {
            return Err(EINVAL);
        }
        let _lock = self.dev.tx_lock();
        if !self.up.load(Relaxed) {
            // Down (or going down): nothing may reach the device.
            // CAST: at most an `int` of the caller.
            add(&self.c.tx_xdp_xmit_err, frames.len() as u64);
            // CAST: a small errno.
            return Err(kernel::error::Error::from_errno(
                -(bindings::ENETDOWN as i32),
            ));
        }
        // SAFETY: TX lock held.
        let tx = unsafe { self.tx() };
        self.reclaim_tx(tx, 0);
        let (mut sent, mut bytes) = (0, 0u64);
        for &f in frames {
            if tx.ring.free() == 0 {
                break;
            }
            let mut data = core::ptr::null_mut();
            let mut len = 0;
            // SAFETY: a frame the caller hands us.
            if unsafe { nb::pkrs_xdpf_push_hdr(f, self.hdr_len, &mut data, &mut len) } != 0 {
                break;
            }
            if tx.ring.post(TxToken::frame(f), data.cast(), len).is_err() {
                break;
            }
            tx.unrung = true;
            tx.waited += 1;
            sent += 1;
            bytes += u64::from(len.saturating_sub(self.hdr_len));
        }
        // CAST: at most `frames.len()`, an `int` of the caller.
        add(&self.c.tx_xdp_xmit, sent as u64);
        add(&self.c.tx_xdp_xmit_bytes, bytes);
        add(&self.c.tx_xdp_xmit_err, (frames.len() - sent) as u64);
        // The caller flushes once per poll: what earlier calls of this
        // poll posted without the flag goes too, even if this one sent
        // nothing (a full ring).
        if flags & nb::XDP_XMIT_FLUSH != 0 {
            self.tx_doorbell(tx);
            self.arm_tx_irq(tx);
        }
        // CAST: as above.
        Ok(sent as i32)
    }

    fn change_mtu(&self, mtu: i32) -> Result {
        // The stack checked the netdev's range, which `max_mtu` bounds.
        if u32::try_from(mtu).map_or(true, |m| m > max_mtu(self.hdr_len)) {
            return Err(EINVAL);
        }
        Ok(())
    }

    fn stats64(&self, s: &mut nb::pkrs_nd_stats64) {
        let c = &self.c;
        s.rx_packets = c.rx_packets.load(Relaxed);
        s.rx_bytes = c.rx_bytes.load(Relaxed);
        s.rx_length_errors = c.rx_runt.load(Relaxed) + c.rx_oversize.load(Relaxed);
        s.rx_errors = s.rx_length_errors;
        s.rx_dropped = c.rx_xdp_drop.load(Relaxed)
            + c.rx_xdp_aborted.load(Relaxed)
            + c.rx_xdp_invalid.load(Relaxed)
            + c.rx_xdp_tx_full.load(Relaxed)
            + c.rx_xdp_redirect_err.load(Relaxed)
            + c.rx_skb_alloc_fail.load(Relaxed);
        s.tx_packets =
            c.tx_packets.load(Relaxed) + c.tx_xdp_tx.load(Relaxed) + c.tx_xdp_xmit.load(Relaxed);
        s.tx_bytes = c.tx_bytes.load(Relaxed)
            + c.tx_xdp_tx_bytes.load(Relaxed)
            + c.tx_xdp_xmit_bytes.load(Relaxed);
        s.tx_dropped = c.tx_dropped.load(Relaxed) + c.tx_xdp_xmit_err.load(Relaxed);
    }

    fn stats_count(&self) -> usize {
        Counters::NAMES.len() + ND_NAMES.len() + POOL_NAMES.len()
    }

    fn stats_name(&self, i: usize) -> &'static str {
        // `Iterator::chain`: the prelude's `pin_init::Init` has a `chain`.
        let names = Iterator::chain(Counters::NAMES.iter(), &ND_NAMES);
        Iterator::chain(names, &POOL_NAMES)
            .nth(i)
            .copied()
            .unwrap_or("")
    }

    fn stats_values(&self, out: &mut [u64]) {
        let n = Counters::NAMES.len().min(out.len());
        let (q, rest) = out.split_at_mut(n);
        self.c.values(q);
        let n = ND_NAMES.len().min(rest.len());
        let (d, p) = rest.split_at_mut(n);
        if let Some(o) = d.first_mut() {
            // SAFETY: a live netdev (the queue's).
            let n = unsafe { nb::pkrs_nd_watchdog_rescues(self.dev.as_ptr()) };
            // CAST: a count in an `unsigned long`, at most 64 bits.
            *o = n as u64;
        }
        let s = self.pool_stats();
        let vals = [
            s.alloc_fast,
            s.alloc_slow,
            s.alloc_empty,
            s.alloc_refill,
            s.alloc_waive,
            s.recycle_cached,
            s.recycle_cache_full,
            s.recycle_ring,
            s.recycle_ring_full,
            s.recycle_released_refcnt,
            s.inflight(),
        ];
        for (o, v) in p.iter_mut().zip(vals) {
            *o = v;
        }
    }
}
