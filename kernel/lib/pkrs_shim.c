// SPDX-License-Identifier: GPL-2.0
/*
 * The C shim (see kernel/include/pkrs_shim.h). Not built on its own: a
 * module's <name>_shim.c includes this file, so that each module carries its
 * own copy and no symbol is shared between modules.
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "../include/pkrs_shim.h"

void pkrs_put_page(struct page *page)
{
	put_page(page);
}

unsigned long pkrs_alloc_pages_bulk(gfp_t gfp, unsigned long nr,
				    struct page **pages)
{
	return alloc_pages_bulk(gfp, nr, pages);
}

void pkrs_release_pages(struct page **pages, int nr)
{
	release_pages(pages, nr);
}
