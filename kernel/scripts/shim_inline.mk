# SPDX-License-Identifier: GPL-2.0
# Included by a directory's Kbuild after it set pkrs-shim-mods, its modules
# that are <m>_main.o (Rust) + <m>_shim.o (the C shim, <m>_shim.c).
#
# On a tree with CONFIG_RUST_INLINE_HELPERS the kernel emits each Rust
# object as LLVM bitcode and links it with the C helpers' bitcode before
# code generation (scripts/Makefile.build, cmd_rustc_o_rs). Here the
# module's shim joins that link: <m>_shim.c is compiled to bitcode with
# PKRS_SHIM_INLINE, and the Rust object's llvm-link gets it as its last
# input (pkrs-llvm-link), so that the shim's fast functions inline into
# Rust; <m>_shim.o keeps only what must stay a call (PKRS_SHIM_OUTLINE;
# see kernel/include/pkrs_shim.h). PKRS_SHIM_INLINE=n, or a tree without
# the option, builds the shim as an object that Rust calls.
pkrs_kernel_dir := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
pkrs_shim_inline := $(if $(filter y,$(CONFIG_RUST_INLINE_HELPERS)),$(if $(filter n,$(PKRS_SHIM_INLINE)),,y))

ifeq ($(pkrs_shim_inline),y)
# Simply expanded: the kernel's llvm-link, before the per-object override.
pkrs_llvm_link := $(LLVM_LINK)

define pkrs_shim_inline_mod
$$(obj)/$(1)_main.o: $$(obj)/$(1)_shim.bc
$$(obj)/$(1)_main.o: private LLVM_LINK = $$(CONFIG_SHELL) $(pkrs_kernel_dir)/scripts/pkrs-llvm-link $(pkrs_llvm_link) $$(obj)/$(1)_shim.bc
CFLAGS_$(1)_shim.o += -DPKRS_SHIM_OUTLINE
targets += $(1)_shim.bc
endef
$(foreach m,$(pkrs-shim-mods),$(eval $(call pkrs_shim_inline_mod,$(m))))

# The bitcode's c_flags are the shim object's (part-of-module, the module's
# name), without its PKRS_SHIM_OUTLINE; -g0 as for the kernel's helpers.
quiet_cmd_pkrs_shim_bc = SHIMBC $(quiet_modtag) $@
      cmd_pkrs_shim_bc = $(CC) $(filter-out -DPKRS_SHIM_OUTLINE,$(c_flags)) -DPKRS_SHIM_INLINE \
	-c -g0 -emit-llvm -o $@ $<
$(patsubst %,$(obj)/%_shim.bc,$(pkrs-shim-mods)): $(obj)/%.bc: $(obj)/%.c FORCE
	$(call if_changed_dep,pkrs_shim_bc)
endif
