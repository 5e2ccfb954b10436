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
    }
}
