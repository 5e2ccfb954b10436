//! STOPSIGNAL values, validated as moby's `signal.ParseSignal` does.

use super::LocatedError;

/// moby/sys/signal v0.7.1's `SignalMap` on Linux (what BuildKit v0.34.2 validates against).
const SIGNALS: &[&str] = &[
    "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
    "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
    "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMIN+1",
    "RTMIN+2", "RTMIN+3", "RTMIN+4", "RTMIN+5", "RTMIN+6", "RTMIN+7", "RTMIN+8", "RTMIN+9",
    "RTMIN+10", "RTMIN+11", "RTMIN+12", "RTMIN+13", "RTMIN+14", "RTMIN+15", "RTMAX-14", "RTMAX-13",
    "RTMAX-12", "RTMAX-11", "RTMAX-10", "RTMAX-9", "RTMAX-8", "RTMAX-7", "RTMAX-6", "RTMAX-5",
    "RTMAX-4", "RTMAX-3", "RTMAX-2", "RTMAX-1", "RTMAX",
];

/// `signal.ParseSignal`: a non-zero integer (Go's `Atoi`, sign allowed), or a name from the
/// map, upper-cased and with one `SIG` prefix removed.
pub(super) fn validate(sig: &str) -> Result<(), LocatedError> {
    let digits = sig.strip_prefix(['+', '-']).unwrap_or(sig);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = sig.parse::<i64>() {
            return if n == 0 { Err(invalid(sig)) } else { Ok(()) };
        }
    }
    let upper = sig.to_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if SIGNALS.contains(&name) {
        Ok(())
    } else {
        Err(invalid(sig))
    }
}

fn invalid(sig: &str) -> LocatedError {
    LocatedError::new(format!("invalid signal: {sig}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn signals() {
        for ok in [
            "SIGTERM",
            "TERM",
            "9",
            "SIGRTMIN+3",
            "sigkill",
            "-1",
            "+5",
            "RTMAX-14",
            "99999",
        ] {
            assert!(super::validate(ok).is_ok(), "{ok}");
        }
        for bad in [
            "SIGFOO",
            "0",
            "+0",
            "",
            "TERMX",
            "SIGSIGTERM",
            "RTMIN+16",
            "RTMIN+",
            "99999999999999999999",
        ] {
            assert!(super::validate(bad).is_err(), "{bad}");
        }
        assert_eq!(
            super::validate("FOO").unwrap_err().message,
            "invalid signal: FOO"
        );
    }
}
