# virtio_xdp with every DMA mapping bounced: booted with --iommu (the
# NICs have VIRTIO_F_ACCESS_PLATFORM, so virtio goes through the DMA API)
# and swiotlb=force (the DMA API copies through the software IO TLB: what
# the device wrote reaches the page only where the driver syncs it for
# the CPU, as behind a confidential guest's or a non-coherent device's
# DMA). Both pools in turn, on the generator's NIC (PCI 00:09.0); the
# generator checks every frame that comes back byte for byte against the
# one it sent (tools/pkrs-pktgen: intact, corrupt, reordered):
#   - XDP_TX: each frame must come back whole, in order, MACs swapped;
#   - the stack (no program, and XDP_PASS): ICMP echo requests, which the
#     guest's IPv4 answers from the data it received, so that a stale
#     byte shows as a bad checksum (no answer) or a changed answer.
. /lib.sh
. /xdp-lib.sh

IP=/usr/bin/ip
ETHTOOL=/usr/sbin/ethtool
SWIOTLB=/sys/kernel/debug/swiotlb

echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
echo 0 >/sys/bus/virtio/drivers_autoprobe
vdev() { basename $(ls -d /sys/bus/pci/devices/0000:00:$1.0/virtio*); }
V2=$(vdev 09)
gen_open
GEN_MAC=52:54:00:00:00:f0

bounce_on() {
	grep -qw swiotlb=force /proc/cmdline && echo "swiotlb=force on the command line" &&
		echo "software IO TLB slots: $(cat $SWIOTLB/io_tlb_nslabs), in use $(cat $SWIOTLB/io_tlb_used)"
}
step bounce.on bounce_on

# up POOL: virtio_xdp with POOL bound to the generator's NIC, 10.0.2.2,
# the generator's address (10.0.2.1) known without ARP.
up() {
	insmod $PKRS_MODS/virtio_xdp.ko pool=$1 || return 1
	echo $V2 >/sys/bus/virtio/drivers/virtio_xdp/bind || return 1
	D2=$(ls /sys/bus/virtio/devices/$V2/net) MAC2=$(cat /sys/class/net/$D2/address)
	$IP addr add 10.0.2.2/24 dev $D2 && $IP link set $D2 up &&
		$IP neigh replace 10.0.2.1 lladdr $GEN_MAC dev $D2 nud permanent || return 1
	sleep 0.5
	# The RX ring's pages are mapped: through the IO TLB.
	used=$(cat $SWIOTLB/io_tlb_used)
	echo "$D2: virtio_xdp pool=$1; software IO TLB slots in use: $used"
	[ "$used" -gt 0 ]
}

# round N ARGS: the generator sends N frames to the NIC and waits for
# what comes back; sets sent, back, intact, corrupt, reordered.
round() {
	local n=$1 r; shift
	gen reset >/dev/null
	r=$(gen send count=$n dst_mac=$MAC2 "$@") || { echo "$r"; return 1; }
	sent=$(gen_val "$r" sent)
	r=$(gen wait rx=$n secs=10)
	echo "sent $sent; $r"
	back=$(gen_val "$r" swapped) intact=$(gen_val "$r" intact)
	corrupt=$(gen_val "$r" corrupt) reordered=$(gen_val "$r" reordered)
}

bounce_tx() {
	xdp_on $D2 tx || return 1
	round 5000 size=1000 rate=20000 || return 1
	check "paced: every frame came back" [ "$back" = 5000 ]
	check "paced: each byte for byte as sent, MACs swapped" [ "$intact" = 5000 -a "$corrupt" = 0 ]
	check "paced: in the order sent" [ "$reordered" = 0 ]
	for size in 60 1514; do
		round 3000 size=$size || return 1
		check "flat out, $size bytes: what came back is intact" [ "$intact" = "$back" -a "$corrupt" = 0 ]
		check "flat out, $size bytes: in order" [ "$reordered" = 0 ]
		check "flat out, $size bytes: most came back" [ "$back" -ge 1500 ]
	done
	xdp_off $D2
	done_step
}

# The stack answers each echo request from the skb built around the page
# the device wrote (copybreak 0): a byte not synced for the CPU breaks the
# request's checksum (no answer) or the answer's data.
bounce_stack() {
	local mode=$1 size in0
	[ "$mode" = pass ] && { xdp_on $D2 pass || return 1; }
	for size in 98 1000 1514; do
		in0=$(snmp Icmp InEchos)
		round 2000 proto=icmp size=$size rate=5000 || return 1
		din=$(($(snmp Icmp InEchos) - in0))
		echo "IPv4 ICMP InEchos +$din"
		check "$size bytes: IPv4 took every request" [ $din = 2000 ]
		check "$size bytes: every answer came back intact" [ "$intact" = 2000 -a "$corrupt" = 0 ]
	done
	[ "$mode" = pass ] && xdp_off $D2
	done_step
}

for pool in rs c; do
	step bounce.$pool.up up $pool
	step bounce.$pool.tx bounce_tx
	step bounce.$pool.stack bounce_stack stack
	step bounce.$pool.pass bounce_stack pass
	step bounce.$pool.rmmod rmmod virtio_xdp
done
gen quit >/dev/null
