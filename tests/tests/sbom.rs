//! SBOM attestations (`attest:sbom=generator=IMAGE`): the scanner image runs on the result,
//! with the stages and context the Dockerfile marks for scanning mounted beside it, and what it
//! writes is pushed with the image as an attestation manifest.
#![allow(clippy::panic)]

use e2e::{env, image_name, nonce, registry_document, Context, Value};

/// A scanner that writes one SPDX statement for the core and one per extra source.
fn scanner_dockerfile() -> String {
    format!(
        r#"FROM {}
COPY <<-"EOF" /scan.sh
	set -e
	echo {}
	cat <<BUNDLE > $BUILDKIT_SCAN_DESTINATION/spdx.json
	{{"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://spdx.dev/Document", "predicate": {{"name": "core", "param": "$BUILDKIT_SCAN_EXTRA"}}}}
	BUNDLE
	if [ "${{BUILDKIT_SCAN_SOURCE_EXTRAS}}" ]; then
		for src in "${{BUILDKIT_SCAN_SOURCE_EXTRAS}}"/*; do
			cat <<BUNDLE > $BUILDKIT_SCAN_DESTINATION/$(basename $src).spdx.json
			{{"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://spdx.dev/Document", "predicate": {{"name": "$(basename $src)"}}}}
			BUNDLE
		done
	fi
EOF
CMD sh /scan.sh
"#,
        env().base_image,
        nonce()
    )
}

/// The predicates of the attestation manifest of a pushed image index.
fn sbom_predicates(name: &str) -> Vec<Value> {
    let tag = name.rsplit(':').next().unwrap_or("latest");
    let index = registry_document(name, &format!("manifests/{tag}"));
    let att = index["manifests"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["platform"]["os"] == "unknown"))
        .unwrap_or_else(|| panic!("no attestation manifest in {index}"))
        .clone();
    let digest = att["digest"].as_str().unwrap_or_default();
    let manifest = registry_document(name, &format!("manifests/{digest}"));
    let layers = manifest["layers"].as_array().cloned().unwrap_or_default();
    layers
        .iter()
        .map(|l| {
            assert_eq!(
                l["annotations"]["in-toto.io/predicate-type"], "https://spdx.dev/Document",
                "{l}"
            );
            let blob = l["digest"].as_str().unwrap_or_default();
            registry_document(name, &format!("blobs/{blob}"))["predicate"].clone()
        })
        .collect()
}

fn names(predicates: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = predicates
        .iter()
        .map(|p| p["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn scanner_runs_on_the_result_and_the_stages_marked_for_scanning() {
    let scanner = Context::with_dockerfile("sbom-scanner", &scanner_dockerfile());
    let scanner_image = image_name("sbom-scanner");
    scanner
        .build()
        .output_image(&scanner_image)
        .run()
        .assert_ok();

    let df = format!(
        "FROM scratch AS file\nARG BUILDKIT_SBOM_SCAN_STAGE=true\nCOPY <<EOF /file\n{}\nEOF\n\
         FROM scratch AS unused\nARG BUILDKIT_SBOM_SCAN_STAGE=true\nCOPY <<EOF /unused\nx\nEOF\n\
         FROM scratch\nCOPY --from=file /file /foo\n",
        nonce()
    );
    let ctx = Context::with_dockerfile("sbom-target", &df);
    let target = image_name("sbom-target");
    ctx.build()
        .opt(
            "attest:sbom",
            &format!("generator={scanner_image},EXTRA=yes"),
        )
        .output_image(&target)
        .run()
        .assert_ok();
    let predicates = sbom_predicates(&target);
    // The core, and the `file` stage the target needs (`unused` is not needed: not scanned).
    assert_eq!(names(&predicates), ["core", "sbom-file"]);
    let core = predicates.iter().find(|p| p["name"] == "core");
    assert_eq!(
        core.map(|c| c["param"].clone()),
        Some(Value::from("yes")),
        "attributes reach the scanner as BUILDKIT_SCAN_<KEY>: {predicates:?}"
    );

    // Turned off by a build arg: the core alone.
    let target = image_name("sbom-target-off");
    ctx.build()
        .opt("attest:sbom", &format!("generator={scanner_image}"))
        .build_arg("BUILDKIT_SBOM_SCAN_STAGE", "false")
        .output_image(&target)
        .run()
        .assert_ok();
    assert_eq!(names(&sbom_predicates(&target)), ["core"]);
}
