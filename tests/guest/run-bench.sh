# The main job's scenario: load each benchmark of $PKRS_BENCH (default:
# page_bench01) with the module parameters of $PKRS_BENCH_ARGS, show its
# result lines, unload it.
. /lib.sh
for m in ${PKRS_BENCH:-page_bench01}; do
	if [ ! -f $PKRS_MODS/$m.ko ]; then
		echo "no module $m (enabled in .config?)"
		continue
	fi
	# shellcheck disable=SC2086 # one word per parameter
	step bench.$m insmod $PKRS_MODS/$m.ko $PKRS_BENCH_ARGS
	rmmod $m 2>/dev/null
done
