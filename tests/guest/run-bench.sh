# The main job's scenario (make run): load each benchmark of $PKRS_BENCH
# (default: page_bench01) with the module parameters of $PKRS_BENCH_ARGS,
# $PKRS_BENCH_RUNS times (default 3), show its result lines, unload it. A
# module is taken from the project's modules, else from the kernel's (where
# testbox.sh --ko puts the upstream bench_page_pool).
#
# The loads go round the modules (the first load of each, then the second
# of each, ...), each its own step bench.<module>.<run>, so that a slow
# stretch of the run does not fall on one module only. Before the first,
# the box settles (settle below), then each module is loaded once to warm
# up (step warmup.<module>, not counted): under TCG the first load of a
# module also pays for translating the kernel code it runs (the page
# allocator's, the pool's), which makes its figures up to twice the later
# ones'. The @@PKRS-RUN lines say what is run, for the host's summary
# (pkrs-check run-report); $PKRS_ICOUNT=1 says that the box times by
# instruction count.
. /lib.sh

# settle: waits until the boot's deferred work is done, so that no test
# runs beside it: the TSC's refined calibration and the switch of
# clocksource it brings (about 1.6 s after boot in the test box: before it
# the clocksource is tsc-early), the last device probes (the PS/2 mouse
# at about 1.7 s), the clocksource watchdog's first checks; then the box
# is idle. That is: at least 3 s after boot, a clocksource other than
# tsc-early, then 4 windows of 0.5 s in a row in which the CPUs were busy
# less than 10% of the time (/proc/stat; this loop itself, with shell
# builtins and a sleep only, takes 2-5%) and no other task was running
# (/proc/loadavg). Gives up after 60 s, saying so.
settle() {
	local quiet=0 n=0 c u ni s i w q sq rest b t b0=0 t0=0 busy=100 l1 l5 l15 r running=0 cs up
	read up rest </proc/uptime
	while [ "${up%.*}" -lt 3 ]; do
		sleep 0.5
		read up rest </proc/uptime
	done
	while [ $quiet -lt 4 ] && [ $n -lt 120 ]; do
		read c u ni s i w q sq rest </proc/stat
		b=$((u + ni + s + q + sq)) t=$((u + ni + s + q + sq + i + w))
		read l1 l5 l15 r rest </proc/loadavg
		read cs </sys/devices/system/clocksource/clocksource0/current_clocksource
		[ $n -gt 0 ] && busy=$(((b - b0) * 100 / (t - t0 + 1)))
		running=${r%/*}
		if [ $n -gt 0 ] && [ $busy -lt 10 ] && [ "$running" -le 1 ] && [ "$cs" != tsc-early ]; then
			quiet=$((quiet + 1))
		else
			quiet=0
		fi
		b0=$b t0=$t n=$((n + 1))
		[ $quiet -lt 4 ] && sleep 0.5
	done
	read up rest </proc/uptime
	if [ $quiet -ge 4 ]; then
		echo "settled: ${up} s after boot, clocksource $cs, CPUs ${busy}% busy"
	else
		echo "did not settle within 60 s (last window: ${busy}% busy, $running running, clocksource $cs); measuring anyway"
	fi
}

runs=${PKRS_BENCH_RUNS:-3}
case $runs in '' | *[!0-9]* | 0) echo "PKRS_BENCH_RUNS=$runs: not a positive number; taking 3"; runs=3 ;; esac
mods=
for m in ${PKRS_BENCH:-page_bench01}; do
	if [ -f $PKRS_MODS/$m.ko ] || [ -f $KMODS/$m.ko ]; then
		mods="$mods $m"
	else
		echo "no module $m (enabled in .config? for bench_page_pool: make upstream-bench)"
	fi
done
settle
echo "@@PKRS-RUN runs=$runs icount=${PKRS_ICOUNT:-0} date=$(date -u +%Y-%m-%dT%H:%M:%SZ) commit=${PKRS_COMMIT:-unknown}"
echo "@@PKRS-RUN-BENCH$mods"
echo "@@PKRS-RUN-ARGS $PKRS_BENCH_ARGS"
# ko MODULE: the module's file.
ko() {
	if [ -f $PKRS_MODS/$1.ko ]; then echo $PKRS_MODS/$1.ko; else echo $KMODS/$1.ko; fi
}
for m in $mods; do
	# shellcheck disable=SC2086 # one word per parameter
	step warmup.$m insmod $(ko $m) $PKRS_BENCH_ARGS
	rmmod $m 2>/dev/null
done
r=1
while [ $r -le $runs ]; do
	for m in $mods; do
		# shellcheck disable=SC2086 # one word per parameter
		step bench.$m.$r insmod $(ko $m) $PKRS_BENCH_ARGS
		rmmod $m 2>/dev/null
	done
	r=$((r + 1))
done
