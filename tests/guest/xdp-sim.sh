# The XDP RX core on its second backend: xdp_cqsim's simulated
# completion-queue NICs (cqsim0, cqsim1), pool $POOL. The NIC's
# "hardware" is the sender: its device thread writes the frames into the
# posted buffers and counts what comes back on the XDP send queue; the
# shared steps of tests/guest/xdp-lib.sh run against it as against
# virtio_xdp, then the backend's own: ring wraps, a full CQ and a full
# XDP SQ, REDIRECT between the two NICs, rmmod under traffic, leaks.
. /lib.sh
. /xdp-lib.sh

IP=/usr/bin/ip
ETHTOOL=/usr/sbin/ethtool
NC=/usr/bin/nc.openbsd
REDIRECT=$XDP_BIN/xdp_redirect_map
N=${N:-20000}
TRACE=/sys/kernel/tracing
DRV_MOD=xdp_cqsim
DBG=/sys/kernel/debug/xdp_cqsim

echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
mount -t tracefs nodev $TRACE 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
errs0=$(dma_api_errors)

# up: the module loaded with ARGS, cqsim0 (10.0.3.2) and cqsim1 up. With
# copybreak=256 (virtio_xdp's tests run with the default, 0), so that the
# shared steps hand small frames to the stack as copies here.
up() {
	insmod $PKRS_MODS/xdp_cqsim.ko pool=$POOL copybreak=256 "$@" || return 1
	NIC=cqsim0 POOL_STATS=$DBG/cqsim0-rx0/stats CTL=$DBG/cqsim0/ctl
	$IP addr add 10.0.3.2/24 dev cqsim0 &&
		$IP link set cqsim0 up && $IP link set cqsim1 up
}
# Bad parameters: EINVAL with a reason, no netdev made, nothing left.
step sim.bad_rq insmod $PKRS_MODS/xdp_cqsim.ko rq=100
step sim.bad_cq insmod $PKRS_MODS/xdp_cqsim.ko cq=8
step sim.bad_sq insmod $PKRS_MODS/xdp_cqsim.ko sq=8192
step sim.bad_nics insmod $PKRS_MODS/xdp_cqsim.ko nics=5
step sim.bad_pool insmod $PKRS_MODS/xdp_cqsim.ko pool=x
step sim.bad_floor insmod $PKRS_MODS/xdp_cqsim.ko floor=2
step sim.bad_hw_cpu insmod $PKRS_MODS/xdp_cqsim.ko hw_cpu=64
step sim.bad_clean refused_clean xdp_cqsim pool=$POOL rq=100
step sim.bad_no_netdev sh -c '! ls -d /sys/class/net/cqsim*'
step sim.load up
step sim.info sh -c "$ETHTOOL -i cqsim0 | tee /dev/stderr | grep -q '^driver: xdp_cqsim$'"

# hwc NAME [CTL]: a counter of the device (its ctl file).
hwc() { awk -v k="$1" '{ for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' ${2:-$CTL}; }
# The device takes count, size, kind, rate and flows; the generator's
# other settings (addresses, ports) have no meaning here.
dev_args() {
	local a out=
	for a in "$@"; do
		case $a in count=* | size=* | kind=* | rate=* | flows=*) out="$out $a" ;; esac
	done
	echo "$out"
}
# wait_sent [SECS]: until the device has nothing pending (20 s at most).
wait_sent() {
	local i=0 max=$((${1:-20} * 10))
	while [ "$(hwc pending)" != 0 ]; do
		i=$((i + 1))
		[ $i -gt $max ] && { echo "the device still has $(hwc pending) frames pending"; return 1; }
		sleep 0.1
	done
}
# The backend's part of tests/guest/xdp-lib.sh: the device sends.
send() {
	local n=$1 s0 d0 r; shift
	s0=$(hwc rx_sent) d0=$(($(hwc rx_out_of_buffer) + $(hwc rx_cq_full)))
	echo "send count=$n size=60 $(dev_args "$@")" >$CTL || return 1
	wait_sent || return 1
	sleep 0.2
	sent=$(($(hwc rx_sent) - s0)) r=$(($(hwc rx_out_of_buffer) + $(hwc rx_cq_full) - d0))
	echo "device: sent $sent, dropped $r"
}
send_for() {
	local secs=$1 s0; shift
	s0=$(hwc rx_sent)
	echo "send count=1000000000 size=60 $(dev_args "$@")" >$CTL || return 1
	sleep $secs
	echo stop >$CTL
	sleep 0.2
	sent=$(($(hwc rx_sent) - s0))
	echo "device: sent $sent in $secs s"
}
back_reset() {
	tx0=$(hwc tx_sent) sw0=$(hwc tx_swapped) in0=$(hwc tx_intact) co0=$(hwc tx_corrupt)
	ro0=$(hwc tx_reordered)
}
back_wait() {
	local i=0
	while [ $(($(hwc tx_sent) - tx0)) -lt $1 ] && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	back=$(($(hwc tx_sent) - tx0)) swapped=$(($(hwc tx_swapped) - sw0))
	intact=$(($(hwc tx_intact) - in0)) corrupt=$(($(hwc tx_corrupt) - co0))
	reordered=$(($(hwc tx_reordered) - ro0))
	echo "device: got back $back, MAC-swapped $swapped: intact $intact, corrupt $corrupt, out of order $reordered"
}
bg_start() {
	echo "send count=1000000000 size=60" >$CTL
	(sleep $1; [ -e $CTL ] && echo stop >$CTL) &
	bg=$!
}
bg_finish() {
	wait $bg
	bg_ok=0
	[ -e $CTL ] && [ "$(hwc pending)" = 0 ] && bg_ok=1
}

xdp_actions

# --- what is the backend's own ---------------------------------------------------------
# REDIRECT through a devmap from cqsim0 out of cqsim1, whose device counts
# what it sends.
# redirect_round N ARGS: sets dt (cqsim1's device sent), dx, dxe (cqsim1's
# ndo_xdp_xmit sent and refused).
redirect_round() {
	local t0 x0 e0 pid n=$1; shift
	t0=$(hwc tx_sent $DBG/cqsim1/ctl) x0=$(xs cqsim1 tx_xdp_xmit) e0=$(xs cqsim1 tx_xdp_xmit_err)
	$REDIRECT --dev cqsim0 --redirect-dev cqsim1 --sec 60 >/tmp/redir.out 2>&1 &
	pid=$!
	sleep 1.5
	send $n "$@" || { kill $pid; return 1; }
	sleep 0.5
	kill -TERM $pid
	wait $pid
	rc=$?
	grep -v '^XDP_REDIRECT ' /tmp/redir.out
	check "the tool exited 0" [ $rc = 0 ]
	dt=$(($(hwc tx_sent $DBG/cqsim1/ctl) - t0))
	dx=$(($(xs cqsim1 tx_xdp_xmit) - x0)) dxe=$(($(xs cqsim1 tx_xdp_xmit_err) - e0))
	echo "sent $sent; cqsim1 ndo_xdp_xmit sent +$dx, refused +$dxe; cqsim1's device sent +$dt"
}
sim_redirect() {
	redirect_round $N rate=20000 || return 1
	check "paced: every frame redirected left through cqsim1's ndo_xdp_xmit and was sent" [ $dt = $N ]
	redirect_round $N || return 1
	check "flat out: sent + refused (full SQ) = every frame redirected" [ $((dx + dxe)) = $N ]
	check "flat out: cqsim1's device sent what its ndo_xdp_xmit took" [ $dt = $dx ]
	done_step
}
step sim.redirect sim_redirect
step sim.rmmod rmmod_under_traffic

# A full CQ: a CQ of 16 for a ring of 256, the device at a rate it cannot
# hold (a real NIC then drops): every frame is received or counted as
# dropped by the device, none lost.
cq_full() {
	local p0
	up cq=16 || return 1
	xdp_on $NIC drop || return 1
	p0=$(xs $NIC rx_packets)
	echo "send count=$N size=60 rate=10000000 moder=256" >$CTL
	wait_sent || return 1
	sleep 0.3
	cat $CTL
	rx=$(($(xs $NIC rx_packets) - p0)) s=$(hwc rx_sent) full=$(hwc rx_cq_full) oob=$(hwc rx_out_of_buffer)
	echo "driver rx_packets +$rx; device sent $s, CQ full $full, out of buffer $oob"
	check "some frames met a full CQ" [ $full -gt 0 ]
	check "the driver received exactly what the device completed" [ $rx = $s ]
	check "sent + dropped = every frame" [ $((s + full + oob)) = $N ]
	xdp_off $NIC
	rmmod xdp_cqsim
	done_step
}
step sim.cq_full cq_full
# A full XDP SQ: 16 entries, XDP_TX as fast as the device sends.
# Each drop is traced as upstream drivers do (xdp_exception with action
# XDP_TX), and what is sent keeps its order.
sq_full() {
	local t
	up sq=16 || return 1
	xdp_on $NIC tx || return 1
	echo 1 >$TRACE/events/xdp/xdp_exception/enable
	echo >$TRACE/trace
	back_reset
	f0=$(xs $NIC rx_xdp_tx_full)
	send $N || return 1
	back_wait 1
	dt=$(xs $NIC tx_xdp_tx) df=$(($(xs $NIC rx_xdp_tx_full) - f0))
	t=$(trace_count "action=TX ")
	echo 0 >$TRACE/events/xdp/xdp_exception/enable
	echo "sent $sent; tx_xdp_tx $dt; dropped, SQ full $df; xdp_exception XDP_TX events $t; device got back $back, swapped $swapped"
	check "some XDP_TX frames met a full SQ" [ $df -gt 0 ]
	check "XDP_TX sent + dropped = every frame" [ $((dt + df)) = $N ]
	check "one xdp_exception event (action XDP_TX) per drop" [ "$t" = $df ]
	check "the device got back exactly the frames sent, MAC-swapped" [ $swapped = $dt -a $back = $dt ]
	check "each as it was sent, in the order sent" [ $intact = $dt -a $corrupt = 0 -a $reordered = 0 ]
	xdp_off $NIC
	rmmod xdp_cqsim
	done_step
}
step sim.sq_full sq_full

# netconsole on cqsim0 (on the debug kernel, which has it), to the
# device's peer address, while XDP_TX bounces every frame the device sends
# into an SQ of 16: netpoll finds the SQ full and polls the NIC with a
# budget of 0, with interrupts off. Such a poll must only reap TX (no XDP,
# no page pool: the kernel pool's lockdep check and the native pool's
# debug check warn otherwise). The trace shows those polls happened
# (napi_poll with budget 0); the device sends every message (to their
# own MAC address, so that they are not taken for bounces).
# XDP_TX and the stack share the one SQ: while the bounces keep it full,
# netpoll queues what it cannot send and retries every 100 ms, so some
# messages go out only when the load stops. And netconsole is an nbcon
# console: a printer kthread hands the messages to netpoll after
# /dev/kmsg took them, late under load, and drops what is above the
# console level when it gets to them. So the load runs until a budget-0
# poll was seen (at most 10 s), and the console level stays up until the
# device has sent the 300 messages (at most 20 s after the load stopped).
netconsole_test() {
	local polls t0 s0 msgs i=0
	# Frames the device sent that were not bounces, from one snapshot
	# of its counters.
	unbounced() {
		cat $CTL >/tmp/nc.ctl
		echo $(( ($(hwc tx_sent /tmp/nc.ctl) - t0) - ($(hwc tx_swapped /tmp/nc.ctl) - s0) ))
	}
	up sq=16 || return 1
	insmod $KMODS/netconsole.ko netconsole=6665@10.0.3.2/cqsim0,6666@10.0.3.1/52:54:00:00:00:f1 ||
		return 1
	xdp_on $NIC tx || return 1
	echo 'budget == 0' >$TRACE/events/napi/napi_poll/filter
	echo 1 >$TRACE/events/napi/napi_poll/enable
	echo >$TRACE/trace
	t0=$(hwc tx_sent) s0=$(hwc tx_swapped)
	echo "send count=1000000000 size=60" >$CTL
	sleep 0.5
	dmesg -n 8
	while [ $i -lt 300 ]; do
		echo "pkrs netconsole test $i" >/dev/kmsg
		i=$((i + 1))
	done
	i=0
	while [ "$(trace_count "budget 0")" = 0 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "under load: $(unbounced) messages sent after $i x 0.1 s"
	echo stop >$CTL
	echo 0 >$TRACE/events/napi/napi_poll/enable
	i=0
	while msgs=$(unbounced) && [ $msgs -lt 300 -a $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "after the load: $i x 0.1 s"
	dmesg -n 1
	polls=$(trace_count "budget 0")
	echo 0 >$TRACE/events/napi/napi_poll/filter
	msgs=$(unbounced)
	cat $CTL
	echo "napi polls with budget 0: $polls; frames the device sent that were not bounces: $msgs"
	check "netpoll polled the NIC with a budget of 0" [ "$polls" -gt 0 ]
	check "the device sent each of the 300 messages" [ "$msgs" -ge 300 ]
	rmmod netconsole
	xdp_off $NIC
	rmmod xdp_cqsim
	done_step
}
[ -f $KMODS/netconsole.ko ] && step sim.netconsole netconsole_test

# Two load/traffic/unload cycles after a first leave the free pages.
leak_cycle() {
	up || return 1
	for p in pass tx drop; do
		xdp_on $NIC $p
		send 5000 size=1000 >/dev/null
	done
	xdp_off $NIC
	send 5000 size=1000 >/dev/null
	rmmod xdp_cqsim
}
step sim.leak leak_cycles
[ "${DMA_DEBUG:-0}" = 1 ] && step sim.dma_errors dma_api_errors_still "$errs0"
echo "@@PKRS-MODULES-LEFT $(grep -c xdp_cqsim /proc/modules)"
