#!/usr/bin/env bash
# The XDP benchmark (make run BENCH=xdp): boots the test box with the
# host-side generator feeding the NIC at PCI 00:09.0, runs
# tests/guest/xdp-bench.sh (each driver/mode and case, cases alternated,
# several runs) and prints the report of tools/pkrs-check (medians,
# spread, both counts, ratios; the raw @@XDP-BENCH lines stay in the log).
#
#   scripts/xdp-bench.sh [--kdir DIR] [--icount] [--sim] [--log FILE] [XB_NAME=VALUE...]
#
# --sim (make run BENCH=xdp_sim): the same on the simulated CQ NIC of
# xdp_cqsim instead (tests/guest/xdp-sim-bench.sh): no generator, no
# emulated device; the guest-ns column is the driver's NAPI time per frame.
#
# XB_DRIVERS (default: "rs c virtio_net rs-floor rs/generic c/generic
# virtio_net/generic"), XB_CASES ("none drop drop_read tx pass redirect"), XB_RUNS
# (5), XB_SECS (2), XB_SIZE (64): see tests/guest/xdp-bench.sh. --icount
# times by guest instructions (the guest-ns/pkt column).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

kdir=$PKRS_CACHE/linux icount= log= envs=() sim=
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) kdir=$2; shift 2 ;;
	--icount) icount=--icount; shift ;;
	--sim) sim=1; shift ;;
	--log) log=$2; shift 2 ;;
	XB_*=*) envs+=(--env "$1"); shift ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	*) pkrs_die "unknown argument $1 (XB_NAME=VALUE, --kdir, --icount, --log)" ;;
	esac
done
if [ -n "$sim" ]; then
	envs=(--env "XB_DRIVERS=rs c rs-floor rs/generic c/generic" "${envs[@]}")
	scenario=$top/tests/guest/xdp-sim-bench.sh gen=()
else
	envs=(--env "XB_DRIVERS=rs c virtio_net rs-floor rs/generic c/generic virtio_net/generic" "${envs[@]}")
	scenario=$top/tests/guest/xdp-bench.sh gen=(--gen)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/extra/bpf"
make -s -C "$top/tests/bpf" O="$work/extra/bpf"
(cd "$top/tools/pkrs-pktgen" && cargo build -q --release)
(cd "$top/tools/pkrs-check" && cargo build -q --release)
make -s -C "$top/samples/bpf"
xb=$top/samples/bpf/tools/target/release
# The console log, with the raw @@XDP-BENCH lines, is kept.
if [ -z "$log" ]; then
	mkdir -p "$PKRS_CACHE/runs"
	log=$PKRS_CACHE/runs/xdp-bench${sim:+-sim}-$(date +%Y%m%d-%H%M%S)${icount:+-icount}.log
fi
# One TCG thread: the scenario attaches programs between sends, and
# multi-threaded TCG can oops on that (see testbox.sh --tcg-single).
"$here/testbox.sh" --kdir "$kdir" --tcg-single $icount "${gen[@]}" --timeout 3000 --log "$log" \
	--env BPF=/bpf --env XDP_BIN="$xb" "${envs[@]}" --bin /usr/bin/ip --bin /usr/sbin/ethtool \
	--bin "$xb/xdp_redirect_map" \
	--bin /usr/bin/nc.openbsd --extra "$work/extra" --scenario "$scenario" \
	>/dev/null
grep -q '^@@XDP-BENCH-END' "$log" || pkrs_die "the benchmark did not finish (see $log)"
echo "XDP benchmark${sim:+ on the simulated CQ NIC}, kernel $(sed -n 's/.*@@PKRS-BOOTED \([^ ]*\).*/\1/p' "$log"), QEMU TCG one thread${icount:+, -icount shift=0 (guest-ns = instructions)}; log: $log"
"$top/tools/pkrs-check/target/release/pkrs-check" xdp-report "$log"
