#!/usr/bin/env bash
# check-kdir.sh DIR WHERE-FROM: is DIR a kernel tree that can build
# out-of-tree Rust modules? One line of reason and exit 1 when not.
dir=$1 from=${2:-$1}
fail() { echo "error: $from: $*" >&2; exit 1; }
[ -d "$dir" ] || fail "no such directory"
[ -f "$dir/Makefile" ] || fail "$dir is not a kernel build tree (no Makefile)"
[ -f "$dir/.config" ] || fail "$dir is not configured (no .config)"
grep -q '^CONFIG_RUST=y' "$dir/.config" ||
	fail "$dir was configured without CONFIG_RUST=y, so it cannot build Rust modules"
[ -f "$dir/rust/libkernel.rmeta" ] ||
	fail "$dir has no Rust metadata (rust/libkernel.rmeta): build the tree first (make LLVM=1)"
# The Rust objects of modules are linked with the helpers' bitcode there.
if grep -q '^CONFIG_RUST_INLINE_HELPERS=y' "$dir/.config"; then
	[ -f "$dir/rust/helpers/helpers_module.bc" ] ||
		fail "$dir has CONFIG_RUST_INLINE_HELPERS=y but no rust/helpers/helpers_module.bc: build the tree first"
fi
exit 0
