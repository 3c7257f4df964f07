# Shared helpers for the project's shell scripts (sourced, not run).

# Where the default kernel tree, downloaded packages and the test box's
# images live. Outside the repository so that a fresh clone reuses them.
PKRS_CACHE=${PKRS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prototype-kernel-rs}
# The default tree is built with this LLVM suffix (clang-19, ld.lld-19, ...).
# With rustc's own LLVM (rustc 1.95: PKRS_LLVM=-22) the tree also inlines C
# into Rust (CONFIG_RUST_INLINE_HELPERS; scripts/kernel-tree.sh).
PKRS_LLVM=${PKRS_LLVM:--19}

pkrs_msg() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
pkrs_die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, else through sudo.
pkrs_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The commit a measurement ran on (12 hex digits, "-dirty" with changes
# not committed), or "unknown" outside a git checkout: the logs record it.
pkrs_commit() {
	git -C "$(dirname "${BASH_SOURCE[0]}")/.." describe --always --dirty --abbrev=12 2>/dev/null ||
		echo unknown
}
