# The XDP benchmark (make run BENCH=xdp): packets per second through the
# NIC at PCI 00:09.0, fed by the host-side generator (testbox.sh --gen),
# for each driver/mode and case, in one boot; a round runs every
# driver/mode and case once, rounds repeat (the host's report drops the
# first and pairs the others round by round). One line per run for the
# host's report (pkrs-check xdp-report):
#
#   @@XDP-BENCH cfg=G driver=D mode=M case=C run=R cb=B sent=N rx=N prog=N
#     act=N act_err=N back=N fwd=N ipin=N exc=N exc_act=N,N,N,N,N,N rerr=N
#     dm_sent=N dm_drops=N ns=N gns=N sirq_ns=N sirq_runs=N sirq_cpu_ns=N,N
#     peer_ns=N wd=N
#
# Each count comes from a different place, so that the host can check
# them against each other per run:
#   sent     frames the generator wrote in ns host nanoseconds (QEMU takes
#            them only as fast as the guest receives: the generator's count)
#   rx       the NIC's rx_packets (every driver counts a frame there before
#            any program runs)
#   prog     frames the XDP program counted in its own map (the tests'
#            programs' `seen`, xdp_redirect_map's `rxcnt`), read by
#            pkrs-cputime; - with no program
#   act      the driver's counter of the case's verdict (ethtool -S:
#            virtio_xdp's rx_xdp_*, virtio_net's rx0_xdp_*); - where the
#            driver has none (generic XDP, no program)
#   act_err  of those, frames the verdict failed for, as the driver counts
#            them (XDP_TX: a full TX ring; XDP_REDIRECT: refused), or for
#            generic XDP the kernel's tracepoints (xdp_exception,
#            xdp_redirect_err)
#   back     frames the generator got back intact with the MACs swapped
#            (XDP_TX); fwd: frames the peer NIC at 00:07.0 (virtio_net,
#            an XDP_DROP program on it) received (XDP_REDIRECT: out of the
#            NIC at 00:08.0, on the same driver, through a devmap)
#   ipin     IPv4 InReceives (the stack's own count)
#   exc rerr dm_sent dm_drops  the XDP tracepoints over the run:
#            xdp_exception, xdp_redirect_err, and ndo_xdp_xmit's sent and
#            dropped frames (xdp_devmap_xmit); exc_act: xdp_exception by
#            the verdict it reports (XDP_ABORTED, DROP, PASS, TX, REDIRECT,
#            other)
#   gns      guest ns of the send (guest instructions with ICOUNT=1), the
#            whole machine
#   sirq_ns  ns in the NET_RX softirq over the send, all CPUs (NAPI polls,
#            XDP, the stack's receive; instructions with ICOUNT=1), and
#            sirq_runs its runs, sirq_cpu_ns per CPU: pkrs-cputime's
#            probe on irq:softirq_entry/exit, the scenario's own commands
#            (process context) left out
#   peer_ns  of sirq_ns, the peer NIC's NAPI polls (pkrs-cputime's probe on
#            napi:napi_poll): what a REDIRECT run's frames cost the
#            receiving side, which is not the driver's
#   wd       the RX watchdog's polls that found frames (ethtool -S
#            rx_watchdog): an interrupt lost and made up for a second late;
#            - for virtio_net, which has none. A run with one is invalid.
#   cb       the copybreak in effect: virtio_xdp's module parameter, set per
#            case to what virtio_net does in the same configuration (it
#            copies frames up to 128 bytes into a new skb with mergeable
#            buffers and no program, builds the skb around the buffer
#            otherwise)
#
# Also printed: @@XDP-BENCH-INFO (configuration, frame size, seconds) and
# one @@XDP-BENCH-DEV line per driver attach (its module parameters and
# the features the device and driver negotiated, from sysfs).
#
# Environment: XB_CFG (the configuration's name, for the log: default, or
# like: the host booted with --nic-opts giving both drivers the same
# features), XB_DRIVERS (default "rs c virtio_net"; also rs-floor, and
# generic mode as rs/generic, c/generic, virtio_net/generic), XB_CASES
# (default "none drop drop_read tx pass redirect"), XB_RUNS (rounds, 10),
# XB_SECS (2), XB_SIZE (frame size, 64). $BPF: the tests' XDP programs,
# $XDP_BIN the samples' tools (xdp_redirect_map), $CPUTIME pkrs-cputime.
. /lib.sh
. /xdp-lib.sh

IP=/usr/bin/ip
ETHTOOL=/usr/sbin/ethtool
NC=/usr/bin/nc.openbsd
CFG=${XB_CFG:-default}
DRIVERS=${XB_DRIVERS:-rs c virtio_net}
CASES=${XB_CASES:-none drop drop_read tx pass redirect}
REDIRECT=$XDP_BIN/xdp_redirect_map
RUNS=${XB_RUNS:-10}
SECS=${XB_SECS:-2}
SIZE=${XB_SIZE:-64}

echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
echo 0 >/sys/bus/virtio/drivers_autoprobe
for m in failover net_failover virtio_net; do insmod $KMODS/$m.ko || echo "insmod $m failed"; done
vdev() { basename $(ls -d /sys/bus/pci/devices/0000:00:$1.0/virtio*); }
V0=$(vdev 07) V1=$(vdev 08) V2=$(vdev 09)
cputime_start || exit 1
# The peer: virtio_net, counting what a redirect sends it (its
# rx_packets, bumped before its program runs); an XDP_DROP program keeps
# it fast enough that QEMU's hub does not drop frames for a full RX ring.
echo $V0 >/sys/bus/virtio/drivers/virtio_net/bind
P=$(ls /sys/bus/virtio/devices/$V0/net)
MACP=$(cat /sys/class/net/$P/address)
PEER=$P
$IP link set $P up
$IP link set dev $P xdpdrv obj $BPF/xdp_drop.o sec xdp || echo "cannot attach XDP_DROP to the peer"
# Every NIC's interrupts, and so all NET_RX work, on CPU 0. QEMU runs both
# vCPUs on one TCG thread, so while one is in a softirq the other's
# instructions pass on the same clock: softirq time summed over CPUs
# counted work of both twice whenever both were in one (virtio_net's TX
# completions on CPU 1 gave XDP_TX costs 7 % apart in two boots). With all
# of it on one CPU the sum is that CPU's, and the other is idle.
# irqs PCI: the device's MSI interrupts; irq_cpus PCI: the CPUs they are
# delivered to (effective affinity).
irqs() { ls /sys/bus/pci/devices/0000:00:$1.0/msi_irqs 2>/dev/null; }
pin_irqs() {
	local i
	for i in $(irqs $1); do echo 0 >/proc/irq/$i/smp_affinity_list || echo "cannot move irq $i to CPU 0"; done
}
irq_cpus() {
	local i
	for i in $(irqs $1); do cat /proc/irq/$i/effective_affinity_list; done | sort -u | tr '\n' ' ' | sed 's/ $//; s/ /+/g'
}
pin_irqs 07
gen_open
echo "@@XDP-BENCH-INFO cfg=$CFG commit=${XB_COMMIT:-unknown} icount=${XB_ICOUNT:-0} size=$SIZE secs=$SECS rounds=$RUNS kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) peer_irq_cpus=$(irq_cpus 07)"
# Guest time in ns (the guest's clock: instructions with -icount shift=0).
gns() { awk '{ printf "%.0f\n", $1 * 1e9 }' /proc/uptime; }
# With nanosecond resolution: the kernel's monotonic clock from
# /proc/timer_list (busybox's date has no %N); /proc/uptime if that fails.
guest_ns() { awk '/^now at/ { print $3; f = 1; exit } END { if (!f) exit 1 }' /proc/timer_list 2>/dev/null || gns; }

# copybreak CASE: the copybreak virtio_net has in configuration $CFG for
# this case (see cb above): 128 with mergeable buffers and no program on
# the NIC (no program, or a generic one), else 0.
copybreak() {
	[ $CFG = default ] || { echo 0; return; }
	case $1 in none | generic) echo 128 ;; *) echo 0 ;; esac
}

# attach_driver D CB: D2 (fed by the generator) and D1 (the redirect's way
# out) on driver D (rs, c, rs-floor: virtio_xdp with that pool and
# copybreak CB; virtio_net), up, D2 with 10.0.2.2.
attach_driver() {
	case $1 in
	rs | c) insmod $PKRS_MODS/virtio_xdp.ko pool=$1 copybreak=$2 && drv=virtio_xdp ;;
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
	pin_irqs 09
	pin_irqs 08
	local params=-
	[ $drv = virtio_xdp ] && params=$(cd /sys/module/virtio_xdp/parameters && for f in *; do printf '%s=%s,' $f $(cat $f); done)
	echo "@@XDP-BENCH-DEV cfg=$CFG driver=$1 module=$drv params=${params%,} features=$(cat /sys/bus/virtio/devices/$V2/features) peer_features=$(cat /sys/bus/virtio/devices/$V0/features) irq_cpus=$(irq_cpus 09)/$(irq_cpus 08)"
	sleep 0.5
}
detach_driver() {
	echo $V2 >/sys/bus/virtio/drivers/$drv/unbind
	echo $V1 >/sys/bus/virtio/drivers/$drv/unbind
	[ $drv = virtio_xdp ] && rmmod virtio_xdp
	sleep 0.2
}

run_case() { # DRIVER MODE CASE RUN CB
	local dr=$1 mode=$2 c=$3 run=$4 cb=$5 r sent ns p0 p1 t0 t1 bgpid= redir= st
	case $c in
	none) ;;
	redirect)
		[ $mode = generic ] && redir=--skb-mode
		# virtio_net sends redirected frames only with a program on the
		# way out: every driver gets one.
		[ $mode = drv ] && redir=--dummy-egress
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
	bc_read 0 $drv $D2 $c $mode
	p0=$(cat /sys/class/net/$P/statistics/rx_packets)
	t0=$(guest_ns)
	r=$(gen send secs=$SECS size=$SIZE dst_mac=$MAC2 dport=9) || { echo "$r"; return 1; }
	t1=$(guest_ns)
	sleep 0.3
	bc_read 1 $drv $D2 $c $mode
	p1=$(cat /sys/class/net/$P/statistics/rx_packets)
	sent=$(gen_val "$r" sent) ns=$(gen_val "$r" ns)
	st=$(gen stats)
	[ -n "$bgpid" ] && { kill $bgpid; wait $bgpid 2>/dev/null; }
	case $c in none | redirect) ;; *) $IP link set dev $D2 xdp$mode off ;; esac
	echo "@@XDP-BENCH cfg=$CFG driver=$dr mode=$mode case=$c run=$run cb=$cb sent=$sent" \
		"$(bc_fields $mode $c) back=$(gen_val "$st" intact) fwd=$((p1 - p0)) ns=$ns gns=$((t1 - t0))"
}

for run in $(seq $RUNS); do
	for dm in $DRIVERS; do
		dr=${dm%%/*} mode=drv
		[ "$dm" != "$dr" ] && mode=generic
		# Cases grouped by the copybreak they need: one attach per group.
		for cb in $(for c in $CASES; do
			[ $mode = generic ] && copybreak generic || copybreak $c
		done | sort -u); do
			attach_driver $dr $cb || { echo "cannot attach $dr"; continue; }
			for c in $CASES; do
				[ $dr = rs-floor ] && [ $c != none ] && continue
				want=$([ $mode = generic ] && copybreak generic || copybreak $c)
				[ $want = $cb ] || continue
				scb=$cb
				[ $dr = rs-floor ] && scb=-
				run_case $dr $mode $c $run $scb
			done
			detach_driver
		done
	done
done
echo "@@XDP-BENCH-END"
kill $CPUTIME_PID 2>/dev/null
gen quit >/dev/null
