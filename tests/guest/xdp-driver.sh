# The XDP driver (virtio_xdp) in the test box, with the pool $POOL (rs or
# c). Booted with --gen: the host-side generator feeds the NIC at PCI
# 00:09.0 from outside the guest.
#
#   00:07.0  eth on virtio_net, in a network namespace: the peer
#   00:08.0  virtio_xdp (D1), on the QEMU hub with the peer
#   00:09.0  virtio_xdp (D2), fed by pkrs-pktgen
#
# Every count is checked against a side other than the driver: frames
# the generator sent or got back (and their MAC swap), the peer NIC's
# counters, IPv4 InReceives, a UDP socket, the xdp tracepoints, free
# pages. Each step checks its own results and exits non-zero on a
# mismatch. $BPF: the test programs (tests/bpf), $XDP_BIN: the samples.
. /lib.sh

IP=/usr/bin/ip
ETHTOOL=/usr/sbin/ethtool
NC=/usr/bin/nc.openbsd
REDIRECT=$XDP_BIN/xdp_redirect_map
BENCH=$XDP_BIN/xdp_bench01_mem_access_cost
N=${N:-20000}
TRACE=/sys/kernel/tracing

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

# --- set-up ------------------------------------------------------------------
echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
echo 0 >/sys/bus/virtio/drivers_autoprobe
for m in failover net_failover virtio_net; do insmod $KMODS/$m.ko || echo "insmod $m failed"; done
mount -t tracefs nodev $TRACE 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
vdev() { basename $(ls -d /sys/bus/pci/devices/0000:00:$1.0/virtio*); }
V0=$(vdev 07) V1=$(vdev 08) V2=$(vdev 09)
echo $V0 >/sys/bus/virtio/drivers/virtio_net/bind
gen_open
errs0=$(dma_api_errors)
# With --viommu ($VIOMMU=1) the NICs are behind the virtio IOMMU.
viommu_check() {
	ls -l /sys/bus/pci/devices/0000:00:09.0/iommu_group && ls /sys/class/iommu | grep .
}
[ "${VIOMMU:-0}" = 1 ] && step drv.viommu viommu_check
step drv.load insmod $PKRS_MODS/virtio_xdp.ko pool=$POOL
step drv.bind sh -c "echo $V1 >/sys/bus/virtio/drivers/virtio_xdp/bind &&
	echo $V2 >/sys/bus/virtio/drivers/virtio_xdp/bind && dmesg | grep 'virtio_xdp on'"
P=$(ls /sys/bus/virtio/devices/$V0/net) D1=$(ls /sys/bus/virtio/devices/$V1/net) D2=$(ls /sys/bus/virtio/devices/$V2/net)
echo "peer $P (virtio_net), D1 $D1, D2 $D2 (virtio_xdp pool=$POOL)"
MACP=$(cat /sys/class/net/$P/address) MAC2=$(cat /sys/class/net/$D2/address)
unshare -n sleep 1000000 &
NS=$!
sleep 0.3
$IP link set $P netns $NS
in_ns $IP addr add 10.0.0.1/24 dev $P
in_ns $IP link set $P up
in_ns $IP link set lo up
$IP addr add 10.0.0.2/24 dev $D1
$IP link set $D1 up
$IP addr add 10.0.2.2/24 dev $D2
$IP link set $D2 up
sleep 1

# --- a normal NIC: no program ------------------------------------------------
drv_info() {
	$ETHTOOL -i $D1 | tee /tmp/info
	check "ethtool -i names the driver" grep -q '^driver: virtio_xdp$' /tmp/info
	done_step
}
step nic.info drv_info
step nic.ping ping -c 5 -W 3 10.0.0.1
nic_udp() {
	local n=300 u0 u1
	u0=$(in_ns awk '$1 == "Udp:" && $2 ~ /^[0-9]/ { print $2 }' /proc/net/snmp)
	(in_ns timeout 8 $NC -u -l 7000 >/tmp/udp.rx) &
	sleep 0.5
	for i in $(seq $n); do printf 'datagram %05d\n' $i; done >/tmp/udp.tx
	# nc sends what it reads at once as one datagram (fragmented on the way).
	$NC -u -q 1 -w 1 10.0.0.1 7000 </tmp/udp.tx
	sleep 1
	u1=$(in_ns awk '$1 == "Udp:" && $2 ~ /^[0-9]/ { print $2 }' /proc/net/snmp)
	echo "peer UDP InDatagrams: +$((u1 - u0)); bytes received $(wc -c </tmp/udp.rx) of $(wc -c </tmp/udp.tx)"
	check "the peer's UDP socket got every byte sent" cmp /tmp/udp.tx /tmp/udp.rx
	done_step
}
step nic.udp nic_udp
mkdir -p /srv
dd if=/dev/urandom of=/srv/blob bs=1k count=4096 2>/dev/null
in_ns httpd -p 8080 -h /srv
httpd -p 8081 -h /srv
nic_tcp() {
	rm -f /tmp/rx1 /tmp/rx2
	wget -q -O /tmp/rx1 http://10.0.0.1:8080/blob
	in_ns wget -q -O /tmp/rx2 http://10.0.0.2:8081/blob
	check "4 MiB over TCP from the peer arrive intact" cmp /srv/blob /tmp/rx1
	check "4 MiB over TCP to the peer arrive intact" cmp /srv/blob /tmp/rx2
	done_step
}
step nic.tcp nic_tcp
step nic.down $IP link set $D1 down
step nic.up $IP link set $D1 up
step nic.ping_after_up sh -c "sleep 1; ping -c 3 -W 3 10.0.0.1"
step nic.mtu_too_big not $IP link set $D1 mtu 3600
nic_mtu() {
	in_ns $IP link set $P mtu 3000
	$IP link set $D1 mtu 3000
	check "MTU 3000 set" [ "$(cat /sys/class/net/$D1/mtu)" = 3000 ]
	check "2900-byte pings both ways" ping -c 3 -W 3 -s 2900 10.0.0.1
	in_ns $IP link set $P mtu 1500
	$IP link set $D1 mtu 1500
	done_step
}
step nic.mtu nic_mtu

# --- the XDP actions on D2, fed by the generator -------------------------------
# send N [ARGS]: the generator sends N frames to D2 and says how many.
send() {
	local n=$1 r; shift
	r=$(gen send count=$n dst_mac=$MAC2 "$@") || { echo "$r"; return 1; }
	echo "$r"
	sent=$(gen_val "$r" sent)
}

act_drop() {
	local a0 in0
	xdp_on $D2 drop || return 1
	a0=$(xs $D2 rx_xdp_drop) in0=$(snmp Ip InReceives)
	send $N || return 1
	sleep 0.5
	d=$(($(xs $D2 rx_xdp_drop) - a0)) din=$(($(snmp Ip InReceives) - in0))
	echo "sent $sent; rx_xdp_drop +$d; IPv4 InReceives +$din"
	check "the generator sent them all" [ "$sent" = $N ]
	check "rx_xdp_drop counts every frame sent" [ $d = $N ]
	check "none reached the IPv4 stack" [ $din = 0 ]
	xdp_off $D2
	done_step
}
step xdp.drop act_drop
# The pool's own counters in debugfs, for either pool.
pool_debugfs() {
	local f=/sys/kernel/debug/virtio_xdp/$V2-rx0/stats
	cat $f || return 1
	check "the pool's debugfs file counts fast allocations" \
		[ "$(awk '$1 == "alloc_fast" { print $2 }' $f)" -gt 0 ]
	check "... and direct recycles" [ "$(awk '$1 == "recycle_cached" { print $2 }' $f)" -gt 0 ]
	done_step
}
step pool.debugfs pool_debugfs

act_pass() {
	local in0 u0 PN=${PASS_N:-$N}
	xdp_on $D2 pass || return 1
	(timeout 20 $NC -u -l 9 >/tmp/pass.rx) &
	sleep 0.5
	in0=$(snmp Ip InReceives) u0=$(snmp Udp InDatagrams) b0=$(snmp Udp RcvbufErrors)
	# Paced so that the socket's reader keeps up (mostly: a datagram the
	# socket had no room for is counted by UDP as RcvbufErrors).
	send $PN dport=9 rate=${PASS_RATE:-10000} || return 1
	sleep 1
	din=$(($(snmp Ip InReceives) - in0)) du=$(($(snmp Udp InDatagrams) - u0))
	db=$(($(snmp Udp RcvbufErrors) - b0)) bytes=$(wc -c </tmp/pass.rx)
	echo "sent $sent; IPv4 InReceives +$din; UDP InDatagrams +$du, RcvbufErrors +$db; $bytes bytes read; rx_xdp_pass $(xs $D2 rx_xdp_pass)"
	check "every frame reached IPv4" [ $din -ge $PN -a $din -le $((PN + 20)) ]
	check "every datagram reached the UDP socket" [ $((du + db)) = $PN ]
	check "the socket read the 18-byte payload of each datagram it queued" [ $bytes = $((du * 18)) ]
	check "the socket queued at least 90% of them" [ $du -ge $((PN * 9 / 10)) ]
	xdp_off $D2
	done_step
}
step xdp.pass act_pass

# tx_round N ARGS...: N frames through XDP_TX; sets sent, back, swapped,
# dt (tx_xdp_tx) and dfull (dropped for a full TX ring).
tx_round() {
	local n=$1 t0 f0 r; shift
	gen reset >/dev/null
	t0=$(xs $D2 tx_xdp_tx) f0=$(xs $D2 rx_xdp_tx_full)
	send $n "$@" || return 1
	r=$(gen wait rx=$n secs=5)
	echo "$r"
	swapped=$(gen_val "$r" swapped) back=$(gen_val "$r" rx)
	dt=$(($(xs $D2 tx_xdp_tx) - t0)) dfull=$(($(xs $D2 rx_xdp_tx_full) - f0))
	echo "sent $sent; back $back, MAC-swapped $swapped; tx_xdp_tx +$dt; dropped, TX ring full +$dfull"
}
act_tx() {
	xdp_on $D2 tx || return 1
	# Paced below what the guest can bounce: every frame comes back.
	tx_round $N rate=20000 || return 1
	check "paced: every frame came back to the generator with its MACs swapped" [ "$swapped" = $N ]
	check "paced: nothing else came back" [ "$back" = $N ]
	check "paced: tx_xdp_tx counts them" [ $dt = $N ]
	# As fast as the generator can: a full TX ring drops, and counts.
	tx_round $N || return 1
	check "flat out: the generator got back exactly what the driver sent" [ "$swapped" = $dt ]
	check "flat out: sent = bounced + dropped for a full ring" [ $((dt + dfull)) = $N ]
	xdp_off $D2
	done_step
}
step xdp.tx act_tx

# exception NAME COUNTER PATTERN: a verdict that drops, counts and traces.
exception() {
	local c0 in0 t
	echo 1 >$TRACE/events/xdp/xdp_exception/enable
	echo >$TRACE/trace
	xdp_on $D2 $1 || return 1
	c0=$(xs $D2 $2) in0=$(snmp Ip InReceives)
	send $N || return 1
	sleep 0.5
	d=$(($(xs $D2 $2) - c0)) din=$(($(snmp Ip InReceives) - in0)) t=$(trace_count "$3")
	echo "sent $sent; $2 +$d; IPv4 InReceives +$din; xdp_exception events $t"
	check "$2 counts every frame" [ $d = $N ]
	check "none reached the stack" [ $din = 0 ]
	check "one xdp_exception event per frame" [ $t = $N ]
	echo 0 >$TRACE/events/xdp/xdp_exception/enable
	xdp_off $D2
	done_step
}
step xdp.aborted exception aborted rx_xdp_aborted "action=ABORTED"
ret42() {
	exception ret42 rx_xdp_invalid "action=0x2a" || ok=1
	check "the invalid action is reported" dmesg | grep -q "Illegal XDP return value 42"
	done_step
}
step xdp.ret42 ret42

# redirect_round N ARGS...: N frames from D2 through a devmap out of D1;
# sets sent, dr (peer rx_packets), dx and dxe (D1's ndo_xdp_xmit sent and
# refused) and tool (the tool's total).
redirect_round() {
	local n=$1 r0 x0 e0 pid rc; shift
	r0=$(peer_rx) x0=$(xs $D1 tx_xdp_xmit) e0=$(xs $D1 tx_xdp_xmit_err)
	$REDIRECT --dev $D2 --redirect-dev $D1 --dst-mac $MACP --sec 60 >/tmp/redir.out 2>&1 &
	pid=$!
	sleep 2
	send $n "$@" || { kill $pid; return 1; }
	sleep 1
	kill -TERM $pid
	wait $pid
	rc=$?
	grep -v '^XDP_REDIRECT ' /tmp/redir.out
	check "the tool exited 0" [ $rc = 0 ]
	tool=$(sed -n 's/^total: \([0-9]*\) packets.*/\1/p' /tmp/redir.out)
	dr=$(($(peer_rx) - r0)) dx=$(($(xs $D1 tx_xdp_xmit) - x0)) dxe=$(($(xs $D1 tx_xdp_xmit_err) - e0))
	echo "sent $sent; tool $tool; D2 rx_xdp_redirect $(xs $D2 rx_xdp_redirect); D1 ndo_xdp_xmit sent +$dx, refused +$dxe; peer rx_packets +$dr"
}
act_redirect() {
	redirect_round $N rate=20000 || return 1
	check "paced: the peer NIC received every frame, through D1's ndo_xdp_xmit" [ $dr -ge $N -a $dr -le $((N + 20)) ]
	check "paced: D1 sent them as redirected frames" [ $dx = $N ]
	redirect_round $N || return 1
	check "flat out: every frame redirected was sent or refused by D1 (full ring)" [ $((dx + dxe)) = $N ]
	check "flat out: the peer received what D1 sent" [ $dr -ge $dx -a $dr -le $((dx + 20)) ]
	done_step
}
step xdp.redirect act_redirect

# The room the driver reserves: the adjust helpers work within it and fail
# past it (each program aborts when a helper does not behave so).
adjust() {
	local a0 in0
	xdp_on $D2 $1 || return 1
	a0=$(xs $D2 rx_xdp_aborted) in0=$(snmp Ip InReceives)
	send 2000 || return 1
	sleep 0.5
	da=$(($(xs $D2 rx_xdp_aborted) - a0)) din=$(($(snmp Ip InReceives) - in0))
	echo "$1: aborted +$da; IPv4 InReceives +$din"
	check "$1: the helpers behaved (nothing aborted)" [ $da = 0 ]
	check "$1: every frame reached the stack" [ $din -ge 2000 ]
	xdp_off $D2
	done_step
}
for a in head_past head_ok tail meta; do step xdp.$a adjust $a; done

# --- bad input -------------------------------------------------------------------
bad() {
	local kind=$1 counter=$2 size=$3 c0
	xdp_on $D2 pass || return 1
	c0=$(xs $D2 $counter)
	send 500 kind=$kind size=$size || return 1
	sleep 0.5
	d=$(($(xs $D2 $counter) - c0))
	echo "$kind size $size: $counter +$d"
	check "$kind frames dropped and counted as $counter" [ $d = 500 ]
	xdp_off $D2
	done_step
}
step bad.runt bad runt rx_runt 10
step bad.oversize bad oversize rx_oversize 2000
malformed() {
	local p0
	xdp_on $D2 pass || return 1
	p0=$(xs $D2 rx_packets)
	for k in badihl badtotlen ipopts frag nonip arp vlan2; do
		send 100 kind=$k || return 1
	done
	sleep 0.5
	d=$(($(xs $D2 rx_packets) - p0))
	check "700 malformed or unusual frames received and passed, nothing crashed" [ $d = 700 ]
	check "the NIC still works" ping -c 2 -W 3 10.0.0.1
	xdp_off $D2
	done_step
}
step bad.malformed malformed

# --- under traffic: replace, detach, link down/up, unbind ----------------------
under_traffic() {
	(gen send secs=6 dst_mac=$MAC2 >/tmp/bg.out) &
	bg=$!
	for i in 1 2 3 4 5; do
		xdp_on $D2 drop
		xdp_on $D2 pass
		xdp_on $D2 tx
		sleep 0.2
	done
	xdp_off $D2
	$IP link set $D2 down
	sleep 0.2
	$IP link set $D2 up
	xdp_on $D2 drop
	wait $bg
	cat /tmp/bg.out
	check "the generator's send finished" grep -q '^ok sent=' /tmp/bg.out
	xdp_off $D2
	send 1000 || ok=1
	check "D2 still receives after all that" [ "$sent" = 1000 ]
	done_step
}
step load.replace under_traffic
unbind_under_traffic() {
	xdp_on $D2 tx
	(gen send secs=4 dst_mac=$MAC2 >/tmp/bg.out) &
	bg=$!
	sleep 1
	echo $V2 >/sys/bus/virtio/drivers/virtio_xdp/unbind
	check "unbound under traffic" [ ! -e /sys/bus/virtio/devices/$V2/driver ]
	wait $bg
	cat /tmp/bg.out
	echo $V2 >/sys/bus/virtio/drivers/virtio_xdp/bind
	D2=$(ls /sys/bus/virtio/devices/$V2/net)
	MAC2=$(cat /sys/class/net/$D2/address)
	$IP addr add 10.0.2.2/24 dev $D2
	$IP link set $D2 up
	sleep 1
	xdp_on $D2 drop
	a0=$(xs $D2 rx_xdp_drop)
	send 1000 || ok=1
	sleep 0.5
	check "bound again, it drops the next 1000" [ $(($(xs $D2 rx_xdp_drop) - a0)) = 1000 ]
	xdp_off $D2
	done_step
}
step load.unbind unbind_under_traffic

# --- allocation failures in the RX refill -------------------------------------------
# fail_function on the pool's page allocation (the native pool's bulk
# allocation in the shim, the kernel pool's page_pool_alloc_netmems()).
refill_fail() {
	local fn f0 a0 p0
	FF=/sys/kernel/debug/fail_function
	if [ "$POOL" = c ]; then fn=page_pool_alloc_netmems; else fn=pkrs_alloc_pages_bulk_node; fi
	# XDP_PASS of frames above copybreak: the pages go to the stack, so
	# every refill needs new ones.
	xdp_on $D2 pass || return 1
	echo $fn >$FF/inject || { echo "cannot inject into $fn"; return 1; }
	echo 0 >$FF/$fn/retval
	echo N >$FF/task-filter
	echo 100 >$FF/probability
	echo -1 >$FF/times
	echo 0 >$FF/verbose
	f0=$(xs $D2 rx_alloc_fail) p0=$(xs $D2 rx_packets)
	gen send secs=2 size=1000 dst_mac=$MAC2 >/tmp/fail.out
	cat /tmp/fail.out
	sent1=$(gen_val "$(cat /tmp/fail.out)" sent)
	echo >$FF/inject
	df=$(($(xs $D2 rx_alloc_fail) - f0)) dp=$(($(xs $D2 rx_packets) - p0))
	echo "while failing: rx_packets +$dp, rx_alloc_fail +$df, rx_no_buffer $(xs $D2 rx_no_buffer)"
	check "refills failed and were counted" [ $df -gt 0 ]
	check "the ring ran dry: at most one ring of frames received" [ $dp -le 512 ]
	sleep 0.5
	xdp_off $D2
	xdp_on $D2 drop
	a0=$(xs $D2 rx_xdp_drop)
	send 2000 || ok=1
	sleep 0.5
	d=$(($(xs $D2 rx_xdp_drop) - a0))
	echo "after: sent $sent, rx_xdp_drop +$d; rx_alloc_fail $(xs $D2 rx_alloc_fail) rx_no_buffer $(xs $D2 rx_no_buffer)"
	# Frames QEMU still held when the failures stopped arrive now.
	check "after the failures, every frame is received again: none lost in all" \
		[ $((dp + d)) = $((sent1 + 2000)) ]
	xdp_off $D2
	done_step
}
step fail.refill refill_fail

# --- the samples/bpf tools on this driver ---------------------------------------------
sample_bench() {
	local t
	$BENCH --dev $D2 --action XDP_DROP --sec 8 >/tmp/b.out 2>&1 &
	pid=$!
	sleep 1
	send $N || ok=1
	wait $pid
	cat /tmp/b.out
	t=$(sed -n 's/^total: \([0-9]*\) packets.*/\1/p' /tmp/b.out)
	check "xdp_bench01 on virtio_xdp counts every frame sent" [ "${t:-0}" = $N ]
	done_step
}
step sample.bench sample_bench

# --- teardown: nothing leaked ----------------------------------------------------------
kill $NS
rm -f /srv/blob /tmp/rx1 /tmp/rx2 /tmp/*.out /tmp/*.rx /tmp/*.tx
# rmmod while XDP_TX bounces frames (pages in both rings and in flight).
rmmod_under_traffic() {
	xdp_on $D2 tx
	(gen send secs=3 dst_mac=$MAC2 >/tmp/bg.out) &
	bg=$!
	sleep 1
	rmmod virtio_xdp
	rc=$?
	wait $bg
	cat /tmp/bg.out
	check "rmmod under traffic succeeded" [ $rc = 0 ]
	check "the module is gone" sh -c '! grep -q "^virtio_xdp " /proc/modules'
	done_step
}
step drv.rmmod rmmod_under_traffic
# A second load with traffic through every path that takes or frees
# pages (XDP_PASS above copybreak hands pages to the stack), then unload:
# the free pages come back.
leak_cycle() {
	insmod $PKRS_MODS/virtio_xdp.ko pool=$POOL || return 1
	echo $V2 >/sys/bus/virtio/drivers/virtio_xdp/bind
	D2=$(ls /sys/bus/virtio/devices/$V2/net)
	MAC2=$(cat /sys/class/net/$D2/address)
	$IP addr add 10.0.2.2/24 dev $D2
	$IP link set $D2 up
	sleep 0.5
	for p in pass tx drop; do
		xdp_on $D2 $p
		send 5000 size=1000 >/dev/null
		gen wait rx=5000 secs=2 >/dev/null
	done
	xdp_off $D2
	send 5000 size=1000 >/dev/null
	rmmod virtio_xdp
}
# Two cycles measured after a first: a leak per load shows twice.
leak_cycles() {
	leak_cycle || return 1
	local free0
	free0=$(free_pages)
	leak_cycle && leak_cycle || return 1
	leak_check $free0 48
}
step drv.leak leak_cycles
# On the debug kernel ($DMA_DEBUG=1): no DMA-API error in the whole run.
[ "${DMA_DEBUG:-0}" = 1 ] && step drv.dma_errors dma_api_errors_still "$errs0"
echo "@@PKRS-MODULES-LEFT $(grep -c virtio_xdp /proc/modules)"
gen quit >/dev/null
