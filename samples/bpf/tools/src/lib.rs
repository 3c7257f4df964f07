//! Shared code of the samples/bpf tools: argument parsing and output
//! formatting (pure, unit tested on the host), and the few system helpers
//! the loaders share (`sys`).

pub mod sys;

use std::fmt;
use std::net::Ipv4Addr;

/// Exit status for bad command lines (usage errors).
pub const EXIT_USAGE: i32 = 2;
/// Exit status for failures at run time (no such device, no bpffs, ...).
pub const EXIT_FAILURE: i32 = 1;

/// Where xdp_ddos01_blacklist pins its maps (bpffs must be mounted on
/// /sys/fs/bpf).
pub const BPFFS: &str = "/sys/fs/bpf";
pub const DDOS_PIN_DIR: &str = "/sys/fs/bpf/xdp_ddos01_blacklist";
/// Map names in xdp_ddos01_blacklist_kern.c (and pin file names).
pub const MAP_BLACKLIST: &str = "blacklist";
pub const MAP_PORT_BLACKLIST: &str = "port_blacklist";
pub const MAP_VERDICT: &str = "verdict_cnt";

/// A usage error: the message, printed with a hint to --help.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn usage<T>(msg: impl Into<String>) -> Result<T, UsageError> {
    Err(UsageError(msg.into()))
}

/// What a command line asks for: the help text, or a run.
#[derive(Debug, PartialEq, Eq)]
pub enum Cmd<T> {
    Help,
    Run(T),
}

/// The XDP verdicts, numbered as in enum xdp_action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XdpAction {
    Aborted = 0,
    Drop = 1,
    Pass = 2,
    Tx = 3,
    Redirect = 4,
}

impl XdpAction {
    pub const ALL: [XdpAction; 5] = [
        XdpAction::Aborted,
        XdpAction::Drop,
        XdpAction::Pass,
        XdpAction::Tx,
        XdpAction::Redirect,
    ];

    pub fn name(self) -> &'static str {
        match self {
            XdpAction::Aborted => "XDP_ABORTED",
            XdpAction::Drop => "XDP_DROP",
            XdpAction::Pass => "XDP_PASS",
            XdpAction::Tx => "XDP_TX",
            XdpAction::Redirect => "XDP_REDIRECT",
        }
    }
}

/// Slot of verdict_cnt counting IPv4 frames with broken headers (after the
/// five XDP actions).
pub const VERDICT_MALFORMED: u32 = 5;
pub const VERDICT_SLOTS: u32 = 6;

/// Splits "--name=value" into ("--name", Some("value")).
fn split_opt(arg: &str) -> (&str, Option<&str>) {
    match arg.split_once('=') {
        Some((n, v)) if n.starts_with("--") => (n, Some(v)),
        _ => (arg, None),
    }
}

/// Hands out the arguments one by one, with the value of an option either
/// glued ("--dev=eth0") or in the next argument ("--dev eth0").
struct Args<I: Iterator<Item = String>> {
    it: I,
    glued: Option<String>,
}

impl<I: Iterator<Item = String>> Args<I> {
    fn new(it: I) -> Self {
        Args { it, glued: None }
    }

    /// The next option name, remembering a glued value for `value`.
    fn next_opt(&mut self) -> Result<Option<String>, UsageError> {
        if let Some(v) = self.glued.take() {
            return usage(format!("unexpected value '{v}'"));
        }
        let Some(arg) = self.it.next() else {
            return Ok(None);
        };
        let (name, value) = split_opt(&arg);
        self.glued = value.map(str::to_string);
        Ok(Some(name.to_string()))
    }

    fn value(&mut self, opt: &str) -> Result<String, UsageError> {
        if let Some(v) = self.glued.take() {
            return Ok(v);
        }
        match self.it.next() {
            Some(v) => Ok(v),
            None => usage(format!("{opt} needs a value")),
        }
    }

    /// A flag takes no value.
    fn flag(&mut self, opt: &str) -> Result<bool, UsageError> {
        match self.glued.take() {
            Some(v) => usage(format!("{opt} takes no value (got '{v}')")),
            None => Ok(true),
        }
    }
}

/// An interface name as the kernel accepts it (IFNAMSIZ - 1 bytes, no '/',
/// no white space).
pub fn parse_dev(s: &str) -> Result<String, UsageError> {
    if s.is_empty() || s.len() > 15 || s.contains(['/', ':']) || s.chars().any(char::is_whitespace)
    {
        return usage(format!("not a valid interface name: '{s}'"));
    }
    Ok(s.to_string())
}

/// A duration in whole seconds, 1 or more.
pub fn parse_sec(s: &str) -> Result<u64, UsageError> {
    match s.parse::<u64>() {
        Ok(n) if (1..=MAX_SEC).contains(&n) && s.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => usage(format!(
            "--sec wants a whole number of seconds from 1 to {MAX_SEC} (a year), not '{s}'"
        )),
    }
}

/// The longest `--sec`: a year (and far from overflowing a deadline).
pub const MAX_SEC: u64 = 366 * 24 * 3600;

/// XDP_DROP, XDP_PASS or XDP_TX (the verdicts the bench can give).
pub fn parse_action(s: &str) -> Result<XdpAction, UsageError> {
    match s {
        "XDP_DROP" => Ok(XdpAction::Drop),
        "XDP_PASS" => Ok(XdpAction::Pass),
        "XDP_TX" => Ok(XdpAction::Tx),
        _ => usage(format!(
            "--action wants XDP_DROP, XDP_PASS or XDP_TX, not '{s}'"
        )),
    }
}

/// A dotted-quad IPv4 address, four decimal parts 0-255.
pub fn parse_ipv4(s: &str) -> Result<Ipv4Addr, UsageError> {
    s.parse::<Ipv4Addr>()
        .map_err(|_| UsageError(format!("not an IPv4 address (A.B.C.D): '{s}'")))
}

/// A TCP/UDP port, 1-65535, decimal digits only.
pub fn parse_port(s: &str) -> Result<u16, UsageError> {
    match s.parse::<u16>() {
        Ok(p) if p >= 1 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(p),
        _ => usage(format!("not a port number (1-65535): '{s}'")),
    }
}

/// The options of xdp_bench01_mem_access_cost.
#[derive(Debug, PartialEq, Eq)]
pub struct BenchArgs {
    pub dev: String,
    pub action: XdpAction,
    pub read: bool,
    pub swapmac: bool,
    pub skb_mode: bool,
    /// Run this many seconds; None: until SIGINT/SIGTERM.
    pub sec: Option<u64>,
}

pub fn parse_bench_args(
    args: impl IntoIterator<Item = String>,
) -> Result<Cmd<BenchArgs>, UsageError> {
    let mut a = Args::new(args.into_iter());
    let (mut dev, mut action, mut read, mut swapmac, mut skb_mode, mut sec) =
        (None, XdpAction::Drop, false, false, false, None);
    while let Some(opt) = a.next_opt()? {
        match opt.as_str() {
            "-h" | "--help" => return Ok(Cmd::Help),
            "--dev" => dev = Some(parse_dev(&a.value(&opt)?)?),
            "--action" => action = parse_action(&a.value(&opt)?)?,
            "--read" => read = a.flag(&opt)?,
            "--swapmac" => swapmac = a.flag(&opt)?,
            "--skb-mode" => skb_mode = a.flag(&opt)?,
            "--sec" => sec = Some(parse_sec(&a.value(&opt)?)?),
            _ => return usage(format!("unknown option '{opt}'")),
        }
    }
    let Some(dev) = dev else {
        return usage("--dev IFNAME is required");
    };
    if swapmac && action != XdpAction::Tx {
        return usage("--swapmac goes with --action XDP_TX");
    }
    Ok(Cmd::Run(BenchArgs {
        dev,
        action,
        read,
        swapmac,
        skb_mode,
        sec,
    }))
}

/// The options of the xdp_ddos01_blacklist loader.
#[derive(Debug, PartialEq, Eq)]
pub struct LoaderArgs {
    pub dev: String,
    pub skb_mode: bool,
    pub sec: Option<u64>,
}

pub fn parse_loader_args(
    args: impl IntoIterator<Item = String>,
) -> Result<Cmd<LoaderArgs>, UsageError> {
    let mut a = Args::new(args.into_iter());
    let (mut dev, mut skb_mode, mut sec) = (None, false, None);
    while let Some(opt) = a.next_opt()? {
        match opt.as_str() {
            "-h" | "--help" => return Ok(Cmd::Help),
            "--dev" => dev = Some(parse_dev(&a.value(&opt)?)?),
            "--skb-mode" => skb_mode = a.flag(&opt)?,
            "--sec" => sec = Some(parse_sec(&a.value(&opt)?)?),
            _ => return usage(format!("unknown option '{opt}'")),
        }
    }
    let Some(dev) = dev else {
        return usage("--dev IFNAME is required");
    };
    Ok(Cmd::Run(LoaderArgs { dev, skb_mode, sec }))
}

/// A MAC address: six pairs of hex digits separated by ':'
/// ("02:00:00:00:00:01", either case).
pub fn parse_mac(s: &str) -> Result<[u8; 6], UsageError> {
    let bad = || UsageError(format!("not a MAC address (aa:bb:cc:dd:ee:ff): '{s}'"));
    let mut mac = [0u8; 6];
    let mut parts = s.split(':');
    for b in mac.iter_mut() {
        let p = parts.next().ok_or_else(bad)?;
        if p.len() != 2 || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        *b = u8::from_str_radix(p, 16).map_err(|_| bad())?;
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(mac)
}

/// A MAC address as "02:00:00:00:00:01".
pub fn format_mac(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The options of xdp_redirect_map.
#[derive(Debug, PartialEq, Eq)]
pub struct RedirectArgs {
    /// Where frames arrive (the program is attached here).
    pub dev: String,
    /// Where they are sent out (tx_port[0]).
    pub redirect_dev: String,
    /// Rewrite the destination MAC address to this.
    pub dst_mac: Option<[u8; 6]>,
    /// Generic XDP on `dev` (the dummy on `redirect_dev` is always native).
    pub skb_mode: bool,
    /// Attach xdp_pass_dummy to `redirect_dev`.
    pub dummy_egress: bool,
    pub sec: Option<u64>,
}

pub fn parse_redirect_args(
    args: impl IntoIterator<Item = String>,
) -> Result<Cmd<RedirectArgs>, UsageError> {
    let mut a = Args::new(args.into_iter());
    let (mut dev, mut redirect_dev, mut dst_mac) = (None, None, None);
    let (mut skb_mode, mut dummy_egress, mut sec) = (false, false, None);
    while let Some(opt) = a.next_opt()? {
        match opt.as_str() {
            "-h" | "--help" => return Ok(Cmd::Help),
            "--dev" => dev = Some(parse_dev(&a.value(&opt)?)?),
            "--redirect-dev" => redirect_dev = Some(parse_dev(&a.value(&opt)?)?),
            "--dst-mac" => dst_mac = Some(parse_mac(&a.value(&opt)?)?),
            "--skb-mode" => skb_mode = a.flag(&opt)?,
            "--dummy-egress" => dummy_egress = a.flag(&opt)?,
            "--sec" => sec = Some(parse_sec(&a.value(&opt)?)?),
            _ => return usage(format!("unknown option '{opt}'")),
        }
    }
    let Some(dev) = dev else {
        return usage("--dev IFNAME is required");
    };
    let Some(redirect_dev) = redirect_dev else {
        return usage("--redirect-dev IFNAME is required");
    };
    if dev == redirect_dev {
        return usage(format!(
            "--dev and --redirect-dev are both {dev}: redirect to another device"
        ));
    }
    Ok(Cmd::Run(RedirectArgs {
        dev,
        redirect_dev,
        dst_mac,
        skb_mode,
        dummy_egress,
        sec,
    }))
}

/// IP protocol numbers of the port blacklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp = 6,
    Udp = 17,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// One blacklist entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Ip(Ipv4Addr),
    Port(Proto, u16),
}

impl Target {
    /// The key in the blacklist map: the address in network byte order,
    /// as the program reads it from the header (a u32 in host memory).
    pub fn ip_key(ip: Ipv4Addr) -> u32 {
        u32::from_ne_bytes(ip.octets())
    }

    pub fn ip_from_key(key: u32) -> Ipv4Addr {
        Ipv4Addr::from(key.to_ne_bytes())
    }

    /// The key in port_blacklist: protocol << 16 | port.
    pub fn port_key(proto: Proto, port: u16) -> u32 {
        (proto as u32) << 16 | port as u32
    }

    pub fn port_from_key(key: u32) -> Option<(Proto, u16)> {
        let port = (key & 0xffff) as u16;
        match key >> 16 {
            6 => Some((Proto::Tcp, port)),
            17 => Some((Proto::Udp, port)),
            _ => None,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Ip(ip) => write!(f, "ip {ip}"),
            Target::Port(p, port) => write!(f, "{}-dport {port}", p.name()),
        }
    }
}

/// What xdp_ddos01_blacklist_cmdline is asked to do.
#[derive(Debug, PartialEq, Eq)]
pub enum CmdlineOp {
    Add(Vec<Target>),
    Del(Vec<Target>),
    List,
    Stats,
}

pub fn parse_cmdline_args(
    args: impl IntoIterator<Item = String>,
) -> Result<Cmd<CmdlineOp>, UsageError> {
    #[derive(PartialEq)]
    enum Op {
        Add,
        Del,
        List,
        Stats,
    }
    let mut a = Args::new(args.into_iter());
    let mut op = None;
    let mut targets = Vec::new();
    while let Some(opt) = a.next_opt()? {
        let new_op = match opt.as_str() {
            "-h" | "--help" => return Ok(Cmd::Help),
            "--add" => Op::Add,
            "--del" => Op::Del,
            "--list" => Op::List,
            "--stats" => Op::Stats,
            "--ip" => {
                targets.push(Target::Ip(parse_ipv4(&a.value(&opt)?)?));
                continue;
            }
            "--udp-dport" => {
                targets.push(Target::Port(Proto::Udp, parse_port(&a.value(&opt)?)?));
                continue;
            }
            "--tcp-dport" => {
                targets.push(Target::Port(Proto::Tcp, parse_port(&a.value(&opt)?)?));
                continue;
            }
            _ => return usage(format!("unknown option '{opt}'")),
        };
        a.flag(&opt)?;
        if op.is_some() {
            return usage("give one of --add, --del, --list, --stats");
        }
        op = Some(new_op);
    }
    match op {
        None => usage("give one of --add, --del, --list, --stats"),
        Some(Op::Add | Op::Del) if targets.is_empty() => {
            usage("--add/--del need --ip A.B.C.D, --udp-dport N or --tcp-dport N")
        }
        Some(Op::List | Op::Stats) if !targets.is_empty() => {
            usage("--list and --stats take no --ip/--udp-dport/--tcp-dport")
        }
        Some(Op::Add) => Ok(Cmd::Run(CmdlineOp::Add(targets))),
        Some(Op::Del) => Ok(Cmd::Run(CmdlineOp::Del(targets))),
        Some(Op::List) => Ok(Cmd::Run(CmdlineOp::List)),
        Some(Op::Stats) => Ok(Cmd::Run(CmdlineOp::Stats)),
    }
}

/// A count with thousands separators: 19851067 -> "19,851,067".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Packets per second over an interval, rounded to the nearest packet.
pub fn pps(packets: u64, secs: f64) -> u64 {
    if secs <= 0.0 {
        0
    } else {
        (packets as f64 / secs).round() as u64
    }
}

/// What the bench does to packet memory, the table's last column.
pub fn mem_mode(read: bool, swapmac: bool) -> &'static str {
    match (read, swapmac) {
        (_, true) => "swapmac",
        (true, false) => "read",
        (false, false) => "no_touch",
    }
}

/// A row of the tools' per-second table: the action, the rate in two
/// forms, and a last column that says what the tool does.
fn table_row(action: &str, pps: &str, human: &str, last: &str) -> String {
    format!("{action:<12} {pps:<12} {human:<19} {last}")
}

/// The bench table's heading.
pub fn bench_header() -> String {
    table_row("XDP_action", "pps", "pps-human-readable", "mem")
}

/// One line of the bench table.
pub fn bench_line(action: XdpAction, pps: u64, mem: &str) -> String {
    table_row(action.name(), &pps.to_string(), &thousands(pps), mem)
}

/// The xdp_redirect_map table's heading.
pub fn redirect_header() -> String {
    table_row("XDP_action", "pps", "pps-human-readable", "ingress->egress")
}

/// One line of the xdp_redirect_map table: frames redirected per second.
pub fn redirect_line(pps: u64, dev: &str, redirect_dev: &str) -> String {
    table_row(
        XdpAction::Redirect.name(),
        &pps.to_string(),
        &thousands(pps),
        &format!("{dev}->{redirect_dev}"),
    )
}

/// xdp_redirect_map's last line but one: the totals of the run.
pub fn redirect_total(total: u64, secs: f64, short: u64) -> String {
    format!(
        "total: {total} packets redirected in {secs:.1} s, average {} pps; frames too short: {short}",
        thousands(pps(total, secs))
    )
}

/// `--stats`: the verdict counters (one per slot of verdict_cnt), then the
/// blacklisted sources and ports with the frames dropped for each.
pub fn format_stats(
    verdicts: &[u64],
    ips: &[(Ipv4Addr, u64)],
    ports: &[(Proto, u16, u64)],
) -> String {
    let mut s = format!("{:<16} {}\n", "verdict", "packets");
    for (i, n) in verdicts.iter().enumerate() {
        let name = match XdpAction::ALL.get(i) {
            Some(a) => a.name(),
            None if i as u32 == VERDICT_MALFORMED => "malformed",
            None => "?",
        };
        s += &format!("{name:<16} {n}\n");
    }
    s += &format!("{:<16} {}\n", "blacklisted", "dropped");
    for (ip, n) in ips {
        s += &format!("{:<16} {n}\n", format!("ip {ip}"));
    }
    for (p, port, n) in ports {
        s += &format!("{:<16} {n}\n", format!("{}-dport {port}", p.name()));
    }
    s
}

/// `--list`: one entry a line, addresses then ports, sorted.
pub fn format_list(ips: &[Ipv4Addr], ports: &[(Proto, u16)]) -> String {
    let mut ips = ips.to_vec();
    ips.sort();
    let mut ports = ports.to_vec();
    ports.sort_by_key(|&(p, port)| (p as u8, port));
    let mut s = String::new();
    for ip in ips {
        s += &format!("{}\n", Target::Ip(ip));
    }
    for (p, port) in ports {
        s += &format!("{}\n", Target::Port(p, port));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn bench(s: &str) -> Result<Cmd<BenchArgs>, UsageError> {
        parse_bench_args(argv(s))
    }

    #[test]
    fn bench_defaults() {
        assert_eq!(
            bench("--dev eth1"),
            Ok(Cmd::Run(BenchArgs {
                dev: "eth1".into(),
                action: XdpAction::Drop,
                read: false,
                swapmac: false,
                skb_mode: false,
                sec: None
            }))
        );
    }

    #[test]
    fn bench_all_options() {
        assert_eq!(
            bench("--dev=eth0 --action XDP_TX --read --swapmac --skb-mode --sec=3"),
            Ok(Cmd::Run(BenchArgs {
                dev: "eth0".into(),
                action: XdpAction::Tx,
                read: true,
                swapmac: true,
                skb_mode: true,
                sec: Some(3)
            }))
        );
        assert_eq!(bench("--dev eth0 --help"), Ok(Cmd::Help));
    }

    #[test]
    fn bench_rejects() {
        for bad in [
            "",
            "--action XDP_DROP",
            "--dev",
            "--dev eth0 --action XDP_ABORTED",
            "--dev eth0 --action drop",
            "--dev eth0 --swapmac",
            "--dev eth0 --action XDP_PASS --swapmac",
            "--dev eth0 --sec 0",
            "--dev eth0 --sec -1",
            "--dev eth0 --sec 1.5",
            "--dev eth0 --read=yes",
            "--dev eth0 --bogus",
            "--dev a/b",
            "--dev abcdefghijklmnop",
            "eth0",
        ] {
            assert!(bench(bad).is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn loader_args() {
        assert_eq!(
            parse_loader_args(argv("--dev eth1 --skb-mode --sec 5")),
            Ok(Cmd::Run(LoaderArgs {
                dev: "eth1".into(),
                skb_mode: true,
                sec: Some(5)
            }))
        );
        assert!(parse_loader_args(argv("--skb-mode")).is_err());
        assert!(parse_loader_args(argv("--dev eth1 --action XDP_TX")).is_err());
    }

    fn redirect(s: &str) -> Result<Cmd<RedirectArgs>, UsageError> {
        parse_redirect_args(argv(s))
    }

    #[test]
    fn redirect_defaults() {
        assert_eq!(
            redirect("--dev eth1 --redirect-dev eth0"),
            Ok(Cmd::Run(RedirectArgs {
                dev: "eth1".into(),
                redirect_dev: "eth0".into(),
                dst_mac: None,
                skb_mode: false,
                dummy_egress: false,
                sec: None
            }))
        );
    }

    #[test]
    fn redirect_all_options() {
        let all = RedirectArgs {
            dev: "eth1".into(),
            redirect_dev: "eth0".into(),
            dst_mac: Some([0x02, 0, 0, 0, 0xab, 0x0f]),
            skb_mode: true,
            dummy_egress: true,
            sec: Some(7),
        };
        assert_eq!(
            redirect(
                "--dev eth1 --redirect-dev eth0 --dst-mac 02:00:00:00:AB:0f \
                 --skb-mode --dummy-egress --sec 7"
            ),
            Ok(Cmd::Run(all))
        );
        // Glued values, another order.
        assert_eq!(
            redirect("--sec=1 --dummy-egress --redirect-dev=veth1 --dev=veth0"),
            Ok(Cmd::Run(RedirectArgs {
                dev: "veth0".into(),
                redirect_dev: "veth1".into(),
                dst_mac: None,
                skb_mode: false,
                dummy_egress: true,
                sec: Some(1)
            }))
        );
        assert_eq!(redirect("--help"), Ok(Cmd::Help));
        assert_eq!(redirect("--dev eth1 -h"), Ok(Cmd::Help));
    }

    #[test]
    fn redirect_rejects() {
        let err = |s: &str| match redirect(s) {
            Err(UsageError(m)) => m,
            ok => panic!("accepted: {s}: {ok:?}"),
        };
        // The reasons the tool prints, for the errors the task names.
        assert_eq!(err(""), "--dev IFNAME is required");
        assert_eq!(err("--redirect-dev eth0"), "--dev IFNAME is required");
        assert_eq!(err("--dev eth1"), "--redirect-dev IFNAME is required");
        assert_eq!(
            err("--dev eth1 --redirect-dev eth1"),
            "--dev and --redirect-dev are both eth1: redirect to another device"
        );
        assert_eq!(
            err("--dev eth1 --redirect-dev eth0 --dst-mac 02:00:00:00:00"),
            "not a MAC address (aa:bb:cc:dd:ee:ff): '02:00:00:00:00'"
        );
        for bad in [
            "--dev",
            "--dev eth1 --redirect-dev",
            "--dev eth1 --redirect-dev eth0 --dst-mac",
            "--dev eth1 --redirect-dev eth0 --dst-mac 02:00:00:00:00:01:02",
            "--dev eth1 --redirect-dev eth0 --dst-mac 02-00-00-00-00-01",
            "--dev eth1 --redirect-dev eth0 --dst-mac 2:0:0:0:0:1",
            "--dev eth1 --redirect-dev eth0 --dst-mac 0g:00:00:00:00:01",
            "--dev eth1 --redirect-dev eth0 --dst-mac +2:00:00:00:00:01",
            "--dev eth1 --redirect-dev eth0 --skb-mode=1",
            "--dev eth1 --redirect-dev eth0 --dummy-egress=yes",
            "--dev eth1 --redirect-dev eth0 --sec 0",
            "--dev eth1 --redirect-dev eth0 --sec x",
            "--dev eth1 --redirect-dev eth0 --action XDP_TX",
            "--dev eth1 --redirect-dev a/b",
            "--dev eth1 --redirect-dev abcdefghijklmnop",
            "--dev eth1 eth0",
        ] {
            assert!(redirect(bad).is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn mac_addresses() {
        assert_eq!(
            parse_mac("ff:FF:00:01:7f:80"),
            Ok([0xff, 0xff, 0, 1, 0x7f, 0x80])
        );
        for bad in [
            "",
            ":::::",
            "00:00:00:00:00:00:",
            "000:00:00:00:00:0",
            " 0:00:00:00:00:00",
        ] {
            assert!(parse_mac(bad).is_err(), "accepted: {bad:?}");
        }
        assert_eq!(
            format_mac(&[0x02, 0, 0, 0, 0xab, 0x0f]),
            "02:00:00:00:ab:0f"
        );
        let m = [0xde, 0xad, 0xbe, 0xef, 0, 1];
        assert_eq!(parse_mac(&format_mac(&m)), Ok(m));
    }

    #[test]
    fn redirect_table() {
        assert_eq!(
            redirect_header(),
            "XDP_action   pps          pps-human-readable  ingress->egress"
        );
        let l = redirect_line(151332, "eth1", "eth0");
        assert_eq!(
            l,
            "XDP_REDIRECT 151332       151,332             eth1->eth0"
        );
        let h = redirect_header();
        assert_eq!(h.find("pps "), l.find("151332"));
        assert_eq!(h.find("pps-"), l.find("151,"));
        assert_eq!(h.find("ingress"), l.find("eth1"));
        assert_eq!(
            redirect_total(3_000_000, 20.04, 2),
            "total: 3000000 packets redirected in 20.0 s, average 149,701 pps; frames too short: 2"
        );
        assert_eq!(
            redirect_total(0, 0.0, 0),
            "total: 0 packets redirected in 0.0 s, average 0 pps; frames too short: 0"
        );
    }

    fn cmdline(s: &str) -> Result<Cmd<CmdlineOp>, UsageError> {
        parse_cmdline_args(argv(s))
    }

    #[test]
    fn cmdline_ops() {
        let ip = Ipv4Addr::new(10, 0, 0, 66);
        assert_eq!(
            cmdline("--add --ip 10.0.0.66"),
            Ok(Cmd::Run(CmdlineOp::Add(vec![Target::Ip(ip)])))
        );
        assert_eq!(
            cmdline("--del --udp-dport 9999 --tcp-dport=80 --ip=10.0.0.66"),
            Ok(Cmd::Run(CmdlineOp::Del(vec![
                Target::Port(Proto::Udp, 9999),
                Target::Port(Proto::Tcp, 80),
                Target::Ip(ip)
            ])))
        );
        assert_eq!(cmdline("--list"), Ok(Cmd::Run(CmdlineOp::List)));
        assert_eq!(cmdline("--stats"), Ok(Cmd::Run(CmdlineOp::Stats)));
    }

    #[test]
    fn cmdline_rejects() {
        for bad in [
            "",
            "--add",
            "--ip 10.0.0.1",
            "--add --del --ip 10.0.0.1",
            "--list --stats",
            "--list --ip 10.0.0.1",
            "--add --ip 10.0.0",
            "--add --ip 10.0.0.256",
            "--add --ip 10.0.0.1.2",
            "--add --ip host",
            "--add --ip",
            "--add --udp-dport 0",
            "--add --udp-dport 65536",
            "--add --tcp-dport +80",
            "--add --tcp-dport 80x",
            "--add=1 --ip 10.0.0.1",
            "--add --ip 10.0.0.1 --port 80",
        ] {
            assert!(cmdline(bad).is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn value_parsers() {
        assert_eq!(parse_port("65535"), Ok(65535));
        assert_eq!(parse_port("1"), Ok(1));
        assert!(parse_port("").is_err());
        assert_eq!(parse_ipv4("192.168.1.1"), Ok(Ipv4Addr::new(192, 168, 1, 1)));
        assert!(parse_ipv4(" 1.2.3.4").is_err());
        assert!(parse_ipv4("1.2.3.-4").is_err());
        assert_eq!(parse_sec("10"), Ok(10));
        assert_eq!(parse_sec(&MAX_SEC.to_string()), Ok(MAX_SEC));
        // A deadline this far would overflow: refused at parse time.
        assert!(parse_sec(&(MAX_SEC + 1).to_string()).is_err());
        assert!(parse_sec("18446744073709551615").is_err());
        assert!(parse_sec("0").is_err());
    }

    #[test]
    fn keys() {
        let ip = Ipv4Addr::new(10, 0, 0, 66);
        // Network byte order in memory: the first octet first.
        assert_eq!(Target::ip_key(ip).to_ne_bytes(), [10, 0, 0, 66]);
        assert_eq!(Target::ip_from_key(Target::ip_key(ip)), ip);
        assert_eq!(Target::port_key(Proto::Udp, 9999), 17 << 16 | 9999);
        assert_eq!(Target::port_key(Proto::Tcp, 80), 0x0006_0050);
        assert_eq!(
            Target::port_from_key(17 << 16 | 9999),
            Some((Proto::Udp, 9999))
        );
        assert_eq!(Target::port_from_key(1 << 16 | 9), None);
    }

    #[test]
    fn human_readable() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(123456), "123,456");
        assert_eq!(thousands(19851067), "19,851,067");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(pps(150, 1.5), 100);
        assert_eq!(pps(10, 0.0), 0);
    }

    #[test]
    fn bench_table() {
        assert_eq!(
            bench_header(),
            "XDP_action   pps          pps-human-readable  mem"
        );
        assert_eq!(
            bench_line(XdpAction::Drop, 19851067, mem_mode(false, false)),
            "XDP_DROP     19851067     19,851,067          no_touch"
        );
        assert_eq!(mem_mode(true, false), "read");
        assert_eq!(mem_mode(true, true), "swapmac");
        // The columns line up with the heading.
        let h = bench_header();
        let l = bench_line(XdpAction::Tx, 5, "read");
        assert_eq!(h.find("pps "), l.find("5 "));
        assert_eq!(h.find("mem"), l.find("read"));
    }

    #[test]
    fn stats_and_list() {
        let ip = Ipv4Addr::new(10, 0, 0, 66);
        let s = format_stats(
            &[0, 500, 300, 0, 0, 2],
            &[(ip, 500)],
            &[(Proto::Udp, 9999, 7)],
        );
        assert_eq!(
            s,
            "verdict          packets\n\
             XDP_ABORTED      0\n\
             XDP_DROP         500\n\
             XDP_PASS         300\n\
             XDP_TX           0\n\
             XDP_REDIRECT     0\n\
             malformed        2\n\
             blacklisted      dropped\n\
             ip 10.0.0.66     500\n\
             udp-dport 9999   7\n"
        );
        let l = format_list(
            &[ip, Ipv4Addr::new(10, 0, 0, 5)],
            &[(Proto::Udp, 9999), (Proto::Tcp, 80)],
        );
        assert_eq!(
            l,
            "ip 10.0.0.5\nip 10.0.0.66\ntcp-dport 80\nudp-dport 9999\n"
        );
        assert_eq!(format_list(&[], &[]), "");
    }
}
