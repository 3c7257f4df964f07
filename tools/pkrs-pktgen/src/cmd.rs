//! The control commands: one line, a command word and `key=value` words.
//!
//! [`parse`] gives the command or the text of an `err` reply (without the
//! `err ` prefix). Unknown keys, repeated keys and words without `=` are
//! errors, never ignored.

use crate::frame::{Flows, Kind, Mac, Proto, Range, Spec};
use std::net::Ipv4Addr;
use std::time::Duration;

/// The longest `secs=` accepted (a day).
pub const MAX_SECS: f64 = 86400.0;
/// The largest `batch=`.
pub const MAX_BATCH: usize = 4096;
/// `wait` without `secs=`.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug, PartialEq)]
pub struct SendArgs {
    pub count: Option<u64>,
    pub secs: Option<Duration>,
    /// Frames per second; 0: as fast as QEMU takes them.
    pub rate: u64,
    /// Frames per write; `None`: the server's default.
    pub batch: Option<usize>,
    pub spec: Spec,
    pub src_ip: Range,
    pub dst_ip: Range,
    pub sport: Range,
    pub dport: Range,
}

impl SendArgs {
    pub fn flows(&self) -> Flows {
        Flows::new(self.src_ip, self.dst_ip, self.sport, self.dport)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Send(Box<SendArgs>),
    Stats,
    Wait {
        rx: u64,
        secs: Duration,
    },
    /// `link name=NAME state=on|off`: QEMU's `set_link` for one NIC.
    Link {
        name: String,
        up: bool,
    },
    /// `flap name=NAME count=N ms=M`: `set_link NAME off`, then `on`,
    /// `count` times each, every `ms` milliseconds, in the background.
    Flap {
        name: String,
        count: u32,
        ms: u64,
    },
    /// `flap_wait [secs=S]`: until the background flapping is over.
    FlapWait {
        secs: Duration,
    },
    Reset,
    Quit,
}

/// The most `flap` toggles at a time.
pub const MAX_FLAPS: u64 = 100_000;

/// The printable ASCII of a raw line: tabs become blanks, other control
/// bytes and non-ASCII bytes (line noise) are dropped; trimmed.
pub fn clean(raw: &[u8]) -> String {
    let s: String = raw
        .iter()
        .filter_map(|&b| match b {
            b'\t' => Some(' '),
            0x20..=0x7e => Some(b as char),
            _ => None,
        })
        .collect();
    s.trim().to_string()
}

/// Whether a line is one of our own replies coming back (a guest tty that
/// still echoes): answering it would start an endless exchange.
pub fn is_reply(line: &str) -> bool {
    matches!(line.split_whitespace().next(), Some("ok" | "err"))
}

/// Parses a cleaned line; `Ok(None)` for an empty one.
pub fn parse(line: &str) -> Result<Option<Command>, String> {
    let mut words = line.split_whitespace();
    let Some(name) = words.next() else {
        return Ok(None);
    };
    let mut args: Vec<(&str, &str)> = Vec::new();
    for w in words {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| format!("bad argument: {w} (want key=value)"))?;
        if args.iter().any(|(k2, _)| *k2 == k) {
            return Err(format!("duplicate key: {k}"));
        }
        args.push((k, v));
    }
    let cmd = match name {
        "send" => Command::Send(Box::new(parse_send(&args)?)),
        "wait" => {
            known(name, &args, &["rx", "secs"])?;
            let rx = match get(&args, "rx") {
                Some(v) => num(v, 0, u64::MAX).map_err(|e| bad("rx", v, &e))?,
                None => return Err("wait wants rx=N".into()),
            };
            let secs = match get(&args, "secs") {
                Some(v) => secs(v).map_err(|e| bad("secs", v, &e))?,
                None => DEFAULT_WAIT,
            };
            Command::Wait { rx, secs }
        }
        "link" => {
            known(name, &args, &["name", "state"])?;
            let name = link_name(get(&args, "name"))?;
            let up = match get(&args, "state") {
                Some("on") => true,
                Some("off") => false,
                Some(v) => return Err(bad("state", v, "want on or off")),
                None => return Err("link wants state=on|off".into()),
            };
            Command::Link { name, up }
        }
        "flap" => {
            known(name, &args, &["name", "count", "ms"])?;
            let name = link_name(get(&args, "name"))?;
            let count = match get(&args, "count") {
                Some(v) => num(v, 1, MAX_FLAPS).map_err(|e| bad("count", v, &e))? as u32,
                None => return Err("flap wants count=N".into()),
            };
            let ms = match get(&args, "ms") {
                Some(v) => num(v, 0, 60_000).map_err(|e| bad("ms", v, &e))?,
                None => 10,
            };
            Command::Flap { name, count, ms }
        }
        "flap_wait" => {
            known(name, &args, &["secs"])?;
            let secs = match get(&args, "secs") {
                Some(v) => secs(v).map_err(|e| bad("secs", v, &e))?,
                None => DEFAULT_WAIT,
            };
            Command::FlapWait { secs }
        }
        "stats" | "reset" | "quit" => {
            known(name, &args, &[])?;
            match name {
                "stats" => Command::Stats,
                "reset" => Command::Reset,
                _ => Command::Quit,
            }
        }
        _ => return Err(format!("unknown command: {name}")),
    };
    Ok(Some(cmd))
}

const SEND_KEYS: &[&str] = &[
    "count", "size", "secs", "rate", "kind", "dst_mac", "src_mac", "src_ip", "dst_ip", "sport",
    "dport", "proto", "vid", "vid2", "batch",
];

fn parse_send(args: &[(&str, &str)]) -> Result<SendArgs, String> {
    known("send", args, SEND_KEYS)?;
    let mut spec = Spec::default();
    let mut s = SendArgs {
        count: None,
        secs: None,
        rate: 0,
        batch: None,
        spec: Spec::default(),
        src_ip: Range::one(u32::from(Ipv4Addr::new(10, 0, 2, 1))),
        dst_ip: Range::one(u32::from(Ipv4Addr::new(10, 0, 2, 2))),
        sport: Range::one(9),
        dport: Range::one(9),
    };
    let mut size = None;
    for &(k, v) in args {
        let r: Result<(), String> = (|| {
            match k {
                "count" => s.count = Some(num(v, 1, u64::MAX)?),
                "secs" => s.secs = Some(secs(v)?),
                "rate" => s.rate = num(v, 0, 1_000_000_000)?,
                "batch" => s.batch = Some(num(v, 1, MAX_BATCH as u64)? as usize),
                "size" => size = Some(num(v, 0, 65535)? as usize),
                "kind" => {
                    spec.kind = Kind::parse(v).ok_or_else(|| {
                        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                        format!("want one of {}", names.join(", "))
                    })?
                }
                "proto" => {
                    spec.proto = match v {
                        "udp" => Proto::Udp,
                        "tcp" => Proto::Tcp,
                        "icmp" => Proto::Icmp,
                        _ => return Err("want udp, tcp or icmp".into()),
                    }
                }
                "dst_mac" => spec.dst_mac = mac(v)?,
                "src_mac" => spec.src_mac = mac(v)?,
                "vid" => spec.vid = num(v, 0, 4095)? as u16,
                "vid2" => spec.vid2 = num(v, 0, 4095)? as u16,
                "src_ip" => s.src_ip = range(v, ip)?,
                "dst_ip" => s.dst_ip = range(v, ip)?,
                "sport" => s.sport = range(v, |p| num(p, 0, 65535).map(|n| n as u32))?,
                "dport" => s.dport = range(v, |p| num(p, 0, 65535).map(|n| n as u32))?,
                _ => unreachable!("checked by known()"),
            }
            Ok(())
        })();
        r.map_err(|e| bad(k, v, &e))?;
    }
    if s.count.is_none() && s.secs.is_none() {
        return Err("send wants count=N or secs=S (or both)".into());
    }
    spec.size = match size {
        Some(n) => n,
        None => spec.default_size(),
    };
    spec.check().map_err(|e| match size {
        Some(n) => bad("size", &n.to_string(), &e),
        None => format!("the default size {}: {e}", spec.size),
    })?;
    s.spec = spec;
    Ok(s)
}

/// A QEMU netdev or device id, as `set_link` takes it.
fn link_name(v: Option<&str>) -> Result<String, String> {
    match v {
        None => Err("link and flap want name=NETDEV".into()),
        Some(n)
            if !n.is_empty()
                && n.len() <= 64
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
        {
            Ok(n.to_string())
        }
        Some(n) => Err(bad("name", n, "want a QEMU id: letters, digits, - _ .")),
    }
}

fn bad(key: &str, value: &str, why: &str) -> String {
    format!("bad value for {key}: {value} ({why})")
}

fn known(cmd: &str, args: &[(&str, &str)], keys: &[&str]) -> Result<(), String> {
    match args.iter().find(|(k, _)| !keys.contains(k)) {
        None => Ok(()),
        Some((k, _)) if keys.is_empty() => Err(format!("{cmd} takes no arguments (got {k})")),
        Some((k, _)) => Err(format!(
            "unknown key for {cmd}: {k} (known: {})",
            keys.join(" ")
        )),
    }
}

fn get<'a>(args: &[(&str, &'a str)], key: &str) -> Option<&'a str> {
    args.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// A decimal integer in `lo..=hi`.
fn num(v: &str, lo: u64, hi: u64) -> Result<u64, String> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a decimal number".into());
    }
    match v.parse::<u64>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(format!("want {lo}..{hi}")),
    }
}

/// Seconds: `2`, `0.5`; more than 0, at most [`MAX_SECS`].
fn secs(v: &str) -> Result<Duration, String> {
    let shape = v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && v.bytes().filter(|&b| b == b'.').count() <= 1
        && v.bytes().any(|b| b.is_ascii_digit());
    let x: f64 = match v.parse() {
        Ok(x) if shape => x,
        _ => return Err("not a number of seconds".into()),
    };
    if x <= 0.0 || x > MAX_SECS {
        return Err(format!("want more than 0, at most {MAX_SECS}"));
    }
    Ok(Duration::from_secs_f64(x))
}

fn mac(v: &str) -> Result<Mac, String> {
    let parts: Vec<&str> = v.split(':').collect();
    let ok = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
    if !ok {
        return Err("want six hex bytes, aa:bb:cc:dd:ee:ff".into());
    }
    let mut m = [0u8; 6];
    for (b, p) in m.iter_mut().zip(parts) {
        *b = u8::from_str_radix(p, 16).expect("checked hex");
    }
    Ok(m)
}

fn ip(v: &str) -> Result<u32, String> {
    v.parse::<Ipv4Addr>()
        .map(u32::from)
        .map_err(|_| "not an IPv4 address".into())
}

/// `A` or `A-B` with A <= B.
fn range(v: &str, one: impl Fn(&str) -> Result<u32, String>) -> Result<Range, String> {
    let (a, b) = v.split_once('-').unwrap_or((v, v));
    let (lo, hi) = (one(a)?, one(b)?);
    if lo > hi {
        return Err("range ends below its start".into());
    }
    Ok(Range { lo, hi })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(line: &str) -> SendArgs {
        match parse(line) {
            Ok(Some(Command::Send(s))) => *s,
            r => panic!("{line}: {r:?}"),
        }
    }

    fn err(line: &str) -> String {
        match parse(line) {
            Err(e) => e,
            r => panic!("{line}: not refused: {r:?}"),
        }
    }

    #[test]
    fn send_defaults() {
        let s = send("send count=1000");
        assert_eq!(s.count, Some(1000));
        assert_eq!(s.secs, None);
        assert_eq!(s.rate, 0);
        assert_eq!(s.batch, None);
        assert_eq!(s.spec, Spec::default());
        assert_eq!(s.spec.size, 60);
        assert_eq!(s.spec.dst_mac, [0x52, 0x54, 0, 0, 0, 0x20]);
        assert_eq!(s.spec.src_mac, [0x52, 0x54, 0, 0, 0, 0xf0]);
        assert_eq!(s.src_ip, Range::one(0x0a00_0201));
        assert_eq!(s.dst_ip, Range::one(0x0a00_0202));
        assert_eq!((s.sport, s.dport), (Range::one(9), Range::one(9)));
        assert_eq!(s.flows().distinct(), 1);
    }

    #[test]
    fn send_every_key() {
        let s = send(
            "send count=5 size=128 secs=1.5 rate=2000 kind=vlan2 dst_mac=02:00:00:00:00:0A \
             src_mac=02:00:00:00:00:0b src_ip=10.0.0.1-10.0.0.4 dst_ip=192.168.1.1 \
             sport=1000-1001 dport=1-3 proto=tcp vid=100 vid2=4095 batch=8",
        );
        assert_eq!(s.count, Some(5));
        assert_eq!(s.secs, Some(Duration::from_millis(1500)));
        assert_eq!(s.rate, 2000);
        assert_eq!(s.batch, Some(8));
        assert_eq!(s.spec.kind, Kind::Vlan2);
        assert_eq!(s.spec.proto, Proto::Tcp);
        assert_eq!(s.spec.size, 128);
        assert_eq!(s.spec.dst_mac, [2, 0, 0, 0, 0, 0x0a]);
        assert_eq!(s.spec.src_mac, [2, 0, 0, 0, 0, 0x0b]);
        assert_eq!((s.spec.vid, s.spec.vid2), (100, 4095));
        assert_eq!(
            s.src_ip,
            Range {
                lo: 0x0a00_0001,
                hi: 0x0a00_0004
            }
        );
        assert_eq!(s.dst_ip, Range::one(0xc0a8_0101));
        assert_eq!(s.sport, Range { lo: 1000, hi: 1001 });
        assert_eq!(s.dport, Range { lo: 1, hi: 3 });
        assert_eq!(s.flows().distinct(), 24);
        // secs alone is enough; whitespace of any kind between words.
        let s = send("  send\tsecs=2   rate=0 ");
        assert_eq!((s.count, s.secs), (None, Some(Duration::from_secs(2))));
    }

    #[test]
    fn send_sizes_follow_the_kind() {
        assert_eq!(send("send count=1 proto=tcp").spec.size, 62);
        assert_eq!(send("send count=1 kind=runt").spec.size, 10);
        assert_eq!(send("send count=1 kind=runt size=1").spec.size, 1);
        assert_eq!(
            send("send count=1 kind=oversize size=65535").spec.size,
            65535
        );
        assert_eq!(send("send count=1 kind=vlan1 size=1518").spec.size, 1518);
        let e = err("send count=1 size=40");
        assert_eq!(
            e,
            "bad value for size: 40 (too small for kind udp proto udp: at least 50)"
        );
        let e = err("send count=1 kind=runt size=14");
        assert!(e.starts_with("bad value for size: 14 ("), "{e}");
        let e = err("send count=1 size=1515");
        assert!(e.contains("kind=oversize"), "{e}");
        assert!(err("send count=1 kind=oversize size=65536").starts_with("bad value for size"));
        assert!(err("send count=1 proto=tcp size=61").starts_with("bad value for size: 61"));
    }

    #[test]
    fn bad_values() {
        for (line, key) in [
            ("send count=0", "count"),
            ("send count=-1", "count"),
            ("send count=1x", "count"),
            ("send count=", "count"),
            ("send count=99999999999999999999", "count"),
            ("send count=1 secs=0", "secs"),
            ("send count=1 secs=-1", "secs"),
            ("send count=1 secs=inf", "secs"),
            ("send count=1 secs=nan", "secs"),
            ("send count=1 secs=1e3", "secs"),
            ("send count=1 secs=1.2.3", "secs"),
            ("send count=1 secs=.", "secs"),
            ("send count=1 secs=86401", "secs"),
            ("send count=1 rate=fast", "rate"),
            ("send count=1 batch=0", "batch"),
            ("send count=1 batch=4097", "batch"),
            ("send count=1 kind=jumbo", "kind"),
            ("send count=1 proto=sctp", "proto"),
            ("send count=1 dst_mac=52:54:00:00:00", "dst_mac"),
            ("send count=1 src_mac=52:54:00:00:00:0g", "src_mac"),
            ("send count=1 src_mac=52:54:00:00:00:100", "src_mac"),
            ("send count=1 src_ip=10.0.0", "src_ip"),
            ("send count=1 src_ip=10.0.0.300", "src_ip"),
            ("send count=1 dst_ip=10.0.0.5-10.0.0.4", "dst_ip"),
            ("send count=1 dst_ip=10.0.0.1-", "dst_ip"),
            ("send count=1 sport=65536", "sport"),
            ("send count=1 dport=3-1", "dport"),
            ("send count=1 dport=1-2-3", "dport"),
            ("send count=1 vid=4096", "vid"),
            ("send count=1 vid2=x", "vid2"),
            ("send count=1 size=big", "size"),
            ("wait rx=x", "rx"),
            ("wait rx=1 secs=0", "secs"),
        ] {
            let e = err(line);
            assert!(
                e.starts_with(&format!("bad value for {key}: ")),
                "{line}: {e}"
            );
        }
    }

    #[test]
    fn other_commands() {
        assert_eq!(parse("stats"), Ok(Some(Command::Stats)));
        assert_eq!(parse("reset"), Ok(Some(Command::Reset)));
        assert_eq!(parse(" quit "), Ok(Some(Command::Quit)));
        assert_eq!(
            parse("wait rx=668"),
            Ok(Some(Command::Wait {
                rx: 668,
                secs: Duration::from_secs(10)
            }))
        );
        assert_eq!(
            parse("wait secs=0.25 rx=0"),
            Ok(Some(Command::Wait {
                rx: 0,
                secs: Duration::from_millis(250)
            }))
        );
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("   "), Ok(None));
        assert_eq!(
            parse("link name=g0 state=off"),
            Ok(Some(Command::Link {
                name: "g0".into(),
                up: false
            }))
        );
        assert_eq!(
            parse("flap name=net-1.x count=40 ms=3"),
            Ok(Some(Command::Flap {
                name: "net-1.x".into(),
                count: 40,
                ms: 3
            }))
        );
        assert_eq!(
            parse("flap_wait"),
            Ok(Some(Command::FlapWait {
                secs: Duration::from_secs(10)
            }))
        );
        assert_eq!(err("link name=g0"), "link wants state=on|off");
        assert!(err("link name=g0 state=up").starts_with("bad value for state: up"));
        assert!(err("link name=g0;quit state=on").starts_with("bad value for name"));
        assert_eq!(err("flap count=3"), "link and flap want name=NETDEV");
        assert!(err("flap name=g0 count=0").starts_with("bad value for count: 0"));
        assert_eq!(err("flap name=g0"), "flap wants count=N");
    }

    #[test]
    fn refused_lines() {
        assert_eq!(err("frobnicate x=1"), "unknown command: frobnicate");
        assert_eq!(err("SEND count=1"), "unknown command: SEND");
        assert!(err("send count=1 colour=red").starts_with("unknown key for send: colour"));
        assert!(err("send count=1 Count=2").starts_with("unknown key for send: Count"));
        assert_eq!(err("send count=1 count=2"), "duplicate key: count");
        assert_eq!(
            err("send count=1 fast"),
            "bad argument: fast (want key=value)"
        );
        assert!(err("send size=60").starts_with("send wants count=N or secs=S"));
        assert!(err("send").starts_with("send wants count=N or secs=S"));
        assert_eq!(err("wait"), "wait wants rx=N");
        assert!(err("wait rx=1 count=2").starts_with("unknown key for wait: count"));
        assert_eq!(err("stats rx=1"), "stats takes no arguments (got rx)");
        assert_eq!(err("reset all=1"), "reset takes no arguments (got all)");
        assert_eq!(err("quit now=1"), "quit takes no arguments (got now)");
    }

    #[test]
    fn cleaning() {
        assert_eq!(clean(b"send count=1\r"), "send count=1");
        assert_eq!(clean(b"\x00\xffstats\x1b"), "stats");
        assert_eq!(clean(b"wait\trx=1"), "wait rx=1");
        assert_eq!(clean(b"\r\r"), "");
        assert!(is_reply("ok sent=1"));
        assert!(is_reply("err unknown command: x"));
        assert!(is_reply("ok"));
        assert!(!is_reply("okay"));
        assert!(!is_reply("stats"));
    }
}
