# Helpers for scenarios run inside the test box (busybox sh).
# Each step is framed for the host's parser (tools/pkrs-check):
#   @@PKRS-BEGIN <id>
#   <command output>
#   @@PKRS-DMESG
#   <kernel log lines printed during the step>
#   @@PKRS-END <id> rc=<exit status>

PKRS_MODS=/lib/modules/pkrs
KMODS=/lib/modules/kernel

# step ID CMD...: run CMD and frame its output and the kernel log it caused.
step() {
	local id=$1 rc; shift
	dmesg -c >/dev/null
	echo "@@PKRS-BEGIN $id"
	"$@" 2>&1
	rc=$?
	echo "@@PKRS-DMESG"
	dmesg -c
	echo "@@PKRS-END $id rc=$rc"
}

# Free pages, for leak checks: the zones' free pages plus those waiting on
# the per-CPU lists (which the buddy count leaves out), after folding the
# per-CPU counter deltas (vm/stat_refresh).
free_pages() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk '$1 == "pages" && $2 == "free" { n += $3 } $1 == "count:" { n += $2 }
		END { print n }' /proc/zoneinfo
}

# leak_check BEFORE TOLERANCE: fails when the free pages differ by more
# than TOLERANCE from BEFORE (printed by free_pages), either way: missing
# pages are a leak, extra ones a double free.
leak_check() {
	after=$(free_pages)
	d=$(($1 - after))
	echo "free pages: before $1, after $after, missing $d (tolerance $2)"
	[ $d -le "$2" ] && [ $d -ge "-$2" ]
}

# not CMD...: succeeds when CMD fails (for steps that must fail).
not() { ! "$@"; }

# leak_run ID MODULE ARGS...: load and unload MODULE (after a first load,
# so that one-time allocations such as slab growth are not counted), then
# check that the free-page count came back (steps ID.load, ID.rmmod, ID).
leak_run() {
	local lid=$1 mod=$2 before; shift 2
	before=$(free_pages)
	step $lid.load insmod $PKRS_MODS/$mod.ko "$@"
	step $lid.rmmod rmmod $mod
	step $lid leak_check $before 128
}

# DMA-API debug's error count (CONFIG_DMA_API_DEBUG), or "none" without it.
dma_api_errors() {
	cat /sys/kernel/debug/dma-api/error_count 2>/dev/null || echo none
}

# dma_api_errors_still BEFORE: the count is what it was (and exists: a
# kernel without DMA-API debug fails this check rather than passing it).
dma_api_errors_still() {
	now=$(dma_api_errors)
	echo "DMA-API errors: before $1, now $now"
	[ "$1" != none ] && [ "$now" = "$1" ]
}
