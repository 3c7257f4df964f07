// SPDX-License-Identifier: GPL-2.0
/* The project's C shim, compiled into page_pool_test.ko. */
#include "../../lib/pkrs_shim.c"
