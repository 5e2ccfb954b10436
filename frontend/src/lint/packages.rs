//! Package-manager hygiene in a `RUN` script, read as words (our own rules; conservative: a
//! script that mentions the remedy anywhere is not reported).

/// The script's commands: split at `&&`, `||`, `;`, `|` and newlines, each as its words.
fn commands(script: &str) -> Vec<Vec<&str>> {
    script
        .split(['\n', ';', '|', '&'])
        .map(|c| c.split_whitespace().collect::<Vec<_>>())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Whether `cmd` runs `tool` (possibly after `sudo` or an env assignment) with `sub` as a
/// later word.
fn runs(cmd: &[&str], tools: &[&str], sub: &str) -> bool {
    let Some(i) = cmd.iter().position(|w| tools.contains(w)) else {
        return false;
    };
    cmd[..i]
        .iter()
        .all(|w| *w == "sudo" || w.contains('=') || w.starts_with('-'))
        && cmd[i + 1..].contains(&sub)
}

/// `apt-get install` (or `apt install`) with recommends left on: no
/// `--no-install-recommends` and no `Install-Recommends` setting anywhere in the script.
pub(super) fn apt_install_without_no_recommends(script: &str) -> bool {
    if script.contains("--no-install-recommends") || script.contains("Install-Recommends") {
        return false;
    }
    commands(script)
        .iter()
        .any(|c| runs(c, &["apt-get", "apt"], "install"))
}

/// `apt-get install` (or `apt install`) with the package lists left in the layer:
/// `/var/lib/apt` (an `rm -rf /var/lib/apt/lists/*` or a cache mount) not mentioned anywhere in
/// the instruction.
pub(super) fn apt_lists_not_cleaned(instruction: &str) -> bool {
    if instruction.contains("/var/lib/apt") {
        return false;
    }
    commands(instruction)
        .iter()
        .any(|c| runs(c, &["apt-get", "apt"], "install"))
}

/// `apk add` that keeps its index cache: no `--no-cache`, and `/var/cache/apk` (a cache mount
/// or a clean-up) not mentioned anywhere in the instruction.
pub(super) fn apk_add_with_cache(instruction: &str) -> bool {
    if instruction.contains("--no-cache") || instruction.contains("/var/cache/apk") {
        return false;
    }
    commands(instruction)
        .iter()
        .any(|c| runs(c, &["apk"], "add"))
}

/// Why a base image reference is not pinned: `"has no tag"` or `"uses the latest tag"`;
/// `None` for `scratch`, a digest, a variable or any other tag.
pub(super) fn unpinned(image: &str) -> Option<&'static str> {
    if image.eq_ignore_ascii_case("scratch") || image.contains('@') || image.contains('$') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("has no tag"),
        Some((_, "latest")) => Some("uses the latest tag"),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_images() {
        assert_eq!(unpinned("alpine"), Some("has no tag"));
        assert_eq!(unpinned("localhost:5000/app"), Some("has no tag"));
        assert_eq!(
            unpinned("docker.io/library/debian:latest"),
            Some("uses the latest tag")
        );
        for quiet in [
            "scratch",
            "alpine:3.20",
            "localhost:5000/app:1.2",
            "alpine@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "alpine:${VERSION}",
            "${BASE}",
        ] {
            assert_eq!(unpinned(quiet), None, "{quiet}");
        }
    }

    #[test]
    fn apt() {
        for fires in [
            "apt-get update && apt-get install -y curl",
            "apt-get install -y curl",
            "DEBIAN_FRONTEND=noninteractive apt-get install -y git",
            "set -e; sudo apt install -y git",
            "apt-get update \n apt-get -y install curl",
        ] {
            assert!(apt_install_without_no_recommends(fires), "{fires}");
        }
        for quiet in [
            "apt-get update && apt-get install -y --no-install-recommends curl",
            "apt-get -o APT::Install-Recommends=false install curl",
            "apt-get update",
            "echo apt-get install",
            "apk add curl",
            "pip install requests",
            "npm install",
        ] {
            assert!(!apt_install_without_no_recommends(quiet), "{quiet}");
        }
    }

    #[test]
    fn apt_lists() {
        assert!(apt_lists_not_cleaned(
            "apt-get update && apt-get install -y curl"
        ));
        for quiet in [
            "apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
            "--mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y curl",
            "apt-get update",
            "apk add curl",
        ] {
            assert!(!apt_lists_not_cleaned(quiet), "{quiet}");
        }
    }

    #[test]
    fn apk() {
        for fires in [
            "apk add curl",
            "apk update && apk add --virtual .deps gcc",
            "set -e; apk -U add git",
        ] {
            assert!(apk_add_with_cache(fires), "{fires}");
        }
        for quiet in [
            "apk add --no-cache curl",
            "--mount=type=cache,target=/var/cache/apk apk add curl",
            "apk add curl && rm -rf /var/cache/apk/*",
            "apk del curl",
            "echo apk add",
            "apt-get install -y curl",
        ] {
            assert!(!apk_add_with_cache(quiet), "{quiet}");
        }
    }
}
