# The main job's scenario: load each benchmark of $PKRS_BENCH (default:
# page_bench01) with the module parameters of $PKRS_BENCH_ARGS, show its
# result lines, unload it. A module is taken from the project's modules,
# else from the kernel's (where testbox.sh --ko puts the upstream
# bench_page_pool).
. /lib.sh
for m in ${PKRS_BENCH:-page_bench01}; do
	ko=$PKRS_MODS/$m.ko
	[ -f $ko ] || ko=$KMODS/$m.ko
	if [ ! -f $ko ]; then
		echo "no module $m (enabled in .config? for bench_page_pool: make upstream-bench)"
		continue
	fi
	# shellcheck disable=SC2086 # one word per parameter
	step bench.$m insmod $ko $PKRS_BENCH_ARGS
	rmmod $m 2>/dev/null
done
