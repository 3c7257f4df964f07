# page_bench02..05: every module loads with defaults and prints its result
# lines, a second load leaks no page, bad parameters fail with EINVAL.
. /lib.sh

# The leak check's bound: 16 pages kept per cycle (a file in the
# initramfs's tmpfs each time) over LEAK_LOADS cycles must be caught.
before=$(free_pages)
i=0
while [ $i -lt $LEAK_LOADS ]; do
	dd if=/dev/zero of=/tmp/hold$i bs=4096 count=16 2>/dev/null
	i=$((i + 1))
done
step leak_check.catches not leak_check $before $LEAK_TOL
rm -f /tmp/hold*

m=page_bench02
if [ -f $PKRS_MODS/$m.ko ]; then
	step $m.default insmod $PKRS_MODS/$m.ko loops=20000
	step $m.rmmod rmmod $m
	step $m.order3 insmod $PKRS_MODS/$m.ko loops=2000 page_order=3 max_outstanding=100 run_flags=2
	rmmod $m
	leak_run $m.leak $m loops=20000 run_flags=2
	step $m.loops0 insmod $PKRS_MODS/$m.ko loops=0
	step $m.order11 insmod $PKRS_MODS/$m.ko page_order=11
	step $m.outstanding0 insmod $PKRS_MODS/$m.ko max_outstanding=0
	step $m.outstanding_big insmod $PKRS_MODS/$m.ko page_order=4 max_outstanding=8192
fi

m=page_bench03
if [ -f $PKRS_MODS/$m.ko ]; then
	step $m.default insmod $PKRS_MODS/$m.ko loops=20000
	step $m.rmmod rmmod $m
	step $m.all insmod $PKRS_MODS/$m.ko loops=5000 page_order=2 parallel_cpus=0 run_flags=4
	rmmod $m
	leak_run $m.leak $m loops=20000 run_flags=6
	step $m.loops0 insmod $PKRS_MODS/$m.ko loops=0
	step $m.order11 insmod $PKRS_MODS/$m.ko page_order=11
	step $m.cpus insmod $PKRS_MODS/$m.ko parallel_cpus=64
fi

m=page_bench04_bulk
if [ -f $PKRS_MODS/$m.ko ]; then
	step $m.default insmod $PKRS_MODS/$m.ko loops=20000
	step $m.rmmod rmmod $m
	step $m.max512 insmod $PKRS_MODS/$m.ko loops=2000 max_bulk=512 run_flags=4
	rmmod $m
	leak_run $m.leak $m loops=20000 run_flags=14
	step $m.loops0 insmod $PKRS_MODS/$m.ko loops=0
	step $m.bulk0 insmod $PKRS_MODS/$m.ko max_bulk=0
	step $m.bulk513 insmod $PKRS_MODS/$m.ko max_bulk=513
fi

m=page_bench05_cross_cpu
if [ -f $PKRS_MODS/$m.ko ]; then
	step $m.default insmod $PKRS_MODS/$m.ko loops=20000
	step $m.rmmod rmmod $m
	step $m.swap insmod $PKRS_MODS/$m.ko loops=5000 alloc_cpu=1 free_cpu=0 ring_size=1 run_flags=14
	rmmod $m
	leak_run $m.leak $m loops=20000 run_flags=14
	step $m.loops0 insmod $PKRS_MODS/$m.ko loops=0
	step $m.offline insmod $PKRS_MODS/$m.ko alloc_cpu=64
	step $m.samecpu insmod $PKRS_MODS/$m.ko free_cpu=0
	step $m.ring100 insmod $PKRS_MODS/$m.ko ring_size=100
	step $m.ring8192 insmod $PKRS_MODS/$m.ko ring_size=8192
	step $m.refused_clean refused_clean $m ring_size=100
fi
echo "@@PKRS-MODULES-LEFT $(grep -c . /proc/modules)"
