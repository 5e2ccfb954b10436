//! EXPOSE port specs (`80`, `80/udp`, `8000-8002/tcp`, and the legacy `ip:host:container`
//! forms), parsed into the `port/proto` keys of the image config as the reference does.

use super::LocatedError;

pub(super) fn parse_ports(ports: &[String]) -> Result<Vec<String>, LocatedError> {
    let mut out = Vec::new();
    for p in ports {
        out.extend(parse_port(p)?);
    }
    Ok(out)
}

fn parse_port(raw: &str) -> Result<Vec<String>, LocatedError> {
    let (ip, host_port, container) = split_parts(raw);
    let (proto, container) = split_proto_port(container)
        .map_err(|e| LocatedError::new(format!("invalid port: {raw:?}: {e}")))?;
    let ip = match ip.strip_prefix('[') {
        Some(inner) => inner
            .strip_suffix(']')
            .ok_or_else(|| LocatedError::new(format!("invalid IP address {ip}")))?,
        None => ip,
    };
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(LocatedError::new(format!("invalid IP address: {ip}")));
    }
    let (start, end) = parse_range(container)
        .map_err(|_| LocatedError::new(format!("invalid containerPort: {container}")))?;
    if !host_port.is_empty() {
        let (hs, he) = parse_range(host_port)
            .map_err(|_| LocatedError::new(format!("invalid hostPort: {host_port}")))?;
        if end - start != he - hs && end != start {
            return Err(LocatedError::new(format!("invalid ranges specified for container and host Ports: {container} and {host_port}")));
        }
    }
    Ok((start..=end)
        .map(|p| format!("{p}/{}", proto.to_ascii_lowercase()))
        .collect())
}

fn split_parts(raw: &str) -> (&str, &str, &str) {
    let parts: Vec<&str> = raw.split(':').collect();
    match parts.len() {
        1 => ("", "", parts[0]),
        2 => ("", parts[0], parts[1]),
        3 => (parts[0], parts[1], parts[2]),
        n => {
            let ip_end = raw.len() - parts[n - 1].len() - parts[n - 2].len() - 2;
            (&raw[..ip_end], parts[n - 2], parts[n - 1])
        }
    }
}

fn split_proto_port(raw: &str) -> Result<(&str, &str), String> {
    let (port, proto) = raw.split_once('/').unwrap_or((raw, ""));
    if port.is_empty() {
        return Err("no port specified".into());
    }
    match proto.to_ascii_lowercase().as_str() {
        "" => Ok(("tcp", port)),
        "tcp" | "udp" | "sctp" => Ok((proto, port)),
        _ => Err(format!("invalid proto: {proto}")),
    }
}

fn parse_range(ports: &str) -> Result<(u32, u32), ()> {
    if ports.is_empty() {
        return Err(());
    }
    let (start, end) = ports
        .split_once('-')
        .map_or((ports, None), |(s, e)| (s, Some(e)));
    let s = parse_number(start)?;
    match end {
        None => Ok((s, s)),
        Some(e) if e == start => Ok((s, s)),
        Some(e) => {
            let e = parse_number(e)?;
            if e < s {
                Err(())
            } else {
                Ok((s, e))
            }
        }
    }
}

fn parse_number(s: &str) -> Result<u32, ()> {
    let n: i64 = s.parse().map_err(|_| ())?;
    if (0..=65535).contains(&n) {
        Ok(n as u32)
    } else {
        Err(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(p: &[&str]) -> Vec<String> {
        parse_ports(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn forms() {
        assert_eq!(ports(&["80", "443/UDP"]), vec!["80/tcp", "443/udp"]);
        assert_eq!(
            ports(&["8000-8002"]),
            vec!["8000/tcp", "8001/tcp", "8002/tcp"]
        );
        assert_eq!(ports(&["127.0.0.1:8080:80"]), vec!["80/tcp"]);
        assert_eq!(ports(&["[::1]:8080:80/sctp"]), vec!["80/sctp"]);
    }

    #[test]
    fn errors() {
        for bad in ["", "80/xyz", "abc", "70000", "90-80", "1.2.3:80:80"] {
            assert!(parse_ports(&[bad.to_string()]).is_err(), "{bad}");
        }
    }
}
