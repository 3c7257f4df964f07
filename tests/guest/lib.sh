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
# the per-CPU lists (which the buddy count leaves out), after dropping the
# caches (so that files removed and slabs freed since do not count) and
# folding the per-CPU counter deltas (vm/stat_refresh).
free_pages() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
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

# The host-side packet generator (scripts/testbox.sh --gen) on the second
# serial port: one command line out, one reply line back ("ok ..." or
# "err ..."); the commands are described in tools/pkrs-pktgen/src/main.rs.
# Its NIC is the one at PCI 00:09.0 (MAC 52:54:00:00:00:20; gen_dev names
# it). QEMU's virtio-net drops 802.1Q frames (kind=vlan1) whose VID the
# guest has not registered, unless the NIC is promiscuous (ip link set DEV
# promisc on); QinQ (vlan2) passes.
GEN_TTY=/dev/ttyS1
GEN_PCI=/sys/bus/pci/devices/0000:00:09.0

# gen_open: open $GEN_TTY on fd 7 (raw, no echo) unless this shell has it
# open. gen calls it; calling it once at the top of a scenario keeps the
# port open for the whole run (else each $(gen ...) opens it anew).
gen_open() {
	[ -e /proc/self/fd/7 ] && return 0
	# Tried in a subshell first: a failing exec would end the scenario.
	[ -c "$GEN_TTY" ] && (exec 7<>"$GEN_TTY") 2>/dev/null ||
		{ echo "gen: cannot open $GEN_TTY (booted without --gen?)" >&2; return 1; }
	exec 7<>"$GEN_TTY"
	stty -F "$GEN_TTY" raw -echo && return 0
	exec 7>&-
	echo "gen: stty $GEN_TTY failed (booted without --gen?)" >&2
	return 1
}

# gen CMD...: send CMD to the generator and print its reply (problems go
# to stderr); fails on an "err" reply, or on no reply within $GEN_TIMEOUT
# seconds (default 30) plus the command's secs= (a wait's 10 s without
# one). A send that runs longer needs secs= or a larger GEN_TIMEOUT.
gen() {
	local t=${GEN_TIMEOUT:-30} a s reply stale
	[ -e /proc/self/fd/7 ] && stale=1
	gen_open || return 1
	# wait without secs= waits 10 s.
	[ "$1" = wait ] && s=10
	for a in "$@"; do
		case $a in secs=*) s=${a#secs=} s=${s%%.*} ;; esac
	done
	case $s in '' | *[!0-9]*) ;; *) t=$((t + s + 1)) ;; esac
	# A reply that came after an earlier timeout must not be taken for
	# this command's.
	if [ -n "$stale" ]; then
		while read -r -t 0.05 reply <&7; do
			echo "gen: dropped a late reply: $reply" >&2
		done
	fi
	echo "$*" >&7
	if ! read -r -t "$t" reply <&7; then
		echo "gen: no reply to '$*' within ${t}s" >&2
		return 1
	fi
	echo "$reply"
	case $reply in ok | "ok "*) return 0 ;; esac
	return 1
}

# gen_val REPLY KEY: the value of KEY=VALUE in a reply line; fails when the
# line has no KEY.
gen_val() {
	local r=" $1 " v
	case $r in *" $2="*) ;; *) return 1 ;; esac
	v=${r#*" $2="}
	echo "${v%% *}"
}

# gen_dev: the name of the generator's NIC (once its driver is bound).
gen_dev() {
	local n
	for n in "$GEN_PCI"/virtio*/net/*; do
		[ -e "$n" ] && { basename "$n"; return 0; }
	done
	return 1
}
