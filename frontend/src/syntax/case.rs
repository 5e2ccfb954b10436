//! Instruction keywords lowercased as Go's `strings.ToLower` does (`crate::gocompat::go_lower`).

use crate::gocompat::go_lower;

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
}
