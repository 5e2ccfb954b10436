//! The definition's messages with map fields (`Definition.metadata`, `OpMetadata.description`
//! and `caps`, `Source.locations`), written by hand so they encode as BuildKit's Go client
//! encodes them (vtproto's `MarshalVT`, as `pb.Definition.Marshal` does): every map entry with
//! its key and its value, also an empty key or value (an empty `OpMetadata`, an empty
//! `Locations`, a description `""`). prost leaves a key or value equal to its default out of the
//! entry. Fields are written in field-number order, maps in key order (Go's are in random
//! order: the daemon does not digest these bytes). Decoding accepts either form.
//!
//! `build.rs` points prost at these types (`extern_path`), so every message that holds one
//! (`SourceInfo.definition`, the gateway's requests) encodes it this way too.

use std::collections::BTreeMap;

use prost::bytes::{Buf, BufMut};
use prost::encoding::{
    bool as pbool, btree_map, bytes, encode_key, encode_varint, encoded_len_varint, key_len,
    message, skip_field, string, DecodeContext, WireType,
};
use prost::DecodeError;

use crate::pb::{ExportCache, LinuxResources, Locations, ProgressGroup, SourceInfo};

/// `pb.Definition`.
#[derive(Clone, PartialEq, Default, Debug)]
pub struct Definition {
    pub def: Vec<Vec<u8>>,
    pub metadata: BTreeMap<String, OpMetadata>,
    pub source: Option<Source>,
}

/// `pb.OpMetadata`.
#[derive(Clone, PartialEq, Default, Debug)]
pub struct OpMetadata {
    pub ignore_cache: bool,
    pub description: BTreeMap<String, String>,
    pub export_cache: Option<ExportCache>,
    pub caps: BTreeMap<String, bool>,
    pub progress_group: Option<ProgressGroup>,
    pub linux_resources: Option<LinuxResources>,
}

/// `pb.Source`.
#[derive(Clone, PartialEq, Default, Debug)]
pub struct Source {
    pub locations: BTreeMap<String, Locations>,
    pub infos: Vec<SourceInfo>,
}

/// The encoded length of a string field (always written, also when empty).
fn string_len(tag: u32, s: &str) -> usize {
    key_len(tag) + encoded_len_varint(s.len() as u64) + s.len()
}

/// A map field: each entry as Go writes it, with its key and its value, also empty ones.
fn encode_map<V, B: BufMut>(
    tag: u32,
    map: &BTreeMap<String, V>,
    value_len: impl Fn(&V) -> usize,
    encode_value: impl Fn(&V, &mut B),
    buf: &mut B,
) {
    for (k, v) in map {
        encode_key(tag, WireType::LengthDelimited, buf);
        encode_varint((string_len(1, k) + value_len(v)) as u64, buf);
        string::encode(1, k, buf);
        encode_value(v, buf);
    }
}

fn map_len<V>(tag: u32, map: &BTreeMap<String, V>, value_len: impl Fn(&V) -> usize) -> usize {
    map.iter()
        .map(|(k, v)| {
            let len = string_len(1, k) + value_len(v);
            key_len(tag) + encoded_len_varint(len as u64) + len
        })
        .sum()
}

fn message_value_len<M: prost::Message>(m: &M) -> usize {
    message::encoded_len(2, m)
}

impl prost::Message for Definition {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        for d in &self.def {
            bytes::encode(1, d, buf);
        }
        encode_map(
            2,
            &self.metadata,
            message_value_len,
            |v, b| message::encode(2, v, b),
            buf,
        );
        if let Some(source) = &self.source {
            message::encode(3, source, buf);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        match tag {
            1 => bytes::merge_repeated(wire_type, &mut self.def, buf, ctx),
            2 => btree_map::merge(string::merge, message::merge, &mut self.metadata, buf, ctx),
            3 => message::merge(
                wire_type,
                self.source.get_or_insert_with(Default::default),
                buf,
                ctx,
            ),
            _ => skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        bytes::encoded_len_repeated(1, &self.def)
            + map_len(2, &self.metadata, message_value_len)
            + self
                .source
                .as_ref()
                .map_or(0, |s| message::encoded_len(3, s))
    }

    fn clear(&mut self) {
        *self = Definition::default();
    }
}

impl prost::Message for OpMetadata {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        if self.ignore_cache {
            pbool::encode(1, &self.ignore_cache, buf);
        }
        encode_map(
            2,
            &self.description,
            |v| string_len(2, v),
            |v, b| string::encode(2, v, b),
            buf,
        );
        if let Some(e) = &self.export_cache {
            message::encode(4, e, buf);
        }
        encode_map(
            5,
            &self.caps,
            |v| pbool::encoded_len(2, v),
            |v, b| pbool::encode(2, v, b),
            buf,
        );
        if let Some(g) = &self.progress_group {
            message::encode(6, g, buf);
        }
        if let Some(r) = &self.linux_resources {
            message::encode(7, r, buf);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        match tag {
            1 => pbool::merge(wire_type, &mut self.ignore_cache, buf, ctx),
            2 => btree_map::merge(
                string::merge,
                string::merge,
                &mut self.description,
                buf,
                ctx,
            ),
            4 => message::merge(
                wire_type,
                self.export_cache.get_or_insert_with(Default::default),
                buf,
                ctx,
            ),
            5 => btree_map::merge(string::merge, pbool::merge, &mut self.caps, buf, ctx),
            6 => message::merge(
                wire_type,
                self.progress_group.get_or_insert_with(Default::default),
                buf,
                ctx,
            ),
            7 => message::merge(
                wire_type,
                self.linux_resources.get_or_insert_with(Default::default),
                buf,
                ctx,
            ),
            _ => skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        (if self.ignore_cache {
            pbool::encoded_len(1, &self.ignore_cache)
        } else {
            0
        }) + map_len(2, &self.description, |v| string_len(2, v))
            + self
                .export_cache
                .as_ref()
                .map_or(0, |e| message::encoded_len(4, e))
            + map_len(5, &self.caps, |v| pbool::encoded_len(2, v))
            + self
                .progress_group
                .as_ref()
                .map_or(0, |g| message::encoded_len(6, g))
            + self
                .linux_resources
                .as_ref()
                .map_or(0, |r| message::encoded_len(7, r))
    }

    fn clear(&mut self) {
        *self = OpMetadata::default();
    }
}

impl prost::Message for Source {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        encode_map(
            1,
            &self.locations,
            message_value_len,
            |v, b| message::encode(2, v, b),
            buf,
        );
        for info in &self.infos {
            message::encode(2, info, buf);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        match tag {
            1 => btree_map::merge(string::merge, message::merge, &mut self.locations, buf, ctx),
            2 => message::merge_repeated(wire_type, &mut self.infos, buf, ctx),
            _ => skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        map_len(1, &self.locations, message_value_len)
            + message::encoded_len_repeated(2, &self.infos)
    }

    fn clear(&mut self) {
        *self = Source::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::Location;
    use prost::Message;

    /// Bytes as Go's vtproto writes them (checked against `pb.Definition.Marshal` of BuildKit
    /// v0.34.2): an empty description value, an empty `OpMetadata`, an empty `Locations` and an
    /// empty key each keep both fields of their map entry.
    #[test]
    fn map_entries_keep_empty_keys_and_values_as_go_writes_them() {
        let md = OpMetadata {
            description: BTreeMap::from([("c".into(), String::new()), (String::new(), "v".into())]),
            caps: BTreeMap::from([("x".into(), true)]),
            ..Default::default()
        };
        assert_eq!(
            md.encode_to_vec(),
            [
                0x12, 0x05, 0x0a, 0x00, 0x12, 0x01, b'v', // "" = "v"
                0x12, 0x05, 0x0a, 0x01, b'c', 0x12, 0x00, // "c" = ""
                0x2a, 0x05, 0x0a, 0x01, b'x', 0x10, 0x01, // caps "x" = true
            ]
        );
        let def = Definition {
            def: vec![b"op".to_vec()],
            metadata: BTreeMap::from([("d".into(), OpMetadata::default())]),
            source: Some(Source {
                locations: BTreeMap::from([("d".into(), Locations::default())]),
                infos: Vec::new(),
            }),
        };
        let bytes = def.encode_to_vec();
        assert_eq!(
            bytes,
            [
                0x0a, 0x02, b'o', b'p', // def
                0x12, 0x05, 0x0a, 0x01, b'd', 0x12, 0x00, // metadata "d" = {}
                0x1a, 0x07, 0x0a, 0x05, 0x0a, 0x01, b'd', 0x12,
                0x00, // source.locations "d" = {}
            ]
        );
        assert_eq!(bytes.len(), def.encoded_len());
        assert_eq!(md.encode_to_vec().len(), md.encoded_len());
        assert_eq!(Definition::decode(bytes.as_slice()).unwrap(), def);
        assert_eq!(
            OpMetadata::decode(md.encode_to_vec().as_slice()).unwrap(),
            md
        );
    }

    /// Everything a definition holds survives a round trip, prost's own encoding decodes too.
    #[test]
    fn definitions_round_trip() {
        let def = Definition {
            def: vec![b"a".to_vec(), Vec::new()],
            metadata: BTreeMap::from([(
                "d".into(),
                OpMetadata {
                    ignore_cache: true,
                    description: BTreeMap::from([("llb.customname".into(), "x".into())]),
                    export_cache: Some(ExportCache { value: true }),
                    caps: BTreeMap::from([("a".into(), true), ("b".into(), false)]),
                    progress_group: Some(ProgressGroup {
                        id: "g".into(),
                        name: "n".into(),
                        weak: true,
                    }),
                    linux_resources: Some(LinuxResources {
                        memory: 1024,
                        ..Default::default()
                    }),
                },
            )]),
            source: Some(Source {
                locations: BTreeMap::from([(
                    "d".into(),
                    Locations {
                        locations: vec![Location {
                            source_index: 1,
                            ranges: Vec::new(),
                        }],
                    },
                )]),
                infos: vec![SourceInfo {
                    filename: "Dockerfile".into(),
                    definition: Some(Definition::default()),
                    ..Default::default()
                }],
            }),
        };
        let bytes = def.encode_to_vec();
        assert_eq!(bytes.len(), def.encoded_len());
        assert_eq!(Definition::decode(bytes.as_slice()).unwrap(), def);
        // A map entry without its value (prost's form) decodes to the empty value.
        let short = [0x12, 0x03, 0x0a, 0x01, b'd'];
        let back = Definition::decode(short.as_slice()).unwrap();
        assert_eq!(back.metadata["d"], OpMetadata::default());
    }
}
