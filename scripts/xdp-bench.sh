#!/usr/bin/env bash
# The XDP benchmark (make run BENCH=xdp): boots the test box with the
# host-side generator feeding the NIC at PCI 00:09.0, runs
# tests/guest/xdp-bench.sh (each driver/mode and case, cases alternated,
# rounds) and prints the report of tools/pkrs-check (valid runs, medians
# with 95 % intervals, ratios paired by round; the raw @@XDP-BENCH lines
# stay in the log).
#
#   scripts/xdp-bench.sh [--kdir DIR] [--icount] [--sim] [--cfg "default like"]
#                        [--boots N] [--log FILE] [XB_NAME=VALUE...]
#
# --boots N (default 6): each configuration boots the box N times, and its
# log is the N console logs one after the other. A boot moves every
# figure by more than its own rounds' spread shows (the QEMU process, the
# host, the guest's memory layout), so the report takes one value per
# boot (the median of its rounds past the first) and gives the interval
# of the median over the boots; 6 is the fewest for a distribution-free
# 95 % interval (the lowest and highest of 6 boots: 96.9 %). Each boot
# runs XB_RUNS rounds, 2 when --boots is above 1 (a warm-up and one
# measured), else 10.
#
# --cfg: the QEMU device configurations, one boot each (default: both).
# default: QEMU's virtio-net-pci as it comes (virtio_net negotiates
# mergeable buffers, a control queue, offloads; virtio_xdp takes only
# MAC, MTU and STATUS). like: the offers cut down to what virtio_xdp uses
# (mrg_rxbuf=off, no control queue, no checksum or segmentation offload,
# one queue pair), so that both drivers run on the same features; its
# boot runs the drivers being compared (XB_LIKE_DRIVERS, "rs c virtio_net").
# With --log FILE and two configurations, FILE gets the first and
# FILE with -like before .log the second.
#
# --sim (make run BENCH=xdp_sim): the same on the simulated CQ NIC of
# xdp_cqsim instead (tests/guest/xdp-sim-bench.sh): no generator, no
# emulated device; the guest-ns column is the driver's NAPI time per frame.
#
# XB_DRIVERS (default: "rs c virtio_net rs-floor rs/generic
# virtio_net/generic"), XB_CASES ("none drop drop_read tx pass redirect"),
# XB_RUNS (rounds, 10), XB_SECS (2), XB_SIZE (64): see
# tests/guest/xdp-bench.sh. --icount counts guest instructions (the
# cost columns: instructions per frame in the NET_RX softirq).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

kdir=$PKRS_CACHE/linux icount= log= envs=() sim= cfgs="default like" boots=6 runs=
like_drivers="rs c virtio_net"
# What virtio_xdp negotiates, and nothing else: no mergeable buffers, no
# control queue (and so none of what needs it), no offloads, one queue.
like_opts=mrg_rxbuf=off,ctrl_vq=off,ctrl_rx=off,ctrl_vlan=off,ctrl_rx_extra=off
like_opts=$like_opts,ctrl_mac_addr=off,ctrl_guest_offloads=off,guest_announce=off,mq=off
like_opts=$like_opts,csum=off,guest_csum=off,gso=off,host_tso4=off,host_tso6=off
like_opts=$like_opts,host_ecn=off,host_ufo=off,guest_tso4=off,guest_tso6=off
like_opts=$like_opts,guest_ecn=off,guest_ufo=off
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) kdir=$2; shift 2 ;;
	--icount) icount=--icount; shift ;;
	--sim) sim=1; shift ;;
	--cfg) cfgs=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--boots) boots=$2; shift 2 ;;
	XB_LIKE_DRIVERS=*) like_drivers=${1#*=}; shift ;;
	XB_RUNS=*) runs=${1#*=}; shift ;;
	XB_*=*) envs+=(--env "$1"); shift ;;
	-h|--help) sed -n "2,$(($(grep -n '^set -euo' "$0" | cut -d: -f1) - 1))p" "$0"; exit 0 ;;
	*) pkrs_die "unknown argument $1 (XB_NAME=VALUE, --kdir, --icount, --sim, --cfg, --boots, --log)" ;;
	esac
done
case $boots in '' | *[!0-9]* | 0*) pkrs_die "--boots: a number of boots, 1 or more, not '$boots'" ;; esac
case $runs in '') [ "$boots" -gt 1 ] && runs=2 || runs=10 ;; *[!0-9]* | 0*) pkrs_die "XB_RUNS: a number of rounds, not '$runs'" ;; esac
envs+=(--env "XB_RUNS=$runs")
if [ -n "$sim" ]; then
	envs=(--env "XB_DRIVERS=rs c rs-floor rs/generic c/generic" "${envs[@]}")
	scenario=$top/tests/guest/xdp-sim-bench.sh gen=()
else
	envs=(--env "XB_DRIVERS=rs c virtio_net rs-floor rs/generic virtio_net/generic" "${envs[@]}")
	scenario=$top/tests/guest/xdp-bench.sh gen=(--gen)
fi

for c in $cfgs; do
	case $c in default | like) ;; *) pkrs_die "--cfg: default or like, not $c" ;; esac
done
[ -n "$sim" ] && cfgs=default
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/extra/bpf"
make -s -C "$top/tests/bpf" O="$work/extra/bpf"
(cd "$top/tools/pkrs-pktgen" && cargo build -q --release)
(cd "$top/tools/pkrs-check" && cargo build -q --release)
(cd "$top/tools/pkrs-cputime" && cargo build -q --release)
make -s -C "$top/samples/bpf"
xb=$top/samples/bpf/tools/target/release
ct=$top/tools/pkrs-cputime/target/release/pkrs-cputime
if [ -z "$log" ]; then
	log=$PKRS_CACHE/runs/xdp-bench${sim:+-sim}-$(date +%Y%m%d-%H%M%S)${icount:+-icount}.log
fi
# A --log into a directory that is not there yet (a new machine's cache).
mkdir -p "$(dirname "$log")"
logs=()
for c in $cfgs; do
	# The console log, with the raw @@XDP-BENCH lines, is kept.
	l=$log opts=() cenv=(--env XB_CFG=$c --env XB_COMMIT="$(pkrs_commit)" --env XB_ICOUNT=${icount:+1})
	[ "$c" = like ] && [ "$cfgs" != like ] && l=${log%.log}-like.log
	[ "$c" = like ] && opts=(--nic-opts "$like_opts") cenv+=(--env "XB_DRIVERS=$like_drivers")
	: >"$l"
	rm -f "$l.gen"
	for b in $(seq 1 "$boots"); do
		# One TCG thread: the scenario attaches programs between sends, and
		# multi-threaded TCG can oops on that (see testbox.sh --tcg-single).
		"$here/testbox.sh" --kdir "$kdir" --tcg-single $icount "${gen[@]}" ${opts[@]+"${opts[@]}"} \
			--timeout 5400 --log "$l.boot" --env BPF=/bpf --env XDP_BIN="$xb" --env CPUTIME="$ct" \
			"${envs[@]}" "${cenv[@]}" --bin /usr/bin/ip --bin /usr/sbin/ethtool \
			--bin "$xb/xdp_redirect_map" --bin "$ct" \
			--bin /usr/bin/nc.openbsd --extra "$work/extra" --scenario "$scenario" \
			>/dev/null
		grep -q '^@@XDP-BENCH-END' "$l.boot" || pkrs_die "the benchmark did not finish in boot $b of $boots (see $l.boot)"
		# The boots one after the other, each from its @@PKRS-BOOTED line.
		cat "$l.boot" >>"$l"
		[ -f "$l.boot.gen" ] && cat "$l.boot.gen" >>"$l.gen"
		rm -f "$l.boot" "$l.boot.gen"
	done
	logs+=("$l")
done
for l in "${logs[@]}"; do
	echo "XDP benchmark${sim:+ on the simulated CQ NIC}, kernel $(sed -n '/@@PKRS-BOOTED/{s/.*@@PKRS-BOOTED \([^ ]*\).*/\1/p;q}' "$l"), QEMU TCG one thread${icount:+, -icount shift=0 (cost = instructions)}; log: $l"
	"$top/tools/pkrs-check/target/release/pkrs-check" xdp-report "$l"
done
