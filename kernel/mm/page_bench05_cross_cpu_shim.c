// SPDX-License-Identifier: GPL-2.0
/* The project's C shim, compiled into page_bench05_cross_cpu.ko. */
#include "../lib/pkrs_shim.c"
