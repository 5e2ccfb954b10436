//! JSON exactly as Go's `json.MarshalIndent(v, "", "  ")` writes it: fields in struct order,
//! map keys sorted, `[]byte` as base64, and Go's string escaping (`<`, `>`, `&`, U+2028 and
//! U+2029 escaped). The subrequests' `result.json` is compared byte for byte with the reference.

use base64::Engine as _;
use buildkit_proto::pb;

use crate::syntax::Location;

/// A JSON value; objects keep their fields in the order given.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// Go's `[]byte`: standard base64 (`null` for nil is never needed here).
    pub fn bytes(b: &[u8]) -> Json {
        Json::Str(base64::engine::general_purpose::STANDARD.encode(b))
    }

    /// An object builder.
    pub fn obj() -> Obj {
        Obj(Vec::new())
    }

    /// `json.MarshalIndent(v, "", "  ")`.
    pub fn marshal_indent(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => out.push_str(&n.to_string()),
            Json::Uint(n) => out.push_str(&n.to_string()),
            Json::Str(s) => write_string(out, s),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    item.write(out, depth + 1);
                }
                newline(out, depth);
                out.push(']');
            }
            Json::Obj(fields) if fields.is_empty() => out.push_str("{}"),
            Json::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, depth + 1);
                    write_string(out, k);
                    out.push_str(": ");
                    v.write(out, depth + 1);
                }
                newline(out, depth);
                out.push('}');
            }
        }
    }
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Go's `encodeState.string` with HTML escaping on.
fn write_string(out: &mut String, s: &str) {
    crate::gocompat::json::push_str(out, s);
}

/// Builds an object field by field; `omitempty` fields are left out when empty.
pub struct Obj(Vec<(String, Json)>);

impl Obj {
    pub fn field(mut self, key: &str, v: Json) -> Self {
        self.0.push((key.to_string(), v));
        self
    }

    /// A string field with `omitempty`.
    pub fn str_omitempty(self, key: &str, v: &str) -> Self {
        if v.is_empty() {
            self
        } else {
            self.field(key, Json::str(v))
        }
    }

    /// A bool field with `omitempty`.
    pub fn bool_omitempty(self, key: &str, v: bool) -> Self {
        if v {
            self.field(key, Json::Bool(true))
        } else {
            self
        }
    }

    /// A field with `omitempty` for pointers and slices: left out when `None`.
    pub fn opt(self, key: &str, v: Option<Json>) -> Self {
        match v {
            Some(v) => self.field(key, v),
            None => self,
        }
    }

    pub fn build(self) -> Json {
        Json::Obj(self.0)
    }
}

/// BuildKit's `toSourceLocation`: one range per line of the instruction, in source 0
/// (`sourceIndex` 0 and character 0 are omitted, as `omitempty` drops zero values).
pub fn location(loc: Option<Location>) -> Option<Json> {
    let loc = loc?;
    Some(location_ranges(0, &line_ranges(loc)))
}

/// A `pb.Location` with its ranges (`[]` ranges are omitted).
pub fn location_ranges(source_index: i32, ranges: &[(usize, usize)]) -> Json {
    let ranges: Vec<Json> = ranges
        .iter()
        .map(|&(s, e)| {
            Json::obj()
                .field("start", position(s))
                .field("end", position(e))
                .build()
        })
        .collect();
    Json::obj()
        .opt(
            "sourceIndex",
            (source_index != 0).then_some(Json::Int(source_index.into())),
        )
        .opt("ranges", (!ranges.is_empty()).then_some(Json::Arr(ranges)))
        .build()
}

fn position(line: usize) -> Json {
    Json::obj()
        .opt(
            "line",
            (line != 0).then(|| Json::Int(i64::try_from(line).unwrap_or(i64::MAX))),
        )
        .build()
}

/// BuildKit's `parser.Range` list for a node: one range per line.
pub fn line_ranges(loc: Location) -> Vec<(usize, usize)> {
    loc.line_ranges().collect()
}

/// A `pb.SourceInfo` as encoding/json writes the protobuf struct.
pub fn source_info(info: &pb::SourceInfo) -> Json {
    Json::obj()
        .str_omitempty("filename", &info.filename)
        .opt(
            "data",
            (!info.data.is_empty()).then(|| Json::bytes(&info.data)),
        )
        .opt("definition", info.definition.as_ref().map(definition))
        .str_omitempty("language", &info.language)
        .build()
}

/// A `pb.Definition` as encoding/json writes the protobuf struct (map keys sorted).
pub fn definition(def: &pb::Definition) -> Json {
    let ops =
        (!def.def.is_empty()).then(|| Json::Arr(def.def.iter().map(|d| Json::bytes(d)).collect()));
    let mut md: Vec<(&String, &pb::OpMetadata)> = def.metadata.iter().collect();
    md.sort_by(|a, b| a.0.cmp(b.0));
    let metadata = (!md.is_empty()).then(|| {
        Json::Obj(
            md.into_iter()
                .map(|(k, m)| (k.clone(), op_metadata(m)))
                .collect(),
        )
    });
    Json::obj()
        .opt("def", ops)
        .opt("metadata", metadata)
        .opt("Source", def.source.as_ref().map(source))
        .build()
}

fn op_metadata(m: &pb::OpMetadata) -> Json {
    let sorted_str = |map: Vec<(&String, Json)>| {
        let mut v = map;
        v.sort_by(|a, b| a.0.cmp(b.0));
        Json::Obj(v.into_iter().map(|(k, j)| (k.clone(), j)).collect())
    };
    let description = (!m.description.is_empty()).then(|| {
        sorted_str(
            m.description
                .iter()
                .map(|(k, v)| (k, Json::str(v.clone())))
                .collect(),
        )
    });
    let caps = (!m.caps.is_empty())
        .then(|| sorted_str(m.caps.iter().map(|(k, v)| (k, Json::Bool(*v))).collect()));
    Json::obj()
        .bool_omitempty("ignore_cache", m.ignore_cache)
        .opt("description", description)
        .opt(
            "export_cache",
            m.export_cache
                .as_ref()
                .map(|e| Json::obj().bool_omitempty("Value", e.value).build()),
        )
        .opt("caps", caps)
        .opt(
            "progress_group",
            m.progress_group.as_ref().map(|p| {
                Json::obj()
                    .str_omitempty("id", &p.id)
                    .str_omitempty("name", &p.name)
                    .bool_omitempty("weak", p.weak)
                    .build()
            }),
        )
        .opt(
            "linux_resources",
            m.linux_resources.as_ref().map(|r| {
                Json::obj()
                    .opt("memory", (r.memory != 0).then_some(Json::Int(r.memory)))
                    .opt(
                        "memorySwap",
                        (r.memory_swap != 0).then_some(Json::Int(r.memory_swap)),
                    )
                    .opt(
                        "cpuShares",
                        (r.cpu_shares != 0).then_some(Json::Uint(r.cpu_shares)),
                    )
                    .opt(
                        "cpuPeriod",
                        (r.cpu_period != 0).then_some(Json::Uint(r.cpu_period)),
                    )
                    .opt(
                        "cpuQuota",
                        (r.cpu_quota != 0).then_some(Json::Int(r.cpu_quota)),
                    )
                    .str_omitempty("cpusetCpus", &r.cpuset_cpus)
                    .str_omitempty("cpusetMems", &r.cpuset_mems)
                    .build()
            }),
        )
        .build()
}

fn source(s: &pb::Source) -> Json {
    let mut locs: Vec<(&String, &pb::Locations)> = s.locations.iter().collect();
    locs.sort_by(|a, b| a.0.cmp(b.0));
    let locations = (!locs.is_empty()).then(|| {
        Json::Obj(
            locs.into_iter()
                .map(|(k, l)| {
                    let list = (!l.locations.is_empty())
                        .then(|| Json::Arr(l.locations.iter().map(pb_location).collect()));
                    (k.clone(), Json::obj().opt("locations", list).build())
                })
                .collect(),
        )
    });
    let infos = (!s.infos.is_empty()).then(|| Json::Arr(s.infos.iter().map(source_info).collect()));
    Json::obj()
        .opt("locations", locations)
        .opt("infos", infos)
        .build()
}

fn pb_location(l: &pb::Location) -> Json {
    let ranges: Vec<(usize, usize)> = l
        .ranges
        .iter()
        .map(|r| {
            let line = |p: &Option<pb::Position>| {
                p.as_ref()
                    .map_or(0, |p| usize::try_from(p.line).unwrap_or(0))
            };
            (line(&r.start), line(&r.end))
        })
        .collect();
    location_ranges(l.source_index, &ranges)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn indents_like_go() {
        let v = Json::obj()
            .field("a", Json::Int(1))
            .field("b", Json::Arr(vec![Json::Bool(true), Json::Null]))
            .field("c", Json::Arr(vec![]))
            .field("d", Json::obj().build())
            .build();
        assert_eq!(
            v.marshal_indent(),
            "{\n  \"a\": 1,\n  \"b\": [\n    true,\n    null\n  ],\n  \"c\": [],\n  \"d\": {}\n}"
        );
    }

    #[test]
    fn escapes_like_go() {
        assert_eq!(
            Json::str("<a> & \"b\"\\\n\t\u{1}\u{8}\u{c}\u{2028}é\u{7f}").marshal_indent(),
            r#""\u003ca\u003e \u0026 \"b\"\\\n\t\u0001\b\f\u2028é"#.to_string() + "\u{7f}\""
        );
        assert_eq!(
            Json::bytes(b"FROM scratch\n").marshal_indent(),
            "\"RlJPTSBzY3JhdGNoCg==\""
        );
    }

    #[test]
    fn locations_have_a_range_per_line() {
        let l = location(Some(Location {
            start_line: 2,
            end_line: 3,
            file: 0,
        }))
        .unwrap();
        assert_eq!(l.marshal_indent(), "{\n  \"ranges\": [\n    {\n      \"start\": {\n        \"line\": 2\n      },\n      \"end\": {\n        \"line\": 2\n      }\n    },\n    {\n      \"start\": {\n        \"line\": 3\n      },\n      \"end\": {\n        \"line\": 3\n      }\n    }\n  ]\n}");
        assert_eq!(location_ranges(0, &[]).marshal_indent(), "{}");
    }
}
