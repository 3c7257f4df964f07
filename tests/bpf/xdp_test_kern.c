// SPDX-License-Identifier: GPL-2.0
/*
 * XDP programs for the driver tests, one per object (tests/bpf/Makefile
 * builds each variant with -DVARIANT_<NAME>), all in section "xdp" so that
 * `ip link set dev X xdpdrv obj F sec xdp` attaches them.
 *
 *   drop      XDP_DROP without touching the frame
 *   drop_read XDP_DROP after reading the Ethernet header (the frame's
 *             first cache line is brought in)
 *   pass      XDP_PASS
 *   tx        swap the MAC addresses, XDP_TX
 *   aborted   XDP_ABORTED
 *   ret42     42, no XDP action: the driver's fall-through
 *   head_past bpf_xdp_adjust_head() further than the headroom: must fail
 *   head_ok   grow the head by 128 bytes and give them back: must work
 *   tail      grow the tail by 64 and shrink it back: must work; grow
 *             past the page: must fail
 *   meta      reserve 8 bytes of metadata: must work
 *
 * The adjust variants return XDP_PASS when the helpers behave as the
 * driver's room says, XDP_ABORTED when not, so the driver's aborted
 * counter (and the frames reaching the stack) tell the result.
 * Every variant counts the frames it saw in `seen` (one per-CPU slot).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} seen SEC(".maps");

static __always_inline void count(void)
{
	__u32 key = 0;
	__u64 *cnt = bpf_map_lookup_elem(&seen, &key);

	if (cnt)
		*cnt += 1;
}

SEC("xdp")
int xdp_test(struct xdp_md *ctx)
{
	count();
#if defined(VARIANT_drop)
	return XDP_DROP;
#elif defined(VARIANT_drop_read)
	{
		void *data_end = (void *)(long)ctx->data_end;
		struct ethhdr *eth = (void *)(long)ctx->data;

		if ((void *)(eth + 1) > data_end)
			return XDP_ABORTED;
		/* A frame nobody sends: keeps the read from being optimised out. */
		if (eth->h_proto == 0xffff && eth->h_dest[0] == 0xff)
			return XDP_PASS;
		return XDP_DROP;
	}
#elif defined(VARIANT_pass)
	return XDP_PASS;
#elif defined(VARIANT_tx)
	{
		void *data_end = (void *)(long)ctx->data_end;
		struct ethhdr *eth = (void *)(long)ctx->data;
		unsigned char tmp[ETH_ALEN];

		if ((void *)(eth + 1) > data_end)
			return XDP_DROP;
		__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
		__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
		__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
		return XDP_TX;
	}
#elif defined(VARIANT_aborted)
	return XDP_ABORTED;
#elif defined(VARIANT_ret42)
	return 42;
#elif defined(VARIANT_head_past)
	/* More than the whole page in front of the frame. */
	return bpf_xdp_adjust_head(ctx, -4096) ? XDP_PASS : XDP_ABORTED;
#elif defined(VARIANT_head_ok)
	{
		void *data, *data_end;

		if (bpf_xdp_adjust_head(ctx, -128))
			return XDP_ABORTED;
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		if (data + 128 > data_end)
			return XDP_ABORTED;
		__builtin_memset(data, 0xab, 128);
		return bpf_xdp_adjust_head(ctx, 128) ? XDP_ABORTED : XDP_PASS;
	}
#elif defined(VARIANT_tail)
	if (bpf_xdp_adjust_tail(ctx, 64))
		return XDP_ABORTED;
	if (bpf_xdp_adjust_tail(ctx, -64))
		return XDP_ABORTED;
	return bpf_xdp_adjust_tail(ctx, 4096) ? XDP_PASS : XDP_ABORTED;
#elif defined(VARIANT_meta)
	{
		void *data, *meta;

		if (bpf_xdp_adjust_meta(ctx, -8))
			return XDP_ABORTED;
		data = (void *)(long)ctx->data;
		meta = (void *)(long)ctx->data_meta;
		if (meta + 8 > data)
			return XDP_ABORTED;
		*(__u64 *)meta = 0x1122334455667788ULL;
		return XDP_PASS;
	}
#else
#error "build with -DVARIANT_<name>"
#endif
}

char _license[] SEC("license") = "GPL";
