//! `SOURCE_DATE_EPOCH` (a build arg, or the default of a global `ARG`): the time this build's
//! history entries carry, and the `exporter.epoch` metadata exporters clamp timestamps to
//! (like the reference's `dockerfile2llb/epoch.go` and `dockerui/build.go`).

use crate::image::Image;
use crate::instructions::Dockerfile;

/// The result metadata key the exporters read the epoch from (`/<platform>` when several).
pub const EXPORTER_EPOCH_KEY: &str = "exporter.epoch";

/// The epoch in seconds: the build arg wins over a global `ARG SOURCE_DATE_EPOCH=…` default.
/// Empty means unset. Values naming a context, stage or remote source (which the reference
/// resolves through source metadata) are refused clearly.
pub fn source_date_epoch(
    build_args: &std::collections::BTreeMap<String, String>,
    df: &Dockerfile,
) -> Result<Option<i64>, String> {
    let value = match build_args.get("SOURCE_DATE_EPOCH") {
        Some(v) => Some(v.clone()),
        None => df
            .meta_args
            .iter()
            .flat_map(|cmd| cmd.args.iter())
            .filter(|a| a.key == "SOURCE_DATE_EPOCH")
            .filter_map(|a| a.value.clone())
            .next_back(),
    };
    match value.as_deref() {
        None | Some("") => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            format!("SOURCE_DATE_EPOCH={v}: only a number of seconds is supported by this frontend (a context, stage or remote source is not yet)")
        }),
    }
}

/// Stamps the history entries this build added (those without a time) with the epoch.
pub fn apply(image: &mut Image, epoch: i64) {
    let stamp = rfc3339(epoch);
    for h in image.history.iter_mut().filter(|h| h.created.is_none()) {
        h.created = Some(stamp.clone());
    }
}

/// `2023-11-14T22:13:20Z` for 1700000000 (UTC, whole seconds, as Go marshals a `time.Time`).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unreachable)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    /// WORKDIR creates its directory with the epoch's time, as the reference's `WithCreatedTime`.
    #[test]
    fn workdir_directories_carry_the_epoch() {
        use buildkit_llb::pb;
        use prost::Message;
        let ast = crate::syntax::parse("FROM scratch\nWORKDIR /app\n")
            .unwrap_or_else(|e| panic!("{e:?}"));
        let df = crate::instructions::parse_dockerfile(&ast).unwrap_or_else(|e| panic!("{e:?}"));
        let opts = crate::convert::ConvertOptions {
            epoch: Some(1_700_000_000),
            ..Default::default()
        };
        let conv = crate::convert::convert_with(&df, ast.escape, &opts, |_| unreachable!())
            .unwrap_or_else(|e| panic!("{e:?}"));
        let def = conv.state.marshal().unwrap_or_else(|e| panic!("{e}"));
        let mkdir = def
            .def
            .iter()
            .filter_map(|b| pb::Op::decode(b.as_slice()).ok())
            .find_map(|op| match op.op {
                Some(pb::op::Op::File(f)) => f.actions.into_iter().find_map(|a| match a.action {
                    Some(pb::file_action::Action::Mkdir(m)) => Some(m),
                    _ => None,
                }),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no mkdir"));
        assert_eq!(mkdir.timestamp, 1_700_000_000_000_000_000);
    }

    #[test]
    fn build_arg_or_global_default() {
        let src = "ARG SOURCE_DATE_EPOCH=42\nFROM scratch\n";
        let ast = crate::syntax::parse(src).unwrap_or_else(|e| panic!("{e:?}"));
        let df = crate::instructions::parse_dockerfile(&ast).unwrap_or_else(|e| panic!("{e:?}"));
        let none = std::collections::BTreeMap::new();
        assert_eq!(source_date_epoch(&none, &df), Ok(Some(42)));
        let arg =
            std::collections::BTreeMap::from([("SOURCE_DATE_EPOCH".to_string(), "7".to_string())]);
        assert_eq!(source_date_epoch(&arg, &df), Ok(Some(7)));
        let bad = std::collections::BTreeMap::from([(
            "SOURCE_DATE_EPOCH".to_string(),
            "context".to_string(),
        )]);
        assert!(source_date_epoch(&bad, &df).is_err());
    }
}
