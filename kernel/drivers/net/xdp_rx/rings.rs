// SPDX-License-Identifier: GPL-2.0

//! What a backend implements: its RX and TX rings (see the module
//! documentation of [`super`]).

use kernel::bindings;
use kernel::prelude::*;

/// A buffer for the device to write a frame into.
pub(crate) struct RxBuf {
    /// Where the device writes (its header first).
    pub(crate) va: *mut u8,
    /// The same place as a DMA address, when the page pool maps pages for
    /// the ring's device; `None`: the ring maps `va` itself, or needs no
    /// mapping.
    pub(crate) dma: Option<u64>,
    /// Bytes the device may write.
    pub(crate) len: u32,
}

/// The RX ring of a device. Used by the queue's NAPI poll only (or with
/// NAPI disabled).
pub(crate) trait RxRing: Send {
    /// Bytes of device header in front of each frame.
    fn hdr_len(&self) -> u32;
    /// Buffers the ring holds at most.
    fn size(&self) -> u32;
    /// Posts `buf` under `slot` (below [`RxRing::size`]); fails when the
    /// ring is full.
    fn post(&mut self, slot: u32, buf: &RxBuf) -> Result;
    /// Tells the device about the buffers posted since the last doorbell.
    fn doorbell(&mut self);
    /// The next completed buffer: its slot and the bytes written (header
    /// included).
    fn complete(&mut self) -> Option<(u32, u32)>;
    /// Interrupts back on after a poll that finished early; true when
    /// completions arrived meanwhile (interrupts are off again and the
    /// caller must poll once more).
    fn rearm(&mut self) -> bool;
    /// A posted buffer the device will not complete (after it was reset):
    /// its slot; `None` when none is left.
    fn reclaim(&mut self) -> Option<u32>;
    /// The netdev went up (after the first refill) or down (NAPI already
    /// disabled): a device that sends on its own starts or stops.
    fn set_up(&mut self, _up: bool) {}
}

/// The TX ring of a device. Used with the netdev's TX queue lock held.
pub(crate) trait TxRing: Send {
    /// Buffers that can be posted now.
    fn free(&self) -> u32;
    /// Posts `len` bytes at `data` (the device header first), to be given
    /// back as `token` when sent.
    fn post(&mut self, token: TxToken, data: *mut u8, len: u32) -> Result;
    /// Tells the device about the buffers posted since the last doorbell.
    fn doorbell(&mut self);
    /// The next sent buffer's token.
    fn complete(&mut self) -> Option<TxToken>;
    /// Completion interrupts on (the queue was stopped for a full ring),
    /// after most of what is in flight is sent; true when completions are
    /// there already.
    fn rearm(&mut self) -> bool;
    /// A posted buffer the device will not send (after it was reset).
    fn reclaim(&mut self) -> Option<TxToken>;
}

/// What a TX buffer is, given back on completion: a non-zero word, an
/// aligned pointer or a slot number with the kind in its low two bits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct TxToken(usize);

/// A [`TxToken`], decoded.
pub(crate) enum TxKind {
    /// An skb of the stack (`ndo_start_xmit`).
    Skb(*mut bindings::sk_buff),
    /// An XDP frame redirected to us (`ndo_xdp_xmit`).
    Frame(*mut bindings::xdp_frame),
    /// An XDP_TX page of our pool, in TX slot N.
    Page(u32),
}

const TAG_SKB: usize = 1;
const TAG_FRAME: usize = 2;
const TAG_PAGE: usize = 3;
const TAG_MASK: usize = 3;

impl TxToken {
    pub(crate) fn skb(skb: *mut bindings::sk_buff) -> Self {
        // CAST: an skb is at least 8-byte aligned, so its low bits are free.
        Self(skb as usize | TAG_SKB)
    }

    pub(crate) fn frame(f: *mut bindings::xdp_frame) -> Self {
        // CAST: an xdp_frame (in a page's headroom) is 8-byte aligned.
        Self(f as usize | TAG_FRAME)
    }

    pub(crate) fn page(slot: u32) -> Self {
        // CAST: a `u32` slot shifted into a 64-bit word.
        Self(((slot as usize) << 2) | TAG_PAGE)
    }

    /// The token as the backend's opaque word (never 0).
    pub(crate) fn as_usize(self) -> usize {
        self.0
    }

    /// A word the backend was given by [`TxToken::as_usize`].
    pub(crate) fn from_usize(v: usize) -> Self {
        Self(v)
    }

    pub(crate) fn kind(self) -> TxKind {
        let p = self.0 & !TAG_MASK;
        match self.0 & TAG_MASK {
            TAG_SKB => TxKind::Skb(p as *mut bindings::sk_buff),
            TAG_FRAME => TxKind::Frame(p as *mut bindings::xdp_frame),
            // CAST: made from a `u32` slot by `page`.
            _ => TxKind::Page((self.0 >> 2) as u32),
        }
    }
}
