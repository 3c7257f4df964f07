//! The frames the generator sends: IPv4/UDP and TCP with correct checksums,
//! and the malformed kinds that the XDP driver tests feed a NIC.
//!
//! A frame is the Ethernet frame without FCS, exactly `size` bytes. The
//! payload after the UDP/TCP header (after the ethertype for `nonip`) is a
//! 64-bit big-endian sequence number followed by [`PATTERN`] repeated, so
//! that a frame that comes back can be matched.

use std::fmt;

pub const ETH_HLEN: usize = 14;
pub const VLAN_HLEN: usize = 4;
pub const ETH_P_IP: u16 = 0x0800;
pub const ETH_P_ARP: u16 = 0x0806;
pub const ETH_P_8021Q: u16 = 0x8100;
pub const ETH_P_8021AD: u16 = 0x88a8;
/// IEEE 802 local experimental ethertype 1, for `nonip`.
pub const ETH_P_EXP1: u16 = 0x88b5;
pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const UDP_HLEN: usize = 8;
pub const TCP_HLEN: usize = 20;
/// An ICMP echo header: type, code, checksum, identifier, sequence.
pub const ICMP_HLEN: usize = 8;
pub const ICMP_ECHO_REPLY: u8 = 0;
pub const ICMP_ECHO_REQUEST: u8 = 8;
pub const ARP_LEN: usize = 28;
pub const SEQ_LEN: usize = 8;
/// Largest frame of every kind but `oversize`: a 1500-byte MTU frame, plus
/// 4 bytes per VLAN tag.
pub const STD_FRAME: usize = 1514;
/// Largest `oversize` frame (QEMU's stream netdev takes records up to 69632
/// bytes; the length of an IPv4 packet is 16 bits anyway).
pub const MAX_FRAME: usize = 65535;
/// The size used when a send gives none (or the kind's smallest, if larger).
pub const DEFAULT_SIZE: usize = 60;
/// The size of a `runt` when a send gives none.
pub const DEFAULT_RUNT: usize = 10;
/// The bytes after the sequence number, repeated to fill the frame.
pub const PATTERN: &[u8] = b"pkrs-pktgen.";
/// What `badtotlen` adds to the IPv4 total length (capped at 65535).
pub const BADTOTLEN_EXCESS: usize = 100;

pub type Mac = [u8; 6];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Udp,
    Runt,
    Oversize,
    BadIhl,
    BadTotlen,
    IpOpts,
    Frag,
    NonIp,
    Arp,
    Vlan1,
    Vlan2,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Udp,
        Kind::Runt,
        Kind::Oversize,
        Kind::BadIhl,
        Kind::BadTotlen,
        Kind::IpOpts,
        Kind::Frag,
        Kind::NonIp,
        Kind::Arp,
        Kind::Vlan1,
        Kind::Vlan2,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Udp => "udp",
            Kind::Runt => "runt",
            Kind::Oversize => "oversize",
            Kind::BadIhl => "badihl",
            Kind::BadTotlen => "badtotlen",
            Kind::IpOpts => "ipopts",
            Kind::Frag => "frag",
            Kind::NonIp => "nonip",
            Kind::Arp => "arp",
            Kind::Vlan1 => "vlan1",
            Kind::Vlan2 => "vlan2",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Whether the kind carries IPv4 with a UDP or TCP header.
    pub fn is_ip(self) -> bool {
        !matches!(self, Kind::Runt | Kind::NonIp | Kind::Arp)
    }

    fn tags(self) -> usize {
        match self {
            Kind::Vlan1 => 1,
            Kind::Vlan2 => 2,
            _ => 0,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an IPv4 kind carries: a UDP datagram, a TCP segment, or an ICMP
/// echo request (identifier: the flow's source port; sequence: the low 16
/// bits of the frame's sequence number), which the guest's stack answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Udp,
    Tcp,
    Icmp,
}

impl Proto {
    pub fn number(self) -> u8 {
        match self {
            Proto::Udp => IPPROTO_UDP,
            Proto::Tcp => IPPROTO_TCP,
            Proto::Icmp => IPPROTO_ICMP,
        }
    }

    fn hlen(self) -> usize {
        match self {
            Proto::Udp => UDP_HLEN,
            Proto::Tcp => TCP_HLEN,
            Proto::Icmp => ICMP_HLEN,
        }
    }
}

/// What a frame that came back is, against what the send it answers sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Byte for byte what frame `seq` must come back as.
    Intact(u64),
    /// Anything else: a byte, the length or a checksum is wrong.
    Corrupt,
}

/// The addresses and ports of one frame (one point of a send's flows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Flow {
    pub src_ip: u32,
    pub dst_ip: u32,
    pub sport: u16,
    pub dport: u16,
}

/// What stays the same over the frames of one send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub kind: Kind,
    pub proto: Proto,
    pub size: usize,
    pub dst_mac: Mac,
    pub src_mac: Mac,
    pub vid: u16,
    pub vid2: u16,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            kind: Kind::Udp,
            proto: Proto::Udp,
            size: DEFAULT_SIZE,
            dst_mac: [0x52, 0x54, 0, 0, 0, 0x20],
            src_mac: [0x52, 0x54, 0, 0, 0, 0xf0],
            vid: 10,
            vid2: 20,
        }
    }
}

/// Offsets of the headers of an IPv4 kind.
struct Layout {
    l3: usize,
    /// The IPv4 header's real length (20, or 24 with options).
    ip_hlen: usize,
    l4: usize,
    payload: usize,
}

impl Spec {
    fn layout(&self) -> Layout {
        let l3 = ETH_HLEN + VLAN_HLEN * self.kind.tags();
        let ip_hlen = if self.kind == Kind::IpOpts { 24 } else { 20 };
        let l4 = l3 + ip_hlen;
        Layout {
            l3,
            ip_hlen,
            l4,
            payload: l4 + self.proto.hlen(),
        }
    }

    /// The smallest size the kind fits in (with its sequence number).
    pub fn min_size(&self) -> usize {
        match self.kind {
            Kind::Runt => 1,
            Kind::NonIp => ETH_HLEN + SEQ_LEN,
            Kind::Arp => ETH_HLEN + ARP_LEN,
            _ => self.layout().payload + SEQ_LEN,
        }
    }

    pub fn max_size(&self) -> usize {
        match self.kind {
            Kind::Runt => ETH_HLEN - 1,
            Kind::Oversize => MAX_FRAME,
            k => STD_FRAME + VLAN_HLEN * k.tags(),
        }
    }

    /// The size a send gets when it names none.
    pub fn default_size(&self) -> usize {
        match self.kind {
            Kind::Runt => DEFAULT_RUNT,
            _ => DEFAULT_SIZE.max(self.min_size()),
        }
    }

    /// Whether `self.size` suits the kind (and the VLAN ids are ids).
    pub fn check(&self) -> Result<(), String> {
        let (min, max) = (self.min_size(), self.max_size());
        let what = if self.kind.is_ip() {
            format!("kind {} proto {}", self.kind, proto_name(self.proto))
        } else {
            format!("kind {}", self.kind)
        };
        if self.size < min {
            return Err(format!("too small for {what}: at least {min}"));
        }
        if self.size > max {
            let hint = if self.kind.is_ip() && self.kind != Kind::Oversize {
                "; kind=oversize goes up to 65535"
            } else {
                ""
            };
            return Err(format!("too big for {what}: at most {max}{hint}"));
        }
        Ok(())
    }

    /// Appends the frame for `flow` with sequence number `seq` to `out`:
    /// exactly `self.size` bytes. `self.check()` must have passed.
    pub fn build(&self, flow: &Flow, seq: u64, out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + self.size, 0);
        let f = &mut out[start..];
        if self.kind != Kind::Runt {
            f[0..6].copy_from_slice(&self.dst_mac);
            f[6..12].copy_from_slice(&self.src_mac);
        }
        match self.kind {
            Kind::Runt => {
                // What fits of a full header's start: the MACs, the ethertype.
                let mut h = [0u8; ETH_HLEN];
                h[0..6].copy_from_slice(&self.dst_mac);
                h[6..12].copy_from_slice(&self.src_mac);
                put16(&mut h, 12, ETH_P_IP);
                let n = f.len();
                f.copy_from_slice(&h[..n]);
            }
            Kind::NonIp => {
                put16(f, 12, ETH_P_EXP1);
                fill_payload(&mut f[ETH_HLEN..], seq);
            }
            Kind::Arp => {
                put16(f, 12, ETH_P_ARP);
                let a = &mut f[ETH_HLEN..ETH_HLEN + ARP_LEN];
                put16(a, 0, 1); // Ethernet
                put16(a, 2, ETH_P_IP);
                a[4] = 6;
                a[5] = 4;
                put16(a, 6, 1); // request
                a[8..14].copy_from_slice(&self.src_mac);
                a[14..18].copy_from_slice(&flow.src_ip.to_be_bytes());
                // Target hardware address unknown: zero.
                a[24..28].copy_from_slice(&flow.dst_ip.to_be_bytes());
            }
            _ => self.build_ip(flow, seq, f),
        }
    }

    fn build_ip(&self, flow: &Flow, seq: u64, f: &mut [u8]) {
        let lay = self.layout();
        match self.kind {
            Kind::Vlan1 => {
                put16(f, 12, ETH_P_8021Q);
                put16(f, 14, self.vid & 0x0fff);
            }
            Kind::Vlan2 => {
                put16(f, 12, ETH_P_8021AD);
                put16(f, 14, self.vid & 0x0fff);
                put16(f, 16, ETH_P_8021Q);
                put16(f, 18, self.vid2 & 0x0fff);
            }
            _ => {}
        }
        put16(f, lay.l3 - 2, ETH_P_IP);

        fill_payload(&mut f[lay.payload..], seq);
        let l4len = f.len() - lay.l4;
        let (src, dst) = (flow.src_ip.to_be_bytes(), flow.dst_ip.to_be_bytes());
        if self.proto == Proto::Icmp {
            let l4 = &mut f[lay.l4..];
            l4[0] = ICMP_ECHO_REQUEST;
            put16(l4, 4, flow.sport);
            put16(l4, 6, seq as u16);
            let c = fold(csum_add(0, l4));
            put16(l4, 2, c);
        } else {
            let l4 = &mut f[lay.l4..];
            put16(l4, 0, flow.sport);
            put16(l4, 2, flow.dport);
            match self.proto {
                Proto::Udp => put16(l4, 4, l4len as u16),
                Proto::Tcp => {
                    l4[4..8].copy_from_slice(&(seq as u32).to_be_bytes());
                    l4[8..12].copy_from_slice(&1u32.to_be_bytes()); // ack
                    l4[12] = ((TCP_HLEN / 4) as u8) << 4;
                    l4[13] = 0x10; // ACK
                    put16(l4, 14, 65535); // window
                }
                Proto::Icmp => unreachable!("built above"),
            }
            let sum = pseudo_sum(&src, &dst, self.proto.number(), l4len);
            let mut c = fold(csum_add(sum, l4));
            if self.proto == Proto::Udp && c == 0 {
                c = 0xffff;
            }
            let at = if self.proto == Proto::Udp { 6 } else { 16 };
            put16(l4, at, c);
        }

        let ip_len = f.len() - lay.l3;
        let ip = &mut f[lay.l3..lay.l4];
        let ihl = match self.kind {
            Kind::BadIhl => 4,
            _ => lay.ip_hlen / 4,
        };
        ip[0] = 0x40 | ihl as u8;
        let tot_len = match self.kind {
            Kind::BadTotlen => (ip_len + BADTOTLEN_EXCESS).min(65535),
            _ => ip_len,
        };
        put16(ip, 2, tot_len as u16);
        put16(ip, 4, seq as u16); // id
        put16(ip, 6, if self.kind == Kind::Frag { 0x2000 } else { 0 }); // MF
        ip[8] = 64; // ttl
        ip[9] = self.proto.number();
        ip[12..16].copy_from_slice(&src);
        ip[16..20].copy_from_slice(&dst);
        if self.kind == Kind::IpOpts {
            ip[20..24].fill(1); // NOP
        }
        // Over the header as laid out (20 or 24 bytes), so that a bad kind
        // is bad in one way only.
        let c = fold(csum_add(0, ip));
        put16(ip, 10, c);
    }
}

impl Spec {
    /// The sequence number a frame of this send carries (where the send
    /// put it), if the frame is long enough to hold one.
    pub fn seq_of(&self, f: &[u8]) -> Option<u64> {
        let at = match self.kind {
            Kind::Runt | Kind::Arp => return None,
            Kind::NonIp => ETH_HLEN,
            _ => self.layout().payload,
        };
        let b = f.get(at..at + SEQ_LEN)?;
        Some(u64::from_be_bytes(b.try_into().ok()?))
    }

    /// Checks a frame that came back with the MAC addresses swapped
    /// against frame `seq` of this send (`flows` as the send began):
    /// an XDP_TX bounce must be that frame with only the MACs swapped; the
    /// answer to an ICMP echo request (`proto=icmp`, no VLAN tag) must be
    /// an echo reply from the request's destination to its source with
    /// the request's identifier, sequence and data, and right checksums
    /// (the IPv4 header is the guest's own: its id and flags are not
    /// compared).
    pub fn verify(&self, flows: &Flows, f: &[u8]) -> Verdict {
        let Some(seq) = self.seq_of(f) else {
            return Verdict::Corrupt;
        };
        let flow = flows.nth(seq);
        let mut want = Vec::with_capacity(self.size);
        self.build(&flow, seq, &mut want);
        let (dst, src) = want.split_at_mut(6);
        dst.swap_with_slice(&mut src[..6]);
        let ok = if self.proto == Proto::Icmp && self.kind.is_ip() {
            self.is_echo_reply(&flow, &want, f)
        } else {
            want == f
        };
        if ok {
            Verdict::Intact(seq)
        } else {
            Verdict::Corrupt
        }
    }

    /// `want`: the request with its MACs swapped; `f`: what came back.
    fn is_echo_reply(&self, flow: &Flow, want: &[u8], f: &[u8]) -> bool {
        let lay = self.layout();
        if self.kind.tags() != 0 || f.len() < ETH_HLEN + 20 || f[..12] != want[..12] {
            return false;
        }
        if u16::from_be_bytes([f[12], f[13]]) != ETH_P_IP {
            return false;
        }
        let ihl = usize::from(f[ETH_HLEN] & 0x0f) * 4;
        let icmp_len = want.len() - lay.l4;
        if f[ETH_HLEN] >> 4 != 4 || ihl < 20 || f.len() < ETH_HLEN + ihl + icmp_len {
            return false;
        }
        let ip = &f[ETH_HLEN..ETH_HLEN + ihl];
        let tot = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
        if tot != ihl + icmp_len
            || ip[9] != IPPROTO_ICMP
            || ip[12..16] != flow.dst_ip.to_be_bytes()
            || ip[16..20] != flow.src_ip.to_be_bytes()
            || fold(csum_add(0, ip)) != 0
        {
            return false;
        }
        let got = &f[ETH_HLEN + ihl..ETH_HLEN + ihl + icmp_len];
        let req = &want[lay.l4..];
        got[0] == ICMP_ECHO_REPLY
            && got[1] == 0
            && got[4..] == req[4..]
            && fold(csum_add(0, got)) == 0
    }
}

pub fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Udp => "udp",
        Proto::Tcp => "tcp",
        Proto::Icmp => "icmp",
    }
}

fn fill_payload(p: &mut [u8], seq: u64) {
    p[..SEQ_LEN].copy_from_slice(&seq.to_be_bytes());
    for (b, x) in p[SEQ_LEN..].iter_mut().zip(PATTERN.iter().cycle()) {
        *b = *x;
    }
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

/// Adds `data` as big-endian 16-bit words (an odd last byte padded with
/// zero) to a ones'-complement sum kept unfolded.
pub fn csum_add(mut sum: u64, data: &[u8]) -> u64 {
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        sum += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = words.remainder() {
        sum += u64::from(*last) << 8;
    }
    sum
}

/// The checksum field for a sum: folded to 16 bits, complemented.
pub fn fold(mut sum: u64) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn pseudo_sum(src: &[u8; 4], dst: &[u8; 4], proto: u8, len: usize) -> u64 {
    let s = csum_add(csum_add(0, src), dst);
    s + u64::from(proto) + len as u64
}

/// One address or port range of a send, `lo..=hi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub lo: u32,
    pub hi: u32,
}

impl Range {
    pub fn one(v: u32) -> Range {
        Range { lo: v, hi: v }
    }
}

/// Every combination of the four ranges, in turn: source IP fastest, then
/// destination IP, source port, destination port (an odometer); after the
/// last it starts again.
#[derive(Clone, Debug)]
pub struct Flows {
    ranges: [Range; 4],
    cur: [u32; 4],
}

impl Flows {
    pub fn new(src_ip: Range, dst_ip: Range, sport: Range, dport: Range) -> Flows {
        let ranges = [src_ip, dst_ip, sport, dport];
        Flows {
            cur: ranges.map(|r| r.lo),
            ranges,
        }
    }

    /// How many distinct flows there are (saturating).
    pub fn distinct(&self) -> u128 {
        self.ranges
            .iter()
            .map(|r| u128::from(r.hi - r.lo) + 1)
            .fold(1u128, |a, n| a.saturating_mul(n))
    }

    /// Flow `k` of the sequence [`Flows::next_flow`] gives from the start
    /// (`self` as it was made).
    pub fn nth(&self, k: u64) -> Flow {
        let mut k = u128::from(k) % self.distinct().max(1);
        let mut v = [0u32; 4];
        for (x, r) in v.iter_mut().zip(self.ranges.iter()) {
            let n = u128::from(r.hi - r.lo) + 1;
            *x = r.lo + (k % n) as u32;
            k /= n;
        }
        Flow {
            src_ip: v[0],
            dst_ip: v[1],
            sport: v[2] as u16,
            dport: v[3] as u16,
        }
    }

    /// The current flow; moves on to the next.
    pub fn next_flow(&mut self) -> Flow {
        let c = self.cur;
        for (v, r) in self.cur.iter_mut().zip(self.ranges.iter()) {
            if *v < r.hi {
                *v += 1;
                break;
            }
            *v = r.lo;
        }
        Flow {
            src_ip: c[0],
            dst_ip: c[1],
            sport: c[2] as u16,
            dport: c[3] as u16,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLOW: Flow = Flow {
        src_ip: 0x0a00_0201,
        dst_ip: 0x0a00_0202,
        sport: 9,
        dport: 4242,
    };

    fn spec(kind: Kind, proto: Proto, size: usize) -> Spec {
        Spec {
            kind,
            proto,
            size,
            ..Spec::default()
        }
    }

    fn frame(s: &Spec, seq: u64) -> Vec<u8> {
        s.check().unwrap();
        let mut v = vec![0xee; 3]; // build appends
        s.build(&FLOW, seq, &mut v);
        assert_eq!(&v[..3], &[0xee; 3]);
        v.split_off(3)
    }

    fn be16(b: &[u8], at: usize) -> u16 {
        u16::from_be_bytes([b[at], b[at + 1]])
    }

    /// RFC 1071 the slow way, over an explicit byte string: the pseudo
    /// header (or nothing) followed by the covered bytes.
    fn rfc1071(bytes: &[u8]) -> u16 {
        let mut v = bytes.to_vec();
        if v.len() % 2 == 1 {
            v.push(0);
        }
        let mut s: u32 = 0;
        for i in (0..v.len()).step_by(2) {
            s += (u32::from(v[i]) << 8) | u32::from(v[i + 1]);
            s = (s & 0xffff) + (s >> 16);
        }
        !(s as u16)
    }

    /// Checks the IPv4 header at `l3` (real length `hlen`) and the L4
    /// checksum over the pseudo header; returns the L4 offset.
    fn check_ip(f: &[u8], l3: usize, hlen: usize, proto: Proto) -> usize {
        let ip = &f[l3..l3 + hlen];
        assert_eq!(ip[0] >> 4, 4, "version");
        assert_eq!(rfc1071(ip), 0, "IPv4 header checksum");
        assert_eq!(ip[9], proto.number());
        assert_eq!(&ip[12..16], &[10, 0, 2, 1]);
        assert_eq!(&ip[16..20], &[10, 0, 2, 2]);
        let l4 = l3 + hlen;
        let seg = &f[l4..];
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&ip[12..20]);
        pseudo.push(0);
        pseudo.push(proto.number());
        pseudo.extend_from_slice(&(seg.len() as u16).to_be_bytes());
        pseudo.extend_from_slice(seg);
        assert_eq!(rfc1071(&pseudo), 0, "L4 checksum over the pseudo header");
        assert_eq!(be16(seg, 0), 9);
        assert_eq!(be16(seg, 2), 4242);
        match proto {
            Proto::Udp => {
                assert_eq!(be16(seg, 4) as usize, seg.len(), "UDP length");
                assert_ne!(be16(seg, 6), 0, "UDP checksum present");
            }
            Proto::Tcp => {
                assert_eq!(seg[12] >> 4, 5, "TCP data offset");
                assert_eq!(seg[13], 0x10, "TCP flags: ACK only");
            }
            Proto::Icmp => panic!("check_ip is for UDP and TCP"),
        }
        l4
    }

    #[test]
    fn icmp_echo_request_and_its_reply() {
        let s = spec(Kind::Udp, Proto::Icmp, 98);
        let f = frame(&s, 0x1_0005);
        assert_eq!(f.len(), 98);
        assert_eq!(f[23], IPPROTO_ICMP);
        assert_eq!(rfc1071(&f[14..34]), 0, "IPv4 header checksum");
        let icmp = &f[34..];
        assert_eq!((icmp[0], icmp[1]), (ICMP_ECHO_REQUEST, 0));
        assert_eq!(rfc1071(icmp), 0, "ICMP checksum");
        assert_eq!(be16(icmp, 4), 9, "identifier: the source port");
        assert_eq!(be16(icmp, 6), 5, "sequence: the low 16 bits");
        check_payload(&icmp[8..], 0x1_0005);
        assert_eq!(s.seq_of(&f), Some(0x1_0005));

        // The stack's answer: addresses swapped, a header of its own.
        let mut r = f.clone();
        r[0..6].copy_from_slice(&f[6..12]);
        r[6..12].copy_from_slice(&f[0..6]);
        r[26..30].copy_from_slice(&f[30..34]);
        r[30..34].copy_from_slice(&f[26..30]);
        r[18..20].copy_from_slice(&[0xab, 0xcd]);
        r[24..26].fill(0);
        let c = rfc1071(&r[14..34]);
        r[24..26].copy_from_slice(&c.to_be_bytes());
        r[34] = ICMP_ECHO_REPLY;
        r[36..38].fill(0);
        let c = rfc1071(&r[34..]);
        r[36..38].copy_from_slice(&c.to_be_bytes());
        let flows = Flows::new(
            Range::one(0x0a00_0201),
            Range::one(0x0a00_0202),
            Range::one(9),
            Range::one(4242),
        );
        assert_eq!(s.verify(&flows, &r), Verdict::Intact(0x1_0005));
        let mut bad = r.clone();
        bad[97] ^= 1;
        assert_eq!(s.verify(&flows, &bad), Verdict::Corrupt, "data changed");
        let mut bad = r.clone();
        bad[36] ^= 1;
        assert_eq!(s.verify(&flows, &bad), Verdict::Corrupt, "ICMP checksum");
        let mut bounce = f.clone();
        bounce[0..6].copy_from_slice(&f[6..12]);
        bounce[6..12].copy_from_slice(&f[0..6]);
        assert_eq!(
            s.verify(&flows, &bounce),
            Verdict::Corrupt,
            "a request is no reply"
        );
    }

    #[test]
    fn a_bounce_is_intact_only_with_every_byte_as_sent() {
        let s = spec(Kind::Udp, Proto::Udp, 300);
        let flows = Flows::new(
            Range { lo: 1, hi: 3 },
            Range::one(0x0a00_0202),
            Range { lo: 9, hi: 10 },
            Range::one(4242),
        );
        let mut it = flows.clone();
        for seq in 0..20 {
            assert_eq!(flows.nth(seq), it.next_flow(), "flow {seq}");
            let mut f = Vec::new();
            s.build(&flows.nth(seq), seq, &mut f);
            let mut b = f.clone();
            b[0..6].copy_from_slice(&f[6..12]);
            b[6..12].copy_from_slice(&f[0..6]);
            assert_eq!(s.verify(&flows, &b), Verdict::Intact(seq));
            assert_eq!(s.verify(&flows, &f), Verdict::Corrupt, "MACs not swapped");
            let mut c = b.clone();
            c[299] ^= 0x80;
            assert_eq!(s.verify(&flows, &c), Verdict::Corrupt, "last byte");
            assert_eq!(s.verify(&flows, &b[..299]), Verdict::Corrupt, "cut short");
        }
    }

    fn check_payload(p: &[u8], seq: u64) {
        assert_eq!(u64::from_be_bytes(p[..8].try_into().unwrap()), seq);
        for (i, b) in p[8..].iter().enumerate() {
            assert_eq!(*b, PATTERN[i % PATTERN.len()], "pattern byte {i}");
        }
    }

    #[test]
    fn udp_frame() {
        for size in [50, 60, 61, 1000, 1514] {
            let f = frame(&spec(Kind::Udp, Proto::Udp, size), 0x0102_0304_0506_0708);
            assert_eq!(f.len(), size);
            assert_eq!(&f[0..6], &[0x52, 0x54, 0, 0, 0, 0x20]);
            assert_eq!(&f[6..12], &[0x52, 0x54, 0, 0, 0, 0xf0]);
            assert_eq!(be16(&f, 12), 0x0800);
            assert_eq!(f[14], 0x45);
            assert_eq!(be16(&f, 16) as usize, size - 14, "total length");
            assert_eq!(be16(&f, 20), 0, "no fragment flags");
            let l4 = check_ip(&f, 14, 20, Proto::Udp);
            check_payload(&f[l4 + 8..], 0x0102_0304_0506_0708);
        }
    }

    #[test]
    fn tcp_frame() {
        for size in [62, 64, 333, 1514] {
            let f = frame(&spec(Kind::Udp, Proto::Tcp, size), 77);
            assert_eq!(f.len(), size);
            assert_eq!(be16(&f, 16) as usize, size - 14);
            let l4 = check_ip(&f, 14, 20, Proto::Tcp);
            assert_eq!(&f[l4 + 4..l4 + 8], &77u32.to_be_bytes(), "TCP seq");
            check_payload(&f[l4 + 20..], 77);
        }
    }

    #[test]
    fn checksums_change_with_the_flow_and_seq() {
        // Many sequence numbers and odd sizes: each checksum verified.
        let s = spec(Kind::Udp, Proto::Udp, 77);
        let mut flows = Flows::new(
            Range {
                lo: 0x0a00_0201,
                hi: 0x0a00_0201,
            },
            Range::one(0x0a00_0202),
            Range::one(9),
            Range { lo: 4242, hi: 4242 },
        );
        for seq in [0, 1, 0xffff, 0xdead_beef_0000_ffff, u64::MAX] {
            let mut v = Vec::new();
            s.build(&flows.next_flow(), seq, &mut v);
            check_ip(&v, 14, 20, Proto::Udp);
        }
        let t = spec(Kind::Udp, Proto::Tcp, 63);
        for seq in 0..300 {
            check_ip(&frame(&t, seq), 14, 20, Proto::Tcp);
        }
    }

    #[test]
    fn vlan_layouts() {
        let mut s = spec(Kind::Vlan1, Proto::Udp, 60);
        s.vid = 0xabc;
        let f = frame(&s, 5);
        assert_eq!(f.len(), 60);
        assert_eq!(be16(&f, 12), 0x8100);
        assert_eq!(be16(&f, 14), 0x0abc, "TCI: PCP 0, DEI 0, VID");
        assert_eq!(be16(&f, 16), 0x0800);
        assert_eq!(be16(&f, 20) as usize, 60 - 18);
        let l4 = check_ip(&f, 18, 20, Proto::Udp);
        check_payload(&f[l4 + 8..], 5);

        let mut s = spec(Kind::Vlan2, Proto::Tcp, 100);
        s.vid = 10;
        s.vid2 = 4095;
        let f = frame(&s, 6);
        assert_eq!(be16(&f, 12), 0x88a8, "outer: 802.1ad");
        assert_eq!(be16(&f, 14), 10);
        assert_eq!(be16(&f, 16), 0x8100, "inner: 802.1Q");
        assert_eq!(be16(&f, 18), 4095);
        assert_eq!(be16(&f, 20), 0x0800);
        assert_eq!(be16(&f, 24) as usize, 100 - 22);
        check_ip(&f, 22, 20, Proto::Tcp);
        // The defaults.
        let f = frame(&spec(Kind::Vlan2, Proto::Udp, 60), 0);
        assert_eq!((be16(&f, 14), be16(&f, 18)), (10, 20));
    }

    #[test]
    fn bad_kinds_are_bad_in_one_way() {
        // runt: shorter than an Ethernet header, the start of one.
        for size in 1..14 {
            let f = frame(&spec(Kind::Runt, Proto::Udp, size), 0);
            assert_eq!(f.len(), size);
            let mut full = vec![0x52, 0x54, 0, 0, 0, 0x20, 0x52, 0x54, 0, 0, 0, 0xf0];
            full.extend_from_slice(&[8, 0]);
            assert_eq!(&f[..], &full[..size]);
        }

        // badihl: IHL 4, all else right (checksum over the 20 bytes).
        let f = frame(&spec(Kind::BadIhl, Proto::Udp, 60), 1);
        assert_eq!(f[14], 0x44);
        assert!(f[14] & 0x0f < 5);
        assert_eq!(be16(&f, 16), 46);
        check_ip(&f, 14, 20, Proto::Udp);

        // badtotlen: the total length says more than the frame holds.
        let f = frame(&spec(Kind::BadTotlen, Proto::Udp, 60), 1);
        assert_eq!(f[14], 0x45);
        let tot = be16(&f, 16) as usize;
        assert!(tot > f.len() - 14, "total length {tot}");
        assert_eq!(tot, 46 + BADTOTLEN_EXCESS);
        check_ip(&f, 14, 20, Proto::Udp);
        let f = frame(&spec(Kind::BadTotlen, Proto::Udp, 1514), 1);
        assert!(be16(&f, 16) as usize > 1500);

        // ipopts: IHL 6, 4 NOPs, checksums right.
        for proto in [Proto::Udp, Proto::Tcp] {
            let f = frame(&spec(Kind::IpOpts, proto, 80), 3);
            assert_eq!(f[14], 0x46);
            assert_eq!(&f[34..38], &[1, 1, 1, 1]);
            assert_eq!(be16(&f, 16), 80 - 14);
            check_ip(&f, 14, 24, proto);
        }

        // frag: MF set, offset 0, checksums right.
        let f = frame(&spec(Kind::Frag, Proto::Udp, 60), 1);
        let frag = be16(&f, 20);
        assert_eq!(frag & 0x2000, 0x2000, "MF");
        assert_eq!(frag & 0x4000, 0, "not DF");
        assert_eq!(frag & 0x1fff, 0, "offset 0");
        check_ip(&f, 14, 20, Proto::Udp);

        // nonip: the experimental ethertype, then the payload.
        let f = frame(&spec(Kind::NonIp, Proto::Udp, 60), 9);
        assert_eq!(be16(&f, 12), 0x88b5);
        check_payload(&f[14..], 9);

        // arp: a request, padded with zeros.
        let f = frame(&spec(Kind::Arp, Proto::Udp, 60), 9);
        assert_eq!(be16(&f, 12), 0x0806);
        let a = &f[14..];
        assert_eq!(&a[..8], &[0, 1, 8, 0, 6, 4, 0, 1]);
        assert_eq!(&a[8..14], &[0x52, 0x54, 0, 0, 0, 0xf0]);
        assert_eq!(&a[14..18], &[10, 0, 2, 1]);
        assert_eq!(&a[18..24], &[0; 6]);
        assert_eq!(&a[24..28], &[10, 0, 2, 2]);
        assert!(a[28..].iter().all(|b| *b == 0));

        // oversize: a good IPv4/UDP frame of any size up to 65535.
        for size in [1515, 9000, 65535] {
            let f = frame(&spec(Kind::Oversize, Proto::Udp, size), 2);
            assert_eq!(f.len(), size);
            assert_eq!(be16(&f, 16) as usize, size - 14);
            let l4 = check_ip(&f, 14, 20, Proto::Udp);
            check_payload(&f[l4 + 8..], 2);
        }
    }

    #[test]
    fn sizes_refused() {
        let cases = [
            (Kind::Udp, Proto::Udp, 49, 50, 1514),
            (Kind::Udp, Proto::Tcp, 61, 62, 1514),
            (Kind::Vlan1, Proto::Udp, 53, 54, 1518),
            (Kind::Vlan2, Proto::Udp, 57, 58, 1522),
            (Kind::Vlan2, Proto::Tcp, 69, 70, 1522),
            (Kind::IpOpts, Proto::Udp, 53, 54, 1514),
            (Kind::NonIp, Proto::Udp, 21, 22, 1514),
            (Kind::Arp, Proto::Udp, 41, 42, 1514),
            (Kind::Oversize, Proto::Udp, 49, 50, 65535),
        ];
        for (kind, proto, small, min, max) in cases {
            let s = |size| spec(kind, proto, size);
            let e = s(small).check().unwrap_err();
            assert!(
                e.contains("too small") && e.contains(&min.to_string()),
                "{e}"
            );
            s(min).check().unwrap();
            s(max).check().unwrap();
            let e = s(max + 1).check().unwrap_err();
            assert!(e.contains("too big"), "{e}");
        }
        assert!(spec(Kind::Runt, Proto::Udp, 14).check().is_err());
        assert!(spec(Kind::Runt, Proto::Udp, 0).check().is_err());
        assert!(spec(Kind::Udp, Proto::Udp, 1515)
            .check()
            .unwrap_err()
            .contains("oversize"));
    }

    #[test]
    fn default_sizes() {
        assert_eq!(spec(Kind::Udp, Proto::Udp, 0).default_size(), 60);
        assert_eq!(spec(Kind::Udp, Proto::Tcp, 0).default_size(), 62);
        assert_eq!(spec(Kind::Vlan2, Proto::Tcp, 0).default_size(), 70);
        assert_eq!(spec(Kind::Runt, Proto::Udp, 0).default_size(), 10);
        assert_eq!(spec(Kind::Arp, Proto::Tcp, 0).default_size(), 60);
    }

    #[test]
    fn flows_step_through_every_combination() {
        let mut f = Flows::new(
            Range {
                lo: 0x0a00_0001,
                hi: 0x0a00_0004,
            },
            Range::one(7),
            Range {
                lo: 65534,
                hi: 65535,
            },
            Range { lo: 1, hi: 3 },
        );
        assert_eq!(f.distinct(), 24);
        let first: Vec<Flow> = (0..24).map(|_| f.next_flow()).collect();
        let mut uniq = first.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), 24);
        assert_eq!(first[0].src_ip, 0x0a00_0001);
        assert_eq!(first[1].src_ip, 0x0a00_0002, "source IP moves fastest");
        assert_eq!((first[4].src_ip, first[4].sport), (0x0a00_0001, 65535));
        assert_eq!(first[8].dport, 2);
        assert_eq!(f.next_flow(), first[0], "and starts again");
        let all = Range {
            lo: 0,
            hi: u32::MAX,
        };
        assert_eq!(
            Flows::new(all, all, Range::one(0), Range::one(0)).distinct(),
            1 << 64
        );
    }
}
