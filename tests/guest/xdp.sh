# samples/bpf in the test box: xdp_bench01_mem_access_cost and
# xdp_ddos01_blacklist on the virtio_net pair. pktgen sends out of eth0;
# the hub delivers to eth1, where the XDP programs sit.
# Each step checks its own results and exits non-zero on a mismatch, so
# the host only needs the steps' exit status. $XDP_BIN: the tools' directory.
. /lib.sh

BENCH=$XDP_BIN/xdp_bench01_mem_access_cost
DDOS=$XDP_BIN/xdp_ddos01_blacklist
CMD=$XDP_BIN/xdp_ddos01_blacklist_cmdline
PG=/proc/net/pktgen

# No IPv6 (neighbour discovery, MLD) and no IPv4 addresses (no ARP): the
# only frames on the wire are the ones pktgen sends.
echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null
for m in failover net_failover virtio_net pktgen; do
	insmod $KMODS/$m.ko || echo "insmod $m failed"
done
ip link set eth0 up
ip link set eth1 up
MAC0=$(cat /sys/class/net/eth0/address)
MAC1=$(cat /sys/class/net/eth1/address)
echo "eth0 $MAC0 -> eth1 $MAC1"
sleep 1

# check WHAT CONDITION...: print the check, fail the step when false.
ok=0
check() {
	local what=$1; shift
	if "$@"; then echo "check ok: $what"; else echo "check FAILED: $what"; ok=1; fi
}
# fails RC TEXT CMD...: CMD exits with RC and prints TEXT.
fails() {
	local want=$1 text=$2 out rc; shift 2
	out=$("$@" 2>&1)
	rc=$?
	echo "$out"
	echo "exit status $rc"
	[ $rc = "$want" ] && echo "$out" | grep -q -- "$text"
}
# wait_for FILE TEXT: until TEXT shows up in FILE (20 s at most).
wait_for() {
	local i=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.1
	done
}
stat_of() { cat /sys/class/net/$1/statistics/$2; }
ip_in() { awk '$1 == "Ip:" && $4 ~ /^[0-9]+$/ { print $4 }' /proc/net/snmp; }

# pg_send COUNT SRC UDP_DPORT [DELAY_NS]: COUNT UDP frames from SRC to
# 10.0.0.2:UDP_DPORT, addressed to eth1's MAC; returns when all are sent.
pg_send() {
	echo rem_device_all >$PG/kpktgend_0
	echo "add_device eth0" >$PG/kpktgend_0
	for c in "count $1" "pkt_size 60" "delay ${4:-0}" "dst 10.0.0.2" "dst_mac $MAC1" \
		"src_min $2" "src_max $2" "udp_src_min 9" "udp_src_max 9" \
		"udp_dst_min $3" "udp_dst_max $3"; do
		echo "$c" >$PG/eth0
	done
	echo start >$PG/pgctrl
	sed -n 's/^Result: OK: .*/&/p; s/^ *\([0-9]*pps\).*/\1/p' $PG/eth0
}

# --- bad input: clear error, exit status, nothing left attached ------------
step bench.nodev fails 1 "no such interface: nosuch0" $BENCH --dev nosuch0 --sec 1
step bench.badaction fails 2 "XDP_DROP, XDP_PASS or XDP_TX" $BENCH --dev eth1 --action XDP_FOO
step bench.badswapmac fails 2 "swapmac goes with --action XDP_TX" $BENCH --dev eth1 --swapmac
step bench.nonative fails 1 "cannot run XDP in native (driver) mode" $BENCH --dev lo --sec 1
# Nothing was left on lo: a generic-mode program attaches there now.
step bench.lo_skb $BENCH --dev lo --skb-mode --sec 1
# bpffs is not mounted yet.
step ddos.nobpffs fails 1 "no bpf file system mounted on /sys/fs/bpf" $DDOS --dev eth1 --sec 1
step ddos.cmdline_nobpffs fails 1 "no bpf file system mounted" $CMD --list
mount -t bpf bpf /sys/fs/bpf
step ddos.nodev fails 1 "no such interface: nosuch0" $DDOS --dev nosuch0
step ddos.nonative fails 1 "cannot run XDP in native (driver) mode" $DDOS --dev lo --sec 1
nopins() { fails 1 "no pinned map" $CMD --list && [ ! -e /sys/fs/bpf/xdp_ddos01_blacklist ]; }
step ddos.nopins nopins
step ddos.badip fails 2 "not an IPv4 address" $CMD --add --ip 10.0.0.256
step ddos.badip2 fails 2 "not an IPv4 address" $CMD --add --ip 10.0.0
step ddos.badport fails 2 "not a port number" $CMD --add --udp-dport 70000
step ddos.badport2 fails 2 "not a port number" $CMD --add --tcp-dport 0x50

# --- xdp_bench01_mem_access_cost: counts and the effect of each action -----
# bench NAME COUNT TOOL-ARGS...: the bench runs while pktgen sends COUNT
# frames and is stopped with SIGTERM a second later; checks the table and
# the total, leaves $total, $d_in (IPv4 InReceives), $d_rx0 (eth0
# rx_packets) for the caller.
BENCH_COUNT=300000
bench() {
	local name=$1 count=$2 out=/tmp/$1.out pid rc; shift 2
	ok=0 total=0 d_in=0 d_rx0=0
	in0=$(ip_in) rx00=$(stat_of eth0 rx_packets) rx10=$(stat_of eth1 rx_packets) tx00=$(stat_of eth0 tx_packets)
	$BENCH --dev eth1 "$@" >$out 2>&1 &
	pid=$!
	if ! wait_for $out XDP_action; then
		kill $pid 2>/dev/null
		wait $pid
		cat $out
		echo "check FAILED: the bench never printed its table"
		ok=1
		return 1
	fi
	pg_send $count 10.0.0.1 9 ${PG_DELAY:-0}
	sleep 1.2
	kill -TERM $pid
	wait $pid
	rc=$?
	cat $out
	d_in=$(($(ip_in) - in0)) d_rx0=$(($(stat_of eth0 rx_packets) - rx00))
	d_rx1=$(($(stat_of eth1 rx_packets) - rx10)) d_tx0=$(($(stat_of eth0 tx_packets) - tx00))
	total=$(sed -n 's/^total: \([0-9]*\) packets.*/\1/p' $out)
	echo "pktgen sent $count (eth0 tx_packets +$d_tx0); eth1 rx_packets +$d_rx1; bench total $total;" \
		"IPv4 InReceives +$d_in; eth0 rx_packets +$d_rx0"
	check "exit status 0" [ $rc = 0 ]
	check "says it removed the program" grep -q "XDP program removed from eth1" $out
	check "a total line" [ -n "$total" ]
	total=${total:-0}
	check "eth0 sent exactly the frames pktgen was told to" [ $d_tx0 = $count ]
	# QEMU's hub may drop frames the guest is too slow for; what reached
	# eth1 is counted by virtio_net, and the program must count exactly that.
	check "the bench's total is exactly eth1's rx_packets" [ $total = $d_rx1 ]
	check "eth1 received at least 90% of the frames sent, and no more" \
		[ $d_rx1 -ge $((count * 9 / 10)) -a $d_rx1 -le $count ]
	max=$(awk '$1 ~ /^XDP_/ && $2 ~ /^[0-9]+$/ { if ($2 > m) m = $2 } END { print m + 0 }' $out)
	sum=$(awk '$1 ~ /^XDP_/ && $2 ~ /^[0-9]+$/ { s += $2 } END { print s + 0 }' $out)
	check "a per-second pps line above 0 and all below 10 million" \
		[ "$max" -gt 0 -a "$max" -lt 10000000 ]
	# Each line covers 0.5 to about 1 s: the lines add up to between half
	# and twice the total (a rate off by a factor, or a running total
	# printed as a rate, fails this).
	echo "pps lines: max $max, sum $sum"
	check "the pps lines add up to the total (between half and twice it)" \
		[ $((sum * 2)) -ge $total -a $sum -le $((total * 2)) -a $max -le $((total * 2)) ]
	check "the pps lines name the action" grep -q "^$2 " $out
}
bench_drop() {
	bench bench_drop $BENCH_COUNT --action XDP_DROP || return 1
	check "mem column no_touch" grep -q "^XDP_DROP .* no_touch$" /tmp/bench_drop.out
	check "XDP_DROP: nothing reaches the IPv4 stack" [ $d_in = 0 ]
	check "XDP_DROP: nothing comes back to eth0" [ $d_rx0 = 0 ]
	return $ok
}
step bench.drop bench_drop
bench_read() {
	bench bench_read 100000 --action XDP_DROP --read || return 1
	check "mem column read" grep -q "^XDP_DROP .* read$" /tmp/bench_read.out
	return $ok
}
step bench.drop_read bench_read
bench_pass() {
	bench bench_pass $BENCH_COUNT --action XDP_PASS || return 1
	check "XDP_PASS: every frame reaches the IPv4 stack (InReceives)" [ $d_in = $total ]
	return $ok
}
step bench.pass bench_pass
bench_tx() {
	bench bench_tx $BENCH_COUNT --action XDP_TX --swapmac || return 1
	check "mem column swapmac" grep -q "^XDP_TX .* swapmac$" /tmp/bench_tx.out
	check "XDP_TX --swapmac: the frames come back to eth0 (90% at least; no more)" \
		[ $d_rx0 -ge $((total * 9 / 10)) -a $d_rx0 -le $total ]
	return $ok
}
step bench.tx bench_tx
bench_skb() {
	# Paced (40 us between frames): generic XDP drops at half the rate pktgen
	# sends with, and frames beyond what the guest takes are lost in QEMU
	# before any driver sees them.
	PG_DELAY=40000 bench bench_skb 30000 --action XDP_DROP --skb-mode || return 1
	check "attached in generic mode" grep -q "in generic (skb) mode" /tmp/bench_skb.out
	check "XDP_DROP in generic mode: nothing reaches the IPv4 stack" [ $d_in = 0 ]
	return $ok
}
step bench.skb bench_skb
# Stopped by SIGTERM (no --sec): removes the program and says so.
bench_sigterm() {
	local out=/tmp/bench_term.out pid rc
	$BENCH --dev eth1 --action XDP_PASS >$out 2>&1 &
	pid=$!
	wait_for $out XDP_action || { cat $out; return 1; }
	sleep 1.5
	kill -TERM $pid
	wait $pid
	rc=$?
	cat $out
	[ $rc = 0 ] && grep -q "XDP program removed from eth1" $out &&
		$BENCH --dev eth1 --sec 1 >/dev/null # nothing left: attaches again
}
step bench.sigterm bench_sigterm

# --- xdp_ddos01_blacklist ----------------------------------------------------
LISTED=10.0.0.66 UNLISTED=10.0.0.77 N=500 M=300 K=200
# stat_line NAME: the count on the --stats line for NAME.
stat_line() { $CMD --stats | awk -v n="$1" 'substr($0, 1, 17) ~ "^" n " *$" { print $NF }'; }
ddos_start() { # LOGFILE ARGS...: the loader in the background, attached
	local log=$1; shift
	$DDOS --dev eth1 "$@" >$log 2>&1 &
	DDOS_PID=$!
	wait_for $log "attached to eth1" || { cat $log; return 1; }
}
ddos_first() {
	ok=0
	ddos_start /tmp/ddos1.log || return 1
	cat /tmp/ddos1.log
	check "maps created and pinned" grep -q "maps created and pinned under /sys/fs/bpf/xdp_ddos01_blacklist" /tmp/ddos1.log
	for m in blacklist port_blacklist verdict_cnt; do
		check "pinned: $m" [ -e /sys/fs/bpf/xdp_ddos01_blacklist/$m ]
	done
	return $ok
}
step ddos.load ddos_first
step ddos.add $CMD --add --ip $LISTED --udp-dport 9999 --tcp-dport 80
step ddos.add_again $CMD --add --ip $LISTED
ddos_list() {
	local got want
	got=$($CMD --list) || return 1
	want=$(printf 'ip %s\ntcp-dport 80\nudp-dport 9999' $LISTED)
	echo "$got"
	[ "$got" = "$want" ]
}
step ddos.list ddos_list
ddos_traffic() {
	local in0 rx10 din drx
	ok=0
	in0=$(ip_in) rx10=$(stat_of eth1 rx_packets)
	# Paced (20 us apart) so that QEMU's hub loses nothing.
	pg_send $N $LISTED 7 20000
	pg_send $M $UNLISTED 7 20000
	pg_send $K $UNLISTED 9999 20000
	sleep 0.5
	$CMD --stats || return 1
	din=$(($(ip_in) - in0)) drx=$(($(stat_of eth1 rx_packets) - rx10))
	echo "eth1 rx_packets +$drx, IPv4 InReceives +$din"
	# The effect, counted by the kernel, not by the program's maps.
	check "eth1 received all $((N + M + K))" [ $drx = $((N + M + K)) ]
	check "only the $M unlisted frames reach IPv4 (InReceives)" [ $din = $M ]
	check "ip $LISTED: $N dropped" [ "$(stat_line "ip $LISTED")" = $N ]
	check "udp-dport 9999: $K dropped" [ "$(stat_line "udp-dport 9999")" = $K ]
	check "tcp-dport 80: nothing dropped" [ "$(stat_line "tcp-dport 80")" = 0 ]
	check "XDP_DROP: $N + $K" [ "$(stat_line XDP_DROP)" = $((N + K)) ]
	pass=$(stat_line XDP_PASS)
	check "XDP_PASS: the $M unlisted (other traffic: at most 20 more)" \
		[ "$pass" -ge $M -a "$pass" -le $((M + 20)) ]
	check "no malformed frame" [ "$(stat_line malformed)" = 0 ]
	return $ok
}
step ddos.traffic ddos_traffic
# The protocol is part of a port entry: UDP to port 80 passes while TCP
# port 80 is listed. Then real TCP to port 80 (connection attempts from
# eth0, whose SYNs eth1's program sees) is dropped, every segment counted.
ddos_tcp() {
	local drop0 pass0 tcp drop
	ok=0
	drop0=$(stat_line XDP_DROP) pass0=$(stat_line XDP_PASS)
	pg_send 50 $UNLISTED 80 20000
	sleep 0.5
	check "UDP to port 80 passes: XDP_PASS +50" [ "$(stat_line XDP_PASS)" = $((pass0 + 50)) ]
	check "UDP to port 80 is not counted as tcp-dport 80" [ "$(stat_line "tcp-dport 80")" = 0 ]
	ip addr add 10.0.0.1/24 dev eth0
	arp -s 10.0.0.2 $MAC1
	nc -w 3 10.0.0.2 80 </dev/null
	echo "nc exit status $? (no answer expected: the SYNs are dropped)"
	ip addr del 10.0.0.1/24 dev eth0
	sleep 0.5
	$CMD --stats || return 1
	tcp=$(stat_line "tcp-dport 80") drop=$(stat_line XDP_DROP)
	check "TCP to port 80 is dropped (at least one SYN)" [ "$tcp" -ge 1 ]
	check "XDP_DROP grew by exactly the TCP segments dropped" [ "$drop" = $((drop0 + tcp)) ]
	return $ok
}
step ddos.tcp ddos_tcp
ddos_term() {
	kill -TERM $DDOS_PID
	wait $DDOS_PID
	rc=$?
	cat /tmp/ddos1.log
	[ $rc = 0 ] && grep -q "XDP program removed from eth1; the maps stay pinned" /tmp/ddos1.log
}
step ddos.sigterm ddos_term
# A second run finds the maps pinned and uses them: the entries and their
# counters are still there and count on.
ddos_second() {
	ok=0
	ddos_start /tmp/ddos2.log || return 1
	cat /tmp/ddos2.log
	check "reuses the pinned maps" grep -q "reusing the maps pinned under /sys/fs/bpf/xdp_ddos01_blacklist" /tmp/ddos2.log
	check "--list unchanged" ddos_list
	pg_send 100 $LISTED 7 20000
	sleep 0.5
	$CMD --stats
	check "ip $LISTED: $N + 100 dropped" [ "$(stat_line "ip $LISTED")" = $((N + 100)) ]
	$CMD --del --ip $LISTED || ok=1
	pg_send 100 $LISTED 7 20000
	sleep 0.5
	$CMD --stats
	check "removed from the list" [ "$($CMD --list)" = "$(printf 'tcp-dport 80\nudp-dport 9999')" ]
	check "once removed, $LISTED passes: XDP_DROP stays $N + $K + 100 + the TCP drops" \
		[ "$(stat_line XDP_DROP)" = $((N + K + 100 + $(stat_line "tcp-dport 80"))) ]
	kill -TERM $DDOS_PID
	wait $DDOS_PID || ok=1
	check "removed from eth1" grep -q "XDP program removed from eth1" /tmp/ddos2.log
	return $ok
}
step ddos.reuse ddos_second
step ddos.del_missing fails 1 "is not listed" $CMD --del --ip $LISTED
# --sec: the loader detaches by itself; then the bench attaches (nothing left).
ddos_sec() { $DDOS --dev eth1 --skb-mode --sec 1 && $BENCH --dev eth1 --sec 1 >/dev/null; }
step ddos.sec_skb ddos_sec
