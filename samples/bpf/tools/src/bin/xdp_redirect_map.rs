//! xdp_redirect_map: redirect every frame arriving on one device out of
//! another through a devmap, and print the packets per second redirected,
//! once a second.

use std::process::exit;
use std::time::{Duration, Instant};

use aya::maps::xdp::DevMap;
use aya::maps::PerCpuArray;
use aya::programs::Xdp;
use aya::{include_bytes_aligned, Ebpf, EbpfLoader};
use xdp_samples::sys::{self, error_chain};
use xdp_samples::{
    format_mac, parse_redirect_args, pps, redirect_header, redirect_line, redirect_total, Cmd,
    RedirectArgs, EXIT_FAILURE, EXIT_USAGE,
};

static OBJ: &[u8] = include_bytes_aligned!(concat!(env!("OUT_DIR"), "/xdp_redirect_map_kern.o"));

const USAGE: &str = "\
usage: xdp_redirect_map --dev IN --redirect-dev OUT [options]
  --dev IN            the interface frames arrive on (required)
  --redirect-dev OUT  the interface they are sent out of (required)
  --dst-mac MAC       set their destination MAC address to MAC
                      (aa:bb:cc:dd:ee:ff; default: left as it is)
  --skb-mode          generic XDP on IN instead of the driver's native XDP
  --dummy-egress      also attach an XDP_PASS program to OUT (native mode),
                      for drivers that send redirected frames only then
                      (virtio_net)
  --sec N             stop after N seconds (default: at SIGINT/SIGTERM)
Prints: XDP_action pps pps-human-readable ingress->egress, once a second.
Exit status: 0 done, 1 failure at run time, 2 bad command line.";

const PROG: &str = "xdp_redirect_map";
const PROG_DUMMY: &str = "xdp_pass_dummy";
const STAT_REDIRECTED: u32 = 0;
const STAT_SHORT: u32 = 1;

fn fail(msg: impl AsRef<str>) -> ! {
    eprintln!("xdp_redirect_map: error: {}", msg.as_ref());
    exit(EXIT_FAILURE);
}

fn main() {
    let args = match parse_redirect_args(std::env::args().skip(1)) {
        Ok(Cmd::Run(a)) => a,
        Ok(Cmd::Help) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("xdp_redirect_map: {e}\n{USAGE}");
            exit(EXIT_USAGE);
        }
    };
    run(&args);
}

/// The program `name` of the object, loaded into the kernel.
fn load_prog<'a>(bpf: &'a mut Ebpf, name: &str) -> &'a mut Xdp {
    let prog: &mut Xdp = bpf
        .program_mut(name)
        .and_then(|p| p.try_into().ok())
        .unwrap_or_else(|| fail(format!("no XDP program {name} in the object")));
    prog.load().unwrap_or_else(|e| {
        fail(format!(
            "loading the XDP program {name}: {}",
            error_chain(&e)
        ))
    });
    prog
}

/// The program `name`, already loaded and attached (for the detach).
fn prog<'a>(bpf: &'a mut Ebpf, name: &str) -> &'a mut Xdp {
    bpf.program_mut(name).unwrap().try_into().unwrap()
}

fn run(a: &RedirectArgs) {
    let Some(in_index) = sys::ifindex(&a.dev) else {
        fail(format!("no such interface: {}", a.dev));
    };
    let Some(out_index) = sys::ifindex(&a.redirect_dev) else {
        fail(format!("no such interface: {}", a.redirect_dev));
    };
    // Two names of one device (an altname): the parser cannot see that.
    if in_index == out_index {
        eprintln!(
            "xdp_redirect_map: --dev {} and --redirect-dev {} are the same interface: \
             redirect to another device\n{USAGE}",
            a.dev, a.redirect_dev
        );
        exit(EXIT_USAGE);
    }
    sys::raise_memlock();
    sys::catch_stop_signals();
    let rewrite = a.dst_mac.is_some() as u32;
    let mac = a.dst_mac.unwrap_or_default();
    let mut bpf = EbpfLoader::new()
        .override_global("cfg_dst_mac", &mac, true)
        .override_global("cfg_rewrite_mac", &rewrite, true)
        .load(OBJ)
        .unwrap_or_else(|e| fail(format!("loading the BPF object: {}", error_chain(&e))));

    let mut tx_port = DevMap::try_from(
        bpf.map_mut("tx_port")
            .unwrap_or_else(|| fail("no map tx_port in the object")),
    )
    .unwrap_or_else(|e| fail(format!("map tx_port: {}", error_chain(&e))));
    tx_port.set(0, out_index, None, 0).unwrap_or_else(|e| {
        fail(format!(
            "writing {} (ifindex {out_index}) into tx_port: {}",
            a.redirect_dev,
            error_chain(&e)
        ))
    });

    // The egress first, so that it takes frames from the first redirect on.
    let dummy_link = a.dummy_egress.then(|| {
        let dummy = load_prog(&mut bpf, PROG_DUMMY);
        let link = sys::attach_xdp_hint(
            dummy,
            &a.redirect_dev,
            false,
            "without --dummy-egress, --skb-mode redirects to it through the stack",
        )
        .unwrap_or_else(|e| fail(e));
        println!(
            "xdp_redirect_map: {PROG_DUMMY} attached to {} in {} mode",
            a.redirect_dev,
            sys::mode_name(false)
        );
        link
    });
    let ingress = load_prog(&mut bpf, PROG);
    // On failure the process exits, which takes the dummy's link with it.
    let link = sys::attach_xdp(ingress, &a.dev, a.skb_mode).unwrap_or_else(|e| fail(e));
    let rewriting = match &a.dst_mac {
        Some(m) => format!(", destination MAC set to {}", format_mac(m)),
        None => String::new(),
    };
    println!(
        "xdp_redirect_map: attached to {} in {} mode, redirecting to {} (ifindex {out_index}){rewriting}",
        a.dev,
        sys::mode_name(a.skb_mode),
        a.redirect_dev
    );

    let stats: PerCpuArray<_, u64> = PerCpuArray::try_from(
        bpf.take_map("rxcnt")
            .unwrap_or_else(|| fail("no map rxcnt in the object")),
    )
    .unwrap_or_else(|e| fail(error_chain(&e)));
    let read_stat = |key| -> u64 {
        stats
            .get(&key, 0)
            .map(|v| v.iter().sum())
            .unwrap_or_else(|e| fail(format!("reading rxcnt: {}", error_chain(&e))))
    };
    report(a, read_stat);

    // The ingress first: nothing is redirected to the egress after that.
    let mut failed = false;
    if let Err(e) = prog(&mut bpf, PROG).detach(link) {
        eprintln!(
            "xdp_redirect_map: error: removing the XDP program from {}: {}",
            a.dev,
            error_chain(&e)
        );
        failed = true;
    }
    if let Some(link) = dummy_link {
        if let Err(e) = prog(&mut bpf, PROG_DUMMY).detach(link) {
            eprintln!(
                "xdp_redirect_map: error: removing the XDP program from {}: {}",
                a.redirect_dev,
                error_chain(&e)
            );
            failed = true;
        }
    }
    if failed {
        exit(EXIT_FAILURE);
    }
    if a.dummy_egress {
        println!(
            "xdp_redirect_map: XDP programs removed from {} and {}",
            a.dev, a.redirect_dev
        );
    } else {
        println!("xdp_redirect_map: XDP program removed from {}", a.dev);
    }
}

/// The table, once a second until --sec or a stop signal, then the totals.
fn report(a: &RedirectArgs, read_stat: impl Fn(u32) -> u64) {
    let start = Instant::now();
    let end = a.sec.map(|s| start + Duration::from_secs(s));
    let (mut t0, mut n0) = (start, read_stat(STAT_REDIRECTED));
    let first = n0;
    println!("{}", redirect_header());
    loop {
        let mut next = t0 + Duration::from_secs(1);
        if let Some(end) = end {
            next = next.min(end);
        }
        let timed_out = !sys::sleep_until(next);
        let (t1, n1) = (Instant::now(), read_stat(STAT_REDIRECTED));
        let secs = (t1 - t0).as_secs_f64();
        if secs >= 0.5 {
            println!(
                "{}",
                redirect_line(pps(n1 - n0, secs), &a.dev, &a.redirect_dev)
            );
        }
        (t0, n0) = (t1, n1);
        if timed_out || end.is_some_and(|e| t1 >= e) {
            break;
        }
    }
    let secs = (t0 - start).as_secs_f64();
    println!(
        "{}",
        redirect_total(n0 - first, secs, read_stat(STAT_SHORT))
    );
}
