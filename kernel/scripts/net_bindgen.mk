# SPDX-License-Identifier: GPL-2.0
# Included by the Kbuild of a network driver: generates
# $(obj)/pkrs_net_bindings.rs from kernel/include/pkrs_net_bindgen.h, the
# netdev/XDP and virtio shim plus the exported kernel functions the drivers
# call directly. Types the kernel crate has come from kernel::bindings; the
# kernel structs a driver only points to are opaque; struct xdp_buff is
# generated whole (its layout is checked against the C one at load).
pkrs_net_funcs := pkrs_.*|virtqueue_(get_buf|disable_cb|enable_cb_prepare|poll|detach_unused_buf|dma_dev|get_vring_size|enable_cb_delayed|is_broken)|xdp_do_redirect|xdp_do_flush|xdp_build_skb_from_buff|xdp_return_frame|bpf_warn_invalid_xdp_action|napi_consume_skb

quiet_cmd_pkrs_net_bindgen = BINDGEN $@
      cmd_pkrs_net_bindgen = $(BINDGEN) $< --rust-target 1.85 --use-core \
	--ctypes-prefix kernel::ffi --no-layout-tests --no-debug '.*' \
	--allowlist-function '$(pkrs_net_funcs)' \
	--allowlist-type 'pkrs_.*|xdp_buff|virtqueue|virtio_device|xdp_rxq_info|xdp_txq_info' \
	--allowlist-var 'XDP_PACKET_HEADROOM|XDP_XMIT_FLUSH|XDP_XMIT_FLAGS_MASK|VIRTIO_F_VERSION_1|VIRTIO_F_ACCESS_PLATFORM' \
	--allowlist-type 'xdp_action|xdp_mem_type|netdev_xdp_act|gro_result' \
	--opaque-type 'virtqueue|virtio_device|xdp_rxq_info|xdp_txq_info' \
	--blocklist-type 'page|device|sk_buff|net_device|napi_struct|bpf_prog|xdp_frame|netlink_ext_ack' \
	--no-recursive-allowlist \
	--with-derive-default \
	--raw-line '$(pkrs_bindgen_allow)' \
	--raw-line 'use kernel::bindings::*;' \
	-o $@ -- $(c_flags) -fno-builtin -D__BINDGEN__ -DMODULE

$(obj)/pkrs_net_bindings.rs: $(pkrs_kernel_dir)/include/pkrs_net_bindgen.h \
		$(pkrs_kernel_dir)/include/pkrs_netdev.h $(pkrs_kernel_dir)/include/pkrs_virtio.h FORCE
	$(call if_changed_dep,pkrs_net_bindgen)
targets += pkrs_net_bindings.rs
