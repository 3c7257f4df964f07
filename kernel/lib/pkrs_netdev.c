// SPDX-License-Identifier: GPL-2.0
/*
 * The netdev and XDP part of the C shim (see kernel/include/pkrs_netdev.h).
 * Not built on its own: a driver module's <name>_shim.c includes it, so
 * each module has its own copy.
 */
#include <linux/bpf.h>
#include <linux/bpf_trace.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/smp.h>
#include <linux/timer.h>
#include <net/netdev_queues.h>
#include <net/xdp.h>

#include "../include/pkrs_netdev.h"

/* All of it inlinable: none in the shim object of an inlining build. */
#ifndef PKRS_SHIM_OUTLINE

/* The module parameter `pool` of every Rust network driver of the project. */
static char *pool = "rs";
module_param(pool, charp, 0444);
MODULE_PARM_DESC(pool, "Page pool of the RX rings: rs (the native Rust pool) or c (the kernel's)");

const char *pkrs_param_pool(void)
{
	return pool;
}

/* The netdev's private area. */
struct pkrs_nd {
	struct napi_struct napi;
	struct xdp_rxq_info rxq;
	struct timer_list retry;
	/*
	 * The RX watchdog (pkrs_nd_watchdog): polls started, as the poll
	 * counts them and as the watchdog last saw them; whether it runs,
	 * whether the next poll is its own, and its polls that found frames.
	 */
	struct timer_list watchdog;
	unsigned long polls;
	unsigned long wd_polls;
	bool wd_on;
	bool wd_kick;
	atomic_long_t wd_rescues;
	const struct pkrs_nd_ops *ops;
	void *rs;
	const char *driver;
};

/*
 * A macro, not a static function: the PKRS_FAST functions below are inline
 * functions with external linkage in an inlining build, and C lets those
 * reference no static function.
 */
#define pkrs_nd(dev) ((struct pkrs_nd *)netdev_priv(dev))

static int pkrs_nd_open(struct net_device *dev)
{
	return pkrs_nd(dev)->ops->open(pkrs_nd(dev)->rs);
}

static int pkrs_nd_stop(struct net_device *dev)
{
	return pkrs_nd(dev)->ops->stop(pkrs_nd(dev)->rs);
}

static netdev_tx_t pkrs_nd_start_xmit(struct sk_buff *skb,
				      struct net_device *dev)
{
	return pkrs_nd(dev)->ops->xmit(pkrs_nd(dev)->rs, skb) ?
		NETDEV_TX_OK : NETDEV_TX_BUSY;
}

static int pkrs_nd_bpf(struct net_device *dev, struct netdev_bpf *bpf)
{
	switch (bpf->command) {
	case XDP_SETUP_PROG:
		return pkrs_nd(dev)->ops->setup_prog(pkrs_nd(dev)->rs, bpf->prog,
						     bpf->extack);
	default:
		return -EINVAL;
	}
}

static int pkrs_nd_xdp_xmit(struct net_device *dev, int n,
			    struct xdp_frame **frames, u32 flags)
{
	return pkrs_nd(dev)->ops->xdp_xmit(pkrs_nd(dev)->rs, n, frames, flags);
}

static int pkrs_nd_change_mtu(struct net_device *dev, int new_mtu)
{
	int err = pkrs_nd(dev)->ops->change_mtu(pkrs_nd(dev)->rs, new_mtu, NULL);

	if (!err)
		WRITE_ONCE(dev->mtu, new_mtu);
	return err;
}

static void pkrs_nd_get_stats64(struct net_device *dev,
				struct rtnl_link_stats64 *st)
{
	struct pkrs_nd_stats64 s = { };

	pkrs_nd(dev)->ops->get_stats64(pkrs_nd(dev)->rs, &s);
	st->rx_packets = s.rx_packets;
	st->rx_bytes = s.rx_bytes;
	st->rx_dropped = s.rx_dropped;
	st->rx_errors = s.rx_errors;
	st->rx_length_errors = s.rx_length_errors;
	st->tx_packets = s.tx_packets;
	st->tx_bytes = s.tx_bytes;
	st->tx_dropped = s.tx_dropped;
	st->tx_errors = s.tx_errors;
}

static const struct net_device_ops pkrs_nd_netdev_ops = {
	.ndo_open = pkrs_nd_open,
	.ndo_stop = pkrs_nd_stop,
	.ndo_start_xmit = pkrs_nd_start_xmit,
	.ndo_bpf = pkrs_nd_bpf,
	.ndo_xdp_xmit = pkrs_nd_xdp_xmit,
	.ndo_change_mtu = pkrs_nd_change_mtu,
	.ndo_get_stats64 = pkrs_nd_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static void pkrs_nd_get_drvinfo(struct net_device *dev,
				struct ethtool_drvinfo *info)
{
	strscpy(info->driver, pkrs_nd(dev)->driver, sizeof(info->driver));
	if (dev->dev.parent)
		strscpy(info->bus_info, dev_name(dev->dev.parent),
			sizeof(info->bus_info));
}

static int pkrs_nd_get_sset_count(struct net_device *dev, int sset)
{
	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return pkrs_nd(dev)->ops->stats_count(pkrs_nd(dev)->rs);
}

static void pkrs_nd_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	if (sset == ETH_SS_STATS)
		pkrs_nd(dev)->ops->stats_names(pkrs_nd(dev)->rs, data);
}

static void pkrs_nd_get_ethtool_stats(struct net_device *dev,
				      struct ethtool_stats *stats, u64 *data)
{
	pkrs_nd(dev)->ops->stats_values(pkrs_nd(dev)->rs, data);
}

static const struct ethtool_ops pkrs_nd_ethtool_ops = {
	.get_drvinfo = pkrs_nd_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_sset_count = pkrs_nd_get_sset_count,
	.get_strings = pkrs_nd_get_strings,
	.get_ethtool_stats = pkrs_nd_get_ethtool_stats,
};

static void pkrs_nd_retry(struct timer_list *t)
{
	struct pkrs_nd *nd = timer_container_of(nd, t, retry);

	napi_schedule(&nd->napi);
}

/*
 * The RX watchdog: while the netdev is up, once a second, a poll when none
 * ran for a whole second. A device interrupt that is lost (the device saw
 * the notification suppressed, or never raised it) leaves frames in a full
 * ring that nothing polls, for good: no further completion can interrupt
 * again. e1000e's and ixgbe's watchdogs make an interrupt for the same
 * reason. An idle NIC costs one empty poll a second; one under traffic
 * none, as its polls go on.
 */
#define PKRS_WATCHDOG_PERIOD HZ

static void pkrs_nd_watchdog(struct timer_list *t)
{
	struct pkrs_nd *nd = timer_container_of(nd, t, watchdog);
	unsigned long polls = READ_ONCE(nd->polls);

	if (!READ_ONCE(nd->wd_on))
		return;
	if (polls == nd->wd_polls) {
		WRITE_ONCE(nd->wd_kick, true);
		napi_schedule(&nd->napi);
	}
	nd->wd_polls = polls;
	mod_timer(&nd->watchdog, jiffies + PKRS_WATCHDOG_PERIOD);
}

static int pkrs_nd_poll(struct napi_struct *napi, int budget)
{
	struct pkrs_nd *nd = container_of(napi, struct pkrs_nd, napi);
	bool kicked = READ_ONCE(nd->wd_kick);
	int done;

	/* Before the poll: after it, the next one may already run. */
	WRITE_ONCE(nd->polls, nd->polls + 1);
	if (unlikely(kicked))
		WRITE_ONCE(nd->wd_kick, false);
	done = nd->ops->poll(nd->rs, budget);
	if (unlikely(kicked) && done > 0)
		atomic_long_inc(&nd->wd_rescues);
	return done;
}

unsigned long pkrs_nd_watchdog_rescues(struct net_device *dev)
{
	return atomic_long_read(&pkrs_nd(dev)->wd_rescues);
}

struct net_device *pkrs_nd_alloc(const struct pkrs_nd_ops *ops, void *rs,
				 struct device *parent, const char *driver)
{
	struct net_device *dev = alloc_etherdev(sizeof(struct pkrs_nd));
	struct pkrs_nd *nd;

	if (!dev)
		return NULL;
	nd = pkrs_nd(dev);
	nd->ops = ops;
	nd->rs = rs;
	nd->driver = driver;
	SET_NETDEV_DEV(dev, parent);
	dev->netdev_ops = &pkrs_nd_netdev_ops;
	dev->ethtool_ops = &pkrs_nd_ethtool_ops;
	netif_napi_add(dev, &nd->napi, pkrs_nd_poll);
	timer_setup(&nd->retry, pkrs_nd_retry, 0);
	timer_setup(&nd->watchdog, pkrs_nd_watchdog, 0);
	atomic_long_set(&nd->wd_rescues, 0);
	return dev;
}

void pkrs_nd_set_rs(struct net_device *dev, void *rs)
{
	pkrs_nd(dev)->rs = rs;
}

void pkrs_nd_free(struct net_device *dev)
{
	timer_delete_sync(&pkrs_nd(dev)->retry);
	timer_delete_sync(&pkrs_nd(dev)->watchdog);
	netif_napi_del(&pkrs_nd(dev)->napi);
	free_netdev(dev);
}

int pkrs_nd_register(struct net_device *dev)
{
	return register_netdev(dev);
}

void pkrs_nd_unregister(struct net_device *dev)
{
	unregister_netdev(dev);
}

PKRS_FAST struct napi_struct *pkrs_nd_napi(struct net_device *dev)
{
	return &pkrs_nd(dev)->napi;
}

PKRS_FAST struct xdp_rxq_info *pkrs_nd_rxq(struct net_device *dev)
{
	return &pkrs_nd(dev)->rxq;
}

const char *pkrs_nd_name(struct net_device *dev)
{
	return netdev_name(dev);
}

int pkrs_nd_ifindex(struct net_device *dev)
{
	return dev->ifindex;
}

PKRS_FAST unsigned int pkrs_nd_mtu(struct net_device *dev)
{
	return READ_ONCE(dev->mtu);
}

void pkrs_nd_set_mac(struct net_device *dev, const u8 *mac)
{
	if (mac && is_valid_ether_addr(mac))
		eth_hw_addr_set(dev, mac);
	else
		eth_hw_addr_random(dev);
}

void pkrs_nd_set_name(struct net_device *dev, const char *name)
{
	strscpy(dev->name, name, sizeof(dev->name));
}

void pkrs_nd_set_mtu(struct net_device *dev, unsigned int min,
		     unsigned int max, unsigned int mtu)
{
	dev->min_mtu = min;
	dev->max_mtu = max;
	dev->mtu = mtu;
}

void pkrs_nd_set_headroom(struct net_device *dev, unsigned int headroom)
{
	dev->needed_headroom = headroom;
}

void pkrs_nd_set_xdp_features(struct net_device *dev, u32 features)
{
	dev->xdp_features = features;
}

void pkrs_nd_carrier(struct net_device *dev, bool on)
{
	if (on)
		netif_carrier_on(dev);
	else
		netif_carrier_off(dev);
}

void pkrs_nd_napi_enable(struct net_device *dev)
{
	struct pkrs_nd *nd = pkrs_nd(dev);

	napi_enable(&nd->napi);
	nd->wd_polls = READ_ONCE(nd->polls);
	WRITE_ONCE(nd->wd_on, true);
	mod_timer(&nd->watchdog, jiffies + PKRS_WATCHDOG_PERIOD);
}

void pkrs_nd_napi_disable(struct net_device *dev)
{
	struct pkrs_nd *nd = pkrs_nd(dev);

	/* The watchdog sees wd_on clear when it runs next, and re-arms no more. */
	WRITE_ONCE(nd->wd_on, false);
	timer_delete_sync(&nd->watchdog);
	napi_disable(&nd->napi);
	timer_delete_sync(&nd->retry);
}

static void pkrs_nd_ipi(void *info)
{
	napi_schedule(&pkrs_nd(info)->napi);
}

int pkrs_nd_interrupt_on(struct net_device *dev, int cpu)
{
	return smp_call_function_single(cpu, pkrs_nd_ipi, dev, 1);
}

void pkrs_nd_napi_schedule_later(struct net_device *dev, unsigned int ms)
{
	mod_timer(&pkrs_nd(dev)->retry, jiffies + msecs_to_jiffies(ms));
}

void pkrs_nd_napi_schedule(struct net_device *dev)
{
	napi_schedule(&pkrs_nd(dev)->napi);
}

PKRS_FAST bool pkrs_nd_napi_complete(struct net_device *dev, int done)
{
	return napi_complete_done(&pkrs_nd(dev)->napi, done);
}

PKRS_FAST void pkrs_nd_tx_lock(struct net_device *dev)
{
	__netif_tx_lock(netdev_get_tx_queue(dev, 0), smp_processor_id());
}

PKRS_FAST void pkrs_nd_tx_unlock(struct net_device *dev)
{
	__netif_tx_unlock(netdev_get_tx_queue(dev, 0));
}

void pkrs_nd_tx_lock_bh(struct net_device *dev)
{
	__netif_tx_lock_bh(netdev_get_tx_queue(dev, 0));
}

void pkrs_nd_tx_unlock_bh(struct net_device *dev)
{
	__netif_tx_unlock_bh(netdev_get_tx_queue(dev, 0));
}

void pkrs_nd_tx_start(struct net_device *dev)
{
	netif_tx_start_all_queues(dev);
}

PKRS_FAST void pkrs_nd_tx_stop(struct net_device *dev)
{
	netif_stop_queue(dev);
}

PKRS_FAST void pkrs_nd_tx_wake(struct net_device *dev)
{
	netif_wake_queue(dev);
}

PKRS_FAST bool pkrs_nd_tx_stopped(struct net_device *dev)
{
	return netif_queue_stopped(dev);
}

void pkrs_nd_tx_disable(struct net_device *dev)
{
	netif_tx_disable(dev);
}

PKRS_FAST bool pkrs_nd_xmit_more(void)
{
	return netdev_xmit_more();
}

int pkrs_nd_rxq_reg(struct net_device *dev, u32 mem_type, void *allocator)
{
	struct pkrs_nd *nd = pkrs_nd(dev);
	int err;

	err = xdp_rxq_info_reg(&nd->rxq, dev, 0, nd->napi.napi_id);
	if (err)
		return err;
	err = xdp_rxq_info_reg_mem_model(&nd->rxq, mem_type, allocator);
	if (err)
		xdp_rxq_info_unreg(&nd->rxq);
	return err;
}

void pkrs_nd_rxq_unreg(struct net_device *dev)
{
	struct pkrs_nd *nd = pkrs_nd(dev);

	if (xdp_rxq_info_is_reg(&nd->rxq))
		xdp_rxq_info_unreg(&nd->rxq);
}

PKRS_FAST void pkrs_xdp_prepare(struct xdp_buff *xdp, struct xdp_rxq_info *rxq,
		      void *hard_start, u32 frame_sz, u32 headroom, u32 len)
{
	xdp_init_buff(xdp, frame_sz, rxq);
	xdp_prepare_buff(xdp, hard_start, headroom, len, true);
}

PKRS_FAST u32 pkrs_xdp_run(struct bpf_prog *prog, struct xdp_buff *xdp)
{
	return bpf_prog_run_xdp(prog, xdp);
}

void pkrs_xdp_exception(struct net_device *dev, struct bpf_prog *prog,
			u32 act)
{
	trace_xdp_exception(dev, prog, act);
}

int pkrs_xdpf_push_hdr(struct xdp_frame *f, u32 hdr_len, void **data,
		       u32 *len)
{
	if (unlikely(f->headroom < hdr_len + sizeof(*f)))
		return -EOVERFLOW;
	f->data -= hdr_len;
	f->headroom -= hdr_len;
	f->len += hdr_len;
	memset(f->data, 0, hdr_len);
	*data = f->data;
	*len = f->len;
	return 0;
}

u32 pkrs_sizeof_xdp_buff(void)
{
	return sizeof(struct xdp_buff);
}

u32 pkrs_skb_shinfo_room(void)
{
	return SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
}

void *pkrs_skb_push_hdr(struct sk_buff *skb, u32 hdr_len)
{
	if (skb_linearize(skb) || skb_cow_head(skb, hdr_len))
		return NULL;
	/*
	 * The skb owes nothing to its socket or its conntrack entry while it
	 * waits in the ring (a netns or nf_conntrack going away would wait
	 * for it otherwise), as virtio_net does for skbs it does not free
	 * from a TX interrupt.
	 */
	skb_orphan(skb);
	nf_reset_ct(skb);
	return memset(skb_push(skb, hdr_len), 0, hdr_len);
}

void pkrs_skb_free_any(struct sk_buff *skb)
{
	dev_kfree_skb_any(skb);
}

PKRS_FAST void pkrs_nd_gro_receive(struct net_device *dev, struct sk_buff *skb)
{
	napi_gro_receive(&pkrs_nd(dev)->napi, skb);
}

struct sk_buff *pkrs_skb_copy_rx(struct net_device *dev, const void *data,
				 u32 len)
{
	struct sk_buff *skb = napi_alloc_skb(&pkrs_nd(dev)->napi, len);

	if (!skb)
		return NULL;
	skb_put_data(skb, data, len);
	skb_record_rx_queue(skb, 0);
	skb->protocol = eth_type_trans(skb, dev);
	return skb;
}
#endif /* !PKRS_SHIM_OUTLINE */
