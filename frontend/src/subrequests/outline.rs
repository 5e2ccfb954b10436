//! `frontend.outline`: the target's name and description, then the build arguments, secrets
//! and SSH ids it uses (BuildKit's `outline.Outline` and `PrintOutline`).

use super::json::{self, Json};
use super::{result, Metadata};
use crate::gocompat::tabwriter;
use crate::lint::{Outline, OutlineMount};

pub fn outline(o: &Outline, source: &[u8]) -> Metadata {
    let args: Vec<Json> = o
        .args
        .iter()
        .map(|a| {
            Json::obj()
                .field("name", Json::str(&a.name))
                .str_omitempty("description", &a.description)
                .str_omitempty("value", &a.value)
                .opt("location", json::location(a.location))
                .build()
        })
        .collect();
    let mounts = |m: &[OutlineMount]| -> Option<Json> {
        (!m.is_empty()).then(|| {
            Json::Arr(
                m.iter()
                    .map(|s| {
                        Json::obj()
                            .field("name", Json::str(&s.name))
                            .bool_omitempty("required", s.required)
                            .opt("location", json::location(s.location))
                            .build()
                    })
                    .collect(),
            )
        })
    };
    let doc = Json::obj()
        .str_omitempty("name", &o.name)
        .str_omitempty("description", &o.description)
        .opt("args", (!args.is_empty()).then_some(Json::Arr(args)))
        .opt("secrets", mounts(&o.secrets))
        .opt("ssh", mounts(&o.ssh))
        .field("sources", Json::Arr(vec![Json::bytes(source)]))
        .build();
    result(doc.marshal_indent(), text(o), &[])
}

fn text(o: &Outline) -> String {
    let mut out = String::new();
    if !o.name.is_empty() || !o.description.is_empty() {
        let name = if o.name.is_empty() {
            "(default)"
        } else {
            &o.name
        };
        let mut text = format!("TARGET:\t{name}\n");
        if !o.description.is_empty() {
            text.push_str(&format!("DESCRIPTION:\t{}\n", o.description));
        }
        out.push_str(&tabwriter::format(&text, 1));
        out.push('\n');
    }
    if !o.args.is_empty() {
        let mut text = String::from("BUILD ARG\tVALUE\tDESCRIPTION\n");
        for a in &o.args {
            text.push_str(&format!("{}\t{}\t{}\n", a.name, a.value, a.description));
        }
        out.push_str(&tabwriter::format(&text, 3));
        out.push('\n');
    }
    for (title, list) in [("SECRET", &o.secrets), ("SSH", &o.ssh)] {
        if !list.is_empty() {
            let mut text = format!("{title}\tREQUIRED\n");
            for s in list.iter() {
                text.push_str(&format!(
                    "{}\t{}\n",
                    s.name,
                    if s.required { "true" } else { "" }
                ));
            }
            out.push_str(&tabwriter::format(&text, 3));
            out.push('\n');
        }
    }
    out
}
