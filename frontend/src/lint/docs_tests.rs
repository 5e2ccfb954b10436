//! Every rule's page, `docs/checks/<Rule>.md`, against the rule: its title, description and URL
//! are the rule's, its bad example makes the checker report the rule with the message the page
//! shows, and its good example does not. So the pages and the code cannot drift apart.
//!
//! A page may carry `<!-- check-test: KEY=VALUE (why) -->` for what the Dockerfile alone cannot
//! give: `dockerignore=PATTERN` (a `.dockerignore` with that pattern), `image-platform=OS/ARCH`
//! (every base image resolved as that platform), or `not-exercisable` (the examples are not run;
//! the page must say why).

use std::path::Path;

use buildkit_llb::Platform;

use super::rules;
use super::tests::Case;

struct Page {
    text: String,
}

impl Page {
    fn read(name: &str) -> Page {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs/checks")
            .join(format!("{name}.md"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{name}: no page at {}: {e}", path.display()));
        Page { text }
    }

    /// The value of a `- Key: value` line.
    fn field(&self, key: &str) -> Option<&str> {
        let prefix = format!("- {key}: ");
        self.text
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
    }

    /// The first fenced block of `lang` under the `## heading` section.
    fn block(&self, heading: &str, lang: &str) -> String {
        let start = self
            .text
            .find(&format!("\n## {heading}\n"))
            .unwrap_or_else(|| panic!("no '## {heading}' section"));
        let section = &self.text[start + 1..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
        let open = format!("```{lang}\n");
        let from = section
            .find(&open)
            .unwrap_or_else(|| panic!("no ```{lang} block under '## {heading}'"))
            + open.len();
        let len = section[from..]
            .find("```\n")
            .unwrap_or_else(|| panic!("unclosed block under '## {heading}'"));
        section[from..from + len].to_string()
    }

    /// The `<!-- check-test: … -->` markers: (key, value).
    fn markers(&self) -> Vec<(String, String)> {
        self.text
            .lines()
            .filter_map(|l| l.strip_prefix("<!-- check-test: "))
            .map(|m| {
                let word = m.split_whitespace().next().unwrap_or_default();
                match word.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (word.to_string(), String::new()),
                }
            })
            .collect()
    }
}

/// The rules the checker reports for `dockerfile` (every stage checked), with their messages.
fn findings(
    dockerfile: &str,
    dockerignore: Option<&str>,
    image_platform: Option<&str>,
) -> Vec<(String, String)> {
    let c = Case {
        dockerignore,
        all_stages: true,
        image_platform: image_platform.map(|p| Platform::parse(p).unwrap()),
        ..Case::new(dockerfile)
    };
    c.run()
        .into_iter()
        .map(|(rule, _, detail)| (rule, detail))
        .collect()
}

#[test]
fn every_rule_has_a_page_that_matches_it() {
    for rule in rules::ALL.iter().chain(rules::OURS.iter()) {
        let name = rule.name;
        let page = Page::read(name);
        assert_eq!(
            page.text.lines().next(),
            Some(format!("# {name}").as_str()),
            "{name}: the title"
        );
        assert_eq!(
            page.field("Description"),
            Some(rule.description),
            "{name}: the description"
        );
        let url = if rule.url.is_empty() {
            "none"
        } else {
            rule.url
        };
        assert_eq!(page.field("URL"), Some(url), "{name}: the URL");
        assert_eq!(
            page.field("Experimental") == Some("yes"),
            rule.experimental,
            "{name}: experimental"
        );
        for section in ["What it checks", "Skipping it"] {
            assert!(
                page.text.contains(&format!("\n## {section}\n")),
                "{name}: no '## {section}'"
            );
        }
        let bad = page.block("Bad example", "dockerfile");
        let good = page.block("Good example", "dockerfile");
        let message = page.block("Message", "text");
        let markers = page.markers();
        let marker = |key: &str| {
            markers
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        for (k, _) in &markers {
            assert!(
                ["dockerignore", "image-platform", "not-exercisable"].contains(&k.as_str()),
                "{name}: unknown marker {k}"
            );
        }
        if marker("not-exercisable").is_some() {
            continue;
        }
        let (ignore, platform) = (marker("dockerignore"), marker("image-platform"));
        let fired: Vec<_> = findings(&bad, ignore, platform)
            .into_iter()
            .filter(|(r, _)| r == name)
            .map(|(_, d)| d)
            .collect();
        assert_eq!(
            fired.first().map(String::as_str),
            Some(message.trim_end_matches('\n')),
            "{name}: the bad example must report the page's message:\n{bad}"
        );
        let good_findings = findings(&good, ignore, platform);
        assert!(
            !good_findings.iter().any(|(r, _)| r == name),
            "{name}: the good example must not fire: {good_findings:?}\n{good}"
        );
    }
}

#[test]
fn the_index_links_every_page() {
    let index =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/checks.md"))
            .unwrap();
    for rule in rules::ALL.iter().chain(rules::OURS.iter()) {
        assert!(
            index.contains(&format!("(checks/{}.md)", rule.name)),
            "docs/checks.md does not link {}",
            rule.name
        );
    }
}
