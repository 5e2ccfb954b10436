//! STOPSIGNAL values, validated as moby's `signal.ParseSignal` does.

use super::ConvertError;

const SIGNALS: &[&str] = &[
    "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT",
    "STOP", "SYS", "TERM", "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX",
];

pub(super) fn validate(sig: &str) -> Result<(), ConvertError> {
    if let Ok(n) = sig.parse::<u32>() {
        return if n == 0 { Err(invalid(sig)) } else { Ok(()) };
    }
    let upper = sig.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper).to_string();
    let base = name.split(['+', '-']).next().unwrap_or_default();
    if SIGNALS.contains(&name.as_str()) || ((base == "RTMIN" || base == "RTMAX") && name[base.len()..].trim_start_matches(['+', '-']).parse::<u32>().is_ok()) {
        Ok(())
    } else {
        Err(invalid(sig))
    }
}

fn invalid(sig: &str) -> ConvertError {
    ConvertError::new(format!("Invalid signal: {sig}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn signals() {
        for ok in ["SIGTERM", "TERM", "9", "SIGRTMIN+3", "sigkill"] {
            assert!(super::validate(ok).is_ok(), "{ok}");
        }
        for bad in ["SIGFOO", "0", "", "TERMX"] {
            assert!(super::validate(bad).is_err(), "{bad}");
        }
    }
}
