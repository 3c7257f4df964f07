#!/usr/bin/env bash
# upstream-bench.sh: build the kernel's own C page_pool benchmark
# (tools/testing/selftests/net/bench/page_pool/, bench_page_pool.ko) against
# a kernel tree, as the reference column for the project's benchmarks.
#
#   scripts/upstream-bench.sh [--kdir DIR]
#
# DIR defaults to the project's default tree ($PKRS_CACHE/linux). The sources
# are copied to $PKRS_CACHE/upstream-bench/<kernel release>/ and built there
# with make -C DIR M=<that directory> LLVM=<the tree's clang> (the same rule
# as the top Makefile; LLVM from the environment wins). Rebuilds only when
# the sources, the tree or LLVM changed or the .ko is missing. Prints the
# path of bench_page_pool.ko on stdout; messages go to stderr. A tree
# without that directory (kernels before the bench moved there) fails with
# a one-line reason.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

rel_src=tools/testing/selftests/net/bench/page_pool
kdir=$PKRS_CACHE/linux
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) [ $# -ge 2 ] || pkrs_die "--kdir wants a directory"; kdir=$2; shift 2 ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	*) pkrs_die "unknown option $1 (see --help)" ;;
	esac
done

[ -d "$kdir" ] || pkrs_die "$kdir: no such directory"
kdir=$(cd "$kdir" && pwd -P)
src=$kdir/$rel_src
[ -f "$src/Makefile" ] && [ -f "$src/bench_page_pool_simple.c" ] ||
	pkrs_die "$kdir has no $rel_src (the upstream page_pool bench is not in this kernel)"
[ -f "$kdir/include/config/kernel.release" ] ||
	pkrs_die "$kdir is not built (no include/config/kernel.release)"
grep -q '^CONFIG_PAGE_POOL=y' "$kdir/.config" ||
	pkrs_die "$kdir is configured without CONFIG_PAGE_POOL=y, which the upstream page_pool bench needs"
release=$(cat "$kdir/include/config/kernel.release")

# LLVM=-<major> for a clang-built tree when that clang is installed, else 1.
if [ -z "${LLVM:-}" ]; then
	clang_version=$(sed -n 's/^CONFIG_CLANG_VERSION=//p' "$kdir/.config")
	if [ -n "$clang_version" ] && [ "$clang_version" != 0 ]; then
		major=$((clang_version / 10000))
		if command -v "clang-$major" >/dev/null; then LLVM=-$major; else LLVM=1; fi
	fi
fi

out=$PKRS_CACHE/upstream-bench/$release
ko=$out/bench_page_pool.ko
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

# Copy the sources that differ; kbuild then rebuilds what depends on them.
changed=
for f in "$src"/*; do
	[ -f "$f" ] || continue
	cmp -s "$f" "$out/${f##*/}" && continue
	cp "$f" "$out/"
	changed=1
done
stamp="kdir=$kdir LLVM=${LLVM:-}"
[ "$(cat "$out/.built-with" 2>/dev/null)" = "$stamp" ] || changed=1

if [ -n "$changed" ] || [ ! -f "$ko" ]; then
	pkrs_msg "building the upstream page_pool bench for $release in $out"
	rm -f "$out/.built-with"
	if ! make -C "$kdir" M="$out" ${LLVM:+LLVM=$LLVM} modules >"$out/build.log" 2>&1; then
		tail -n 15 "$out/build.log" >&2
		pkrs_die "building the upstream page_pool bench failed (log: $out/build.log)"
	fi
	[ -f "$ko" ] || pkrs_die "the build made no $ko"
	printf '%s\n' "$stamp" >"$out/.built-with"
else
	pkrs_msg "the upstream page_pool bench for $release is up to date"
fi
echo "$ko"
