//! SBOM attestations (`attest:sbom`), as BuildKit's `frontend/attestations/sbom`: the scanner
//! image runs on each platform's result (mounted at `/run/src/core/sbom`, the extra stages and
//! context under `/run/src/extras/`) and writes SPDX statements to `/run/out/`, which the
//! result carries as an attestation bundle.

use std::collections::BTreeMap;

use buildkit_llb::{Exec, ImageOptions, Metadata, Mount, MountKind, Platform, State};
use buildkit_proto::gateway as gw;

use super::bridge::Bridge;
use super::failure::Failure;
use crate::convert::{Converted, EnvList};
use crate::image::Image;
use crate::options::{BuildOptions, SbomScanner};

const SRC_DIR: &str = "/run/src/";
const OUT_DIR: &str = "/run/out/";
const CORE_NAME: &str = "sbom";
/// in-toto's `PredicateSPDX`.
const PREDICATE_SPDX: &str = "https://spdx.dev/Document";

/// A scanner image resolved for the build platform, with what its config says to run.
pub struct Scanner {
    image: String,
    platform: Platform,
    config: Image,
    args: Vec<String>,
    params: BTreeMap<String, String>,
}

impl Scanner {
    /// Resolves the scanner's config (`CreateSBOMScanner`); it must say what to run.
    pub async fn resolve(
        bridge: &Bridge,
        opts: &BuildOptions,
        scanner: &SbomScanner,
        platform: Platform,
    ) -> Result<Self, Failure> {
        let req = gw::ResolveImageConfigRequest {
            r#ref: scanner.generator.clone(),
            platform: Some(platform.to_pb()),
            resolve_mode: opts.image_resolve_mode.clone(),
            ..Default::default()
        };
        let (image, _, config) = bridge.resolve_image_meta(req).await?;
        let config = Image::from_json(&config).map_err(|e| {
            Failure::Plain(format!(
                "failed to parse the config of scanner {image}: {e}"
            ))
        })?;
        let args: Vec<String> = config
            .config
            .entrypoint
            .iter()
            .flatten()
            .chain(config.config.cmd.iter().flatten())
            .cloned()
            .collect();
        if args.is_empty() {
            return Err(Failure::Plain(format!("scanner {image} does not have cmd")));
        }
        Ok(Scanner {
            image,
            platform,
            config,
            args,
            params: scanner.params.clone(),
        })
    }

    /// The scan of one platform's result (`id` is its platform as the result names it): the
    /// state of `/run/out/` after the scanner ran.
    pub fn scan(&self, id: &str, target: &Converted) -> State {
        let mut env = EnvList::new();
        for e in self.config.env() {
            let (k, v) = crate::convert::split_key_value(e);
            env.set(k, v);
        }
        env.set("BUILDKIT_SCAN_DESTINATION", OUT_DIR);
        env.set(
            "BUILDKIT_SCAN_SOURCE",
            &format!("{SRC_DIR}core/{CORE_NAME}"),
        );
        if !target.sbom.extras.is_empty() {
            env.set("BUILDKIT_SCAN_SOURCE_EXTRAS", &format!("{SRC_DIR}extras/"));
        }
        for (k, v) in &self.params {
            env.set(&format!("BUILDKIT_SCAN_{k}"), v);
        }
        let image = State::image(
            &self.image,
            ImageOptions {
                platform: Some(self.platform.clone()),
                ..Default::default()
            },
        );
        let mut exec = Exec::new(image, self.args.clone());
        exec.meta.env = env.to_vec();
        exec.meta.cwd = match self.config.config.working_dir.as_deref() {
            Some(dir) if !dir.is_empty() => dir.to_string(),
            _ => "/".into(),
        };
        exec.platform = Some(self.platform.clone());
        let mut metadata = Metadata::named(format!("[{id}] generating sbom using {}", self.image));
        metadata.ignore_cache = target.sbom.ignore_cache;
        exec.metadata = metadata;
        exec.mounts.push(Mount {
            kind: MountKind::Tmpfs { size: 0 },
            ..Mount::bind("/tmp", State::scratch())
        });
        exec.mounts.push(Mount {
            readonly: true,
            ..Mount::bind(format!("{SRC_DIR}core/{CORE_NAME}"), target.state.clone())
        });
        for (name, state) in &target.sbom.extras {
            exec.mounts.push(Mount {
                readonly: true,
                ..Mount::bind(format!("{SRC_DIR}extras/{CORE_NAME}-{name}"), state.clone())
            });
        }
        exec.mounts.push(Mount::bind(OUT_DIR, State::scratch()));
        exec.run().mount(OUT_DIR).unwrap_or_else(State::scratch)
    }
}

/// The attestation a solved scan becomes in the result (`result.Attestation` of kind bundle).
pub fn attestation(ref_id: String) -> gw::Attestation {
    gw::Attestation {
        kind: gw::AttestationKind::Bundle as i32,
        metadata: BTreeMap::from([
            ("reason".into(), b"sbom".to_vec()),
            ("sbom-core".into(), CORE_NAME.as_bytes().to_vec()),
        ]),
        r#ref: Some(gw::Ref {
            id: ref_id,
            def: None,
        }),
        path: String::new(),
        in_toto_predicate_type: PREDICATE_SPDX.into(),
        in_toto_subjects: Vec::new(),
    }
}
