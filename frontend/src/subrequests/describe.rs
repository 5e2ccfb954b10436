//! `frontend.subrequests.describe`: the subrequests this frontend answers, as the reference
//! lists them (outline, targets and describe itself — lint is not listed there), then ours:
//! `frontend.plan` (the stage plan), after the reference's entries so theirs keep their bytes.

use super::json::Json;
use super::{result, Metadata, DESCRIBE, OUTLINE, PLAN, TARGETS};
use crate::gocompat::tabwriter;

struct Request {
    name: &'static str,
    description: &'static str,
    /// `None` where the reference's definition leaves the slice nil (`null` in JSON).
    opts: Option<&'static [(&'static str, &'static str)]>,
}

const REQUESTS: [Request; 4] = [
    Request {
        name: OUTLINE,
        description: "List all parameters current build target supports",
        opts: Some(&[("target", "Target build stage")]),
    },
    Request {
        name: TARGETS,
        description: "List all targets current build supports",
        opts: Some(&[]),
    },
    Request {
        name: DESCRIBE,
        description: "List available subrequest types",
        opts: None,
    },
    Request {
        name: PLAN,
        description:
            "Show the stage plan: stages, the files between them, parallel levels, critical path",
        opts: Some(&[
            ("target", "Target build stage"),
            ("platform", "Target platform (default: the build platform)"),
            (
                "plan-format",
                "Format of result.txt: text (default), mermaid, dot or json",
            ),
        ]),
    },
];

fn named(name: &str, description: &str) -> Json {
    Json::obj()
        .field("name", Json::str(name))
        .field("description", Json::str(description))
        .build()
}

pub fn describe() -> Metadata {
    let all: Vec<Json> = REQUESTS
        .iter()
        .map(|r| {
            let opts = r.opts.map_or(Json::Null, |o| {
                Json::Arr(o.iter().map(|(n, d)| named(n, d)).collect())
            });
            let metadata = Json::Arr(vec![named("result.json", ""), named("result.txt", "")]);
            Json::obj()
                .field("name", Json::str(r.name))
                .field("version", Json::str("1.0.0"))
                .field("type", Json::str("rpc"))
                .field("description", Json::str(r.description))
                .field("opts", opts)
                .field("inputs", Json::Null)
                .field("metadata", metadata)
                .field("refs", Json::Null)
                .build()
        })
        .collect();
    let mut text = String::from("NAME\tVERSION\tDESCRIPTION\n");
    for r in &REQUESTS {
        text.push_str(&format!(
            "{}\t1.0.0\t{}\n",
            r.name.strip_prefix("frontend.").unwrap_or(r.name),
            r.description
        ));
    }
    result(
        Json::Arr(all).marshal_indent(),
        tabwriter::format(&text, 1),
        &[],
    )
}
