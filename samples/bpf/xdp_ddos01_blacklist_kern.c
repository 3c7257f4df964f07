// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_ddos01_blacklist: drop IPv4 frames from blacklisted sources and
 * TCP/UDP segments to blacklisted destination ports.
 *
 * Maps (pinned by name, so a second load and the command-line tool find
 * them again):
 *   blacklist      per-CPU hash, IPv4 source address (network byte order)
 *                  -> frames dropped for that source
 *   port_blacklist per-CPU hash, (protocol << 16 | port in host byte
 *                  order) -> frames dropped for that port
 *   verdict_cnt    per-CPU array, one slot per XDP action, plus slot
 *                  VERDICT_MALFORMED for frames too short for an Ethernet
 *                  header and IPv4 frames whose headers are cut short or
 *                  inconsistent (passed on to the stack, which drops them,
 *                  but not counted as XDP_PASS)
 *
 * Every header access is checked against data_end first; an IPv4 header
 * with options is skipped by its ihl. Up to two VLAN tags are skipped.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define VERDICT_MALFORMED (XDP_REDIRECT + 1)
#define VERDICT_MAX (VERDICT_MALFORMED + 1)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 100000);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} blacklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2 * 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} port_blacklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, VERDICT_MAX);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} verdict_cnt SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

static __always_inline int verdict(__u32 v)
{
	__u64 *cnt = bpf_map_lookup_elem(&verdict_cnt, &v);

	if (cnt)
		*cnt += 1;
	return v == VERDICT_MALFORMED ? XDP_PASS : v;
}

/* Bumps the per-CPU drop counter of a blacklist entry; false if absent. */
static __always_inline int listed(void *map, __u32 key)
{
	__u64 *cnt = bpf_map_lookup_elem(map, &key);

	if (!cnt)
		return 0;
	*cnt += 1;
	return 1;
}

SEC("xdp")
int xdp_ddos01_blacklist(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	struct iphdr *iph;
	__u16 proto, dport;
	__u32 ihl;
	int i;

	if (l3 > data_end)
		return verdict(VERDICT_MALFORMED); /* not even Ethernet */
	proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < 2; i++) {
		struct vlan_hdr *vh = l3;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return verdict(VERDICT_MALFORMED);
		proto = vh->encap_proto;
		l3 = vh + 1;
	}
	if (proto != bpf_htons(ETH_P_IP))
		return verdict(XDP_PASS);

	iph = l3;
	if ((void *)(iph + 1) > data_end)
		return verdict(VERDICT_MALFORMED);
	ihl = iph->ihl * 4;
	if (iph->version != 4 || ihl < sizeof(*iph) || l3 + ihl > data_end ||
	    bpf_ntohs(iph->tot_len) < ihl)
		return verdict(VERDICT_MALFORMED);

	if (listed(&blacklist, iph->saddr))
		return verdict(XDP_DROP);

	/* Only the first fragment carries the ports. */
	if (iph->frag_off & bpf_htons(0x1fff))
		return verdict(XDP_PASS);
	if (iph->protocol == IPPROTO_UDP) {
		struct udphdr *udp = l3 + ihl;

		if ((void *)(udp + 1) > data_end ||
		    bpf_ntohs(iph->tot_len) < ihl + sizeof(*udp))
			return verdict(VERDICT_MALFORMED);
		dport = bpf_ntohs(udp->dest);
	} else if (iph->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = l3 + ihl;

		if ((void *)(tcp + 1) > data_end ||
		    bpf_ntohs(iph->tot_len) < ihl + sizeof(*tcp))
			return verdict(VERDICT_MALFORMED);
		dport = bpf_ntohs(tcp->dest);
	} else {
		return verdict(XDP_PASS);
	}
	if (listed(&port_blacklist, (__u32)iph->protocol << 16 | dport))
		return verdict(XDP_DROP);
	return verdict(XDP_PASS);
}

char _license[] SEC("license") = "GPL";
