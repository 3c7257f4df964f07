// SPDX-License-Identifier: GPL-2.0
/*
 * The C shim (see kernel/include/pkrs_shim.h). Not built on its own: a
 * module's <name>_shim.c includes this file, so that each module carries its
 * own copy and no symbol is shared between modules.
 */
#include <linux/dma-mapping.h>
#include <linux/error-injection.h>
#include <linux/gfp.h>
#include <linux/interrupt.h>
#include <linux/mm.h>
#include <linux/cpumask.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <net/page_pool/helpers.h>
#include <net/page_pool/types.h>

#include "../include/pkrs_shim.h"
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

/* The build's mode, for modinfo -F pkrs_shim (see pkrs_shim.h). */
#if defined(PKRS_SHIM_INLINE)
MODULE_INFO(pkrs_shim, "inline");
#elif !defined(PKRS_SHIM_OUTLINE)
MODULE_INFO(pkrs_shim, "call");
#endif

#ifndef PKRS_SHIM_OUTLINE

PKRS_FAST void pkrs_put_page(struct page *page)
{
	put_page(page);
}

PKRS_FAST int pkrs_alloc_pages_bulk(gfp_t gfp, int nr, struct page **pages)
{
	return alloc_pages_bulk(gfp, nr, pages);
}

struct page *pkrs_alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	return alloc_pages_node(nid, gfp, order);
}

PKRS_FAST int pkrs_numa_mem_id(void)
{
	return numa_mem_id();
}

PKRS_FAST int pkrs_page_to_nid(struct page *page)
{
	return page_to_nid(page);
}

PKRS_FAST void *pkrs_page_address(struct page *page)
{
	return page_address(page);
}

PKRS_FAST void pkrs_release_pages(struct page **pages, int nr)
{
	release_pages(pages, nr);
}

PKRS_FAST void pkrs_get_page(struct page *page)
{
	get_page(page);
}

PKRS_FAST bool pkrs_page_recyclable(struct page *page)
{
	return page_ref_count(page) == 1 && !page_is_pfmemalloc(page);
}

bool pkrs_node_has_memory(int nid)
{
	return node_state(nid, N_MEMORY);
}

void *pkrs_percpu_alloc(u32 n)
{
	return (void __force *)__alloc_percpu(n * sizeof(u64), sizeof(u64));
}

void pkrs_percpu_free(void *p)
{
	free_percpu((u64 __percpu __force *)p);
}

PKRS_FAST void pkrs_percpu_inc(void *p, u32 i)
{
	this_cpu_inc(((u64 __percpu __force *)p)[i]);
}

u64 pkrs_percpu_sum(void *p, u32 i)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr((u64 __percpu __force *)p, cpu)[i];
	return sum;
}

bool pkrs_cpu_online(unsigned int cpu)
{
	return cpu < nr_cpu_ids && cpu_online(cpu);
}

void pkrs_cond_resched(void)
{
	cond_resched();
}

PKRS_FAST void pkrs_preempt_disable(void)
{
	preempt_disable();
}

PKRS_FAST void pkrs_preempt_enable(void)
{
	preempt_enable();
}

PKRS_FAST bool pkrs_in_softirq(void)
{
	return in_softirq();
}

PKRS_FAST bool pkrs_in_serving_softirq(void)
{
	return in_serving_softirq();
}

PKRS_FAST bool pkrs_in_hardirq_or_nmi(void)
{
	return in_hardirq() || in_nmi();
}

PKRS_FAST bool pkrs_hardirq_or_irqs_off(void)
{
	return in_hardirq() || in_nmi() || irqs_disabled();
}

PKRS_FAST void pkrs_local_bh_disable(void)
{
	local_bh_disable();
}

PKRS_FAST void pkrs_local_bh_enable(void)
{
	local_bh_enable();
}

void pkrs_tasklet_schedule(struct tasklet_struct *t)
{
	tasklet_schedule(t);
}

PKRS_FAST int pkrs_dma_mapping_error(struct device *dev, u64 addr)
{
	return dma_mapping_error(dev, addr);
}

PKRS_FAST void pkrs_dma_sync_for_device(struct device *dev, u64 addr,
					u64 offset, u64 size, int dir)
{
	dma_sync_single_range_for_device(dev, addr, offset, size, dir);
}

PKRS_FAST void pkrs_dma_sync_for_cpu(struct device *dev, u64 addr,
				     u64 offset, u64 size, int dir)
{
	dma_sync_single_range_for_cpu(dev, addr, offset, size, dir);
}

#ifdef CONFIG_PAGE_POOL
void *pkrs_pp_create(const struct pkrs_pp_params *p)
{
	struct page_pool_params pp = {
		.order = p->order,
		.pool_size = p->pool_size,
		.nid = p->nid,
		.dev = p->dev,
		.dma_dir = p->dma_dir,
		.max_len = p->max_len,
		.offset = p->offset,
		.flags = p->flags,
		.napi = p->napi,
		.netdev = p->netdev,
	};

	return page_pool_create(&pp);
}

void pkrs_pp_destroy(void *pool)
{
	page_pool_destroy(pool);
}

/*
 * page_pool_alloc_pages() is page_pool_alloc_netmems() and a conversion;
 * calling the latter keeps its fail_function injection point (which the
 * former inlines away).
 */
PKRS_FAST struct page *pkrs_pp_alloc(void *pool, gfp_t gfp)
{
	return netmem_to_page(page_pool_alloc_netmems(pool, gfp));
}

PKRS_FAST void pkrs_pp_put_full_page(void *pool, struct page *page,
				     bool allow_direct)
{
	page_pool_put_full_page(pool, page, allow_direct);
}

PKRS_FAST u64 pkrs_pp_dma_addr(struct page *page)
{
	return page_pool_get_dma_addr(page);
}

PKRS_FAST bool pkrs_pp_dma_mapped(void *pool)
{
	return ((struct page_pool *)pool)->dma_map;
}

PKRS_FAST void pkrs_pp_sync_for_cpu(void *pool, struct page *page, u32 offset,
				    u32 len)
{
	struct page_pool *pp = pool;

	/*
	 * page_pool_dma_sync_for_cpu() counts from the pool's own offset
	 * (p.offset, where the device writes); ours counts from the page.
	 */
	if (pp->dma_map && !WARN_ON_ONCE(offset < pp->p.offset))
		page_pool_dma_sync_for_cpu(pp, page, offset - pp->p.offset, len);
}

bool pkrs_pp_get_stats(void *pool, struct pkrs_pp_stats *s)
{
	struct page_pool *pp = pool;

	memset(s, 0, sizeof(*s));
	s->hold = READ_ONCE(pp->pages_state_hold_cnt);
	s->release = (u32)atomic_read(&pp->pages_state_release_cnt);
#ifdef CONFIG_PAGE_POOL_STATS
	{
		struct page_pool_stats st = { };

		page_pool_get_stats(pp, &st);
		s->alloc_fast = st.alloc_stats.fast;
		s->alloc_slow = st.alloc_stats.slow;
		s->alloc_slow_high_order = st.alloc_stats.slow_high_order;
		s->alloc_empty = st.alloc_stats.empty;
		s->alloc_refill = st.alloc_stats.refill;
		s->alloc_waive = st.alloc_stats.waive;
		s->recycle_cached = st.recycle_stats.cached;
		s->recycle_cache_full = st.recycle_stats.cache_full;
		s->recycle_ring = st.recycle_stats.ring;
		s->recycle_ring_full = st.recycle_stats.ring_full;
		s->recycle_released_refcnt = st.recycle_stats.released_refcnt;
		return true;
	}
#else
	return false;
#endif
}
#endif /* CONFIG_PAGE_POOL */

static int pkrs_dbgfs_show(struct seq_file *m, void *v)
{
	const struct pkrs_dbgfs_node *n = m->private;

	return n->show ? n->show(m, n->data) : 0;
}

static int pkrs_dbgfs_open(struct inode *inode, struct file *file)
{
	return single_open(file, pkrs_dbgfs_show, inode->i_private);
}

static ssize_t pkrs_dbgfs_write(struct file *file, const char __user *buf,
				size_t len, loff_t *ppos)
{
	const struct seq_file *m = file->private_data;
	const struct pkrs_dbgfs_node *n = m->private;

	if (!n->write)
		return -EINVAL;
	return n->write(n->data, (const char __force *)buf, len);
}

static const struct file_operations pkrs_dbgfs_fops = {
	.owner = THIS_MODULE,
	.open = pkrs_dbgfs_open,
	.read = seq_read,
	.write = pkrs_dbgfs_write,
	.llseek = seq_lseek,
	.release = single_release,
};

struct dentry *pkrs_dbgfs_dir(const char *name, struct dentry *parent)
{
	return debugfs_create_dir(name, parent);
}

struct dentry *pkrs_dbgfs_file(const char *name, struct dentry *parent,
			       const struct pkrs_dbgfs_node *node)
{
	return debugfs_create_file(name, node->write ? 0600 : 0400, parent,
				   (void *)node, &pkrs_dbgfs_fops);
}

void pkrs_dbgfs_remove(struct dentry *d)
{
	debugfs_remove(d);
}

void pkrs_seq_write(struct seq_file *m, const char *s, size_t len)
{
	seq_write(m, s, len);
}
#endif /* !PKRS_SHIM_OUTLINE */

#ifndef PKRS_SHIM_INLINE
/*
 * The native page_pool's refill: failures can be injected here through
 * /sys/kernel/debug/fail_function (retval 0: no page). Outside the inlined
 * part, and noinline, so that the call stays a call whose result the
 * compiler cannot know.
 */
noinline int pkrs_alloc_pages_bulk_node(gfp_t gfp, int nid, int nr,
					struct page **pages)
{
	return alloc_pages_bulk_node(gfp, nid, nr, pages);
}
ALLOW_ERROR_INJECTION(pkrs_alloc_pages_bulk_node, ERRNO_NULL);
#endif /* !PKRS_SHIM_INLINE */
