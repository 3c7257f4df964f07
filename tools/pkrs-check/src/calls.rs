//! The calls a function makes, read from a disassembly
//! (`llvm-objdump -dr --no-show-raw-insn -C`): what the test of an inlining
//! build checks, that a fast-path function calls no shim function any more.
//!
//! A call or jump to another object or to a global symbol shows as a
//! relocation line under the instruction (`R_X86_64_PLT32 name-0x4`); one to
//! a local function of the same section is resolved by the assembler and
//! shows only as the instruction's target (`callq 0x40 <name>` or
//! `<name+0x10>`). Both count; a jump inside the function itself does not.

/// One function of the listing and the symbols it calls or jumps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub calls: Vec<String>,
}

/// A symbol without its `+0x..`/`-0x..` offset.
fn symbol(s: &str) -> &str {
    // The demangled Rust names hold no '+'; a relocation's addend is the
    // last "-0x" or "+0x" suffix.
    for sep in ["+0x", "-0x"] {
        if let Some(i) = s.rfind(sep) {
            if s[i + sep.len()..].chars().all(|c| c.is_ascii_hexdigit()) {
                return &s[..i];
            }
        }
    }
    s
}

/// `0000000000002650 <name>:`, a function's first line.
fn function_start(line: &str) -> Option<&str> {
    let (addr, rest) = line.split_once(' ')?;
    if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    rest.strip_prefix('<')?.strip_suffix(">:")
}

/// The mnemonic of an instruction line (`    2671:      \tcallq\t0x2676 <..>`).
fn mnemonic(line: &str) -> Option<(&str, &str)> {
    let (addr, rest) = line.trim_start().split_once(':')?;
    if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let rest = rest.trim_start();
    let (m, ops) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some((m, ops.trim()))
}

fn is_branch(m: &str) -> bool {
    m.starts_with("call") || m.starts_with('j')
}

/// Every function of the listing with the symbols it branches to, in order,
/// each once.
pub fn parse(listing: &str) -> Vec<Function> {
    fn add(f: &mut Function, t: Option<String>) {
        if let Some(t) = t {
            if t != f.name && !f.calls.contains(&t) {
                f.calls.push(t);
            }
        }
    }
    let mut out: Vec<Function> = Vec::new();
    // The last instruction was a call or jump: its shown target, replaced
    // by its relocation's symbol when the next line is one (an unresolved
    // call shows the next address, which can be the next function's).
    let mut branch: Option<Option<String>> = None;
    for line in listing.lines() {
        let reloc = line.contains("R_X86_64_");
        if reloc {
            if let Some(shown) = branch.take() {
                // `\t\t0000000000002672:  R_X86_64_PLT32\tname-0x4`
                let mut w = line.split_whitespace();
                let kind = w.nth(1).unwrap_or("");
                let t = if kind == "R_X86_64_PLT32" || kind == "R_X86_64_PC32" {
                    Some(symbol(&w.collect::<Vec<_>>().join(" ")).to_string())
                } else {
                    shown
                };
                if let Some(f) = out.last_mut() {
                    add(f, t);
                }
            }
            continue;
        }
        if let (Some(shown), Some(f)) = (branch.take(), out.last_mut()) {
            add(f, shown);
        }
        if let Some(name) = function_start(line) {
            out.push(Function {
                name: name.to_string(),
                calls: Vec::new(),
            });
        } else if let Some((m, ops)) = mnemonic(line) {
            if is_branch(m) {
                let shown = match (ops.find('<'), ops.rfind('>')) {
                    (Some(a), Some(b)) if a < b => Some(symbol(&ops[a + 1..b]).to_string()),
                    _ => None,
                };
                branch = Some(shown);
            }
        }
    }
    if let (Some(shown), Some(f)) = (branch, out.last_mut()) {
        add(f, shown);
    }
    out
}

/// `name` matches `pattern`: equal, or `prefix*`.
pub fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(p) => name.starts_with(p),
        None => name == pattern,
    }
}

/// The check of `pkrs-check calls`: among the functions whose name contains
/// one of `within`, none calls a `forbid` name and each `require` name is
/// called by at least one. Returns the report lines, or the faults.
pub fn check(
    fns: &[Function],
    within: &[&str],
    forbid: &[&str],
    require: &[&str],
) -> Result<Vec<String>, Vec<String>> {
    let mut lines = Vec::new();
    let mut faults = Vec::new();
    let chosen: Vec<&Function> = fns
        .iter()
        .filter(|f| within.iter().any(|w| f.name.contains(w)))
        .collect();
    for w in within {
        if !chosen.iter().any(|f| f.name.contains(w)) {
            faults.push(format!("no function's name contains {w:?}"));
        }
    }
    for f in &chosen {
        let bad: Vec<&String> = f
            .calls
            .iter()
            .filter(|c| forbid.iter().any(|p| matches(p, c)))
            .collect();
        lines.push(format!(
            "{}: {} call targets, {} forbidden",
            f.name,
            f.calls.len(),
            bad.len()
        ));
        for c in bad {
            faults.push(format!("{} calls {c}", f.name));
        }
    }
    for r in require {
        if !chosen.iter().any(|f| f.calls.iter().any(|c| matches(r, c))) {
            faults.push(format!("no chosen function calls {r}"));
        }
    }
    if faults.is_empty() {
        Ok(lines)
    } else {
        Err(faults)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Cut from llvm-objdump-19 -dr -C of page_pool_bench.ko (call mode),
    // with a local call and a tail jump into the next function added.
    const LISTING: &str = "
Disassembly of section .text:

0000000000002650 <m::bench::pool_loop::<m::native::RsPagePool>>:
    2650:      \tpushq\t%rbp
    2671:      \tcallq\t0x2676 <m::bench::pool_loop::<m::native::RsPagePool>+0x26>
\t\t0000000000002672:  R_X86_64_PLT32\t<kernel::time::Monotonic as kernel::time::ClockSource>::ktime_get-0x4
    26a1:      \tje\t0x29f5 <m::bench::pool_loop::<m::native::RsPagePool>+0x3a5>
    26df:      \tcallq\t0x26e4 <m::bench::pool_loop::<m::native::RsPagePool>+0x94>
\t\t00000000000026e0:  R_X86_64_PLT32\tpkrs_page_recyclable-0x4
    26e4:      \tmovq\t0x28(%r14), %r13
\t\t00000000000026e8:  R_X86_64_32S\tpkrs_percpu_inc
    26f0:      \tcallq\t0x3000 <pkrs_local_helper>
    26f5:      \tcallq\t0x3000 <pkrs_local_helper>
    2700:      \tjmp\t0x2705 <m::next>
\t\t0000000000002701:  R_X86_64_PLT32\tpkrs_put_page-0x4

0000000000002705 <m::next>:
    2705:      \tretq

0000000000003000 <pkrs_local_helper>:
    3000:      \tcallq\t0x3005 <pkrs_local_helper+0x5>
\t\t0000000000003001:  R_X86_64_PLT32\trust_helper_rcu_read_lock-0x4
    3005:      \tretq
";

    #[test]
    fn calls_from_relocations_and_local_targets_each_once() {
        let f = parse(LISTING);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].name, "m::bench::pool_loop::<m::native::RsPagePool>");
        assert_eq!(
            f[0].calls,
            [
                "<kernel::time::Monotonic as kernel::time::ClockSource>::ktime_get",
                "pkrs_page_recyclable",
                "pkrs_local_helper",
                "pkrs_put_page",
            ]
        );
        // A data relocation (the R_X86_64_32S) is no call.
        assert!(!f[0].calls.iter().any(|c| c == "pkrs_percpu_inc"));
        // The tail jump's shown target (the next address, here the next
        // function) gives way to its relocation's symbol.
        assert!(f[1].calls.is_empty());
        assert_eq!(f[2].calls, ["rust_helper_rcu_read_lock"]);
    }

    #[test]
    fn a_forbidden_call_fails_and_names_the_function() {
        let f = parse(LISTING);
        let e = check(&f, &["pool_loop"], &["pkrs_put_page", "rust_helper_*"], &[]).unwrap_err();
        assert_eq!(
            e,
            ["m::bench::pool_loop::<m::native::RsPagePool> calls pkrs_put_page"]
        );
        let e = check(&f, &["pkrs_local"], &["rust_helper_*"], &[]).unwrap_err();
        assert_eq!(e, ["pkrs_local_helper calls rust_helper_rcu_read_lock"]);
    }

    #[test]
    fn no_forbidden_call_passes() {
        let f = parse(LISTING);
        let ok = check(
            &f,
            &["pool_loop"],
            &["pkrs_percpu_inc", "rust_helper_*"],
            &[],
        )
        .unwrap();
        assert_eq!(
            ok,
            ["m::bench::pool_loop::<m::native::RsPagePool>: 4 call targets, 0 forbidden"]
        );
    }

    #[test]
    fn a_required_call_missing_fails() {
        let f = parse(LISTING);
        assert!(check(&f, &["pool_loop"], &[], &["pkrs_page_recyclable"]).is_ok());
        let e = check(&f, &["pool_loop"], &[], &["pkrs_vq_rearm"]).unwrap_err();
        assert_eq!(e, ["no chosen function calls pkrs_vq_rearm"]);
    }

    #[test]
    fn a_missing_function_fails() {
        let f = parse(LISTING);
        let e = check(&f, &["pool_loop", "Queue>::poll"], &[], &[]).unwrap_err();
        assert_eq!(e, ["no function's name contains \"Queue>::poll\""]);
        assert!(check(&parse(""), &["x"], &[], &[]).is_err());
    }
}
