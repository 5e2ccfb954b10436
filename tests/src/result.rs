//! What a build did ([`BuildResult`]): assertions, its error, its output, its progress steps.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use crate::frontend::{mode, Frontend};
use crate::registry::{fetch_image, Image};

/// What a finished `buildctl build` did.
#[derive(Debug)]
pub struct BuildResult {
    pub command: String,
    pub frontend: Frontend,
    pub status: ExitStatus,
    pub timed_out: bool,
    pub stdout: String,
    /// The plain progress log (and buildctl's error, last).
    pub stderr: String,
    pub elapsed: Duration,
    /// The `type=local` export directory.
    pub out_dir: Option<PathBuf>,
    /// The pushed image name for a `type=image` export.
    pub image: Option<String>,
    /// What buildkitd logged during a failed build (our frontend's stderr ends up there).
    pub daemon_log_tail: String,
}

impl BuildResult {
    pub fn success(&self) -> bool {
        self.status.success() && !self.timed_out
    }

    /// Panics with the command, the frontend and the end of the log unless the build succeeded.
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        if !self.success() {
            panic!("build failed, expected success\n{}", self.report());
        }
        self
    }

    /// Panics unless the build failed (and did not just time out).
    #[track_caller]
    pub fn assert_failed(&self) -> &Self {
        if self.success() {
            panic!("build succeeded, expected a failure\n{}", self.report());
        }
        if self.timed_out {
            panic!("build timed out, expected a failure\n{}", self.report());
        }
        self
    }

    /// Panics unless stderr contains every one of `needles` (ASCII case-insensitive).
    #[track_caller]
    pub fn assert_stderr_contains(&self, needles: &[&str]) -> &Self {
        let hay = self.stderr.to_ascii_lowercase();
        for n in needles {
            if !hay.contains(&n.to_ascii_lowercase()) {
                panic!("the build log does not contain {n:?}\n{}", self.report());
            }
        }
        self
    }

    /// The last line starting with `error:` that buildctl printed (`ERROR:` for buildx): the
    /// build's error message.
    pub fn error_message(&self) -> Option<&str> {
        self.stderr
            .lines()
            .rev()
            .find(|l| l.starts_with("error:") || l.starts_with("ERROR:"))
    }

    /// The `Dockerfile:N` block a client prints for a located error: the file name and line,
    /// then the surrounding lines with `>>>` on the error's lines. Returns (header line, the
    /// `>>>` lines), or None when the log has no such block.
    pub fn error_location(&self) -> Option<(String, Vec<String>)> {
        let lines: Vec<&str> = self.stderr.lines().collect();
        let sep = lines
            .iter()
            .position(|l| l.trim() == "--------------------")?;
        let header = lines.get(sep.checked_sub(1)?)?.trim().to_string();
        let marked = lines[sep + 1..]
            .iter()
            .take_while(|l| l.trim() != "--------------------")
            .filter_map(|l| l.split_once("| >>> ").map(|(_, text)| text.to_string()))
            .collect();
        Some((header, marked))
    }

    /// A human-readable account of the build for failure messages.
    pub fn report(&self) -> String {
        let mut s = String::new();
        let frontend = match &self.frontend {
            Frontend::Gateway(img) => format!("gateway image via gateway.v0 (source={img})"),
            Frontend::Builtin => "BuildKit's built-in dockerfile.v0".to_string(),
        };
        let _ = writeln!(s, "  DFRS_FRONTEND: {:?}; frontend: {frontend}", mode());
        let _ = writeln!(s, "  command: {}", self.command);
        let _ = writeln!(
            s,
            "  status: {}{} after {:.1}s",
            self.status,
            if self.timed_out {
                " (killed: timed out)"
            } else {
                ""
            },
            self.elapsed.as_secs_f64()
        );
        let lines: Vec<&str> = self.stderr.lines().collect();
        let from = lines.len().saturating_sub(80);
        let _ = writeln!(
            s,
            "  ---- buildctl output (last {} lines) ----",
            lines.len() - from
        );
        for l in &lines[from..] {
            let _ = writeln!(s, "  | {l}");
        }
        if !self.daemon_log_tail.is_empty() {
            let _ = writeln!(
                s,
                "  ---- buildkitd log during the build (a gateway frontend's own stderr lands \
                 here; other tests' lines may be mixed in) ----"
            );
            for l in self
                .daemon_log_tail
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .iter()
                .rev()
            {
                let _ = writeln!(s, "  | {l}");
            }
        }
        if matches!(self.frontend, Frontend::Gateway(_)) && !self.success() {
            let _ = writeln!(
                s,
                "  hint: `exit code: N` alone means the frontend process exited with an error \
                 before returning a result; see its stderr in the buildkitd log above. Compare \
                 with the reference: DFRS_FRONTEND=reference."
            );
        }
        s
    }

    /// The `type=local` output directory.
    #[track_caller]
    pub fn out_dir(&self) -> &Path {
        match self.out_dir.as_deref() {
            Some(d) => d,
            None => panic!("the build had no local output"),
        }
    }

    /// A file of the `type=local` output, as text.
    #[track_caller]
    pub fn read_output(&self, rel: &str) -> String {
        let path = self.out_dir().join(rel);
        match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => panic!(
                "cannot read {} from the build output: {e}\n{}",
                path.display(),
                self.report()
            ),
        }
    }

    /// The steps (vertices) of the plain progress log, in order of first appearance.
    pub fn steps(&self) -> Vec<Step> {
        parse_progress(&self.stderr)
    }

    /// The Dockerfile instruction steps (`[stage n/m] RUN ...`, `COPY`, `ADD`).
    pub fn instruction_steps(&self) -> Vec<Step> {
        self.steps()
            .into_iter()
            .filter(Step::is_instruction)
            .collect()
    }

    /// The pushed image's manifest and config, from the registry.
    #[track_caller]
    pub fn image(&self) -> Image {
        fetch_image(
            self.image
                .as_deref()
                .unwrap_or_else(|| panic!("the build had no image output")),
        )
    }
}

/// One vertex of the plain progress output (`#N name`, then `#N CACHED`/`DONE`/`ERROR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: u32,
    pub name: String,
    pub cached: bool,
    pub done: bool,
    pub error: bool,
}

impl Step {
    /// The text after a leading `[stage n/m] ` prefix.
    pub fn instruction(&self) -> &str {
        match self.name.strip_prefix('[') {
            Some(rest) => rest.split_once("] ").map_or(self.name.as_str(), |(_, r)| r),
            None => &self.name,
        }
    }

    /// The `stage` of a `[stage n/m]` prefix, if any.
    pub fn stage(&self) -> Option<&str> {
        let rest = self.name.strip_prefix('[')?;
        let (inside, _) = rest.split_once("] ")?;
        Some(inside.split_whitespace().next().unwrap_or(inside))
    }

    pub fn is_instruction(&self) -> bool {
        let i = self.instruction();
        ["RUN ", "COPY ", "ADD "].iter().any(|p| i.starts_with(p))
    }
}

/// Parses `buildctl --progress=plain` output into steps.
pub fn parse_progress(log: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut index: BTreeMap<u32, usize> = BTreeMap::new();
    for line in log.lines() {
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let (num, text) = rest.split_once(' ').unwrap_or((rest, ""));
        let Ok(id) = num.parse::<u32>() else { continue };
        let i = *index.entry(id).or_insert_with(|| {
            steps.push(Step {
                id,
                name: text.to_string(),
                cached: false,
                done: false,
                error: false,
            });
            steps.len() - 1
        });
        let step = &mut steps[i];
        if text == "CACHED" {
            step.cached = true;
        } else if text.starts_with("DONE") {
            step.done = true;
        } else if text.starts_with("ERROR") {
            step.error = true;
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_progress() {
        let log = "#1 [internal] load build definition from Dockerfile\n\
                   #1 transferring dockerfile: 87B done\n#1 DONE 0.0s\n\n\
                   #5 [a 2/2] RUN sleep 2\n#5 CACHED\n\
                   #6 [final 2/3] COPY --from=a /a /a\n#6 0.12 hello\n#6 DONE 0.1s\n\
                   #5 [a 2/2] RUN sleep 2\n#7 [b 1/1] RUN false\n#7 ERROR: process failed\n";
        let steps = parse_progress(log);
        assert_eq!(steps.len(), 4);
        assert_eq!(steps[1].name, "[a 2/2] RUN sleep 2");
        assert!(steps[1].cached && !steps[1].done);
        assert_eq!(steps[1].stage(), Some("a"));
        assert_eq!(steps[2].instruction(), "COPY --from=a /a /a");
        assert!(steps[2].done && !steps[2].cached);
        assert!(steps[3].error);
        assert!(!steps[0].is_instruction());
        assert!(steps[1].is_instruction() && steps[3].is_instruction());
    }
}
