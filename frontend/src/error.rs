//! Errors that point into the Dockerfile: how they travel to BuildKit (a `google.rpc.Status`
//! with an `errdefs.Source` detail, which buildctl and buildx print as the surrounding lines)
//! and how the command-line tool prints them.

use std::borrow::Cow;

use buildkit_proto::google::rpc::Status;
use buildkit_proto::{errdefs, pb};
use prost::Message;

use crate::syntax::Location;

/// gRPC's `Unknown`, what BuildKit uses for build errors.
const CODE_UNKNOWN: i32 = 2;
/// gRPC's `Unimplemented`, for a capability this frontend lacks (as the reference reports it).
const CODE_UNIMPLEMENTED: i32 = 12;
const SOURCE_TYPE_URL: &str = "type.googleapis.com/errdefs.Source";

pub use crate::syntax::LocatedError;

/// Messages longer than this (bytes) are cut in the middle when they leave the frontend. The
/// reference quotes an instruction's words whole ("unknown instruction: …", "failed to parse
/// platform …"): up to 64 KiB from one line (the parser's limit) and more through continuation
/// lines, twice in some messages. Shorter messages are the reference's, byte for byte.
pub const MESSAGE_LIMIT: usize = 1024;

/// The widest Dockerfile line the command line prints around an error (characters), the rest
/// replaced by `…`. (The gateway sends the whole file: buildctl prints the lines itself.)
pub const SNIPPET_WIDTH: usize = 200;

/// How a located error leaves the frontend: to BuildKit, or printed by the command line.
impl LocatedError {
    /// The status returned to BuildKit, carrying the Dockerfile (`info`: its name, text and
    /// the definition it was loaded with) and the lines when known.
    pub fn to_status(&self, info: &pb::SourceInfo) -> Status {
        let status = plain_status(&self.shown_message());
        match self.location {
            Some(loc) => with_source(status, info, loc),
            None => status,
        }
    }

    /// The message as it leaves the frontend (sent to BuildKit, printed, reported by
    /// `frontend.lint`): the message itself up to [`MESSAGE_LIMIT`] bytes, else its first and
    /// last half of that with `…` between.
    pub fn shown_message(&self) -> Cow<'_, str> {
        shown(&self.message)
    }

    /// `Dockerfile:3` followed by the lines around the error, as buildctl shows it, each cut
    /// to [`SNIPPET_WIDTH`] characters.
    pub fn render(&self, filename: &str, source: &str) -> String {
        let message = self.shown_message();
        let Some(loc) = self.location else {
            return format!("error: {message}");
        };
        let lines: Vec<&str> = source.lines().collect();
        let first = loc.start_line.saturating_sub(3).max(1);
        let last = (loc.end_line + 2).min(lines.len());
        let mut out = format!("{filename}:{}\n--------------------\n", loc.start_line);
        for n in first..=last {
            let marker = if (loc.start_line..=loc.end_line).contains(&n) {
                ">>>"
            } else {
                "   "
            };
            out.push_str(&format!(
                " {marker} {n:>3} | {}\n",
                cut_end(lines.get(n - 1).copied().unwrap_or_default(), SNIPPET_WIDTH)
            ));
        }
        out.push_str("--------------------\n");
        out.push_str(&format!("error: {message}"));
        out
    }
}

/// A located error's message as it leaves the frontend ([`LocatedError::shown_message`]).
pub fn shown(message: &str) -> Cow<'_, str> {
    cut_middle(message, MESSAGE_LIMIT)
}

/// `s` if it has at most `limit` bytes, else its first and last `limit / 2` bytes (at
/// character boundaries) joined by `…`.
fn cut_middle(s: &str, limit: usize) -> Cow<'_, str> {
    if s.len() <= limit {
        return Cow::Borrowed(s);
    }
    let half = limit / 2;
    let mut head = half;
    while !s.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = s.len() - half;
    while !s.is_char_boundary(tail) {
        tail += 1;
    }
    Cow::Owned(format!("{}…{}", &s[..head], &s[tail..]))
}

/// `line` if it has at most `width` characters, else its first `width` and `…`.
fn cut_end(line: &str, width: usize) -> Cow<'_, str> {
    match line.char_indices().nth(width) {
        Some((end, _)) => Cow::Owned(format!("{}…", &line[..end])),
        None => Cow::Borrowed(line),
    }
}

/// The lines of `loc` as BuildKit sends them (an error's `errdefs.Source`, a warning): one
/// range per line (`Location::line_ranges`).
pub fn pb_ranges(loc: Location) -> Vec<pb::Range> {
    let pos = |line: usize| {
        Some(pb::Position {
            line: i32::try_from(line).unwrap_or(i32::MAX),
            character: 0,
        })
    };
    loc.line_ranges()
        .map(|(start, end)| pb::Range {
            start: pos(start),
            end: pos(end),
        })
        .collect()
}

/// A plain error with no place in the Dockerfile.
pub fn plain_status(message: &str) -> Status {
    Status {
        code: CODE_UNKNOWN,
        message: message.to_string(),
        details: Vec::new(),
    }
}

/// "unsupported frontend capability NAME", coded like the reference's.
pub fn unimplemented_status(message: &str) -> Status {
    Status {
        code: CODE_UNIMPLEMENTED,
        message: message.to_string(),
        details: Vec::new(),
    }
}

/// The full status of a daemon error, with its typed details (the `errdefs.Source` of a failed
/// RUN, the exec's exit code, the vertex): passed back unchanged so buildctl and buildx can
/// show the Dockerfile lines. gRPC carries them encoded as a `google.rpc.Status`.
pub fn status_from_grpc(s: &tonic::Status) -> Status {
    match Status::decode(s.details()) {
        Ok(st) if !s.details().is_empty() => Status {
            code: s.code() as i32,
            message: s.message().to_string(),
            details: st.details,
        },
        _ => Status {
            code: s.code() as i32,
            message: s.message().to_string(),
            details: Vec::new(),
        },
    }
}

/// Whether a status already points into a source file (then the reference adds no location).
pub fn has_source(s: &Status) -> bool {
    s.details.iter().any(|d| d.type_url == SOURCE_TYPE_URL)
}

/// The `SourceInfo` of a Dockerfile: errors and warnings point into it, and BuildKit keeps
/// the definition it was loaded with for history and provenance.
pub fn dockerfile_info(
    filename: &str,
    data: &[u8],
    definition: Option<pb::Definition>,
) -> pb::SourceInfo {
    pb::SourceInfo {
        filename: filename.to_string(),
        data: data.to_vec(),
        definition,
        language: "Dockerfile".into(),
    }
}

/// Adds an `errdefs.Source` for these lines to a status (the reference's `wrapSource`).
pub fn with_source(mut s: Status, info: &pb::SourceInfo, loc: Location) -> Status {
    let detail = errdefs::Source {
        info: Some(info.clone()),
        ranges: pb_ranges(loc),
    };
    s.details.push(prost_types::Any {
        type_url: SOURCE_TYPE_URL.into(),
        value: detail.encode_to_vec(),
    });
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_carries_the_source() {
        let e = LocatedError::at(
            "unknown instruction: FOO",
            Location {
                start_line: 2,
                end_line: 2,
                file: 0,
            },
        );
        let loaded_with = pb::Definition {
            def: vec![b"op".to_vec()],
            ..Default::default()
        };
        let s = e.to_status(&dockerfile_info(
            "Dockerfile",
            b"FROM x\nFOO bar\n",
            Some(loaded_with.clone()),
        ));
        assert_eq!(s.message, "unknown instruction: FOO");
        let src = errdefs::Source::decode(s.details[0].value.as_slice()).unwrap();
        assert_eq!(src.ranges[0].start.as_ref().unwrap().line, 2);
        let info = src.info.unwrap();
        assert_eq!(info.filename, "Dockerfile");
        // BuildKit keeps the definition the Dockerfile was loaded with (history, provenance).
        assert_eq!(info.definition, Some(loaded_with));
    }

    #[test]
    fn a_multi_line_instruction_is_a_range_per_line() {
        // The reference's wrapSource of `node.Location()`: `RUN a \` + `b` is lines 2 and 3.
        let e = LocatedError::at(
            "bad",
            Location {
                start_line: 2,
                end_line: 3,
                file: 0,
            },
        );
        let s = e.to_status(&dockerfile_info(
            "Dockerfile",
            b"FROM x\nRUN a \\\n  b\n",
            None,
        ));
        let src = errdefs::Source::decode(s.details[0].value.as_slice()).unwrap();
        let lines: Vec<(i32, i32)> = src
            .ranges
            .iter()
            .map(|r| (r.start.as_ref().unwrap().line, r.end.as_ref().unwrap().line))
            .collect();
        assert_eq!(lines, vec![(2, 2), (3, 3)]);
    }

    #[test]
    fn grpc_details_are_kept() {
        let inner = LocatedError::at(
            "process did not complete",
            Location {
                start_line: 3,
                end_line: 3,
                file: 0,
            },
        )
        .to_status(&dockerfile_info("Dockerfile", b"a\nb\nRUN false\n", None));
        let grpc = tonic::Status::with_details(
            tonic::Code::Unknown,
            "process did not complete",
            inner.encode_to_vec().into(),
        );
        let s = status_from_grpc(&grpc);
        assert!(has_source(&s));
        assert_eq!(s.message, "process did not complete");
        assert!(!has_source(&status_from_grpc(&tonic::Status::unknown("x"))));
        let added = with_source(
            plain_status("x"),
            &dockerfile_info("Dockerfile", b"FROM a\n", None),
            Location {
                start_line: 1,
                end_line: 1,
                file: 0,
            },
        );
        assert!(has_source(&added));
    }

    #[test]
    fn long_messages_are_cut_in_the_middle() {
        let short = "unknown instruction: FOO";
        assert!(matches!(
            LocatedError::new(short).shown_message(),
            Cow::Borrowed(m) if m == short
        ));
        let exact = "x".repeat(MESSAGE_LIMIT);
        assert_eq!(LocatedError::new(exact.clone()).shown_message(), exact);
        // A quoted 60 KB word: the start and the reason at the end are kept.
        let long = format!(
            "failed to parse platform {}: \"{}\": unknown operating system or architecture: invalid argument",
            "A".repeat(60_000),
            "A".repeat(60_000)
        );
        let e = LocatedError::at(
            long.clone(),
            Location {
                start_line: 1,
                end_line: 1,
                file: 0,
            },
        );
        let shown = e.shown_message();
        assert!(shown.len() <= MESSAGE_LIMIT + '…'.len_utf8());
        assert!(shown.starts_with("failed to parse platform AAAA"));
        assert!(shown.ends_with("\": unknown operating system or architecture: invalid argument"));
        assert!(shown.contains("A…A"));
        // Sent cut (the Dockerfile itself travels whole in the errdefs.Source).
        let s = e.to_status(&dockerfile_info("Dockerfile", b"FROM x\n", None));
        assert_eq!(s.message, shown);
        assert!(e
            .render("Dockerfile", "FROM x\n")
            .ends_with(&format!("error: {shown}")));
        // Cut at character boundaries.
        let wide = "é".repeat(MESSAGE_LIMIT);
        let shown = LocatedError::new(wide).shown_message().into_owned();
        assert!(shown.starts_with('é') && shown.ends_with('é') && shown.contains('…'));
    }

    #[test]
    fn long_lines_are_cut_where_the_command_line_prints_them() {
        let e = LocatedError::at(
            "bad",
            Location {
                start_line: 2,
                end_line: 2,
                file: 0,
            },
        );
        let long = format!("RUN {}", "ü".repeat(1 << 20));
        let r = e.render("Dockerfile", &format!("FROM x\n{long}\nRUN y\n"));
        let shown = r.lines().find(|l| l.contains(">>>")).unwrap();
        let expected = format!(" >>>   2 | RUN {}…", "ü".repeat(SNIPPET_WIDTH - 4));
        assert_eq!(shown, expected);
        // Lines up to the width are printed whole.
        let fits = "R".repeat(SNIPPET_WIDTH);
        assert!(e
            .render("Dockerfile", &format!("FROM x\n{fits}\n"))
            .contains(&format!(">>>   2 | {fits}\n")));
    }

    #[test]
    fn render_marks_the_lines() {
        let e = LocatedError::at(
            "bad",
            Location {
                start_line: 2,
                end_line: 2,
                file: 0,
            },
        );
        let r = e.render("Dockerfile", "FROM x\nFOO bar\nRUN y\n");
        assert!(r.starts_with("Dockerfile:2\n"));
        assert!(r.contains(">>>   2 | FOO bar"));
        assert!(r.ends_with("error: bad"));
    }
}
