# SPDX-License-Identifier: GPL-2.0
# Included by a directory's Kbuild: generates $(obj)/pkrs_shim_bindings.rs
# from kernel/include/pkrs_shim.h. Kernel types come from kernel::bindings.
pkrs_kernel_dir := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)

quiet_cmd_pkrs_bindgen = BINDGEN $@
      cmd_pkrs_bindgen = $(BINDGEN) $< --rust-target 1.85 --use-core \
	--ctypes-prefix kernel::ffi --no-layout-tests --no-debug '.*' \
	--allowlist-function 'pkrs_.*' --allowlist-type 'pkrs_.*' \
	--blocklist-type 'page|device|tasklet_struct' \
	--with-derive-default \
	--raw-line 'use kernel::bindings::*;' \
	-o $@ -- $(c_flags) -fno-builtin -D__BINDGEN__ -DMODULE

$(obj)/pkrs_shim_bindings.rs: $(pkrs_kernel_dir)/include/pkrs_shim.h FORCE
	$(call if_changed_dep,pkrs_bindgen)
targets += pkrs_shim_bindings.rs

# The page_pool's counters: CONFIG_PKRS_PAGE_POOL_STATS=y in .config.
rustflags-$(CONFIG_PKRS_PAGE_POOL_STATS) += --cfg pkrs_pp_stats

# The project's own debug checks (debug_assert!): CONFIG_PKRS_DEBUG=y in
# .config. Off by default: the benchmarks measure the code without them.
rustflags-$(CONFIG_PKRS_DEBUG) += -Cdebug-assertions=on
