//! `frontend.targets`: every stage, its doc comment, base and platform as written, the last
//! one marked as the default (BuildKit's `ListTargets` and `targets.PrintTargets`).

use super::json::{self, Json};
use super::{result, Metadata};
use crate::gocompat::tabwriter;
use crate::instructions::Dockerfile;

pub fn targets(df: &Dockerfile, source: &[u8]) -> Metadata {
    let last = df.stages.len().saturating_sub(1);
    let list: Vec<Json> = df
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Json::obj()
                .str_omitempty("name", s.name.as_deref().unwrap_or(""))
                .bool_omitempty("default", i == last)
                .str_omitempty("description", s.comment.as_deref().unwrap_or(""))
                .str_omitempty("base", &s.base_name)
                .str_omitempty("platform", s.platform.as_deref().unwrap_or(""))
                .opt("location", json::location(Some(s.location)))
                .build()
        })
        .collect();
    let targets = if list.is_empty() {
        Json::Null
    } else {
        Json::Arr(list)
    };
    let doc = Json::obj()
        .field("targets", targets)
        .field("sources", Json::Arr(vec![Json::bytes(source)]))
        .build();

    let mut text = String::from("TARGET\tDESCRIPTION\n");
    for (i, s) in df.stages.iter().enumerate() {
        let name = s.name.as_deref().unwrap_or("");
        let name = match (name, i == last) {
            ("", true) => "(default)".to_string(),
            (n, true) => format!("{n} (default)"),
            (n, false) => n.to_string(),
        };
        text.push_str(&format!("{name}\t{}\n", s.comment.as_deref().unwrap_or("")));
    }
    result(doc.marshal_indent(), tabwriter::format(&text, 1), &[])
}
