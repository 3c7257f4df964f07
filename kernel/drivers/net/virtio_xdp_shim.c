// SPDX-License-Identifier: GPL-2.0
/*
 * The C shim of virtio_xdp.ko: the project's common shim, its netdev and
 * XDP part, and the virtio part (kernel/include/pkrs_virtio.h).
 */
#include "../../lib/pkrs_shim.c"
#include "../../lib/pkrs_netdev.c"

#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/workqueue.h>

#include "../../include/pkrs_virtio.h"

#ifndef PKRS_SHIM_OUTLINE

/* What vdev->priv points to. */
struct pkrs_vdev {
	struct virtio_device *vdev;
	struct net_device *dev;
	struct work_struct config_work;
};

static const struct pkrs_vdrv_ops *pkrs_vdrv_ops;



static const struct virtio_device_id pkrs_virtio_ids[] = {
	{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

/*
 * What the driver negotiates: the MAC and MTU in config space and the link
 * status. No offloads (the frames arrive whole and checksummed), no
 * mergeable buffers (one buffer, one page, per frame), no control queue
 * (so no VLAN filtering: tagged frames reach the driver), one queue pair.
 */
static const unsigned int pkrs_virtio_features[] = {
	VIRTIO_NET_F_MAC, VIRTIO_NET_F_MTU, VIRTIO_NET_F_STATUS,
};

static int pkrs_virtio_probe(struct virtio_device *vdev)
{
	return pkrs_vdrv_ops->probe(vdev);
}

static void pkrs_virtio_remove(struct virtio_device *vdev)
{
	pkrs_vdrv_ops->remove(vdev);
}

static void pkrs_virtio_config_work(struct work_struct *work)
{
	struct pkrs_vdev *pv = container_of(work, struct pkrs_vdev, config_work);
	u16 status;

	/*
	 * The driver quiesces this work before it unregisters the netdev: a
	 * carrier change on a netdev being unregistered would queue it for
	 * linkwatch after its last reference was waited for.
	 */
	if (WARN_ONCE(READ_ONCE(pv->dev->reg_state) > NETREG_REGISTERED,
		      "%s: link-status work after unregister\n", pv->dev->name))
		return;
	if (!virtio_has_feature(pv->vdev, VIRTIO_NET_F_STATUS)) {
		netif_carrier_on(pv->dev);
		return;
	}
	status = virtio_cread16(pv->vdev,
				offsetof(struct virtio_net_config, status));
	if (status & VIRTIO_NET_S_LINK_UP)
		netif_carrier_on(pv->dev);
	else
		netif_carrier_off(pv->dev);
}

/* Hard IRQ (virtio_config_changed()): read the status in process context. */
static void pkrs_virtio_config_changed(struct virtio_device *vdev)
{
	struct pkrs_vdev *pv = vdev->priv;

	if (pv)
		schedule_work(&pv->config_work);
}

static struct virtio_driver pkrs_virtio_driver = {
	.feature_table = pkrs_virtio_features,
	.feature_table_size = ARRAY_SIZE(pkrs_virtio_features),
	.id_table = pkrs_virtio_ids,
	.probe = pkrs_virtio_probe,
	.remove = pkrs_virtio_remove,
	.config_changed = pkrs_virtio_config_changed,
};

int pkrs_virtio_register(const struct pkrs_vdrv_ops *ops, const char *name)
{
	pkrs_vdrv_ops = ops;
	pkrs_virtio_driver.driver.name = name;
	return register_virtio_driver(&pkrs_virtio_driver);
}

void pkrs_virtio_unregister(void)
{
	unregister_virtio_driver(&pkrs_virtio_driver);
}

struct device *pkrs_virtio_dev(struct virtio_device *vdev)
{
	return &vdev->dev;
}

int pkrs_virtio_attach(struct virtio_device *vdev, struct net_device *dev)
{
	struct pkrs_vdev *pv = kzalloc(sizeof(*pv), GFP_KERNEL);

	if (!pv)
		return -ENOMEM;
	pv->vdev = vdev;
	pv->dev = dev;
	INIT_WORK(&pv->config_work, pkrs_virtio_config_work);
	vdev->priv = pv;
	return 0;
}

void pkrs_virtio_detach(struct virtio_device *vdev)
{
	struct pkrs_vdev *pv = vdev->priv;

	if (!pv)
		return;
	virtio_config_driver_disable(vdev);
	cancel_work_sync(&pv->config_work);
	vdev->priv = NULL;
	kfree(pv);
}

struct net_device *pkrs_virtio_netdev(struct virtio_device *vdev)
{
	struct pkrs_vdev *pv = vdev->priv;

	return pv ? pv->dev : NULL;
}

bool pkrs_virtio_has_feature(struct virtio_device *vdev, unsigned int fbit)
{
	return virtio_has_feature(vdev, fbit);
}

void pkrs_virtio_read_mac(struct virtio_device *vdev, u8 *mac)
{
	virtio_cread_bytes(vdev, offsetof(struct virtio_net_config, mac), mac,
			   ETH_ALEN);
}

u16 pkrs_virtio_read_mtu(struct virtio_device *vdev)
{
	return virtio_cread16(vdev, offsetof(struct virtio_net_config, mtu));
}

u16 pkrs_virtio_read_status(struct virtio_device *vdev)
{
	return virtio_cread16(vdev, offsetof(struct virtio_net_config, status));
}

void pkrs_virtio_ready(struct virtio_device *vdev)
{
	virtio_device_ready(vdev);
}

void pkrs_virtio_link_start(struct virtio_device *vdev)
{
	struct pkrs_vdev *pv = vdev->priv;

	/*
	 * Only once the netdev is registered (virtnet_probe()'s order): the
	 * work must not set the carrier of a netdev that register_netdev()
	 * is still setting up or rolling back.
	 */
	virtio_config_driver_enable(vdev);
	if (pv)
		schedule_work(&pv->config_work);
}

void pkrs_virtio_reset(struct virtio_device *vdev)
{
	virtio_reset_device(vdev);
}

void pkrs_virtio_config_quiesce(struct virtio_device *vdev)
{
	struct pkrs_vdev *pv = vdev->priv;

	virtio_config_driver_disable(vdev);
	if (pv)
		flush_work(&pv->config_work);
}

/* Hard IRQ: mask this queue and let the NAPI poll do the work. */
static void pkrs_vq_callback(struct virtqueue *vq)
{
	struct net_device *dev = pkrs_virtio_netdev(vq->vdev);

	virtqueue_disable_cb(vq);
	if (dev)
		napi_schedule(pkrs_nd_napi(dev));
}

int pkrs_virtio_find_vqs(struct virtio_device *vdev, struct virtqueue **rx,
			 struct virtqueue **tx)
{
	struct virtqueue_info info[] = {
		{ "input.0", pkrs_vq_callback },
		{ "output.0", pkrs_vq_callback },
	};
	struct virtqueue *vqs[2];
	int err;

	err = virtio_find_vqs(vdev, 2, vqs, info, NULL);
	if (err)
		return err;
	*rx = vqs[0];
	*tx = vqs[1];
	return 0;
}

void pkrs_virtio_del_vqs(struct virtio_device *vdev)
{
	vdev->config->del_vqs(vdev);
}

PKRS_FAST int pkrs_vq_add_in(struct virtqueue *vq, void *buf, u32 len,
			     void *token)
{
	struct scatterlist sg;

	sg_init_one(&sg, buf, len);
	return virtqueue_add_inbuf(vq, &sg, 1, token, GFP_ATOMIC);
}

PKRS_FAST int pkrs_vq_add_in_mapped(struct virtqueue *vq, u64 addr, u32 len,
				    void *token)
{
	struct scatterlist sg;

	sg_init_table(&sg, 1);
	sg_dma_address(&sg) = addr;
	sg_dma_len(&sg) = len;
	return virtqueue_add_inbuf_premapped(vq, &sg, 1, token, NULL,
					     GFP_ATOMIC);
}

PKRS_FAST int pkrs_vq_add_out(struct virtqueue *vq, void *buf, u32 len,
			      void *token)
{
	struct scatterlist sg;

	sg_init_one(&sg, buf, len);
	return virtqueue_add_outbuf(vq, &sg, 1, token, GFP_ATOMIC);
}

PKRS_FAST u32 pkrs_vq_num_free(struct virtqueue *vq)
{
	return vq->num_free;
}

PKRS_FAST bool pkrs_vq_kick(struct virtqueue *vq)
{
	return virtqueue_kick_prepare(vq) && virtqueue_notify(vq);
}

u32 pkrs_virtio_net_hdr_len(struct virtio_device *vdev)
{
	if (virtio_has_feature(vdev, VIRTIO_F_VERSION_1))
		return sizeof(struct virtio_net_hdr_mrg_rxbuf);
	return sizeof(struct virtio_net_hdr);
}
#endif /* !PKRS_SHIM_OUTLINE */

#ifndef PKRS_SHIM_INLINE
/*
 * noinline and error-injectable: fail_function on it (any errno) makes a
 * re-arm return at once with the callback left off, an interrupt lost as
 * the device could lose it (the RX watchdog's test). Outside the inlined
 * part (see pkrs_shim.h), so that the call stays a call whose result the
 * compiler cannot know.
 */
noinline int pkrs_vq_rearm(struct virtqueue *vq)
{
	unsigned int opaque = virtqueue_enable_cb_prepare(vq);

	if (likely(!virtqueue_poll(vq, opaque)))
		return 0;
	virtqueue_disable_cb(vq);
	return 1;
}
ALLOW_ERROR_INJECTION(pkrs_vq_rearm, ERRNO);
#endif /* !PKRS_SHIM_INLINE */
