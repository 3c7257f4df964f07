//! KTAP as KUnit prints it in the kernel log.

/// The outcome of the test cases of one KTAP report.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Ktap {
    pub passed: Vec<String>,
    pub failed: Vec<String>,
    pub skipped: Vec<String>,
    /// `# Totals: pass:N fail:N skip:N total:N` when present.
    pub totals: Option<(u32, u32, u32, u32)>,
}

/// Reads the indented (test-case) `ok`/`not ok` lines of a suite; the
/// unindented lines are the suites themselves.
pub fn parse(lines: &[String]) -> Ktap {
    let mut k = Ktap::default();
    for line in lines {
        let indented = line.starts_with(' ');
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("# Totals: ") {
            let mut v = [0u32; 4];
            for (i, key) in ["pass:", "fail:", "skip:", "total:"].iter().enumerate() {
                v[i] = rest
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix(key))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
            }
            k.totals = Some((v[0], v[1], v[2], v[3]));
            continue;
        }
        if !indented {
            continue;
        }
        let (ok, rest) = if let Some(r) = t.strip_prefix("not ok ") {
            (false, r)
        } else if let Some(r) = t.strip_prefix("ok ") {
            (true, r)
        } else {
            continue;
        };
        let name = rest
            .split_once(' ')
            .map(|(_, n)| n)
            .unwrap_or("")
            .to_string();
        if name.contains("# SKIP") {
            k.skipped.push(name);
        } else if ok {
            k.passed.push(name);
        } else {
            k.failed.push(name);
        }
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(String::from).collect()
    }

    #[test]
    fn counts_cases_not_suites() {
        let k = parse(&lines(
            "KTAP version 1\n1..1\n    # Subtest: s\n    1..3\n    ok 1 a\n    not ok 2 b\n\
             \x20   ok 3 c # SKIP no device\n# Totals: pass:1 fail:1 skip:1 total:3\nnot ok 1 s",
        ));
        assert_eq!(k.passed, vec!["a"]);
        assert_eq!(k.failed, vec!["b"]);
        assert_eq!(k.skipped.len(), 1);
        assert_eq!(k.totals, Some((1, 1, 1, 3)));
    }

    #[test]
    fn no_ktap_means_nothing_passed() {
        let k = parse(&lines("page_bench01: Type:x ..."));
        assert!(k.passed.is_empty() && k.totals.is_none());
    }
}
