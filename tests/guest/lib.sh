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

# leak_check BEFORE TOLERANCE: fails when more than TOLERANCE pages are
# missing since free_pages printed BEFORE.
leak_check() {
	after=$(free_pages)
	echo "free pages: before $1, after $after, missing $(($1 - after)) (tolerance $2)"
	[ $(($1 - after)) -le "$2" ]
}

# not CMD...: succeeds when CMD fails (for steps that must fail).
not() { ! "$@"; }
