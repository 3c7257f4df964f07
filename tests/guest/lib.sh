# Helpers for scenarios run inside the test box (busybox sh).
# Each step is framed for the host's parser (tools/pkrs-check):
#   @@PKRS-BEGIN <id>
#   <command output>
#   @@PKRS-DMESG
#   <kernel log lines printed during the step>
#   @@PKRS-END <id> rc=<exit status>
# and the box's init ends the run with the kernel log left after the
# scenario (@@PKRS-DMESG-REST) and /proc/sys/kernel/tainted
# (@@PKRS-TAINTED N).

PKRS_MODS=/lib/modules/pkrs
KMODS=/lib/modules/kernel

# step ID CMD...: run CMD and frame its output and the kernel log it caused.
# The kernel log since the last step (the boot's, before the first) is
# printed first, outside the frame, for the host's whole-run check
# (pkrs-check box): trouble between steps counts too.
# $STEPS (a comma-separated list of step ids, for a developer's run):
# only those run; each other step prints @@PKRS-SKIP and counts as
# missing, never as passed, in the checks.
step() {
	local id=$1 rc; shift
	case ",${STEPS:-$id}," in
	*",$id,"*) ;;
	*) echo "@@PKRS-SKIP $id"; return 0 ;;
	esac
	echo "@@PKRS-DMESG-BETWEEN"
	dmesg -c
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
free_pages_now() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo 1 >/proc/sys/vm/stat_refresh
	awk '$1 == "pages" && $2 == "free" { n += $3 } $1 == "count:" { n += $2 }
		END { print n }' /proc/zoneinfo
}
# free_pages: the count once it has settled: frees that come after an
# unload (RCU callbacks, the C page_pool's release retried each second, an
# IOMMU's deferred flush of freed page tables) land before it is taken.
# Read every 0.5 s until three readings in a row (over more than a
# second) are within 8 pages of each other, at most 16 readings.
free_pages() {
	local a b same=0 i=0
	a=$(free_pages_now)
	while [ $i -lt 15 ] && [ $same -lt 2 ]; do
		sleep 0.5
		b=$(free_pages_now)
		if [ $((a - b)) -le 8 ] && [ $((b - a)) -le 8 ]; then
			same=$((same + 1))
		else
			same=0 a=$b
		fi
		i=$((i + 1))
	done
	echo $b
}

# leak_check BEFORE TOLERANCE: fails when more than TOLERANCE pages are
# missing from BEFORE (printed by free_pages): a leak. More pages free
# after than before is memory that earlier steps' deferred work gave back
# in the meantime (seen: up to 98 pages, freed over several seconds after
# a driver's traffic); up to 512 are taken as that. A page freed twice
# shows as a bad page state, which the run's trouble check fails on.
leak_check() {
	after=$(free_pages)
	d=$(($1 - after))
	echo "free pages: before $1, after $after, missing $d (tolerance $2 missing, 512 extra)"
	[ $d -le "$2" ] && [ $d -ge -512 ]
}

# not CMD...: succeeds when CMD fails (for steps that must fail).
not() { ! "$@"; }

# The leak checks' loads and bound: MODULE loaded and unloaded LEAK_LOADS
# times between the two counts, so that a leak per load multiplies past
# the count's noise (a few tens of pages: slabs, per-CPU lists); 16
# pages a load show as 128, twice LEAK_TOL (page-bench.sh proves it).
LEAK_LOADS=8
LEAK_TOL=64

# cycles N MODULE ARGS...: N loads and unloads of MODULE, then a load.
cycles() {
	local n=$1 mod=$2 i=0; shift 2
	while [ $i -lt "$n" ]; do
		insmod $PKRS_MODS/$mod.ko "$@" && rmmod $mod || return 1
		i=$((i + 1))
	done
	insmod $PKRS_MODS/$mod.ko "$@"
}

# leak_run ID MODULE ARGS...: load and unload MODULE LEAK_LOADS times
# (after a first load, so that one-time allocations such as slab growth
# are not counted), then check that the free-page count came back within
# LEAK_TOL (steps ID.load, ID.rmmod, ID).
leak_run() {
	local lid=$1 mod=$2 before; shift 2
	before=$(free_pages)
	step $lid.load cycles $((LEAK_LOADS - 1)) $mod "$@"
	step $lid.rmmod rmmod $mod
	step $lid leak_check $before $LEAK_TOL
}

# refused_clean MODULE ARGS...: LEAK_LOADS loads of MODULE with the bad
# ARGS all fail with EINVAL and leave nothing behind: the module list,
# debugfs's top level and the free pages (within LEAK_TOL) as before.
refused_clean() {
	local mod=$1 m0 d0 f0 out i=0 r=0; shift
	m0=$(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')
	d0=$(ls /sys/kernel/debug | tr '\n' ' ')
	f0=$(free_pages)
	while [ $i -lt $LEAK_LOADS ]; do
		if out=$(insmod $PKRS_MODS/$mod.ko "$@" 2>&1); then
			echo "insmod $mod $* succeeded; it must fail"
			rmmod $mod
			return 1
		fi
		case $out in
		*"Invalid argument"*) ;;
		*) echo "insmod $mod $* did not fail with EINVAL: $out"; return 1 ;;
		esac
		i=$((i + 1))
	done
	echo "$LEAK_LOADS loads of $mod $* refused with EINVAL"
	[ "$(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')" = "$m0" ] ||
		{ echo "the module list changed: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"; r=1; }
	[ "$(ls /sys/kernel/debug | tr '\n' ' ')" = "$d0" ] ||
		{ echo "debugfs changed: was $d0, is $(ls /sys/kernel/debug | tr '\n' ' ')"; r=1; }
	leak_check $f0 $LEAK_TOL || r=1
	return $r
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
