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
#include <linux/compiler_types.h>

/*
 * How a build uses the shim (kernel/scripts/shim_inline.mk).
 *
 * On a tree without CONFIG_RUST_INLINE_HELPERS the shim is one object of
 * the module, and Rust calls its functions. On a tree with it, the kernel
 * links each Rust object's LLVM bitcode with the C helpers' before code
 * generation; the module's shim source is then compiled twice:
 *  - with PKRS_SHIM_INLINE into bitcode linked into the Rust object, where
 *    the functions marked PKRS_FAST (the fast paths') inline like the
 *    kernel's own __rust_helper functions, and the rest become local
 *    functions of that object;
 *  - with PKRS_SHIM_OUTLINE into the module's shim object, which then holds
 *    only the functions the sources keep under #ifndef PKRS_SHIM_INLINE:
 *    error-injection targets, which must stay real calls whose result the
 *    optimizer cannot know (fail_function replaces it).
 * PKRS_FAST is __always_inline there because LLVM inlines no C function
 * into Rust on its own (their attributes differ; see rust/helpers/helpers.c).
 */
#if defined(PKRS_SHIM_INLINE) && !defined(__BINDGEN__)
#define PKRS_FAST __always_inline
#else
#define PKRS_FAST
#endif

struct page;

/* put_page(): drop a reference; the last one frees the page. */
void pkrs_put_page(struct page *page);

/*
 * alloc_pages_bulk() on the local memory node: fills the NULL entries of
 * pages[0..nr) with order-0 pages; returns the number of leading entries
 * that are filled.
 */
int pkrs_alloc_pages_bulk(gfp_t gfp, int nr, struct page **pages);

/* The same on node nid (NUMA_NO_NODE: the local one). */
int pkrs_alloc_pages_bulk_node(gfp_t gfp, int nid, int nr, struct page **pages);
/* alloc_pages_node(): 2^order pages on node nid (NUMA_NO_NODE: local). */
struct page *pkrs_alloc_pages_node(int nid, gfp_t gfp, unsigned int order);
/* numa_mem_id(): the memory node of this CPU; page_to_nid(). */
int pkrs_numa_mem_id(void);
int pkrs_page_to_nid(struct page *page);
/* page_address(): the kernel address of a page (lowmem). */
void *pkrs_page_address(struct page *page);

/* release_pages(): put_page() on each of pages[0..nr), batched. */
void pkrs_release_pages(struct page **pages, int nr);

/* get_page(): take one more reference. */
void pkrs_get_page(struct page *page);

/*
 * Whether a page coming back to a pool may be reused: page_ref_count() is
 * 1 (the pool's reference only) and !page_is_pfmemalloc().
 */
bool pkrs_page_recyclable(struct page *page);

/* node_state(nid, N_MEMORY): the node has memory to allocate from. */
bool pkrs_node_has_memory(int nid);

/*
 * Per-CPU counters: n u64 per CPU (NULL when out of memory), added to on
 * the local CPU from any context (this_cpu_inc()), summed over every
 * possible CPU.
 */
void *pkrs_percpu_alloc(u32 n);
void pkrs_percpu_free(void *p);
void pkrs_percpu_inc(void *p, u32 i);
u64 pkrs_percpu_sum(void *p, u32 i);

/* cpu_online(); cond_resched() (process context). */
bool pkrs_cpu_online(unsigned int cpu);
void pkrs_cond_resched(void);

/* preempt_disable() / preempt_enable(). */
void pkrs_preempt_disable(void);
void pkrs_preempt_enable(void);

/* Execution context, as include/linux/preempt.h tells it. */
bool pkrs_in_softirq(void);		/* in_softirq(): softirq or BH off */
bool pkrs_in_serving_softirq(void);	/* running a softirq handler */
bool pkrs_in_hardirq_or_nmi(void);
/* Hard IRQ, NMI, or interrupts off: where a page_pool's alloc side must
 * not run (the kernel's lockdep_assert_no_hardirq() checks the same). */
bool pkrs_hardirq_or_irqs_off(void);
void pkrs_local_bh_disable(void);
void pkrs_local_bh_enable(void);

struct tasklet_struct;
void pkrs_tasklet_schedule(struct tasklet_struct *t);

/* DMA helpers that are static inline. */
struct device;
int pkrs_dma_mapping_error(struct device *dev, u64 addr);
void pkrs_dma_sync_for_device(struct device *dev, u64 addr, u64 offset,
			      u64 size, int dir);
void pkrs_dma_sync_for_cpu(struct device *dev, u64 addr, u64 offset,
			   u64 size, int dir);

/*
 * The kernel's C page_pool (net/core/page_pool.c). The pool is passed as
 * an opaque pointer: its struct drags in most of the networking headers.
 */
struct napi_struct;
struct net_device;

struct pkrs_pp_params {
	u32 order;
	u32 pool_size;
	int nid;
	struct device *dev;
	int dma_dir;
	u32 max_len;
	u32 offset;
	u32 flags;		/* PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV */
	struct napi_struct *napi;	/* the sole consumer, or NULL */
	struct net_device *netdev;	/* the netdev served, or NULL */
};

/* Counters of struct page_pool_stats, and the in-flight accounting. */
struct pkrs_pp_stats {
	u64 alloc_fast, alloc_slow, alloc_slow_high_order, alloc_empty;
	u64 alloc_refill, alloc_waive;
	u64 recycle_cached, recycle_cache_full, recycle_ring, recycle_ring_full;
	u64 recycle_released_refcnt;
	u64 hold, release;
};

/* page_pool_create(): a pool, or an ERR_PTR. */
void *pkrs_pp_create(const struct pkrs_pp_params *params);
void pkrs_pp_destroy(void *pool);
/* page_pool_alloc_pages(), as page_pool_alloc_netmems(). */
struct page *pkrs_pp_alloc(void *pool, gfp_t gfp);
/* page_pool_put_full_page(): allow_direct is the recycle_direct case. */
void pkrs_pp_put_full_page(void *pool, struct page *page, bool allow_direct);
u64 pkrs_pp_dma_addr(struct page *page);
/* Whether the pool maps its pages (PP_FLAG_DMA_MAP). */
bool pkrs_pp_dma_mapped(void *pool);
/*
 * page_pool_dma_sync_for_cpu() of `len` bytes at `offset` from the start
 * of the page (not from the pool's p.offset, as the kernel's helper
 * counts); a no-op for a pool that does not map.
 */
void pkrs_pp_sync_for_cpu(void *pool, struct page *page, u32 offset, u32 len);
/* Fills *stats; false when the kernel has no CONFIG_PAGE_POOL_STATS. */
bool pkrs_pp_get_stats(void *pool, struct pkrs_pp_stats *stats);

/*
 * debugfs files whose file_operations name the module they are compiled
 * into as their owner (THIS_MODULE): an open file holds the module, so
 * rmmod waits for it to be closed. (The kernel crate's debugfs::File leaves
 * the owner NULL: a file held open across rmmod is released through the
 * unloaded module's memory.) A file reads what show() writes into the
 * seq_file; write(), if any, takes what the user writes (mode 0600, else
 * 0400). The node must outlive the file (pkrs_dbgfs_remove()).
 */
struct seq_file;
struct dentry;
struct pkrs_dbgfs_node {
	int (*show)(struct seq_file *m, const void *data);
	long (*write)(const void *data, const char *ubuf, size_t len);
	const void *data;
};
/* A directory under parent (NULL: the debugfs root); an ERR_PTR on failure. */
struct dentry *pkrs_dbgfs_dir(const char *name, struct dentry *parent);
struct dentry *pkrs_dbgfs_file(const char *name, struct dentry *parent,
			       const struct pkrs_dbgfs_node *node);
/* debugfs_remove(): recursive; waits for the files' running calls. */
void pkrs_dbgfs_remove(struct dentry *d);
void pkrs_seq_write(struct seq_file *m, const char *s, size_t len);

#endif /* PKRS_SHIM_H */
