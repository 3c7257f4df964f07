// SPDX-License-Identifier: GPL-2.0

//! The XDP RX core: one RX/TX queue pair of a network device whose RX ring
//! holds one page_pool page per packet and runs XDP on it before any skb
//! exists. Nothing here knows which device it drives: a backend provides
//! the rings ([`RxRing`], [`TxRing`]), the core does the rest.
//!
//! # The rings a backend provides
//!
//! - An RX ring of posted buffers. The core posts a buffer under a *slot*
//!   number (a page, `XDP_PACKET_HEADROOM` into it, with its DMA address
//!   when the pool maps pages) and rings the doorbell once per poll; the
//!   device completes buffers as `(slot, bytes written)`, its own header
//!   (`hdr_len` bytes) first. virtio-net: the used ring's (token, len),
//!   the token being `slot + 1`, and the 12-byte virtio-net header. mlx5:
//!   a CQE names the WQE index (the slot) and a byte count; no header.
//! - A TX ring that takes a buffer and a [`TxToken`] (an skb, an XDP frame
//!   redirected to us, or an XDP_TX page of our pool) and gives the token
//!   back on completion; one doorbell per poll (mlx5: the XDP SQ and its
//!   CQ; virtio-net: the TX virtqueue).
//!
//! # One poll (NAPI, [`queue::Queue::poll`])
//!
//! 1. TX completions: skbs freed, redirected frames returned, XDP_TX pages
//!    recycled straight into the pool's cache.
//! 2. The program pointer is read once.
//! 3. Per completed RX buffer, up to the budget: length checks (runt,
//!    oversize), sync for the CPU when the pool maps pages, the program
//!    on an `xdp_buff` around the page, then the action:
//!    - `XDP_DROP`: the page goes back into the pool's cache;
//!    - `XDP_PASS` (and no program): an skb around the page (or, below
//!      `copybreak` bytes, a copy, the page recycled) to GRO;
//!    - `XDP_TX`: queued for this poll's TX batch;
//!    - `XDP_REDIRECT`: `xdp_do_redirect()`;
//!    - `XDP_ABORTED`: the `xdp_exception` trace, counted, recycled;
//!    - anything else: `bpf_warn_invalid_xdp_action()` (once), the trace,
//!      counted, recycled: the seed's fall-through.
//! 4. The XDP_TX batch is posted under one TX lock, one TX doorbell.
//! 5. One `xdp_do_flush()` if anything was redirected.
//! 6. The RX ring is refilled in bulk from the pool, one RX doorbell.
//! 7. Below the budget: the ring re-armed, then NAPI completed (completions
//!    that came meanwhile are taken by the same poll).
//!
//! A lost interrupt would stall the ring for good; the netdev's RX
//! watchdog (`pkrs_nd_watchdog`) polls when no poll ran for a second, and
//! `rx_watchdog` counts its polls that found frames.
//!
//! # Contexts and locks
//!
//! The RX side (ring, slots, pool) belongs to the NAPI poll, or to process
//! context while NAPI is disabled (open before enabling it, teardown). The
//! TX side belongs to whoever holds the netdev's TX queue lock: the stack
//! in `ndo_start_xmit`, `ndo_xdp_xmit` from another device's poll, and our
//! poll for steps 1 and 4 (the lock is taken once per step, never inside
//! the RX loop, and never across `xdp_do_flush()`, which may call our own
//! `ndo_xdp_xmit`). Lock order: NAPI ownership, then the TX lock.
//! Counters are atomics with one writer each (NAPI or the TX lock holder),
//! read from anywhere (`ethtool -S`).

pub(crate) mod netdev;
pub(crate) mod queue;
mod rings;
mod stats;

pub(crate) use rings::{RxBuf, RxRing, TxRing, TxToken};

use kernel::prelude::*;

/// What the core's XDP does (`xdp_features`): the verdicts, redirects,
/// and being a devmap target. No multi-buffer, no AF_XDP zero copy.
pub(crate) const XDP_FEATURES: u32 = crate::net_bindings::netdev_xdp_act_NETDEV_XDP_ACT_BASIC
    | crate::net_bindings::netdev_xdp_act_NETDEV_XDP_ACT_REDIRECT
    | crate::net_bindings::netdev_xdp_act_NETDEV_XDP_ACT_NDO_XMIT;

/// The module parameters every driver on the core has: `pool` (true for
/// `c`, the kernel's page_pool; false for `rs`) and `copybreak` (checked).
/// A bad value is `EINVAL` with a reason.
pub(crate) fn check_params(copybreak: u32) -> Result<bool> {
    // SAFETY: the parameter string lives with the module.
    let pool = unsafe { kernel::str::CStr::from_char_ptr(crate::net_bindings::pkrs_param_pool()) };
    let c = match pool.to_bytes() {
        b"rs" => false,
        b"c" => true,
        _ => {
            pr_err!(
                "invalid pool={}: rs (the native Rust page_pool) or c (the kernel's)\n",
                pool.to_str().unwrap_or("?")
            );
            return Err(EINVAL);
        }
    };
    if copybreak > 4096 {
        pr_err!("invalid copybreak={}: at most 4096 bytes\n", copybreak);
        return Err(EINVAL);
    }
    Ok(c)
}

/// Checks that the `struct xdp_buff` bindgen generated has the kernel's
/// size (the core fills one per packet).
pub(crate) fn check_layouts() -> Result {
    // SAFETY: a pure function of the shim.
    let c = unsafe { crate::net_bindings::pkrs_sizeof_xdp_buff() };
    let rs = core::mem::size_of::<crate::net_bindings::xdp_buff>();
    if usize::try_from(c).ok() != Some(rs) {
        pr_err!(
            "struct xdp_buff is {} bytes in C but {} in Rust: rebuild the bindings\n",
            c,
            rs
        );
        return Err(EINVAL);
    }
    Ok(())
}
