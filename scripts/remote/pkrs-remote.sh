# pkrs-remote.sh: the test host's side of scripts/push_remote.sh.
# Not installed: push_remote.sh sends it on ssh's standard input and runs it
# with the fixed command "sh -s -- ACTION [STAGE]" (POSIX sh, busybox too).
#
#   probe          print the kernel release and whether rsync, scp, depmod exist
#   stage          make a staging directory under /tmp and print its path
#   install STAGE  install the staged files, write the manifest, depmod -a
#   uninstall      remove what the manifest lists, then the manifest; depmod -a
#   unstage STAGE  remove a staging directory
#
# Installed: the .ko files in /lib/modules/<release>/extra/, the helpers in
# /lib/modules/<release>/extra/prototype-kernel-rs/, the list of both in
# /lib/modules/<release>/extra/prototype-kernel-rs.manifest.
set -eu
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

die() { echo "remote: error: $*" >&2; exit 1; }
has() { command -v "$1" >/dev/null 2>&1 && echo yes || echo no; }

rel=$(uname -r)
printf '%s\n' "$rel" | grep -Eq '^[A-Za-z0-9_.+-]+$' || die "unexpected kernel release: $rel"
extra=/lib/modules/$rel/extra
helpers=$extra/prototype-kernel-rs
manifest=$extra/prototype-kernel-rs.manifest

check_stage() {
	printf '%s\n' "$1" | grep -Eq '^/tmp/pkrs-push\.[A-Za-z0-9]+$' || die "bad staging directory: $1"
	if [ ! -d "$1" ] || [ -L "$1" ]; then die "no staging directory $1"; fi
}

# A manifest line: a file or directory (trailing /) directly in $extra or
# one level below, no "..".
in_extra() {
	printf '%s\n' "$1" | grep -Eq '^/lib/modules/[A-Za-z0-9_.+-]+/extra/[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)?/?$' ||
		return 1
	case $1 in "$extra"/*) ;; *) return 1 ;; esac
	case $1 in */../*|*/..) return 1 ;; esac
}

# Remove the files the manifest lists (only paths under $extra), then the
# manifest. The helpers' directory is listed last and removed when empty.
remove_installed() {
	[ -f "$manifest" ] || return 0
	while IFS= read -r p; do
		in_extra "$p" || { echo "remote: skipping a manifest line outside $extra: $p" >&2; continue; }
		case $p in
		*/)
			if rmdir "$p" 2>/dev/null; then echo "removed: $p"
			elif [ -d "$p" ]; then echo "remote: kept $p (not empty)" >&2; fi ;;
		*) [ ! -e "$p" ] || { rm -f "$p"; echo "removed: $p"; } ;;
		esac
	done <"$manifest"
	rm -f "$manifest"
	echo "removed: $manifest"
}

run_depmod() {
	command -v depmod >/dev/null 2>&1 || die "depmod not found"
	depmod -a "$rel"
	echo "depmod -a $rel: done"
}

case ${1-} in
probe)
	echo "release=$rel"
	echo "rsync=$(has rsync)"
	echo "scp=$(has scp)"
	echo "tar=$(has tar)"
	echo "depmod=$(has depmod)"
	echo "uid=$(id -u)"
	;;
stage)
	mktemp -d /tmp/pkrs-push.XXXXXXXX
	;;
unstage)
	check_stage "${2-}"
	rm -rf "$2"
	;;
install)
	check_stage "${2-}"
	stage=$2
	[ "$(id -u)" = 0 ] || die "installing needs root"
	remove_installed >/dev/null
	mkdir -p "$extra" "$helpers"
	list=$stage/.manifest
	: >"$list"
	for f in "$stage"/*; do
		[ -f "$f" ] || continue
		n=${f##*/}
		printf '%s\n' "$n" | grep -Eq '^[A-Za-z0-9_.+-]+$' || die "bad file name in $stage: $n"
		case $n in
		*.ko) dest=$extra/$n; mode=644 ;;
		*) dest=$helpers/$n; mode=755 ;;
		esac
		cp "$f" "$dest.pkrs-new"
		chmod "$mode" "$dest.pkrs-new"
		mv -f "$dest.pkrs-new" "$dest"
		echo "$dest" >>"$list"
		echo "installed: $dest"
	done
	echo "$helpers/" >>"$list"
	mv -f "$list" "$manifest"
	echo "manifest: $manifest"
	rm -rf "$stage"
	run_depmod
	;;
uninstall)
	[ "$(id -u)" = 0 ] || die "removing needs root"
	if [ ! -f "$manifest" ]; then
		echo "nothing to remove: no $manifest"
		exit 0
	fi
	remove_installed
	run_depmod
	;;
*)
	die "unknown action: ${1-}"
	;;
esac
