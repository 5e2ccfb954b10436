//! The text BuildKit shows and records for each step: progress names (`[builder 2/5] RUN make`)
//! and image history entries, formatted exactly as the reference formats them.

/// `[linux/arm64 builder 2/5] ` — the platform only when several are built, the index
/// padded to the width of the total. Empty when the stage counts no steps.
/// Written at the end of `out`: a progress name is built in one string.
pub fn push_step_prefix(
    out: &mut String,
    platform: Option<&str>,
    stage_name: &str,
    index: usize,
    total: usize,
) {
    use std::fmt::Write;
    if total == 0 {
        return;
    }
    out.push('[');
    if let Some(p) = platform {
        out.push_str(p);
        out.push(' ');
    }
    if !stage_name.is_empty() {
        out.push_str(stage_name);
        out.push(' ');
    }
    let width = total.ilog10() as usize + 1;
    // Writing to a String cannot fail.
    let _ = write!(out, "{index:>width$}/{total}] ");
}

/// Uppercases the instruction keyword (the first word), as progress names show it.
pub fn uppercase_keyword(mut s: String) -> String {
    let end = s.find(' ').unwrap_or(s.len());
    s[..end].make_ascii_uppercase();
    s
}

pub use crate::shell::go_quote;

/// Go's `fmt.Sprintf("%q", []string{…})`: `["a" "b"]`.
pub fn go_quote_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| go_quote(s)).collect();
    format!("[{}]", quoted.join(" "))
}

/// Go's `fmt.Sprintf("%v", []string{…})`: `[a b]`.
pub fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// Go's `time.Duration.String()` for a duration in nanoseconds.
pub fn go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let body = if u < 1_000 {
        format!("{u}ns")
    } else if u < 1_000_000 {
        format!("{}µs", trim_fraction(u, 1_000))
    } else if u < 1_000_000_000 {
        format!("{}ms", trim_fraction(u, 1_000_000))
    } else {
        let total_secs = u / 1_000_000_000;
        let frac = u % 1_000_000_000;
        let (h, m, s) = (total_secs / 3600, (total_secs / 60) % 60, total_secs % 60);
        let secs = trim_fraction(s * 1_000_000_000 + frac, 1_000_000_000);
        match (h, m) {
            (0, 0) => format!("{secs}s"),
            (0, m) => format!("{m}m{secs}s"),
            (h, m) => format!("{h}h{m}m{secs}s"),
        }
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

fn trim_fraction(v: u64, unit: u64) -> String {
    let whole = v / unit;
    let frac = v % unit;
    if frac == 0 {
        return whole.to_string();
    }
    let digits = unit.to_string().len() - 1;
    let f = format!("{frac:0digits$}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_like_buildkit() {
        let step_prefix = |platform, name, index, total| {
            let mut out = String::new();
            push_step_prefix(&mut out, platform, name, index, total);
            out
        };
        assert_eq!(step_prefix(None, "builder", 2, 5), "[builder 2/5] ");
        assert_eq!(step_prefix(None, "", 10, 12), "[10/12] ");
        assert_eq!(step_prefix(None, "", 7, 1000), "[   7/1000] ");
        assert_eq!(step_prefix(None, "", 3, 12), "[ 3/12] ");
        assert_eq!(
            step_prefix(Some("linux/arm64"), "b", 1, 1),
            "[linux/arm64 b 1/1] "
        );
        assert_eq!(step_prefix(None, "x", 1, 0), "");
    }

    #[test]
    fn go_formatting() {
        assert_eq!(
            go_quote_list(&["/bin/sh".into(), "-c".into(), "echo \"hi\"\n".into()]),
            r#"["/bin/sh" "-c" "echo \"hi\"\n"]"#
        );
        assert_eq!(go_list(&["/a".into(), "/b".into()]), "[/a /b]");
        assert_eq!(uppercase_keyword("run echo hi".into()), "RUN echo hi");
        assert_eq!(go_duration(30_000_000_000), "30s");
        assert_eq!(go_duration(90_000_000_000), "1m30s");
        assert_eq!(go_duration(1_500_000_000), "1.5s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration(2_000_000), "2ms");
    }
}
