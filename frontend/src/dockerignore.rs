//! `.dockerignore`: the exclude patterns sent with the build context, read as moby's
//! `ignorefile.ReadAll` reads them (the daemon does the matching, `!` exceptions and `**`).

pub fn parse(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        let mut p = String::new();
        if !pattern.is_empty() {
            p = buildkit_llb::clean_path(pattern);
            if p.len() > 1 && p.starts_with('/') {
                p.remove(0);
            }
        }
        out.push(if invert { format!("!{p}") } else { p });
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_like_moby() {
        let got = super::parse(
            "\u{feff}# comment\n\n  node_modules/ \n!keep/./me\n/abs/path\n**/*.log\n !  x\n#x\n",
        );
        assert_eq!(
            got,
            vec!["node_modules", "!keep/me", "abs/path", "**/*.log", "!x"]
        );
    }
}
