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
    /// The Dockerfile: file name, contents, language and the definition it was read with.
    pub source: pb::SourceInfo,
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
                .field("location", json::location_ranges(0, &ranges))
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
            Json::Arr(vec![json::source_info(&report.source)]),
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
                .field("location", json::location_ranges(0, &ranges))
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
fn text(report: &LintReport<'_>) -> String {
    let mut sorted: Vec<&Warning> = report.warnings.iter().collect();
    gosort::sort_slice(&mut sorted, |a, b| match (a.location, b.location) {
        (None, None) => a.rule.name < b.rule.name,
        (None, Some(_)) => true,
        (Some(_), None) => false,
        (Some(x), Some(y)) => x.start_line < y.start_line,
    });
    let mut out = String::new();
    for w in sorted {
        out.push_str(&format!("\nWARNING: {}", w.rule.name));
        if !w.rule.url.is_empty() {
            out.push_str(&format!(" - {}", w.rule.url));
        }
        out.push_str(&format!("\n{}\n", w.detail));
        if let Some(loc) = w.location {
            out.push_str(&print_source(
                &report.source.filename,
                &report.source.data,
                &json::line_ranges(loc),
            ));
        }
    }
    out
}

/// BuildKit's `errdefs.Source.Print`: the lines around `ranges`, those in a range marked `>>>`.
pub fn print_source(filename: &str, data: &[u8], ranges: &[(usize, usize)]) -> String {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    let (Some(mut start), Some(mut end)) = (
        ranges.iter().map(|r| r.0).min(),
        ranges.iter().map(|r| r.1.max(r.0)).max(),
    ) else {
        return String::new();
    };
    if start > lines.len() || start < 1 {
        return String::new();
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
    let mut out = format!("{filename}:{first}\n--------------------\n");
    for i in start..=end {
        let marked = ranges.iter().any(|&(s, e)| s <= i && e.max(s) >= i);
        out.push_str(&format!(
            " {i:>3} | {} {}\n",
            if marked { ">>>" } else { "   " },
            lines[i - 1]
        ));
    }
    out.push_str("--------------------\n");
    out
}
