//! pkrs-sock: socket probes for the test box, run inside the guest.
//!
//! ```text
//! pkrs-sock zc-udp --to IP:PORT [--count N] [--size BYTES] [--gap-ms MS]
//!                  [--within-ms MS] [--burst]
//! pkrs-sock --help
//! ```
//!
//! `zc-udp` measures when the kernel releases what a UDP socket sent: it
//! sends `--count` datagrams (default 10) of `--size` bytes of payload
//! (default 64) to `--to` with `MSG_ZEROCOPY` on a socket with
//! `SO_ZEROCOPY`, unconnected (an ICMP error from the peer is ignored).
//! The kernel queues a completion notification on the socket's error
//! queue when the last skb holding a datagram's data is freed, that is
//! when the NIC's driver has reaped its TX completion (on a device without
//! scatter-gather the data is copied, and the notification, flagged
//! "copied", still waits for that free). So the notification tells, from
//! outside the driver, how long a sent skb stays in its TX ring.
//!
//! One at a time (the default): each datagram is sent once the one before
//! has been released or `--within-ms` (default 200) has passed, followed
//! by `--gap-ms` (default 300) of quiet, during which late notifications
//! are still taken. A driver that reaps TX only when the next frame
//! arrives or leaves releases each datagram when the next is sent: a
//! whole gap late. `--burst`: all datagrams at once, then up to
//! `--within-ms` for every notification (a test can take the link down
//! meanwhile: the tool prints `sent N datagrams; ...` once all are sent).
//!
//! Output: one line per datagram (`datagram I: released after X.Y ms` or
//! `... not released within W ms`, with the time it came if it did), then
//! `released N of M within W ms; slowest X.Y ms`.
//!
//! Exit status: 0 when every datagram was released within `--within-ms`,
//! 1 when one was not (or a socket call failed), 2 on a usage error.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::SocketAddrV4;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// `SO_EE_ORIGIN_ZEROCOPY` of `<linux/errqueue.h>` (not in the libc crate).
const SO_EE_ORIGIN_ZEROCOPY: u8 = 5;

const USAGE: &str = "usage: pkrs-sock zc-udp --to IP:PORT [--count N] [--size BYTES] \
                     [--gap-ms MS] [--within-ms MS] [--burst]";

#[derive(Debug, PartialEq)]
struct Opts {
    to: SocketAddrV4,
    count: usize,
    size: usize,
    gap: Duration,
    within: Duration,
    burst: bool,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("zc-udp") => {}
        Some(c) => return Err(format!("unknown command {c}")),
        None => return Err("a command is required".into()),
    }
    let mut o = Opts {
        to: SocketAddrV4::new([0, 0, 0, 0].into(), 0),
        count: 10,
        size: 64,
        gap: Duration::from_millis(300),
        within: Duration::from_millis(200),
        burst: false,
    };
    let mut to = None;
    while let Some(a) = it.next() {
        if a == "--burst" {
            o.burst = true;
            continue;
        }
        let v = it.next().ok_or_else(|| format!("{a} wants a value"))?;
        let num = |max: u64| -> Result<u64, String> {
            match v.parse::<u64>() {
                Ok(n) if n <= max => Ok(n),
                _ => Err(format!("{a}: not a number up to {max}: {v}")),
            }
        };
        match a.as_str() {
            "--to" => to = Some(v.parse().map_err(|_| format!("--to: not IP:PORT: {v}"))?),
            "--count" => o.count = num(100_000)? as usize,
            "--size" => o.size = num(65_000)? as usize,
            "--gap-ms" => o.gap = Duration::from_millis(num(3_600_000)?),
            "--within-ms" => o.within = Duration::from_millis(num(3_600_000)?),
            _ => return Err(format!("unknown option {a}")),
        }
    }
    o.to = to.ok_or("--to is required")?;
    if o.count == 0 {
        return Err("--count: at least 1".into());
    }
    Ok(o)
}

/// A UDP socket with `SO_ZEROCOPY`.
fn zc_socket() -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2); the descriptor is owned from here on.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new descriptor nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    // SAFETY: an int option of the size given.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ZEROCOPY,
            (&one as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

fn send_zc(fd: &OwnedFd, to: &SocketAddrV4, buf: &[u8]) -> io::Result<()> {
    // SAFETY: an all-zero sockaddr_in is valid; filled in below.
    let mut sa: libc::sockaddr_in = unsafe { zeroed() };
    sa.sin_family = libc::AF_INET as libc::sa_family_t;
    sa.sin_port = to.port().to_be();
    sa.sin_addr.s_addr = u32::from(*to.ip()).to_be();
    // SAFETY: `buf` and `sa` are valid for the lengths given.
    let r = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_ZEROCOPY,
            (&sa as *const libc::sockaddr_in).cast(),
            size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The completion notifications on the error queue now: ranges of send
/// numbers `lo..=hi` (counted from 0 per socket) and whether the data
/// was copied.
fn take_completions(fd: &OwnedFd) -> io::Result<Vec<(u32, u32, bool)>> {
    let mut out = Vec::new();
    loop {
        let mut ctl = [0u64; 32];
        // SAFETY: an all-zero msghdr is valid; only the control buffer is
        // set (the error queue of a zerocopy notification has no data).
        let mut msg: libc::msghdr = unsafe { zeroed() };
        msg.msg_control = ctl.as_mut_ptr().cast();
        msg.msg_controllen = size_of::<[u64; 32]>();
        // SAFETY: `msg` points to a live control buffer of that length.
        let r = unsafe {
            libc::recvmsg(
                fd.as_raw_fd(),
                &mut msg,
                libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT,
            )
        };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::WouldBlock {
                return Ok(out);
            }
            return Err(e);
        }
        // SAFETY: the CMSG macros walk the control buffer recvmsg filled.
        let mut c = unsafe { libc::CMSG_FIRSTHDR(&msg) };
        while !c.is_null() {
            // SAFETY: `c` is a header inside the buffer (CMSG_FIRSTHDR/NXTHDR).
            let h = unsafe { &*c };
            if h.cmsg_level == libc::SOL_IP && h.cmsg_type == libc::IP_RECVERR {
                // SAFETY: an IP_RECVERR message carries a sock_extended_err.
                let e: libc::sock_extended_err =
                    unsafe { std::ptr::read_unaligned(libc::CMSG_DATA(c).cast()) };
                if e.ee_origin == SO_EE_ORIGIN_ZEROCOPY {
                    let copied = e.ee_code & 1 != 0; // SO_EE_CODE_ZEROCOPY_COPIED
                    out.push((e.ee_info, e.ee_data, copied));
                }
            }
            // SAFETY: as above.
            c = unsafe { libc::CMSG_NXTHDR(&msg, c) };
        }
    }
}

/// Waits until the error queue has something or `until` passes.
fn wait_err(fd: &OwnedFd, until: Instant) -> io::Result<()> {
    let now = Instant::now();
    if now >= until {
        return Ok(());
    }
    let ms = (until - now).as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: 0, // POLLERR is always reported.
        revents: 0,
    };
    // SAFETY: one pollfd.
    if unsafe { libc::poll(&mut p, 1, ms) } < 0 {
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    Ok(())
}

/// When each datagram was released (relative to its send), as
/// notifications come in.
struct Released {
    sent_at: Vec<Option<Instant>>,
    after: Vec<Option<Duration>>,
    copied: bool,
}

impl Released {
    fn take(&mut self, fd: &OwnedFd) -> io::Result<()> {
        let now = Instant::now();
        for (lo, hi, copied) in take_completions(fd)? {
            self.copied |= copied;
            for i in lo..=hi {
                let i = i as usize;
                if let (Some(Some(t)), Some(a)) = (self.sent_at.get(i), self.after.get_mut(i)) {
                    a.get_or_insert(now - *t);
                }
            }
        }
        Ok(())
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn zc_udp(o: &Opts) -> Result<bool, String> {
    let fd = zc_socket().map_err(|e| format!("socket with SO_ZEROCOPY: {e}"))?;
    let buf: Vec<u8> = (0..o.size).map(|i| b"pkrs-sock."[i % 10]).collect();
    let mut r = Released {
        sent_at: vec![None; o.count],
        after: vec![None; o.count],
        copied: false,
    };
    let io = |e: io::Error| format!("error queue: {e}");
    for i in 0..o.count {
        send_zc(&fd, &o.to, &buf).map_err(|e| format!("datagram {i}: sendto: {e}"))?;
        r.sent_at[i] = Some(Instant::now());
        if o.burst {
            continue;
        }
        let t = r.sent_at[i].expect("just sent");
        while r.after[i].is_none() && t.elapsed() < o.within {
            wait_err(&fd, t + o.within).map_err(io)?;
            r.take(&fd).map_err(io)?;
        }
        let quiet = Instant::now() + o.gap;
        while Instant::now() < quiet {
            wait_err(&fd, quiet).map_err(io)?;
            r.take(&fd).map_err(io)?;
        }
    }
    if o.burst {
        println!("sent {} datagrams; waiting for their release", o.count);
        io::Write::flush(&mut io::stdout()).map_err(|e| format!("stdout: {e}"))?;
        let t = Instant::now();
        while r.after.iter().any(Option::is_none) && t.elapsed() < o.within {
            wait_err(&fd, t + o.within).map_err(io)?;
            r.take(&fd).map_err(io)?;
        }
    }
    r.take(&fd).map_err(io)?;
    let mut ok = 0;
    let mut slowest = Duration::ZERO;
    // In burst mode the time counts from the last send.
    let base = |i: usize| -> Duration {
        if o.burst {
            let last = r.sent_at[o.count - 1].expect("sent");
            let first = r.sent_at[i].expect("sent");
            last - first
        } else {
            Duration::ZERO
        }
    };
    for (i, a) in r.after.iter().enumerate() {
        match a {
            Some(d) if d.saturating_sub(base(i)) <= o.within => {
                ok += 1;
                slowest = slowest.max(*d);
                println!("datagram {i}: released after {}", ms(*d));
            }
            Some(d) => println!(
                "datagram {i}: not released within {} (released after {})",
                ms(o.within),
                ms(*d)
            ),
            None => println!("datagram {i}: not released within {}", ms(o.within)),
        }
    }
    println!(
        "released {ok} of {} within {}; slowest {}{}",
        o.count,
        ms(o.within),
        ms(slowest),
        if r.copied {
            " (data copied: no scatter-gather)"
        } else {
            ""
        }
    );
    Ok(ok == o.count)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let o = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("pkrs-sock: {e}; {USAGE}");
            return ExitCode::from(2);
        }
    };
    match zc_udp(&o) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("pkrs-sock: error: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn options() {
        let o = parse(&args("zc-udp --to 10.0.0.1:7 --count 3 --gap-ms 5 --burst")).unwrap();
        assert_eq!(o.to, "10.0.0.1:7".parse().unwrap());
        assert_eq!((o.count, o.size, o.burst), (3, 64, true));
        assert_eq!(o.gap, Duration::from_millis(5));
        assert_eq!(o.within, Duration::from_millis(200));
        for (bad, why) in [
            ("zc-udp", "--to is required"),
            ("zc-udp --to 10.0.0.1", "not IP:PORT"),
            ("zc-udp --to 1.2.3.4:5 --count 0", "at least 1"),
            ("zc-udp --to 1.2.3.4:5 --count x", "not a number"),
            ("zc-udp --to 1.2.3.4:5 --colour red", "unknown option"),
            ("zc-udp --to", "wants a value"),
            ("frob", "unknown command"),
        ] {
            let e = parse(&args(bad)).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    /// Loopback frees a datagram's skb as soon as it is delivered (or
    /// dropped, with nobody listening): every send is released at once.
    #[test]
    fn loopback_releases_at_once() {
        let o = parse(&args(
            "zc-udp --to 127.0.0.1:9 --count 5 --gap-ms 1 --within-ms 1000",
        ))
        .unwrap();
        assert_eq!(zc_udp(&o), Ok(true));
    }
}
