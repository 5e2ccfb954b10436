//! Each rule, positive and negative, with the Dockerfiles of BuildKit's
//! `frontend/dockerfile/dockerfile_check_test.go` (v0.34.2) and the warnings it expects.

use std::collections::BTreeMap;

use buildkit_llb::Platform;

use super::*;
use crate::convert::{ResolvedImage, ResolvedImages};
use crate::syntax;

/// An image config for `platform` with the usual PATH.
fn image_config(platform: &Platform, extra_config: &str) -> Vec<u8> {
    let extra = if extra_config.is_empty() {
        String::new()
    } else {
        format!(",{extra_config}")
    };
    format!(
        r#"{{"architecture":"{}","os":"{}","config":{{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]{extra}}},"rootfs":{{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}}}"#,
        platform.architecture, platform.os
    )
    .into_bytes()
}

pub(super) struct Case<'a> {
    pub(super) dockerfile: &'a str,
    pub(super) build_args: &'a [(&'a str, &'a str)],
    pub(super) dockerignore: Option<&'a str>,
    pub(super) all_stages: bool,
    /// Config JSON fields for every base image (e.g. `"Shell":["/bin/bash"]`).
    pub(super) image_extra: &'a str,
    /// The platform every base image is resolved as (by default, the one asked for).
    pub(super) image_platform: Option<Platform>,
}

impl<'a> Case<'a> {
    pub(super) fn new(dockerfile: &'a str) -> Self {
        Case {
            dockerfile,
            build_args: &[],
            dockerignore: None,
            all_stages: false,
            image_extra: "",
            image_platform: None,
        }
    }

    fn checker(&self, ast: &'a syntax::Ast) -> Checker<'a> {
        let build_args: BTreeMap<String, String> = self
            .build_args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let opts = Options {
            target: None,
            build_args,
            target_platform: None,
            build_platforms: vec![Platform::new("linux", "amd64", "")],
            all_stages: self.all_stages,
            ..Options::default()
        };
        let cfg = Config::for_build(None, self.dockerfile).unwrap();
        let mut c = Checker::new(ast, opts, cfg);
        let mut images = ResolvedImages::new();
        for key in c.images_needed() {
            let config = image_config(
                self.image_platform.as_ref().unwrap_or(&key.1),
                self.image_extra,
            );
            images.insert(
                key,
                ResolvedImage {
                    digest: None,
                    config,
                },
            );
        }
        let ignore = self
            .dockerignore
            .map(|d| IgnoreMatcher::new(&crate::dockerignore::parse(d)).unwrap());
        c.dispatch(&images, ignore.as_ref());
        c
    }

    /// (rule, line, detail), sorted by line then detail as the reference's tests sort them.
    pub(super) fn run(&self) -> Vec<(String, usize, String)> {
        let ast = syntax::parse(self.dockerfile).unwrap();
        let c = self.checker(&ast);
        let mut out: Vec<_> = c
            .warnings()
            .iter()
            .map(|w| {
                (
                    w.rule.name.to_string(),
                    w.location.map_or(0, |l| l.start_line),
                    w.detail.clone(),
                )
            })
            .collect();
        out.sort_by(|a, b| (a.1, &a.2).cmp(&(b.1, &b.2)));
        out
    }

    fn expect(&self, want: &[(&str, usize, &str)]) {
        let got = self.run();
        let want: Vec<(String, usize, String)> = want
            .iter()
            .map(|(r, l, d)| (r.to_string(), *l, d.to_string()))
            .collect();
        assert_eq!(got, want, "Dockerfile:\n{}", self.dockerfile);
    }
}

fn expect(dockerfile: &str, want: &[(&str, usize, &str)]) {
    Case::new(dockerfile).expect(want);
}

fn no_warnings(dockerfile: &str) {
    Case::new(dockerfile).expect(&[]);
}

#[test]
fn rule_table_matches_the_reference() {
    assert_eq!(rules::ALL.len(), 22);
    assert!(rules::ALL.iter().all(|r| !r.ours));
    // Ours are experimental (opt-in) but for NeedsThisFrontend, on by default.
    assert!(rules::OURS.iter().all(|r| r.ours
        && r.experimental != (r.name == "NeedsThisFrontend")
        && r.url == format!("{}{}.md", rules::OURS_URL_PREFIX, r.name)));
    assert!(rules::ALL
        .iter()
        .all(|r| r.experimental == (r.name == "InvalidDefinitionDescription")));
    assert!(rules::ALL
        .iter()
        .all(|r| r.url.is_empty() == (r.name == "InvalidBaseImagePlatform")));
    assert_eq!(
        rules::format_short("FromAsCasing", "x", 2),
        "FromAsCasing: x (line 2)"
    );
    assert_eq!(
        rules::format_short("FromAsCasing", "x", 0),
        "FromAsCasing: x"
    );
}

#[test]
fn check_option_parsing() {
    let c = Config::parse("skip=A, B;error=true;experimental=all").unwrap();
    assert!(c.skip.contains("A") && c.skip.contains("B") && c.error && c.experimental_all);
    assert!(Config::parse(" skip=all ").unwrap().skip_all);
    assert_eq!(Config::parse("").unwrap(), Config::default());
    assert_eq!(
        Config::parse("foo").unwrap_err(),
        "invalid check option \"foo\""
    );
    assert_eq!(
        Config::parse("bar=1").unwrap_err(),
        "invalid check option \"bar\""
    );
    assert_eq!(Config::parse("error=maybe").unwrap_err(), "failed to parse check option \"error=maybe\": strconv.ParseBool: parsing \"maybe\": invalid syntax");
    // At most three parts: the third keeps its semicolons.
    assert!(Config::parse("skip=a;skip=b;experimental=c;d")
        .unwrap()
        .experimental
        .contains("c;d"));
    assert_eq!(
        Config::for_build(None, "# check=bogus\nFROM scratch\n").unwrap_err(),
        "failed to parse check options: invalid check option \"bogus\""
    );
    let opts = BTreeMap::from([(CHECK_BUILD_ARG.to_string(), "x=y".to_string())]);
    assert_eq!(
        Config::from_build_arg(&opts).unwrap_err(),
        "failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK: invalid check option \"x\""
    );
    // The build argument replaces the directive.
    let arg = Config::parse("skip=all").unwrap();
    assert!(
        Config::for_build(Some(&arg), "#check=error=true\nFROM scratch\n")
            .unwrap()
            .skip_all
    );
}

#[test]
fn comments_merge_per_instruction() {
    let base = Config::parse("skip=A").unwrap();
    let c = base.with_comments(&["unrelated".into(), "check=skip=B // why".into()]);
    assert!(c.skip.contains("A") && c.skip.contains("B"));
    assert_eq!(base.with_comments(&["check=nonsense".into()]), base);
    assert!(!rules::ALL
        .iter()
        .filter(|r| !r.experimental)
        .any(|r| Config::parse("skip=all").unwrap().enabled(r)));
    assert!(
        Config::parse("skip=all;experimental=InvalidDefinitionDescription")
            .unwrap()
            .enabled(&rules::INVALID_DEFINITION_DESCRIPTION)
    );
}

const IDD: &str = "InvalidDefinitionDescription";

#[test]
fn definition_description() {
    no_warnings("# check=skip=all;experimental=InvalidDefinitionDescription\n# foo this is the foo\nARG foo=bar\n\n# base this is the base image\nFROM scratch AS base\n\n# version this is the version number\nARG version=latest\n\n# baz this is the baz\nARG foo=baz bar=qux baz=quux\n#\nARG bit=bat\n\n# comment for something other than ARG or FROM\nCOPY Dockerfile .\n");
    expect(
        "# check=experimental=InvalidDefinitionDescription\n# bar this is the bar\nARG foo=bar\n# BasE this is the BasE image\nFROM scratch AS base\n# definitely a bad comment\nARG version=latest\n# definitely a bad comment\nARG foo=baz bar=qux baz=quux\n",
        &[
            (IDD, 3, "Comment for ARG should follow the format: `# foo <description>`"),
            (IDD, 5, "Comment for FROM should follow the format: `# base <description>`"),
            (IDD, 7, "Comment for ARG should follow the format: `# version <description>`"),
            (IDD, 9, "Comment for ARG should follow the format: `# <arg_key> <description>`"),
        ],
    );
}

#[test]
fn copy_ignored_file() {
    let df = "\nFROM scratch\nCOPY Dockerfile .\nADD Dockerfile /windy\n";
    let c = Case {
        dockerignore: Some("\nDockerfile\n"),
        ..Case::new(df)
    };
    c.expect(&[
        (
            "CopyIgnoredFile",
            3,
            "Attempting to Copy file \"Dockerfile\" that is excluded by .dockerignore",
        ),
        (
            "CopyIgnoredFile",
            4,
            "Attempting to Add file \"Dockerfile\" that is excluded by .dockerignore",
        ),
    ]);
    let df =
        "# check=skip=CopyIgnoredFile\n\nFROM scratch\nCOPY Dockerfile .\nADD Dockerfile /windy\n";
    Case {
        dockerignore: Some("\nDockerfile\n"),
        ..Case::new(df)
    }
    .expect(&[]);
    // --from reads another stage, not the context.
    let df = "\nFROM scratch AS base\nCOPY Dockerfile /foobar\nADD Dockerfile /windy\n\nFROM base\nCOPY --from=base /foobar /Dockerfile\n";
    Case {
        dockerignore: Some("\nfoobar\n"),
        ..Case::new(df)
    }
    .expect(&[]);
    // Exceptions make it impossible to tell.
    Case {
        dockerignore: Some("\n**\n!Dockerfile\n"),
        ..Case::new("\nFROM scratch\nCOPY ./Dockerfile .\n")
    }
    .expect(&[]);
    Case {
        dockerignore: Some("\n**\n!Dockerfile\n"),
        ..Case::new("\nFROM scratch\nCOPY . .\n\t")
    }
    .expect(&[]);
}

#[test]
fn copy_ignored_file_context_root() {
    let df = "\nFROM scratch\nCOPY . .\n";
    Case {
        dockerignore: Some("\n.*\n"),
        ..Case::new(df)
    }
    .expect(&[]);
    Case {
        dockerignore: Some("\n*\n"),
        ..Case::new(df)
    }
    .expect(&[(
        "CopyIgnoredFile",
        3,
        "Attempting to Copy file \".\" that is excluded by .dockerignore",
    )]);
}

#[test]
fn secrets_used_in_arg_or_env() {
    let df = "# check=skip=InvalidDefinitionDescription\n\nFROM scratch\nARG SECRET_PASSPHRASE\nENV SUPER_Secret=foo\nENV password=bar secret=baz\nARG super_duper_secret_token=foo auth=bar\nENV apikey=bar sunflower=foo\nENV git_key=\nENV PUBLIC_KEY=\nARG public_token\nARG SECRET_PASSPHRASE_FILE\nENV password_file=bar secret_File=baz\nARG AUTH_MODULE_VERSION\n# check=skip=SecretsUsedInArgOrEnv // allow secret in environment\nENV password=bar\n# check=skip=SecretsUsedInArgOrEnv // allow secret in arg\nARG password\n# check=skip=all // is local to only this instruction\nENV alternate_password=bar\n# check=skip=all // is local to only this instruction\nARG alternate_password\n";
    let r = "SecretsUsedInArgOrEnv";
    expect(
        df,
        &[
            (r, 4, "Do not use ARG or ENV instructions for sensitive data (ARG \"SECRET_PASSPHRASE\")"),
            (r, 5, "Do not use ARG or ENV instructions for sensitive data (ENV \"SUPER_Secret\")"),
            (r, 6, "Do not use ARG or ENV instructions for sensitive data (ENV \"password\")"),
            (r, 6, "Do not use ARG or ENV instructions for sensitive data (ENV \"secret\")"),
            (r, 7, "Do not use ARG or ENV instructions for sensitive data (ARG \"auth\")"),
            (r, 7, "Do not use ARG or ENV instructions for sensitive data (ARG \"super_duper_secret_token\")"),
            (r, 8, "Do not use ARG or ENV instructions for sensitive data (ENV \"apikey\")"),
            (r, 9, "Do not use ARG or ENV instructions for sensitive data (ENV \"git_key\")"),
        ],
    );
}

#[test]
fn all_target_unmarshal() {
    let df = "\nFROM scratch AS first\nCOPY $foo .\n\nFROM scratch AS second\nCOPY $bar .\n";
    expect(
        df,
        &[("UndefinedVar", 6, "Usage of undefined variable '$bar'")],
    );
    Case {
        all_stages: true,
        ..Case::new(df)
    }
    .expect(&[
        ("UndefinedVar", 3, "Usage of undefined variable '$foo'"),
        ("UndefinedVar", 6, "Usage of undefined variable '$bar'"),
    ]);
}

#[test]
fn rule_check_option() {
    no_warnings("#check=skip=all\nFROM scratch as base\ncopy Dockerfile .\n");
    no_warnings("#check=skip=all;error=true\nFROM scratch as base\ncopy Dockerfile .\n");
    no_warnings("#check=skip=ConsistentInstructionCasing,FromAsCasing\nFROM scratch as base\ncopy Dockerfile .\n");
    expect(
        "#check=skip=ConsistentInstructionCasing\nFROM scratch as base\ncopy Dockerfile .\n",
        &[(
            "FromAsCasing",
            2,
            "'as' and 'FROM' keywords' casing do not match",
        )],
    );
    let df = "#check=skip=ConsistentInstructionCasing;error=true\nFROM scratch as base\ncopy Dockerfile .\n";
    let ast = syntax::parse(df).unwrap();
    let c = Case::new(df).checker(&ast);
    assert_eq!(
        c.violation_error().as_deref(),
        Some("lint violation found for rules: FromAsCasing")
    );
    // skip=all;error=true: nothing fires, so nothing fails.
    let df = "#check=skip=all;error=true\nFROM scratch as base\n";
    let ast = syntax::parse(df).unwrap();
    assert_eq!(Case::new(df).checker(&ast).violation_error(), None);
}

#[test]
fn stage_name_casing_and_from_as_casing() {
    expect(
        "\n# warning: stage name should be lowercase\n#\nFROM scratch AS BadStageName\n\n# warning: 'as' should match 'FROM' cmd casing.\n#\nFROM scratch as base2\n\nFROM scratch AS base3\n",
        &[("StageNameCasing", 4, "Stage name 'BadStageName' should be lowercase"), ("FromAsCasing", 8, "'as' and 'FROM' keywords' casing do not match")],
    );
    expect("\n# warning: 'AS' should match 'from' cmd casing.\n#\nfrom scratch AS base\n\nfrom scratch as base2\n", &[("FromAsCasing", 4, "'AS' and 'from' keywords' casing do not match")]);
}

#[test]
fn no_empty_continuation() {
    expect("\nFROM scratch\n# warning: empty continuation line\nCOPY Dockerfile \\\n\n.\nCOPY Dockerfile \\\n.\n", &[("NoEmptyContinuation", 6, "Empty continuation line")]);
}

#[test]
fn consistent_instruction_casing() {
    let r = "ConsistentInstructionCasing";
    expect("\n# warning: 'FROM' should be either lowercased or uppercased\n#\nFrom scratch as base\nFROM scratch AS base2\n", &[(r, 4, "Command 'From' should match the case of the command majority (uppercase)")]);
    expect("\nFROM scratch\n# warning: 'copy' should match command majority's casing (uppercase)\ncopy Dockerfile /foo\nCOPY Dockerfile /bar\n", &[(r, 4, "Command 'copy' should match the case of the command majority (uppercase)")]);
    expect("\n# warning: 'frOM' should be either lowercased or uppercased\n#\nfrOM scratch as base\nfrom scratch as base2\n", &[(r, 4, "Command 'frOM' should match the case of the command majority (lowercase)")]);
    expect("\nfrom scratch\n# warning: 'COPY' should match command majority's casing (lowercase)\nCOPY Dockerfile /foo\ncopy Dockerfile /bar\n", &[(r, 4, "Command 'COPY' should match the case of the command majority (lowercase)")]);
    expect("\n# warning: 'from' should match command majority's casing (uppercase)\n#\nfrom scratch\nCOPY Dockerfile /foo\nCOPY Dockerfile /bar\nCOPY Dockerfile /baz\n", &[(r, 4, "Command 'from' should match the case of the command majority (uppercase)")]);
    expect("\n# warning: 'FROM' should match command majority's casing (lowercase)\n#\nFROM scratch\ncopy Dockerfile /foo\ncopy Dockerfile /bar\ncopy Dockerfile /baz\n", &[(r, 4, "Command 'FROM' should match the case of the command majority (lowercase)")]);
    no_warnings("\nfrom scratch\ncopy Dockerfile /foo\ncopy Dockerfile /bar\n");
    no_warnings("\nFROM scratch\nCOPY Dockerfile /foo\nCOPY Dockerfile /bar\n");
    no_warnings("\nFROM alpine\nRUN <<'EOT'\nenv\nEOT\n");
}

#[test]
fn duplicate_and_reserved_stage_names() {
    expect(
        "\nFROM scratch AS b\nFROM scratch AS b\n",
        &[(
            "DuplicateStageName",
            3,
            "Duplicate stage name \"b\", stage names should be unique",
        )],
    );
    no_warnings("\nFROM scratch AS b1\nFROM scratch AS b2\n");
    expect(
        "\nFROM scratch AS scratch\nFROM scratch AS context\n",
        &[
            (
                "ReservedStageName",
                2,
                "Stage name should not use the same name as reserved stage \"scratch\"",
            ),
            (
                "ReservedStageName",
                3,
                "Stage name should not use the same name as reserved stage \"context\"",
            ),
        ],
    );
    no_warnings("\nFROM scratch\nFROM scratch AS a\n");
}

#[test]
fn json_args_recommended() {
    let r = "JSONArgsRecommended";
    expect("\nFROM scratch\nCMD mycommand\n", &[(r, 3, "JSON arguments recommended for CMD to prevent unintended behavior related to OS signals")]);
    expect("\nFROM scratch\nENTRYPOINT mycommand\n", &[(r, 3, "JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals")]);
    no_warnings("\nFROM scratch\nSHELL [\"/usr/bin/customshell\"]\nCMD mycommand\n");
    no_warnings("\nFROM scratch\nSHELL [\"/usr/bin/customshell\"]\nENTRYPOINT mycommand\n");
    no_warnings(
        "\nFROM scratch AS base\nSHELL [\"/usr/bin/customshell\"]\n\nFROM base\nCMD mycommand\n",
    );
    no_warnings("\nFROM scratch AS base\nSHELL [\"/usr/bin/customshell\"]\n\nFROM base\nENTRYPOINT mycommand\n");
    no_warnings("\nFROM scratch\nCMD [\"mycommand\"]\n");
    // A SHELL in the base image's config counts too.
    Case {
        image_extra: r#""Shell":["/bin/bash","-c"]"#,
        ..Case::new("FROM busybox\nCMD mycommand\n")
    }
    .expect(&[]);
}

#[test]
fn maintainer_deprecated() {
    expect(
        "\nFROM scratch\nMAINTAINER me@example.org\n",
        &[(
            "MaintainerDeprecated",
            3,
            "Maintainer instruction is deprecated in favor of using label",
        )],
    );
    no_warnings("\nFROM scratch\nLABEL org.opencontainers.image.authors=\"me@example.org\"\n");
    no_warnings("\nFROM scratch\n# check=skip=JSONArgsRecommended\nCMD mycommand\n");
    no_warnings("\nFROM scratch\n# check=skip=JSONArgsRecommended\nENTRYPOINT mycommand\n");
    no_warnings("\nFROM scratch\n# check=skip=MaintainerDeprecated\nMAINTAINER me@example.org\n");
}

#[test]
fn warnings_before_error() {
    let df = "\nFROM scratch AS BadStageName\nMAINTAINER me@example.org\nBADCMD\n";
    let ast = syntax::parse(df).unwrap();
    let c = Case::new(df).checker(&ast);
    let got: Vec<_> = c
        .warnings()
        .iter()
        .map(|w| (w.rule.name, w.location.map(|l| l.start_line)))
        .collect();
    assert_eq!(
        got,
        vec![
            ("StageNameCasing", Some(2)),
            ("MaintainerDeprecated", Some(3))
        ]
    );
    let e = c.error().unwrap();
    assert_eq!(
        e.message,
        "dockerfile parse error on line 4: unknown instruction: BADCMD"
    );
    assert_eq!(e.location.map(|l| l.start_line), Some(4));
}

#[test]
fn undefined_arg_in_from() {
    no_warnings("\nARG base=scratch\nFROM $base\nCOPY Dockerfile .\n");
    no_warnings("\nARG BUILDPLATFORM=linux/amd64\nFROM --platform=$BUILDPLATFORM scratch\nCOPY Dockerfile .\n");
    no_warnings("\nFROM --platform=$BUILDPLATFORM scratch\nCOPY Dockerfile .\n");
    no_warnings("\nARG DEBUG\nFROM scratch${DEBUG}\nCOPY Dockerfile .\n");
    no_warnings("\nARG DEBUG\nFROM scra${DEBUG:-tch}\nCOPY Dockerfile .\n");
    no_warnings("\nARG DEBUG=\"\"\nFROM scratch${DEBUG-@bogus}\nCOPY Dockerfile .\n");
    let df = "\nFROM --platform=$BULIDPLATFORM scratch\nCOPY Dockerfile .\n";
    expect(
        df,
        &[(
            "UndefinedArgInFrom",
            2,
            "FROM argument 'BULIDPLATFORM' is not declared (did you mean BUILDPLATFORM?)",
        )],
    );
    let ast = syntax::parse(df).unwrap();
    // The reference's BuildErr for this case hints too (the converter's message, one copy).
    assert_eq!(
        Case::new(df).checker(&ast).error().unwrap().message,
        "empty platform value from expression $BULIDPLATFORM (did you mean BUILDPLATFORM?)"
    );
    expect("\nARG MY_OS=linux\nARG MY_ARCH=amd64\nFROM --platform=linux/${MYARCH} busybox\nCOPY Dockerfile .\n\t", &[("UndefinedArgInFrom", 4, "FROM argument 'MYARCH' is not declared (did you mean MY_ARCH?)")]);
    expect(
        "\nARG tag=latest\nFROM busybox:${tag}${version} AS b\nCOPY Dockerfile .\n",
        &[(
            "UndefinedArgInFrom",
            3,
            "FROM argument 'version' is not declared",
        )],
    );
}

#[test]
fn workdir_relative_path() {
    expect(
        "\nFROM scratch\nWORKDIR app/\n",
        &[(
            "WorkdirRelativePath",
            3,
            "Relative workdir \"app/\" can have unexpected results if the base image changes",
        )],
    );
    no_warnings("\nFROM scratch AS a\nWORKDIR /app\n\nFROM a AS b\nWORKDIR subdir/\n");
    no_warnings("\nFROM scratch\n# check=skip=WorkdirRelativePath\nWORKDIR app/\n");
}

#[test]
fn undefined_var() {
    let r = "UndefinedVar";
    no_warnings("\nFROM scratch\nARG foo\nCOPY Dockerfile${foo} .\n");
    no_warnings("\nFROM alpine AS base\nARG foo=Dockerfile\n\nFROM base\nCOPY $foo .\n");
    no_warnings("\nFROM alpine\nRUN echo $PATH\n");
    expect(
        "\nFROM alpine\nCOPY $foo .\nARG foo=bar\nRUN echo $foo\n",
        &[(r, 3, "Usage of undefined variable '$foo'")],
    );
    expect("\nFROM alpine\nARG DIR_BINARIES=binaries/\nARG DIR_ASSETS=assets/\nARG DIR_CONFIG=config/\nCOPY $DIR_ASSET .\n\t", &[(r, 6, "Usage of undefined variable '$DIR_ASSET' (did you mean $DIR_ASSETS?)")]);
    expect(
        "\nFROM alpine\nENV PATH=$PAHT:/tmp/bin\n\t\t",
        &[(
            r,
            3,
            "Usage of undefined variable '$PAHT' (did you mean $PATH?)",
        )],
    );
    // Variables the base image's config defines are defined.
    Case {
        image_extra: r#""WorkingDir":"/go""#,
        ..Case::new("FROM golang\nENV X=$PATH\n")
    }
    .expect(&[]);
    // Heredoc bodies that expand, and RUN --mount values, are checked too.
    expect(
        "FROM scratch\nCOPY <<EOF /a\n$nope\nEOF\n",
        &[(r, 2, "Usage of undefined variable '$nope'")],
    );
    no_warnings("FROM scratch\nCOPY <<'EOF' /a\n$nope\nEOF\n");
    expect(
        "FROM scratch\nRUN --mount=type=secret,id=$sid true\n",
        &[(r, 2, "Usage of undefined variable '$sid'")],
    );
}

#[test]
fn multiple_instructions_disallowed() {
    let w = |name: &str, line| {
        ("MultipleInstructionsDisallowed", line, format!("Multiple {name} instructions should not be used in the same stage because only the last one will be used"))
    };
    let check = |df: &str, want: Vec<(&str, usize, String)>| {
        let want: Vec<(&str, usize, &str)> =
            want.iter().map(|(r, l, d)| (*r, *l, d.as_str())).collect();
        expect(df, &want);
    };
    check("\nFROM scratch\nENTRYPOINT [\"/myapp\"]\nENTRYPOINT [\"/myotherapp\"]\nCMD [\"/myapp\"]\nCMD [\"/myotherapp\"]\nHEALTHCHECK CMD [\"/myapp\"]\nHEALTHCHECK CMD [\"/myotherapp\"]\n", vec![w("ENTRYPOINT", 3), w("CMD", 5), w("HEALTHCHECK", 7)]);
    check(
        "\nFROM scratch\nENTRYPOINT [\"/myapp\"]\nCMD [\"/myapp\"]\nHEALTHCHECK CMD [\"/myapp\"]\nCOPY <<EOF /a.txt\nHello, World!\nEOF\nENTRYPOINT [\"/myotherapp\"]\nCMD [\"/myotherapp\"]\nHEALTHCHECK CMD [\"/myotherapp\"]\n",
        vec![w("ENTRYPOINT", 3), w("CMD", 4), w("HEALTHCHECK", 5)],
    );
    no_warnings("\nFROM scratch AS a\nENTRYPOINT [\"/myapp\"]\nCMD [\"/myapp\"]\nHEALTHCHECK CMD [\"/myapp\"]\n\nFROM a AS b\nENTRYPOINT [\"/myotherapp\"]\nCMD [\"/myotherapp\"]\nHEALTHCHECK CMD [\"/myotherapp\"]\n");
}

#[test]
fn legacy_key_value_format() {
    let r = "LegacyKeyValueFormat";
    let env = "\"ENV key=value\" should be used instead of legacy \"ENV key value\" format";
    let label = "\"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format";
    expect(
        "\nFROM scratch\nENV testkey value\nLABEL key value\n",
        &[(r, 3, env), (r, 4, label)],
    );
    no_warnings("\nFROM scratch\nENV testkey=value\nLABEL key=value\n");
    // Only in stages that are built, unless all are checked.
    let df =
        "\nFROM scratch AS a\n\nFROM a AS b\nENV testkey value\nLABEL key value\n\nFROM a AS c\n";
    no_warnings(df);
    Case {
        all_stages: true,
        ..Case::new(df)
    }
    .expect(&[(r, 5, env), (r, 6, label)]);
    no_warnings("\nFROM scratch\n# check=skip=LegacyKeyValueFormat\nENV testkey value\n# check=skip=LegacyKeyValueFormat\nLABEL key value\n");
}

#[test]
fn redundant_target_platform() {
    let r = "RedundantTargetPlatform";
    expect("\nFROM --platform=$TARGETPLATFORM scratch\n", &[(r, 2, "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior")]);
    expect("\nFROM --platform=${TARGETPLATFORM} scratch\n", &[(r, 2, "Setting platform to predefined ${TARGETPLATFORM} in FROM is redundant as this is the default behavior")]);
    no_warnings(
        "\n# check=skip=RedundantTargetPlatform\nFROM --platform=$TARGETPLATFORM scratch\n",
    );
}

#[test]
fn invalid_default_arg_in_from() {
    let r = "InvalidDefaultArgInFrom";
    Case {
        build_args: &[("VERSION", "latest")],
        ..Case::new("\nARG VERSION\nFROM busybox:$VERSION\n")
    }
    .expect(&[(
        r,
        3,
        "Default value for ARG busybox:$VERSION results in empty or invalid base image name",
    )]);
    Case {
        build_args: &[("IMAGE", "busybox:latest")],
        ..Case::new("\nARG IMAGE\nFROM $IMAGE\n")
    }
    .expect(&[(
        r,
        3,
        "Default value for ARG $IMAGE results in empty or invalid base image name",
    )]);
    Case {
        build_args: &[("SFX", "box:latest")],
        ..Case::new("\nARG SFX=\"box:\"\nFROM busy${SFX}\n")
    }
    .expect(&[(
        r,
        3,
        "Default value for ARG busy${SFX} results in empty or invalid base image name",
    )]);
    Case {
        build_args: &[("VERSION", "latest")],
        ..Case::new("\nARG VERSION=\"latest\"\nFROM busybox:${VERSION}\n")
    }
    .expect(&[]);
    Case {
        build_args: &[("BUSYBOX_VARIANT", "-musl")],
        ..Case::new("\nARG BUSYBOX_VARIANT=\"\"\nFROM busybox:stable${BUSYBOX_VARIANT}\n")
    }
    .expect(&[]);
    Case {
        build_args: &[("BUSYBOX_VARIANT", "-musl")],
        ..Case::new("\n\tARG BUSYBOX_VARIANT\n\tFROM busybox:stable${BUSYBOX_VARIANT}\n\t")
    }
    .expect(&[]);
}

#[test]
fn from_platform_flag_const_disallowed() {
    expect(
        "\nFROM --platform=linux/amd64 scratch\n",
        &[(
            "FromPlatformFlagConstDisallowed",
            2,
            "FROM --platform flag should not use constant value \"linux/amd64\"",
        )],
    );
    no_warnings("\nFROM --platform=linux/amd64 scratch AS my_amd64_stage\n");
    no_warnings("\nFROM --platform=linux/amd64 scratch AS linux\n");
}

#[test]
fn expose_rules() {
    let r = "ExposeProtoCasing";
    expect(
        "\nFROM scratch\nEXPOSE 80/TcP 8080/TCP 8080/udp\n",
        &[
            (
                r,
                3,
                "Defined protocol '80/TcP' in EXPOSE instruction should be lowercase",
            ),
            (
                r,
                3,
                "Defined protocol '8080/TCP' in EXPOSE instruction should be lowercase",
            ),
        ],
    );
    let r = "ExposeInvalidFormat";
    expect(
        "\nFROM scratch\nEXPOSE 127.0.0.1:80:80 [::1]:8080:8080 5000:5000 8000\n",
        &[
            (r, 3, "EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:80:80'"),
            (r, 3, "EXPOSE instruction should not define an IP address or host-port mapping, found '5000:5000'"),
            (r, 3, "EXPOSE instruction should not define an IP address or host-port mapping, found '[::1]:8080:8080'"),
        ],
    );
}

#[test]
fn base_image_platform_mismatch() {
    let df = "\nFROM busybox\nENV foo=bar\n";
    let ast = syntax::parse(df).unwrap();
    let opts = Options {
        target_platform: Some(Platform::new("linux", "amd64", "")),
        build_platforms: vec![Platform::new("linux", "amd64", "")],
        ..Options::default()
    };
    let mut c = Checker::new(&ast, opts, Config::default());
    let key = c.images_needed().remove(0);
    let images = ResolvedImages::from([(
        key,
        ResolvedImage {
            digest: None,
            config: image_config(&Platform::new("linux", "arm64", ""), ""),
        },
    )]);
    c.dispatch(&images, None);
    let w: Vec<_> = c
        .warnings()
        .iter()
        .map(|w| (w.rule.name, w.detail.as_str()))
        .collect();
    assert_eq!(w, vec![("InvalidBaseImagePlatform", "Base image busybox was pulled with platform \"linux/arm64\", expected \"linux/amd64\" for current build")]);
}

/// dockerfile2llb's `validateBaseImagePlatform`: the image is asked for `FROM --platform` as
/// written (`platforms.Parse`), the OS and architecture compared as they are, the message
/// shows both platforms normalised.
#[test]
fn base_image_platform_as_written_and_shown_normalised() {
    // (A stage named for the architecture: no FromPlatformFlagConstDisallowed.)
    let ast = syntax::parse("FROM --platform=linux/arm64/v8 busybox AS arm64-build\n").unwrap();
    let opts = Options {
        build_platforms: vec![Platform::new("linux", "amd64", "")],
        ..Options::default()
    };
    let mut c = Checker::new(&ast, opts, Config::default());
    let key = c.images_needed().remove(0);
    assert_eq!(key.1, Platform::new("linux", "arm64", "v8"));
    let images = ResolvedImages::from([(
        key,
        ResolvedImage {
            digest: None,
            config: image_config(&Platform::new("linux", "arm", ""), ""),
        },
    )]);
    c.dispatch(&images, None);
    let w: Vec<_> = c.warnings().iter().map(|w| w.detail.clone()).collect();
    assert_eq!(w, vec!["Base image busybox was pulled with platform \"linux/arm/v7\", expected \"linux/arm64\" for current build".to_string()]);
}

#[test]
fn base_image_platform_without_a_platform_asked_for() {
    // No platform asked for: an image for any of the worker's platforms is fine, another is not.
    let run = |image: Platform| {
        let ast = syntax::parse("FROM busybox\n").unwrap();
        let opts = Options {
            build_platforms: vec![
                Platform::new("linux", "amd64", ""),
                Platform::new("linux", "arm64", ""),
            ],
            ..Options::default()
        };
        let mut c = Checker::new(&ast, opts, Config::default());
        let key = c.images_needed().remove(0);
        c.dispatch(
            &ResolvedImages::from([(
                key,
                ResolvedImage {
                    digest: None,
                    config: image_config(&image, ""),
                },
            )]),
            None,
        );
        c.warnings()
            .iter()
            .map(|w| w.detail.clone())
            .collect::<Vec<_>>()
    };
    assert!(run(Platform::new("linux", "arm64", "")).is_empty());
    assert_eq!(run(Platform::new("linux", "s390x", "")), vec!["Base image busybox was pulled with platform \"linux/s390x\", expected \"linux/amd64\" for current build".to_string()]);
}

#[test]
fn onbuild_triggers_are_checked_in_the_child() {
    let df = "FROM scratch AS base\nONBUILD ENV a b\n\nFROM base\n";
    expect(
        df,
        &[(
            "LegacyKeyValueFormat",
            4,
            "\"ENV key=value\" should be used instead of legacy \"ENV key value\" format",
        )],
    );
}

#[test]
fn reference_order_within_a_file() {
    // The order the reference reports them in: parser, instructions, stage names, casing, FROM, dispatch.
    let df = "FROM scratch AS Foo\nmaintainer me\nFROM scratch AS foo\nENV a b\nCMD x\n";
    let ast = syntax::parse(df).unwrap();
    let c = Case::new(df).checker(&ast);
    let got: Vec<_> = c.warnings().iter().map(|w| w.rule.name).collect();
    assert_eq!(
        got,
        vec![
            "StageNameCasing",
            "MaintainerDeprecated",
            "DuplicateStageName",
            "ConsistentInstructionCasing",
            "LegacyKeyValueFormat",
            "JSONArgsRecommended"
        ]
    );
}

#[test]
fn outline_of_a_target() {
    let df = "\nARG inherited=box\nARG inherited2=box2\nARG unused=abc${inherited2}\n# sfx is a suffix\nARG sfx=\"usy${inherited}\"\n\nFROM b${sfx} AS first\n# this is not assigned to anything\nARG FOO=123\n# BAR is a number\nARG BAR=456\nRUN true\n\nFROM alpine${unused} AS second\nARG BAZ\nRUN true\n\nFROM scratch AS third\nARG ABC=a\n# check=skip=all\nARG password\n# alternate_password will show up in the outline\n# check=skip=all\nARG alternate_password\n\n# target defines build target\nFROM third AS target\nCOPY --from=first /etc/passwd /\n\nFROM second\n";
    let ast = syntax::parse(df).unwrap();
    let opts = Options {
        target: Some("target".into()),
        build_args: BTreeMap::from([("BAR".into(), "678".into())]),
        build_platforms: vec![Platform::new("linux", "amd64", "")],
        ..Options::default()
    };
    let mut c = Checker::new(&ast, opts, Config::default());
    let images: ResolvedImages = c
        .images_needed()
        .into_iter()
        .map(|k| {
            let config = image_config(&k.1, "");
            (
                k,
                ResolvedImage {
                    digest: None,
                    config,
                },
            )
        })
        .collect();
    c.dispatch(&images, None);
    let o = c.outline();
    assert_eq!(
        (o.name.as_str(), o.description.as_str()),
        ("target", "defines build target")
    );
    let args: Vec<_> = o
        .args
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.value.as_str(),
                a.description.as_str(),
                a.location.map_or(0, |l| l.start_line),
            )
        })
        .collect();
    assert_eq!(
        args,
        vec![
            ("inherited", "box", "", 2),
            ("sfx", "usybox", "is a suffix", 6),
            ("FOO", "123", "", 10),
            ("BAR", "678", "is a number", 12),
            ("ABC", "a", "", 20),
            ("password", "", "", 22),
            ("alternate_password", "", "will show up in the outline", 25),
        ]
    );
}

#[test]
fn outline_secrets_and_ssh() {
    let df = "\nFROM busybox AS first\nRUN --mount=type=secret,target=/etc/passwd,required=true --mount=type=ssh true\n\nFROM alpine AS second\nRUN --mount=type=secret,id=unused --mount=type=ssh,id=ssh2 true\n\nFROM scratch AS third\nARG BAR\nRUN --mount=type=secret,id=second${BAR} true\n\nFROM third AS target\nCOPY --from=first /foo /\nRUN --mount=type=ssh,id=ssh3,required true\n\nFROM second\n";
    let ast = syntax::parse(df).unwrap();
    let opts = Options {
        target: Some("target".into()),
        build_args: BTreeMap::from([("BAR".into(), "678".into())]),
        build_platforms: vec![Platform::new("linux", "amd64", "")],
        ..Options::default()
    };
    let mut c = Checker::new(&ast, opts, Config::default());
    let images: ResolvedImages = c
        .images_needed()
        .into_iter()
        .map(|k| {
            let config = image_config(&k.1, "");
            (
                k,
                ResolvedImage {
                    digest: None,
                    config,
                },
            )
        })
        .collect();
    c.dispatch(&images, None);
    let o = c.outline();
    let m = |v: &[OutlineMount]| {
        v.iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.required,
                    s.location.map_or(0, |l| l.start_line),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        m(&o.secrets),
        vec![
            ("passwd".to_string(), true, 3),
            ("second678".to_string(), false, 10)
        ]
    );
    assert_eq!(
        m(&o.ssh),
        vec![
            ("default".to_string(), false, 3),
            ("ssh3".to_string(), true, 14)
        ]
    );
}

#[test]
fn outline_recursive_args() {
    let df = "\nARG FOO=123\nARG ABC=abc\nARG DEF=def\nARG FOO=${FOO}${ABC}\nARG BAR=${FOO}456\nARG FOO=${FOO}456${BAR}\nFROM scratch\nARG FOO\nARG INFOO=123\nARG INBAR=${INFOO}456\nARG INFOO=${INFOO}456${INBAR}\n";
    let ast = syntax::parse(df).unwrap();
    let mut c = Checker::new(&ast, Options::default(), Config::default());
    c.dispatch(&ResolvedImages::new(), None);
    let mut args: Vec<_> = c
        .outline()
        .args
        .iter()
        .map(|a| (a.name.clone(), a.value.clone()))
        .collect();
    args.sort();
    let want = [
        ("ABC", "abc"),
        ("BAR", "123abc456"),
        ("FOO", "123abc456123abc456"),
        ("INBAR", "123456"),
        ("INFOO", "123456123456"),
    ];
    assert_eq!(
        args,
        want.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
}

/// Our rules only run when named in `experimental=`; `experimental=all` (the reference's
/// setting) leaves them off, and `skip=` wins.
#[test]
fn ours_are_opt_in_by_name() {
    let df = "FROM alpine\nRUN apk add curl\nFROM debian\nRUN apt-get update && apt-get install -y curl\n";
    Case {
        all_stages: true,
        ..Case::new(df)
    }
    .expect(&[]);
    let all = format!("# check=experimental=all;error=true\n{df}");
    Case {
        all_stages: true,
        ..Case::new(&all)
    }
    .expect(&[]);
    let on = format!("# check=experimental=ApkAddCache,AptInstallRecommends\n{df}");
    let got = Case {
        all_stages: true,
        ..Case::new(&on)
    }
    .run();
    let got: Vec<_> = got.iter().map(|(r, l, _)| (r.as_str(), *l)).collect();
    assert_eq!(got, [("ApkAddCache", 3), ("AptInstallRecommends", 5)]);
    for off in ["skip=all", "skip=ApkAddCache,AptInstallRecommends"] {
        let df2 = format!("# check=experimental=ApkAddCache,AptInstallRecommends;{off}\n{df}");
        Case {
            all_stages: true,
            ..Case::new(&df2)
        }
        .expect(&[]);
    }
    let good = "# check=experimental=ApkAddCache,AptInstallRecommends\nFROM alpine\nRUN --mount=type=cache,target=/var/cache/apk apk add curl\nRUN apk add --no-cache git\nFROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n";
    Case {
        all_stages: true,
        ..Case::new(good)
    }
    .expect(&[]);
}

#[test]
fn base_image_unpinned_skips_stages_scratch_digests_and_variables() {
    let df = "# check=experimental=BaseImageUnpinned\nARG V=3.20\nFROM alpine AS Build\nFROM build\nFROM scratch\nFROM alpine:${V}\nFROM debian:latest\nFROM alpine:3.20\n";
    Case {
        all_stages: true,
        ..Case::new(df)
    }
    .expect(&[
        ("BaseImageUnpinned", 3, "Base image 'alpine' has no tag"),
        (
            "StageNameCasing",
            3,
            "Stage name 'Build' should be lowercase",
        ),
        (
            "BaseImageUnpinned",
            7,
            "Base image 'debian:latest' uses the latest tag",
        ),
    ]);
}

/// None of our rules fire on the example, and on the golden Dockerfiles only where their
/// Dockerfile deliberately uses an untagged base image (counted, so a change shows).
#[test]
fn ours_on_examples_and_golden_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let on: Vec<&str> = rules::OURS.iter().map(|r| r.name).collect();
    let directive = format!("# check=experimental={}\n", on.join(","));
    let fired = |path: &std::path::Path| -> Vec<(String, usize, String)> {
        let text = std::fs::read_to_string(path).unwrap();
        let df = format!("{directive}{text}");
        if syntax::parse(&df).is_err() {
            return vec![];
        }
        Case {
            all_stages: true,
            ..Case::new(&df)
        }
        .run()
        .into_iter()
        .filter(|(r, _, _)| on.contains(&r.as_str()))
        .collect()
    };
    let example = root.join("../examples/multistage/Dockerfile");
    assert_eq!(fired(&example), vec![], "examples/multistage");
    let mut golden = vec![];
    for e in std::fs::read_dir(root.join("tests/golden")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "Dockerfile") {
            for f in fired(&p) {
                golden.push(format!(
                    "{}: {f:?}",
                    p.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    eprintln!("{}", golden.join("\n"));
    // FinalStageRunsAsRoot's findings there are listed in
    // `multistage_tests::ours_quiet_on_examples_and_golden_files`.
    assert!(
        golden
            .iter()
            .all(|l| l.contains("BaseImageUnpinned") || l.contains("FinalStageRunsAsRoot")),
        "{golden:?}"
    );
}
