//! pkrs-pktgen: a packet generator outside the guest. It feeds a test
//! box's NIC through QEMU's stream netdev, so sending costs the guest
//! nothing, and counts the frames the guest sends back on that NIC. The
//! guest steers it with one-line commands over a second serial port.
//!
//! ```text
//! pkrs-pktgen serve --data DATA_SOCK --ctl CTL_SOCK [--log FILE] [--stall SECS]
//!                   [--sndbuf BYTES] [--monitor MON_SOCK]
//! pkrs-pktgen --help
//! ```
//!
//! # Connections
//!
//! `serve` listens on two unix stream sockets (a stale socket file is
//! replaced) and must do so before QEMU starts, which connects to both as
//! a client, in either order:
//!
//! ```text
//! -netdev stream,id=gen,server=off,addr.type=unix,addr.path=DATA_SOCK
//! -device virtio-net-pci,netdev=gen,...
//! -chardev socket,id=genctl,path=CTL_SOCK,server=off
//! -serial stdio -serial chardev:genctl        (the guest's /dev/ttyS1)
//! ```
//!
//! Data: each Ethernet frame (no FCS) is a record `[u32 big-endian
//! length][frame]`, both ways. QEMU stops reading while the guest's RX ring
//! is full, and the generator's writes then block: nothing is dropped on
//! the host side, the time shows in the send's `ns`. A reader thread counts
//! every record QEMU sends back (what the guest transmits on that NIC).
//! A send fails when QEMU takes nothing for `--stall` seconds (default 10:
//! a guest whose NIC is down); the rest of a record begun then is sent
//! first by the next send, so the stream keeps its framing.
//!
//! QEMU's stream netdev (7.2; current sources read alike) reads up to 69632
//! bytes at a time and queues, without limit, the frames of that read
//! that the NIC cannot take yet; it reads again as soon as one queued
//! frame has gone to the guest. With a socket buffer of the usual size
//! (200 kB) that queue grows by hundreds of frames per guest refill: QEMU
//! swallows frames several times faster than the guest receives them and
//! goes on delivering them long after the send. The data connection
//! therefore gets a small send buffer (`--sndbuf`, default 4096, which
//! Linux doubles): then what QEMU reads at once stays below what the guest
//! takes per refill, the back-pressure is real, a send's `pps` is the
//! guest's, and once a send has replied its frames have reached the guest.
//! Bigger frames may keep the guest busier with a bigger buffer (at the
//! risk of the queue); `--sndbuf 0` leaves the kernel's default.
//!
//! QEMU 7.2 crashes (SIGSEGV) when a frame it had queued reaches the guest
//! after the data connection closed. So `quit` waits (2 s at most) until
//! QEMU has read everything written, and 200 ms more, before it exits.
//!
//! Control: the guest writes one command line and reads one reply line
//! (`\n`-terminated) starting with `ok ` or `err ` (`ok` alone for `reset`
//! and `quit`). `\r` ends a line too; empty lines, control bytes and
//! non-ASCII bytes are ignored, and so are lines starting with `ok` or `err`
//! (our replies coming back through a guest tty that still echoes). A bad
//! command gets an `err` and the server carries on. `serve` exits 0 when
//! the control connection closes, or after `quit`.
//!
//! # Commands
//!
//! Words are `key=value`; an unknown key, a repeated key or a word without
//! `=` is an error (`err unknown key for send: ...`), a bad value gives
//! `err bad value for KEY: VALUE (why)`, an unknown command `err unknown
//! command: ...`.
//!
//! `send count=N [secs=S] [size=BYTES] [rate=PPS] [kind=KIND] [proto=udp|tcp|icmp]
//! [dst_mac=MAC] [src_mac=MAC] [src_ip=A[-B]] [dst_ip=A[-B]] [sport=A[-B]]
//! [dport=A[-B]] [vid=N] [vid2=N] [batch=N]` writes frames until `count`
//! frames or `secs` seconds (decimal, e.g. `0.5`), whichever comes first;
//! at least one must be given. Ranges make flows: every combination in
//! turn, the source IP moving fastest, then destination IP, source port,
//! destination port. `rate`: frames per second, paced against the start
//! (0 or absent: as fast as QEMU takes them). `batch`: frames per write
//! (1..4096; default 32, or 1 with a `rate`). Defaults: kind udp, proto
//! udp, dst_mac 52:54:00:00:00:20, src_mac 52:54:00:00:00:f0, src_ip
//! 10.0.2.1, dst_ip 10.0.2.2, sport 9, dport 9, vid 10, vid2 20, size 60 or
//! the kind's smallest if that is more (62 for TCP, 10 for a runt). Reply:
//! `ok sent=N bytes=B ns=ELAPSED pps=P`: frames written, their bytes
//! (without the length words), nanoseconds from the start to the last
//! write, and sent per second over that time.
//!
//! Frame kinds; `size` is the whole frame without FCS, a size the kind
//! cannot fit is refused (`err bad value for size: ...`). The payload after
//! the UDP/TCP header (after the ethertype for `nonip`) is a 64-bit
//! big-endian sequence number, 0 for the first frame of a send, then the
//! bytes `pkrs-pktgen.` repeated. IPv4 headers carry TTL 64 and the low 16
//! bits of the sequence number as id; checksums are right unless stated.
//!
//! ```text
//! udp        IPv4/UDP (proto=tcp: a TCP segment, flags ACK, seq = low 32
//!            bits of the sequence number, ack 1); 50..1514 bytes (TCP 62..)
//! runt       the first 1..13 bytes of an Ethernet header (default 10)
//! oversize   like udp, up to 65535 bytes: the guest's MTU decides
//! badihl     IHL 4 (the checksum over the 20 bytes is right)
//! badtotlen  IPv4 total length 100 more than the frame holds (max 65535)
//! ipopts     IHL 6: four NOP option bytes
//! frag       MF set, fragment offset 0
//! nonip      ethertype 0x88b5, then the payload; 22..1514 bytes
//! arp        an ARP request from src_mac/src_ip for dst_ip, to dst_mac,
//!            padded with zeros; 42..1514 bytes
//! vlan1      802.1Q tag (vid) before IPv4; up to 1518 bytes (QEMU's
//!            virtio-net drops it unless the guest registered the VID or
//!            the NIC is promiscuous)
//! vlan2      802.1ad tag (vid) then 802.1Q tag (vid2); up to 1522 bytes
//! ```
//! Every IPv4 kind takes `proto=tcp`, and `proto=icmp`: an ICMP echo
//! request (identifier: the source port; sequence: the low 16 bits of the
//! sequence number; the data as the payload above), which the guest's
//! stack answers.
//!
//! `stats`: `ok rx=N rx_bytes=B swapped=K same=S other=O intact=I
//! corrupt=C reordered=R`, the records read from the data socket since
//! the last `reset` (`rx_bytes` without length words): `swapped` have as
//! destination MAC the source MAC of the last send and as source MAC its
//! destination (an XDP_TX with the MACs swapped, or the stack's answer),
//! `same` have both as sent (a bounce without swap), `other` anything else
//! (the guest's ARP, IPv6, ...). Frames are classified by the MACs of the
//! send that was last started. Each swapped frame is then checked against
//! the frame of that send whose sequence number it carries: `intact` if it
//! is that frame byte for byte with only the MACs swapped (for
//! `proto=icmp`: the echo reply to it, with the request's identifier,
//! sequence and data, addresses swapped and checksums right), else
//! `corrupt`; `reordered` counts the intact ones whose sequence number is
//! not above all those seen back before it in that send (out of order, or
//! twice).
//!
//! `wait rx=N [secs=S]` (default 10 s): replies once the rx counter reaches
//! N or when the time is up, with the `stats` fields and `timeout=0|1`.
//!
//! `reset`: zero the counters; `ok`. `quit`: `ok`, then (once QEMU has
//! read what was written) exit 0.
//!
//! With `--monitor MON_SOCK`, QEMU's human monitor connects there too
//! (`-chardev socket,id=mon,path=MON_SOCK,server=off -mon chardev=mon`),
//! and the guest can change the link state of its NICs as a cable would:
//! `link name=ID state=on|off` runs `set_link ID on|off` (`ok`, or `err`
//! with QEMU's answer); `flap name=ID count=N [ms=M]` starts, in the
//! background, N times `set_link ID off` then `on`, each followed by M ms
//! (default 10), and replies at once `ok flapping toggles=2N`;
//! `flap_wait [secs=S]` (default 10) replies when that is over: `ok
//! toggles=K timeout=0` (`timeout=1` if it is not over yet, `err` if a
//! monitor command failed). Without a monitor connection (none given, or
//! QEMU not connected within `--stall`) these commands fail.
//!
//! `--log FILE`: one line per command and reply (`< ...`, `> ...`) and per
//! connection event, each with a UTC timestamp.
//!
//! Exit status: 0 after the control connection closes or `quit`, 1 on a
//! runtime error (a socket that cannot be bound, ...), 2 on a usage error.

use pkrs_pktgen::serve::{self, Options};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: pkrs-pktgen serve --data DATA_SOCK --ctl CTL_SOCK [--log FILE] \
                     [--stall SECS] [--sndbuf BYTES] [--monitor MON_SOCK]";

const HELP: &str = "\
pkrs-pktgen: a packet generator for a QEMU test box's NIC, outside the guest.

usage: pkrs-pktgen serve --data DATA_SOCK --ctl CTL_SOCK [--log FILE]
                         [--stall SECS] [--sndbuf BYTES] [--monitor MON_SOCK]
       pkrs-pktgen --help

serve listens on two unix sockets, then QEMU connects to both:
  -netdev stream,id=gen,server=off,addr.type=unix,addr.path=DATA_SOCK
  -device virtio-net-pci,netdev=gen,...
  -chardev socket,id=genctl,path=CTL_SOCK,server=off -serial stdio -serial chardev:genctl
Frames travel on DATA_SOCK as [u32 big-endian length][frame]; the guest
writes one command line to /dev/ttyS1 (stty raw -echo) and reads one reply:

  send count=N|secs=S [size=B] [rate=PPS] [kind=K] [proto=udp|tcp|icmp]
       [dst_mac=M] [src_mac=M] [src_ip=A[-B]] [dst_ip=A[-B]]
       [sport=A[-B]] [dport=A[-B]] [vid=N] [vid2=N] [batch=N]
                  -> ok sent=N bytes=B ns=ELAPSED pps=P
  stats           -> ok rx=N rx_bytes=B swapped=K same=S other=O
                     intact=I corrupt=C reordered=R
  wait rx=N [secs=S]  -> the stats fields and timeout=0|1
  link name=ID state=on|off        -> ok          (with --monitor)
  flap name=ID count=N [ms=M]      -> ok flapping toggles=2N
  flap_wait [secs=S]               -> ok toggles=K timeout=0|1
  reset, quit     -> ok

kinds: udp runt oversize badihl badtotlen ipopts frag nonip arp vlan1 vlan2

options:
  --data PATH    the socket QEMU's stream netdev connects to
  --ctl PATH     the socket QEMU's serial chardev connects to
  --log FILE     log each command, reply and connection event
  --stall SECS   a send fails when QEMU takes nothing for this long (10)
  --sndbuf BYTES the data socket's send buffer (4096; 0: the kernel's):
                 small, so that QEMU cannot queue more than the guest takes
  --monitor PATH the socket QEMU's human monitor connects to
                 (-chardev socket,id=mon,path=PATH,server=off -mon chardev=mon):
                 link and flap change a NIC's link state through it

serve exits 0 when the control connection closes or on quit.
";

enum Fail {
    Usage(String),
    Run(String),
}

fn parse_serve(args: &[String]) -> Result<Options, Fail> {
    let usage = |m: String| Fail::Usage(format!("{m}; {USAGE}"));
    let (mut data, mut ctl, mut log, mut monitor) = (None, None, None, None);
    let (mut stall, mut sndbuf) = (serve::DEFAULT_STALL, serve::DEFAULT_SNDBUF);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| usage(format!("{a} wants a value")))
        };
        match a.as_str() {
            "--data" => data = Some(PathBuf::from(value()?)),
            "--ctl" => ctl = Some(PathBuf::from(value()?)),
            "--log" => log = Some(PathBuf::from(value()?)),
            "--monitor" => monitor = Some(PathBuf::from(value()?)),
            "--stall" => {
                let v = value()?;
                stall = match v.parse::<f64>() {
                    Ok(s) if s > 0.0 && s <= 86400.0 => Duration::from_secs_f64(s),
                    _ => return Err(usage(format!("--stall: not a number of seconds: {v}"))),
                }
            }
            "--sndbuf" => {
                let v = value()?;
                sndbuf = match v.parse::<usize>() {
                    Ok(n) if n <= 1 << 30 => n,
                    _ => return Err(usage(format!("--sndbuf: not a number of bytes: {v}"))),
                }
            }
            "-h" | "--help" => return Err(Fail::Usage(String::new())),
            _ => return Err(usage(format!("unknown option {a}"))),
        }
    }
    let data = data.ok_or_else(|| usage("--data is required".into()))?;
    let ctl = ctl.ok_or_else(|| usage("--ctl is required".into()))?;
    if data == ctl {
        return Err(usage("--data and --ctl must differ".into()));
    }
    Ok(Options {
        data,
        ctl,
        log,
        stall,
        sndbuf,
        monitor,
    })
}

fn run(args: &[String]) -> Result<(), Fail> {
    match args.first().map(String::as_str) {
        Some("serve") => {
            let o = parse_serve(&args[1..])?;
            serve::serve(&o).map_err(Fail::Run)
        }
        Some("-h" | "--help" | "help") => Err(Fail::Usage(String::new())),
        Some(c) => Err(Fail::Usage(format!("unknown command {c}; {USAGE}"))),
        None => Err(Fail::Usage(USAGE.into())),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail::Usage(m)) if m.is_empty() => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Err(Fail::Usage(m)) => {
            eprintln!("pkrs-pktgen: {m}");
            ExitCode::from(2)
        }
        Err(Fail::Run(m)) => {
            eprintln!("pkrs-pktgen: error: {m}");
            ExitCode::from(1)
        }
    }
}
