//! `.dockerignore`: the file as moby reads it (`dockerignore::parse`), the patterns compiled by
//! the matcher the checks use (`lint::IgnoreMatcher`, moby's `patternmatcher`) and asked about
//! paths, and a build that COPYs those paths with the patterns as the context's excludes (the
//! local source's `exclude-patterns`, the CopyIgnoredFile check). Input: the `.dockerignore`,
//! then a line `---` and one path per line (without it, a few fixed paths). The patterns and
//! our answers are dumped for the Go checker, which asks moby's own code.
#![no_main]

use dfrs_fuzz::{dump, run, Daemon, SEPARATOR};
use dockerfile_frontend::dockerignore;
use dockerfile_frontend::lint::IgnoreMatcher;
use dockerfile_frontend::options::BuildOptions;
use libfuzzer_sys::fuzz_target;
use serde_json::json;

/// Paths asked about when the input names none.
const PATHS: [&str; 8] = [
    "Dockerfile",
    "src/main.rs",
    "a/b/c.txt",
    ".git/config",
    "node_modules/x/index.js",
    "build.log",
    "dir/sub dir/file",
    "keep.tmp",
];

/// At most this many paths go into one build.
const MAX_PATHS: usize = 16;

fuzz_target!(|data: &[u8]| {
    dump::input(data);
    let text = String::from_utf8_lossy(data);
    let (ignore, paths) = match text.split_once(&format!("\n{SEPARATOR}\n")) {
        Some((ignore, paths)) => (ignore, paths.lines().collect::<Vec<_>>()),
        None => (text.as_ref(), PATHS.to_vec()),
    };
    let patterns = dockerignore::parse(ignore);
    dump::json(
        dump::IGNORE_FILE,
        &json!({"text": ignore, "patterns": patterns}),
    );
    match IgnoreMatcher::new(&patterns) {
        Err(e) => dump::json(
            dump::IGNORE_MATCH,
            &json!({"patterns": patterns, "path": "", "matches": false, "error": e}),
        ),
        Ok(m) => {
            let _ = (m.has_exclusions(), m.ignores_root());
            for path in &paths {
                let (matches, error) = match m.matches_or_parent_matches(path) {
                    Ok(b) => (b, None),
                    Err(e) => (false, Some(e)),
                };
                dump::json(
                    dump::IGNORE_MATCH,
                    &json!({"patterns": patterns, "path": path, "matches": matches,
                        "error": null, "match_error": error}),
                );
            }
        }
    }
    // A build that copies the paths from the context, the patterns excluding some.
    let mut dockerfile = String::from("# check=experimental=all\nFROM scratch\n");
    for path in paths.iter().take(MAX_PATHS) {
        let src = serde_json::to_string(path).unwrap_or_default();
        dockerfile.push_str(&format!("COPY [{src}, \"/dst/\"]\n"));
    }
    let build = BuildOptions {
        context_local: "context".into(),
        ..Default::default()
    };
    run(
        dockerfile.as_bytes(),
        &build,
        Some(ignore.as_bytes()),
        &Daemon::default(),
    );
});
