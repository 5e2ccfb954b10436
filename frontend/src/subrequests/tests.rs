//! The subrequests' results on small Dockerfiles, written out as the reference writes them.

use buildkit_proto::pb;

use super::*;
use crate::lint::{rules, Warning};
use crate::syntax::{self, Location};

fn get<'a>(md: &'a Metadata, key: &str) -> &'a str {
    md.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| std::str::from_utf8(v).unwrap())
        .unwrap()
}

#[test]
fn describe_lists_outline_targets_and_itself() {
    let md = describe();
    assert_eq!(
        md.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        vec!["result.json", "result.txt", "version"]
    );
    assert_eq!(
        get(&md, "result.txt"),
        "NAME                 VERSION DESCRIPTION\noutline              1.0.0   List all parameters current build target supports\ntargets              1.0.0   List all targets current build supports\nsubrequests.describe 1.0.0   List available subrequest types\nplan                 1.0.0   Show the stage plan: stages, the files between them, parallel levels, critical path\n"
    );
    let json = get(&md, "result.json");
    assert!(json.starts_with("[\n  {\n    \"name\": \"frontend.outline\",\n    \"version\": \"1.0.0\",\n    \"type\": \"rpc\",\n"));
    assert!(json.contains("\"opts\": [\n      {\n        \"name\": \"target\",\n        \"description\": \"Target build stage\"\n      }\n    ],\n    \"inputs\": null,"));
    assert!(json.contains("\"name\": \"frontend.targets\",\n    \"version\": \"1.0.0\",\n    \"type\": \"rpc\",\n    \"description\": \"List all targets current build supports\",\n    \"opts\": [],"));
    // The reference's entries keep their bytes; ours, frontend.plan, comes after them.
    assert!(json.contains("\"description\": \"List available subrequest types\",\n    \"opts\": null,\n    \"inputs\": null,\n    \"metadata\": [\n      {\n        \"name\": \"result.json\",\n        \"description\": \"\"\n      },\n      {\n        \"name\": \"result.txt\",\n        \"description\": \"\"\n      }\n    ],\n    \"refs\": null\n  },\n  {\n    \"name\": \"frontend.plan\",\n    \"version\": \"1.0.0\",\n    \"type\": \"rpc\",\n"));
    assert!(json.contains("\"name\": \"plan-format\""));
    assert!(json.ends_with("\"refs\": null\n  }\n]"));
}

#[test]
fn targets_list_the_stages() {
    let src = "# build builds it\nFROM busybox AS build\nFROM --platform=$BUILDPLATFORM scratch\n";
    let df = crate::instructions::parse_dockerfile(&syntax::parse(src).unwrap()).unwrap();
    let md = targets(&df, src.as_bytes());
    assert_eq!(
        get(&md, "result.txt"),
        "TARGET    DESCRIPTION\nbuild     builds it\n(default) \n"
    );
    let want = r#"{
  "targets": [
    {
      "name": "build",
      "description": "builds it",
      "base": "busybox",
      "location": {
        "ranges": [
          {
            "start": {
              "line": 2
            },
            "end": {
              "line": 2
            }
          }
        ]
      }
    },
    {
      "default": true,
      "base": "scratch",
      "platform": "$BUILDPLATFORM",
      "location": {
        "ranges": [
          {
            "start": {
              "line": 3
            },
            "end": {
              "line": 3
            }
          }
        ]
      }
    }
  ],
  "sources": [
    "IyBidWlsZCBidWlsZHMgaXQKRlJPTSBidXN5Ym94IEFTIGJ1aWxkCkZST00gLS1wbGF0Zm9ybT0kQlVJTERQTEFURk9STSBzY3JhdGNoCg=="
  ]
}"#;
    assert_eq!(get(&md, "result.json"), want);
}

#[test]
fn outline_text_and_json() {
    let o = crate::lint::Outline {
        name: "target".into(),
        description: "defines build target".into(),
        args: vec![crate::lint::OutlineArg {
            name: "sfx".into(),
            value: "usybox".into(),
            description: "is a suffix".into(),
            location: Some(Location {
                start_line: 6,
                end_line: 6,
                file: 0,
            }),
        }],
        secrets: vec![crate::lint::OutlineMount {
            name: "passwd".into(),
            required: true,
            location: Some(Location {
                start_line: 3,
                end_line: 3,
                file: 0,
            }),
        }],
        ssh: vec![],
    };
    let md = outline(&o, b"x");
    assert_eq!(get(&md, "result.txt"), "TARGET:      target\nDESCRIPTION: defines build target\n\nBUILD ARG   VALUE    DESCRIPTION\nsfx         usybox   is a suffix\n\nSECRET   REQUIRED\npasswd   true\n\n");
    let json = get(&md, "result.json");
    assert!(json.starts_with("{\n  \"name\": \"target\",\n  \"description\": \"defines build target\",\n  \"args\": [\n    {\n      \"name\": \"sfx\",\n      \"description\": \"is a suffix\",\n      \"value\": \"usybox\",\n      \"location\": {"));
    assert!(json
        .contains("\"secrets\": [\n    {\n      \"name\": \"passwd\",\n      \"required\": true,"));
    assert!(!json.contains("\"ssh\""));
    assert!(json.ends_with("\"sources\": [\n    \"eA==\"\n  ]\n}"));
    assert_eq!(
        get(
            &outline(&crate::lint::Outline::default(), b""),
            "result.txt"
        ),
        ""
    );
}

/// FromAsCasing on `FROM scratch as base`, line 1.
fn from_as_casing_on_line_1() -> Warning {
    Warning {
        rule: rules::FROM_AS_CASING.info,
        detail: rules::FROM_AS_CASING.message("FROM", "as"),
        location: Some(Location {
            start_line: 1,
            end_line: 1,
            file: 0,
        }),
    }
}

#[test]
fn lint_report() {
    let data = b"FROM scratch as base\nCOPY a b\n".to_vec();
    let warnings = vec![from_as_casing_on_line_1()];
    let source = pb::SourceInfo {
        filename: "Dockerfile".into(),
        data: data.clone(),
        definition: None,
        language: "Dockerfile".into(),
    };
    let md = lint(&LintReport {
        warnings: &warnings,
        sources: vec![source.clone()],
        error: None,
    });
    assert_eq!(
        md.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        vec!["result.json", "result.txt", "result.statuscode", "version"]
    );
    assert_eq!(get(&md, "result.statuscode"), "1");
    assert_eq!(
        get(&md, "result.txt"),
        "\nWARNING: FromAsCasing - https://docs.docker.com/go/dockerfile/rule/from-as-casing/\n'as' and 'FROM' keywords' casing do not match\nDockerfile:1\n--------------------\n   1 | >>> FROM scratch as base\n   2 |     COPY a b\n   3 |     \n--------------------\n"
    );
    let json = get(&md, "result.json");
    assert!(json.starts_with("{\n  \"warnings\": [\n    {\n      \"ruleName\": \"FromAsCasing\",\n      \"description\": \"The 'as' keyword should match the case of the 'from' keyword\",\n      \"url\": \"https://docs.docker.com/go/dockerfile/rule/from-as-casing/\",\n      \"detail\": \"'as' and 'FROM' keywords' casing do not match\",\n      \"location\": {\n        \"ranges\": ["));
    assert!(json.ends_with("\"sources\": [\n    {\n      \"filename\": \"Dockerfile\",\n      \"data\": \"RlJPTSBzY3JhdGNoIGFzIGJhc2UKQ09QWSBhIGIK\",\n      \"language\": \"Dockerfile\"\n    }\n  ]\n}"));

    let md = lint(&LintReport {
        warnings: &[],
        sources: vec![source],
        error: Some(crate::syntax::LocatedError::new(
            "lint violation found for rules: X",
        )),
    });
    assert_eq!(get(&md, "result.statuscode"), "1");
    assert_eq!(get(&md, "result.txt"), "");
    assert!(get(&md, "result.json").starts_with("{\n  \"warnings\": null,"));
    assert!(get(&md, "result.json").ends_with("\"buildError\": {\n    \"message\": \"lint violation found for rules: X\",\n    \"location\": {}\n  }\n}"));
}

#[test]
fn source_printing_pads_like_buildkit() {
    let data = b"a\nb\nc\nd\ne\nf\ng\n";
    assert_eq!(print_source("Dockerfile", data, &[(4, 4)]), b"Dockerfile:4\n--------------------\n   2 |     b\n   3 |     c\n   4 | >>> d\n   5 |     e\n   6 |     f\n--------------------\n");
    assert_eq!(print_source("Dockerfile", data, &[(3, 3), (4, 4)]), b"Dockerfile:3\n--------------------\n   2 |     b\n   3 | >>> c\n   4 | >>> d\n   5 |     e\n--------------------\n");
    assert_eq!(print_source("Dockerfile", data, &[(9, 9)]), b"");
    assert_eq!(print_source("Dockerfile", data, &[]), b"");
}

/// Found by the fuzz target `checks` against BuildKit's `LintResults.ToResult`: the lines of
/// a Dockerfile that is not UTF-8 are printed as they are, not as U+FFFD.
#[test]
fn lint_text_prints_the_lines_bytes_as_they_are() {
    let data = b"FROM scratch as base\n# caf\xe9\n".to_vec();
    let warnings = vec![from_as_casing_on_line_1()];
    let md = lint(&LintReport {
        warnings: &warnings,
        sources: vec![pb::SourceInfo {
            filename: "Dockerfile".into(),
            data,
            definition: None,
            language: "Dockerfile".into(),
        }],
        error: None,
    });
    let txt = md
        .iter()
        .find(|(k, _)| k == "result.txt")
        .map(|(_, v)| v.as_slice());
    let txt = txt.unwrap();
    assert!(
        txt.windows(9).any(|w| w == b"  # caf\xe9\n"),
        "{:?}",
        String::from_utf8_lossy(txt)
    );
}

#[test]
fn unsupported_request() {
    assert_eq!(
        unsupported("frontend.bogus"),
        "unsupported request frontend.bogus"
    );
}
