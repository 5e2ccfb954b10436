//! Go's `path` package (slash-separated paths) where BuildKit derives names from paths.

/// Go's `path.Base`: the last element, trailing slashes removed; `.` for an empty path and `/`
/// for one of slashes only.
pub fn go_path_base(p: &str) -> String {
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return if p.is_empty() { ".".into() } else { "/".into() };
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_like_go() {
        assert_eq!(go_path_base("/etc/passwd"), "passwd");
        assert_eq!(go_path_base("/run/secrets/x/"), "x");
        assert_eq!(go_path_base("/run/x/"), "x");
        assert_eq!(go_path_base("///"), "/");
        assert_eq!(go_path_base("/"), "/");
        assert_eq!(go_path_base("tok"), "tok");
        assert_eq!(go_path_base(""), ".");
    }
}
