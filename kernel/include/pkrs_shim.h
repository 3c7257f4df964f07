/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C shim: kernel functions that are static inline (or macros) and that
 * the kernel crate does not wrap, exposed as plain functions for Rust.
 * Implemented in kernel/lib/pkrs_shim.c, compiled into each module that
 * needs it; Rust declarations are generated from this header by bindgen.
 */
#ifndef PKRS_SHIM_H
#define PKRS_SHIM_H

#include <linux/types.h>

struct page;

/* put_page(): drop a reference; the last one frees the page. */
void pkrs_put_page(struct page *page);

#endif /* PKRS_SHIM_H */
