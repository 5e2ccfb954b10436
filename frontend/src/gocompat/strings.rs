//! Go's `strings.ToLower` / `strings.ToUpper`, which use simple (one-to-one) case mapping:
//! `İ` lowercases to `i`, `ß` stays `ß` in uppercase. ASCII takes a fast path.

/// Go's `strings.ToLower`.
pub fn go_lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars()
        .map(|c| {
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(x), None) => x,
                _ if c == '\u{130}' => 'i',
                _ => c,
            }
        })
        .collect()
}

/// Go's `strings.ToUpper`.
pub fn go_upper(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_uppercase();
    }
    s.chars()
        .map(|c| {
            let mut u = c.to_uppercase();
            match (u.next(), u.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        })
        .collect()
}

/// Go's `strings.EqualFold(s, lower)` for a `lower` in lowercase ASCII: besides ASCII case, the
/// only characters that fold onto ASCII letters are `ſ` (`s`) and the Kelvin sign `K` (`k`).
pub fn go_equal_fold_lower(s: &str, lower: &str) -> bool {
    let fold = |c: char| match c {
        '\u{17f}' => 's',
        '\u{212a}' => 'k',
        c => c.to_ascii_lowercase(),
    };
    s.chars().map(fold).eq(lower.chars())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_case() {
        assert_eq!(go_lower("RUN"), "run");
        assert_eq!(go_lower("ONBUİLD"), "onbuild");
        assert_eq!(go_lower("\u{212a}"), "k");
        assert_eq!(go_upper("straße"), "STRAßE");
        assert_eq!(go_upper("copy"), "COPY");
        assert!(go_equal_fold_lower("HTTP_Proxy", "http_proxy"));
        assert!(go_equal_fold_lower("\u{17f}", "s") && go_equal_fold_lower("\u{212a}", "k"));
        assert!(!go_equal_fold_lower("a", "as") && !go_equal_fold_lower("\u{130}", "i"));
    }
}
