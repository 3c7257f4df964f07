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
	id=$1; shift
	dmesg -c >/dev/null
	echo "@@PKRS-BEGIN $id"
	"$@" 2>&1
	rc=$?
	echo "@@PKRS-DMESG"
	dmesg -c
	echo "@@PKRS-END $id rc=$rc"
}

# Free pages (from /proc/vmstat), for leak checks.
free_pages() { sed -n 's/^nr_free_pages //p' /proc/vmstat; }
