//! xdp_ddos01_blacklist: load the blacklist XDP program, with its maps
//! pinned under /sys/fs/bpf/xdp_ddos01_blacklist/ (reused when already
//! there), attach it to a device and keep it attached until --sec runs out
//! or SIGINT/SIGTERM. Edit the lists with xdp_ddos01_blacklist_cmdline.

use std::path::Path;
use std::process::exit;
use std::time::{Duration, Instant};

use aya::programs::Xdp;
use aya::{include_bytes_aligned, EbpfLoader};
use xdp_samples::sys::{self, error_chain};
use xdp_samples::{
    parse_loader_args, Cmd, LoaderArgs, BPFFS, DDOS_PIN_DIR, EXIT_FAILURE, EXIT_USAGE,
    MAP_BLACKLIST, MAP_PORT_BLACKLIST, MAP_VERDICT,
};

static OBJ: &[u8] =
    include_bytes_aligned!(concat!(env!("OUT_DIR"), "/xdp_ddos01_blacklist_kern.o"));

const USAGE: &str = "\
usage: xdp_ddos01_blacklist --dev IFNAME [--skb-mode] [--sec N]
  --dev IFNAME  the interface to attach to (required)
  --skb-mode    generic XDP instead of the driver's native XDP
  --sec N       detach after N seconds (default: at SIGINT/SIGTERM)
The maps are pinned under /sys/fs/bpf/xdp_ddos01_blacklist/ (bpffs must be
mounted on /sys/fs/bpf) and stay there; edit and read them with
xdp_ddos01_blacklist_cmdline.
Exit status: 0 done, 1 failure at run time, 2 bad command line.";

const MAPS: [&str; 3] = [MAP_BLACKLIST, MAP_PORT_BLACKLIST, MAP_VERDICT];

fn fail(msg: impl AsRef<str>) -> ! {
    eprintln!("xdp_ddos01_blacklist: error: {}", msg.as_ref());
    exit(EXIT_FAILURE);
}

fn main() {
    match parse_loader_args(std::env::args().skip(1)) {
        Ok(Cmd::Run(a)) => run(&a),
        Ok(Cmd::Help) => println!("{USAGE}"),
        Err(e) => {
            eprintln!("xdp_ddos01_blacklist: {e}\n{USAGE}");
            exit(EXIT_USAGE);
        }
    }
}

/// Removes the pins this run made (when it fails before attaching).
fn unpin(dir: &Path) {
    for m in MAPS {
        let _ = std::fs::remove_file(dir.join(m));
    }
    let _ = std::fs::remove_dir(dir);
}

fn run(a: &LoaderArgs) {
    if sys::ifindex(&a.dev).is_none() {
        fail(format!("no such interface: {}", a.dev));
    }
    if !sys::is_bpffs(Path::new(BPFFS)) {
        fail(format!(
            "no bpf file system mounted on {BPFFS} (mount -t bpf bpf {BPFFS}); the maps are pinned there"
        ));
    }
    let dir = Path::new(DDOS_PIN_DIR);
    if let Err(e) = std::fs::create_dir_all(dir) {
        fail(format!("creating {DDOS_PIN_DIR}: {e}"));
    }
    let pinned: Vec<bool> = MAPS.iter().map(|m| dir.join(m).exists()).collect();
    let reused = pinned.iter().all(|&p| p);
    let created_any = pinned.iter().any(|&p| !p);
    let cleanup_fail = |msg: String| -> ! {
        if !pinned.iter().any(|&p| p) {
            unpin(dir);
        }
        fail(msg)
    };

    sys::raise_memlock();
    sys::catch_stop_signals();
    let mut bpf = EbpfLoader::new()
        .default_map_pin_directory(dir)
        .load(OBJ)
        .unwrap_or_else(|e| cleanup_fail(format!("loading the BPF object: {}", error_chain(&e))));
    if reused {
        println!("xdp_ddos01_blacklist: reusing the maps pinned under {DDOS_PIN_DIR}");
    } else if created_any {
        println!("xdp_ddos01_blacklist: maps created and pinned under {DDOS_PIN_DIR}");
    }
    let prog: &mut Xdp = bpf
        .program_mut("xdp_ddos01_blacklist")
        .and_then(|p| p.try_into().ok())
        .unwrap_or_else(|| {
            cleanup_fail("no XDP program xdp_ddos01_blacklist in the object".into())
        });
    prog.load()
        .unwrap_or_else(|e| cleanup_fail(format!("loading the XDP program: {}", error_chain(&e))));
    let link = sys::attach_xdp(prog, &a.dev, a.skb_mode).unwrap_or_else(|e| cleanup_fail(e));
    println!(
        "xdp_ddos01_blacklist: attached to {} in {} mode",
        a.dev,
        sys::mode_name(a.skb_mode)
    );

    let end = a.sec.map(|s| Instant::now() + Duration::from_secs(s));
    // Without --sec: wake up once an hour and go on, until a signal.
    while sys::sleep_until(end.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))) {
        if end.is_some() {
            break;
        }
    }

    match prog.detach(link) {
        Ok(()) => println!(
            "xdp_ddos01_blacklist: XDP program removed from {}; the maps stay pinned under {DDOS_PIN_DIR}",
            a.dev
        ),
        Err(e) => fail(format!(
            "removing the XDP program from {}: {}",
            a.dev,
            error_chain(&e)
        )),
    }
}
