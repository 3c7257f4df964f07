//! End to end: `pkrs-pktgen serve` as a child process, a fake QEMU on the
//! data socket and a fake guest on the control socket.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pkrs-pktgen");
const OURS: [u8; 6] = [0x52, 0x54, 0, 0, 0, 0xf0];
const THEIRS: [u8; 6] = [0x52, 0x54, 0, 0, 0, 0x20];

fn tmpdir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "pkrs-pktgen-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Gen {
    child: Child,
    dir: PathBuf,
    data: PathBuf,
    ctl: PathBuf,
    log: PathBuf,
}

impl Gen {
    fn start(extra: &[&str]) -> Gen {
        let dir = tmpdir();
        let (data, ctl, log) = (dir.join("data"), dir.join("ctl"), dir.join("gen.log"));
        let child = Command::new(BIN)
            .arg("serve")
            .arg("--data")
            .arg(&data)
            .arg("--ctl")
            .arg(&ctl)
            .arg("--log")
            .arg(&log)
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let g = Gen {
            child,
            dir,
            data,
            ctl,
            log,
        };
        let t = Instant::now();
        while !(g.data.exists() && g.ctl.exists()) {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "serve did not listen"
            );
            thread::sleep(Duration::from_millis(10));
        }
        g
    }

    fn ctl(&self) -> Ctl {
        Ctl::new(UnixStream::connect(&self.ctl).unwrap())
    }

    fn data(&self) -> UnixStream {
        UnixStream::connect(&self.data).unwrap()
    }

    /// Waits for the exit (10 s at most).
    fn wait(&mut self) -> ExitStatus {
        let t = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(t.elapsed() < Duration::from_secs(10), "serve did not exit");
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Gen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Ctl {
    w: UnixStream,
    r: BufReader<UnixStream>,
}

impl Ctl {
    fn new(s: UnixStream) -> Ctl {
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        Ctl {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.w.write_all(bytes).unwrap();
    }

    /// One command, one reply line (without its newline).
    fn cmd(&mut self, line: &str) -> String {
        self.raw(format!("{line}\n").as_bytes());
        let mut r = String::new();
        self.r.read_line(&mut r).unwrap();
        assert!(r.ends_with('\n'), "{line}: reply {r:?}");
        r.pop();
        r
    }
}

/// The value of `key` in a reply line.
fn val(reply: &str, key: &str) -> u64 {
    reply
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {reply:?}"))
        .parse()
        .unwrap()
}

fn read_record(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        r => r?,
    }
    let mut f = vec![0; u32::from_be_bytes(len) as usize];
    r.read_exact(&mut f)?;
    Ok(Some(f))
}

fn write_record(w: &mut impl Write, f: &[u8]) {
    w.write_all(&(f.len() as u32).to_be_bytes()).unwrap();
    w.write_all(f).unwrap();
}

/// The sequence number of a default (IPv4/UDP, untagged) frame.
fn seq(f: &[u8]) -> u64 {
    u64::from_be_bytes(f[42..50].try_into().unwrap())
}

/// A fake QEMU that reads `n` records (or until EOF) and keeps them.
fn collect(mut s: impl Read + Send + 'static, n: usize) -> JoinHandle<Vec<(Instant, Vec<u8>)>> {
    thread::spawn(move || {
        let mut v = Vec::new();
        while v.len() < n {
            match read_record(&mut s).unwrap() {
                Some(f) => v.push((Instant::now(), f)),
                None => break,
            }
        }
        v
    })
}

/// Reads at most `.1` bytes a millisecond.
struct Slow(UnixStream, usize);

impl Read for Slow {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        thread::sleep(Duration::from_millis(1));
        let n = buf.len().min(self.1);
        self.0.read(&mut buf[..n])
    }
}

fn ok_send(reply: &str) -> (u64, u64, u64, u64) {
    assert!(reply.starts_with("ok sent="), "{reply}");
    let words: Vec<&str> = reply.split_whitespace().collect();
    assert_eq!(words.len(), 5, "{reply}");
    (
        val(reply, "sent"),
        val(reply, "bytes"),
        val(reply, "ns"),
        val(reply, "pps"),
    )
}

#[test]
fn send_and_count_what_comes_back() {
    let mut g = Gen::start(&[]);
    // Data connects first, as it may.
    let data = g.data();
    let mut ctl = g.ctl();
    let mut back = data.try_clone().unwrap();
    let fake = thread::spawn(move || {
        let mut rd = data;
        let mut got = Vec::new();
        for i in 0..1000u64 {
            let f = read_record(&mut rd).unwrap().expect("a record");
            match i % 3 {
                0 => {
                    let mut s = f.clone();
                    s[0..6].copy_from_slice(&f[6..12]);
                    s[6..12].copy_from_slice(&f[0..6]);
                    write_record(&mut back, &s);
                }
                1 => write_record(&mut back, &f),
                _ => {}
            }
            if i == 500 {
                // The guest's own traffic: broadcast ARP.
                let mut arp = vec![0xff; 6];
                arp.extend_from_slice(&THEIRS);
                arp.extend_from_slice(&[8, 6]);
                arp.resize(42, 0);
                write_record(&mut back, &arp);
            }
            got.push(f);
        }
        got
    });
    assert_eq!(ctl.cmd("reset"), "ok");
    let r = ctl.cmd("send count=1000");
    let (sent, bytes, ns, pps) = ok_send(&r);
    assert_eq!((sent, bytes), (1000, 60_000));
    assert!(ns > 0);
    assert_eq!(pps, 1000 * 1_000_000_000 / ns);
    let r = ctl.cmd("wait rx=668");
    assert_eq!(
        r,
        "ok rx=668 rx_bytes=40062 swapped=334 same=333 other=1 intact=334 corrupt=0 reordered=0 timeout=0"
    );
    assert_eq!(
        ctl.cmd("stats"),
        "ok rx=668 rx_bytes=40062 swapped=334 same=333 other=1 intact=334 corrupt=0 reordered=0"
    );
    let t = Instant::now();
    let r = ctl.cmd("wait rx=669 secs=0.3");
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert!(
        r.ends_with(" other=1 intact=334 corrupt=0 reordered=0 timeout=1")
            && r.starts_with("ok rx=668 "),
        "{r}"
    );
    assert_eq!(ctl.cmd("reset"), "ok");
    assert_eq!(
        ctl.cmd("stats"),
        "ok rx=0 rx_bytes=0 swapped=0 same=0 other=0 intact=0 corrupt=0 reordered=0"
    );
    assert_eq!(
        ctl.cmd("wait rx=0 secs=5"),
        "ok rx=0 rx_bytes=0 swapped=0 same=0 other=0 intact=0 corrupt=0 reordered=0 timeout=0"
    );

    let got = fake.join().unwrap();
    for (i, f) in got.iter().enumerate() {
        assert_eq!(f.len(), 60);
        assert_eq!(seq(f), i as u64);
        assert_eq!(&f[0..6], &THEIRS);
        assert_eq!(&f[6..12], &OURS);
    }
    assert_eq!(ctl.cmd("quit"), "ok");
    assert!(g.wait().success());
    let log = std::fs::read_to_string(&g.log).unwrap();
    assert!(log.contains(" < send count=1000\n"), "{log}");
    assert!(log.contains(" > ok sent=1000 bytes=60000 "), "{log}");
    let first = log.lines().next().unwrap();
    let ts = first.split(' ').next().unwrap();
    assert_eq!(ts.len(), 24, "{first}");
    assert!(ts.starts_with("20") && ts.ends_with('Z') && ts.as_bytes()[10] == b'T');
    assert!(
        !g.ctl.exists() && !g.data.exists(),
        "sockets removed at exit"
    );
}

#[test]
fn classification_follows_the_send_macs() {
    let g = Gen::start(&[]);
    let mut ctl = g.ctl();
    let data = g.data();
    let mut back = data.try_clone().unwrap();
    let fake = collect(data, 2);
    let r = ctl.cmd("send count=2 dst_mac=02:00:00:00:00:02 src_mac=02:00:00:00:00:01");
    assert_eq!(ok_send(&r).0, 2);
    let got = fake.join().unwrap();
    let f = &got[0].1;
    assert_eq!(&f[0..12], &[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
    let mut s = f.clone();
    s[0..6].copy_from_slice(&f[6..12]);
    s[6..12].copy_from_slice(&f[0..6]);
    write_record(&mut back, &s);
    write_record(&mut back, f);
    // The defaults' addresses are someone else's now.
    let mut d = f.clone();
    d[0..6].copy_from_slice(&OURS);
    d[6..12].copy_from_slice(&THEIRS);
    write_record(&mut back, &d);
    write_record(&mut back, &[1, 2, 3]);
    assert_eq!(
        ctl.cmd("wait rx=4"),
        "ok rx=4 rx_bytes=183 swapped=1 same=1 other=2 intact=1 corrupt=0 reordered=0 timeout=0"
    );
}

/// Swaps the MAC addresses of a frame (an XDP_TX bounce).
fn swapped(f: &[u8]) -> Vec<u8> {
    let mut s = f.to_vec();
    s[0..6].copy_from_slice(&f[6..12]);
    s[6..12].copy_from_slice(&f[0..6]);
    s
}

/// RFC 1071 over `b`.
fn csum(b: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in b.chunks(2) {
        s += u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0));
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// What a Linux stack answers to an echo request: MACs and IPv4
/// addresses swapped, a header of its own (another id, DF), type 0, the
/// ICMP checksum redone.
fn echo_reply(req: &[u8]) -> Vec<u8> {
    let mut r = swapped(req);
    let (src, dst) = (req[26..30].to_vec(), req[30..34].to_vec());
    r[26..30].copy_from_slice(&dst);
    r[30..34].copy_from_slice(&src);
    r[18..20].copy_from_slice(&0x1234u16.to_be_bytes()); // id
    r[20] = 0x40; // DF
    r[24..26].fill(0);
    let c = csum(&r[14..34]);
    r[24..26].copy_from_slice(&c.to_be_bytes());
    r[34] = 0; // echo reply
    r[36..38].fill(0);
    let c = csum(&r[34..]);
    r[36..38].copy_from_slice(&c.to_be_bytes());
    r
}

#[test]
fn what_comes_back_is_checked_byte_for_byte_and_in_order() {
    let g = Gen::start(&[]);
    let mut ctl = g.ctl();
    let data = g.data();
    let mut back = data.try_clone().unwrap();
    let fake = collect(data, 6);
    let r = ctl.cmd("send count=6 size=200 sport=1000-1002");
    assert_eq!(ok_send(&r).0, 6);
    let got: Vec<Vec<u8>> = fake.join().unwrap().into_iter().map(|(_, f)| f).collect();
    // In order, then one again (a stale page would repeat a frame), one
    // out of order, one with a byte changed, one cut short.
    for i in [0, 1, 3] {
        write_record(&mut back, &swapped(&got[i]));
    }
    write_record(&mut back, &swapped(&got[3]));
    write_record(&mut back, &swapped(&got[2]));
    let mut bad = swapped(&got[4]);
    bad[150] ^= 0x20;
    write_record(&mut back, &bad);
    write_record(&mut back, &swapped(&got[5])[..199]);
    assert_eq!(
        ctl.cmd("wait rx=7"),
        "ok rx=7 rx_bytes=1399 swapped=7 same=0 other=0 intact=5 corrupt=2 reordered=2 timeout=0"
    );
    assert_eq!(ctl.cmd("reset"), "ok");

    // ICMP echo: requests the guest answers; the answers are checked
    // against the requests.
    let fake = collect(back.try_clone().unwrap(), 4);
    let r = ctl.cmd("send count=4 proto=icmp size=98");
    assert_eq!(ok_send(&r).0, 4);
    let got: Vec<Vec<u8>> = fake.join().unwrap().into_iter().map(|(_, f)| f).collect();
    for (i, f) in got.iter().enumerate() {
        assert_eq!(f.len(), 98);
        assert_eq!((f[23], f[34], f[35]), (1, 8, 0), "ICMP echo request");
        assert_eq!(csum(&f[14..34]), 0, "IPv4 header checksum");
        assert_eq!(csum(&f[34..]), 0, "ICMP checksum");
        assert_eq!(
            &f[38..40],
            &9u16.to_be_bytes(),
            "identifier: the source port"
        );
        assert_eq!(&f[40..42], &(i as u16).to_be_bytes(), "sequence");
        assert_eq!(seq(&f[..]), i as u64);
    }
    write_record(&mut back, &echo_reply(&got[0]));
    // A bounce of the request is not an answer to it.
    write_record(&mut back, &swapped(&got[1]));
    let mut bad = echo_reply(&got[2]);
    bad[60] ^= 1;
    write_record(&mut back, &bad);
    write_record(&mut back, &echo_reply(&got[3]));
    assert_eq!(
        ctl.cmd("wait rx=4"),
        "ok rx=4 rx_bytes=392 swapped=4 same=0 other=0 intact=2 corrupt=2 reordered=0 timeout=0"
    );
}

/// A fake QEMU human monitor on `path`: a banner and a prompt, then each
/// command line echoed (with a line-editor escape, as QEMU does) and
/// answered; `set_link` of anything but `g0` is an error. Keeps the
/// commands it got.
fn fake_monitor(path: &std::path::Path) -> JoinHandle<Vec<String>> {
    let t = Instant::now();
    let s = loop {
        match UnixStream::connect(path) {
            Ok(s) => break s,
            Err(e) => assert!(t.elapsed() < Duration::from_secs(10), "{e}"),
        }
        thread::sleep(Duration::from_millis(10));
    };
    thread::spawn(move || {
        let mut w = s.try_clone().unwrap();
        w.write_all(b"QEMU 10.0.2 monitor - type 'help' for more information\r\n(qemu) ")
            .unwrap();
        let mut got = Vec::new();
        for line in BufReader::new(s).lines() {
            let Ok(line) = line else { break };
            w.write_all(format!("{line}\x1b[K\r\n").as_bytes()).unwrap();
            if line.starts_with("set_link ") && !line.starts_with("set_link g0 ") {
                w.write_all(b"Error: Device 'nic9' not found\r\n").unwrap();
            }
            w.write_all(b"(qemu) ").unwrap();
            got.push(line);
        }
        got
    })
}

#[test]
fn link_state_through_qemus_monitor() {
    let d = tmpdir();
    let path = d.join("mon");
    let mut g = Gen::start(&["--monitor", path.to_str().unwrap()]);
    let mut ctl = g.ctl();
    let mon = fake_monitor(&path);
    assert_eq!(ctl.cmd("link name=g0 state=off"), "ok");
    assert_eq!(ctl.cmd("link name=g0 state=on"), "ok");
    let r = ctl.cmd("link name=nic9 state=off");
    assert_eq!(r, "err set_link nic9: Error: Device 'nic9' not found");
    assert_eq!(ctl.cmd("flap_wait"), "err no flap was started");
    assert_eq!(
        ctl.cmd("flap name=g0 count=5 ms=1"),
        "ok flapping toggles=10"
    );
    let r = ctl.cmd("flap_wait secs=5");
    assert_eq!(r, "ok toggles=10 timeout=0");
    assert_eq!(
        ctl.cmd("flap name=g0 count=200 ms=20"),
        "ok flapping toggles=400"
    );
    assert_eq!(
        ctl.cmd("flap name=g0 count=1"),
        "err a flap is running (flap_wait)"
    );
    assert_eq!(ctl.cmd("flap_wait secs=0.1"), "ok timeout=1");
    assert_eq!(ctl.cmd("quit"), "ok");
    assert!(g.wait().success());
    drop(g);
    let got = mon.join().unwrap();
    assert_eq!(
        &got[..5],
        &[
            "set_link g0 off",
            "set_link g0 on",
            "set_link nic9 off",
            "set_link g0 off",
            "set_link g0 on"
        ]
    );
    assert!(got.len() >= 12, "{got:?}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn link_without_a_monitor_fails() {
    let g = Gen::start(&["--stall", "0.2"]);
    let mut ctl = g.ctl();
    let r = ctl.cmd("link name=g0 state=off");
    assert!(r.starts_with("err no monitor"), "{r}");
}

#[test]
fn control_line_noise_and_bad_commands() {
    let mut g = Gen::start(&[]);
    let mut ctl = g.ctl();
    // Empty lines, CR, control and non-ASCII bytes, and our own replies
    // echoed back get no reply: the next reply is the next command's.
    ctl.raw(b"\r\n\n\r");
    ctl.raw(b"\x00\x1b\xff\n");
    ctl.raw(b"ok sent=1 bytes=60 ns=1 pps=1\n");
    ctl.raw(b"err unknown command: x\r\n");
    assert_eq!(
        ctl.cmd("stats\r"),
        "ok rx=0 rx_bytes=0 swapped=0 same=0 other=0 intact=0 corrupt=0 reordered=0"
    );
    assert_eq!(ctl.cmd("\x07re\x00set"), "ok");
    assert_eq!(ctl.cmd("frobnicate a=1"), "err unknown command: frobnicate");
    let r = ctl.cmd("send count=1 colour=red");
    assert!(r.starts_with("err unknown key for send: colour"), "{r}");
    let r = ctl.cmd("send count=abc");
    assert!(r.starts_with("err bad value for count: abc"), "{r}");
    let r = ctl.cmd("send count=1 size=20");
    assert!(r.starts_with("err bad value for size: 20"), "{r}");
    assert!(ctl
        .cmd("send size=60")
        .starts_with("err send wants count=N"));
    assert!(ctl.cmd("wait").starts_with("err wait wants rx=N"));
    let long = "x".repeat(5000);
    assert!(ctl.cmd(&long).starts_with("err line too long"));
    // Two commands in one write, each answered.
    ctl.raw(b"reset\nstats\n");
    let mut two = String::new();
    ctl.r.read_line(&mut two).unwrap();
    ctl.r.read_line(&mut two).unwrap();
    assert_eq!(
        two,
        "ok\nok rx=0 rx_bytes=0 swapped=0 same=0 other=0 intact=0 corrupt=0 reordered=0\n"
    );
    // Still serving; closing the control connection ends it with 0.
    drop(ctl);
    assert!(g.wait().success());
}

#[test]
fn data_connecting_late_and_not_at_all() {
    let g = Gen::start(&["--stall", "0.5"]);
    let mut ctl = g.ctl();
    let t = Instant::now();
    let r = ctl.cmd("send count=10");
    assert!(
        r.starts_with("err data socket: QEMU has not connected"),
        "{r}"
    );
    assert!(t.elapsed() >= Duration::from_millis(500));
    let p = g.data.clone();
    let late = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        collect(UnixStream::connect(p).unwrap(), 10).join().unwrap()
    });
    let r = ctl.cmd("send count=10");
    assert_eq!(ok_send(&r).0, 10);
    assert_eq!(late.join().unwrap().len(), 10);
}

#[test]
fn back_pressure_slows_the_send_and_loses_nothing() {
    let g = Gen::start(&[]);
    let mut ctl = g.ctl();
    const N: usize = 10_000;
    let fast = collect(g.data(), N);
    let (sent, _, fast_ns, _) = ok_send(&ctl.cmd(&format!("send count={N}")));
    assert_eq!(sent, N as u64);
    assert_eq!(fast.join().unwrap().len(), N);
    // A second connection replaces the first; it reads 0.5 MB/s at most,
    // so 640 kB takes well over a second, less what the socket buffers.
    let slow = collect(BufReader::new(Slow(g.data(), 512)), N);
    thread::sleep(Duration::from_millis(100));
    let (sent, _, slow_ns, _) = ok_send(&ctl.cmd(&format!("send count={N}")));
    assert_eq!(sent, N as u64);
    eprintln!("back-pressure: fast {fast_ns} ns, slow {slow_ns} ns");
    assert!(slow_ns >= 400_000_000, "slow send took {slow_ns} ns");
    assert!(
        slow_ns > 2 * fast_ns,
        "slow {slow_ns} ns, fast {fast_ns} ns"
    );
    let got = slow.join().unwrap();
    assert_eq!(got.len(), N);
    for (i, (_, f)) in got.iter().enumerate() {
        assert_eq!(seq(f), i as u64);
    }
}

#[test]
fn time_limit_and_stall_keep_the_framing() {
    let g = Gen::start(&["--stall", "0.5"]);
    let mut ctl = g.ctl();
    let data = g.data();
    thread::sleep(Duration::from_millis(100));
    // QEMU reads nothing: the send stops at its time limit, though writes
    // block.
    let t = Instant::now();
    let (sent, _, ns, _) = ok_send(&ctl.cmd("send count=100000000 secs=0.3"));
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(3));
    assert!(sent > 0 && sent < 100_000_000 && ns < 3_000_000_000);
    // Without a time limit it fails after the stall time. QEMU takes 50 kB
    // once meanwhile: the send gets that far, likely within a record.
    let mut rd = data.try_clone().unwrap();
    let once = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        let mut b = vec![0u8; 50_000];
        rd.read_exact(&mut b).unwrap();
        b
    });
    let t = Instant::now();
    let r = ctl.cmd("send count=100000000 size=1514");
    let took = t.elapsed();
    let prefix = once.join().unwrap();
    assert!(r.starts_with("err data socket stalled: QEMU took nothing for 0.5 s (sent="));
    assert!(took >= Duration::from_millis(700) && took < Duration::from_secs(5));
    let stalled: u64 = r
        .split("sent=")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(stalled > 0, "{r}");
    // Now QEMU reads: every frame counted as sent arrives whole, then
    // those of the next send.
    eprintln!("time limit: sent {sent} in {ns} ns; stalled after {stalled}");
    let fake = collect(io::Cursor::new(prefix).chain(data), usize::MAX);
    assert_eq!(ok_send(&ctl.cmd("send count=3 size=100")).0, 3);
    assert_eq!(ctl.cmd("quit"), "ok");
    let got: Vec<Vec<u8>> = fake.join().unwrap().into_iter().map(|x| x.1).collect();
    assert_eq!(got.len() as u64, sent + stalled + 3);
    let (a, rest) = got.split_at(sent as usize);
    let (b, c) = rest.split_at(stalled as usize);
    for (i, f) in a.iter().enumerate() {
        assert_eq!((f.len(), seq(f)), (60, i as u64));
    }
    for (i, f) in b.iter().enumerate() {
        assert_eq!((f.len(), seq(f)), (1514, i as u64));
    }
    for (i, f) in c.iter().enumerate() {
        assert_eq!((f.len(), seq(f)), (100, i as u64));
    }
}

#[test]
fn rate_is_honoured() {
    let g = Gen::start(&[]);
    let mut ctl = g.ctl();
    let fake = collect(g.data(), 300);
    // 300 frames at 1000/s: the last one is due at 299 ms.
    let (sent, _, ns, pps) = ok_send(&ctl.cmd("send count=300 rate=1000"));
    assert_eq!(sent, 300);
    assert!(
        (299_000_000..450_000_000).contains(&ns),
        "300 frames at 1000/s took {ns} ns"
    );
    eprintln!("rate 1000/s: 300 frames in {ns} ns, pps {pps}");
    assert!((660..=1004).contains(&pps), "pps {pps}");
    let got = fake.join().unwrap();
    let span = got[299].0 - got[0].0;
    assert!(span >= Duration::from_millis(280), "arrivals span {span:?}");
    // Evenly: the first half of the frames take about half the time.
    let half = got[150].0 - got[0].0;
    assert!(half >= Duration::from_millis(140), "150 frames in {half:?}");

    // A time limit with a rate: about rate * secs frames.
    let fake = collect(g.data(), usize::MAX);
    thread::sleep(Duration::from_millis(100));
    let (sent, _, ns, _) = ok_send(&ctl.cmd("send secs=0.4 rate=500 batch=4"));
    assert!((180..=200).contains(&sent), "sent {sent} in 0.4 s at 500/s");
    assert!(ns < 400_000_000);
    assert_eq!(ctl.cmd("quit"), "ok");
    assert_eq!(fake.join().unwrap().len() as u64, sent);
}

#[test]
fn flows_cover_every_combination_equally() {
    let g = Gen::start(&[]);
    let mut ctl = g.ctl();
    let fake = collect(g.data(), 1200);
    let r = ctl.cmd("send count=1200 src_ip=10.0.0.1-10.0.0.4 dport=1-3");
    assert_eq!(ok_send(&r).0, 1200);
    let mut flows: BTreeMap<([u8; 4], u16), u32> = BTreeMap::new();
    for (_, f) in fake.join().unwrap() {
        let src: [u8; 4] = f[26..30].try_into().unwrap();
        let dport = u16::from_be_bytes([f[36], f[37]]);
        assert_eq!(&f[30..34], &[10, 0, 2, 2]);
        assert_eq!(u16::from_be_bytes([f[34], f[35]]), 9);
        *flows.entry((src, dport)).or_default() += 1;
    }
    assert_eq!(flows.len(), 12, "{flows:?}");
    assert!(flows.values().all(|&n| n == 100), "{flows:?}");
    for a in 1..=4 {
        for p in 1..=3 {
            assert!(flows.contains_key(&([10, 0, 0, a], p)));
        }
    }
}

#[test]
fn kinds_on_the_wire() {
    let g = Gen::start(&[]);
    let mut ctl = g.ctl();
    let fake = collect(g.data(), 4);
    assert_eq!(ok_send(&ctl.cmd("send count=1 kind=runt")).1, 10);
    assert_eq!(
        ok_send(&ctl.cmd("send count=1 kind=oversize size=65535")).1,
        65535
    );
    assert_eq!(ok_send(&ctl.cmd("send count=1 kind=vlan2 proto=tcp")).1, 70);
    assert_eq!(ok_send(&ctl.cmd("send count=1 kind=arp")).1, 60);
    let got = fake.join().unwrap();
    let lens: Vec<usize> = got.iter().map(|x| x.1.len()).collect();
    assert_eq!(lens, [10, 65535, 70, 60]);
    assert_eq!(&got[2].1[12..14], &[0x88, 0xa8]);
    assert_eq!(&got[3].1[12..14], &[0x08, 0x06]);
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn one_line_error(o: &Output, code: i32, text: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("pkrs-pktgen: ") && err.contains(text),
        "{err}"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn command_line() {
    let o = run(&["--help"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("usage: pkrs-pktgen serve --data DATA_SOCK --ctl CTL_SOCK"));
    assert!(out.contains("wait rx=N"));
    assert!(run(&["serve", "--help"]).status.success());

    one_line_error(&run(&[]), 2, "usage:");
    one_line_error(&run(&["blast"]), 2, "unknown command blast");
    one_line_error(&run(&["serve", "--data", "/tmp/x"]), 2, "--ctl is required");
    one_line_error(&run(&["serve", "--ctl", "/tmp/x"]), 2, "--data is required");
    one_line_error(&run(&["serve", "--data"]), 2, "--data wants a value");
    one_line_error(
        &run(&["serve", "--data", "a", "--ctl", "b", "--fast"]),
        2,
        "unknown option --fast",
    );
    one_line_error(
        &run(&["serve", "--data", "a", "--ctl", "a"]),
        2,
        "must differ",
    );
    one_line_error(
        &run(&["serve", "--data", "a", "--ctl", "b", "--stall", "0"]),
        2,
        "--stall",
    );

    let d = tmpdir();
    let p = |n: &str| d.join(n).to_str().unwrap().to_string();
    one_line_error(
        &run(&["serve", "--data", "/nonexistent/d", "--ctl", &p("c")]),
        1,
        "/nonexistent/d: cannot listen",
    );
    std::fs::write(d.join("file"), "keep me").unwrap();
    one_line_error(
        &run(&["serve", "--data", &p("file"), "--ctl", &p("c")]),
        1,
        "exists and is not a socket",
    );
    assert_eq!(std::fs::read_to_string(d.join("file")).unwrap(), "keep me");
    one_line_error(
        &run(&[
            "serve",
            "--data",
            &p("d"),
            "--ctl",
            &p("c"),
            "--log",
            "/nonexistent/log",
        ]),
        1,
        "/nonexistent/log",
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn stale_sockets_are_replaced() {
    let d = tmpdir();
    let (data, ctl) = (d.join("data"), d.join("ctl"));
    // Sockets nobody listens on any more.
    drop(UnixListener::bind(&data).unwrap());
    drop(UnixListener::bind(&ctl).unwrap());
    assert!(UnixStream::connect(&ctl).is_err());
    let mut child = Command::new(BIN)
        .args(["serve", "--data"])
        .arg(&data)
        .arg("--ctl")
        .arg(&ctl)
        .spawn()
        .unwrap();
    let t = Instant::now();
    let s = loop {
        if let Ok(s) = UnixStream::connect(&ctl) {
            break s;
        }
        assert!(t.elapsed() < Duration::from_secs(10));
        thread::sleep(Duration::from_millis(10));
    };
    let mut c = Ctl::new(s);
    assert_eq!(c.cmd("reset"), "ok");
    assert_eq!(c.cmd("quit"), "ok");
    assert!(child.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn quit_waits_until_qemu_has_read_everything() {
    let mut g = Gen::start(&[]);
    let mut ctl = g.ctl();
    // 64 bytes a millisecond: what the socket buffers takes a while.
    let fake = collect(BufReader::new(Slow(g.data(), 64)), usize::MAX);
    thread::sleep(Duration::from_millis(100));
    assert_eq!(ok_send(&ctl.cmd("send count=2000")).0, 2000);
    assert_eq!(ctl.cmd("quit"), "ok");
    assert!(g.wait().success());
    let exited = Instant::now();
    let got = fake.join().unwrap();
    assert_eq!(got.len(), 2000);
    let last = got.last().unwrap().0;
    assert!(
        last < exited,
        "exited {:?} before the last read",
        last - exited
    );
}

fn logged_sndbuf(extra: &[&str]) -> usize {
    let g = Gen::start(extra);
    let mut ctl = g.ctl();
    let _data = g.data();
    assert_eq!(ok_send(&ctl.cmd("send count=1")).0, 1);
    let log = std::fs::read_to_string(&g.log).unwrap();
    let l = log
        .lines()
        .find(|l| l.contains("data: connected (send buffer "))
        .unwrap_or_else(|| panic!("{log}"));
    l.rsplit("buffer ")
        .next()
        .unwrap()
        .trim_end_matches(" bytes)")
        .parse()
        .unwrap()
}

#[test]
fn send_buffer_is_small_unless_told() {
    // Linux doubles what it is asked for.
    assert_eq!(logged_sndbuf(&[]), 8192);
    assert_eq!(logged_sndbuf(&["--sndbuf", "65536"]), 131072);
    let dflt: usize = std::fs::read_to_string("/proc/sys/net/core/wmem_default")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(logged_sndbuf(&["--sndbuf", "0"]), dflt);
}
