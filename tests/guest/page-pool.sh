# page_pool_test and page_pool_bench: KUnit, load-time checks, debugfs,
# leaks, bad parameters, allocation failures.
. /lib.sh

# The resident pool's counters: 100 pages out, 50 back directly, 50
# through the ring, all 100 still the pool's. Every counter the file
# must have is there (a missing one is not read as 0).
resident_stats() {
	cat "$1" &&
	awk '{ v[$1] = $2 } END {
		n = split("alloc_fast alloc_slow recycle_cached recycle_ring hold release inflight outstanding", k, " ")
		for (i = 1; i <= n; i++) if (!(k[i] in v)) { print "missing: " k[i]; exit 1 }
		exit !(v["outstanding"] == 0 && v["recycle_cached"] == 50 && v["recycle_ring"] == 50 &&
		       v["inflight"] >= 100 && v["alloc_fast"] + v["alloc_slow"] >= 100) }' "$1"
}

# The first virtio PCI device with a driver (the one dma_device() maps for).
first_virtio_pci() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor)" = 0x1af4 ] && [ -e $d/driver ] && { echo ${d##*/}; return; }
	done
}

m=page_pool_test
if [ -f $PKRS_MODS/$m.ko ]; then
	step $m.default insmod $PKRS_MODS/$m.ko
	step $m.stats resident_stats /sys/kernel/debug/page_pool_test/resident/stats
	# No thread waits for dropped pools while none waits (the reaper is a
	# delayed work armed only then).
	step $m.no_reaper_thread sh -c '! grep -l pkrs_pp_reaper /proc/[0-9]*/comm'
	step $m.rmmod rmmod $m
	# rmmod with the resident pool's debugfs file held open: either the
	# open file pins the module (rmmod refused, then works once it is
	# closed) or the module goes and the file reads nothing after; closing
	# it must not touch the module's memory (no oops, the step's check).
	held_open() {
		local f=/sys/kernel/debug/page_pool_test/resident/stats got
		insmod $PKRS_MODS/$m.ko || return 1
		exec 3<"$f" || return 1
		if rmmod $m; then
			got=$(cat <&3 2>&1)
			echo "unloaded with the file open; read after rmmod: ${got:-nothing}"
			exec 3<&-
			sleep 0.5
			! echo "$got" | grep -q outstanding || return 1
		else
			echo "rmmod refused while the file is open"
			exec 3<&-
			rmmod $m || return 1
		fi
		! grep -q "^$m " /proc/modules && [ ! -e "$f" ]
	}
	step $m.held_open held_open
	leak_run $m.leak $m
	step $m.dma insmod $PKRS_MODS/$m.ko pool_flags=3
	rmmod $m
	# Pre-zeroing: fresh pages read as zero (the blocks they likely reuse
	# were just filled with 0xff), at orders 0, 3 and 10.
	step $m.order3 insmod $PKRS_MODS/$m.ko pool_order=3 pool_flags=256
	rmmod $m
	step $m.prezero0 insmod $PKRS_MODS/$m.ko pool_order=0 pool_flags=256
	rmmod $m
	step $m.prezero10 insmod $PKRS_MODS/$m.ko pool_order=10 pool_flags=256
	rmmod $m
	step $m.order11 insmod $PKRS_MODS/$m.ko pool_order=11
	step $m.size0 insmod $PKRS_MODS/$m.ko pool_size=0
	step $m.size40000 insmod $PKRS_MODS/$m.ko pool_size=40000
	step $m.nodev insmod $PKRS_MODS/$m.ko pool_flags=1 dma_device=0
	step $m.syncnomap insmod $PKRS_MODS/$m.ko pool_flags=2
	step $m.size40000.clean refused_clean $m pool_size=40000
	step $m.syncnomap.clean refused_clean $m pool_flags=2

	# DMA lifetime: pools mapping for the first bound virtio NIC are dropped
	# with 16 pages each still out; the NIC is unbound while the pages are
	# held; they come back at rmmod. Nothing may reach the device after its
	# pools are gone (DMA-API debug counts any mapping left at unbind).
	dev=$(first_virtio_pci)
	errs=$(dma_api_errors)
	step $m.hold sh -c "insmod $PKRS_MODS/$m.ko hold_out=16 &&
		dmesg | grep -q 'hold_out: 16 pages of each pool held, their pools dropped, mapped for $dev'"
	step $m.hold.unbind sh -c "echo $dev >/sys/bus/pci/drivers/virtio-pci/unbind"
	step $m.hold.rmmod rmmod $m
	step $m.hold.dma_errors dma_api_errors_still "$errs"
	step $m.hold.rebind sh -c "echo $dev >/sys/bus/pci/drivers/virtio-pci/bind"
	step $m.hold.bad insmod $PKRS_MODS/$m.ko hold_out=5000
	step $m.hold.bad.clean refused_clean $m hold_out=5000

	# Allocation failures: every page allocation of the insmod process
	# that cannot sleep fails (fail_page_alloc with a task filter).
	fi=/sys/kernel/debug/fail_page_alloc
	echo 0 >$fi/verbose
	echo 0 >$fi/min-order
	echo Y >$fi/task-filter
	echo -1 >$fi/times
	echo 100 >$fi/probability
	step $m.fail sh -c "echo 1 >/proc/self/make-it-fail && exec insmod $PKRS_MODS/$m.ko expect_alloc_failure=1"
	echo 0 >$fi/probability
	step $m.fail.rmmod rmmod $m
fi

m=page_pool_bench
if [ -f $PKRS_MODS/$m.ko ]; then
	step $m.default insmod $PKRS_MODS/$m.ko loops=20000
	step $m.rmmod rmmod $m
	# The page allocator in the same boot, for the host's check that the
	# pools' fast paths are far cheaper than it.
	if [ -f $PKRS_MODS/page_bench01.ko ]; then
		step $m.page_alloc insmod $PKRS_MODS/page_bench01.ko loops=20000
		rmmod page_bench01
	fi
	leak_run $m.leak $m loops=20000
	step $m.loops0 insmod $PKRS_MODS/$m.ko loops=0
	step $m.cpus insmod $PKRS_MODS/$m.ko returning_cpus=2
	step $m.cpus.clean refused_clean $m returning_cpus=2
	# The cross-CPU test at its smallest: each returning CPU sees its share.
	step $m.cross1000 insmod $PKRS_MODS/$m.ko loops=1000 run_flags=0x30080
	rmmod $m
fi
echo "@@PKRS-MODULES-LEFT $(grep -c . /proc/modules)"
