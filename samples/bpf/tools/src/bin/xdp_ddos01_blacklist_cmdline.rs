//! xdp_ddos01_blacklist_cmdline: edit and read the blacklist maps pinned
//! by xdp_ddos01_blacklist (opened with BPF_OBJ_GET on their pin files).

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::exit;

use aya::maps::{Map, MapData, MapError, PerCpuArray, PerCpuHashMap, PerCpuValues};
use xdp_samples::sys::{self, error_chain};
use xdp_samples::{
    format_list, format_stats, parse_cmdline_args, Cmd, CmdlineOp, Proto, Target, BPFFS,
    DDOS_PIN_DIR, EXIT_FAILURE, EXIT_USAGE, MAP_BLACKLIST, MAP_PORT_BLACKLIST, MAP_VERDICT,
    VERDICT_SLOTS,
};

const USAGE: &str = "\
usage: xdp_ddos01_blacklist_cmdline --add|--del TARGET... | --list | --stats
  --add, --del      add or remove the TARGETs (one or more of):
    --ip A.B.C.D      drop IPv4 frames from this source address
    --udp-dport N     drop UDP datagrams to port N (1-65535)
    --tcp-dport N     drop TCP segments to port N (1-65535)
  --list            print the blacklisted addresses and ports
  --stats           print the verdict counters and the drops per entry
Works on the maps xdp_ddos01_blacklist pinned under
/sys/fs/bpf/xdp_ddos01_blacklist/.
Exit status: 0 done, 1 failure at run time, 2 bad command line.";

fn fail(msg: impl AsRef<str>) -> ! {
    eprintln!("xdp_ddos01_blacklist_cmdline: error: {}", msg.as_ref());
    exit(EXIT_FAILURE);
}

/// bpf_map_update_elem flag: create only.
const BPF_NOEXIST: u64 = 1;

type Hash = PerCpuHashMap<MapData, u32, u64>;

fn open(name: &str) -> Map {
    let path = Path::new(DDOS_PIN_DIR).join(name);
    if !sys::is_bpffs(Path::new(BPFFS)) {
        fail(format!("no bpf file system mounted on {BPFFS}"));
    }
    if !path.exists() {
        fail(format!(
            "no pinned map {}: run xdp_ddos01_blacklist first",
            path.display()
        ));
    }
    let data = MapData::from_pin(&path)
        .unwrap_or_else(|e| fail(format!("opening {}: {}", path.display(), error_chain(&e))));
    Map::from_map_data(data).unwrap_or_else(|e| fail(error_chain(&e)))
}

fn open_hash(name: &str) -> Hash {
    Hash::try_from(open(name)).unwrap_or_else(|e| fail(format!("map {name}: {}", error_chain(&e))))
}

fn key_of(t: &Target) -> (&'static str, u32) {
    match *t {
        Target::Ip(ip) => (MAP_BLACKLIST, Target::ip_key(ip)),
        Target::Port(p, port) => (MAP_PORT_BLACKLIST, Target::port_key(p, port)),
    }
}

fn is_errno(e: &MapError, errno: i32) -> bool {
    match e {
        MapError::SyscallError(s) => s.io_error.raw_os_error() == Some(errno),
        _ => false,
    }
}

fn add(targets: &[Target]) {
    let cpus = aya::util::nr_cpus().unwrap_or_else(|(what, e)| fail(format!("{what}: {e}")));
    for t in targets {
        let (name, key) = key_of(t);
        let mut map = open_hash(name);
        let zero = PerCpuValues::try_from(vec![0u64; cpus]).unwrap_or_else(|e| fail(e.to_string()));
        // BPF_NOEXIST: an entry already there keeps its counters.
        match map.insert(key, zero, BPF_NOEXIST) {
            Ok(()) => println!("added {t}"),
            Err(e) if is_errno(&e, libc::EEXIST) => println!("{t} is already listed"),
            Err(e) => fail(format!("adding {t}: {}", error_chain(&e))),
        }
    }
}

fn del(targets: &[Target]) {
    let mut missing = false;
    for t in targets {
        let (name, key) = key_of(t);
        let mut map = open_hash(name);
        match map.remove(&key) {
            Ok(()) => println!("removed {t}"),
            Err(e) if is_errno(&e, libc::ENOENT) => {
                eprintln!("xdp_ddos01_blacklist_cmdline: {t} is not listed");
                missing = true;
            }
            Err(e) => fail(format!("removing {t}: {}", error_chain(&e))),
        }
    }
    if missing {
        exit(EXIT_FAILURE);
    }
}

/// Every entry of a per-CPU hash with its counters summed over the CPUs.
fn entries(name: &str) -> Vec<(u32, u64)> {
    let map = open_hash(name);
    let mut v = Vec::new();
    for kv in map.iter() {
        // aya's iterator already skips an entry deleted while it walks the
        // map: any error left is a real one, not to be hidden by a short list.
        match kv {
            Ok((k, vals)) => v.push((k, vals.iter().sum())),
            Err(e) => fail(format!("reading the pinned map {name}: {e}")),
        }
    }
    v.sort();
    v
}

fn ips() -> Vec<(Ipv4Addr, u64)> {
    let mut v: Vec<_> = entries(MAP_BLACKLIST)
        .into_iter()
        .map(|(k, n)| (Target::ip_from_key(k), n))
        .collect();
    v.sort();
    v
}

fn ports() -> Vec<(Proto, u16, u64)> {
    entries(MAP_PORT_BLACKLIST)
        .into_iter()
        .filter_map(|(k, n)| Target::port_from_key(k).map(|(p, port)| (p, port, n)))
        .collect()
}

fn main() {
    let op = match parse_cmdline_args(std::env::args().skip(1)) {
        Ok(Cmd::Run(op)) => op,
        Ok(Cmd::Help) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("xdp_ddos01_blacklist_cmdline: {e}\n{USAGE}");
            exit(EXIT_USAGE);
        }
    };
    match op {
        CmdlineOp::Add(t) => add(&t),
        CmdlineOp::Del(t) => del(&t),
        CmdlineOp::List => {
            let ips: Vec<_> = ips().into_iter().map(|(ip, _)| ip).collect();
            let ports: Vec<_> = ports().into_iter().map(|(p, port, _)| (p, port)).collect();
            print!("{}", format_list(&ips, &ports));
        }
        CmdlineOp::Stats => {
            let verdict: PerCpuArray<MapData, u64> = PerCpuArray::try_from(open(MAP_VERDICT))
                .unwrap_or_else(|e| fail(format!("map {MAP_VERDICT}: {}", error_chain(&e))));
            let counts: Vec<u64> = (0..VERDICT_SLOTS)
                .map(|i| {
                    verdict
                        .get(&i, 0)
                        .map(|v| v.iter().sum())
                        .unwrap_or_else(|e| fail(error_chain(&e)))
                })
                .collect();
            print!("{}", format_stats(&counts, &ips(), &ports()));
        }
    }
}
