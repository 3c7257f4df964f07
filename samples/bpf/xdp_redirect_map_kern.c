// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_redirect_map: send every frame arriving on one device out of another,
 * through a BPF_MAP_TYPE_DEVMAP (as the kernel's samples/bpf/xdp_redirect_map).
 *
 * tx_port has one entry: key 0, the egress device's ifindex, written by the
 * loader before it attaches the program. With cfg_rewrite_mac the
 * destination MAC address is set to cfg_dst_mac first (both set by the
 * loader in .rodata before the load, so the verifier and JIT see
 * constants).
 *
 * Counted per CPU: frames handed to the devmap (STAT_REDIRECTED; whether
 * the egress driver then sends them is not known here) and frames too short
 * to hold an Ethernet header (STAT_SHORT), which are dropped.
 *
 * xdp_pass_dummy is for the egress device: some drivers (virtio_net) only
 * transmit redirected frames while an XDP program of their own is loaded.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

/* Set by the loader (rewritten in .rodata before the load). */
volatile const __u8 cfg_dst_mac[ETH_ALEN];
volatile const __u32 cfg_rewrite_mac;

enum { STAT_REDIRECTED = 0, STAT_SHORT = 1, STAT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, STAT_MAX);
} rxcnt SEC(".maps");

/*
 * The value is struct bpf_devmap_val (ifindex, and a program to run before
 * the transmit, unused here); the loader sizes it for the running kernel.
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
	__uint(max_entries, 1);
} tx_port SEC(".maps");

static __always_inline void count(__u32 key)
{
	__u64 *cnt = bpf_map_lookup_elem(&rxcnt, &key);

	if (cnt)
		*cnt += 1; /* per-CPU slot: no other writer */
}

SEC("xdp")
int xdp_redirect_map(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	long ret;
	int i;

	if ((void *)(eth + 1) > data_end) {
		count(STAT_SHORT);
		return XDP_DROP;
	}
	if (cfg_rewrite_mac) {
		/* Byte by byte: each read of the volatile array is kept. */
#pragma unroll
		for (i = 0; i < ETH_ALEN; i++)
			eth->h_dest[i] = cfg_dst_mac[i];
	}
	/* XDP_REDIRECT, or XDP_ABORTED (flags 0) when key 0 is empty. */
	ret = bpf_redirect_map(&tx_port, 0, 0);
	if (ret == XDP_REDIRECT)
		count(STAT_REDIRECTED);
	return ret;
}

SEC("xdp")
int xdp_pass_dummy(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
