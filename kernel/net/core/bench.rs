// SPDX-License-Identifier: GPL-2.0

//! The tests of page_pool_bench, generic over [`PagePool`] so that both
//! pools run exactly the same code.

use crate::page_pool::cpool::CPagePool;
use crate::page_pool::native::RsPagePool;
use crate::page_pool::{DomainHandle, PagePool, Params, PoolPage, DMA_MAP, DMA_SYNC_DEV};
use crate::shim_bindings as shim;
use crate::softirq;
use crate::time_bench::{self, concurrent, enabled, Record};
use kernel::device::Device;
use kernel::dma::DataDirection;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::aref::ARef;
use kernel::sync::atomic::{Acquire, Atomic, Relaxed, Release};
use kernel::sync::SpinLock;

const BIT_BASELINE: u32 = 0;
/// Bits 1, 2, 3: page_pool01..03 outside softirq; 4, 5, 6: in softirq.
const BIT_NO_SOFTIRQ: u32 = 1;
const BIT_SOFTIRQ: u32 = 4;
const BIT_CROSS_CPU: u32 = 7;
const BIT_DMA: u32 = 8;
const BIT_RS: u32 = 16;
const BIT_C: u32 = 17;

/// Pages put into a new pool's ring before a test, as upstream does.
const RING_FILL: usize = 64;
/// The ring of the pools under test (upstream's `MY_POOL_SIZE`).
const POOL_SIZE: u32 = 1024;
/// Bytes synced for the device on recycle in the DMA tests (an MTU frame).
const DMA_SYNC_LEN: u32 = 1536;
/// Pages the cross-CPU test hands over at once, and at most in transit.
const BATCH: usize = 64;
const IN_TRANSIT: usize = 4096;

/// How a test gives each page back.
#[derive(Clone, Copy)]
enum Return {
    /// page_pool01: `recycle_direct`, into the cache.
    Direct = 1,
    /// page_pool02: dropping the handle, through the ring.
    Ring = 2,
    /// page_pool03: while someone else holds the page, so it leaves.
    Slow = 3,
}

pub(crate) struct Bench {
    loops: u32,
    run_flags: u32,
    returning: KVec<u32>,
    domain: DomainHandle,
    dev: Option<ARef<Device>>,
}

impl Bench {
    /// `returning_cpus` 0 (the default): one if another CPU is online, else
    /// the cross-CPU test is skipped with a notice.
    pub(crate) fn new(loops: u32, run_flags: u32, returning_cpus: u32) -> Result<Self> {
        time_bench::check_loops(loops)?;
        let online = concurrent::online_cpus(0);
        let others = online.len().saturating_sub(1);
        let returning_cpus = match returning_cpus {
            0 if others == 0 => {
                if enabled(run_flags, BIT_CROSS_CPU) {
                    pr_info!("cross_cpu: one CPU online, no other to return pages: skipped\n");
                }
                0
            }
            0 => 1,
            n => n,
        };
        if returning_cpus as usize > others {
            pr_err!(
                "invalid returning_cpus={}: only {} other CPUs are online\n",
                returning_cpus,
                others
            );
            return Err(EINVAL);
        }
        // Each returning CPU must see enough pages for a figure.
        if enabled(run_flags, BIT_CROSS_CPU)
            && returning_cpus > 0
            && u64::from(loops) / u64::from(returning_cpus) < time_bench::MIN_INVOCATIONS
        {
            pr_err!(
                "invalid returning_cpus={}: loops={} gives each returning CPU fewer than {} pages\n",
                returning_cpus,
                loops,
                time_bench::MIN_INVOCATIONS
            );
            return Err(EINVAL);
        }
        let mut returning = KVec::new();
        for &cpu in online.iter().skip(1).take(returning_cpus as usize) {
            returning.push(cpu, GFP_KERNEL)?;
        }
        Ok(Self {
            loops,
            run_flags,
            returning,
            domain: DomainHandle::new(c"page_pool_bench", 60)?,
            dev: crate::page_pool::dma_device(),
        })
    }

    pub(crate) fn run(&self) -> Result {
        time_bench::env::report();
        if enabled(self.run_flags, BIT_BASELINE) {
            time_bench::baseline::run(self.loops)?;
        }
        if enabled(self.run_flags, BIT_RS) {
            self.run_pool::<RsPagePool>()?;
        }
        if enabled(self.run_flags, BIT_C) {
            self.run_pool::<CPagePool>()?;
        }
        Ok(())
    }

    fn run_pool<P: PagePool>(&self) -> Result {
        let rets = [Return::Direct, Return::Ring, Return::Slow];
        for (i, &ret) in (0u32..).zip(rets.iter()) {
            if enabled(self.run_flags, BIT_NO_SOFTIRQ + i) {
                self.pool_test::<P>("no-softirq", ret, false, None)?;
            }
        }
        for (i, &ret) in (0u32..).zip(rets.iter()) {
            if enabled(self.run_flags, BIT_SOFTIRQ + i) {
                self.pool_test::<P>("softirq", ret, true, None)?;
            }
        }
        if enabled(self.run_flags, BIT_CROSS_CPU) && !self.returning.is_empty() {
            self.cross_cpu::<P>()?;
        }
        if enabled(self.run_flags, BIT_DMA) {
            match &self.dev {
                Some(dev) => {
                    for &ret in &rets {
                        self.pool_test::<P>("dma", ret, false, Some(dev))?;
                    }
                }
                None => pr_info!(
                    "{}-dma: no virtio PCI device to map pages for: skipped\n",
                    P::KIND
                ),
            }
        }
        Ok(())
    }

    fn params<'a>(&self, dev: Option<&'a Device>) -> Params<'a> {
        let mut p = Params::new(c"bench");
        p.pool_size = POOL_SIZE;
        if let Some(dev) = dev {
            // SAFETY: the benchmark's pools are made and dropped while
            // `insmod` runs, and nothing unbinds the test box's NIC then.
            p.dev = Some(unsafe { crate::page_pool::assume_bound(dev) });
            p.flags = DMA_MAP | DMA_SYNC_DEV;
            p.dma_dir = DataDirection::FromDevice;
            p.max_len = DMA_SYNC_LEN;
        }
        p
    }

    /// One page_pool0N test: the pool is made and dropped here (process
    /// context), the loop runs here or in a tasklet.
    fn pool_test<P: PagePool>(
        &self,
        context: &str,
        ret: Return,
        in_softirq: bool,
        dev: Option<&Device>,
    ) -> Result {
        let name = CString::try_from_fmt(fmt!("{}-{}-page_pool0{}", P::KIND, context, ret as u32))?;
        let name = name.to_str().map_err(|_| EINVAL)?;
        let mut pool = P::new(&self.params(dev), self.domain.domain())?;
        fill_ring(&mut pool)?;
        let mut rec = Record::new(self.loops, 0);
        if in_softirq {
            let mut r = Ok(());
            softirq::run(|| r = pool_loop(&mut rec, &mut pool, ret))?;
            r?;
        } else {
            pool_loop(&mut rec, &mut pool, ret)?;
        }
        let s = rec.stats()?;
        time_bench::print(name, 0, None, &s);
        Ok(())
    }

    /// One CPU allocates, `returning_cpus` others drop the pages.
    fn cross_cpu<P: PagePool>(&self) -> Result {
        let pool = P::new(&self.params(None), self.domain.domain())?;
        // CAST: at most the online CPUs.
        let returners = self.returning.len() as u32;
        let cross = KBox::pin_init(Cross::<P>::new(pool, returners)?, GFP_KERNEL)?;
        let mut cpus = KVec::new();
        cpus.push(concurrent::online_cpus(1)[0], GFP_KERNEL)?;
        for &cpu in self.returning.iter() {
            cpus.push(cpu, GFP_KERNEL)?;
        }
        let name = CString::try_from_fmt(fmt!("{}-cross_cpu", P::KIND))?;
        let r = concurrent::measure(
            self.loops,
            0,
            name.to_str().map_err(|_| EINVAL)?,
            &cpus,
            &*cross,
            cross_side::<P>,
        );
        // Pages still in transit go back before the pool is dropped (out of
        // the spinlock: returns may take locks of their own).
        drop(core::mem::take(&mut *cross.queue.lock()));
        let stats = r?;
        let alloc = CString::try_from_fmt(fmt!("{}-cross_cpu_alloc", P::KIND))?;
        let ret = CString::try_from_fmt(fmt!("{}-cross_cpu_return", P::KIND))?;
        let ret = ret.to_str().map_err(|_| EINVAL)?;
        time_bench::print(alloc.to_str().map_err(|_| EINVAL)?, 0, None, &stats[0]);
        concurrent::report(ret, 0, &cpus[1..], &stats[1..]);
        Ok(())
    }
}

/// Puts [`RING_FILL`] pages into the pool's ring, as upstream's
/// `pp_fill_ptr_ring` does.
fn fill_ring<P: PagePool>(pool: &mut P) -> Result {
    let mut pages = KVec::with_capacity(RING_FILL, GFP_KERNEL)?;
    for _ in 0..RING_FILL {
        pages.push(pool.alloc()?, GFP_KERNEL)?;
    }
    drop(pages);
    Ok(())
}

/// The measured loop: `rec.loops` pages allocated and given back.
#[inline(never)]
fn pool_loop<P: PagePool>(rec: &mut Record, pool: &mut P, ret: Return) -> Result {
    let mut n = 0u64;
    rec.start();
    for _ in 0..rec.loops {
        let Ok(page) = pool.alloc() else {
            break;
        };
        n += 1;
        time_bench::baseline::barrier();
        match ret {
            Return::Direct => pool.recycle_direct(page),
            Return::Ring => drop(page),
            Return::Slow => {
                let raw = page.as_raw();
                // SAFETY: `raw` is a live page we hold through `page`; the
                // extra reference keeps it from being recycled.
                unsafe { shim::pkrs_get_page(raw) };
                drop(page);
                // SAFETY: drops the reference taken above.
                unsafe { shim::pkrs_put_page(raw) };
            }
        }
    }
    rec.stop(n);
    if n < u64::from(rec.loops) {
        pr_warn!("page_pool: an allocation failed after {} pages\n", n);
    }
    Ok(())
}

/// The cross-CPU test's shared state.
#[pin_data]
struct Cross<P: PagePool> {
    /// The pool; only thread 0 (the allocating side) locks it.
    #[pin]
    pool: SpinLock<P>,
    /// Pages handed from the allocating side to the returning ones.
    #[pin]
    queue: SpinLock<KVec<P::Page>>,
    /// Set by the allocating side when it is done.
    done: Atomic<i32>,
    /// Set by a side that fails, so that the others stop waiting.
    failed: Atomic<i32>,
    /// Pages each returning CPU takes: `loops / returners`, the first one
    /// also the remainder (so each sees its share, checked at load).
    returners: u32,
}

impl<P: PagePool> Cross<P> {
    fn new(pool: P, returners: u32) -> Result<impl PinInit<Self, Error>> {
        let queue = KVec::with_capacity(IN_TRANSIT, GFP_KERNEL)?;
        Ok(try_pin_init!(Self {
            pool <- kernel::new_spinlock!(pool),
            queue <- kernel::new_spinlock!(queue),
            done: Atomic::new(0),
            failed: Atomic::new(0),
            returners,
        }? Error))
    }
}

fn cross_side<P: PagePool>(rec: &mut Record, c: &Cross<P>) -> Result {
    let r = if rec.thread == 0 {
        cross_alloc(rec, c)
    } else {
        cross_return(rec, c)
    };
    if r.is_err() {
        c.failed.store(1, Relaxed);
    }
    r
}

/// Thread 0: allocates `loops` pages and hands them over in batches. The
/// pool's lock is only ever taken here, once per batch.
fn cross_alloc<P: PagePool>(rec: &mut Record, c: &Cross<P>) -> Result {
    let mut batch = KVec::with_capacity(BATCH, GFP_KERNEL)?;
    let mut left = rec.loops;
    rec.start();
    while left > 0 {
        {
            let mut pool = c.pool.lock();
            while batch.len() < BATCH && left > 0 {
                batch.push_within_capacity(pool.alloc()?).map_err(|_| EIO)?;
                left -= 1;
            }
        }
        loop {
            let mut q = c.queue.lock();
            if q.capacity() - q.len() >= batch.len() {
                while let Some(p) = batch.pop() {
                    q.push_within_capacity(p).map_err(|_| EIO)?;
                }
                break;
            }
            drop(q);
            if c.failed.load(Relaxed) != 0 {
                return Err(EINTR);
            }
            kernel::processor::cpu_relax();
        }
    }
    rec.stop(u64::from(rec.loops));
    // Release: the returning sides that see `done` see the last batch.
    c.done.store(1, Release);
    Ok(())
}

/// The other threads: take batches and drop them (the ring path). The
/// loop is timed from the first batch to the last, not each batch: a
/// clock read per batch (CPUID;RDTSC under a hypervisor) would cost more
/// than the returns themselves.
fn cross_return<P: PagePool>(rec: &mut Record, c: &Cross<P>) -> Result {
    let mut local = KVec::with_capacity(BATCH, GFP_KERNEL)?;
    let mut n = 0u64;
    let mut started = false;
    let k = u64::from(c.returners.max(1));
    let loops = u64::from(rec.loops);
    let quota = loops / k + if rec.thread == 1 { loops % k } else { 0 };
    while n < quota {
        // Acquire: pairs with the allocating side's release of `done`.
        let done = c.done.load(Acquire) != 0;
        {
            let mut q = c.queue.lock();
            // CAST: at most `BATCH`.
            while local.len() < BATCH && n + (local.len() as u64) < quota {
                let Some(p) = q.pop() else { break };
                local.push_within_capacity(p).map_err(|_| EIO)?;
            }
        }
        if local.is_empty() {
            if done {
                break;
            }
            if c.failed.load(Relaxed) != 0 {
                return Err(EINTR);
            }
            kernel::processor::cpu_relax();
            continue;
        }
        if !started {
            rec.start();
            started = true;
        }
        // CAST: at most `BATCH`.
        n += local.len() as u64;
        local.clear();
    }
    if started {
        rec.stop(n);
    }
    rec.set_invoked(n);
    Ok(())
}
