# The XDP verdicts and the driver's behaviour under them, for any backend
# of the XDP RX core (tests/guest/xdp-driver.sh: virtio_xdp fed by the
# host-side generator; tests/guest/xdp-sim.sh: xdp_cqsim's simulated NIC
# as the sender). The backend sources it, then, once its NIC is up, calls
# xdp_actions with these defined:
#
#   NIC         the netdev under test (with 10.0.2.2 or 10.0.3.2 on it)
#   N           frames per case
#   POOL        rs or c; POOL_STATS the pool's debugfs stats file
#   DRV_MOD     the driver's module
#   send N [ARGS]       N frames to NIC; sets $sent (the sender's count)
#   send_for SECS [ARGS] frames to NIC for SECS seconds; sets $sent
#   back_reset, back_wait N  the sender's count of frames sent back to it:
#                       back_wait sets $back and $swapped (MACs swapped)
#   bg_start SECS, bg_finish  traffic in the background; bg_finish sets
#                       bg_ok=1 when it ended as it should
#   leak_cycle          (for leak_cycles) load, traffic, unload
#
# Every count is checked against a side other than the driver: the
# sender's, IPv4 InReceives, a UDP socket, the xdp tracepoints.

ok=0
check() {
	local what=$1; shift
	if "$@"; then echo "check ok: $what"; else echo "check FAILED: $what"; ok=1; fi
}
done_step() { local r=$ok; ok=0; return $r; }
# xs DEV COUNTER: a counter of ethtool -S.
xs() { $ETHTOOL -S $1 | awk -v k="$2:" '$1 == k { print $2; f = 1 } END { if (!f) print "none" }'; }
stat_of() { cat /sys/class/net/$1/statistics/$2; }
snmp() { awk -v t="$1:" -v k="$2" '$1 == t && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
	$1 == t && h { print $c[k] }' /proc/net/snmp; }
in_ns() { nsenter -t $NS -n "$@"; }
# The peer's rx_packets (sysfs shows the first namespace: /proc/net/dev
# follows the reader's).
peer_rx() { in_ns awk -v d="$P:" '$1 == d { print $3 }' /proc/net/dev; }
xdp_off() { $IP link set dev $1 xdpdrv off; }
# xdp_on DEV PROG: attach, or replace atomically (-force) what is there.
xdp_on() { $IP -force link set dev $1 xdpdrv obj $BPF/xdp_$2.o sec xdp; }
trace_count() { grep -c "$1" $TRACE/trace; }

# --- the verdicts --------------------------------------------------------------
act_drop() {
	local a0 in0
	xdp_on $NIC drop || return 1
	a0=$(xs $NIC rx_xdp_drop) in0=$(snmp Ip InReceives)
	send $N || return 1
	sleep 0.5
	d=$(($(xs $NIC rx_xdp_drop) - a0)) din=$(($(snmp Ip InReceives) - in0))
	echo "sent $sent; rx_xdp_drop +$d; IPv4 InReceives +$din"
	check "the sender sent them all" [ "$sent" = $N ]
	check "rx_xdp_drop counts every frame sent" [ $d = $N ]
	check "none reached the IPv4 stack" [ $din = 0 ]
	xdp_off $NIC
	done_step
}
# The pool's own counters in debugfs, for either pool.
pool_debugfs() {
	local f=$POOL_STATS
	cat $f || return 1
	check "the pool's debugfs file counts fast allocations" \
		[ "$(awk '$1 == "alloc_fast" { print $2 }' $f)" -gt 0 ]
	check "... and direct recycles" [ "$(awk '$1 == "recycle_cached" { print $2 }' $f)" -gt 0 ]
	done_step
}

# The UDP reader of act_pass: started and stopped by the step itself. A
# reader left behind kept writing what later steps sent to port 9 into a
# file in RAM (the box's root is a ramfs): the leak check of the last step
# saw those pages as missing (make test was red, in 2 runs of 3, on a
# slower machine, where the reader's old 40 s limit reached the leak step).
act_pass() {
	local rd rm r
	# A socket buffer that holds them all (a datagram on a page of its own
	# takes about 4.5 KiB of it), so that a slow reader (the debug kernel)
	# does not make the socket drop.
	rd=$(cat /proc/sys/net/core/rmem_default) rm=$(cat /proc/sys/net/core/rmem_max)
	echo 67108864 >/proc/sys/net/core/rmem_max
	echo 67108864 >/proc/sys/net/core/rmem_default
	$NC -u -l 9 >/tmp/pass.rx &
	pass_reader=$!
	sleep 0.5
	pass_checks
	r=$?
	echo $rd >/proc/sys/net/core/rmem_default
	echo $rm >/proc/sys/net/core/rmem_max
	kill $pass_reader 2>/dev/null
	wait $pass_reader 2>/dev/null
	rm -f /tmp/pass.rx
	return $r
}
pass_checks() {
	local in0 u0 PN=${PASS_N:-$N} r i=0
	xdp_on $NIC pass || return 1
	in0=$(snmp Ip InReceives) u0=$(snmp Udp InDatagrams) b0=$(snmp Udp RcvbufErrors)
	# Paced so that the socket's reader keeps up (mostly: a datagram the
	# socket had no room for is counted by UDP as RcvbufErrors).
	send $PN dport=9 rate=${PASS_RATE:-10000}
	r=$?
	sleep 1
	[ $r = 0 ] || return 1
	din=$(($(snmp Ip InReceives) - in0)) du=$(($(snmp Udp InDatagrams) - u0))
	db=$(($(snmp Udp RcvbufErrors) - b0))
	# The reader may still be working through the queue: up to 15 s.
	while bytes=$(wc -c </tmp/pass.rx) && [ $bytes -lt $((du * 18)) ] && [ $i -lt 30 ]; do
		sleep 0.5
		i=$((i + 1))
	done
	echo "sent $sent; IPv4 InReceives +$din; UDP InDatagrams +$du, RcvbufErrors +$db; $bytes bytes read; rx_xdp_pass $(xs $NIC rx_xdp_pass)"
	check "every frame reached IPv4" [ $din -ge $PN -a $din -le $((PN + 20)) ]
	check "every datagram reached the UDP socket" [ $((du + db)) = $PN ]
	check "the socket read the 18-byte payload of each datagram it queued" [ $bytes = $((du * 18)) ]
	check "the socket queued at least 90% of them" [ $du -ge $((PN * 9 / 10)) ]
	xdp_off $NIC
	done_step
}

# tx_round N ARGS...: N frames through XDP_TX; sets sent, back, swapped,
# dt (tx_xdp_tx) and dfull (dropped for a full TX ring), and from the
# sender's check of what came back: intact, corrupt, reordered.
tx_round() {
	local n=$1 t0 f0 r; shift
	back_reset
	t0=$(xs $NIC tx_xdp_tx) f0=$(xs $NIC rx_xdp_tx_full)
	send $n "$@" || return 1
	back_wait $n
	dt=$(($(xs $NIC tx_xdp_tx) - t0)) dfull=$(($(xs $NIC rx_xdp_tx_full) - f0))
	echo "sent $sent; back $back, MAC-swapped $swapped; tx_xdp_tx +$dt; dropped, TX ring full +$dfull"
}
act_tx() {
	local t
	xdp_on $NIC tx || return 1
	# Paced below what the guest can bounce: every frame comes back.
	tx_round $N rate=${TX_RATE:-20000} || return 1
	check "paced: every frame came back to the sender with its MACs swapped" [ "$swapped" = $N ]
	check "paced: nothing else came back" [ "$back" = $N ]
	check "paced: each as it was sent, but for the swap" [ "$intact" = $N -a "$corrupt" = 0 ]
	check "paced: in the order sent" [ "$reordered" = 0 ]
	check "paced: tx_xdp_tx counts them" [ $dt = $N ]
	# As fast as the generator can: a full TX ring drops, counts, and
	# traces each drop (xdp_exception, action TX), as upstream drivers do.
	echo 1 >$TRACE/events/xdp/xdp_exception/enable
	echo >$TRACE/trace
	tx_round $N || return 1
	t=$(trace_count "action=TX ")
	echo 0 >$TRACE/events/xdp/xdp_exception/enable
	echo "xdp_exception events (action TX): $t"
	check "flat out: one xdp_exception event per drop" [ "$t" = "$dfull" ]
	check "flat out: the sender got back exactly what the driver sent" [ "$swapped" = $dt ]
	check "flat out: sent = bounced + dropped for a full ring" [ $((dt + dfull)) = $N ]
	check "flat out: each as it was sent, in the order sent" \
		[ "$intact" = "$swapped" -a "$corrupt" = 0 -a "$reordered" = 0 ]
	xdp_off $NIC
	done_step
}

# exception NAME COUNTER PATTERN: a verdict that drops, counts and traces.
exception() {
	local c0 in0 t
	echo 1 >$TRACE/events/xdp/xdp_exception/enable
	echo >$TRACE/trace
	xdp_on $NIC $1 || return 1
	c0=$(xs $NIC $2) in0=$(snmp Ip InReceives)
	send $N || return 1
	sleep 0.5
	d=$(($(xs $NIC $2) - c0)) din=$(($(snmp Ip InReceives) - in0)) t=$(trace_count "$3")
	echo "sent $sent; $2 +$d; IPv4 InReceives +$din; xdp_exception events $t"
	check "$2 counts every frame" [ $d = $N ]
	check "none reached the stack" [ $din = 0 ]
	check "one xdp_exception event per frame" [ $t = $N ]
	echo 0 >$TRACE/events/xdp/xdp_exception/enable
	xdp_off $NIC
	done_step
}
ret42() {
	exception ret42 rx_xdp_invalid "action=0x2a" || ok=1
	check "the invalid action is reported" dmesg | grep -q "Illegal XDP return value 42"
	done_step
}

# The room the driver reserves: the adjust helpers work within it and fail
# past it (each program aborts when a helper does not behave so).
adjust() {
	local a0 in0
	xdp_on $NIC $1 || return 1
	a0=$(xs $NIC rx_xdp_aborted) in0=$(snmp Ip InReceives)
	send 2000 || return 1
	sleep 0.5
	da=$(($(xs $NIC rx_xdp_aborted) - a0)) din=$(($(snmp Ip InReceives) - in0))
	echo "$1: aborted +$da; IPv4 InReceives +$din"
	check "$1: the helpers behaved (nothing aborted)" [ $da = 0 ]
	check "$1: every frame reached the stack" [ $din -ge 2000 ]
	xdp_off $NIC
	done_step
}

# --- bad input ------------------------------------------------------------------------
bad() {
	local kind=$1 counter=$2 size=$3 c0
	xdp_on $NIC pass || return 1
	c0=$(xs $NIC $counter)
	send 500 kind=$kind size=$size || return 1
	sleep 0.5
	d=$(($(xs $NIC $counter) - c0))
	echo "$kind size $size: $counter +$d"
	check "$kind frames dropped and counted as $counter" [ $d = 500 ]
	xdp_off $NIC
	done_step
}
# --- under traffic: replace, detach, link down/up, unbind ----------------------
under_traffic() {
	bg_start 6
	for i in 1 2 3 4 5; do
		xdp_on $NIC drop
		xdp_on $NIC pass
		xdp_on $NIC tx
		sleep 0.2
	done
	xdp_off $NIC
	$IP link set $NIC down
	sleep 0.2
	$IP link set $NIC up
	xdp_on $NIC drop
	bg_finish
	check "the background send finished" [ "$bg_ok" = 1 ]
	xdp_off $NIC
	send 1000 || ok=1
	check "the NIC still receives after all that" [ "$sent" = 1000 ]
	done_step
}
# --- injected failures (fail_function) ----------------------------------------
FF=/sys/kernel/debug/fail_function
# ff_inject FN RETVAL TIMES: every call of FN (any task) fails with
# RETVAL, TIMES times (-1: until ff_clear).
ff_inject() {
	echo $1 >$FF/inject || { echo "cannot inject into $1"; return 1; }
	printf %#x $2 >$FF/$1/retval
	echo N >$FF/task-filter
	echo 100 >$FF/probability
	echo $3 >$FF/times
	echo 0 >$FF/verbose
}
ff_clear() { echo >$FF/inject; }

# --- allocation failures in the RX refill -------------------------------------------
# fail_function on the pool's page allocation (the native pool's bulk
# allocation in the shim, the kernel pool's page_pool_alloc_netmems()).
refill_fail() {
	local fn f0 a0 p0
	if [ "$POOL" = c ]; then fn=page_pool_alloc_netmems; else fn=pkrs_alloc_pages_bulk_node; fi
	# XDP_PASS of frames above copybreak: the pages go to the stack, so
	# every refill needs new ones.
	xdp_on $NIC pass || return 1
	ff_inject $fn 0 -1 || return 1
	f0=$(xs $NIC rx_alloc_fail) p0=$(xs $NIC rx_packets) e0=$(xs $NIC rx_no_buffer)
	send_for 2 size=1000
	sent1=$sent
	ff_clear
	df=$(($(xs $NIC rx_alloc_fail) - f0)) dp=$(($(xs $NIC rx_packets) - p0))
	de=$(($(xs $NIC rx_no_buffer) - e0))
	echo "while failing: rx_packets +$dp, rx_alloc_fail +$df, rx_no_buffer +$de"
	check "refills failed and were counted" [ $df -gt 0 ]
	check "the ring ran dry (polls with no buffer posted), counted" [ $de -gt 0 ]
	sleep 0.5
	xdp_off $NIC
	xdp_on $NIC drop
	a0=$(xs $NIC rx_xdp_drop)
	send 2000 || ok=1
	sleep 0.5
	d=$(($(xs $NIC rx_xdp_drop) - a0))
	echo "after: sent $sent, rx_xdp_drop +$d; rx_alloc_fail $(xs $NIC rx_alloc_fail) rx_no_buffer $(xs $NIC rx_no_buffer)"
	# Frames the sender still held when the failures stopped arrive now.
	check "after the failures, every frame is received again: none lost in all" \
		[ $((dp + d)) = $((sent1 + 2000)) ]
	xdp_off $NIC
	done_step
}

# rmmod while XDP_TX bounces frames (pages in both rings and in flight).
rmmod_under_traffic() {
	xdp_on $NIC tx
	bg_start 3
	sleep 1
	rmmod $DRV_MOD
	rc=$?
	bg_finish
	check "rmmod under traffic succeeded" [ $rc = 0 ]
	check "the module is gone" sh -c "! grep -q '^$DRV_MOD ' /proc/modules"
	done_step
}

# leak_cycles: the backend's leak_cycle (load, traffic through every path
# that takes or frees pages, unload) once, then twice more measured: the
# free pages come back (a leak per load shows twice).
leak_cycles() {
	leak_cycle || return 1
	local free0
	free0=$(free_pages)
	leak_cycle && leak_cycle || return 1
	leak_check $free0 48
}

# xdp_actions: the steps above, in order (the backend calls it once its
# NIC is up and its hooks are defined).
xdp_actions() {
	step xdp.drop act_drop
	step pool.debugfs pool_debugfs
	step xdp.pass act_pass
	step xdp.tx act_tx
	step xdp.aborted exception aborted rx_xdp_aborted "action=ABORTED"
	step xdp.ret42 ret42
	for a in head_past head_ok tail meta; do step xdp.$a adjust $a; done
	step bad.runt bad runt rx_runt 10
	step bad.oversize bad oversize rx_oversize 2000
	step load.replace under_traffic
	step fail.refill refill_fail
}

# --- the benchmarks' per-run counts (xdp-bench.sh, xdp-sim-bench.sh) ----------
# Each from a side other than the one before it: the program's own map
# (read by pkrs-cputime, $CPUTIME), the driver's verdict counter, IPv4
# InReceives, the kernel's XDP tracepoints and the NET_RX softirq's time
# (pkrs-cputime's probe, pinned at $CT_PIN).
CT_PIN=/sys/fs/bpf/pkrs_cputime
# cputime_start: the probe, for the whole boot (CPUTIME_PID).
cputime_start() {
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	$CPUTIME serve $CT_PIN >/tmp/cputime.out 2>&1 &
	CPUTIME_PID=$!
	for _ in $(seq 100); do grep -q ready /tmp/cputime.out && return 0; sleep 0.1; done
	cat /tmp/cputime.out
	echo "pkrs-cputime did not start"
	return 1
}
# kv LINE KEY: the value of KEY=VALUE in LINE.
kv() { gen_val "$1" "$2"; }
# dlt A B: B - A, or - when either is -.
dlt() { case "$1$2" in *-*) echo - ;; *) echo $(($2 - $1)) ;; esac; }
# act_of MODULE DEV CASE: the driver's count of the case's verdict on DEV,
# and of those the frames it failed for ("ACT ERR"); "- -" where it has
# none. The XDP RX core's backends (virtio_xdp, xdp_cqsim) count each
# verdict (rx_xdp_redirect only the ones xdp_do_redirect() took);
# virtio_net counts the frames its program ran on, XDP_TX and
# XDP_REDIRECT tried, and drops (failed redirects among them; its full
# TX ring in tx0_xdp_tx_drops).
act_of() {
	local n=0 x=xs0 # xs0: 0 for a counter the driver does not have
	case $1:$3 in
	virtio_xdp:drop* | xdp_cqsim:drop*) echo "$($x $2 rx_xdp_drop) 0" ;;
	virtio_xdp:tx | xdp_cqsim:tx) echo "$($x $2 rx_xdp_tx) $($x $2 rx_xdp_tx_full)" ;;
	virtio_xdp:pass | xdp_cqsim:pass) echo "$($x $2 rx_xdp_pass) 0" ;;
	virtio_xdp:redirect | xdp_cqsim:redirect)
		echo "$(($($x $2 rx_xdp_redirect) + $($x $2 rx_xdp_redirect_err))) $($x $2 rx_xdp_redirect_err)" ;;
	virtio_net:drop*) echo "$($x $2 rx0_xdp_drops) 0" ;;
	virtio_net:tx) echo "$($x $2 rx0_xdp_tx) $($x $2 tx0_xdp_tx_drops)" ;;
	virtio_net:pass)
		echo "$(($($x $2 rx0_xdp_packets) - $($x $2 rx0_xdp_drops) - \
			$($x $2 rx0_xdp_tx) - $($x $2 rx0_xdp_redirects))) 0" ;;
	virtio_net:redirect) echo "$($x $2 rx0_xdp_redirects) $($x $2 rx0_xdp_drops)" ;;
	*) echo "- -" ;;
	esac
}
xs0() { $ETHTOOL -S $1 | awk -v k="$2:" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'; }
# prog_count CASE: the program's own count of the frames it saw (the
# tests' programs' `seen`, xdp_redirect_map's `rxcnt`: redirected and
# too short); - with no program.
prog_count() {
	case $1 in
	none) echo - ;;
	redirect) echo $(($($CPUTIME map rxcnt 0) + $($CPUTIME map rxcnt 1))) ;;
	*) $CPUTIME map seen 0 ;;
	esac
}
# bc_read N MODULE DEV CASE MODE: every count of DEV into bc_*N.
bc_read() {
	local a e w
	if [ $5 = drv ]; then set -- $1 $2 $3 $4 $5 $(act_of $2 $3 $4); a=$6 e=$7; else a=- e=-; fi
	w=$(xs $3 rx_watchdog)
	[ "$w" = none ] && w=-
	eval "bc_rx$1=$(cat /sys/class/net/$3/statistics/rx_packets) bc_prog$1=$(prog_count $4)" \
		"bc_ipin$1=$(snmp Ip InReceives) bc_act$1=$a bc_err$1=$e bc_wd$1=$w bc_ct$1='$($CPUTIME read $CT_PIN)'"
}
# bc_fields MODE CASE: the fields of one @@XDP-BENCH line from bc_*0 and
# bc_*1 (see tests/guest/xdp-bench.sh). $PEER, when set, names the device
# whose NAPI polls are the peer's (peer_ns).
bc_fields() {
	local err=$(dlt $bc_err0 $bc_err1) cpu exa
	# xdp_exception per verdict (XDP_ABORTED, DROP, PASS, TX, REDIRECT,
	# other), the later read minus the earlier.
	exa=$(echo "$(kv "$bc_ct0" xdp_exception_act) $(kv "$bc_ct1" xdp_exception_act)" |
		awk 'NF == 2 { n = split($1, a, ","); split($2, b, ","); for (i = 1; i <= n; i++) printf "%s%.0f", (i > 1 ? "," : ""), b[i] - a[i]; f = 1 }
			END { if (!f) print "-" }')
	# Generic XDP: the kernel's tracepoints count the failed verdicts. A
	# redirect fails either at the map (xdp_redirect_err) or at the
	# target's transmit: generic_xdp_tx() traces a full queue as
	# xdp_exception with the verdict XDP_TX, for XDP_TX and XDP_REDIRECT
	# alike. Only those count: an exception of another verdict is not a
	# full queue (the host's check wants it 0).
	if [ $1 = generic ]; then
		local ex=- re
		[ "$exa" != - ] && ex=$(echo $exa | cut -d, -f4)
		case $2 in
		tx) err=$ex ;;
		redirect)
			re=$(dlt $(kv "$bc_ct0" redirect_err) $(kv "$bc_ct1" redirect_err))
			err=-
			case "$re$ex" in *-*) ;; *) err=$((re + ex)) ;; esac ;;
		*) err=0 ;;
		esac
	fi
	# Per CPU: the later read minus the earlier, CPU by CPU.
	cpu=$(echo "$(kv "$bc_ct0" net_rx_cpu_ns) $(kv "$bc_ct1" net_rx_cpu_ns)" |
		awk '{ n = split($1, a, ","); split($2, b, ","); for (i = 1; i <= n; i++) printf "%s%.0f", (i > 1 ? "," : ""), b[i] - a[i] }')
	echo "rx=$((bc_rx1 - bc_rx0)) prog=$(dlt $bc_prog0 $bc_prog1) act=$(dlt $bc_act0 $bc_act1) act_err=$err" \
		"ipin=$((bc_ipin1 - bc_ipin0))" \
		"exc=$(dlt $(kv "$bc_ct0" xdp_exception) $(kv "$bc_ct1" xdp_exception)) exc_act=$exa" \
		"rerr=$(dlt $(kv "$bc_ct0" redirect_err) $(kv "$bc_ct1" redirect_err))" \
		"dm_sent=$(dlt $(kv "$bc_ct0" devmap_sent) $(kv "$bc_ct1" devmap_sent))" \
		"dm_drops=$(dlt $(kv "$bc_ct0" devmap_drops) $(kv "$bc_ct1" devmap_drops))" \
		"sirq_ns=$(dlt $(kv "$bc_ct0" net_rx_ns) $(kv "$bc_ct1" net_rx_ns))" \
		"sirq_runs=$(dlt $(kv "$bc_ct0" net_rx_runs) $(kv "$bc_ct1" net_rx_runs)) sirq_cpu_ns=$cpu" \
		"peer_ns=$([ -n "${PEER:-}" ] && dlt $(kv0 "$bc_ct0" napi_ns_$PEER) $(kv0 "$bc_ct1" napi_ns_$PEER) || echo -)" \
		"wd=$(dlt $bc_wd0 $bc_wd1)"
}
# kv0 LINE KEY: as kv, 0 when LINE has no KEY (a device that never polled).
kv0() { kv "$1" "$2" || echo 0; }
