/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bindgen reads for the network drivers (kernel/scripts/net_bindgen.mk):
 * the shim's netdev and virtio parts, and the kernel headers of the
 * exported functions the drivers call directly.
 */
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/netdevice.h>
#include <linux/virtio.h>
#include <net/xdp.h>

#include "pkrs_netdev.h"
#include "pkrs_virtio.h"
