// SPDX-License-Identifier: GPL-2.0

//! The queue's counters, as `ethtool -S` and `ip -s link` show them.
//!
//! Each counter has one writer at a time (the NAPI poll for `rx_*`, the TX
//! lock holder for `tx_*`): it adds with a plain load and store, and
//! readers anywhere see a recent value.

use core::sync::atomic::AtomicU64;
use core::sync::atomic::Ordering::Relaxed;

/// Adds `n` to a counter that one context at a time writes.
#[inline(always)]
pub(crate) fn add(c: &AtomicU64, n: u64) {
    c.store(c.load(Relaxed).wrapping_add(n), Relaxed);
}

/// Adds one.
#[inline(always)]
pub(crate) fn inc(c: &AtomicU64) {
    add(c, 1);
}

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// The counters of one queue pair.
        #[derive(Default)]
        pub(crate) struct Counters {
            $($(#[$doc])* pub(crate) $name: AtomicU64,)*
        }

        impl Counters {
            /// Their names, as `ethtool -S` prints them.
            pub(crate) const NAMES: &'static [&'static str] = &[$(stringify!($name),)*];

            /// Their values, in the order of [`Counters::NAMES`].
            pub(crate) fn values(&self, out: &mut [u64]) {
                let vals = [$(self.$name.load(Relaxed),)*];
                for (o, v) in out.iter_mut().zip(vals) {
                    *o = v;
                }
            }
        }
    };
}

counters! {
    /// Frames received (after the length checks), and their bytes.
    rx_packets,
    rx_bytes,
    /// Frames shorter than an Ethernet header.
    rx_runt,
    /// Frames longer than the MTU allows (with one VLAN tag).
    rx_oversize,
    /// Frames handed to the stack (no program, or XDP_PASS).
    rx_pass,
    /// Of those, copied out of their page (below `copybreak`).
    rx_copybreak,
    /// skbs that could not be built (out of memory): dropped.
    rx_skb_alloc_fail,
    /// The program's verdicts.
    rx_xdp_drop,
    rx_xdp_pass,
    rx_xdp_tx,
    rx_xdp_redirect,
    rx_xdp_aborted,
    rx_xdp_invalid,
    /// XDP_TX frames dropped for a full TX ring.
    rx_xdp_tx_full,
    /// XDP_REDIRECT that `xdp_do_redirect()` refused.
    rx_xdp_redirect_err,
    /// Pages the pool could not give for a refill.
    rx_alloc_fail,
    /// Polls that left the RX ring with no buffer posted (nothing can be
    /// received until a refill succeeds).
    rx_no_buffer,
    /// NAPI polls, their time in ns (the clock the benchmark reads: guest
    /// instructions with -icount shift=0), and RX doorbells.
    rx_polls,
    rx_poll_ns,
    rx_doorbells,
    /// Frames the stack sent, and their bytes.
    tx_packets,
    tx_bytes,
    /// skbs dropped (could not make room for the device header).
    tx_dropped,
    /// Times the stack found the TX ring full (the queue was stopped).
    tx_ring_full,
    /// XDP_TX frames sent, and their bytes.
    tx_xdp_tx,
    tx_xdp_tx_bytes,
    /// Frames redirected to us (ndo_xdp_xmit) sent, their bytes, and the
    /// frames refused (a full ring, or the netdev down).
    tx_xdp_xmit,
    tx_xdp_xmit_bytes,
    tx_xdp_xmit_err,
    /// TX completions, and TX doorbells.
    tx_completions,
    tx_doorbells,
    /// Polls with a budget of 0 (netpoll): TX completions only.
    tx_polls_budget0,
}
