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
    fn uppercases_the_keyword() {
        assert_eq!(uppercase_keyword("run echo hi".into()), "RUN echo hi");
    }
}
