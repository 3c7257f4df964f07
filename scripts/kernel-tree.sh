#!/usr/bin/env bash
# Prepare the project's default kernel tree: a Rust-enabled Linux 7.2 built
# from Debian's linux-source-7.2 package with tinyconfig + the project's
# config fragment, cached outside the repository.
#
#   scripts/kernel-tree.sh           prepare (idempotent) and print the tree's path
#   scripts/kernel-tree.sh --path    print the path the tree has or will have
#   --variant debug                  the same plus kernel-fragment-debug.config
#                                    (DEBUG_VM, DEBUG_PAGEALLOC, DMA_API_DEBUG),
#                                    for tests; linked as $PKRS_CACHE/linux-debug
#
# Environment: PKRS_CACHE (cache directory), PKRS_KVER (Debian package version
# to prefer), PKRS_MIRROR (Debian mirror; default: the host's configured one).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

PKG=linux-source-7.2
PKRS_KVER=${PKRS_KVER:-7.2.13-1}
fragments=("$here/kernel-fragment.config")
tree_link=$PKRS_CACHE/linux
path_only=
while [ $# -gt 0 ]; do
	case $1 in
	--path) path_only=1; shift ;;
	--variant)
		[ "${2:-}" = debug ] || pkrs_die "--variant: only 'debug' exists"
		fragments+=("$here/kernel-fragment-debug.config")
		tree_link=$PKRS_CACHE/linux-debug
		shift 2 ;;
	*) pkrs_die "unknown option $1" ;;
	esac
done
if [ -n "$path_only" ]; then
	echo "$tree_link"
	exit 0
fi

command -v rustc >/dev/null || pkrs_die "rustc not found: run scripts/setup-host.sh first"
# CONFIG_RUST_INLINE_HELPERS needs clang and rustc on one LLVM major version.
rust_llvm=$(rustc --version --verbose | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
inline=
if [ "-$rust_llvm" = "$PKRS_LLVM" ]; then
	inline=1
	fragments+=("$here/kernel-fragment-inline.config")
fi

mkdir -p "$PKRS_CACHE"
# The fragments, merged: the tree is keyed by their content and the LLVM it
# is built with, so a changed fragment or toolchain builds a new tree beside
# the old one instead of reconfiguring it.
fragment=$PKRS_CACHE/.fragment.$$
trap 'rm -f "$fragment"' EXIT
cat "${fragments[@]}" >"$fragment"
key=$( (cat "$fragment"; echo "LLVM=$PKRS_LLVM") | sha256sum | cut -c1-12)
exec 9>"$PKRS_CACHE/.kernel-tree.lock"
flock 9

stamp_ok() { [ -f "$1/.pkrs-built" ] && [ "$(cat "$1/.pkrs-built")" = "$key" ]; }

# Fast path: a built tree for this fragment exists.
if [ -L "$tree_link" ] && stamp_ok "$(readlink -f "$tree_link")"; then
	readlink -f "$tree_link"
	exit 0
fi

mirror() {
	if [ -n "${PKRS_MIRROR:-}" ]; then echo "$PKRS_MIRROR"; return; fi
	local m
	m=$(grep -hs -E '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null |
		grep -v -e security -e '\[' | head -1 |
		sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+//; s/[[:space:]].*//')
	echo "${m:-http://deb.debian.org/debian}"
}

# Download the .deb through a private apt configuration that names the sid
# suite, so that the host's own apt sources are left alone.
fetch_deb() {
	local apt=$PKRS_CACHE/apt debs=$PKRS_CACHE/debs
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$debs"
	local have
	have=$(ls "$debs"/${PKG}_*.deb "$debs"/linux-source-7.*_all.deb 2>/dev/null | head -1 || true)
	if [ -n "$have" ]; then echo "$have"; return; fi

	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(mirror) sid main" \
		>"$apt/sources.list"
	: >"$apt/status"
	local o=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=$apt/status"
		-o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o APT::Get::List-Cleanup=0)
	pkrs_msg "reading the sid package index from $(mirror)"
	apt-get "${o[@]}" update -qq >&2 ||
		pkrs_die "cannot read the sid package index; pass kbuildkdir=DIR to use your own Rust-enabled tree"

	local want=$PKG ver=$PKRS_KVER
	if ! apt-cache "${o[@]}" show "$PKG=$ver" >/dev/null 2>&1; then
		# The pinned version left sid: take the newest linux-source-7.x.
		want=$(apt-cache "${o[@]}" search --names-only '^linux-source-7\.[0-9]+$' |
			awk '{print $1}' | sort -V | tail -1)
		[ -n "$want" ] ||
			pkrs_die "no linux-source-7.x package in sid; pass kbuildkdir=DIR to use your own Rust-enabled tree"
		ver=$(apt-cache "${o[@]}" show "$want" | awk '/^Version:/{print $2; exit}')
		pkrs_msg "notice: $PKG $PKRS_KVER is no longer in sid; using $want $ver instead"
	fi
	local sha
	sha=$(apt-cache "${o[@]}" show "$want=$ver" | awk '/^SHA256:/{print $2; exit}')
	(cd "$apt/cache/archives/partial" && apt-get "${o[@]}" download -qq "$want=$ver" >&2) ||
		pkrs_die "download of $want $ver failed; pass kbuildkdir=DIR to use your own Rust-enabled tree"
	local f
	f=$(ls "$apt/cache/archives/partial"/${want}_*.deb | head -1)
	echo "$sha  $f" | sha256sum -c --quiet - >&2 ||
		pkrs_die "$f: SHA256 does not match the sid index"
	mv "$f" "$debs/"
	echo "$debs/${f##*/}"
}

for t in clang$PKRS_LLVM ld.lld$PKRS_LLVM llvm-link$PKRS_LLVM bindgen rustc flex bison bc; do
	command -v "$t" >/dev/null || pkrs_die "$t not found: run scripts/setup-host.sh first"
done
# The kernel's bindgen, and the project's, with the same libclang.
[ -d "/usr/lib/llvm$PKRS_LLVM/lib" ] && export LIBCLANG_PATH=/usr/lib/llvm$PKRS_LLVM/lib

deb=$(fetch_deb)
ver=$(dpkg-deb -f "$deb" Version)
src=$PKRS_CACHE/src-$ver-$key
if ! stamp_ok "$src"; then
	if [ ! -f "$src/.pkrs-unpacked" ]; then
		pkrs_msg "unpacking $(basename "$deb")"
		rm -rf "$src" "$src.tmp"
		mkdir -p "$src.tmp"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$src.tmp" --wildcards './usr/src/linux-source-*.tar.*'
		tarball=$(ls "$src.tmp"/usr/src/linux-source-*.tar.*)
		mkdir -p "$src"
		tar -xf "$tarball" -C "$src" --strip-components=1
		rm -rf "$src.tmp"
		touch "$src/.pkrs-unpacked"
	fi
	m=(-C "$src" LLVM="$PKRS_LLVM")
	pkrs_msg "configuring $src (tinyconfig + ${fragments[*]##*/}, LLVM=$PKRS_LLVM)"
	[ -n "$inline" ] ||
		pkrs_msg "notice: clang$PKRS_LLVM is not on rustc's LLVM ${rust_llvm:-?}, so the tree does not inline C into Rust (PKRS_LLVM=-$rust_llvm makes one that does)"
	make "${m[@]}" -s tinyconfig
	(cd "$src" && ./scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null)
	make "${m[@]}" -s olddefconfig
	# Every line of the fragment must have survived olddefconfig.
	bad=0
	while IFS= read -r line; do
		case "$line" in ''|'#'*) continue ;; esac
		opt=${line%%=*}; val=${line#*=}
		if [ "$val" = n ]; then
			grep -q "^$opt=" "$src/.config" && { pkrs_msg "$opt is set, the fragment says n"; bad=1; }
		else
			grep -qx "$line" "$src/.config" || { pkrs_msg "$line did not survive olddefconfig"; bad=1; }
		fi
	done <"$fragment"
	[ $bad = 0 ] || pkrs_die "the config fragment does not apply to this tree"
	make "${m[@]}" rustavailable >&2 || pkrs_die "the Rust toolchain does not suit this tree"
	pkrs_msg "building the kernel (about 7-10 minutes on 2 cores)"
	make "${m[@]}" -j"$(nproc)" -s >&2
	echo "$key" >"$src/.pkrs-built"
fi
ln -sfn "$src" "$tree_link.tmp"
mv -T "$tree_link.tmp" "$tree_link"
echo "$src"
