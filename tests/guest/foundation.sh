# Foundation tests: every module loads with defaults, prints its result
# lines and unloads; bad parameters fail insmod with EINVAL.
# Modules run with small loop counts: the tests check behaviour, not speed.
. /lib.sh

if [ -f $PKRS_MODS/time_bench.ko ]; then
	step time_bench.default insmod $PKRS_MODS/time_bench.ko loops=20000
	step time_bench.rmmod rmmod time_bench
	step time_bench.loops0 insmod $PKRS_MODS/time_bench.ko loops=0
	step time_bench.loops999 insmod $PKRS_MODS/time_bench.ko loops=999
	step time_bench.loops_u32max insmod $PKRS_MODS/time_bench.ko loops=4294967296
	step time_bench.cpus insmod $PKRS_MODS/time_bench.ko parallel_cpus=64
	step time_bench.refused_clean refused_clean time_bench parallel_cpus=64
fi

if [ -f $PKRS_MODS/page_bench01.ko ]; then
	step page_bench01.default insmod $PKRS_MODS/page_bench01.ko loops=20000
	step page_bench01.rmmod rmmod page_bench01
	step page_bench01.max_order insmod $PKRS_MODS/page_bench01.ko loops=2000 max_order=10 run_flags=4
	step page_bench01.max_order.rmmod rmmod page_bench01
	step page_bench01.loops0 insmod $PKRS_MODS/page_bench01.ko loops=0
	step page_bench01.loops_u32max insmod $PKRS_MODS/page_bench01.ko loops=4294967296
	step page_bench01.order11 insmod $PKRS_MODS/page_bench01.ko max_order=11
	step page_bench01.refused_clean refused_clean page_bench01 max_order=11
fi
echo "@@PKRS-MODULES-LEFT $(grep -c . /proc/modules)"
