//! System helpers shared by the loaders: stop signals, interface and
//! bpffs checks, XDP attach with readable errors.

use std::error::Error;
use std::ffi::CString;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aya::programs::{ProgramError, Xdp, XdpMode};

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_sig: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// SIGINT and SIGTERM set a flag (see `sleep_or_stop`) instead of killing
/// the process, so the program is detached and that is reported.
pub fn catch_stop_signals() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_stop_signal as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Sleeps until `deadline`, waking early on a stop signal; false then.
pub fn sleep_until(deadline: Instant) -> bool {
    while !stop_requested() {
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
    }
    false
}

/// The interface index, or None when there is no such interface.
pub fn ifindex(dev: &str) -> Option<u32> {
    let c = CString::new(dev).ok()?;
    // SAFETY: a valid NUL-terminated string.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (i != 0).then_some(i)
}

const BPF_FS_MAGIC: i64 = 0xcafe4a11;

/// Whether `path` is on a mounted bpf file system.
pub fn is_bpffs(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: statfs fills the zeroed struct; the path is NUL-terminated.
    unsafe {
        let mut st: libc::statfs = std::mem::zeroed();
        libc::statfs(c.as_ptr(), &mut st) == 0 && st.f_type as u32 as i64 == BPF_FS_MAGIC
    }
}

/// Older kernels charge BPF memory to RLIMIT_MEMLOCK; lift it (best
/// effort: newer kernels account to the memory cgroup instead).
pub fn raise_memlock() {
    let r = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: plain syscall with a valid struct.
    unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &r) };
}

/// An error with its causes, "a: b: c".
pub fn error_chain(e: &dyn Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s += ": ";
            s += &t;
        }
        cur = c.source();
    }
    s
}

/// The mode's name in messages.
pub fn mode_name(skb_mode: bool) -> &'static str {
    if skb_mode {
        "generic (skb)"
    } else {
        "native (driver)"
    }
}

fn os_error(e: &ProgramError) -> Option<i32> {
    let mut cur: Option<&dyn Error> = Some(e);
    while let Some(c) = cur {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return io.raw_os_error();
        }
        cur = c.source();
    }
    None
}

/// Attaches `prog` to `dev` in native mode, or generic mode with
/// `skb_mode`; the error says what went wrong in terms of the options.
/// The attachment is a bpf_link: it goes when the process exits, however
/// it exits.
pub fn attach_xdp(
    prog: &mut Xdp,
    dev: &str,
    skb_mode: bool,
) -> Result<aya::programs::xdp::XdpLinkId, String> {
    attach_xdp_hint(prog, dev, skb_mode, "--skb-mode attaches in generic mode")
}

/// `attach_xdp` with another hint after a refused native attach, for an
/// attachment that `--skb-mode` does not apply to.
pub fn attach_xdp_hint(
    prog: &mut Xdp,
    dev: &str,
    skb_mode: bool,
    native_hint: &str,
) -> Result<aya::programs::xdp::XdpLinkId, String> {
    let mode = if skb_mode {
        XdpMode::Skb
    } else {
        XdpMode::Driver
    };
    prog.attach(dev, mode).map_err(|e| match os_error(&e) {
        Some(libc::EOPNOTSUPP) if !skb_mode => format!(
            "{dev} cannot run XDP in native (driver) mode (its driver has no XDP support); \
             {native_hint}"
        ),
        Some(libc::EBUSY) | Some(libc::EEXIST) => {
            format!("{dev} already has an XDP program attached")
        }
        _ => format!(
            "attaching XDP to {dev} in {} mode failed: {}",
            mode_name(skb_mode),
            error_chain(&e)
        ),
    })
}
