/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netdev and XDP part of the C shim, for network drivers written in
 * Rust (kernel/drivers/net/). Implemented in kernel/lib/pkrs_netdev.c and
 * compiled into each driver module; Rust declarations are generated from
 * this header by bindgen (kernel/drivers/net/Kbuild).
 *
 * The C side owns what has a C layout the Rust side cannot name: the
 * netdev's private area (a NAPI instance and the RX queue's xdp_rxq_info)
 * and the kernel's operation tables (net_device_ops, ethtool_ops), whose
 * entries call the Rust driver through a table of plain callbacks
 * (struct pkrs_nd_ops). Everything else is the Rust driver's.
 */
#ifndef PKRS_NETDEV_H
#define PKRS_NETDEV_H

#include <linux/types.h>

struct bpf_prog;
struct device;
struct napi_struct;
struct page;
struct net_device;
struct netlink_ext_ack;
struct sk_buff;
struct xdp_buff;
struct xdp_frame;
struct xdp_rxq_info;

/* Counters for ndo_get_stats64 (the fields of rtnl_link_stats64 we keep). */
struct pkrs_nd_stats64 {
	u64 rx_packets, rx_bytes, rx_dropped, rx_errors, rx_length_errors;
	u64 tx_packets, tx_bytes, tx_dropped, tx_errors;
};

/*
 * The Rust driver's entry points. `rs` is the pointer given to
 * pkrs_nd_alloc(). Return values are 0 or a negative errno unless said.
 */
struct pkrs_nd_ops {
	/* ndo_open / ndo_stop (process context, RTNL held). */
	int (*open)(void *rs);
	int (*stop)(void *rs);
	/* ndo_start_xmit, with the TX queue's lock held: true when the skb
	 * was taken (sent or dropped), false for NETDEV_TX_BUSY. */
	bool (*xmit)(void *rs, struct sk_buff *skb);
	/* The NAPI poll: work done, at most budget. */
	int (*poll)(void *rs, int budget);
	/* ndo_bpf(XDP_SETUP_PROG), RTNL held: takes over the reference on
	 * success (prog may be NULL: detach). */
	int (*setup_prog)(void *rs, struct bpf_prog *prog,
			  struct netlink_ext_ack *extack);
	/* ndo_xdp_xmit: frames sent (the caller frees the rest), or errno. */
	int (*xdp_xmit)(void *rs, int n, struct xdp_frame **frames, u32 flags);
	/* ndo_change_mtu, RTNL held: 0 to accept (the shim sets dev->mtu). */
	int (*change_mtu)(void *rs, int new_mtu, struct netlink_ext_ack *extack);
	void (*get_stats64)(void *rs, struct pkrs_nd_stats64 *stats);
	/* ethtool -S: the number of counters, their names (ETH_GSTRING_LEN
	 * bytes each), their values. */
	int (*stats_count)(void *rs);
	void (*stats_names)(void *rs, u8 *data);
	void (*stats_values)(void *rs, u64 *data);
};

/*
 * alloc_etherdev() with a private area holding a NAPI instance (polled
 * through ops->poll), an xdp_rxq_info and the driver's `rs`; the
 * netdev's parent is `parent`, its operations the shim's tables. NULL
 * when out of memory. Free with pkrs_nd_free() (not registered, or
 * unregistered).
 */
/* The module parameter `pool` (a string, which Rust module parameters
 * cannot be). */
const char *pkrs_param_pool(void);

struct net_device *pkrs_nd_alloc(const struct pkrs_nd_ops *ops, void *rs,
				 struct device *parent, const char *driver);
void pkrs_nd_free(struct net_device *dev);
/* Sets the `rs` the callbacks get (before registration). */
void pkrs_nd_set_rs(struct net_device *dev, void *rs);
int pkrs_nd_register(struct net_device *dev);
void pkrs_nd_unregister(struct net_device *dev);

struct napi_struct *pkrs_nd_napi(struct net_device *dev);
struct xdp_rxq_info *pkrs_nd_rxq(struct net_device *dev);
const char *pkrs_nd_name(struct net_device *dev);
int pkrs_nd_ifindex(struct net_device *dev);
unsigned int pkrs_nd_mtu(struct net_device *dev);

/* Before registration: the MAC address (random when mac is NULL), the MTU
 * range and value, headroom the stack leaves in front of TX skbs, and the
 * XDP features (NETDEV_XDP_ACT_*). */
void pkrs_nd_set_mac(struct net_device *dev, const u8 *mac);
/* The name (or pattern, "name%d") the netdev registers with. */
void pkrs_nd_set_name(struct net_device *dev, const char *name);
void pkrs_nd_set_mtu(struct net_device *dev, unsigned int min,
		     unsigned int max, unsigned int mtu);
void pkrs_nd_set_headroom(struct net_device *dev, unsigned int headroom);
void pkrs_nd_set_xdp_features(struct net_device *dev, u32 features);

void pkrs_nd_carrier(struct net_device *dev, bool on);

/* NAPI. napi_enable() and the RX watchdog started (a poll when none ran
 * for a second: a lost interrupt cannot stall the ring). */
void pkrs_nd_napi_enable(struct net_device *dev);
/* The watchdog's polls that found frames (lost interrupts it recovered). */
unsigned long pkrs_nd_watchdog_rescues(struct net_device *dev);
/* The watchdog stopped, napi_disable(), and the retry timer stopped. */
void pkrs_nd_napi_disable(struct net_device *dev);
/* napi_schedule() on CPU `cpu`, from an IPI (what a device's interrupt
 * does): process context, waits for the IPI; 0 or -ENXIO (CPU offline). */
int pkrs_nd_interrupt_on(struct net_device *dev, int cpu);
/* napi_schedule() in `ms` milliseconds (a poll that could not refill). */
void pkrs_nd_napi_schedule_later(struct net_device *dev, unsigned int ms);
void pkrs_nd_napi_schedule(struct net_device *dev);
/* napi_complete_done(): false when the poll must go on. */
bool pkrs_nd_napi_complete(struct net_device *dev, int done);

/* The TX queue (there is one): its lock (from softirq or process context
 * with BH off), stop/wake. */
void pkrs_nd_tx_lock(struct net_device *dev);
void pkrs_nd_tx_unlock(struct net_device *dev);
/* The same from process context, BH off while it is held. */
void pkrs_nd_tx_lock_bh(struct net_device *dev);
void pkrs_nd_tx_unlock_bh(struct net_device *dev);
void pkrs_nd_tx_start(struct net_device *dev);
void pkrs_nd_tx_stop(struct net_device *dev);
void pkrs_nd_tx_wake(struct net_device *dev);
bool pkrs_nd_tx_stopped(struct net_device *dev);
/* The TX queue's stop/wake without the stack seeing a timeout. */
void pkrs_nd_tx_disable(struct net_device *dev);
/* netdev_xmit_more(): in ndo_start_xmit, more skbs follow this one. */
bool pkrs_nd_xmit_more(void);

/* The RX queue's xdp_rxq_info: registered for queue 0 with memory model
 * mem_type (MEM_TYPE_*) and, for MEM_TYPE_PAGE_POOL, the kernel page_pool
 * `allocator`. */
int pkrs_nd_rxq_reg(struct net_device *dev, u32 mem_type, void *allocator);
void pkrs_nd_rxq_unreg(struct net_device *dev);

/* XDP. */
/* xdp_init_buff() + xdp_prepare_buff(), metadata supported. */
void pkrs_xdp_prepare(struct xdp_buff *xdp, struct xdp_rxq_info *rxq,
		      void *hard_start, u32 frame_sz, u32 headroom, u32 len);
/* bpf_prog_run_xdp(). */
u32 pkrs_xdp_run(struct bpf_prog *prog, struct xdp_buff *xdp);
/* trace_xdp_exception() (nothing without tracepoints). */
void pkrs_xdp_exception(struct net_device *dev, struct bpf_prog *prog,
			u32 act);
/*
 * An xdp_frame redirected to us, made ready for the wire: `hdr_len`
 * zeroed bytes are added in front (from its headroom). Its data and
 * length (header included); -EOVERFLOW when the headroom is too small.
 */
int pkrs_xdpf_push_hdr(struct xdp_frame *f, u32 hdr_len, void **data,
		       u32 *len);

/* page_address() (defined in pkrs_shim.c, declared in pkrs_shim.h too). */
void *pkrs_page_address(struct page *page);
/* Sizes the Rust side checks its generated layouts against. */
u32 pkrs_sizeof_xdp_buff(void);
/* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)): the room an skb built
 * around a page needs at the page's end. */
u32 pkrs_skb_shinfo_room(void);

/* skbs. */
/* Room for hdr_len zeroed bytes in front of a TX skb, linearised,
 * orphaned and without its conntrack reference (neither its socket nor
 * conntrack is held up by a late TX completion): the new
 * data pointer, or NULL (the skb is then still the caller's). */
void *pkrs_skb_push_hdr(struct sk_buff *skb, u32 hdr_len);
void pkrs_skb_free_any(struct sk_buff *skb);
/* napi_gro_receive() on the netdev's NAPI. */
void pkrs_nd_gro_receive(struct net_device *dev, struct sk_buff *skb);
/* A small received frame copied into a new skb (eth_type_trans done,
 * queue 0 recorded): NULL when out of memory. */
struct sk_buff *pkrs_skb_copy_rx(struct net_device *dev, const void *data,
				 u32 len);

#endif /* PKRS_NETDEV_H */
