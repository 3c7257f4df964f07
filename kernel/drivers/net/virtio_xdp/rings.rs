// SPDX-License-Identifier: GPL-2.0

//! The virtqueues of a virtio-net device as the XDP RX core's rings.
//!
//! RX buffers go in with `virtqueue_add_inbuf()`, or premapped (the page
//! pool mapped them for `virtqueue_dma_dev()`); their token is `slot + 1`.
//! A used buffer comes back with the bytes the device wrote: the
//! virtio-net header, then the frame. TX buffers carry the core's
//! [`TxToken`] and are mapped by virtio itself when the device needs it.

use crate::net_bindings as nb;
use crate::xdp_rx::{RxBuf, RxRing, TxRing, TxToken};
use core::ptr::NonNull;
use kernel::error::to_result;
use kernel::ffi::c_void;
use kernel::prelude::*;

/// A virtqueue of ours.
///
/// # Invariants
///
/// `0` is a live virtqueue of a device our driver is bound to, found by
/// `pkrs_virtio_find_vqs()` and not deleted while this exists.
pub(crate) struct Vq(NonNull<nb::virtqueue>);

// SAFETY: a virtqueue may be used from any thread; its users serialise
// their calls (NAPI, or the TX lock), as virtio requires.
unsafe impl Send for Vq {}

impl Vq {
    /// # Safety
    ///
    /// `vq` is a live virtqueue that outlives the returned value.
    pub(crate) unsafe fn new(vq: *mut nb::virtqueue) -> Option<Self> {
        // INVARIANT: by the function's safety requirements.
        NonNull::new(vq).map(Self)
    }

    pub(crate) fn as_ptr(&self) -> *mut nb::virtqueue {
        self.0.as_ptr()
    }

    fn size(&self) -> u32 {
        // SAFETY: a live virtqueue (type invariants).
        unsafe { nb::virtqueue_get_vring_size(self.as_ptr()) }
    }

    fn kick(&mut self) {
        // SAFETY: as above; callers are serialised.
        unsafe { nb::pkrs_vq_kick(self.as_ptr()) };
    }

    /// The next used buffer: its token and length.
    fn get(&mut self) -> Option<(usize, u32)> {
        let mut len = 0;
        // SAFETY: as above.
        let t = unsafe { nb::virtqueue_get_buf(self.as_ptr(), &mut len) };
        // CAST: tokens are words we gave.
        (!t.is_null()).then_some((t as usize, len))
    }

    fn detach(&mut self) -> Option<usize> {
        // SAFETY: as above; the device was reset.
        let t = unsafe { nb::virtqueue_detach_unused_buf(self.as_ptr()) };
        // CAST: as above.
        (!t.is_null()).then_some(t as usize)
    }

    /// Callbacks on; true when buffers were used meanwhile (then they are
    /// off again). An injected error (the watchdog's test) leaves them
    /// off and says nothing came: a lost interrupt.
    fn rearm(&mut self) -> bool {
        // SAFETY: as above.
        unsafe { nb::pkrs_vq_rearm(self.as_ptr()) > 0 }
    }
}

/// The RX virtqueue.
pub(crate) struct VirtioRx {
    pub(crate) vq: Vq,
    pub(crate) hdr_len: u32,
}

impl RxRing for VirtioRx {
    fn hdr_len(&self) -> u32 {
        self.hdr_len
    }

    fn size(&self) -> u32 {
        self.vq.size()
    }

    #[inline]
    fn post(&mut self, slot: u32, buf: &RxBuf) -> Result {
        // CAST: `slot + 1` is a non-zero word, the token.
        let token = (slot as usize + 1) as *mut c_void;
        // SAFETY: a live virtqueue; `buf` is `len` writable bytes of a page
        // the core holds until the buffer comes back, mapped for the
        // queue's device at `dma` when given.
        to_result(unsafe {
            match buf.dma {
                Some(dma) => nb::pkrs_vq_add_in_mapped(self.vq.as_ptr(), dma, buf.len, token),
                None => nb::pkrs_vq_add_in(self.vq.as_ptr(), buf.va.cast(), buf.len, token),
            }
        })
    }

    fn doorbell(&mut self) {
        self.vq.kick();
    }

    #[inline]
    fn complete(&mut self) -> Option<(u32, u32)> {
        // CAST: tokens are `slot + 1` with a `u32` slot.
        self.vq.get().map(|(t, len)| ((t - 1) as u32, len))
    }

    fn rearm(&mut self) -> bool {
        self.vq.rearm()
    }

    fn reclaim(&mut self) -> Option<u32> {
        // CAST: as in `complete`.
        self.vq.detach().map(|t| (t - 1) as u32)
    }
}

/// The TX virtqueue (the core puts the zeroed virtio-net header in front
/// of each frame).
pub(crate) struct VirtioTx {
    pub(crate) vq: Vq,
}

impl TxRing for VirtioTx {
    fn free(&self) -> u32 {
        // SAFETY: a live virtqueue; `num_free` is what `virtqueue_add_*`
        // keeps (read under the TX lock, as every add).
        unsafe { nb::pkrs_vq_num_free(self.vq.as_ptr()) }
    }

    #[inline]
    fn post(&mut self, token: TxToken, data: *mut u8, len: u32) -> Result {
        // SAFETY: a live virtqueue; `data` is `len` bytes the token's owner
        // keeps until the buffer comes back.
        to_result(unsafe {
            nb::pkrs_vq_add_out(
                self.vq.as_ptr(),
                data.cast(),
                len,
                token.as_usize() as *mut c_void,
            )
        })
    }

    fn doorbell(&mut self) {
        self.vq.kick();
    }

    #[inline]
    fn complete(&mut self) -> Option<TxToken> {
        self.vq.get().map(|(t, _)| TxToken::from_usize(t))
    }

    fn rearm(&mut self) -> bool {
        // SAFETY: a live virtqueue; the TX lock serialises this. Callbacks
        // stay on either way (the callback turns them off again).
        !unsafe { nb::virtqueue_enable_cb_delayed(self.vq.as_ptr()) }
    }

    fn reclaim(&mut self) -> Option<TxToken> {
        self.vq.detach().map(TxToken::from_usize)
    }
}
