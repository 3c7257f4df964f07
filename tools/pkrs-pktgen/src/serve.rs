//! `serve`: the data socket QEMU's stream netdev connects to, the control
//! socket its serial chardev connects to, and the commands read from it.

use crate::cmd::{self, Command, SendArgs};
use crate::frame::{Flows, Mac, Spec, Verdict};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Frames per write when a send names no `batch` and no `rate`.
pub const DEFAULT_BATCH: usize = 32;
/// Frames per write when a send names a `rate` but no `batch`.
pub const DEFAULT_RATE_BATCH: usize = 1;
/// How long a blocked write waits before the send looks at its clock.
const WRITE_POLL: Duration = Duration::from_millis(10);
/// QEMU's own limit on a record (NET_BUFSIZE); a longer one means the
/// stream is not QEMU's framing.
pub const MAX_RECORD: usize = 4096 + 65536;
/// The longest control line kept; a longer one gets an `err`.
pub const MAX_LINE: usize = 4096;
/// Default for [`Options::stall`].
pub const DEFAULT_STALL: Duration = Duration::from_secs(10);
/// How long `quit` waits for QEMU to read what was written, and then for
/// it to pass the last frames on.
const DRAIN_WAIT: Duration = Duration::from_secs(2);
const DRAIN_GRACE: Duration = Duration::from_millis(200);
/// Default for [`Options::sndbuf`]; see `set_sndbuf`.
pub const DEFAULT_SNDBUF: usize = 4096;

#[derive(Clone, Debug)]
pub struct Options {
    pub data: PathBuf,
    pub ctl: PathBuf,
    pub log: Option<PathBuf>,
    /// A send fails when QEMU takes nothing for this long (and waits this
    /// long for the data connection).
    pub stall: Duration,
    /// SO_SNDBUF for the data connection; 0: the kernel's default.
    pub sndbuf: usize,
    /// The socket QEMU's human monitor connects to (`link`, `flap`).
    pub monitor: Option<PathBuf>,
}

/// How long a monitor command may take to answer.
const MON_TIMEOUT: Duration = Duration::from_secs(10);
/// QEMU's human monitor prompt, which ends each answer.
const MON_PROMPT: &[u8] = b"(qemu) ";

/// QEMU's human monitor (HMP) on a chardev socket.
struct Monitor {
    s: UnixStream,
}

/// Why a monitor command failed.
enum MonErr {
    /// The connection: it is dropped, the next command waits for a new one.
    Io(String),
    /// QEMU refused the command (its answer).
    Refused(String),
}

impl MonErr {
    fn text(self) -> String {
        match self {
            MonErr::Io(e) | MonErr::Refused(e) => e,
        }
    }
}

impl Monitor {
    /// Reads until the prompt; what came before it.
    fn until_prompt(&mut self) -> Result<String, MonErr> {
        let mut got = Vec::new();
        let mut b = [0u8; 1024];
        while !got.ends_with(MON_PROMPT) {
            match self.s.read(&mut b) {
                Ok(0) => return Err(MonErr::Io("monitor: closed by QEMU".into())),
                Ok(n) => got.extend_from_slice(&b[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(MonErr::Io(format!("monitor: read: {e}"))),
            }
        }
        got.truncate(got.len() - MON_PROMPT.len());
        Ok(String::from_utf8_lossy(&got).into_owned())
    }

    /// One command; its output (QEMU echoes the command line first).
    fn cmd(&mut self, line: &str) -> Result<String, MonErr> {
        self.s
            .write_all(format!("{line}\n").as_bytes())
            .map_err(|e| MonErr::Io(format!("monitor: write: {e}")))?;
        let out = self.until_prompt()?;
        // The echo, with the line editor's escapes, up to its newline.
        let answer = out.split_once('\n').map_or("", |(_, a)| a).trim();
        Ok(answer.to_string())
    }

    /// `set_link NAME on|off`; QEMU answers nothing when it worked.
    fn set_link(&mut self, name: &str, up: bool) -> Result<(), MonErr> {
        let a = self.cmd(&format!(
            "set_link {name} {}",
            if up { "on" } else { "off" }
        ))?;
        if a.is_empty() {
            Ok(())
        } else {
            Err(MonErr::Refused(format!("set_link {name}: {a}")))
        }
    }
}

/// Counters of what came back on the data socket since the last `reset`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub rx: u64,
    pub rx_bytes: u64,
    pub swapped: u64,
    pub same: u64,
    pub other: u64,
    /// Of the swapped frames: byte for byte what their frame of the last
    /// send must come back as ([`Spec::verify`]), ...
    pub intact: u64,
    /// ... not so (a byte, the length, a checksum wrong), ...
    pub corrupt: u64,
    /// ... and of the intact ones, those whose sequence number is not
    /// above every one before it in this send (reordered or repeated).
    pub reordered: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.rx += o.rx;
        self.rx_bytes += o.rx_bytes;
        self.swapped += o.swapped;
        self.same += o.same;
        self.other += o.other;
        self.intact += o.intact;
        self.corrupt += o.corrupt;
        self.reordered += o.reordered;
    }

    fn fields(&self) -> String {
        format!(
            "rx={} rx_bytes={} swapped={} same={} other={} intact={} corrupt={} reordered={}",
            self.rx,
            self.rx_bytes,
            self.swapped,
            self.same,
            self.other,
            self.intact,
            self.corrupt,
            self.reordered
        )
    }
}

/// What the frames of the last send were, to check what comes back.
struct Expect {
    spec: Spec,
    flows: Flows,
    /// The highest sequence number seen back intact (none yet: `None`).
    last: Option<u64>,
}

impl Expect {
    /// Counts a swapped frame as intact or corrupt, and as reordered.
    fn check(&mut self, f: &[u8], c: &mut Counts) {
        match self.spec.verify(&self.flows, f) {
            Verdict::Intact(seq) => {
                c.intact += 1;
                match self.last {
                    Some(l) if seq <= l => c.reordered += 1,
                    _ => self.last = Some(seq),
                }
            }
            Verdict::Corrupt => c.corrupt += 1,
        }
    }
}

/// How a frame that came back relates to the addresses of the last send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Destination our source MAC, source our destination MAC.
    Swapped,
    /// Our addresses as we sent them.
    Same,
    Other,
}

/// `ours`: the source MAC we send with; `theirs`: the destination we send to.
pub fn classify(f: &[u8], ours: &Mac, theirs: &Mac) -> Class {
    if f.len() < 12 {
        return Class::Other;
    }
    let (dst, src) = (&f[0..6], &f[6..12]);
    if dst == ours && src == theirs {
        Class::Swapped
    } else if dst == theirs && src == ours {
        Class::Same
    } else {
        Class::Other
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Logger(Option<Mutex<File>>);

impl Logger {
    fn log(&self, what: &str) {
        if let Some(f) = &self.0 {
            // A log that cannot be written must not stop the test.
            let _ = writeln!(lock(f), "{} {what}", timestamp(SystemTime::now()));
        }
    }
}

/// `2024-01-31T23:59:59.123Z`.
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86400, secs % 86400);
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// The writing side of the data connection. `pending` holds the rest of a
/// record that a stopped send had begun: it goes out before anything else,
/// so that the stream keeps its framing.
struct DataTx {
    s: UnixStream,
    pending: Vec<u8>,
}

enum TxFail {
    Stalled,
    Io(io::Error),
}

impl DataTx {
    /// Writes `buf`, whose records end at `ends`. At `deadline`, or after
    /// `stall` without progress, it stops at a record boundary: the rest
    /// of a record begun goes to `pending`. Gives the number of records
    /// written or owed (all of them unless it stopped).
    fn write_batch(
        &mut self,
        buf: &[u8],
        ends: &[usize],
        deadline: Option<Instant>,
        stall: Duration,
        log: &Logger,
    ) -> Result<usize, (TxFail, usize)> {
        let mut off = 0;
        let mut progress = Instant::now();
        while off < buf.len() {
            match self.s.write(&buf[off..]) {
                Ok(0) => {
                    let e = io::Error::new(io::ErrorKind::WriteZero, "connection closed");
                    return Err((TxFail::Io(e), ends.partition_point(|&e| e <= off)));
                }
                Ok(n) => {
                    off += n;
                    progress = Instant::now();
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    let now = Instant::now();
                    let late = deadline.is_some_and(|d| now >= d);
                    let stalled = now.duration_since(progress) >= stall;
                    if late || stalled {
                        let done = ends.partition_point(|&e| e <= off);
                        let begun = off > if done == 0 { 0 } else { ends[done - 1] };
                        let frames = if begun {
                            self.pending.extend_from_slice(&buf[off..ends[done]]);
                            log.log(&format!(
                                "data: {} bytes of a record begun go out with the next send",
                                self.pending.len()
                            ));
                            done + 1
                        } else {
                            done
                        };
                        return if stalled && !late {
                            Err((TxFail::Stalled, frames))
                        } else {
                            Ok(frames)
                        };
                    }
                }
                Err(e) => return Err((TxFail::Io(e), ends.partition_point(|&e| e <= off))),
            }
        }
        Ok(ends.len())
    }

    fn flush_pending(&mut self, stall: Duration) -> Result<(), TxFail> {
        let mut progress = Instant::now();
        while !self.pending.is_empty() {
            match self.s.write(&self.pending) {
                Ok(0) => {
                    let e = io::Error::new(io::ErrorKind::WriteZero, "connection closed");
                    return Err(TxFail::Io(e));
                }
                Ok(n) => {
                    self.pending.drain(..n);
                    progress = Instant::now();
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if progress.elapsed() >= stall {
                        return Err(TxFail::Stalled);
                    }
                }
                Err(e) => return Err(TxFail::Io(e)),
            }
        }
        Ok(())
    }
}

struct Shared {
    counts: Mutex<Counts>,
    /// (source MAC, destination MAC) of the last send.
    macs: Mutex<(Mac, Mac)>,
    /// The last send's frames (none before the first).
    expect: Mutex<Option<Expect>>,
    /// QEMU's monitor, once connected (with `--monitor`).
    mon: Mutex<Option<Monitor>>,
    mon_ready: Condvar,
    /// The background `flap`, while it runs or until `flap_wait`.
    flapper: Mutex<Option<thread::JoinHandle<Result<u32, String>>>>,
    tx: Mutex<Option<DataTx>>,
    tx_ready: Condvar,
    log: Logger,
    stall: Duration,
}

/// Binds a listening socket at `path`, replacing a stale socket file (and
/// refusing to replace anything else).
fn listen(path: &Path) -> Result<UnixListener, String> {
    let name = path.display();
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => {
            fs::remove_file(path).map_err(|e| format!("{name}: cannot remove stale socket: {e}"))?
        }
        Ok(_) => return Err(format!("{name}: exists and is not a socket")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{name}: {e}")),
    }
    UnixListener::bind(path).map_err(|e| format!("{name}: cannot listen: {e}"))
}

/// Listens on both sockets, serves the control connection until it closes
/// (or `quit`), and returns; other threads may still run.
pub fn serve(opts: &Options) -> Result<(), String> {
    let log = match &opts.log {
        Some(p) => Some(Mutex::new(
            File::create(p).map_err(|e| format!("{}: {e}", p.display()))?,
        )),
        None => None,
    };
    let data = listen(&opts.data)?;
    let ctl = listen(&opts.ctl)?;
    let mon = match &opts.monitor {
        Some(p) if p == &opts.data || p == &opts.ctl => {
            return Err("--monitor must differ from --data and --ctl".into())
        }
        Some(p) => Some(listen(p)?),
        None => None,
    };
    let d = crate::frame::Spec::default();
    let sh = Arc::new(Shared {
        counts: Mutex::new(Counts::default()),
        macs: Mutex::new((d.src_mac, d.dst_mac)),
        expect: Mutex::new(None),
        mon: Mutex::new(None),
        mon_ready: Condvar::new(),
        flapper: Mutex::new(None),
        tx: Mutex::new(None),
        tx_ready: Condvar::new(),
        log: Logger(log),
        stall: opts.stall,
    });
    sh.log.log(&format!(
        "listening: data {} ctl {}",
        opts.data.display(),
        opts.ctl.display()
    ));
    let sh2 = Arc::clone(&sh);
    let sndbuf = opts.sndbuf;
    thread::Builder::new()
        .name("data-accept".into())
        .spawn(move || accept_data(data, sh2, sndbuf))
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    if let Some(l) = mon {
        let sh2 = Arc::clone(&sh);
        thread::Builder::new()
            .name("mon-accept".into())
            .spawn(move || accept_monitor(l, sh2))
            .map_err(|e| format!("cannot start a thread: {e}"))?;
    }
    let r = loop {
        match ctl.accept() {
            Ok((s, _)) => {
                sh.log.log("ctl: connected");
                break ctl_loop(&sh, s);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(format!("{}: accept: {e}", opts.ctl.display())),
        }
    };
    let _ = fs::remove_file(&opts.data);
    let _ = fs::remove_file(&opts.ctl);
    r
}

/// Sets the socket's send buffer, gives the size the kernel took.
///
/// Why it matters: QEMU's stream netdev reads up to 69632 bytes at a time
/// and queues, without limit, every frame of that read the NIC cannot take
/// yet; it reads again as soon as one queued frame has gone to the guest.
/// A full-size socket buffer lets that queue grow by hundreds of frames
/// per guest refill, so QEMU would swallow frames far faster than the
/// guest receives them, and keep delivering long after a send. A small
/// buffer keeps what QEMU can read at once below what the guest takes per
/// refill: then the writes block, and a send's time is the guest's.
fn set_sndbuf(s: &UnixStream, bytes: usize) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    let fd = s.as_raw_fd();
    let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    if bytes > 0 {
        let v = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
        // SAFETY: fd is an open socket; v lives across the call, len is its size.
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                (&v as *const libc::c_int).cast(),
                len,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    let mut v: libc::c_int = 0;
    let mut l = len;
    // SAFETY: as above; v and l are ours to write.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            (&mut v as *mut libc::c_int).cast(),
            &mut l,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(v as usize)
}

/// Takes QEMU's monitor connection (the latest replaces an earlier one)
/// once it has shown its first prompt.
fn accept_monitor(l: UnixListener, sh: Arc<Shared>) {
    for s in l.incoming() {
        let s = match s {
            Ok(s) => s,
            Err(e) => {
                sh.log.log(&format!("monitor: accept: {e}"));
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        if let Err(e) = s.set_read_timeout(Some(MON_TIMEOUT)) {
            sh.log
                .log(&format!("monitor: cannot set up the connection: {e}"));
            continue;
        }
        let mut m = Monitor { s };
        match m.until_prompt() {
            Ok(_) => {
                *lock(&sh.mon) = Some(m);
                sh.log.log("monitor: connected");
                sh.mon_ready.notify_all();
            }
            Err(e) => sh.log.log(&e.text()),
        }
    }
}

/// Runs `f` on the monitor, waiting for QEMU to connect (the stall time).
fn with_monitor<T>(
    sh: &Shared,
    f: impl FnOnce(&mut Monitor) -> Result<T, MonErr>,
) -> Result<T, String> {
    let mut g = lock(&sh.mon);
    let end = Instant::now() + sh.stall;
    while g.is_none() {
        let now = Instant::now();
        if now >= end {
            return Err("no monitor: QEMU has not connected (serve --monitor SOCK)".into());
        }
        g = sh
            .mon_ready
            .wait_timeout(g, end - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    match f(g.as_mut().expect("connected")) {
        Ok(v) => Ok(v),
        Err(MonErr::Refused(e)) => Err(e),
        Err(MonErr::Io(e)) => {
            // A monitor that broke is dropped: the next command waits for
            // a new connection instead of failing the same way.
            *g = None;
            sh.log.log(&e);
            Err(e)
        }
    }
}

/// The background part of `flap`: `count` times off then on, `ms` apart;
/// the toggles done.
fn flap(sh: &Shared, name: &str, count: u32, ms: u64) -> Result<u32, String> {
    let mut n = 0;
    for _ in 0..count {
        for up in [false, true] {
            with_monitor(sh, |m| m.set_link(name, up))?;
            n += 1;
            thread::sleep(Duration::from_millis(ms));
        }
    }
    Ok(n)
}

fn accept_data(l: UnixListener, sh: Arc<Shared>, sndbuf: usize) {
    for s in l.incoming() {
        let s = match s {
            Ok(s) => s,
            Err(e) => {
                sh.log.log(&format!("data: accept: {e}"));
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let setup = s
            .set_write_timeout(Some(WRITE_POLL))
            .and_then(|_| set_sndbuf(&s, sndbuf))
            .and_then(|b| Ok((b, s.try_clone()?)));
        let (buf, rd) = match setup {
            Ok(x) => x,
            Err(e) => {
                sh.log
                    .log(&format!("data: cannot set up the connection: {e}"));
                continue;
            }
        };
        let sh2 = Arc::clone(&sh);
        if let Err(e) = thread::Builder::new()
            .name("data-read".into())
            .spawn(move || read_data(rd, sh2))
        {
            sh.log.log(&format!("data: cannot start the reader: {e}"));
            continue;
        }
        let mut tx = lock(&sh.tx);
        if tx.is_some() {
            sh.log
                .log("data: a new connection replaces the previous one");
        }
        *tx = Some(DataTx {
            s,
            pending: Vec::new(),
        });
        sh.log
            .log(&format!("data: connected (send buffer {buf} bytes)"));
        sh.tx_ready.notify_all();
    }
}

/// Counts every record arriving on the data connection until it closes.
fn read_data(mut s: UnixStream, sh: Arc<Shared>) {
    let mut buf = vec![0u8; 4 * MAX_RECORD];
    let mut have = 0;
    loop {
        let n = match s.read(&mut buf[have..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                sh.log.log(&format!("data: read: {e}"));
                break;
            }
        };
        have += n;
        let (ours, theirs) = *lock(&sh.macs);
        let mut expect = lock(&sh.expect);
        let mut c = Counts::default();
        let mut off = 0;
        while have - off >= 4 {
            let len = u32::from_be_bytes(buf[off..off + 4].try_into().expect("4 bytes")) as usize;
            if len > MAX_RECORD {
                drop(expect);
                lock(&sh.counts).add(&c);
                sh.log.log(&format!(
                    "data: a record of {len} bytes: not QEMU's framing; reading stops"
                ));
                return;
            }
            if have - off - 4 < len {
                break;
            }
            let f = &buf[off + 4..off + 4 + len];
            c.rx += 1;
            c.rx_bytes += len as u64;
            match classify(f, &ours, &theirs) {
                Class::Swapped => {
                    c.swapped += 1;
                    if let Some(e) = expect.as_mut() {
                        e.check(f, &mut c);
                    }
                }
                Class::Same => c.same += 1,
                Class::Other => c.other += 1,
            }
            off += 4 + len;
        }
        drop(expect);
        buf.copy_within(off..have, 0);
        have -= off;
        lock(&sh.counts).add(&c);
    }
    sh.log.log("data: closed by QEMU");
}

/// Bytes written to the socket that the peer has not read yet.
fn unread(s: &UnixStream) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    let mut n: libc::c_int = 0;
    // SAFETY: an open socket; SIOCOUTQ (TIOCOUTQ) writes one int.
    let r = unsafe { libc::ioctl(s.as_raw_fd(), libc::TIOCOUTQ, &mut n) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n.max(0) as usize)
}

/// Before `quit` closes the data connection: until QEMU has read all we
/// wrote (at most [`DRAIN_WAIT`]), then a little longer for it to hand
/// the last frames to the guest. QEMU 7.2 crashes when a frame it queued
/// reaches the guest after the connection closed (the stream netdev
/// re-arms its read watch on a channel it has dropped).
fn drain(sh: &Shared) {
    let guard = lock(&sh.tx);
    let Some(tx) = guard.as_ref() else {
        return;
    };
    let end = Instant::now() + DRAIN_WAIT;
    loop {
        match unread(&tx.s) {
            Ok(0) if tx.pending.is_empty() => break,
            Ok(n) if Instant::now() >= end => {
                sh.log.log(&format!(
                    "quit: QEMU has not read the last {} bytes",
                    n + tx.pending.len()
                ));
                return;
            }
            Ok(_) => thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                sh.log.log(&format!("quit: SIOCOUTQ: {e}"));
                return;
            }
        }
    }
    thread::sleep(DRAIN_GRACE);
}

fn ctl_loop(sh: &Arc<Shared>, s: UnixStream) -> Result<(), String> {
    let mut rd = s
        .try_clone()
        .map_err(|e| format!("ctl: cannot set up the connection: {e}"))?;
    let mut w = s;
    let mut line = Vec::new();
    let mut overflow = false;
    let mut buf = [0u8; 4096];
    loop {
        let n = match rd.read(&mut buf) {
            Ok(0) => {
                sh.log.log("ctl: closed; exiting");
                return Ok(());
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                sh.log.log(&format!("ctl: read: {e}; exiting"));
                return Ok(());
            }
        };
        for &b in &buf[..n] {
            if b != b'\n' && b != b'\r' {
                if line.len() < MAX_LINE {
                    line.push(b);
                } else {
                    overflow = true;
                }
                continue;
            }
            let (reply, quit) = if overflow {
                overflow = false;
                line.clear();
                (
                    Some(format!("err line too long (at most {MAX_LINE} bytes)")),
                    false,
                )
            } else {
                let r = handle(sh, &line);
                line.clear();
                r
            };
            if let Some(r) = reply {
                sh.log.log(&format!("> {r}"));
                if let Err(e) = w.write_all(format!("{r}\n").as_bytes()) {
                    sh.log.log(&format!("ctl: write: {e}; exiting"));
                    return Ok(());
                }
            }
            if quit {
                drain(sh);
                sh.log.log("quit; exiting");
                return Ok(());
            }
        }
    }
}

/// The reply to one raw line (none for an empty line or an echo), and
/// whether to quit after it.
fn handle(sh: &Arc<Shared>, raw: &[u8]) -> (Option<String>, bool) {
    let text = cmd::clean(raw);
    if text.is_empty() {
        if !raw.is_empty() {
            sh.log.log(&format!("ignored noise: {raw:?}"));
        }
        return (None, false);
    }
    if cmd::is_reply(&text) {
        sh.log
            .log(&format!("ignored a reply coming back (tty echo?): {text}"));
        return (None, false);
    }
    sh.log.log(&format!("< {text}"));
    match cmd::parse(&text) {
        Err(e) => (Some(format!("err {e}")), false),
        Ok(None) => (None, false),
        Ok(Some(c)) => {
            let quit = c == Command::Quit;
            (Some(run(sh, c)), quit)
        }
    }
}

fn run(sh: &Arc<Shared>, c: Command) -> String {
    match c {
        Command::Send(a) => match send(sh, &a) {
            Ok(r) => format!("ok {r}"),
            Err(e) => format!("err {e}"),
        },
        Command::Stats => format!("ok {}", lock(&sh.counts).fields()),
        Command::Wait { rx, secs } => {
            let end = Instant::now() + secs;
            loop {
                let c = *lock(&sh.counts);
                let timeout = if c.rx >= rx {
                    0
                } else if Instant::now() >= end {
                    1
                } else {
                    thread::sleep(Duration::from_millis(1));
                    continue;
                };
                break format!("ok {} timeout={timeout}", c.fields());
            }
        }
        Command::Link { name, up } => match with_monitor(sh, |m| m.set_link(&name, up)) {
            Ok(()) => "ok".into(),
            Err(e) => format!("err {e}"),
        },
        Command::Flap { name, count, ms } => {
            let mut f = lock(&sh.flapper);
            if f.as_ref().is_some_and(|h| !h.is_finished()) {
                return "err a flap is running (flap_wait)".into();
            }
            let sh2 = Arc::clone(sh);
            match thread::Builder::new()
                .name("flap".into())
                .spawn(move || flap(&sh2, &name, count, ms))
            {
                Ok(h) => {
                    *f = Some(h);
                    format!("ok flapping toggles={}", 2 * u64::from(count))
                }
                Err(e) => format!("err cannot start a thread: {e}"),
            }
        }
        Command::FlapWait { secs } => {
            let end = Instant::now() + secs;
            let mut f = lock(&sh.flapper);
            let Some(h) = f.take() else {
                return "err no flap was started".into();
            };
            while !h.is_finished() {
                if Instant::now() >= end {
                    *f = Some(h);
                    return "ok timeout=1".into();
                }
                thread::sleep(Duration::from_millis(5));
            }
            match h.join() {
                Ok(Ok(n)) => format!("ok toggles={n} timeout=0"),
                Ok(Err(e)) => format!("err {e}"),
                Err(_) => "err the flap thread panicked".into(),
            }
        }
        Command::Reset => {
            *lock(&sh.counts) = Counts::default();
            "ok".into()
        }
        Command::Quit => "ok".into(),
    }
}

fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        thread::sleep(t - now);
    }
}

fn send(sh: &Shared, a: &SendArgs) -> Result<String, String> {
    *lock(&sh.macs) = (a.spec.src_mac, a.spec.dst_mac);
    *lock(&sh.expect) = Some(Expect {
        spec: a.spec.clone(),
        flows: a.flows(),
        last: None,
    });
    let mut guard = lock(&sh.tx);
    let end = Instant::now() + sh.stall;
    while guard.is_none() {
        let now = Instant::now();
        if now >= end {
            return Err(format!(
                "data socket: QEMU has not connected (waited {} s)",
                sh.stall.as_secs_f64()
            ));
        }
        guard = sh
            .tx_ready
            .wait_timeout(guard, end - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    let tx = guard.as_mut().expect("connected");
    let fail = |f: TxFail, sent: u64| match f {
        TxFail::Stalled => format!(
            "data socket stalled: QEMU took nothing for {} s (sent={sent}; is the guest's NIC up?)",
            sh.stall.as_secs_f64()
        ),
        TxFail::Io(e) => format!("data socket: {e} (sent={sent})"),
    };
    if let Err(f) = tx.flush_pending(sh.stall) {
        let closed = matches!(f, TxFail::Io(_));
        let e = fail(f, 0);
        if closed {
            *guard = None;
        }
        return Err(e);
    }

    let batch = a.batch.unwrap_or(if a.rate > 0 {
        DEFAULT_RATE_BATCH
    } else {
        DEFAULT_BATCH
    });
    let count = a.count.unwrap_or(u64::MAX);
    let size = a.spec.size;
    let mut flows = a.flows();
    let mut buf = Vec::with_capacity(batch * (size + 4));
    let mut ends = Vec::with_capacity(batch);
    let start = Instant::now();
    let deadline = a.secs.map(|d| start + d);
    let (mut sent, mut last) = (0u64, start);
    while sent < count {
        if let Some(d) = deadline {
            if Instant::now() >= d {
                break;
            }
        }
        if a.rate > 0 {
            let due = start
                + Duration::from_nanos(
                    (u128::from(sent) * 1_000_000_000 / u128::from(a.rate)) as u64,
                );
            match deadline {
                Some(d) if due >= d => break,
                _ => sleep_until(due),
            }
        }
        let n = (count - sent).min(batch as u64) as usize;
        buf.clear();
        ends.clear();
        for i in 0..n {
            buf.extend_from_slice(&(size as u32).to_be_bytes());
            a.spec.build(&flows.next_flow(), sent + i as u64, &mut buf);
            ends.push(buf.len());
        }
        match tx.write_batch(&buf, &ends, deadline, sh.stall, &sh.log) {
            Ok(k) => {
                sent += k as u64;
                if k > 0 {
                    last = Instant::now();
                }
                if k < n {
                    break;
                }
            }
            Err((f, k)) => {
                sent += k as u64;
                let closed = matches!(f, TxFail::Io(_));
                let e = fail(f, sent);
                if closed {
                    *guard = None;
                }
                return Err(e);
            }
        }
    }
    let ns = last.duration_since(start).as_nanos() as u64;
    let pps = if ns > 0 {
        (u128::from(sent) * 1_000_000_000 / u128::from(ns)) as u64
    } else {
        0
    };
    Ok(format!(
        "sent={sent} bytes={} ns={ns} pps={pps}",
        sent * size as u64
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let ours = [2, 0, 0, 0, 0, 1];
        let theirs = [2, 0, 0, 0, 0, 2];
        let mut f = vec![0u8; 60];
        f[0..6].copy_from_slice(&ours);
        f[6..12].copy_from_slice(&theirs);
        assert_eq!(classify(&f, &ours, &theirs), Class::Swapped);
        f[0..6].copy_from_slice(&theirs);
        f[6..12].copy_from_slice(&ours);
        assert_eq!(classify(&f, &ours, &theirs), Class::Same);
        f[0..6].copy_from_slice(&[0xff; 6]);
        assert_eq!(classify(&f, &ours, &theirs), Class::Other);
        // Only one address swapped back is not a swap.
        f[0..6].copy_from_slice(&ours);
        assert_eq!(classify(&f, &ours, &theirs), Class::Other);
        assert_eq!(classify(&f[..11], &ours, &theirs), Class::Other);
    }

    #[test]
    fn timestamps() {
        let t = |s| timestamp(UNIX_EPOCH + Duration::from_millis(s));
        assert_eq!(t(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(t(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(t(1_709_251_199_999), "2024-02-29T23:59:59.999Z");
        assert_eq!(t(4_102_444_800_123), "2100-01-01T00:00:00.123Z");
    }
}
