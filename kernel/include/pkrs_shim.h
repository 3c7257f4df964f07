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

/*
 * alloc_pages_bulk() on the local memory node: fills the NULL entries of
 * pages[0..nr) with order-0 pages; returns how many entries are filled.
 */
unsigned long pkrs_alloc_pages_bulk(gfp_t gfp, unsigned long nr,
				    struct page **pages);

/* release_pages(): put_page() on each of pages[0..nr), batched. */
void pkrs_release_pages(struct page **pages, int nr);

#endif /* PKRS_SHIM_H */
