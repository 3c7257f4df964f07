// SPDX-License-Identifier: GPL-2.0
/*
 * The CPU-time probe's BPF programs (tools/pkrs-cputime): per CPU and per
 * softirq vector, the nanoseconds between irq:softirq_entry and
 * irq:softirq_exit (bpf_ktime_get_ns(): guest instructions when QEMU runs
 * with -icount shift=0) and the number of runs; and counts of the XDP
 * tracepoints that report a frame the kernel dropped: xdp:xdp_exception,
 * xdp:xdp_redirect_err, and the drops and sends xdp:xdp_devmap_xmit
 * reports for ndo_xdp_xmit, xdp_exception also per verdict. And per
 * device, the time of its NAPI polls in NET_RX: napi:napi_poll fires as a
 * poll returns, so the time since the softirq's entry or the poll before
 * it on that CPU is this poll's (with the little net_rx_action() does
 * between polls). Softirqs do not nest on one CPU, so one start time per
 * CPU is enough.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NR_VEC 10
#define NET_RX 3 /* NET_RX_SOFTIRQ, include/linux/interrupt.h */

/* The tracepoints' records after the 8-byte common header
 * (include/trace/events/irq.h, include/trace/events/xdp.h). */
struct softirq_args {
	__u64 common;
	unsigned int vec;
};

struct xdp_exception_args {
	__u64 common;
	int prog_id;
	__u32 act;
	int ifindex;
};

/* dev_name is a __data_loc: the string's offset in the record in the low
 * 16 bits, its length in the high 16. */
struct napi_poll_args {
	__u64 common;
	__u64 napi;
	__u32 dev_name;
	int work;
	int budget;
};

#define NAME_LEN 16
struct name {
	char s[NAME_LEN];
};

struct devmap_xmit_args {
	__u64 common;
	int from_ifindex;
	__u32 act;
	int to_ifindex;
	int drops;
	int sent;
	int err;
};

struct acc {
	__u64 ns;
	__u64 runs;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} cputime_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct acc);
	__uint(max_entries, NR_VEC);
} cputime_acc SEC(".maps");

/* xdp_exception by verdict: XDP_ABORTED..XDP_REDIRECT, then any other. */
#define NR_ACT 6
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, NR_ACT);
} cputime_exc SEC(".maps");

/* NET_RX: the last mark (softirq entry, or the poll before) per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} cputime_mark SEC(".maps");

/* Per device name: its polls' time and count. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, struct name);
	__type(value, struct acc);
	__uint(max_entries, 64);
} cputime_napi SEC(".maps");

/* 0: xdp_exception, 1: xdp_redirect_err, 2: devmap_xmit drops,
 * 3: devmap_xmit sent. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} cputime_xdp SEC(".maps");

SEC("tracepoint/irq/softirq_entry")
int softirq_entry(struct softirq_args *ctx)
{
	__u32 k = 0;
	__u64 *t = bpf_map_lookup_elem(&cputime_start, &k);
	__u64 now = bpf_ktime_get_ns(), *m;

	if (t)
		*t = now;
	m = bpf_map_lookup_elem(&cputime_mark, &k);
	if (m)
		*m = ctx->vec == NET_RX ? now : 0;
	return 0;
}

SEC("tracepoint/irq/softirq_exit")
int softirq_exit(struct softirq_args *ctx)
{
	__u32 k = 0, vec = ctx->vec;
	__u64 *t = bpf_map_lookup_elem(&cputime_start, &k);
	struct acc *a;
	__u64 *m;

	/* No start: the probe was attached inside this softirq. */
	if (!t || !*t || vec >= NR_VEC)
		return 0;
	a = bpf_map_lookup_elem(&cputime_acc, &vec);
	if (a) {
		a->ns += bpf_ktime_get_ns() - *t;
		a->runs += 1;
	}
	*t = 0;
	m = bpf_map_lookup_elem(&cputime_mark, &k);
	if (m)
		*m = 0;
	return 0;
}

SEC("tracepoint/napi/napi_poll")
int napi_poll(struct napi_poll_args *ctx)
{
	__u32 k = 0, off = ctx->dev_name & 0xffff;
	__u64 now = bpf_ktime_get_ns(), *m = bpf_map_lookup_elem(&cputime_mark, &k);
	struct name n = {};
	struct acc *a, z = {};

	/* Outside a NET_RX softirq that began after the probe: not counted. */
	if (!m || !*m)
		return 0;
	if (bpf_probe_read_kernel_str(n.s, sizeof(n.s), (void *)ctx + off) < 0)
		return 0;
	a = bpf_map_lookup_elem(&cputime_napi, &n);
	if (!a) {
		bpf_map_update_elem(&cputime_napi, &n, &z, BPF_NOEXIST);
		a = bpf_map_lookup_elem(&cputime_napi, &n);
	}
	if (a) {
		a->ns += now - *m;
		a->runs += 1;
	}
	*m = now;
	return 0;
}

static __always_inline void bump(__u32 k, __u64 by)
{
	__u64 *c = bpf_map_lookup_elem(&cputime_xdp, &k);

	if (c)
		*c += by;
}

SEC("tracepoint/xdp/xdp_exception")
int xdp_exception(struct xdp_exception_args *ctx)
{
	__u32 act = ctx->act < NR_ACT - 1 ? ctx->act : NR_ACT - 1;
	__u64 *c = bpf_map_lookup_elem(&cputime_exc, &act);

	if (c)
		*c += 1;
	bump(0, 1);
	return 0;
}

SEC("tracepoint/xdp/xdp_redirect_err")
int xdp_redirect_err(void *ctx)
{
	bump(1, 1);
	return 0;
}

SEC("tracepoint/xdp/xdp_devmap_xmit")
int xdp_devmap_xmit(struct devmap_xmit_args *ctx)
{
	if (ctx->drops > 0)
		bump(2, ctx->drops);
	if (ctx->sent > 0)
		bump(3, ctx->sent);
	return 0;
}

char _license[] SEC("license") = "GPL";
