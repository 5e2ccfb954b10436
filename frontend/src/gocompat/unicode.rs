//! The character classes of Go's `unicode` package that the shell lexer and `strconv.Quote`
//! depend on.
//!
//! Rust's `char::is_alphabetic`/`is_numeric` are broader than Go's `IsLetter`/`IsDigit` (they take
//! in marks, letter numbers, …), which would end `$name` at different places than BuildKit does.

use super::unicode_tables::RUNS;

const LETTER: u8 = 1;
const DIGIT: u8 = 2;
const PRINT: u8 = 4;

fn flags(ch: char) -> u8 {
    let cp = u32::from(ch);
    // RUNS starts at 0, so the partition point is at least 1.
    let idx = RUNS.partition_point(|&(start, _)| start <= cp);
    RUNS.get(idx.wrapping_sub(1)).map_or(0, |&(_, f)| f)
}

/// Go's `unicode.IsLetter`: general category L.
pub fn is_letter(ch: char) -> bool {
    if ch.is_ascii() {
        return ch.is_ascii_alphabetic();
    }
    flags(ch) & LETTER != 0
}

/// Go's `unicode.IsDigit`: general category Nd (not only ASCII digits).
pub fn is_digit(ch: char) -> bool {
    if ch.is_ascii() {
        return ch.is_ascii_digit();
    }
    flags(ch) & DIGIT != 0
}

/// Go's `unicode.IsPrint` (and `strconv.IsPrint`): L, M, N, P, S and the ASCII space.
pub fn is_print(ch: char) -> bool {
    if ch.is_ascii() {
        return (' '..='~').contains(&ch);
    }
    flags(ch) & PRINT != 0
}

/// Go's `unicode.IsSpace`: the Unicode White_Space property, spelled out to not depend on
/// which Unicode version Rust's `char::is_whitespace` follows.
pub fn is_space(ch: char) -> bool {
    matches!(
        ch,
        '\t'..='\r'
            | ' '
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_are_category_l_only() {
        assert!(is_letter('a') && is_letter('Z') && is_letter('한') && is_letter('क'));
        assert!(!is_letter('_') && !is_letter('1'));
        // Devanagari vowel sign AA (Mc) and Roman numeral one (Nl) are alphabetic in Rust, not in Go.
        assert!('\u{93E}'.is_alphabetic() && !is_letter('\u{93E}'));
        assert!('\u{2160}'.is_alphabetic() && !is_letter('\u{2160}'));
    }

    #[test]
    fn digits_are_category_nd() {
        assert!(is_digit('0') && is_digit('9') && is_digit('\u{661}'));
        assert!(!is_digit('a') && !is_digit('\u{B2}') && !is_digit('\u{2160}'));
    }

    #[test]
    fn printable_and_space() {
        assert!(is_print(' ') && is_print('é') && is_print('\u{301}'));
        assert!(
            !is_print('\n') && !is_print('\u{A0}') && !is_print('\u{200B}') && !is_print('\u{7F}')
        );
        assert!(is_space('\u{A0}') && is_space('\u{B}') && is_space('\u{3000}'));
        assert!(!is_space('\u{200B}') && !is_space('x'));
    }
}
