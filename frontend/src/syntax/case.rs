//! Go's `strings.ToLower` / `strings.ToUpper`, which use simple (one-to-one) case mapping:
//! `İ` lowercases to `i`, `ß` stays `ß` in uppercase. ASCII takes a fast path.

/// Go's `strings.ToLower`.
/// An instruction name lowercased (`go_lower`), borrowed when it is a known instruction.
pub fn lower_keyword(s: &str) -> std::borrow::Cow<'static, str> {
    const KNOWN: [&str; 18] = [
        "add",
        "arg",
        "cmd",
        "copy",
        "entrypoint",
        "env",
        "expose",
        "from",
        "healthcheck",
        "label",
        "maintainer",
        "onbuild",
        "run",
        "shell",
        "stopsignal",
        "user",
        "volume",
        "workdir",
    ];
    match KNOWN.iter().find(|k| k.eq_ignore_ascii_case(s)) {
        Some(k) => std::borrow::Cow::Borrowed(k),
        None => std::borrow::Cow::Owned(go_lower(s)),
    }
}

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
    fn known_keywords_are_borrowed_and_lowered_as_go_lower() {
        use std::borrow::Cow;
        assert!(matches!(lower_keyword("RuN"), Cow::Borrowed("run")));
        assert!(matches!(
            lower_keyword("HEALTHCHECK"),
            Cow::Borrowed("healthcheck")
        ));
        // The Kelvin sign lowercases to `k`: not an ASCII match, still go_lower's answer.
        for s in ["WOR\u{212A}DIR", "Frobnicate", "", "ÉTAPE"] {
            assert_eq!(lower_keyword(s), go_lower(s), "{s}");
        }
    }

    #[test]
    fn go_case() {
        assert_eq!(go_lower("RUN"), "run");
        assert_eq!(go_lower("ONBUİLD"), "onbuild");
        assert_eq!(go_lower("\u{212a}"), "k");
        assert_eq!(go_upper("straße"), "STRAßE");
        assert_eq!(go_upper("copy"), "COPY");
    }
}
