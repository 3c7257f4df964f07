#!/usr/bin/env bash
# Install what building and testing the project needs on a Debian 12 host:
# LLVM/clang 22 (the kernel tree is built with LLVM=-22, PKRS_LLVM), kernel build tools,
# QEMU and busybox for the test box, rust-src and bindgen-cli for Rust
# kernel modules, ssh clients, rsync and dropbear (the test box's ssh server
# in the push_remote tests), libbpf-dev and linux-libc-dev for the headers of
# the samples/bpf XDP programs, dwarves (pahole: kernel BTF), iproute2
# ethtool and netcat-openbsd (copied into the test box: XDP attach, driver
# counters, a UDP socket that counts), python3-sphinx (the documentation:
# make html). Idempotent: installs only what is missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

debs=(clang$PKRS_LLVM lld$PKRS_LLVM llvm$PKRS_LLVM libclang$PKRS_LLVM-dev bc bison flex libelf-dev libssl-dev
      cpio busybox-static qemu-system-x86 kmod make gcc rsync openssh-client dropbear-bin
      libbpf-dev linux-libc-dev dwarves iproute2 ethtool netcat-openbsd python3-sphinx)
missing=()
for p in "${debs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	pkrs_msg "installing Debian packages: ${missing[*]}"
	pkrs_root apt-get update -qq
	pkrs_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v rustup >/dev/null || pkrs_die "rustup not found: install Rust with rustup first"
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	pkrs_msg "adding the rust-src component"
	rustup component add rust-src
fi

# The kernel needs bindgen >= 0.71.1; 0.73 is what the default tree is tested with.
need_bindgen=1
if command -v bindgen >/dev/null; then
	v=$(bindgen --version | awk '{print $2}')
	if [ "$(printf '%s\n0.71.1\n' "$v" | sort -V | head -1)" = 0.71.1 ]; then
		need_bindgen=0
	fi
fi
if [ $need_bindgen = 1 ]; then
	pkrs_msg "installing bindgen-cli (about 2 minutes)"
	LIBCLANG_PATH=/usr/lib/llvm$PKRS_LLVM/lib cargo install bindgen-cli --locked --version '^0.73' -q
fi
