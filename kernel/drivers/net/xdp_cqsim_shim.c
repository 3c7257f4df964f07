// SPDX-License-Identifier: GPL-2.0
/*
 * The C shim of xdp_cqsim.ko: the project's common shim and its netdev and
 * XDP part (the simulated NIC itself is Rust).
 */
#include "../../lib/pkrs_shim.c"
#include "../../lib/pkrs_netdev.c"
