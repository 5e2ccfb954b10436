//! Errors that point into the Dockerfile: how they travel to BuildKit (a `google.rpc.Status`
//! with an `errdefs.Source` detail, which buildctl and buildx print as the surrounding lines)
//! and how the command-line tool prints them.

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

/// How a located error leaves the frontend: to BuildKit, or printed by the command line.
impl LocatedError {
    /// The status returned to BuildKit, carrying the Dockerfile (`info`: its name, text and
    /// the definition it was loaded with) and the lines when known.
    pub fn to_status(&self, info: &pb::SourceInfo) -> Status {
        let status = plain_status(&self.message);
        match self.location {
            Some(loc) => with_source(status, info, loc),
            None => status,
        }
    }

    /// `Dockerfile:3` followed by the lines around the error, as buildctl shows it.
    pub fn render(&self, filename: &str, source: &str) -> String {
        let Some(loc) = self.location else {
            return format!("error: {}", self.message);
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
                lines.get(n - 1).copied().unwrap_or_default()
            ));
        }
        out.push_str("--------------------\n");
        out.push_str(&format!("error: {}", self.message));
        out
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
            },
        );
        assert!(has_source(&added));
    }

    #[test]
    fn render_marks_the_lines() {
        let e = LocatedError::at(
            "bad",
            Location {
                start_line: 2,
                end_line: 2,
            },
        );
        let r = e.render("Dockerfile", "FROM x\nFOO bar\nRUN y\n");
        assert!(r.starts_with("Dockerfile:2\n"));
        assert!(r.contains(">>>   2 | FOO bar"));
        assert!(r.ends_with("error: bad"));
    }
}
