# SPDX-License-Identifier: GPL-2.0
# Included by a directory's Kbuild: generates $(obj)/pkrs_shim_bindings.rs
# from kernel/include/pkrs_shim.h. Kernel types come from kernel::bindings.
quiet_cmd_pkrs_bindgen = BINDGEN $@
      cmd_pkrs_bindgen = $(BINDGEN) $< --rust-target 1.85 --use-core \
	--ctypes-prefix kernel::ffi --no-layout-tests --no-debug '.*' \
	--allowlist-function 'pkrs_.*' --blocklist-type 'page|device|tasklet_struct' --allowlist-type 'pkrs_.*' \
	--raw-line 'use kernel::bindings::*;' \
	-o $@ -- $(c_flags) -fno-builtin -D__BINDGEN__ -DMODULE

$(obj)/pkrs_shim_bindings.rs: $(src)/../include/pkrs_shim.h FORCE
	$(call if_changed_dep,pkrs_bindgen)
targets += pkrs_shim_bindings.rs
