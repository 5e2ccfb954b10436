//! A `time.Time` in JSON as Go reads and writes it (`Time.UnmarshalJSON`, then `MarshalJSON`):
//! RFC 3339 as `time.Parse` reads it, written back as RFC 3339 with nanoseconds, trailing
//! zeros dropped, `Z` for a zero offset. An image config's `created` times go through this in
//! the reference, which decodes a base image's config into Go types and encodes it again.

use super::go_quote;

/// The time as Go's `json.Marshal` writes a `time.Time` that `json.Unmarshal` read from `s`
/// (Go 1.26: `time.Parse(time.RFC3339, s)`, strict RFC 3339 checking being disabled there, in
/// the frontend's local zone, UTC), or why Go refuses it. A time Go reads but cannot write
/// (an offset of 24 hours or more) is refused here; the reference fails when it writes it.
pub fn json_time(s: &str) -> Result<String, String> {
    parse_rfc3339(s.as_bytes()).ok_or_else(|| {
        format!(
            "parsing time {} as \"2006-01-02T15:04:05Z07:00\": not a time Go reads and writes",
            go_quote(s)
        )
    })
}

/// Go's `time.Parse(time.RFC3339, s)` then `appendStrictRFC3339` (RFC 3339 with nanoseconds).
fn parse_rfc3339(s: &[u8]) -> Option<String> {
    // `getnum`: one or two digits (two when `fixed`), and what follows.
    fn getnum(s: &[u8], fixed: bool) -> Option<(u32, &[u8])> {
        let digit = |i: usize| {
            s.get(i)
                .filter(|c| c.is_ascii_digit())
                .map(|c| u32::from(c - b'0'))
        };
        let first = digit(0)?;
        match digit(1) {
            Some(second) => Some((first * 10 + second, &s[2..])),
            None if fixed => None,
            None => Some((first, &s[1..])),
        }
    }
    fn skip(s: &[u8], c: u8) -> Option<&[u8]> {
        s.strip_prefix(&[c])
    }
    if s.len() < 4 || !s[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let year = s[..4].iter().fold(0, |y, c| y * 10 + u32::from(c - b'0'));
    let (month, s) = getnum(skip(&s[4..], b'-')?, true)?;
    let (day, s) = getnum(skip(s, b'-')?, true)?;
    let (hour, s) = getnum(skip(s, b'T')?, false)?;
    let (minute, s) = getnum(skip(s, b':')?, true)?;
    let (second, mut s) = getnum(skip(s, b':')?, true)?;
    if !(1..=12).contains(&month) || hour >= 24 || minute >= 60 || second >= 60 {
        return None;
    }
    let mut out = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    if s.len() >= 2 && matches!(s[0], b'.' | b',') && s[1].is_ascii_digit() {
        let n = 1 + s[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        // Nanoseconds: the first nine digits, trailing zeros dropped, nothing for zero.
        let digits = &s[1..n.min(10)];
        let kept = digits.len() - digits.iter().rev().take_while(|&&c| c == b'0').count();
        if kept > 0 {
            out.push('.');
            out.extend(digits[..kept].iter().map(|&c| char::from(c)));
        }
        s = &s[n..];
    }
    let offset_minutes = match s.first() {
        Some(b'Z') => {
            s = &s[1..];
            0
        }
        _ => {
            if s.len() < 6 || s[3] != b':' {
                return None;
            }
            let (hours, _) = getnum(&s[1..3], true)?;
            let (minutes, _) = getnum(&s[4..6], true)?;
            if hours > 24 || minutes > 60 {
                return None;
            }
            let sign = match s[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            s = &s[6..];
            sign * i64::from(hours * 60 + minutes)
        }
    };
    if !s.is_empty() || day < 1 || day > days_in(month, year) {
        return None;
    }
    if offset_minutes == 0 {
        out.push('Z');
    } else {
        let m = offset_minutes.unsigned_abs();
        if m / 60 >= 24 {
            return None;
        }
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        out.push_str(&format!("{sign}{:02}:{:02}", m / 60, m % 60));
    }
    Some(out)
}

/// Days in a month of a (proleptic Gregorian) year, as Go's `daysIn`.
fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::json_time;

    /// Checked with Go 1.26.8: `json.Unmarshal` into a `time.Time`, then `json.Marshal`.
    #[test]
    fn reads_and_writes_like_go() {
        for (s, go) in [
            ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
            ("2024-01-02T03:04:05.000Z", "2024-01-02T03:04:05Z"),
            ("2024-01-02T03:04:05.120Z", "2024-01-02T03:04:05.12Z"),
            (
                "2024-01-02T03:04:05.1234567891234Z",
                "2024-01-02T03:04:05.123456789Z",
            ),
            ("2024-01-02T03:04:05,5Z", "2024-01-02T03:04:05.5Z"),
            ("2024-01-02T3:04:05Z", "2024-01-02T03:04:05Z"),
            ("2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05Z"),
            ("2024-01-02T03:04:05-00:00", "2024-01-02T03:04:05Z"),
            ("2024-01-02T03:04:05+05:30", "2024-01-02T03:04:05+05:30"),
            ("2024-01-02T03:04:05+01:60", "2024-01-02T03:04:05+02:00"),
            ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"),
            ("0000-02-29T00:00:00Z", "0000-02-29T00:00:00Z"),
            ("0000-01-01T00:00:00+01:00", "0000-01-01T00:00:00+01:00"),
        ] {
            assert_eq!(json_time(s).as_deref(), Ok(go), "{s:?}");
        }
        for bad in [
            "x",
            "not a time",
            "2023-02-29T00:00:00Z",
            "2024-01-02 03:04:05Z",
            "2024-01-02t03:04:05z",
            "2024-01-02T24:00:00Z",
            "2024-01-02T03:04:60Z",
            "2024-01-02T03:04:05",
            "2024-01-02T03:04:05.Z",
            "2024-01-02T03:04:05+0530",
            "2024-01-02T03:04:05+25:00",
            "12024-01-02T03:04:05Z",
            "2024-1-02T03:04:05Z",
            "2024-01-02T03:04:05Zx",
            // Go reads it but cannot write it.
            "2024-01-02T03:04:05+24:00",
        ] {
            assert!(json_time(bad).is_err(), "{bad:?} was read");
        }
    }
}
