# Booted with --smp 1: the benchmarks' defaults load on a one-CPU machine,
# the tests that need a second CPU skipped with a notice; a CPU named
# explicitly that is not online is still EINVAL.
. /lib.sh
step onecpu.page_pool_bench insmod $PKRS_MODS/page_pool_bench.ko loops=2000
rmmod page_pool_bench
step onecpu.page_bench05 insmod $PKRS_MODS/page_bench05_cross_cpu.ko loops=2000
rmmod page_bench05_cross_cpu
step onecpu.returning1 insmod $PKRS_MODS/page_pool_bench.ko loops=2000 returning_cpus=1
step onecpu.free_cpu1 insmod $PKRS_MODS/page_bench05_cross_cpu.ko loops=2000 free_cpu=1
echo "@@PKRS-MODULES-LEFT $(grep -c . /proc/modules)"
