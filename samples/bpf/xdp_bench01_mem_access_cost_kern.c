// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_bench01_mem_access_cost: the cost of an XDP verdict with and without
 * touching the packet.
 *
 * Every frame gets the same verdict, chosen by the loader before the
 * program is loaded (the .rodata globals below). With cfg_read the program
 * reads the Ethernet header first, so the frame's first cache line is
 * brought in; with cfg_swapmac (for XDP_TX) it also swaps the MAC
 * addresses so the frame goes back to its sender.
 *
 * Counted per CPU: frames seen (STAT_PACKETS) and, apart, frames too short
 * to hold an Ethernet header (STAT_SHORT), which are always dropped.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

/* Set by the loader (rewritten in .rodata before the load). */
volatile const __u32 cfg_action = XDP_PASS;
volatile const __u32 cfg_read;
volatile const __u32 cfg_swapmac;

enum { STAT_PACKETS = 0, STAT_SHORT = 1, STAT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, STAT_MAX);
} bench_stats SEC(".maps");

static __always_inline void count(__u32 key)
{
	__u64 *cnt = bpf_map_lookup_elem(&bench_stats, &key);

	if (cnt)
		*cnt += 1; /* per-CPU slot: no other writer */
}

static __always_inline void swap_mac(struct ethhdr *eth)
{
	unsigned char tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
}

SEC("xdp")
int xdp_bench01(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	__u32 action = cfg_action;

	if ((void *)(eth + 1) > data_end) {
		count(STAT_SHORT);
		return XDP_DROP;
	}
	if (cfg_read) {
		/* A load the compiler must keep: the packet's first bytes. */
		volatile __u16 proto = eth->h_proto;
		(void)proto;
	}
	if (action == XDP_TX && cfg_swapmac)
		swap_mac(eth);
	count(STAT_PACKETS);
	return action;
}

char _license[] SEC("license") = "GPL";
