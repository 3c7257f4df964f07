// SPDX-License-Identifier: GPL-2.0
/* The project's C shim, compiled into page_bench03.ko. */
#include "../lib/pkrs_shim.c"
