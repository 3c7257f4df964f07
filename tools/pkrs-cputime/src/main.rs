//! pkrs-cputime: the test box's CPU-time probe.
//!
//! ```text
//! pkrs-cputime serve DIR     load and attach the probe, pin its maps in DIR
//!                            (on a bpf file system), print "ready", stay
//!                            until SIGINT/SIGTERM, then unpin
//! pkrs-cputime read DIR      print the probe's totals so far, one line
//! pkrs-cputime map NAME [I]  print the sum over CPUs of u64 slot I (0) of
//!                            the newest loaded map called NAME
//! ```
//!
//! `read` prints cumulative totals as KEY=VALUE words (callers take the
//! difference of two reads):
//!
//! ```text
//! net_rx_ns=N net_rx_runs=N sirq_ns=N sirq_runs=N net_rx_cpu_ns=N,N,...
//! xdp_exception=N redirect_err=N devmap_drops=N devmap_sent=N
//! xdp_exception_act=N,N,N,N,N,N napi_ns_DEV=N napi_polls_DEV=N ...
//! ```
//!
//! `*_ns` is the time between `irq:softirq_entry` and `irq:softirq_exit` as
//! `bpf_ktime_get_ns()` reads it: nanoseconds, or guest instructions when
//! QEMU runs with `-icount shift=0`. `net_rx` is the NET_RX vector (NAPI
//! polls, and in them XDP), `sirq` every vector. The other four count the
//! XDP tracepoints that report dropped frames: the kernel's own account,
//! independent of the driver's counters. `xdp_exception_act` splits
//! xdp_exception by the verdict it reports (XDP_ABORTED, DROP, PASS, TX,
//! REDIRECT, any other). `napi_ns_DEV` is the time of device DEV's NAPI
//! polls inside NET_RX (from the softirq's entry, or the poll before on
//! that CPU, to `napi:napi_poll`, which fires as a poll returns), and
//! `napi_polls_DEV` their number; one pair per device that has polled
//! (characters other than letters, digits, `_`, `.` and `-` in DEV become
//! `_`).

use std::path::{Path, PathBuf};
use std::process::exit;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aya::maps::{loaded_maps, Map, MapData, PerCpuArray, PerCpuHashMap};
use aya::programs::TracePoint;
use aya::{include_bytes_aligned, Ebpf, Pod};

static OBJ: &[u8] = include_bytes_aligned!(concat!(env!("OUT_DIR"), "/cputime_kern.o"));

const USAGE: &str = "usage: pkrs-cputime serve DIR | read DIR | map NAME [INDEX]";
/// NET_RX_SOFTIRQ (include/linux/interrupt.h).
const NET_RX: u32 = 3;
const NR_VEC: u32 = 10;
const MAPS: [&str; 4] = ["cputime_acc", "cputime_xdp", "cputime_exc", "cputime_napi"];
/// xdp_exception's slots: XDP_ABORTED..XDP_REDIRECT, any other verdict.
const NR_ACT: u32 = 6;
/// (program, tracepoint category, tracepoint name).
const PROGS: [(&str, &str, &str); 6] = [
    ("softirq_entry", "irq", "softirq_entry"),
    ("softirq_exit", "irq", "softirq_exit"),
    ("xdp_exception", "xdp", "xdp_exception"),
    ("xdp_redirect_err", "xdp", "xdp_redirect_err"),
    ("xdp_devmap_xmit", "xdp", "xdp_devmap_xmit"),
    ("napi_poll", "napi", "napi_poll"),
];

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Acc {
    ns: u64,
    runs: u64,
}
// SAFETY: two u64s, no padding; any bit pattern is a valid value.
unsafe impl Pod for Acc {}

/// A device name as the tracepoint records it (IFNAMSIZ bytes, NUL-padded).
#[repr(C)]
#[derive(Clone, Copy)]
struct Name([u8; 16]);
// SAFETY: 16 bytes, no padding; any bit pattern is a valid value.
unsafe impl Pod for Name {}

impl Name {
    /// The name up to its NUL, with every character but letters, digits,
    /// `_`, `.` and `-` as `_` (so that it makes one KEY=VALUE word).
    fn word(&self) -> String {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        self.0[..end]
            .iter()
            .map(|&b| {
                let c = b as char;
                if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop(_sig: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn fail(msg: impl AsRef<str>) -> ! {
    eprintln!("pkrs-cputime: {}", msg.as_ref());
    exit(1);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["serve", dir] => serve(Path::new(dir)),
        ["read", dir] => println!("{}", read(Path::new(dir)).unwrap_or_else(|e| fail(e))),
        ["map", name] => println!("{}", map_sum(name, 0).unwrap_or_else(|e| fail(e))),
        ["map", name, i] => {
            let i = i
                .parse()
                .unwrap_or_else(|_| fail(format!("bad index {i:?}")));
            println!("{}", map_sum(name, i).unwrap_or_else(|e| fail(e)))
        }
        _ => {
            eprintln!("{USAGE}");
            exit(2)
        }
    }
}

fn pin_path(dir: &Path, map: &str) -> PathBuf {
    dir.join(map)
}

fn serve(dir: &Path) {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic; sa is zeroed and
        // its mask emptied before use.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_stop as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
    let mut bpf = Ebpf::load(OBJ).unwrap_or_else(|e| fail(format!("loading the object: {e}")));
    for (prog, cat, name) in PROGS {
        let p: &mut TracePoint = bpf
            .program_mut(prog)
            .unwrap_or_else(|| fail(format!("no program {prog}")))
            .try_into()
            .unwrap_or_else(|e| fail(format!("{prog}: {e}")));
        p.load()
            .unwrap_or_else(|e| fail(format!("loading {prog}: {e}")));
        p.attach(cat, name)
            .unwrap_or_else(|e| fail(format!("attaching {prog} to {cat}:{name}: {e}")));
    }
    std::fs::create_dir_all(dir).unwrap_or_else(|e| fail(format!("{}: {e}", dir.display())));
    for m in MAPS {
        let path = pin_path(dir, m);
        let _ = std::fs::remove_file(&path);
        bpf.map(m)
            .unwrap_or_else(|| fail(format!("no map {m}")))
            .pin(&path)
            .unwrap_or_else(|e| fail(format!("pinning {m} at {}: {e}", path.display())));
    }
    println!("ready");
    while !STOP.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
    }
    for m in MAPS {
        let _ = std::fs::remove_file(pin_path(dir, m));
    }
}

fn percpu<V: Pod>(path: &Path) -> Result<PerCpuArray<MapData, V>, String> {
    let data = MapData::from_pin(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let map = Map::from_map_data(data).map_err(|e| format!("{}: {e}", path.display()))?;
    PerCpuArray::try_from(map).map_err(|e| format!("{}: {e}", path.display()))
}

fn percpu_hash<K: Pod, V: Pod>(path: &Path) -> Result<PerCpuHashMap<MapData, K, V>, String> {
    let data = MapData::from_pin(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let map = Map::from_map_data(data).map_err(|e| format!("{}: {e}", path.display()))?;
    PerCpuHashMap::try_from(map).map_err(|e| format!("{}: {e}", path.display()))
}

fn read(dir: &Path) -> Result<String, String> {
    let acc: PerCpuArray<_, Acc> = percpu(&pin_path(dir, MAPS[0]))?;
    let xdp: PerCpuArray<_, u64> = percpu(&pin_path(dir, MAPS[1]))?;
    let (mut all_ns, mut all_runs) = (0u64, 0u64);
    let (mut rx_ns, mut rx_runs, mut rx_cpu) = (0u64, 0u64, Vec::new());
    for vec in 0..NR_VEC {
        let v = acc
            .get(&vec, 0)
            .map_err(|e| format!("cputime_acc[{vec}]: {e}"))?;
        for (cpu, a) in v.iter().enumerate() {
            all_ns += a.ns;
            all_runs += a.runs;
            if vec == NET_RX {
                rx_ns += a.ns;
                rx_runs += a.runs;
                if rx_cpu.len() <= cpu {
                    rx_cpu.resize(cpu + 1, 0);
                }
                rx_cpu[cpu] += a.ns;
            }
        }
    }
    let mut x = [0u64; 4];
    for (i, slot) in x.iter_mut().enumerate() {
        let v = xdp
            .get(&(i as u32), 0)
            .map_err(|e| format!("cputime_xdp[{i}]: {e}"))?;
        *slot = v.iter().sum();
    }
    let exc: PerCpuArray<_, u64> = percpu(&pin_path(dir, MAPS[2]))?;
    let mut by_act = Vec::new();
    for act in 0..NR_ACT {
        let v = exc
            .get(&act, 0)
            .map_err(|e| format!("cputime_exc[{act}]: {e}"))?;
        by_act.push(v.iter().sum::<u64>().to_string());
    }
    let napi: PerCpuHashMap<_, Name, Acc> = percpu_hash(&pin_path(dir, MAPS[3]))?;
    let mut devs = Vec::new();
    for item in napi.iter() {
        let (name, v) = item.map_err(|e| format!("cputime_napi: {e}"))?;
        let (ns, polls) = v.iter().fold((0, 0), |(n, p), a| (n + a.ns, p + a.runs));
        devs.push((name.word(), ns, polls));
    }
    devs.sort();
    let cpus: Vec<String> = rx_cpu.iter().map(u64::to_string).collect();
    let mut out = format!(
        "net_rx_ns={rx_ns} net_rx_runs={rx_runs} sirq_ns={all_ns} sirq_runs={all_runs} \
         net_rx_cpu_ns={} xdp_exception={} redirect_err={} devmap_drops={} devmap_sent={} \
         xdp_exception_act={}",
        cpus.join(","),
        x[0],
        x[1],
        x[2],
        x[3],
        by_act.join(",")
    );
    for (dev, ns, polls) in devs {
        out += &format!(" napi_ns_{dev}={ns} napi_polls_{dev}={polls}");
    }
    Ok(out)
}

fn map_sum(name: &str, index: u32) -> Result<u64, String> {
    let mut newest = None;
    for info in loaded_maps() {
        let info = info.map_err(|e| format!("listing maps: {e}"))?;
        if info.name_as_str() == Some(name) && newest.is_none_or(|id| info.id() > id) {
            newest = Some(info.id());
        }
    }
    let id = newest.ok_or(format!("no loaded map called {name}"))?;
    let data = MapData::from_id(id).map_err(|e| format!("map {name} (id {id}): {e}"))?;
    match Map::from_map_data(data).map_err(|e| format!("map {name}: {e}"))? {
        m @ Map::PerCpuArray(_) => {
            let a: PerCpuArray<_, u64> = PerCpuArray::try_from(m).map_err(|e| e.to_string())?;
            let v = a
                .get(&index, 0)
                .map_err(|e| format!("{name}[{index}]: {e}"))?;
            Ok(v.iter().sum())
        }
        m @ Map::Array(_) => {
            let a: aya::maps::Array<_, u64> =
                aya::maps::Array::try_from(m).map_err(|e| e.to_string())?;
            a.get(&index, 0)
                .map_err(|e| format!("{name}[{index}]: {e}"))
        }
        _ => Err(format!("map {name} is not an array of u64")),
    }
}
