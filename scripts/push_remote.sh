#!/usr/bin/env bash
# push_remote.sh: install the built modules on a test host over ssh.
#
#   scripts/push_remote.sh [options] HOST            copy, install, depmod -a
#   scripts/push_remote.sh --delete [options] HOST   remove what a push installed
#
# Copies the .ko files of the modules set to m in .config (those that are
# built) and the helper pkrs-bench to HOST, installs them under
# /lib/modules/<HOST's release>/extra/ (the helper in its prototype-kernel-rs/
# subdirectory), lists them in extra/prototype-kernel-rs.manifest and runs
# depmod -a. Refuses before copying anything when HOST runs another kernel
# release than the one the modules were built for (unless --force).
#
# Options:
#   -p, --port PORT        ssh port (default: ssh's own, usually 22)
#   -u, --user USER        remote user (default root; another user needs sudo -n)
#   -i, --identity FILE    ssh identity (private key) file
#   -o OPTION              ssh option, repeatable (e.g. -o UserKnownHostsFile=FILE)
#   -f, --force            install even when HOST runs another kernel release
#   -d, --modules-dir DIR  take the .ko files from DIR (default: kernel/)
#   -c, --copy METHOD      auto (default: rsync, else scp, else a tar stream),
#                          rsync, scp or tar
#   -n, --dry-run          check everything, show what would be installed
#       --delete           remove exactly what the last push installed; depmod -a
#   -h, --help             this text
#
# Host-key checking stays on (StrictHostKeyChecking=yes): HOST's key must be
# in your known_hosts already, e.g. from a first `ssh HOST` that you checked.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; }

host='' port='' user=root identity='' force=0 moddir=$top/kernel copy=auto dry=0 delete=0
opts=()
need() { [ $# -ge 2 ] || pkrs_die "option $1 needs a value (see -h)"; }
while [ $# -gt 0 ]; do
	case $1 in
	-p|--port) need "$@"; port=$2; shift 2 ;;
	-u|--user) need "$@"; user=$2; shift 2 ;;
	-i|--identity) need "$@"; identity=$2; shift 2 ;;
	-o) need "$@"; opts+=("$2"); shift 2 ;;
	-f|--force) force=1; shift ;;
	-d|--modules-dir) need "$@"; moddir=$2; shift 2 ;;
	-c|--copy) need "$@"; copy=$2; shift 2 ;;
	-n|--dry-run) dry=1; shift ;;
	--delete) delete=1; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	-*) pkrs_die "unknown option $1 (see -h)" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || pkrs_die "no HOST given (usage: ${0##*/} [options] HOST; see -h)"
[ $# -eq 1 ] || pkrs_die "one HOST only (extra arguments: ${*:2})"
host=$1

# --- the arguments: checked before anything runs -----------------------------
# HOST: a host name or ssh alias, an IPv4 address, an IPv6 address (bare or
# in brackets). Never empty, never starting with '-', no '@', no blanks.
[ -n "$host" ] || pkrs_die "HOST is empty (make push_remote HOST=NAME, or scripts/push_remote.sh NAME)"
if [[ $host =~ ^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$ ]]; then
	host_ssh=$host host_spec=$host
elif [[ $host =~ ^\[([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)\]$ ]]; then
	host_ssh=${BASH_REMATCH[1]} host_spec=$host
elif [[ $host =~ ^[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*$ ]]; then
	host_ssh=$host host_spec="[$host]"
else
	pkrs_die "malformed HOST '$host': expected a host name, an IPv4 address or an [IPv6] address"
fi
if [ -n "$port" ]; then
	if ! [[ $port =~ ^[1-9][0-9]{0,4}$ ]] || [ "$port" -gt 65535 ]; then
		pkrs_die "malformed PORT '$port': expected a number from 1 to 65535"
	fi
fi
[[ $user =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || pkrs_die "malformed USER '$user': expected [a-z_][a-z0-9_-]*"
if [ -n "$identity" ]; then
	[ -f "$identity" ] || pkrs_die "identity file $identity: no such file"
fi
for o in ${opts[@]+"${opts[@]}"}; do
	[[ $o =~ ^[A-Za-z][A-Za-z0-9]*[=\ ] ]] || pkrs_die "malformed ssh option '-o $o': expected Key=Value"
	k=${o%%[= ]*} v=${o#*[= ]}
	if [ "${k,,}" = stricthostkeychecking ] && [ "${v,,}" != yes ]; then
		pkrs_die "-o $o: host-key checking stays on (add the host to known_hosts instead)"
	fi
done
case $copy in auto|rsync|scp|tar) ;; *) pkrs_die "--copy $copy: expected auto, rsync, scp or tar" ;; esac

# ssh's options, each its own argument. The first value of an option wins in
# ssh, so host-key checking is set first. No forwarding, no tty.
common=(-o StrictHostKeyChecking=yes)
for o in ${opts[@]+"${opts[@]}"}; do common+=(-o "$o"); done
[ -z "$identity" ] || common+=(-i "$identity")
ssh_args=(-T -x -a -o ClearAllForwardings=yes -l "$user" ${port:+-p "$port"} "${common[@]}")

# remote ACTION [STAGE]: run scripts/remote/pkrs-remote.sh on HOST. The
# command line ssh sends is built here from constants and a staging path
# that has been checked against a fixed pattern; the script itself travels
# on standard input.
remote() {
	local cmd="sh -s -- $*"
	case $1 in install|uninstall) [ "$user" = root ] || cmd="sudo -n $cmd" ;; esac
	ssh "${ssh_args[@]}" -- "$host_ssh" "$cmd" <"$here/remote/pkrs-remote.sh"
}
where="$user@$host_spec${port:+ port $port}"

if [ $delete = 1 ]; then
	[ $dry = 0 ] || { pkrs_msg "dry run: would remove what the manifest on $where lists"; exit 0; }
	pkrs_msg "removing what push_remote installed on $where"
	remote uninstall || pkrs_die "removing on $where failed"
	exit 0
fi

# --- the modules: enabled in .config and built ------------------------------
[ -f "$top/.config" ] || pkrs_die "no .config: run make first"
[ -d "$moddir" ] || pkrs_die "modules directory $moddir: no such directory"
files=() names=() built_rel=''
while read -r name; do
	mapfile -t found < <(find "$moddir/" -name "$name.ko" -type f)
	if [ ${#found[@]} = 0 ]; then
		pkrs_msg "note: $name is enabled in .config but not built (no $name.ko): skipped"
		continue
	fi
	[ ${#found[@]} = 1 ] || pkrs_die "more than one $name.ko under $moddir: ${found[*]}"
	ko=${found[0]}
	# The release is the first word of the vermagic string in .modinfo.
	rel=$(tr '\0' '\n' <"$ko" | sed -n 's/^vermagic=\([^ ]*\).*/\1/p' | head -n 1)
	[[ $rel =~ ^[A-Za-z0-9_.+-]+$ ]] || pkrs_die "$ko: no readable vermagic (not a kernel module?)"
	[ -z "$built_rel" ] || [ "$rel" = "$built_rel" ] ||
		pkrs_die "$ko is built for $rel, other modules for $built_rel: rebuild (make clean; make)"
	built_rel=$rel
	files+=("$ko") names+=("$name")
done < <(sed -n 's/^CONFIG_\([A-Z0-9_]*\)=m[[:space:]]*$/\1/p' "$top/.config" | tr '[:upper:]' '[:lower:]')
[ ${#files[@]} -gt 0 ] ||
	pkrs_die "no built module to push (none of the modules set to m in .config has a .ko under $moddir): run make first"
files+=("$here/remote/pkrs-bench")
for f in "${files[@]}"; do
	[[ ${f##*/} =~ ^[A-Za-z0-9_.+-]+$ ]] || pkrs_die "unexpected file name: $f"
done

# --- the host: reachable, same release, tools ---------------------------------
pkrs_msg "checking $where"
probe=$(remote probe) || pkrs_die "cannot run commands on $where over ssh (see ssh's message above)"
val() { sed -n "s/^$1=//p" <<<"$probe" | head -n 1; }
host_rel=$(val release)
# A release is a directory name under /lib/modules: no "." or "..".
[[ $host_rel =~ ^[A-Za-z0-9][A-Za-z0-9_.+-]*$ ]] || pkrs_die "unexpected answer from $where: $probe"
if [ "$host_rel" != "$built_rel" ]; then
	[ $force = 1 ] || pkrs_die "$host runs kernel $host_rel but the modules are built for $built_rel: refusing (build against $host's kernel tree, or --force)"
	pkrs_msg "warning: $host runs kernel $host_rel, the modules are built for $built_rel (--force)"
fi
[ "$(val depmod)" = yes ] || pkrs_die "$host has no depmod"
if [ "$copy" = auto ]; then
	if command -v rsync >/dev/null && [ "$(val rsync)" = yes ]; then copy=rsync
	elif [ "$(val scp)" = yes ]; then copy=scp
	elif [ "$(val tar)" = yes ]; then copy=tar
	else pkrs_die "$host has none of rsync, scp, tar to receive files"
	fi
fi
[ "$(val "$copy")" = yes ] || pkrs_die "--copy $copy: $host has no $copy"
[ "$copy" != rsync ] || command -v rsync >/dev/null || pkrs_die "--copy rsync: rsync is not installed here"

dest=/lib/modules/$host_rel/extra
if [ $dry = 1 ]; then
	pkrs_msg "dry run: would copy with $copy and install on $where:"
	for f in "${files[@]}"; do
		case $f in
		*.ko) echo "  $f -> $dest/${f##*/}" ;;
		*) echo "  $f -> $dest/prototype-kernel-rs/${f##*/}" ;;
		esac
	done
	exit 0
fi

# --- copy to a staging directory, install from there --------------------------
stage=$(remote stage) || pkrs_die "cannot make a staging directory on $where"
[[ $stage =~ ^/tmp/pkrs-push\.[A-Za-z0-9]+$ ]] || pkrs_die "unexpected staging directory from $where: $stage"
installed=0
cleanup() { [ $installed = 1 ] || remote unstage "$stage" >/dev/null 2>&1 || true; }
trap cleanup EXIT

pkrs_msg "copying ${#files[@]} files with $copy"
case $copy in
rsync)
	# rsync splits -e itself (no shell): each argument in single quotes.
	rsh=ssh
	for a in "${ssh_args[@]}"; do
		[[ $a != *"'"* ]] || pkrs_die "--copy rsync: an ssh option contains a quote: $a (use --copy scp)"
		rsh+=" '$a'"
	done
	rsync -t --chmod=F644 -e "$rsh" -- "${files[@]}" "$host_spec:$stage/" </dev/null
	;;
scp)
	# OpenSSH's scp >= 9 speaks SFTP unless told -O (the scp protocol, which
	# needs an scp program on the host, checked above, but no sftp-server).
	legacy=()
	scp -O 2>&1 | grep -q 'unknown option' || legacy=(-O)
	scp -q ${legacy[@]+"${legacy[@]}"} ${port:+-P "$port"} "${common[@]}" -- \
		"${files[@]}" "$user@$host_spec:$stage/" </dev/null
	;;
tar)
	tar_args=()
	for f in "${files[@]}"; do tar_args+=(-C "$(dirname "$f")" "${f##*/}"); done
	tar -cf - --owner=0 --group=0 --numeric-owner "${tar_args[@]}" |
		ssh "${ssh_args[@]}" -- "$host_ssh" "tar -xf - -C $stage"
	;;
esac

pkrs_msg "installing on $where"
remote install "$stage" || pkrs_die "installing on $where failed"
installed=1
pkrs_msg "done: run a benchmark with: ssh ${port:+-p $port }$user@$host_ssh $dest/prototype-kernel-rs/pkrs-bench ${names[0]}"
