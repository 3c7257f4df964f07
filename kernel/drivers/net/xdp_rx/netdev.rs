// SPDX-License-Identifier: GPL-2.0

//! The netdev: allocation and registration through the shim, the shim's
//! callback table ([`NetOps`] → `pkrs_nd_ops`), and the few netdev calls
//! the core makes.

use crate::net_bindings as nb;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::device::Device;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::str::CStr;

/// A netdev made by the shim (`pkrs_nd_alloc()`).
///
/// # Invariants
///
/// `0` is a live netdev of the shim's kind; the owner of the [`NetDevice`]
/// that made it ([`NetDevice::alloc`]) frees it last.
#[derive(Clone, Copy)]
pub(crate) struct NetDev(NonNull<bindings::net_device>);

// SAFETY: a netdev may be used from any thread; the calls made through
// `NetDev` are the kernel's, which lock what they need.
unsafe impl Send for NetDev {}
// SAFETY: as for `Send`.
unsafe impl Sync for NetDev {}

impl NetDev {
    pub(crate) fn as_ptr(self) -> *mut bindings::net_device {
        self.0.as_ptr()
    }

    pub(crate) fn napi(self) -> *mut bindings::napi_struct {
        // SAFETY: a live netdev of the shim (type invariants).
        unsafe { nb::pkrs_nd_napi(self.as_ptr()) }
    }

    pub(crate) fn rxq(self) -> *mut nb::xdp_rxq_info {
        // SAFETY: as above.
        unsafe { nb::pkrs_nd_rxq(self.as_ptr()) }
    }

    pub(crate) fn mtu(self) -> u32 {
        // SAFETY: as above.
        unsafe { nb::pkrs_nd_mtu(self.as_ptr()) }
    }

    pub(crate) fn name(self) -> &'static CStr {
        // SAFETY: as above; the name lives in the netdev, which outlives
        // every use the driver makes of it (messages).
        unsafe { CStr::from_char_ptr(nb::pkrs_nd_name(self.as_ptr())) }
    }

    pub(crate) fn napi_schedule(self) {
        // SAFETY: as above; any context.
        unsafe { nb::pkrs_nd_napi_schedule(self.as_ptr()) }
    }

    /// `napi_complete_done()`: false when the poll must go on.
    pub(crate) fn napi_complete(self, done: i32) -> bool {
        // SAFETY: as above; called from the NAPI poll.
        unsafe { nb::pkrs_nd_napi_complete(self.as_ptr(), done) }
    }

    /// A poll in `ms` milliseconds.
    pub(crate) fn napi_schedule_later(self, ms: u32) {
        // SAFETY: as above; any context.
        unsafe { nb::pkrs_nd_napi_schedule_later(self.as_ptr(), ms) }
    }

    pub(crate) fn napi_enable(self) {
        // SAFETY: as above; process context.
        unsafe { nb::pkrs_nd_napi_enable(self.as_ptr()) }
    }

    pub(crate) fn napi_disable(self) {
        // SAFETY: as above; process context, after `napi_enable`.
        unsafe { nb::pkrs_nd_napi_disable(self.as_ptr()) }
    }

    pub(crate) fn tx_start(self) {
        // SAFETY: as above.
        unsafe { nb::pkrs_nd_tx_start(self.as_ptr()) }
    }

    pub(crate) fn tx_stop(self) {
        // SAFETY: as above.
        unsafe { nb::pkrs_nd_tx_stop(self.as_ptr()) }
    }

    pub(crate) fn tx_wake(self) {
        // SAFETY: as above.
        unsafe { nb::pkrs_nd_tx_wake(self.as_ptr()) }
    }

    pub(crate) fn tx_stopped(self) -> bool {
        // SAFETY: as above.
        unsafe { nb::pkrs_nd_tx_stopped(self.as_ptr()) }
    }

    pub(crate) fn tx_disable(self) {
        // SAFETY: as above; process context.
        unsafe { nb::pkrs_nd_tx_disable(self.as_ptr()) }
    }

    /// The TX queue's lock, until the guard goes. Softirq, or process
    /// context with BH off; never while holding it already.
    pub(crate) fn tx_lock(self) -> TxLockGuard {
        // SAFETY: as above.
        unsafe { nb::pkrs_nd_tx_lock(self.as_ptr()) };
        TxLockGuard(self)
    }

    /// The TX queue's lock, with BH off, until the guard goes. Process
    /// context; never while holding it already.
    pub(crate) fn tx_lock_bh(self) -> TxLockBhGuard {
        // SAFETY: as above.
        unsafe { nb::pkrs_nd_tx_lock_bh(self.as_ptr()) };
        TxLockBhGuard(self)
    }
}

/// The TX queue lock, held (see [`NetDev::tx_lock`]).
pub(crate) struct TxLockGuard(NetDev);

impl Drop for TxLockGuard {
    fn drop(&mut self) {
        // SAFETY: taken by `tx_lock`, which made this guard.
        unsafe { nb::pkrs_nd_tx_unlock(self.0.as_ptr()) }
    }
}

/// The TX queue lock, held with BH off (see [`NetDev::tx_lock_bh`]).
pub(crate) struct TxLockBhGuard(NetDev);

impl Drop for TxLockBhGuard {
    fn drop(&mut self) {
        // SAFETY: taken by `tx_lock_bh`, which made this guard.
        unsafe { nb::pkrs_nd_tx_unlock_bh(self.0.as_ptr()) }
    }
}

/// What the shim's netdev calls (`pkrs_nd_ops`), on the driver's state
/// `Self`, which lives at a fixed address for as long as the netdev.
pub(crate) trait NetOps: Sized + Sync {
    fn open(&self) -> Result;
    fn stop(&self) -> Result;
    /// `ndo_start_xmit`, TX queue lock held: true when the skb was taken.
    fn xmit(&self, skb: *mut bindings::sk_buff) -> bool;
    fn poll(&self, budget: i32) -> i32;
    /// Takes over the reference to `prog` (may be null) on success.
    fn setup_prog(&self, prog: *mut bindings::bpf_prog) -> Result;
    /// Frames sent; the caller frees the rest.
    fn xdp_xmit(&self, frames: &[*mut bindings::xdp_frame], flags: u32) -> Result<i32>;
    fn change_mtu(&self, mtu: i32) -> Result;
    fn stats64(&self, s: &mut nb::pkrs_nd_stats64);
    /// `ethtool -S`: how many counters, the name of counter `i`, and the
    /// values of all.
    fn stats_count(&self) -> usize;
    fn stats_name(&self, i: usize) -> &'static str;
    fn stats_values(&self, out: &mut [u64]);
}

/// The callback table for a [`NetOps`] type.
pub(crate) struct Ops<T: NetOps>(core::marker::PhantomData<T>);

impl<T: NetOps> Ops<T> {
    pub(crate) const TABLE: nb::pkrs_nd_ops = nb::pkrs_nd_ops {
        open: Some(Self::open),
        stop: Some(Self::stop),
        xmit: Some(Self::xmit),
        poll: Some(Self::poll),
        setup_prog: Some(Self::setup_prog),
        xdp_xmit: Some(Self::xdp_xmit),
        change_mtu: Some(Self::change_mtu),
        get_stats64: Some(Self::get_stats64),
        stats_count: Some(Self::stats_count),
        stats_names: Some(Self::stats_names),
        stats_values: Some(Self::stats_values),
    };

    /// # Safety
    ///
    /// `rs` is the `T` the netdev was made for, alive.
    unsafe fn this<'a>(rs: *mut c_void) -> &'a T {
        // SAFETY: by the function's safety requirements.
        unsafe { &*rs.cast::<T>() }
    }

    /// # Safety
    ///
    /// Called by the shim with the `rs` of a netdev made for a `T` (see
    /// [`NetDevice::attach`]), in the context of the netdev operation.
    unsafe extern "C" fn open(rs: *mut c_void) -> c_int {
        // SAFETY: the shim passes the `rs` of the netdev (see `alloc`).
        kernel::error::from_result(|| unsafe { Self::this(rs) }.open().map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the shim with the `rs` of a netdev made for a `T` (see
    /// [`NetDevice::attach`]), in the context of the netdev operation.
    unsafe extern "C" fn stop(rs: *mut c_void) -> c_int {
        // SAFETY: as above.
        kernel::error::from_result(|| unsafe { Self::this(rs) }.stop().map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the shim with the `rs` of a netdev made for a `T` (see
    /// [`NetDevice::attach`]), in the context of the netdev operation.
    unsafe extern "C" fn xmit(rs: *mut c_void, skb: *mut bindings::sk_buff) -> bool {
        // SAFETY: as above.
        unsafe { Self::this(rs) }.xmit(skb)
    }

    /// # Safety
    ///
    /// Called by the shim with the `rs` of a netdev made for a `T` (see
    /// [`NetDevice::attach`]), in the context of the netdev operation.
    unsafe extern "C" fn poll(rs: *mut c_void, budget: c_int) -> c_int {
        // SAFETY: as above.
        unsafe { Self::this(rs) }.poll(budget)
    }

    /// # Safety
    ///
    /// Called by the shim with the `rs` of a netdev made for a `T` (see
    /// [`NetDevice::attach`]), in the context of the netdev operation.
    unsafe extern "C" fn setup_prog(
        rs: *mut c_void,
        prog: *mut bindings::bpf_prog,
        _extack: *mut bindings::netlink_ext_ack,
    ) -> c_int {
        // SAFETY: as above.
        kernel::error::from_result(|| unsafe { Self::this(rs) }.setup_prog(prog).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the shim with the `rs` of a netdev made for a `T` (see
    /// [`NetDevice::attach`]), in the context of the netdev operation.
    unsafe extern "C" fn xdp_xmit(
        rs: *mut c_void,
        n: c_int,
        frames: *mut *mut bindings::xdp_frame,
        flags: u32,
    ) -> c_int {
        let n = usize::try_from(n).unwrap_or(0);
        let frames = if n == 0 || frames.is_null() {
            &[][..]
        } else {
            // SAFETY: the kernel passes `n` frame pointers (ndo_xdp_xmit).
            unsafe { core::slice::from_raw_parts(frames, n) }
        };
        // SAFETY: as above.
        kernel::error::from_result(|| unsafe { Self::this(rs) }.xdp_xmit(frames, flags))
    }

    /// # Safety
    ///
    /// Called by the shim with the `rs` of a netdev made for a `T` (see
    /// [`NetDevice::attach`]), in the context of the netdev operation.
    unsafe extern "C" fn change_mtu(
        rs: *mut c_void,
        mtu: c_int,
        _extack: *mut bindings::netlink_ext_ack,
    ) -> c_int {
        // SAFETY: as above.
        kernel::error::from_result(|| unsafe { Self::this(rs) }.change_mtu(mtu).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the shim with the `rs` of a netdev made for a `T` (see
    /// [`NetDevice::attach`]), in the context of the netdev operation.
    unsafe extern "C" fn get_stats64(rs: *mut c_void, s: *mut nb::pkrs_nd_stats64) {
        // SAFETY: as above; `s` is the shim's zeroed block.
        unsafe { Self::this(rs).stats64(&mut *s) }
    }

    /// # Safety
    ///
    /// Called by the shim with the `rs` of a netdev made for a `T` (see
    /// [`NetDevice::attach`]), in the context of the netdev operation.
    unsafe extern "C" fn stats_count(rs: *mut c_void) -> c_int {
        // SAFETY: as above.
        let n = unsafe { Self::this(rs) }.stats_count();
        c_int::try_from(n).unwrap_or(0)
    }

    /// # Safety
    ///
    /// Called by the shim with the `rs` of a netdev made for a `T` (see
    /// [`NetDevice::attach`]), in the context of the netdev operation.
    unsafe extern "C" fn stats_names(rs: *mut c_void, data: *mut u8) {
        // SAFETY: as above.
        let this = unsafe { Self::this(rs) };
        let len = bindings::ETH_GSTRING_LEN as usize;
        for i in 0..this.stats_count() {
            let name = this.stats_name(i);
            let n = name.len().min(len - 1);
            // SAFETY: ethtool gives `stats_count()` strings of `len` bytes.
            unsafe {
                let dst = data.add(i * len);
                core::ptr::write_bytes(dst, 0, len);
                core::ptr::copy_nonoverlapping(name.as_ptr(), dst, n);
            }
        }
    }

    /// # Safety
    ///
    /// Called by the shim with the `rs` of a netdev made for a `T` (see
    /// [`NetDevice::attach`]), in the context of the netdev operation.
    unsafe extern "C" fn stats_values(rs: *mut c_void, data: *mut u64) {
        // SAFETY: as above.
        let this = unsafe { Self::this(rs) };
        // SAFETY: ethtool gives room for `stats_count()` values.
        let out = unsafe { core::slice::from_raw_parts_mut(data, this.stats_count()) };
        this.stats_values(out);
    }
}

/// The owner of a netdev made by the shim: frees it when dropped.
pub(crate) struct NetDevice {
    dev: NetDev,
    registered: bool,
}

impl NetDevice {
    /// A netdev child of `parent`, driven by a `T` attached later with
    /// [`NetDevice::attach`]; `driver` names the driver in `ethtool -i`.
    pub(crate) fn alloc<T: NetOps>(parent: &Device, driver: &'static CStr) -> Result<Self> {
        // SAFETY: the table is `'static` (promoted constant); `parent` is a
        // live device; `driver` a `'static` string. The `rs` is set by
        // `attach` before the netdev is registered, and no callback runs
        // before that.
        let dev = unsafe {
            nb::pkrs_nd_alloc(
                &Ops::<T>::TABLE,
                core::ptr::null_mut(),
                crate::page_pool::dev_raw(parent),
                driver.as_char_ptr(),
            )
        };
        // INVARIANT: a new netdev of the shim, freed by our drop.
        Ok(Self {
            dev: NetDev(NonNull::new(dev).ok_or(ENOMEM)?),
            registered: false,
        })
    }

    pub(crate) fn dev(&self) -> NetDev {
        self.dev
    }

    /// Gives the callbacks their `T`.
    ///
    /// # Safety
    ///
    /// `rs` is the `T` of [`NetDevice::alloc`], at a fixed address until
    /// the netdev is unregistered (or, if never registered, freed).
    pub(crate) unsafe fn attach<T: NetOps>(&self, rs: *const T) {
        // SAFETY: a live netdev, not registered yet (callbacks only run
        // once it is).
        unsafe { nb::pkrs_nd_set_rs(self.dev.as_ptr(), rs.cast_mut().cast()) };
    }

    /// Before registration: MAC address (random when `None`), MTU range
    /// and value, TX headroom, XDP features.
    pub(crate) fn setup(
        &self,
        mac: Option<&[u8; 6]>,
        mtu: (u32, u32, u32),
        headroom: u32,
        xdp: u32,
    ) {
        let d = self.dev.as_ptr();
        // SAFETY: a live netdev, not registered yet; `mac` is 6 bytes.
        unsafe {
            nb::pkrs_nd_set_mac(d, mac.map_or(core::ptr::null(), |m| m.as_ptr()));
            nb::pkrs_nd_set_mtu(d, mtu.0, mtu.1, mtu.2);
            nb::pkrs_nd_set_headroom(d, headroom);
            nb::pkrs_nd_set_xdp_features(d, xdp);
        }
    }

    pub(crate) fn register(&mut self) -> Result {
        // SAFETY: a live netdev with its `rs` attached; process context.
        to_result(unsafe { nb::pkrs_nd_register(self.dev.as_ptr()) })?;
        self.registered = true;
        Ok(())
    }

    /// Unregisters (closing it first and detaching its program).
    pub(crate) fn unregister(&mut self) {
        if self.registered {
            // SAFETY: registered by `register`; process context.
            unsafe { nb::pkrs_nd_unregister(self.dev.as_ptr()) };
            self.registered = false;
        }
    }
}

impl Drop for NetDevice {
    fn drop(&mut self) {
        self.unregister();
        // SAFETY: made by `pkrs_nd_alloc`, unregistered (or never
        // registered): nothing else refers to it.
        unsafe { nb::pkrs_nd_free(self.dev.as_ptr()) };
    }
}
