//! xdp_bench01_mem_access_cost: attach the bench XDP program to a device
//! and print the packets per second it handled, once a second.

use std::process::exit;
use std::time::{Duration, Instant};

use aya::maps::PerCpuArray;
use aya::programs::Xdp;
use aya::{include_bytes_aligned, EbpfLoader};
use xdp_samples::sys::{self, error_chain};
use xdp_samples::{
    bench_header, bench_line, mem_mode, parse_bench_args, pps, thousands, BenchArgs, Cmd,
    EXIT_FAILURE, EXIT_USAGE,
};

static OBJ: &[u8] = include_bytes_aligned!(concat!(
    env!("OUT_DIR"),
    "/xdp_bench01_mem_access_cost_kern.o"
));

const USAGE: &str = "\
usage: xdp_bench01_mem_access_cost --dev IFNAME [options]
  --dev IFNAME     the interface to attach to (required)
  --action ACTION  XDP_DROP (default), XDP_PASS or XDP_TX
  --read           read the packet's Ethernet header (default: no touch)
  --swapmac        swap the MAC addresses (with XDP_TX: back to the sender)
  --skb-mode       generic XDP instead of the driver's native XDP
  --sec N          stop after N seconds (default: at SIGINT/SIGTERM)
Prints: XDP_action pps pps-human-readable mem, once a second.
Exit status: 0 done, 1 failure at run time, 2 bad command line.";

const STAT_PACKETS: u32 = 0;
const STAT_SHORT: u32 = 1;

fn fail(msg: impl AsRef<str>) -> ! {
    eprintln!("xdp_bench01_mem_access_cost: error: {}", msg.as_ref());
    exit(EXIT_FAILURE);
}

fn main() {
    let args = match parse_bench_args(std::env::args().skip(1)) {
        Ok(Cmd::Run(a)) => a,
        Ok(Cmd::Help) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("xdp_bench01_mem_access_cost: {e}\n{USAGE}");
            exit(EXIT_USAGE);
        }
    };
    run(&args);
}

fn run(a: &BenchArgs) {
    if sys::ifindex(&a.dev).is_none() {
        fail(format!("no such interface: {}", a.dev));
    }
    sys::raise_memlock();
    sys::catch_stop_signals();
    let action = a.action as u32;
    let (read, swapmac) = (a.read as u32, a.swapmac as u32);
    let mut bpf = EbpfLoader::new()
        .override_global("cfg_action", &action, true)
        .override_global("cfg_read", &read, true)
        .override_global("cfg_swapmac", &swapmac, true)
        .load(OBJ)
        .unwrap_or_else(|e| fail(format!("loading the BPF object: {}", error_chain(&e))));
    let prog: &mut Xdp = bpf
        .program_mut("xdp_bench01")
        .and_then(|p| p.try_into().ok())
        .unwrap_or_else(|| fail("no XDP program xdp_bench01 in the object"));
    prog.load()
        .unwrap_or_else(|e| fail(format!("loading the XDP program: {}", error_chain(&e))));
    let link = sys::attach_xdp(prog, &a.dev, a.skb_mode).unwrap_or_else(|e| fail(e));
    println!(
        "xdp_bench01_mem_access_cost: attached to {} in {} mode, {}",
        a.dev,
        sys::mode_name(a.skb_mode),
        a.action.name()
    );

    let stats: PerCpuArray<_, u64> = PerCpuArray::try_from(
        bpf.take_map("bench_stats")
            .unwrap_or_else(|| fail("no map bench_stats in the object")),
    )
    .unwrap_or_else(|e| fail(error_chain(&e)));
    let read_stat = |key| -> u64 {
        stats
            .get(&key, 0)
            .map(|v| v.iter().sum())
            .unwrap_or_else(|e| fail(format!("reading bench_stats: {}", error_chain(&e))))
    };
    report(a, read_stat);

    let prog: &mut Xdp = bpf.program_mut("xdp_bench01").unwrap().try_into().unwrap();
    match prog.detach(link) {
        Ok(()) => println!(
            "xdp_bench01_mem_access_cost: XDP program removed from {}",
            a.dev
        ),
        Err(e) => fail(format!(
            "removing the XDP program from {}: {}",
            a.dev,
            error_chain(&e)
        )),
    }
}

/// The table, once a second until --sec or a stop signal, then the totals.
fn report(a: &BenchArgs, read_stat: impl Fn(u32) -> u64) {
    let mem = mem_mode(a.read, a.swapmac);
    let start = Instant::now();
    let end = a.sec.map(|s| start + Duration::from_secs(s));
    let (mut t0, mut n0) = (start, read_stat(STAT_PACKETS));
    let first = n0;
    println!("{}", bench_header());
    loop {
        let mut next = t0 + Duration::from_secs(1);
        if let Some(end) = end {
            next = next.min(end);
        }
        let timed_out = !sys::sleep_until(next);
        let (t1, n1) = (Instant::now(), read_stat(STAT_PACKETS));
        let secs = (t1 - t0).as_secs_f64();
        if secs >= 0.5 {
            println!("{}", bench_line(a.action, pps(n1 - n0, secs), mem));
        }
        (t0, n0) = (t1, n1);
        if timed_out || end.is_some_and(|e| t1 >= e) {
            break;
        }
    }
    let total = n0 - first;
    let secs = (t0 - start).as_secs_f64();
    println!(
        "total: {} packets in {:.1} s, average {} pps; frames too short for Ethernet: {}",
        total,
        secs,
        thousands(pps(total, secs)),
        read_stat(STAT_SHORT)
    );
}
