# The XDP benchmark on the simulated CQ NIC (make run BENCH=xdp_sim): the
# XDP RX core with no emulated device in the way. The NIC's device thread
# (on another CPU) sends as fast as the ring takes frames; per pool and
# case, in one boot, rounds of every case repeated. One line per run, with
# the fields of tests/guest/xdp-bench.sh's (cfg=sim), for pkrs-check
# xdp-report, which checks each run's counts against each other:
#
#   sent: frames the device completed, rx: the driver's rx_packets, back:
#   frames the device sent with the MACs swapped, addressed back to the
#   sender and intact (its tx_intact: XDP_TX's, not the stack's), fwd: frames
#   cqsim1's device sent (XDP_REDIRECT out of it), ns: guest ns of the
#   send, from the ctl write to the driver's taking the last completion
#   (the NIC's job_ns), gns and napi_ns: ns the NAPI polls took (the driver's own
#   rx_poll_ns), sirq_ns: ns in the NET_RX softirq (pkrs-cputime's probe;
#   instructions with ICOUNT=1); prog, act, act_err, ipin and the
#   tracepoint counts as there.
#
# Environment: XB_DRIVERS (default "rs c rs-floor rs/generic c/generic"),
# XB_CASES ("none drop drop_read tx pass redirect"), XB_RUNS (rounds, 10),
# XB_COUNT (frames per run, 200000), XB_COPYBREAK (xdp_cqsim's copybreak,
# 0). $BPF: the tests' programs, $XDP_BIN: the samples' tools, $CPUTIME
# pkrs-cputime.
. /lib.sh
. /xdp-lib.sh

IP=/usr/bin/ip
ETHTOOL=/usr/sbin/ethtool
NC=/usr/bin/nc.openbsd
REDIRECT=$XDP_BIN/xdp_redirect_map
DRIVERS=${XB_DRIVERS:-rs c rs-floor rs/generic c/generic}
CASES=${XB_CASES:-none drop drop_read tx pass redirect}
RUNS=${XB_RUNS:-10}
COUNT=${XB_COUNT:-200000}
CB=${XB_COPYBREAK:-0}
DBG=/sys/kernel/debug/xdp_cqsim
CTL=$DBG/cqsim0/ctl

echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
cputime_start || exit 1
echo "@@XDP-BENCH-INFO cfg=sim commit=${XB_COMMIT:-unknown} icount=${XB_ICOUNT:-0} count=$COUNT rounds=$RUNS kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
# Guest ns: the kernel's monotonic clock, from /proc/timer_list's "now
# at" line (nanosecond resolution; /proc/uptime's 10 ms steps would be 5 %
# of a 200000-frame run at a million frames per second, and busybox's
# date has no %N).
gns() { awk '/^now at/ { print $3; exit }' /proc/timer_list; }
hwc() { awk -v k="$1" '{ for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' ${2:-$CTL}; }

attach_driver() {
	case $1 in
	rs | c) insmod $PKRS_MODS/xdp_cqsim.ko pool=$1 copybreak=$CB ;;
	rs-floor) insmod $PKRS_MODS/xdp_cqsim.ko pool=rs floor=1 ;;
	esac || return 1
	$IP addr add 10.0.3.2/24 dev cqsim0
	$IP link set cqsim0 up
	$IP link set cqsim1 up
	sleep 0.3
}

run_case() { # DRIVER MODE CASE RUN
	local d=$1 mode=$2 c=$3 run=$4 s0 s1 n0 n1 ns b0 f0 bgpid= redir=
	case $c in
	none) ;;
	redirect)
		[ $mode = generic ] && redir=--skb-mode
		$REDIRECT --dev cqsim0 --redirect-dev cqsim1 $redir >/tmp/redir.out 2>&1 &
		bgpid=$!
		sleep 1.5 ;;
	*) $IP -force link set dev cqsim0 xdp$mode obj $BPF/xdp_$c.o sec xdp || return 1 ;;
	esac
	if [ "$c" = pass ]; then
		$NC -u -l 9 >/dev/null &
		bgpid=$!
	fi
	sleep 0.2
	bc_read 0 xdp_cqsim cqsim0 $c $mode
	s0=$(hwc rx_sent) n0=$(xs cqsim0 rx_poll_ns)
	b0=$(hwc tx_intact) f0=$(hwc tx_sent $DBG/cqsim1/ctl)
	echo "send count=$COUNT size=64" >$CTL
	while [ "$(hwc pending)" != 0 ]; do sleep 0.05; done
	# The job's time as the NIC records it: from the send to the driver's
	# taking the last completion (this loop's 50 ms steps left out). 0, and
	# so an invalid run, if the driver never took them all.
	for _ in $(seq 100); do [ "$(hwc job_ns)" != 0 ] && break; sleep 0.05; done
	ns=$(hwc job_ns)
	sleep 0.2
	bc_read 1 xdp_cqsim cqsim0 $c $mode
	s1=$(hwc rx_sent) n1=$(xs cqsim0 rx_poll_ns)
	echo "@@XDP-BENCH cfg=sim driver=$d mode=$mode case=$c run=$run cb=$([ $d = rs-floor ] && echo 0 || echo $CB) sent=$((s1 - s0))" \
		"$(bc_fields $mode $c) back=$(($(hwc tx_intact) - b0)) fwd=$(($(hwc tx_sent $DBG/cqsim1/ctl) - f0))" \
		"ns=$ns gns=$((n1 - n0)) napi_ns=$((n1 - n0))"
	[ -n "$bgpid" ] && { kill $bgpid; wait $bgpid 2>/dev/null; }
	case $c in none | redirect) ;; *) $IP link set dev cqsim0 xdp$mode off ;; esac
}

for run in $(seq $RUNS); do
	for dm in $DRIVERS; do
		d=${dm%%/*} mode=drv
		[ "$dm" != "$d" ] && mode=generic
		attach_driver $d || { echo "cannot load xdp_cqsim for $d"; continue; }
		for c in $CASES; do
			[ $d = rs-floor ] && [ $c != none ] && continue
			run_case $d $mode $c $run
		done
		rmmod xdp_cqsim
	done
done
echo "@@XDP-BENCH-END"
