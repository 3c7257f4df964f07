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
. /xdp-lib.sh

IP=/usr/bin/ip
ETHTOOL=/usr/sbin/ethtool
NC=/usr/bin/nc.openbsd
REDIRECT=$XDP_BIN/xdp_redirect_map
SOCK=${SOCK_BIN:-pkrs-sock}
BENCH=$XDP_BIN/xdp_bench01_mem_access_cost
DDOS=$XDP_BIN/xdp_ddos01_blacklist
DDOS_CMD=$XDP_BIN/xdp_ddos01_blacklist_cmdline
N=${N:-20000}
TRACE=/sys/kernel/tracing


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
# Bad parameters: EINVAL with a reason, nothing registered or left.
step drv.bad_pool insmod $PKRS_MODS/virtio_xdp.ko pool=x
step drv.bad_copybreak insmod $PKRS_MODS/virtio_xdp.ko copybreak=4097
step drv.bad_floor insmod $PKRS_MODS/virtio_xdp.ko floor=2
step drv.bad_clean refused_clean virtio_xdp pool=$POOL copybreak=5000
step drv.bad_no_driver sh -c '! ls -d /sys/bus/virtio/drivers/virtio_xdp'
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
# The backend's part of tests/guest/xdp-lib.sh: the generator sends.
NIC=$D2 DRV_MOD=virtio_xdp POOL_STATS=/sys/kernel/debug/virtio_xdp/$V2-rx0/stats
# send N [ARGS]: the generator sends N frames to D2 and says how many.
send() {
	local n=$1 r; shift
	r=$(gen send count=$n dst_mac=$MAC2 "$@") || { echo "$r"; return 1; }
	echo "$r"
	sent=$(gen_val "$r" sent)
}
send_for() {
	local secs=$1 r; shift
	r=$(gen send secs=$secs dst_mac=$MAC2 "$@")
	echo "$r"
	sent=$(gen_val "$r" sent)
}
back_reset() { gen reset >/dev/null; }
back_wait() {
	local r
	r=$(gen wait rx=$1 secs=5)
	echo "$r"
	swapped=$(gen_val "$r" swapped) back=$(gen_val "$r" rx) back_bytes=$(gen_val "$r" rx_bytes)
	intact=$(gen_val "$r" intact) corrupt=$(gen_val "$r" corrupt) reordered=$(gen_val "$r" reordered)
}
bg_start() {
	(gen send secs=$1 dst_mac=$MAC2 >/tmp/bg.out) &
	bg=$!
}
bg_finish() {
	wait $bg
	cat /tmp/bg.out
	bg_ok=0
	grep -q '^ok sent=' /tmp/bg.out && bg_ok=1
}
xdp_actions

# --- lost RX interrupts --------------------------------------------------------
# fail_function makes every RX re-arm (pkrs_vq_rearm) leave the callback
# off, as a device that lost each interrupt would: after the first RX
# interrupt of the send, nothing would poll the ring again (a poll that
# another event started, with the callback still on, loses nothing, so
# one injected failure alone may land where it does no harm). The RX
# watchdog polls when none ran for a second and drains the ring each
# time: the send goes on at about a ring a second instead of stalling
# (the generator fails a send after 10 s without progress). D1 is down
# meanwhile, so that the failures are D2's.
drop_wait() { # BASE N: until rx_xdp_drop is BASE + N, 3 s at most
	local i=0
	while [ $(($(xs $NIC rx_xdp_drop) - $1)) -lt $2 ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
}
lost_irq() {
	local a0 w0 d dw sent1
	$IP link set $D1 down
	xdp_on $NIC drop || return 1
	a0=$(xs $NIC rx_xdp_drop) w0=$(xs $NIC rx_watchdog)
	ff_inject pkrs_vq_rearm -5 -1 || return 1 # -EIO
	sent=-
	send 1000 || ok=1
	sent1=$sent
	ff_clear
	# The ring's last frames wait for the next watchdog poll.
	drop_wait $a0 1000
	d=$(($(xs $NIC rx_xdp_drop) - a0)) dw=$(($(xs $NIC rx_watchdog) - w0))
	echo "every re-arm failing: sent $sent1; rx_xdp_drop +$d; rx_watchdog +$dw"
	check "the sender sent them all" [ "$sent1" = 1000 ]
	check "every frame was received (rx_xdp_drop)" [ $d = 1000 ]
	check "the watchdog's polls found frames, counted in rx_watchdog" [ $dw -ge 1 ]
	a0=$(xs $NIC rx_xdp_drop)
	sent=-
	send 1000 || ok=1
	drop_wait $a0 1000
	d=$(($(xs $NIC rx_xdp_drop) - a0))
	echo "after: sent $sent; rx_xdp_drop +$d"
	check "after the failures, every frame is received" [ "$sent" = 1000 -a $d = 1000 ]
	xdp_off $NIC
	$IP link set $D1 up
	done_step
}
step irq.lost lost_irq

# send_bursts N ARGS...: N frames to D2 in bursts of 64, each sent once the
# peer NIC has the one before: fewer than 64 frames are ever on their way
# through D1, far below its TX ring (256), however late QEMU drains it.
# (Paced at 20000/s alone, 256 frames take 12.8 ms: a QEMU that drained
# D1's ring later than that, on a busy host, made D1 refuse frames.)
send_bursts() {
	local n=$1 k=64 base total=0 r s i; shift
	base=$(peer_rx)
	while [ $total -lt $n ]; do
		[ $k -gt $((n - total)) ] && k=$((n - total))
		r=$(gen send count=$k dst_mac=$MAC2 "$@") || { echo "$r"; return 1; }
		s=$(gen_val "$r" sent)
		total=$((total + s)) i=0
		while [ $(($(peer_rx) - base)) -lt $total ]; do
			[ $i -ge 250 ] && { echo "the peer has $(($(peer_rx) - base)) of $total frames after 5 s"; return 1; }
			sleep 0.02
			i=$((i + 1))
		done
	done
	sent=$total
	echo "ok sent=$sent in bursts of 64"
}
# redirect_round SEND N ARGS...: N frames from D2 (sent by SEND: send or
# send_bursts) through a devmap out of D1; sets sent, dr (peer
# rx_packets), dx and dxe (D1's ndo_xdp_xmit sent and refused) and tool
# (the tool's total).
redirect_round() {
	local how=$1 n=$2 r0 x0 e0 pid rc; shift 2
	r0=$(peer_rx) x0=$(xs $D1 tx_xdp_xmit) e0=$(xs $D1 tx_xdp_xmit_err)
	$REDIRECT --dev $D2 --redirect-dev $D1 --dst-mac $MACP --sec 600 >/tmp/redir.out 2>&1 &
	pid=$!
	sleep 2
	$how $n "$@" || { kill $pid; return 1; }
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
# $PASS_N frames (default $N) each round: the debug kernel behind the
# vIOMMU maps every frame twice through it and takes about 600 a second.
act_redirect() {
	local rn=${PASS_N:-$N}
	redirect_round send_bursts $rn rate=20000 || return 1
	check "in bursts: the peer NIC received every frame, through D1's ndo_xdp_xmit" [ $dr -ge $rn -a $dr -le $((rn + 20)) ]
	check "in bursts: D1 sent them as redirected frames" [ $dx = $rn ]
	redirect_round send $rn || return 1
	check "flat out: every frame redirected was sent or refused by D1 (full ring)" [ $((dx + dxe)) = $rn ]
	check "flat out: the peer received what D1 sent" [ $dr -ge $dx -a $dr -le $((dx + 20)) ]
	done_step
}
step xdp.redirect act_redirect

# XDP_TX frames count in the NIC's tx_packets and tx_bytes (ip -s link),
# byte for byte what the generator got back.
tx_bytes_round() {
	local b0 p0
	xdp_on $D2 tx || return 1
	b0=$(stat_of $D2 tx_bytes) p0=$(stat_of $D2 tx_packets)
	back_reset
	send 2000 size=300 rate=20000 || return 1
	back_wait 2000
	db=$(($(stat_of $D2 tx_bytes) - b0)) dp=$(($(stat_of $D2 tx_packets) - p0))
	echo "D2 tx_packets +$dp, tx_bytes +$db; the generator got $back frames, $back_bytes bytes"
	check "every frame came back" [ "$swapped" = 2000 ]
	check "tx_packets counts what the generator got" [ $dp = "$back" ]
	check "tx_bytes counts its bytes" [ $db = "$back_bytes" ]
	xdp_off $D2
	done_step
}
step xdp.tx_bytes tx_bytes_round

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

# TX completions are reaped when the device reports them, not when the
# next frame comes or goes: a UDP socket's MSG_ZEROCOPY notification (the
# kernel's, when the last skb holding a datagram is freed) arrives within
# 200 ms of each send, on a link where nothing else moves (neighbours
# static both ways, the peer's socket listening: no ARP, no ICMP). Then a
# burst, and the link taken down at once: every datagram is released,
# with NAPI off (ndo_stop reaps the TX ring).
tx_reap() {
	local rd pid i=0
	MAC1=$(cat /sys/class/net/$D1/address)
	$IP neigh replace 10.0.0.1 lladdr $MACP dev $D1 nud permanent
	in_ns $IP neigh replace 10.0.0.2 lladdr $MAC1 dev $P nud permanent
	in_ns $NC -u -l 7001 >/dev/null &
	rd=$!
	sleep 0.5
	$SOCK zc-udp --to 10.0.0.1:7001 --count 10 --gap-ms 300 --within-ms 200
	check "each datagram sent was released within 200 ms, nothing else arriving" [ $? = 0 ]
	$SOCK zc-udp --to 10.0.0.1:7001 --count 100 --burst --within-ms 3000 >/tmp/zc.out 2>&1 &
	pid=$!
	while ! grep -q '^sent ' /tmp/zc.out && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	$IP link set $D1 down
	wait $pid
	r=$?
	cat /tmp/zc.out
	check "a burst, the link down at once: every datagram released" [ $r = 0 ]
	$IP link set $D1 up
	kill $rd
	wait $rd 2>/dev/null
	$IP neigh del 10.0.0.1 dev $D1 2>/dev/null
	in_ns $IP neigh del 10.0.0.2 dev $P 2>/dev/null
	sleep 1
	check "the NIC works after" ping -c 2 -W 3 10.0.0.1
	done_step
}
step tx.reap tx_reap

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
	NIC=$D2 MAC2=$(cat /sys/class/net/$D2/address)
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

# rebind_d2: D2 bound again (after an unbind), addressed and up.
rebind_d2() {
	[ -e /sys/bus/virtio/devices/$V2/driver ] ||
		echo $V2 >/sys/bus/virtio/drivers/virtio_xdp/bind || return 1
	D2=$(ls /sys/bus/virtio/devices/$V2/net)
	NIC=$D2 MAC2=$(cat /sys/class/net/$D2/address)
	$IP addr add 10.0.2.2/24 dev $D2 2>/dev/null
	$IP link set $D2 up
}
# The link of D2 goes down and up (QEMU's set_link, from the generator:
# a config change interrupt each time) while the NIC is unbound and bound
# again and again: the link-status work never runs on a netdev being
# unregistered (it would warn), and the NIC works after.
link_flap() {
	local i=0 r
	r=$(gen flap name=g0 count=2000 ms=1) || { echo "$r"; return 1; }
	echo "$r"
	while :; do
		echo $V2 >/sys/bus/virtio/drivers/virtio_xdp/unbind || ok=1
		echo $V2 >/sys/bus/virtio/drivers/virtio_xdp/bind || ok=1
		i=$((i + 1))
		r=$(gen flap_wait secs=0.01) || break
		case $r in *timeout=0*) break ;; esac
		[ $i -ge 400 ] && break
	done
	echo "unbound and bound $i times while the link flapped; $r"
	check "the flapping ran to its end" sh -c "echo '$r' | grep -q 'toggles=4000 timeout=0'"
	check "at least 20 unbind/bind cycles overlapped it" [ $i -ge 20 ]
	rebind_d2 || return 1
	sleep 1
	check "the link is up (the last toggle was on)" [ "$(cat /sys/class/net/$D2/carrier)" = 1 ]
	xdp_on $D2 drop
	a0=$(xs $D2 rx_xdp_drop)
	send 1000 || ok=1
	sleep 0.5
	check "the NIC drops the next 1000" [ $(($(xs $D2 rx_xdp_drop) - a0)) = 1000 ]
	xdp_off $D2
	done_step
}
step load.flap link_flap

# The device's interrupts as /proc/interrupts lists them (its virtqueues'
# handlers, one line each).
irq_lines() { grep -c "$V2-" /proc/interrupts; }
# Every slab allocation of a bind fails in turn (failslab, on the debug
# kernel, which has it): each bind fails cleanly or works, nothing
# oopses, and the device ends as it began: no interrupt handler or page
# left behind, bound again it works. The binding task's fail-nth
# (/proc/self/fail-nth) makes its K-th allocation fail, K from 1; the
# sweep ends at the first K no allocation of the bind reached (fail-nth
# still above 0 after it). Allocations that may sleep are failed too
# (ignore-gfp-wait N).
bind_fail() {
	local fs=/sys/kernel/debug/failslab k=1 bad=0 f0 irq0 r left=0
	echo $V2 >/sys/bus/virtio/drivers/virtio_xdp/unbind || return 1
	irq0=$(irq_lines)
	f0=$(free_pages)
	echo N >$fs/ignore-gfp-wait
	echo 0 >$fs/verbose
	# The kernel ignores a failed allocation under register_irq_proc() or
	# register_handler_proc() (a missing /proc/irq entry) and warns when it
	# removes what it never made: those are not failed (their stack is
	# rejected, and they do not count). The two are neighbours: [first,
	# the symbol after both).
	r=$(sort /proc/kallsyms | awk '$3 == "register_handler_proc" { s = $1; next }
		s && $3 == "register_irq_proc" { n = 1; next }
		n { print s, $1; exit }')
	set -- $r
	[ $# = 2 ] && [ "$1" != 0000000000000000 ] || { echo "no address range for register_irq_proc in /proc/kallsyms"; return 1; }
	echo 0x$1 >$fs/reject-start
	echo 0x$2 >$fs/reject-end
	echo 32 >$fs/stacktrace-depth
	while [ $k -lt 2000 ]; do
		# One process: fail-nth, the bind and the read of what is left
		# are its own (builtins).
		left=$(
			echo $k >/proc/self/fail-nth || exit
			echo $V2 >/sys/bus/virtio/drivers/virtio_xdp/bind
			read -r r </proc/self/fail-nth && echo "$r"
		) 2>/dev/null
		[ -e /sys/bus/virtio/devices/$V2/driver ] &&
			{ echo $V2 >/sys/bus/virtio/drivers/virtio_xdp/unbind || bad=1; }
		[ "$(irq_lines)" = "$irq0" ] || { echo "allocation $k: $(irq_lines) interrupt lines, was $irq0"; bad=1; }
		[ "${left:-0}" -gt 0 ] && break
		k=$((k + 1))
	done
	echo 0 >$fs/reject-start
	echo 0 >$fs/reject-end
	echo 0 >$fs/stacktrace-depth
	echo Y >$fs/ignore-gfp-wait
	# the bind and the open of fail-nth made k - left allocations
	k=$((k - left))
	echo "a bind (with the shell's open of the sysfs file) makes $k slab allocations; each failed in turn"
	check "each allocation of a bind failed once, the device unbound cleanly after each" [ $bad = 0 ]
	check "the sweep reached its end" [ $k -lt 2000 -a $k -gt 20 ]
	leak_check $f0 $LEAK_TOL || ok=1
	rebind_d2 || return 1
	sleep 1
	xdp_on $D2 drop
	a0=$(xs $D2 rx_xdp_drop)
	send 1000 || ok=1
	sleep 0.5
	check "bound again, the NIC drops the next 1000" [ $(($(xs $D2 rx_xdp_drop) - a0)) = 1000 ]
	xdp_off $D2
	done_step
}
[ -d /sys/kernel/debug/failslab ] && step load.bind_fail bind_fail


# --- the samples/bpf tools on this driver ---------------------------------------------
sample_bench() {
	local t p0 d0 rx dd
	p0=$(xs $D2 rx_packets) d0=$(xs $D2 rx_xdp_drop)
	$BENCH --dev $D2 --action XDP_DROP --sec 8 >/tmp/b.out 2>&1 &
	pid=$!
	sleep 1
	send $N || ok=1
	wait $pid
	cat /tmp/b.out
	t=$(sed -n 's/^total: \([0-9]*\) packets.*/\1/p' /tmp/b.out)
	rx=$(($(xs $D2 rx_packets) - p0)) dd=$(($(xs $D2 rx_xdp_drop) - d0))
	echo "generator sent $sent; the tool's total ${t:-none}; the NIC's rx_packets +$rx, rx_xdp_drop +$dd"
	check "the generator sent $N" [ "$sent" = $N ]
	check "xdp_bench01's total is exactly what the generator sent and the NIC received and dropped" \
		[ "${t:-0}" = $N -a $rx = $N -a $dd = $N ]
	done_step
}
step sample.bench sample_bench

# xdp_ddos01_blacklist on this driver, fed by the generator with frames
# of every kind its parser must handle: IP options, a first fragment, one
# and two VLAN tags, a bad IHL (malformed: passed on), a total length
# that lies, non-IPv4 and ARP. Checked against the verdicts the program
# must give (its counters), and independently: the NIC's rx_packets,
# rx_xdp_drop and rx_xdp_pass, and IPv4 InReceives for what reaches IP.
LISTED=10.0.2.66 UNLISTED=10.0.2.77
ddos_stat() { $DDOS_CMD --stats | awk -v n="$1" 'substr($0, 1, 17) ~ "^" n " *$" { print $NF }'; }
sample_ddos() {
	local p0 d0 a0 in0 k n=0 rx dd da din
	mount | grep -q ' /sys/fs/bpf ' || mount -t bpf bpf /sys/fs/bpf
	$DDOS --dev $D2 >/tmp/ddos.out 2>&1 &
	dpid=$!
	sleep 2
	cat /tmp/ddos.out
	grep -q "attached to $D2" /tmp/ddos.out || { echo "the loader did not attach"; kill $dpid; return 1; }
	$DDOS_CMD --add --ip $LISTED --udp-dport 9999 || ok=1
	p0=$(xs $D2 rx_packets) d0=$(xs $D2 rx_xdp_drop) a0=$(xs $D2 rx_xdp_pass) in0=$(snmp Ip InReceives)
	# From the listed source: dropped whatever the headers around the
	# addresses, but for the bad IHL (malformed, passed before any lookup)
	# and the frames that are not IPv4.
	for k in udp badtotlen ipopts frag vlan1 vlan2 badihl nonip arp; do
		send 100 kind=$k src_ip=$LISTED dport=7 >/dev/null || ok=1
		n=$((n + sent))
	done
	# From another source to the listed UDP port: dropped when the port is
	# found, past IP options, two VLAN tags, in a first fragment; to
	# another port, passed to IP, a lying total length too.
	for k in udp ipopts vlan2 frag; do
		send 100 kind=$k src_ip=$UNLISTED dport=9999 >/dev/null || ok=1
		n=$((n + sent))
	done
	for k in udp badtotlen; do
		send 100 kind=$k src_ip=$UNLISTED dport=7 >/dev/null || ok=1
		n=$((n + sent))
	done
	sleep 0.5
	$DDOS_CMD --stats || ok=1
	rx=$(($(xs $D2 rx_packets) - p0)) dd=$(($(xs $D2 rx_xdp_drop) - d0))
	da=$(($(xs $D2 rx_xdp_pass) - a0)) din=$(($(snmp Ip InReceives) - in0))
	echo "sent $n; rx_packets +$rx, rx_xdp_drop +$dd, rx_xdp_pass +$da; IPv4 InReceives +$din"
	check "the generator sent 1500 frames, the NIC received them all" [ $n = 1500 -a $rx = 1500 ]
	check "ip $LISTED: 600 dropped (UDP, bad total length, IP options, fragment, 1 and 2 VLAN tags)" \
		[ "$(ddos_stat "ip $LISTED")" = 600 ]
	check "udp-dport 9999: 400 dropped (past IP options, 2 VLAN tags, in a first fragment)" \
		[ "$(ddos_stat "udp-dport 9999")" = 400 ]
	check "the program's XDP_DROP (1000) is the NIC's rx_xdp_drop" \
		[ "$(ddos_stat XDP_DROP)" = 1000 -a $dd = 1000 ]
	check "bad IHL: 100 malformed; XDP_PASS 400 (non-IPv4, ARP, 200 unlisted)" \
		[ "$(ddos_stat malformed)" = 100 -a "$(ddos_stat XDP_PASS)" = 400 ]
	check "the NIC passed 500 (rx_xdp_pass), of them 300 IPv4 untagged: IPv4 InReceives +300" \
		[ $da = 500 -a $din = 300 ]
	kill -TERM $dpid
	wait $dpid || ok=1
	check "the loader removed its program" grep -q "XDP program removed from $D2" /tmp/ddos.out
	done_step
}
step sample.ddos sample_ddos

# --- teardown: nothing leaked ----------------------------------------------------------
kill $NS
rm -f /srv/blob /tmp/rx1 /tmp/rx2 /tmp/*.out /tmp/*.rx /tmp/*.tx
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
step drv.leak leak_cycles
# On the debug kernel ($DMA_DEBUG=1): no DMA-API error in the whole run.
[ "${DMA_DEBUG:-0}" = 1 ] && step drv.dma_errors dma_api_errors_still "$errs0"
echo "@@PKRS-MODULES-LEFT $(grep -c virtio_xdp /proc/modules)"
gen quit >/dev/null
