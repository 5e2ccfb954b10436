//! BuildKit's `util/suggest`: "(did you mean X?)" hints from Levenshtein distance.

use crate::gocompat::{go_lower, go_upper};

/// Levenshtein distance over characters (agext/levenshtein with default costs).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn match_case(opt: &str, orig: &str) -> String {
    if orig == go_lower(orig) {
        go_lower(opt)
    } else if orig == go_upper(orig) {
        go_upper(opt)
    } else {
        opt.to_string()
    }
}

/// `suggest.Search`: the closest option within distance 2, none on an exact match.
pub(crate) fn search(val: &str, options: &[&str], case_sensitive: bool) -> Option<String> {
    let v = if case_sensitive {
        val.to_string()
    } else {
        go_lower(val)
    };
    let mut best: Option<String> = None;
    let mut min = 3;
    for opt in options {
        let o = if case_sensitive {
            opt.to_string()
        } else {
            go_lower(opt)
        };
        if v == o {
            return None;
        }
        let d = levenshtein(&v, &o);
        if d < min {
            best = Some(if case_sensitive {
                o
            } else {
                match_case(&o, val)
            });
            min = d;
        }
    }
    best
}

/// `suggest.WrapError`: appends the hint to `message` when there is one.
pub(crate) fn wrap(message: String, val: &str, options: &[&str], case_sensitive: bool) -> String {
    match search(val, options, case_sensitive) {
        Some(m) => format!("{message} (did you mean {m}?)"),
        None => message,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(
            search("RUNN", &["RUN", "FROM"], false).as_deref(),
            Some("RUN")
        );
        assert_eq!(
            search("runn", &["RUN", "FROM"], false).as_deref(),
            Some("run")
        );
        assert_eq!(
            search("Runn", &["RUN", "FROM"], false).as_deref(),
            Some("run")
        );
        assert_eq!(search("xyzzy", &["RUN", "FROM"], false), None);
        assert_eq!(
            search("form", &["from", "chown"], true).as_deref(),
            Some("from")
        );
        assert_eq!(search("From", &["from"], true).as_deref(), Some("from"));
        assert_eq!(search("from", &["from"], true), None);
    }
}
