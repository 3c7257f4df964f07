# The XDP benchmark (make run BENCH=xdp): packets per second through the
# NIC at PCI 00:09.0, fed by the host-side generator (testbox.sh --gen),
# for each driver/mode and case, in one boot, cases alternated, several
# runs each. Prints one line per run for the host's report
# (pkrs-check xdp-report):
#
#   @@XDP-BENCH driver=D mode=M case=C run=R sent=N rx=N back=N fwd=N ns=N gns=N
#
# sent: frames the generator wrote in ns host nanoseconds (QEMU takes them
# only as fast as the guest receives: the generator's own count), rx: the
# receiving side's count over the same send (the NIC's rx_packets), back:
# frames that came back to the generator
# (XDP_TX), fwd: frames the peer NIC at 00:07.0 (virtio_net) received
# (XDP_REDIRECT: out of the NIC at 00:08.0, on the same driver, through a
# devmap), gns: guest nanoseconds of the send (guest instructions with
# ICOUNT=1).
#
# Environment: XB_DRIVERS (default "rs c virtio_net"; also rs-floor, rs-cb256
# and c-cb256 (copybreak=256: frames up to 256 bytes copied into an skb,
# their page recycled), and generic
# mode as rs/generic, c/generic, virtio_net/generic), XB_CASES
# (default "none drop drop_read tx pass redirect"), XB_RUNS (5), XB_SECS
# (2), XB_SIZE (frame size, 64). $BPF: the tests' XDP programs, $XDP_BIN
# the samples' tools (xdp_redirect_map).
. /lib.sh

IP=/usr/bin/ip
ETHTOOL=/usr/sbin/ethtool
NC=/usr/bin/nc.openbsd
DRIVERS=${XB_DRIVERS:-rs c virtio_net}
CASES=${XB_CASES:-none drop drop_read tx pass redirect}
REDIRECT=$XDP_BIN/xdp_redirect_map
RUNS=${XB_RUNS:-5}
SECS=${XB_SECS:-2}
SIZE=${XB_SIZE:-64}

echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
echo 0 >/sys/bus/virtio/drivers_autoprobe
for m in failover net_failover virtio_net; do insmod $KMODS/$m.ko || echo "insmod $m failed"; done
vdev() { basename $(ls -d /sys/bus/pci/devices/0000:00:$1.0/virtio*); }
V0=$(vdev 07) V1=$(vdev 08) V2=$(vdev 09)
# The peer: virtio_net, counting what a redirect sends it.
echo $V0 >/sys/bus/virtio/drivers/virtio_net/bind
P=$(ls /sys/bus/virtio/devices/$V0/net)
MACP=$(cat /sys/class/net/$P/address)
$IP link set $P up
gen_open
# Guest time in ns (the guest's clock: instructions with -icount shift=0).
gns() { awk '{ printf "%.0f\n", $1 * 1e9 }' /proc/uptime; }
guest_ns() { date +%s%N 2>/dev/null | grep -E '^[0-9]+$' || gns; }

# attach_driver D: D2 (fed by the generator) and D1 (the redirect's way
# out) on driver D (rs, c, rs-floor: virtio_xdp with that pool;
# virtio_net), up, D2 with 10.0.2.2.
attach_driver() {
	case $1 in
	rs | c) insmod $PKRS_MODS/virtio_xdp.ko pool=$1 && drv=virtio_xdp ;;
	rs-cb256 | c-cb256) insmod $PKRS_MODS/virtio_xdp.ko pool=${1%-cb256} copybreak=256 && drv=virtio_xdp ;;
	rs-floor) insmod $PKRS_MODS/virtio_xdp.ko pool=rs floor=1 && drv=virtio_xdp ;;
	virtio_net) drv=virtio_net ;;
	esac || return 1
	echo $V2 >/sys/bus/virtio/drivers/$drv/bind || return 1
	echo $V1 >/sys/bus/virtio/drivers/$drv/bind || return 1
	D2=$(ls /sys/bus/virtio/devices/$V2/net) D1=$(ls /sys/bus/virtio/devices/$V1/net)
	$IP link set $D1 up
	MAC2=$(cat /sys/class/net/$D2/address)
	$IP addr add 10.0.2.2/24 dev $D2
	$IP link set $D2 up
	sleep 0.5
}
detach_driver() {
	echo $V2 >/sys/bus/virtio/drivers/$drv/unbind
	echo $V1 >/sys/bus/virtio/drivers/$drv/unbind
	[ $drv = virtio_xdp ] && rmmod virtio_xdp
	sleep 0.2
}
# The receiving side's count: the NIC's rx_packets (every driver and mode
# counts a frame there before any program runs).
rx_count() {
	cat /sys/class/net/$D2/statistics/rx_packets
}

run_case() { # DRIVER MODE CASE RUN
	local d=$1 mode=$2 c=$3 run=$4 r sent ns back rx0 rx1 p0 p1 t0 t1 bgpid= redir=
	case $c in
	none) ;;
	redirect)
		[ $mode = generic ] && redir=--skb-mode
		[ $d = virtio_net ] && [ $mode = drv ] && redir=--dummy-egress
		$REDIRECT --dev $D2 --redirect-dev $D1 --dst-mac $MACP $redir >/tmp/redir.out 2>&1 &
		bgpid=$!
		sleep 1.5 ;;
	*) $IP -force link set dev $D2 xdp$mode obj $BPF/xdp_$c.o sec xdp || return 1 ;;
	esac
	if [ "$c" = pass ]; then
		$NC -u -l 9 >/dev/null &
		bgpid=$!
	fi
	sleep 0.3
	gen reset >/dev/null
	rx0=$(rx_count) p0=$(cat /sys/class/net/$P/statistics/rx_packets) t0=$(guest_ns)
	r=$(gen send secs=$SECS size=$SIZE dst_mac=$MAC2 dport=9) || { echo "$r"; return 1; }
	t1=$(guest_ns)
	sleep 0.3
	rx1=$(rx_count) p1=$(cat /sys/class/net/$P/statistics/rx_packets)
	sent=$(gen_val "$r" sent) ns=$(gen_val "$r" ns)
	back=$(gen_val "$(gen stats)" rx)
	[ -n "$bgpid" ] && { kill $bgpid; wait $bgpid 2>/dev/null; }
	case $c in none | redirect) ;; *) $IP link set dev $D2 xdp$mode off ;; esac
	echo "@@XDP-BENCH driver=$d mode=$mode case=$c run=$run sent=$sent rx=$((rx1 - rx0)) back=$back fwd=$((p1 - p0)) ns=$ns gns=$((t1 - t0))"
}

for run in $(seq $RUNS); do
	for dm in $DRIVERS; do
		d=${dm%%/*} mode=drv
		[ "$dm" != "$d" ] && mode=generic
		attach_driver $d || { echo "cannot attach $d"; continue; }
		for c in $CASES; do
			[ $d = rs-floor ] && [ $c != none ] && continue
			# copybreak matters only to frames handed to the stack.
			case $d in *-cb256) case $c in none | pass) ;; *) continue ;; esac ;; esac
			run_case $d $mode $c $run
		done
		detach_driver
	done
done
echo "@@XDP-BENCH-END"
gen quit >/dev/null
