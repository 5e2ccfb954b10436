//! `frontend.lint`: every check's findings over all stages (or the target's), the Dockerfile
//! they point into, and the error the build would stop with (BuildKit's `lint.LintResults`,
//! `ToResult` and `PrintTo`).

use buildkit_proto::pb;

use super::json::{self, Json};
use super::{result, Metadata};
use crate::gocompat::sort as gosort;
use crate::lint::Warning;
use crate::syntax::LocatedError;

/// What `frontend.lint` reports.
pub struct LintReport<'a> {
    pub warnings: &'a [Warning],
    /// The Dockerfile (file name, contents, language and the definition it was read with),
    /// then the files its `INCLUDE`s read (our extension), by number.
    pub sources: Vec<pb::SourceInfo>,
    /// The error the build would fail with, with the lines it points at.
    pub error: Option<LocatedError>,
}

pub fn lint(report: &LintReport<'_>) -> Metadata {
    let warnings: Vec<Json> = report
        .warnings
        .iter()
        .map(|w| {
            let ranges = w.location.map(json::line_ranges).unwrap_or_default();
            Json::obj()
                .field("ruleName", Json::str(w.rule.name))
                .str_omitempty("description", w.rule.description)
                .str_omitempty("url", w.rule.url)
                .str_omitempty("detail", &w.detail)
                .field(
                    "location",
                    json::location_ranges(source_index(w.location), &ranges),
                )
                .build()
        })
        .collect();
    let mut doc = Json::obj()
        .field(
            "warnings",
            if warnings.is_empty() {
                Json::Null
            } else {
                Json::Arr(warnings)
            },
        )
        .field(
            "sources",
            Json::Arr(report.sources.iter().map(json::source_info).collect()),
        );
    if let Some(LocatedError {
        message,
        location: loc,
    }) = &report.error
    {
        let ranges = loc.map(json::line_ranges).unwrap_or_default();
        doc = doc.field(
            "buildError",
            Json::obj()
                .field("message", Json::str(crate::error::shown(message)))
                .field(
                    "location",
                    json::location_ranges(source_index(*loc), &ranges),
                )
                .build(),
        );
    }
    let status = if report.warnings.is_empty() && report.error.is_none() {
        "0"
    } else {
        "1"
    };
    result(
        doc.build().marshal_indent(),
        text(report),
        &[("result.statuscode", status.as_bytes().to_vec())],
    )
}

/// `LintResults.PrintTo`: the warnings sorted by line (with Go's unstable sort), each with the
/// lines it points at.
fn text(report: &LintReport<'_>) -> Vec<u8> {
    let mut sorted: Vec<&Warning> = report.warnings.iter().collect();
    gosort::sort_slice(&mut sorted, |a, b| match (a.location, b.location) {
        (None, None) => a.rule.name < b.rule.name,
        (None, Some(_)) => true,
        (Some(_), None) => false,
        (Some(x), Some(y)) => x.start_line < y.start_line,
    });
    let mut out = Vec::new();
    for w in sorted {
        out.extend_from_slice(format!("\nWARNING: {}", w.rule.name).as_bytes());
        if !w.rule.url.is_empty() {
            out.extend_from_slice(format!(" - {}", w.rule.url).as_bytes());
        }
        out.extend_from_slice(format!("\n{}\n", w.detail).as_bytes());
        if let Some(loc) = w.location {
            let source = report
                .sources
                .get(loc.file as usize)
                .or(report.sources.first());
            if let Some(source) = source {
                out.extend_from_slice(&print_source(
                    &source.filename,
                    &source.data,
                    &json::line_ranges(loc),
                ));
            }
        }
    }
    out
}

/// BuildKit's `errdefs.Source.Print`: the lines around `ranges`, those in a range marked `>>>`.
/// The lines are the file's bytes as they are (not UTF-8: as Go prints them).
pub fn print_source(filename: &str, data: &[u8], ranges: &[(usize, usize)]) -> Vec<u8> {
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let (Some(mut start), Some(mut end)) = (
        ranges.iter().map(|r| r.0).min(),
        ranges.iter().map(|r| r.1.max(r.0)).max(),
    ) else {
        return Vec::new();
    };
    if start > lines.len() || start < 1 {
        return Vec::new();
    }
    end = end.min(lines.len());
    let pad = if end == start { 4 } else { 2 };
    let first = start;
    let mut p = 0;
    while p < pad {
        if start > 1 {
            start -= 1;
            p += 1;
        }
        if end != lines.len() {
            end += 1;
            p += 1;
        }
        p += 1;
    }
    let mut out = format!("{filename}:{first}\n--------------------\n").into_bytes();
    for i in start..=end {
        let marked = ranges.iter().any(|&(s, e)| s <= i && e.max(s) >= i);
        let marker = if marked { ">>>" } else { "   " };
        out.extend_from_slice(format!(" {i:>3} | {marker} ").as_bytes());
        out.extend_from_slice(lines[i - 1]);
        out.push(b'\n');
    }
    out.extend_from_slice(b"--------------------\n");
    out
}

/// The `sourceIndex` of a place: 0 the Dockerfile, `n` its `n`-th included file.
fn source_index(loc: Option<crate::syntax::Location>) -> i32 {
    loc.map_or(0, |l| i32::try_from(l.file).unwrap_or(0))
}
