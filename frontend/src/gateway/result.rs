//! The result BuildKit's exporters read: one ref (or one per platform) and the image config
//! of each, keyed as the reference frontend keys them.

use buildkit_llb::Platform;
use buildkit_proto::gateway as gw;
use serde_json::json;

use crate::convert::Converted;

/// The name the result gives a platform's ref and metadata (containerd's `FormatAll` of the
/// normalised platform; this machine's when none was asked for).
pub fn platform_id(target: Option<&Platform>) -> String {
    target.cloned().unwrap_or_else(Platform::host).to_string()
}

/// `attestations` is empty, or one per target: each goes with its platform's ref.
pub fn assemble(
    targets: &[Option<Platform>],
    converted: &[Converted],
    refs: Vec<String>,
    attestations: Vec<gw::Attestation>,
    multi_platform: bool,
    epochs: &[Option<i64>],
) -> gw::Result {
    let mut result = gw::Result::default();
    let mut platforms_meta = Vec::new();
    let mut refmap = Vec::new();
    let mut attestations = attestations.into_iter();
    for (((tp, conv), ref_id), epoch) in targets.iter().zip(converted).zip(refs).zip(epochs) {
        let p = tp.clone().unwrap_or_else(Platform::host);
        let id = platform_id(Some(&p));
        if let Some(a) = attestations.next() {
            result.attestations.push(gw::AttestationsEntry {
                key: id.clone(),
                value: Some(gw::Attestations {
                    attestation: vec![a],
                }),
            });
        }
        let config = conv.image.to_json();
        let base = conv.base_image.as_ref().map(|b| b.to_json());
        if multi_platform {
            refmap.push(gw::RefMapEntry {
                key: id.clone(),
                value: Some(gw::Ref {
                    id: ref_id,
                    def: None,
                }),
            });
            result
                .metadata
                .insert(format!("containerimage.config/{id}"), config);
            if let Some(b) = base {
                result
                    .metadata
                    .insert(format!("containerimage.base.config/{id}"), b);
            }
            if let Some(t) = *epoch {
                result.metadata.insert(
                    format!("{}/{id}", super::epoch::EXPORTER_EPOCH_KEY),
                    t.to_string().into_bytes(),
                );
            }
        } else {
            result.result = Some(gw::result::Result::Ref(gw::Ref {
                id: ref_id,
                def: None,
            }));
            result
                .metadata
                .insert("containerimage.config".into(), config);
            if let Some(b) = base {
                result
                    .metadata
                    .insert("containerimage.base.config".into(), b);
            }
            if let Some(t) = *epoch {
                result.metadata.insert(
                    super::epoch::EXPORTER_EPOCH_KEY.into(),
                    t.to_string().into_bytes(),
                );
            }
        }
        let mut platform = json!({"architecture": p.architecture, "os": p.os});
        // dockerui's `makeExportPlatform`: a Windows platform without an OS version takes the
        // image's (the ID stays as requested).
        let os_version = match conv.image.os_version.as_deref() {
            Some(v) if p.os == "windows" && p.os_version.is_empty() && conv.image.os == p.os => v,
            _ => p.os_version.as_str(),
        };
        if !os_version.is_empty() {
            platform["os.version"] = json!(os_version);
        }
        if !p.variant.is_empty() {
            platform["variant"] = json!(p.variant);
        }
        platforms_meta.push(json!({"ID": id, "Platform": platform}));
    }
    if multi_platform {
        result.result = Some(gw::result::Result::Refs(gw::RefMap { refs: refmap }));
    }
    result.metadata.insert(
        "refs.platforms".into(),
        crate::gocompat::json::to_vec(&json!({ "Platforms": platforms_meta })),
    );
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use buildkit_llb::State;
    use prost::Message;

    /// The `refs` field as BuildKit's Go decoder reads it: each entry's key and whether its
    /// value (field 2) was present on the wire.
    fn entries_on_the_wire(refmap: &[u8]) -> Vec<(String, bool)> {
        #[derive(Clone, PartialEq, prost::Message)]
        struct Entry {
            #[prost(string, tag = "1")]
            key: String,
            #[prost(bytes = "vec", optional, tag = "2")]
            value: Option<Vec<u8>>,
        }
        #[derive(Clone, PartialEq, prost::Message)]
        struct Map {
            #[prost(message, repeated, tag = "1")]
            refs: Vec<Entry>,
        }
        Map::decode(refmap)
            .unwrap()
            .refs
            .into_iter()
            .map(|e| (e.key, e.value.is_some()))
            .collect()
    }

    #[test]
    fn empty_refs_of_a_multi_platform_result_are_sent() {
        let targets = [
            Some(Platform::parse("linux/amd64").unwrap()),
            Some(Platform::parse("linux/arm64").unwrap()),
        ];
        let scratch = || Converted {
            state: State::scratch(),
            image: Default::default(),
            base_image: None,
            sbom: Default::default(),
        };
        let result = assemble(
            &targets,
            &[scratch(), scratch()],
            vec![String::new(), String::new()],
            Vec::new(),
            true,
            &[Some(1_700_000_000), None],
        );
        // The epoch under BuildKit's `source.date.epoch/<platform>`, as dockerui writes it.
        assert_eq!(
            result
                .metadata
                .get("source.date.epoch/linux/amd64")
                .map(Vec::as_slice),
            Some(&b"1700000000"[..])
        );
        assert!(!result
            .metadata
            .keys()
            .any(|k| k.starts_with("source.date.epoch/linux/arm64")));
        let Some(gw::result::Result::Refs(refs)) = &result.result else {
            panic!("no ref map: {result:?}")
        };
        let wire = entries_on_the_wire(&refs.encode_to_vec());
        assert_eq!(
            wire,
            [
                ("linux/amd64".to_string(), true),
                ("linux/arm64".to_string(), true)
            ]
        );
    }
}
