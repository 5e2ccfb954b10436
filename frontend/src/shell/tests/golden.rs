//! A corpus of words run through BuildKit v0.34.2's own lex.go, checked here in full: result,
//! words, matched and unmatched names, or the exact error message.
//!
//! Line format (tab-separated, `%XX` escapes control characters, `%` and `|`, lists are `|item`…):
//! `<escape><raw_quotes><raw_escapes><skip_process_quotes><skip_unset_env>  word  env
//!  ok  result  words  matched  unmatched` or `…  err  message`.
//!
//! `testdata/oracle/` holds the Go harness and the generators that produced it.

use crate::shell::{envs_from_slice, Lex};

const CORPUS: &str = include_str!("../testdata/golden.txt");

fn unescape(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn list(s: &str) -> Vec<String> {
    s.split('|').skip(1).map(unescape).collect()
}

/// Checks every case of `corpus`, returning a description of each mismatch.
pub(super) fn check(corpus: &str) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut count = 0;
    for line in corpus
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        count += 1;
        let f: Vec<&str> = line.split('\t').collect();
        let opts: Vec<char> = f[0].chars().collect();
        let lex = Lex {
            raw_quotes: opts[1] == '1',
            raw_escapes: opts[2] == '1',
            skip_process_quotes: opts[3] == '1',
            skip_unset_env: opts[4] == '1',
            ..Lex::new(opts[0])
        };
        let word = unescape(f[1]);
        let env = envs_from_slice(&list(f[2]));
        let got = lex.process_word_with_matches(&word, &env);
        let words = lex.process_words(&word, &env);
        let mismatch = match (f[3], &got) {
            ("ok", Ok(r)) => {
                let want = (unescape(f[4]), list(f[5]), list(f[6]), list(f[7]));
                let have = (
                    r.result.clone(),
                    r.words.clone(),
                    r.matched.iter().cloned().collect::<Vec<_>>(),
                    r.unmatched.iter().cloned().collect::<Vec<_>>(),
                );
                (want != have || words.as_ref() != Ok(&r.words))
                    .then(|| format!("want {want:?}, have {have:?} / words {words:?}"))
            }
            ("err", Err(e)) => (e.message != unescape(f[4]) || words.is_ok())
                .then(|| format!("want error {:?}, have {:?}", unescape(f[4]), e.message)),
            _ => Some(format!("want {} {:?}, have {got:?}", f[3], unescape(f[4]))),
        };
        if let Some(m) = mismatch {
            failures.push(format!("{line}\n    {m}"));
        }
    }
    (count, failures)
}

#[test]
fn buildkit_corpus() {
    let (count, failures) = check(CORPUS);
    assert_eq!(count, 2700);
    assert!(
        failures.is_empty(),
        "{} of {count} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Checks a corpus file named by `SHELL_CORPUS` (for larger differential runs against BuildKit).
#[test]
#[ignore]
fn external_corpus() {
    let path = std::env::var("SHELL_CORPUS").unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let (count, failures) = check(&text);
    let shown: Vec<&String> = failures.iter().take(40).collect();
    assert!(
        failures.is_empty(),
        "{} of {count} differ:\n{shown:#?}",
        failures.len()
    );
    println!("{count} cases agree");
}
