/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio part of the C shim, for the Rust virtio-net driver
 * (kernel/drivers/net/virtio_xdp). Implemented in
 * kernel/drivers/net/virtio_xdp_shim.c; Rust declarations are generated
 * from this header by bindgen.
 *
 * The C side holds the virtio_driver (its ID and feature tables), the
 * virtqueue callbacks, which run in hard IRQ: they only mask the queue's
 * interrupts and schedule the NAPI of the device's netdev, and the link
 * status (VIRTIO_NET_F_STATUS), read in a work item on config changes and
 * turned into the netdev's carrier.
 */
#ifndef PKRS_VIRTIO_H
#define PKRS_VIRTIO_H

#include <linux/types.h>

struct device;
struct net_device;
struct virtio_device;
struct virtqueue;

/* The Rust driver's entry points (process context). */
struct pkrs_vdrv_ops {
	int (*probe)(struct virtio_device *vdev);
	void (*remove)(struct virtio_device *vdev);
};

/* register_virtio_driver() of the module's one virtio-net driver. */
int pkrs_virtio_register(const struct pkrs_vdrv_ops *ops, const char *name);
void pkrs_virtio_unregister(void);

struct device *pkrs_virtio_dev(struct virtio_device *vdev);
/*
 * Ties the netdev to the device: its NAPI is what the queue callbacks
 * schedule, its carrier follows the link status. Before find_vqs;
 * -ENOMEM. Undone by pkrs_virtio_detach() (after the device is reset).
 */
int pkrs_virtio_attach(struct virtio_device *vdev, struct net_device *dev);
void pkrs_virtio_detach(struct virtio_device *vdev);
struct net_device *pkrs_virtio_netdev(struct virtio_device *vdev);
bool pkrs_virtio_has_feature(struct virtio_device *vdev, unsigned int fbit);
/* The device's config space: MAC (6 bytes), MTU, link status bits. */
void pkrs_virtio_read_mac(struct virtio_device *vdev, u8 *mac);
u16 pkrs_virtio_read_mtu(struct virtio_device *vdev);
u16 pkrs_virtio_read_status(struct virtio_device *vdev);
/* virtio_device_ready(): the queues go live (before the netdev is
 * registered, so that it can be opened at once). */
void pkrs_virtio_ready(struct virtio_device *vdev);
/* Config change notifications on and the link status read once; only
 * after the netdev is registered. */
void pkrs_virtio_link_start(struct virtio_device *vdev);
void pkrs_virtio_reset(struct virtio_device *vdev);
/* Config change notifications off and the link-status work finished:
 * nothing touches the netdev for the device after this (before it is
 * unregistered, as virtnet_remove() does). */
void pkrs_virtio_config_quiesce(struct virtio_device *vdev);
/* The RX and TX queues of the first queue pair; their callbacks schedule
 * the NAPI of pkrs_virtio_netdev(vdev), which must be set before. */
int pkrs_virtio_find_vqs(struct virtio_device *vdev, struct virtqueue **rx,
			 struct virtqueue **tx);
void pkrs_virtio_del_vqs(struct virtio_device *vdev);

/* A buffer of len bytes at buf, as one scatterlist entry: for the device
 * to write (in) or read (out). */
int pkrs_vq_add_in(struct virtqueue *vq, void *buf, u32 len, void *token);
/* The same, for a buffer the caller has DMA-mapped for the queue's device
 * (virtqueue_dma_dev()). */
int pkrs_vq_add_in_mapped(struct virtqueue *vq, u64 addr, u32 len,
			  void *token);
int pkrs_vq_add_out(struct virtqueue *vq, void *buf, u32 len, void *token);
/* Descriptors free in the queue (vq->num_free). */
u32 pkrs_vq_num_free(struct virtqueue *vq);
/* virtqueue_kick_prepare() + virtqueue_notify(): true when notified. */
bool pkrs_vq_kick(struct virtqueue *vq);
/* Callbacks on (virtqueue_enable_cb_prepare()); 1 when buffers were used
 * meanwhile (callbacks are then off again: poll on), else 0. Negative only
 * when an error is injected: callbacks were left off. */
int pkrs_vq_rearm(struct virtqueue *vq);

/* The virtio-net header the device puts in front of each frame: its size
 * for the negotiated features. */
u32 pkrs_virtio_net_hdr_len(struct virtio_device *vdev);

#endif /* PKRS_VIRTIO_H */
