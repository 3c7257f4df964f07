//! The XDP benchmark's lines (`tests/guest/xdp-bench.sh`) and the report
//! made of them.
//!
//! Each run is first proven or thrown out: the counts of one run come
//! from different places (the generator, the NIC's `rx_packets`, the
//! program's own map, the driver's verdict counter, the stack's IPv4
//! InReceives, the kernel's XDP tracepoints, the other NICs), and a run
//! whose counts disagree is invalid and used for nothing (see
//! [`Run::check`]). Of the valid runs, round 1 (a warm-up) is dropped; per
//! configuration, driver, mode and case the report gives the median and a
//! distribution-free 95 % interval of the median, and the ratios between
//! drivers and modes paired round by round (the two runs of one round ran
//! in the same minute of the same boot), again with a 95 % interval.
//!
//! ```text
//! @@XDP-BENCH cfg=default driver=rs mode=drv case=drop run=1 cb=0 sent=909984 rx=909984 prog=909984 act=909984 act_err=0 back=0 fwd=0 ipin=0 exc=0 rerr=0 dm_sent=0 dm_drops=0 ns=1000038617 gns=1070000000 sirq_ns=800000000 sirq_runs=14000 sirq_cpu_ns=800000000,0
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The seed's figures for native against generic XDP (one mlx5 NIC, one
/// CPU): XDP_DROP in the driver without touching the frame, and reading
/// it, against generic XDP_DROP (which reads it).
pub const SEED_NATIVE_NO_TOUCH: f64 = 19_803_663.0;
pub const SEED_NATIVE_READ: f64 = 12_006_685.0;
pub const SEED_GENERIC_READ: f64 = 8_413_417.0;

/// One run of one case.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Run {
    /// The QEMU device configuration (`default`, or `like`: both drivers
    /// offered the same features); `default` in logs that predate it.
    pub cfg: String,
    pub driver: String,
    pub mode: String,
    pub case: String,
    pub run: u32,
    /// Which boot of the log the run is from, 0 first: a log of several
    /// boots is their console logs one after the other, each from its
    /// `@@PKRS-BOOTED` line ([`parse_log`]). Rounds are numbered within
    /// a boot, and each boot's round 1 is its warm-up.
    pub boot: u32,
    /// Frames the generator wrote, in `ns` host nanoseconds.
    pub sent: u64,
    /// The NIC's rx_packets over the same send.
    pub rx: u64,
    /// Frames the program counted in its own map (None: no program, or a
    /// log that predates the count).
    pub prog: Option<u64>,
    /// The driver's count of the case's verdict, and of those the frames
    /// the verdict failed for (None where the driver has none).
    pub act: Option<u64>,
    pub act_err: Option<u64>,
    /// Frames that came back to the generator (intact, MACs swapped).
    pub back: u64,
    /// Frames the peer NIC received (a redirect's).
    pub fwd: u64,
    /// IPv4 InReceives over the run.
    pub ipin: Option<u64>,
    /// ndo_xdp_xmit's sent and dropped frames (xdp_devmap_xmit).
    pub dm_sent: Option<u64>,
    pub dm_drops: Option<u64>,
    /// The xdp_exception and xdp_redirect_err tracepoints over the run.
    pub exc: Option<u64>,
    pub rerr: Option<u64>,
    pub ns: u64,
    /// Guest nanoseconds of the send (instructions with -icount shift=0).
    pub gns: u64,
    /// Nanoseconds in the NET_RX softirq over the send, all CPUs.
    pub sirq_ns: Option<u64>,
    /// xdp_exception by the verdict it reports (XDP_ABORTED, DROP, PASS,
    /// TX, REDIRECT, other); None in logs that predate the split.
    pub exc_act: Option<Vec<u64>>,
    /// Of sirq_ns, the peer NIC's NAPI polls (what a redirect's frames
    /// cost the receiving side); None where not measured.
    pub peer_ns: Option<u64>,
    /// The RX watchdog's polls that found frames over the run (interrupts
    /// the driver lost and made up for, a second late); None where the
    /// driver has none, or in logs that predate the watchdog.
    pub wd: Option<u64>,
    /// The line has the fields of the per-run proof.
    pub proved_fields: bool,
    /// Why the line could not be read (a missing or malformed field): the
    /// run is invalid, the rest of the log still counts.
    pub bad: Option<String>,
}

/// xdp_exception_act's slot of XDP_TX (enum xdp_action).
const EXC_TX: usize = 3;

/// Parses one `@@XDP-BENCH` line; `None` for other lines. A line that
/// cannot be read whole is still a run: an invalid one ([`Run::bad`]),
/// named by whatever of cfg, driver, mode, case and run it has ("?" for
/// the rest), so that one broken line costs one run, not the log.
pub fn parse_line(line: &str) -> Result<Option<Run>, String> {
    let Some(rest) = line.trim_end().strip_prefix("@@XDP-BENCH ") else {
        return Ok(None);
    };
    match parse_fields(rest) {
        Ok(r) => Ok(Some(r)),
        Err(e) => {
            let word = |k: &str| {
                rest.split_whitespace()
                    .find_map(|w| w.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
            };
            Ok(Some(Run {
                cfg: word("cfg").unwrap_or("default").to_string(),
                driver: word("driver").unwrap_or("?").to_string(),
                mode: word("mode").unwrap_or("?").to_string(),
                case: word("case").unwrap_or("?").to_string(),
                run: word("run").and_then(|v| v.parse().ok()).unwrap_or(0),
                bad: Some(e),
                ..Run::default()
            }))
        }
    }
}

fn parse_fields(rest: &str) -> Result<Run, String> {
    let mut kv = BTreeMap::new();
    for w in rest.split_whitespace() {
        let (k, v) = w.split_once('=').ok_or(format!("not key=value: {w:?}"))?;
        if kv.insert(k, v).is_some() {
            return Err(format!("{k} twice"));
        }
    }
    let s = |k: &str| -> Result<String, String> {
        kv.get(k).map(|v| v.to_string()).ok_or(format!("no {k}="))
    };
    let n = |k: &str| -> Result<u64, String> {
        s(k)?.parse().map_err(|_| format!("{k} is not a number"))
    };
    // A count that may be absent or "-".
    let opt = |k: &str| -> Result<Option<u64>, String> {
        match kv.get(k) {
            None | Some(&"-") => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("{k} is not a number")),
        }
    };
    let run = Run {
        cfg: kv.get("cfg").unwrap_or(&"default").to_string(),
        driver: s("driver")?,
        mode: s("mode")?,
        case: s("case")?,
        run: u32::try_from(n("run")?).map_err(|_| "run out of range")?,
        boot: 0,
        sent: n("sent")?,
        rx: n("rx")?,
        prog: opt("prog")?,
        act: opt("act")?,
        act_err: opt("act_err")?,
        back: n("back")?,
        fwd: opt("fwd")?.unwrap_or(0),
        ipin: opt("ipin")?,
        dm_sent: opt("dm_sent")?,
        dm_drops: opt("dm_drops")?,
        exc: opt("exc")?,
        rerr: opt("rerr")?,
        ns: n("ns")?,
        gns: n("gns")?,
        sirq_ns: opt("sirq_ns")?,
        exc_act: match kv.get("exc_act") {
            None | Some(&"-") => None,
            Some(v) => Some(
                v.split(',')
                    .map(|x| x.parse().map_err(|_| "exc_act is not a list of numbers"))
                    .collect::<Result<Vec<u64>, _>>()?,
            ),
        },
        peer_ns: opt("peer_ns")?,
        wd: opt("wd")?,
        proved_fields: ["prog", "act", "act_err", "ipin", "sirq_ns"]
            .iter()
            .all(|k| kv.contains_key(k)),
        bad: None,
    };
    if run.ns == 0 {
        return Err("ns=0".into());
    }
    if run.exc_act.as_ref().is_some_and(|v| v.len() != 6) {
        return Err("exc_act has not 6 verdicts".into());
    }
    Ok(run)
}

/// The first `@@XDP-BENCH-INFO` line's KEY=VALUE words.
pub fn info(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .find_map(|l| l.trim_end().strip_prefix("@@XDP-BENCH-INFO "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|w| w.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The virtio features of every `@@XDP-BENCH-DEV` line of `driver`, bit
/// by bit (sysfs prints them as a string of 0 and 1, bit 0 first).
pub fn dev_features(text: &str, driver: &str) -> Vec<Vec<bool>> {
    text.lines()
        .filter_map(|l| l.trim_end().strip_prefix("@@XDP-BENCH-DEV "))
        .filter(|l| {
            l.split_whitespace()
                .any(|w| w == format!("driver={driver}"))
        })
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("features="))
                .map(|f| f.chars().map(|c| c == '1').collect())
        })
        .collect()
}

/// Every run in a console log, each with its boot: every `@@PKRS-BOOTED`
/// line after the first starts the next.
pub fn parse_log(text: &str) -> Result<Vec<Run>, String> {
    let mut out = Vec::new();
    let mut booted = 0u32;
    for line in text.lines() {
        if line.contains("@@PKRS-BOOTED") {
            booted += 1;
        }
        if let Some(mut r) = parse_line(line).map_err(|e| format!("{line:?}: {e}"))? {
            r.boot = booted.saturating_sub(1);
            out.push(r);
        }
    }
    Ok(out)
}

/// The runs of several logs as one measurement: the boots of the second
/// log follow those of the first, and so on (a log without a
/// `@@PKRS-BOOTED` line counts as one boot).
pub fn join_logs(logs: Vec<Vec<Run>>) -> Vec<Run> {
    let mut out = Vec::new();
    let mut next = 0;
    for mut l in logs {
        let n = l.iter().map(|r| r.boot + 1).max().unwrap_or(0);
        for r in &mut l {
            r.boot += next;
        }
        next += n;
        out.extend(l);
    }
    out
}

/// The boots the used runs of configuration `cfg` come from.
pub fn boots(runs: &[Run], cfg: &str) -> usize {
    let mut b: Vec<u32> = used(runs)
        .iter()
        .filter(|r| r.cfg == cfg)
        .map(|r| r.boot)
        .collect();
    b.sort_unstable();
    b.dedup();
    b.len()
}

/// The values an interval is taken over. Of one boot: the runs (rounds)
/// themselves; their interval says how well that boot's median is known,
/// not how much the next boot moves. Of several boots: one value per
/// boot, the median of its runs, so that the interval is one of the
/// median over boots: boots are independent, the rounds of one boot are
/// not.
fn units(runs: &[&Run], per_boot: bool, f: impl Fn(&Run) -> Option<f64>) -> Vec<f64> {
    if !per_boot {
        return runs.iter().filter_map(|r| f(r)).collect();
    }
    let mut by: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for r in runs {
        if let Some(v) = f(r) {
            by.entry(r.boot).or_default().push(v);
        }
    }
    by.values().map(|v| median(v)).collect()
}

impl Run {
    /// Whether the run proves its verdict: `Err` says the first count that
    /// disagrees.
    ///
    /// - every frame sent was received: `rx == sent` (the generator waits
    ///   for QEMU, and QEMU for the guest's buffers: nothing is lost on the
    ///   way in, and the counts are read 0.3 s after the send, when nothing
    ///   is in flight);
    /// - the program saw every frame received (`prog == rx`), and the
    ///   driver counted the verdict for each (`act == rx`), where those
    ///   exist;
    /// - the frames went where the verdict sends them: to the stack for
    ///   none and XDP_PASS (`ipin == rx`), nowhere near it otherwise
    ///   (`ipin == 0`); back to the generator for XDP_TX (`back == rx -
    ///   act_err`); out of the other NIC for XDP_REDIRECT (native: what
    ///   the xdp_devmap_xmit tracepoint says ndo_xdp_xmit sent and
    ///   dropped, `dm_sent + dm_drops == rx - act_err`; and the peer
    ///   received what was sent, `fwd == dm_sent`).
    pub fn check(&self) -> Result<(), String> {
        if let Some(b) = &self.bad {
            return Err(format!("unreadable line: {b}"));
        }
        if !self.proved_fields {
            return Err("the line has no per-run counts (a log older than the check)".into());
        }
        let eq = |what: &str, a: u64, b: u64| {
            if a == b {
                Ok(())
            } else {
                Err(format!("{what}: {a} != {b}"))
            }
        };
        eq("rx = sent", self.rx, self.sent)?;
        // A rescue means the ring stood still for up to two seconds of the
        // run: its rate is the stall's, not the driver's.
        if let Some(w) = self.wd.filter(|&w| w > 0) {
            return Err(format!(
                "the RX watchdog polled {w} times: an interrupt was lost"
            ));
        }
        let floor = self.driver == "rs-floor";
        if let Some(p) = self.prog {
            eq("prog = rx", p, self.rx)?;
        } else if self.case != "none" {
            return Err("no program count".into());
        }
        if let Some(a) = self.act {
            eq("act = rx", a, self.rx)?;
        } else if self.mode == "drv" && self.case != "none" {
            return Err("no verdict count".into());
        }
        // The peer's polls are part of the softirq's time.
        if let (Some(p), Some(t)) = (self.peer_ns, self.sirq_ns) {
            if p > t {
                return Err(format!("peer_ns <= sirq_ns: {p} > {t}"));
            }
        }
        let ipin = self.ipin.ok_or("no IPv4 InReceives")?;
        match self.case.as_str() {
            "none" | "pass" if !floor => eq("ipin = rx", ipin, self.rx)?,
            _ => eq("ipin = 0", ipin, 0)?,
        }
        // xdp_exception split by verdict: the parts add up to the whole,
        // and in XDP_TX and XDP_REDIRECT runs only a failed transmit (the
        // verdict XDP_TX) may be one: an aborted or unknown verdict is not
        // a full queue, whatever else the counts say.
        if let (Some(v), Some(x)) = (&self.exc_act, self.exc) {
            eq("xdp_exception = the sum over verdicts", v.iter().sum(), x)?;
            if matches!(self.case.as_str(), "tx" | "redirect") {
                eq("xdp_exception = those of XDP_TX", v[EXC_TX], x)?;
            }
        }
        // Generic XDP has no driver counter of failed verdicts: the
        // kernel's tracepoints count them. generic_xdp_tx() traces a full
        // queue as xdp_exception (verdict XDP_TX), for XDP_TX and
        // XDP_REDIRECT alike; a redirect the map refused is an
        // xdp_redirect_err.
        let generic_err = |case: &str| -> Result<Option<u64>, String> {
            let x = self.exc.ok_or("no xdp_exception count")?;
            let x = self.exc_act.as_ref().map_or(x, |v| v[EXC_TX]);
            let r = self.rerr.ok_or("no xdp_redirect_err count")?;
            Ok(Some(if case == "tx" { x } else { x + r }))
        };
        let act_err = if self.mode == "generic" && matches!(self.case.as_str(), "tx" | "redirect") {
            generic_err(&self.case)?
        } else {
            self.act_err
        };
        if act_err.is_some_and(|e| e > self.rx) {
            return Err(format!(
                "failed verdicts {} > rx {}",
                act_err.unwrap_or(0),
                self.rx
            ));
        }
        // Outside XDP_TX and XDP_REDIRECT no verdict may fail: an
        // xdp_exception (an aborted or unknown verdict) or a failed
        // redirect would mean the frames did not all meet the case's
        // verdict, whatever the other counts say.
        if !matches!(self.case.as_str(), "tx" | "redirect") {
            if let Some(x) = self.exc.filter(|x| *x > 0) {
                return Err(format!("xdp_exception = 0: {x} != 0"));
            }
            if let Some(x) = self.rerr.filter(|x| *x > 0) {
                return Err(format!("xdp_redirect_err = 0: {x} != 0"));
            }
        }
        match self.case.as_str() {
            "tx" => {
                let e = act_err.ok_or("no count of failed XDP_TX")?;
                eq("back = rx - act_err", self.back, self.rx - e)?;
            }
            "redirect" => {
                let e = act_err.ok_or("no count of failed XDP_REDIRECT")?;
                if self.mode == "drv" {
                    let s = self.dm_sent.ok_or("no ndo_xdp_xmit count")?;
                    let d = self.dm_drops.ok_or("no ndo_xdp_xmit drop count")?;
                    eq("dm_sent + dm_drops = rx - act_err", s + d, self.rx - e)?;
                    eq("fwd = dm_sent", self.fwd, s)?;
                } else {
                    eq("fwd = rx - act_err", self.fwd, self.rx - e)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub fn pps(&self) -> f64 {
        self.sent as f64 * 1e9 / self.ns as f64
    }

    /// Guest ns (instructions with ICOUNT=1) per frame: the NET_RX
    /// softirq's when the line has it, without the peer NIC's NAPI polls
    /// where those were measured; else the whole machine's.
    pub fn cost(&self) -> f64 {
        let ns = match self.sirq_ns {
            Some(s) => s.saturating_sub(self.peer_ns.unwrap_or(0)),
            None => self.gns,
        };
        ns as f64 / self.rx.max(1) as f64
    }
}

/// The median of a non-empty list (the mean of the two middle values for
/// an even count).
pub fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A distribution-free 95 % interval of the median of `v`: the order
/// statistics x(k) and x(n+1-k), k the largest with P(B < k) <= 2.5 % for
/// B ~ Binomial(n, 1/2). None below 6 values (no such k).
pub fn ci95(v: &[f64]) -> Option<(f64, f64)> {
    let n = v.len();
    if n < 6 {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    // P(B <= j) for j = 0, 1, ...; k - 1 is the largest j with it <= 2.5 %.
    let mut cdf = 0.0;
    let mut c = 1.0f64; // C(n, j)
    let mut k = 0usize;
    for j in 0..n {
        cdf += c * 0.5f64.powi(n as i32);
        if cdf > 0.025 {
            break;
        }
        k = j + 1;
        c = c * (n - j) as f64 / (j + 1) as f64;
    }
    (k >= 1).then(|| (s[k - 1], s[n - k]))
}

/// The runs of one configuration, driver, mode and case, summarised.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub cfg: String,
    pub driver: String,
    pub mode: String,
    pub case: String,
    /// Runs in the log, and of those the valid ones past round 1 (the
    /// ones used), and the boots those came from (with more than one,
    /// medians and intervals are over the boots' medians: [`units`]).
    pub total: usize,
    pub runs: usize,
    pub boots: usize,
    /// Why runs were invalid: the first reason of each, counted.
    pub invalid: BTreeMap<String, usize>,
    /// Frames per second by the generator's count: median, min, max and
    /// the 95 % interval of the median.
    pub pps: f64,
    pub pps_min: f64,
    pub pps_max: f64,
    pub pps_ci: Option<(f64, f64)>,
    /// Host nanoseconds per frame (1e9 / median pps).
    pub ns_per_pkt: f64,
    /// Guest ns per frame (instructions with ICOUNT=1), the NET_RX
    /// softirq's when measured (`softirq`), else the whole machine's:
    /// median and 95 % interval.
    pub gns_per_pkt: f64,
    pub gns_ci: Option<(f64, f64)>,
    pub softirq: bool,
    /// Frames back and forwarded per frame sent (XDP_TX, XDP_REDIRECT).
    pub back_ratio: f64,
    pub fwd_ratio: f64,
    /// Frames forwarded per second (a redirect's delivered rate, `fwd` over
    /// `ns`): median and 95 % interval; 0 where nothing was forwarded.
    pub fwd_pps: f64,
    pub fwd_pps_ci: Option<(f64, f64)>,
}

type Key = (String, String, String, String);

fn key(r: &Run) -> Key {
    (
        r.cfg.clone(),
        r.driver.clone(),
        r.mode.clone(),
        r.case.clone(),
    )
}

/// The runs used: valid, past round 1 of their boot (when there is more
/// than one round).
fn used(runs: &[Run]) -> Vec<&Run> {
    let multi = runs.iter().any(|r| r.run > 1);
    runs.iter()
        .filter(|r| r.check().is_ok() && (!multi || r.run > 1))
        .collect()
}

/// Summaries in the order the cases first appear in the log.
pub fn summarise(runs: &[Run]) -> Vec<Summary> {
    let mut order: Vec<Key> = Vec::new();
    let mut all: BTreeMap<Key, Vec<&Run>> = BTreeMap::new();
    for r in runs {
        let k = key(r);
        if !all.contains_key(&k) {
            order.push(k.clone());
        }
        all.entry(k).or_default().push(r);
    }
    let good = used(runs);
    order
        .into_iter()
        .map(|k| {
            let per_boot = boots(runs, &k.0) > 1;
            let g: Vec<&Run> = good.iter().copied().filter(|r| key(r) == k).collect();
            let mut invalid = BTreeMap::new();
            for r in &all[&k] {
                if let Err(e) = r.check() {
                    // The reason without its numbers, so that like ones add up.
                    let why = e.split(':').next().unwrap_or(&e).to_string();
                    *invalid.entry(why).or_insert(0) += 1;
                }
            }
            let raw: Vec<f64> = g.iter().map(|r| r.pps()).collect();
            let pps = units(&g, per_boot, |r| Some(r.pps()));
            let cost = units(&g, per_boot, |r| Some(r.cost()));
            let fwd_pps = units(&g, per_boot, |r| Some(r.fwd as f64 * 1e9 / r.ns as f64));
            let mut gb: Vec<u32> = g.iter().map(|r| r.boot).collect();
            gb.sort_unstable();
            gb.dedup();
            let frac = |f: fn(&Run) -> u64| -> f64 {
                if g.is_empty() {
                    0.0
                } else {
                    median(
                        &g.iter()
                            .map(|r| f(r) as f64 / r.sent.max(1) as f64)
                            .collect::<Vec<_>>(),
                    )
                }
            };
            let m = if pps.is_empty() { 0.0 } else { median(&pps) };
            Summary {
                cfg: k.0.clone(),
                driver: k.1.clone(),
                mode: k.2.clone(),
                case: k.3.clone(),
                total: all[&k].len(),
                runs: g.len(),
                boots: gb.len(),
                invalid,
                pps: m,
                pps_min: raw.iter().copied().fold(f64::INFINITY, f64::min).min(m),
                pps_max: raw.iter().copied().fold(0.0, f64::max),
                pps_ci: ci95(&pps),
                ns_per_pkt: if m > 0.0 { 1e9 / m } else { 0.0 },
                gns_per_pkt: if cost.is_empty() { 0.0 } else { median(&cost) },
                gns_ci: ci95(&cost),
                softirq: !g.is_empty() && g.iter().all(|r| r.sirq_ns.is_some()),
                back_ratio: frac(|r| r.back),
                fwd_ratio: frac(|r| r.fwd),
                fwd_pps: if fwd_pps.is_empty() {
                    0.0
                } else {
                    median(&fwd_pps)
                },
                fwd_pps_ci: ci95(&fwd_pps),
            }
        })
        .collect()
}

/// A ratio between two rows, paired round by round.
#[derive(Clone, Debug, PartialEq)]
pub struct Paired {
    pub cfg: String,
    pub case: String,
    /// "rs/virtio_net", "rs native/generic", ...
    pub what: String,
    /// pps of a over pps of b; cost of b over cost of a (so that above 1
    /// means a is faster or cheaper): median over the rounds, 95 %
    /// interval, rounds paired.
    pub pps: f64,
    pub pps_ci: Option<(f64, f64)>,
    pub cost: f64,
    pub cost_ci: Option<(f64, f64)>,
    /// Rounds paired, and the boots they came from: with more than one
    /// boot, the median and interval are over the boots' medians.
    pub rounds: usize,
    pub boots: usize,
}

/// A row: (driver, mode).
type Row = (&'static str, &'static str);

/// The pairs the report compares: (label, row a, row b).
const PAIRS: [(&str, Row, Row); 7] = [
    ("rs/virtio_net", ("rs", "drv"), ("virtio_net", "drv")),
    ("c/virtio_net", ("c", "drv"), ("virtio_net", "drv")),
    ("rs/c", ("rs", "drv"), ("c", "drv")),
    ("rs native/generic", ("rs", "drv"), ("rs", "generic")),
    ("c native/generic", ("c", "drv"), ("c", "generic")),
    (
        "virtio_net native/generic",
        ("virtio_net", "drv"),
        ("virtio_net", "generic"),
    ),
    ("rs-floor/rs", ("rs-floor", "drv"), ("rs", "drv")),
];

/// Every pair of [`PAIRS`] the runs have, per configuration and case.
pub fn paired(runs: &[Run]) -> Vec<Paired> {
    let good = used(runs);
    let mut cfgs: Vec<&str> = Vec::new();
    let mut cases: Vec<&str> = Vec::new();
    for r in runs {
        if !cfgs.contains(&r.cfg.as_str()) {
            cfgs.push(&r.cfg);
        }
        if !cases.contains(&r.case.as_str()) {
            cases.push(&r.case);
        }
    }
    let mut out = Vec::new();
    for cfg in &cfgs {
        let per_boot = boots(runs, cfg) > 1;
        for case in &cases {
            for (what, a, b) in PAIRS {
                // The floor has only the case none; it is compared with rs's none.
                let find = |(d, m): (&str, &str), (boot, round): (u32, u32)| {
                    good.iter().find(|r| {
                        r.cfg == *cfg
                            && r.driver == d
                            && r.mode == m
                            && r.case == *case
                            && r.boot == boot
                            && r.run == round
                    })
                };
                // The ratios of each round, by boot: the two runs of one
                // round ran in the same minute of the same boot.
                let mut pps: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
                let mut cost: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
                let mut rounds: Vec<(u32, u32)> = good.iter().map(|r| (r.boot, r.run)).collect();
                rounds.sort_unstable();
                rounds.dedup();
                let mut n = 0;
                for round in rounds {
                    if let (Some(x), Some(y)) = (find(a, round), find(b, round)) {
                        n += 1;
                        pps.entry(round.0).or_default().push(x.pps() / y.pps());
                        if x.cost() > 0.0 {
                            cost.entry(round.0).or_default().push(y.cost() / x.cost());
                        }
                    }
                }
                if n == 0 {
                    continue;
                }
                // One boot: the rounds are the values; several: each
                // boot's median is one (see [`units`]).
                let flat = |m: &BTreeMap<u32, Vec<f64>>| -> Vec<f64> {
                    if per_boot {
                        m.values().map(|v| median(v)).collect()
                    } else {
                        m.values().flatten().copied().collect()
                    }
                };
                let (pb, pps, cost) = (pps.len(), flat(&pps), flat(&cost));
                out.push(Paired {
                    cfg: cfg.to_string(),
                    case: case.to_string(),
                    what: what.to_string(),
                    pps: median(&pps),
                    pps_ci: ci95(&pps),
                    cost: if cost.is_empty() { 0.0 } else { median(&cost) },
                    cost_ci: ci95(&cost),
                    rounds: n,
                    boots: pb,
                });
            }
        }
    }
    out
}

fn interval(ci: Option<(f64, f64)>, prec: usize) -> String {
    match ci {
        Some((a, b)) => format!("[{a:.prec$}, {b:.prec$}]"),
        None => "[-]".into(),
    }
}

/// Whether two runs of the benchmark agree: for every pair, case and
/// configuration both have, the two 95 % intervals of the pps ratio
/// overlap, and so do those of the cost ratio. Returns one line per
/// comparison ("agree" or "DISAGREE", with both intervals) and whether
/// all agree; a comparison where either side has no interval counts as a
/// disagreement (it cannot show agreement). Each line also says whether
/// the two verdicts ([`verdict`]) are the same: intervals narrower than
/// what moves between boots (instruction counts) can miss each other
/// while both say "ahead".
///
/// The cost leaves the peer NIC's polls out only when both logs measured
/// them (`peer_ns`): otherwise both are compared with them in.
pub fn agree(a: &[Run], b: &[Run]) -> (Vec<String>, bool) {
    let x = agreement(a, b);
    (x.lines, x.ok)
}

/// [`agree`]'s comparison, with its counts.
#[derive(Clone, Debug, Default)]
pub struct Agreement {
    /// One line per comparison, those that disagree marked DISAGREE.
    pub lines: Vec<String>,
    /// Every comparison's intervals overlap (and there is one at least).
    pub ok: bool,
    /// Comparisons whose intervals overlap, and whose verdicts are the
    /// same (of `lines.len()`).
    pub overlap: usize,
    pub same_verdict: usize,
}

/// See [`agree`].
pub fn agreement(a: &[Run], b: &[Run]) -> Agreement {
    let has_peer = |v: &[Run]| v.iter().any(|r| r.peer_ns.is_some());
    let strip = |v: &[Run]| -> Vec<Run> {
        v.iter()
            .cloned()
            .map(|mut r| {
                r.peer_ns = None;
                r
            })
            .collect()
    };
    let (a, b) = if has_peer(a) && has_peer(b) {
        (a.to_vec(), b.to_vec())
    } else {
        (strip(a), strip(b))
    };
    let (pa, pb) = (paired(&a), paired(&b));
    let mut lines = Vec::new();
    let mut ok = true;
    let (mut overlaps, mut sames) = (0, 0);
    let overlap = |x: Option<(f64, f64)>, y: Option<(f64, f64)>| match (x, y) {
        (Some((x0, x1)), Some((y0, y1))) => x0 <= y1 && y0 <= x1,
        _ => false,
    };
    let ci = |c: Option<(f64, f64)>| match c {
        Some((l, h)) => format!("[{l:.3}-{h:.3}]"),
        None => "[-]".into(),
    };
    for x in &pa {
        let Some(y) = pb
            .iter()
            .find(|y| y.cfg == x.cfg && y.case == x.case && y.what == x.what)
        else {
            // A comparison the second log cannot make (its runs of one
            // side all invalid, or missing) shows no agreement.
            ok = false;
            lines.push(format!(
                "{:<8} {:<10} {:<26} not in the second log: DISAGREE",
                x.cfg, x.case, x.what
            ));
            continue;
        };
        for (k, xv, xc, yv, yc) in [
            ("pps", x.pps, x.pps_ci, y.pps, y.pps_ci),
            ("cost", x.cost, x.cost_ci, y.cost, y.cost_ci),
        ] {
            let good = overlap(xc, yc);
            ok &= good;
            // The verdicts (ahead, behind, no difference shown) of both, a
            // weaker test than the overlap, said beside it.
            let same = verdict(xc) == verdict(yc) && xc.is_some();
            overlaps += usize::from(good);
            sames += usize::from(same);
            lines.push(format!(
                "{:<8} {:<10} {:<26} {:<5} {:>7.3} {:<15} {:>7.3} {:<15} {:<13} {}",
                x.cfg,
                x.case,
                x.what,
                k,
                xv,
                ci(xc),
                yv,
                ci(yc),
                if same {
                    "same verdict"
                } else {
                    "verdict DIFFERS"
                },
                if good { "agree" } else { "DISAGREE" }
            ));
        }
    }
    for y in &pb {
        if !pa
            .iter()
            .any(|x| x.cfg == y.cfg && x.case == y.case && x.what == y.what)
        {
            ok = false;
            lines.push(format!(
                "{:<8} {:<10} {:<26} not in the first log: DISAGREE",
                y.cfg, y.case, y.what
            ));
        }
    }
    if lines.is_empty() {
        ok = false;
    }
    Agreement {
        lines,
        ok,
        overlap: overlaps,
        same_verdict: sames,
    }
}

/// What a paired interval says at 95 %: above 1, below 1, or neither.
pub fn verdict(ci: Option<(f64, f64)>) -> &'static str {
    match ci {
        Some((a, _)) if a > 1.0 => "ahead",
        Some((_, b)) if b < 1.0 => "behind",
        Some(_) => "no difference shown",
        None => "too few for an interval",
    }
}

/// The report: per configuration the table (valid runs, medians,
/// intervals), the paired ratios with their intervals and verdicts, the
/// seed's two ratios beside ours, and one parseable `xdp_result` /
/// `xdp_ratio` line per row.
pub fn report(runs: &[Run]) -> String {
    let s = summarise(runs);
    let p = paired(runs);
    let mut o = String::new();
    let softirq = s.iter().any(|x| x.softirq);
    let cost_head = if softirq {
        "softirq ns/frame [95%]"
    } else {
        "guest ns/frame [95%]"
    };
    let mut cfgs: Vec<&str> = Vec::new();
    for x in &s {
        if !cfgs.contains(&x.cfg.as_str()) {
            cfgs.push(&x.cfg);
        }
    }
    for cfg in &cfgs {
        let nb = boots(runs, cfg);
        let unit = if nb > 1 { "boots" } else { "rounds" };
        let _ = writeln!(o, "configuration {cfg}:");
        let _ = if nb > 1 {
            writeln!(
                o,
                "{nb} boots: each value a boot's median (of its valid rounds past its first); \
                 medians and 95 % intervals over the boots (an interval needs 6 boots at least)"
            )
        } else {
            writeln!(
                o,
                "one boot: medians and 95 % intervals over its rounds; they do not cover \
                 how much the next boot moves (several boots: scripts/xdp-bench.sh --boots)"
            )
        };
        let _ = writeln!(
            o,
            "{:<11} {:<7} {:<10} {:>9} {:>21} {:>9} {:>23} {:>5} {:>5} {:>7}",
            "driver", "mode", "case", "pps", "[95%]", "ns/pkt", cost_head, "back", "fwd", "valid"
        );
        for x in s.iter().filter(|x| x.cfg == *cfg) {
            let _ = writeln!(
                o,
                "{:<11} {:<7} {:<10} {:>9.0} {:>21} {:>9.0} {:>23} {:>5.2} {:>5.2} {:>7}",
                x.driver,
                x.mode,
                x.case,
                x.pps,
                interval(x.pps_ci, 0),
                x.ns_per_pkt,
                format!("{:.0} {}", x.gns_per_pkt, interval(x.gns_ci, 0)),
                x.back_ratio,
                x.fwd_ratio,
                format!("{}/{}", x.runs, x.total)
            );
            if x.case == "redirect" {
                let _ = writeln!(
                    o,
                    "    delivered (frames out of the other NIC): {:.0} pps {}",
                    x.fwd_pps,
                    interval(x.fwd_pps_ci, 0)
                );
            }
            for (why, n) in &x.invalid {
                let _ = writeln!(o, "    {n} invalid: {why}");
            }
        }
        let pc: Vec<&Paired> = p.iter().filter(|x| x.cfg == *cfg).collect();
        if !pc.is_empty() {
            let _ = writeln!(
                o,
                "paired ratios, median over {unit} [95%]: pps a/b (above 1: a faster), cost b/a (above 1: a cheaper)"
            );
            let _ = writeln!(
                o,
                "{:<10} {:<26} {:>6} {:>16} {:>6} {:>16} {:>6} {:>5}  verdict (pps; cost)",
                "case", "a/b", "pps", "[95%]", "cost", "[95%]", "rounds", "boots"
            );
            for x in pc {
                let _ = writeln!(
                    o,
                    "{:<10} {:<26} {:>6.2} {:>16} {:>6.2} {:>16} {:>6} {:>5}  {}; {}",
                    x.case,
                    x.what,
                    x.pps,
                    interval(x.pps_ci, 2),
                    x.cost,
                    interval(x.cost_ci, 2),
                    x.rounds,
                    x.boots,
                    verdict(x.pps_ci),
                    verdict(x.cost_ci)
                );
            }
        }
    }
    let _ = writeln!(
        o,
        "the seed (mlx5, one CPU), native/generic XDP_DROP: no touch {:.2} ({:.0}/{:.0}), reading the frame {:.2} ({:.0}/{:.0})",
        SEED_NATIVE_NO_TOUCH / SEED_GENERIC_READ,
        SEED_NATIVE_NO_TOUCH,
        SEED_GENERIC_READ,
        SEED_NATIVE_READ / SEED_GENERIC_READ,
        SEED_NATIVE_READ,
        SEED_GENERIC_READ
    );
    for (label, case) in [("no touch", "drop"), ("reading", "drop_read")] {
        for x in p
            .iter()
            .filter(|x| x.case == case && x.what.ends_with("native/generic"))
        {
            let _ = writeln!(
                o,
                "ours ({}, {label}), {}: {:.2} {}",
                x.cfg,
                x.what,
                x.pps,
                interval(x.pps_ci, 2)
            );
        }
    }
    for x in &s {
        let ci = |c: Option<(f64, f64)>| c.map_or("-".into(), |(a, b)| format!("{a:.1},{b:.1}"));
        let _ = writeln!(
            o,
            "xdp_result cfg={} driver={} mode={} case={} runs={} total={} pps={:.0} pps_min={:.0} pps_max={:.0} pps_ci={} ns_per_pkt={:.1} gns_per_pkt={:.1} gns_ci={} softirq={} back_ratio={:.4} fwd_ratio={:.4} fwd_pps={:.0} fwd_pps_ci={} boots={}",
            x.cfg, x.driver, x.mode, x.case, x.runs, x.total, x.pps, x.pps_min, x.pps_max,
            ci(x.pps_ci), x.ns_per_pkt, x.gns_per_pkt, ci(x.gns_ci), x.softirq as u8,
            x.back_ratio, x.fwd_ratio, x.fwd_pps, ci(x.fwd_pps_ci), x.boots
        );
    }
    for x in &p {
        let ci = |c: Option<(f64, f64)>| c.map_or("-".into(), |(a, b)| format!("{a:.3},{b:.3}"));
        let _ = writeln!(
            o,
            "xdp_ratio cfg={} case={} pair={} pps={:.3} pps_ci={} cost={:.3} cost_ci={} rounds={} boots={}",
            x.cfg,
            x.case,
            x.what.replace(' ', "_"),
            x.pps,
            ci(x.pps_ci),
            x.cost,
            ci(x.cost_ci),
            x.rounds,
            x.boots
        );
    }
    o
}

/// Checks a short run for `make test`: every `drivers` × `cases` row is
/// there (the floor only with the case `none`), and every run of it is
/// valid ([`Run::check`]): nothing is taken on trust. With `boots`, the
/// log holds exactly that many boots, and every row is in each.
pub fn check(
    runs: &[Run],
    drivers: &[&str],
    cases: &[&str],
    boots: Option<u32>,
) -> Result<(), String> {
    if let Some(n) = boots {
        let mut seen: Vec<u32> = runs.iter().map(|r| r.boot).collect();
        seen.sort_unstable();
        seen.dedup();
        if seen != (0..n).collect::<Vec<_>>() {
            return Err(format!("{} boots in the log, not {n}", seen.len()));
        }
        for b in 0..n {
            let mine: Vec<Run> = runs.iter().filter(|r| r.boot == b).cloned().collect();
            check(&mine, drivers, cases, None).map_err(|e| format!("boot {}: {e}", b + 1))?;
        }
    }
    for d in drivers {
        let (driver, mode) = d.split_once('/').unwrap_or((d, "drv"));
        for c in cases {
            if driver == "rs-floor" && *c != "none" {
                continue;
            }
            let mine: Vec<&Run> = runs
                .iter()
                .filter(|r| r.driver == driver && r.mode == mode && r.case == *c)
                .collect();
            if mine.is_empty() {
                return Err(format!("no run of {d} {c}"));
            }
            for r in mine {
                r.check()
                    .map_err(|e| format!("{d} {c} run {} ({}): invalid: {e}", r.run, r.cfg))?;
                if r.sent == 0 {
                    return Err(format!("{d} {c}: no frame went through"));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: &str = "@@XDP-BENCH cfg=default driver=rs mode=drv case=drop run=1 cb=0 sent=909984 rx=909984 prog=909984 act=909984 act_err=0 back=0 fwd=0 ipin=0 exc=0 rerr=0 dm_sent=0 dm_drops=0 ns=1000000000 gns=1070000000 sirq_ns=800000000 sirq_runs=14000 sirq_cpu_ns=800000000,0 peer_ns=- wd=0";

    #[test]
    fn parses_a_line() {
        let r = parse_line(L).unwrap().unwrap();
        assert_eq!(r.driver, "rs");
        assert_eq!(r.case, "drop");
        assert_eq!(r.sent, 909984);
        assert_eq!(r.prog, Some(909984));
        assert_eq!(r.sirq_ns, Some(800000000));
        assert!(r.proved_fields);
        assert_eq!(r.check(), Ok(()));
        assert_eq!(parse_line("[ 1.0] something").unwrap(), None);
        // An old line: parsed, but proves nothing.
        let old =
            "@@XDP-BENCH driver=rs mode=drv case=drop run=1 sent=9 rx=9 back=0 fwd=0 ns=10 gns=10";
        let r = parse_line(old).unwrap().unwrap();
        assert_eq!(r.cfg, "default");
        assert!(r.check().is_err());
    }

    #[test]
    fn a_broken_line_is_one_invalid_run() {
        let bad = |l: &str| {
            let r = parse_line(l).unwrap().unwrap();
            let e = r.check().unwrap_err();
            assert!(e.starts_with("unreadable line"), "{l}: {e}");
            r
        };
        let r = bad("@@XDP-BENCH driver=rs");
        assert_eq!((r.driver.as_str(), r.case.as_str(), r.run), ("rs", "?", 0));
        let r = bad(&L.replace("sent=909984", "sent=x"));
        assert_eq!(
            (r.driver.as_str(), r.case.as_str(), r.run),
            ("rs", "drop", 1)
        );
        bad(&L.replace("sent=909984", "sent="));
        bad(&L.replace("prog=909984", "prog=x"));
        bad(&L.replace("run=1", "run=1 run=2"));
        bad(&L.replace("ns=1000000000", "ns=0"));
        bad(&format!("{L} exc_act=1,2"));
        // The log around it still counts.
        let log = format!(
            "{L}\n{}\n{}\n",
            L.replace("ipin=0", "ipin="),
            L.replace("run=1", "run=2")
        );
        let runs = parse_log(&log).unwrap();
        assert_eq!(runs.len(), 3);
        assert_eq!(runs.iter().filter(|r| r.check().is_ok()).count(), 2);
        let s = summarise(&runs);
        assert_eq!((s[0].total, s[0].runs), (3, 1));
        assert_eq!(s[0].invalid.get("unreadable line"), Some(&1));
    }

    #[test]
    fn exceptions_by_verdict() {
        let x = |f: &[(&str, &str)], exc: &str, act: &str| {
            let mut r = line(f);
            r.exc = Some(exc.parse().unwrap());
            r.exc_act = Some(act.split(',').map(|v| v.parse().unwrap()).collect());
            r.check()
        };
        // Generic XDP_TX: only the exceptions of XDP_TX are full queues.
        let gtx = [
            ("mode", "generic"),
            ("case", "tx"),
            ("act", "-"),
            ("act_err", "-"),
            ("back", "909980"),
        ];
        assert!(x(&gtx, "4", "0,0,0,4,0,0").is_ok());
        let e = x(&gtx, "5", "1,0,0,4,0,0").unwrap_err();
        assert!(e.starts_with("xdp_exception = those of XDP_TX"), "{e}");
        let e = x(&gtx, "5", "0,0,0,4,0,0").unwrap_err();
        assert!(e.starts_with("xdp_exception = the sum"), "{e}");
        // Native XDP_TX: the driver's count, and no aborted verdict.
        let tx = [("case", "tx"), ("back", "909980"), ("act_err", "4")];
        assert!(x(&tx, "4", "0,0,0,4,0,0").is_ok());
        assert!(x(&tx, "4", "4,0,0,0,0,0").is_err());
        // Outside XDP_TX and XDP_REDIRECT none at all.
        assert!(x(&[], "1", "0,0,0,1,0,0").is_err());
        assert!(x(&[], "0", "0,0,0,0,0,0").is_ok());
    }

    #[test]
    fn a_run_the_watchdog_rescued_is_invalid() {
        assert!(line(&[("wd", "0")]).check().is_ok());
        assert!(line(&[("wd", "-")]).check().is_ok());
        let e = line(&[("wd", "1")]).check().unwrap_err();
        assert!(e.contains("RX watchdog polled 1 times"), "{e}");
        // Logs from before the watchdog have no wd: nothing to say.
        let old = L.replace(" wd=0", "");
        assert!(parse_line(&old).unwrap().unwrap().check().is_ok());
    }

    #[test]
    fn the_peer_is_left_out_of_the_cost() {
        let mut r = line(&[]);
        assert_eq!(r.cost(), 800000000.0 / 909984.0);
        r.peer_ns = Some(100000000);
        assert_eq!(r.cost(), 700000000.0 / 909984.0);
        let r = line(&[("peer_ns", "-")]);
        assert_eq!(r.peer_ns, None);
        let e = line(&[("peer_ns", "800000001")]).check().unwrap_err();
        assert!(e.starts_with("peer_ns <= sirq_ns"), "{e}");
    }

    fn line(f: &[(&str, &str)]) -> Run {
        let mut l = L.to_string();
        for (k, v) in f {
            let w = l
                .split_whitespace()
                .find(|w| w.starts_with(&format!("{k}=")))
                .unwrap_or_else(|| panic!("no {k}"))
                .to_string();
            // With the space in front: `wd=0` is also the end of `fwd=0`.
            l = l.replacen(&format!(" {w}"), &format!(" {k}={v}"), 1);
        }
        parse_line(&l).unwrap().unwrap()
    }

    #[test]
    fn a_run_proves_its_verdict_or_is_invalid() {
        assert!(line(&[]).check().is_ok());
        // Each count that disagrees throws the run out.
        for (k, v, why) in [
            ("rx", "909983", "rx = sent"),
            ("prog", "909983", "prog = rx"),
            ("prog", "-", "no program count"),
            ("act", "0", "act = rx"),
            ("act", "-", "no verdict count"),
            ("ipin", "5", "ipin = 0"),
        ] {
            let e = line(&[(k, v)]).check().unwrap_err();
            assert!(e.starts_with(why), "{k}={v}: {e}");
        }
        // none and XDP_PASS: every frame reaches IPv4.
        let pass = |ipin: &str| line(&[("case", "pass"), ("ipin", ipin)]).check();
        assert!(pass("909984").is_ok());
        assert!(pass("0").is_err());
        let none = line(&[
            ("case", "none"),
            ("prog", "-"),
            ("act", "-"),
            ("ipin", "909984"),
        ]);
        assert!(none.check().is_ok());
        // XDP_TX: back = rx - act_err.
        let tx = |back: &str, err: &str| {
            line(&[("case", "tx"), ("back", back), ("act_err", err)]).check()
        };
        assert!(tx("909980", "4").is_ok());
        assert!(tx("909979", "4").is_err());
        // XDP_REDIRECT, native: the tracepoint's sent count and the peer's.
        let red = |dm: &str, fwd: &str, err: &str| {
            line(&[
                ("case", "redirect"),
                ("dm_sent", dm),
                ("fwd", fwd),
                ("act_err", err),
            ])
            .check()
        };
        assert!(red("909984", "909984", "0").is_ok());
        assert!(red("909980", "909980", "4").is_ok());
        assert!(red("909980", "909979", "4").is_err());
        assert!(red("909984", "909984", "4").is_err());
        // Frames ndo_xdp_xmit refused are the tracepoint's drops.
        let dm = line(&[
            ("case", "redirect"),
            ("dm_sent", "909874"),
            ("dm_drops", "110"),
            ("fwd", "909874"),
        ]);
        assert!(dm.check().is_ok());
        // Generic: no driver count, but a program count and the peer's.
        let g = line(&[
            ("mode", "generic"),
            ("case", "redirect"),
            ("act", "-"),
            ("fwd", "909984"),
        ]);
        assert!(g.check().is_ok());
        // Generic: the frames the target's full queue refused are
        // xdp_exception events (generic_xdp_tx), the map's refusals
        // xdp_redirect_err ones; the guest's act_err is not trusted.
        let g = |fwd: &str, exc: &str, rerr: &str| {
            line(&[
                ("mode", "generic"),
                ("case", "redirect"),
                ("act", "-"),
                ("act_err", "0"),
                ("fwd", fwd),
                ("exc", exc),
                ("rerr", rerr),
            ])
            .check()
        };
        assert!(g("909921", "63", "0").is_ok());
        assert!(g("909911", "63", "10").is_ok());
        assert!(g("909921", "0", "0").is_err());
        let gtx = |back: &str, exc: &str| {
            line(&[
                ("mode", "generic"),
                ("case", "tx"),
                ("act", "-"),
                ("back", back),
                ("exc", exc),
            ])
            .check()
        };
        assert!(gtx("909980", "4").is_ok());
        assert!(gtx("909984", "4").is_err());
    }

    /// A valid XDP_DROP run of `driver`: `sent` frames, all received,
    /// seen and dropped, 800 softirq ns each.
    fn valid_drop(driver: &str, boot: u32, round: u32, sent: u64) -> Run {
        let mut r = line(&[("driver", driver)]);
        r.boot = boot;
        r.run = round;
        r.sent = sent;
        r.rx = sent;
        r.prog = Some(sent);
        r.act = Some(sent);
        r.sirq_ns = Some(sent * 800);
        r
    }

    /// rs and virtio_net XDP_DROP, `rounds` rounds in each boot (round 1
    /// a warm-up), rs's pps over virtio_net's being the boot's own ratio
    /// with a small spread from round to round.
    fn boots_log(ratios: &[f64], rounds: u32) -> Vec<Run> {
        let mut v = vec![];
        for (b, ratio) in ratios.iter().enumerate() {
            for round in 1..=rounds {
                let wobble = 1.0 + (round % 3) as f64 * 0.002;
                for (d, sent) in [
                    ("rs", 100_000.0 * ratio * wobble),
                    ("virtio_net", 100_000.0),
                ] {
                    v.push(valid_drop(d, b as u32, round, sent as u64));
                }
            }
        }
        v
    }

    fn rs_vn(runs: &[Run]) -> Paired {
        paired(runs)
            .into_iter()
            .find(|p| p.what == "rs/virtio_net")
            .unwrap()
    }

    #[test]
    fn each_booted_line_starts_a_boot_and_logs_join_boot_after_boot() {
        let boot = format!(
            "@@PKRS-BOOTED 7.2 cpus=2\n{L}\n{}\n",
            L.replace("run=1", "run=2")
        );
        let runs = parse_log(&format!("SeaBIOS\n{boot}{boot}")).unwrap();
        let b: Vec<(u32, u32)> = runs.iter().map(|r| (r.boot, r.run)).collect();
        assert_eq!(b, [(0, 1), (0, 2), (1, 1), (1, 2)]);
        // A log without the line is one boot; joined logs follow each other.
        assert!(parse_log(&format!("{L}\n{L}"))
            .unwrap()
            .iter()
            .all(|r| r.boot == 0));
        let j = join_logs(vec![runs.clone(), parse_log(L).unwrap(), runs]);
        let b: Vec<u32> = j.iter().map(|r| r.boot).collect();
        assert_eq!(b, [0, 0, 1, 1, 2, 3, 3, 4, 4]);
    }

    #[test]
    fn with_several_boots_the_interval_is_over_the_boots() {
        // Two boots of one log (rounds of each tight) far apart: over rounds
        // the interval would sit between them; over boots there are too
        // few for one, and with six it spans the lowest and highest boot.
        let two = rs_vn(&boots_log(&[1.10, 1.30], 10));
        assert_eq!((two.boots, two.rounds), (2, 18));
        assert_eq!(two.pps_ci, None);
        assert_eq!(verdict(two.pps_ci), "too few for an interval");
        let six = rs_vn(&boots_log(&[1.10, 1.30, 1.15, 1.22, 1.05, 1.18], 2));
        assert_eq!((six.boots, six.rounds), (6, 6));
        let (lo, hi) = six.pps_ci.unwrap();
        assert!(
            (lo - 1.05).abs() < 0.01 && (hi - 1.30).abs() < 0.01,
            "{lo} {hi}"
        );
        assert!((six.pps - 1.165).abs() < 0.01, "{}", six.pps);
        // The summaries too: a boot's median is one value.
        let s = summarise(&boots_log(&[1.10, 1.30, 1.15, 1.22, 1.05, 1.18], 3));
        let rs = s.iter().find(|x| x.driver == "rs").unwrap();
        assert_eq!((rs.boots, rs.runs), (6, 12));
        let (lo, hi) = rs.pps_ci.unwrap();
        assert!(lo < 106_000.0 && hi > 130_000.0, "{lo} {hi}");
        // One boot: the rounds are the values, as before.
        let one = rs_vn(&boots_log(&[1.10], 10));
        assert_eq!((one.boots, one.rounds), (1, 9));
        let (lo, hi) = one.pps_ci.unwrap();
        assert!(lo > 1.09 && hi < 1.11, "{lo} {hi}");
        assert!(
            report(&boots_log(&[1.1, 1.2], 3)).contains("\n2 boots: each value a boot's median")
        );
        assert!(report(&boots_log(&[1.1], 3)).contains("\none boot: "));
        // Per configuration: six boots of one beside one boot of another.
        let mut mixed = boots_log(&[1.10, 1.30, 1.15, 1.22, 1.05, 1.18], 2);
        for mut r in boots_log(&[1.10], 10) {
            r.cfg = "like".into();
            mixed.push(r);
        }
        let p = paired(&mixed);
        let like = p.iter().find(|x| x.cfg == "like").unwrap();
        assert_eq!((like.boots, like.rounds), (1, 9));
        assert!(like.pps_ci.is_some());
        let def = p.iter().find(|x| x.cfg == "default").unwrap();
        assert_eq!((def.boots, def.rounds), (6, 6));
    }

    #[test]
    fn boots_that_move_disagree_round_by_round_and_agree_boot_by_boot() {
        // What the committed logs showed: each boot's rounds agree closely,
        // the boots do not. Two single boots at 1.10 and 1.20 disagree;
        // two measurements of six such boots each, drawn from the same
        // spread, agree.
        let a = [1.10, 1.20, 1.14, 1.17, 1.12, 1.19];
        let b = [1.20, 1.11, 1.18, 1.13, 1.16, 1.15];
        assert!(!agreement(&boots_log(&a[..1], 10), &boots_log(&b[..1], 10)).ok);
        let x = agreement(&boots_log(&a, 2), &boots_log(&b, 2));
        assert!(x.ok, "{:?}", x.lines);
        // And a real difference still shows: six boots around 1.15 against
        // six around 1.60.
        let c: Vec<f64> = b.iter().map(|v| v + 0.45).collect();
        assert!(!agreement(&boots_log(&a, 2), &boots_log(&c, 2)).ok);
    }

    #[test]
    fn a_short_run_of_several_boots_has_every_row_in_each() {
        let runs = boots_log(&[1.1, 1.2], 1);
        let cases = ["drop"];
        assert_eq!(check(&runs, &["rs", "virtio_net"], &cases, Some(2)), Ok(()));
        assert_eq!(
            check(&runs, &["rs"], &cases, Some(3)),
            Err("2 boots in the log, not 3".into())
        );
        let lacking: Vec<Run> = runs
            .into_iter()
            .filter(|r| !(r.boot == 1 && r.driver == "rs"))
            .collect();
        assert_eq!(
            check(&lacking, &["rs"], &cases, Some(2)),
            Err("boot 2: no run of rs drop".into())
        );
    }

    #[test]
    fn two_runs_agree_when_their_intervals_overlap() {
        // Seven valid rounds past the first of rs and virtio_net drop, the
        // ratio 1.2 with a spread, and a second log at 1.22 (agrees) or 2.0
        // (does not).
        let log = |ratio: f64| -> Vec<Run> {
            let mut v = vec![];
            for round in 1..=8u32 {
                let wobble = 1.0 + (round % 3) as f64 * 0.02;
                for (d, sent) in [
                    ("rs", 120_000.0 * ratio / 1.2 * wobble),
                    ("virtio_net", 100_000.0),
                ] {
                    v.push(valid_drop(d, 0, round, sent as u64));
                }
            }
            v
        };
        let (lines, ok) = agree(&log(1.2), &log(1.22));
        assert!(ok, "{lines:?}");
        assert!(lines
            .iter()
            .any(|l| l.contains("rs/virtio_net") && l.ends_with("agree")));
        let x = agreement(&log(1.2), &log(2.0));
        assert_eq!((x.overlap, x.same_verdict, x.lines.len()), (1, 2, 2));
        let (lines, ok) = agree(&log(1.2), &log(2.0));
        assert!(!ok);
        assert!(lines
            .iter()
            .any(|l| l.contains("pps") && l.ends_with("DISAGREE")));
        // Nothing in common: no agreement shown; a pair one log lacks is
        // a disagreement.
        assert!(!agree(&log(1.2), &[]).1);
        let rs_only: Vec<Run> = log(1.2).into_iter().filter(|r| r.driver == "rs").collect();
        let (lines, ok) = agree(&log(1.2), &rs_only);
        assert!(!ok);
        assert!(lines.iter().any(|l| l.contains("not in the second log")));
        // A log that left the peer's polls out (rs's cost halved by them)
        // is compared with one that did not with the polls in on both sides.
        let peer: Vec<Run> = log(1.2)
            .into_iter()
            .map(|mut r| {
                r.peer_ns = Some(if r.driver == "rs" { r.sent * 400 } else { 0 });
                r
            })
            .collect();
        assert!(agree(&log(1.2), &peer)
            .0
            .iter()
            .all(|l| l.ends_with("agree")));
        assert!(
            !agree(
                &peer,
                &peer
                    .iter()
                    .cloned()
                    .map(|mut r| {
                        r.peer_ns = Some(0);
                        r
                    })
                    .collect::<Vec<_>>()
            )
            .1
        );
        // Outside TX and REDIRECT, any xdp_exception throws the run out.
        assert!(line(&[("exc", "1")])
            .check()
            .unwrap_err()
            .starts_with("xdp_exception = 0"));
        assert!(line(&[("rerr", "2")]).check().is_err());
    }

    #[test]
    fn negotiated_features() {
        let log = "x\n@@XDP-BENCH-DEV cfg=like driver=virtio_net module=virtio_net params=- features=0010 peer_features=1\n\
                   @@XDP-BENCH-DEV cfg=like driver=rs module=virtio_xdp params=pool=rs features=1 peer_features=1\n";
        assert_eq!(
            dev_features(log, "virtio_net"),
            vec![vec![false, false, true, false]]
        );
        assert_eq!(dev_features(log, "rs").len(), 1);
        assert!(dev_features(log, "c").is_empty());
    }

    #[test]
    fn the_95_interval_of_a_median() {
        assert_eq!(ci95(&[1.0, 2.0, 3.0, 4.0, 5.0]), None);
        // n = 6: k = 1 (P(B = 0) = 1/64 <= 2.5 %, P(B <= 1) = 7/64 > 2.5 %).
        assert_eq!(ci95(&[6.0, 1.0, 5.0, 2.0, 4.0, 3.0]), Some((1.0, 6.0)));
        // n = 9: k = 2 (P(B <= 1) = 10/512 = 1.95 %, P(B <= 2) = 46/512 = 9 %).
        let v: Vec<f64> = (1..=9).map(f64::from).collect();
        assert_eq!(ci95(&v), Some((2.0, 8.0)));
        // n = 20: k = 6 (P(B <= 5) = 2.07 %, P(B <= 6) = 5.77 %).
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(ci95(&v), Some((6.0, 15.0)));
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    fn run(driver: &str, mode: &str, case: &str, round: u32, sent: u64) -> Run {
        let l = format!(
            "@@XDP-BENCH cfg=default driver={driver} mode={mode} case={case} run={round} cb=0 sent={sent} rx={sent} prog={sent} act={} act_err=0 back=0 fwd=0 ipin=0 exc=0 rerr=0 dm_sent=0 dm_drops=0 ns=1000000000 gns=2000000000 sirq_ns={} sirq_runs=1 sirq_cpu_ns=0",
            if mode == "drv" { sent.to_string() } else { "-".into() },
            sent * 100
        );
        parse_line(&l).unwrap().unwrap()
    }

    #[test]
    fn round_one_and_invalid_runs_are_left_out() {
        let mut runs: Vec<Run> = (1..=7)
            .map(|i| run("rs", "drv", "drop", i, 100 * u64::from(i)))
            .collect();
        // Round 1 is a warm-up; round 4 is invalid.
        runs[3].prog = Some(1);
        let s = summarise(&runs);
        assert_eq!((s[0].runs, s[0].total), (5, 7));
        assert_eq!(s[0].invalid.get("prog = rx"), Some(&1));
        // Rounds 2, 3, 5, 6, 7: 200 300 500 600 700.
        assert_eq!(s[0].pps, 500.0);
        assert_eq!(s[0].pps_min, 200.0);
        assert_eq!(s[0].pps_ci, None);
        assert_eq!(s[0].gns_per_pkt, 100.0);
        assert!(s[0].softirq);
        assert_eq!(s[0].fwd_pps, 0.0);
        // A redirect's delivered rate: what the other NIC sent, per second.
        let mut red: Vec<Run> = (1..=3)
            .map(|i| {
                let mut r = run("rs", "drv", "redirect", i, 1000);
                r.fwd = 250 * u64::from(i);
                r.dm_sent = Some(r.fwd);
                r.dm_drops = Some(1000 - r.fwd);
                r
            })
            .collect();
        red[0].fwd = 0;
        red[0].dm_sent = Some(0);
        red[0].dm_drops = Some(1000);
        let s = summarise(&red);
        assert_eq!(s[0].fwd_pps, 625.0);
        assert!(report(&red).contains("delivered (frames out of the other NIC): 625 pps"));
    }

    #[test]
    fn ratios_are_paired_by_round() {
        let mut runs = Vec::new();
        for i in 1..=8u32 {
            // rs twice virtio_net's pps in every round, the rounds far apart.
            runs.push(run("rs", "drv", "drop", i, 1000 * u64::from(i)));
            runs.push(run("virtio_net", "drv", "drop", i, 500 * u64::from(i)));
            runs.push(run("rs", "generic", "drop", i, 250 * u64::from(i)));
        }
        let p = paired(&runs);
        let rv = p.iter().find(|x| x.what == "rs/virtio_net").unwrap();
        assert_eq!(rv.rounds, 7);
        assert_eq!(rv.pps, 2.0);
        assert_eq!(rv.pps_ci, Some((2.0, 2.0)));
        // Cost: sirq_ns = 100 per frame for every run: no difference.
        assert_eq!(rv.cost, 1.0);
        assert_eq!(verdict(rv.pps_ci), "ahead");
        assert_eq!(verdict(rv.cost_ci), "no difference shown");
        let ng = p.iter().find(|x| x.what == "rs native/generic").unwrap();
        assert_eq!(ng.pps, 4.0);
        let rep = report(&runs);
        assert!(
            rep.contains(
                "xdp_ratio cfg=default case=drop pair=rs/virtio_net pps=2.000 pps_ci=2.000,2.000"
            ),
            "{rep}"
        );
        assert!(rep.contains("no touch 2.35"), "{rep}");
        assert!(rep.contains("reading the frame 1.43"), "{rep}");
        assert!(
            rep.contains("ours (default, no touch), rs native/generic: 4.00"),
            "{rep}"
        );
    }

    #[test]
    fn the_short_run_check() {
        let runs = vec![
            run("rs", "drv", "drop", 1, 300),
            run("rs", "generic", "drop", 1, 100),
        ];
        assert!(check(&runs, &["rs", "rs/generic"], &["drop"], None).is_ok());
        assert!(check(&runs, &["c"], &["drop"], None)
            .unwrap_err()
            .starts_with("no run"));
        let mut bad = runs.clone();
        bad[0].act = Some(299);
        assert!(check(&bad, &["rs"], &["drop"], None)
            .unwrap_err()
            .contains("act = rx"));
    }
}
