//! How BuildKit splits an `EXPOSE` port spec (`[ip:][hostPort:]containerPort[/proto]`) before
//! its checks look at the parts (`splitParts`, `splitProtoPort` of convert_expose.go).

use crate::gocompat::go_quote;

/// The parts of one spec the checks look at.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PortSpec<'a> {
    pub ip: &'a str,
    pub host_port: &'a str,
    /// The protocol as written (`tcp` when none).
    pub proto: &'a str,
}

/// Splits `raw`; the error is the one the reference reports for a spec without a port or with
/// an unknown protocol.
pub(crate) fn split(raw: &str) -> Result<PortSpec<'_>, String> {
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    let (ip, host_port, container) = match n {
        1 => ("", "", parts[0]),
        2 => ("", parts[0], parts[1]),
        _ => {
            // Everything before the last two parts is the IP (IPv6 addresses have colons).
            let ip_len = raw.len() - parts[n - 2].len() - parts[n - 1].len() - 2;
            (&raw[..ip_len], parts[n - 2], parts[n - 1])
        }
    };
    let (port, proto) = container.split_once('/').unwrap_or((container, ""));
    let invalid = |reason: String| format!("invalid port: {}: {reason}", go_quote(raw));
    if port.is_empty() {
        return Err(invalid("no port specified".into()));
    }
    let proto = match proto.to_lowercase().as_str() {
        "" => "tcp",
        "tcp" | "udp" | "sctp" => proto,
        _ => return Err(invalid(format!("invalid proto: {proto}"))),
    };
    Ok(PortSpec {
        ip,
        host_port,
        proto,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_buildkit() {
        assert_eq!(
            split("80").unwrap(),
            PortSpec {
                ip: "",
                host_port: "",
                proto: "tcp"
            }
        );
        assert_eq!(split("80/TcP").unwrap().proto, "TcP");
        assert_eq!(split("5000:5000").unwrap().host_port, "5000");
        let s = split("127.0.0.1:80:80/udp").unwrap();
        assert_eq!((s.ip, s.host_port, s.proto), ("127.0.0.1", "80", "udp"));
        assert_eq!(split("[::1]:8080:8080").unwrap().ip, "[::1]");
        assert_eq!(
            split("/tcp").unwrap_err(),
            "invalid port: \"/tcp\": no port specified"
        );
        assert_eq!(
            split("80/http").unwrap_err(),
            "invalid port: \"80/http\": invalid proto: http"
        );
    }
}
