//! Ported from BuildKit's instructions/parse_test.go and parse_heredoc_test.go, plus checks of
//! every typed instruction.

use super::*;
use crate::syntax::{self, LocatedError, Location};

fn first(src: &str) -> Result<Instruction, LocatedError> {
    let ast = syntax::parse(src).expect("parse");
    parse_instruction(&ast.nodes[0])
}

fn cmd(src: &str) -> CommandKind {
    match first(src).unwrap() {
        Instruction::Command(c) => c.kind,
        Instruction::Stage(s) => panic!("stage {s:?}"),
    }
}

fn err(src: &str) -> String {
    first(src).unwrap_err().message
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn exactly_one_argument() {
    for c in ["MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"] {
        assert_eq!(err(c), format!("{c} requires exactly one argument"));
    }
}

#[test]
fn at_least_one_argument() {
    for c in ["ENV", "LABEL", "ONBUILD", "HEALTHCHECK", "EXPOSE", "VOLUME"] {
        assert_eq!(err(c), format!("{c} requires at least one argument"));
    }
    assert_eq!(err("ARG"), "ARG requires at least one argument");
    assert_eq!(err("SHELL"), "SHELL requires at least one argument");
}

#[test]
fn no_destination_argument() {
    for c in ["ADD", "COPY"] {
        assert_eq!(
            err(&format!("{c} arg1")),
            format!("{c} requires at least two arguments, but only one was provided. Destination could not be determined")
        );
    }
    assert!(
        err("COPY\t\n\t\tquux \\\n      bar").starts_with("COPY requires at least two arguments")
    );
}

#[test]
fn blank_names() {
    assert_eq!(err("ENV =arg2"), "ENV names can not be blank");
    assert_eq!(err("LABEL =arg2"), "LABEL names can not be blank");
    assert_eq!(err("ARG =x"), "ARG names can not be blank");
}

#[test]
fn healthcheck() {
    let CommandKind::Healthcheck(h) = cmd("HEALTHCHECK CMD hello world") else {
        panic!()
    };
    assert_eq!(h.health.test, strings(&["CMD-SHELL", "hello world"]));
    let CommandKind::Healthcheck(h) =
        cmd("HEALTHCHECK --interval=5s --timeout=3s --start-period=1m --start-interval=2s --retries=3 CMD [\"a\", \"b\"]")
    else {
        panic!()
    };
    assert_eq!(h.health.test, strings(&["CMD", "a", "b"]));
    assert_eq!(h.health.interval, std::time::Duration::from_secs(5));
    assert_eq!(h.health.timeout, std::time::Duration::from_secs(3));
    assert_eq!(h.health.start_period, std::time::Duration::from_secs(60));
    assert_eq!(h.health.start_interval, std::time::Duration::from_secs(2));
    assert_eq!(h.health.retries, 3);
    let CommandKind::Healthcheck(h) = cmd("HEALTHCHECK none") else {
        panic!()
    };
    assert_eq!(h.health.test, strings(&["NONE"]));
    // NONE never looks at the flags.
    assert!(first("HEALTHCHECK --bogus NONE").is_ok());
    let CommandKind::Healthcheck(h) = cmd("HEALTHCHECK --interval=0s --timeout=0ms CMD [\"x\"]")
    else {
        panic!()
    };
    assert_eq!(h.health.interval, std::time::Duration::ZERO);

    assert_eq!(
        err("HEALTHCHECK NONE x"),
        "HEALTHCHECK NONE takes no arguments"
    );
    assert_eq!(
        err("HEALTHCHECK CMD"),
        "Missing command after HEALTHCHECK CMD"
    );
    assert_eq!(
        err("HEALTHCHECK CMD []"),
        "Missing command after HEALTHCHECK CMD"
    );
    assert_eq!(
        err("HEALTHCHECK CONNECT TCP 7000"),
        "Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)"
    );
    assert_eq!(
        err("HEALTHCHECK --interval=50ns CMD x"),
        "Interval \"interval\" cannot be less than 1ms"
    );
    assert_eq!(
        err("HEALTHCHECK --timeout=-1s CMD x"),
        "Interval \"timeout\" cannot be less than 1ms"
    );
    assert_eq!(
        err("HEALTHCHECK --interval=5 CMD x"),
        "time: missing unit in duration \"5\""
    );
    assert_eq!(
        err("HEALTHCHECK --retries=-1 CMD x"),
        "--retries cannot be negative (-1)"
    );
    assert_eq!(
        err("HEALTHCHECK --retries=x CMD x"),
        "strconv.ParseInt: parsing \"x\": invalid syntax"
    );
    assert_eq!(err("HEALTHCHECK --bogus CMD x"), "unknown flag: --bogus");
    assert_eq!(
        err("HEALTHCHECK --intervl=1s CMD x"),
        "unknown flag: --intervl (did you mean interval?)"
    );
}

#[test]
fn error_cases() {
    let cases = [
        ("ONBUILD FROM scratch", "FROM isn't allowed as an ONBUILD trigger"),
        ("ONBUILD maintainer me", "MAINTAINER isn't allowed as an ONBUILD trigger"),
        ("MAINTAINER --boo joe@example.com", "unknown flag: --boo"),
        ("ONBUILD ONBUILD RUN touch foobar", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
        ("FOO bar", "unknown instruction: FOO (did you mean FROM?)"),
        ("foo bar", "unknown instruction: foo (did you mean from?)"),
        ("BOGUS bar", "unknown instruction: BOGUS"),
        ("RUNN x", "unknown instruction: RUNN (did you mean RUN?)"),
        ("copi a b", "unknown instruction: copi (did you mean copy?)"),
        ("COPY /foo <<EOF\nEOF", "COPY cannot accept a heredoc as a destination"),
        ("SHELL sh -c", "SHELL requires the arguments to be in JSON form"),
        ("SHELL []", "SHELL requires at least one argument"),
        ("VOLUME [\"\"]", "VOLUME specified can not be an empty string"),
        ("VOLUME []", "VOLUME requires at least one argument"),
        ("FROM", "FROM requires either one or three arguments"),
        ("FROM a b", "FROM requires either one or three arguments"),
        ("FROM a AS 1x", "invalid name for build stage: \"1x\", name can't start with a number or contain symbols"),
        ("FROM a AS b$c", "invalid name for build stage: \"b$c\", name can't start with a number or contain symbols"),
        ("FROM --bogus a", "unknown flag: --bogus"),
        ("FROM --platfrom=x a", "unknown flag: --platfrom (did you mean platform?)"),
        ("COPY --chmod a b", "missing a value on flag: --chmod"),
        ("COPY --link=maybe a b", "expecting boolean value for flag --link, not: maybe"),
        ("COPY --from=a --from=b a b", "duplicate flag specified: --from"),
        ("COPY --checksum=x a b", "unknown flag: --checksum"),
        ("ADD --from=x a b", "unknown flag: --from"),
        ("RUN --chmod=1 x", "unknown flag: --chmod"),
        ("RUN --network=bridge x", "invalid network mode \"bridge\""),
        ("RUN --security=x x", "security \"x\" is not valid"),
        ("RUN --mount= x", "failed to parse csv mounts: EOF"),
        ("RUN --device=a,b x", "invalid field 'b' must be a key=value pair"),
        ("ENV --x a=b", "unknown flag: --x"),
        ("WORKDIR --x /a", "unknown flag: --x"),
    ];
    for (src, want) in cases {
        assert_eq!(err(src), want, "{src}");
    }
    // BuildKit never checks the flags of ARG and STOPSIGNAL.
    assert!(first("ARG --x a").is_ok());
    assert!(first("STOPSIGNAL --x 9").is_ok());
}

#[test]
fn run_flags_used() {
    let CommandKind::Run(r) = cmd("RUN --mount=type=tmpfs,target=/foo/ echo hello") else {
        panic!()
    };
    assert_eq!(r.flags_used, strings(&["mount"]));
    assert_eq!(r.mounts, strings(&["type=tmpfs,target=/foo/"]));
    assert_eq!(r.cmd.args, strings(&["echo hello"]));
    assert!(r.cmd.prepend_shell);
    assert_eq!(r.network, NetworkMode::Default);
    assert_eq!(r.security, SecurityMode::Sandbox);

    let CommandKind::Run(r) = cmd(
        "RUN --mount=type=cache,target=/a --mount=type=secret,id=x --network=none --security=insecure --device=vendor.com/gpu=all,required [\"a\", \"b\"]",
    ) else {
        panic!()
    };
    assert_eq!(r.mounts.len(), 2);
    assert_eq!(r.network, NetworkMode::None);
    assert_eq!(r.security, SecurityMode::Insecure);
    assert_eq!(
        r.devices,
        vec![Device {
            name: "vendor.com/gpu=all".into(),
            required: true
        }]
    );
    assert_eq!(r.cmd.args, strings(&["a", "b"]));
    assert!(r.cmd.is_json());
    let CommandKind::Run(r) = cmd("RUN") else {
        panic!()
    };
    assert!(r.cmd.args.is_empty());
}

#[test]
fn copy_heredoc() {
    let cases: Vec<(&str, SourcesAndDest)> = vec![
        (
            "COPY /foo /bar",
            SourcesAndDest {
                dest_path: "/bar".into(),
                source_paths: strings(&["/foo"]),
                source_contents: vec![],
            },
        ),
        (
            "COPY <<EOF /bar\nEOF",
            SourcesAndDest {
                dest_path: "/bar".into(),
                source_paths: vec![],
                source_contents: vec![SourceContent {
                    path: "EOF".into(),
                    data: "".into(),
                    expand: true,
                }],
            },
        ),
        (
            "COPY <<EOF /bar\nTESTING\nEOF",
            SourcesAndDest {
                dest_path: "/bar".into(),
                source_paths: vec![],
                source_contents: vec![SourceContent {
                    path: "EOF".into(),
                    data: "TESTING\n".into(),
                    expand: true,
                }],
            },
        ),
        (
            "COPY <<-EOF /bar\n\tTESTING\nEOF",
            SourcesAndDest {
                dest_path: "/bar".into(),
                source_paths: vec![],
                source_contents: vec![SourceContent {
                    path: "EOF".into(),
                    data: "TESTING\n".into(),
                    expand: true,
                }],
            },
        ),
        (
            "COPY <<'EOF' /bar\nTESTING\nEOF",
            SourcesAndDest {
                dest_path: "/bar".into(),
                source_paths: vec![],
                source_contents: vec![SourceContent {
                    path: "EOF".into(),
                    data: "TESTING\n".into(),
                    expand: false,
                }],
            },
        ),
        (
            "COPY <<EOF1 <<EOF2 /bar\nthis is the first file\nEOF1\nthis is the second file\nEOF2",
            SourcesAndDest {
                dest_path: "/bar".into(),
                source_paths: vec![],
                source_contents: vec![
                    SourceContent {
                        path: "EOF1".into(),
                        data: "this is the first file\n".into(),
                        expand: true,
                    },
                    SourceContent {
                        path: "EOF2".into(),
                        data: "this is the second file\n".into(),
                        expand: true,
                    },
                ],
            },
        ),
        (
            "COPY <<EOF foo.txt /bar\nthis is inline\nEOF",
            SourcesAndDest {
                dest_path: "/bar".into(),
                source_paths: strings(&["foo.txt"]),
                source_contents: vec![SourceContent {
                    path: "EOF".into(),
                    data: "this is inline\n".into(),
                    expand: true,
                }],
            },
        ),
        (
            "COPY <<EOF /quotes\n\"quotes\"\nEOF",
            SourcesAndDest {
                dest_path: "/quotes".into(),
                source_paths: vec![],
                source_contents: vec![SourceContent {
                    path: "EOF".into(),
                    data: "\"quotes\"\n".into(),
                    expand: true,
                }],
            },
        ),
    ];
    for (src, want) in cases {
        let CommandKind::Copy(c) = cmd(src) else {
            panic!()
        };
        assert_eq!(c.sources_and_dest, want, "{src}");
    }
}

#[test]
fn run_heredoc() {
    let cases: Vec<(&str, bool, Vec<String>, Vec<ShellInlineFile>)> = vec![
        ("RUN [\"ls\", \"/\"]", false, strings(&["ls", "/"]), vec![]),
        ("RUN [\"<<EOF\"]", false, strings(&["<<EOF"]), vec![]),
        ("RUN ls /", true, strings(&["ls /"]), vec![]),
        (
            "RUN <<EOF\nls /\nwhoami\nEOF",
            true,
            strings(&["<<EOF"]),
            vec![ShellInlineFile {
                name: "EOF".into(),
                data: "ls /\nwhoami\n".into(),
                chomp: false,
            }],
        ),
        (
            "RUN <<'EOF' | python\nprint(\"hello\")\nprint(\"world\")\nEOF",
            true,
            strings(&["<<'EOF' | python"]),
            vec![ShellInlineFile {
                name: "EOF".into(),
                data: "print(\"hello\")\nprint(\"world\")\n".into(),
                chomp: false,
            }],
        ),
        (
            "RUN <<-EOF\n\techo test\nEOF",
            true,
            strings(&["<<-EOF"]),
            vec![ShellInlineFile {
                name: "EOF".into(),
                data: "\techo test\n".into(),
                chomp: true,
            }],
        ),
    ];
    for (src, shell, args, files) in cases {
        let CommandKind::Run(r) = cmd(src) else {
            panic!()
        };
        assert_eq!(r.cmd.prepend_shell, shell, "{src}");
        assert_eq!(r.cmd.args, args, "{src}");
        assert_eq!(r.cmd.files, files, "{src}");
    }
}

#[test]
fn comments_detection() {
    let src = "# foo sets foo
ARG foo=bar

# base defines first stage
FROM busybox AS base
# this is irrelevant
ARG foo
# bar defines bar
# baz is something else
ARG bar baz=123
";
    let df = parse_dockerfile(&syntax::parse(src).unwrap()).unwrap();
    assert_eq!(df.stages[0].comment.as_deref(), Some("defines first stage"));
    assert_eq!(df.meta_args[0].args[0].key, "foo");
    assert_eq!(
        df.meta_args[0].args[0].doc_comment.as_deref(),
        Some("sets foo")
    );
    let st = &df.stages[0];
    let CommandKind::Arg(a) = &st.commands[0].kind else {
        panic!()
    };
    assert_eq!(
        (a.args[0].key.as_str(), a.args[0].doc_comment.as_deref()),
        ("foo", None)
    );
    let CommandKind::Arg(a) = &st.commands[1].kind else {
        panic!()
    };
    assert_eq!(
        (a.args[0].key.as_str(), a.args[0].doc_comment.as_deref()),
        ("bar", Some("defines bar"))
    );
    assert_eq!(a.args[0].value, None);
    assert_eq!(
        (a.args[1].key.as_str(), a.args[1].doc_comment.as_deref()),
        ("baz", Some("is something else"))
    );
    assert_eq!(a.args[1].value.as_deref(), Some("123"));
}

#[test]
fn dockerfile_structure() {
    let src = "ARG BASE=alpine\nARG V\nFROM --platform=$BUILDPLATFORM ${BASE} AS Build\nRUN echo hi\nFROM build\nCOPY --from=build /a /b\n";
    let df = parse_dockerfile(&syntax::parse(src).unwrap()).unwrap();
    assert_eq!(df.meta_args.len(), 2);
    assert_eq!(
        df.meta_args[1].location,
        Location {
            start_line: 2,
            end_line: 2,
            file: 0,
        }
    );
    assert_eq!(df.stages.len(), 2);
    let s = &df.stages[0];
    assert_eq!(s.name.as_deref(), Some("build"));
    assert_eq!(s.orig_name.as_deref(), Some("Build"));
    assert_eq!(s.base_name, "${BASE}");
    assert_eq!(s.platform.as_deref(), Some("$BUILDPLATFORM"));
    assert_eq!(
        s.location,
        Location {
            start_line: 3,
            end_line: 3,
            file: 0,
        }
    );
    assert_eq!(s.commands.len(), 1);
    assert_eq!(s.commands[0].original, "RUN echo hi");
    assert_eq!(s.commands[0].name(), "RUN");
    assert_eq!(s.keyword(), "FROM");
    assert_eq!(df.stages[1].name, None);
    let CommandKind::Copy(c) = &df.stages[1].commands[0].kind else {
        panic!()
    };
    assert_eq!(c.from.as_deref(), Some("build"));

    let e = parse_dockerfile(&syntax::parse("FROM a\nBOGUS x\n").unwrap()).unwrap_err();
    assert_eq!(
        e.message,
        "dockerfile parse error on line 2: unknown instruction: BOGUS"
    );
    assert_eq!(
        e.location,
        Some(Location {
            start_line: 2,
            end_line: 2,
            file: 0,
        })
    );
    let e = parse_dockerfile(&syntax::parse("ARG a\nRUN x\nFROM a\n").unwrap()).unwrap_err();
    assert_eq!(e.message, "no build stage in current context");
    assert_eq!(
        e.location,
        Some(Location {
            start_line: 2,
            end_line: 2,
            file: 0,
        })
    );
    let e =
        parse_dockerfile(&syntax::parse("FROM a\nCOPY \\\n  --bogus a b\n").unwrap()).unwrap_err();
    assert_eq!(
        e.message,
        "dockerfile parse error on line 2: unknown flag: --bogus"
    );
    assert_eq!(
        e.location,
        Some(Location {
            start_line: 2,
            end_line: 3,
            file: 0,
        })
    );
}

#[test]
fn every_instruction() {
    let CommandKind::Env(e) = cmd("ENV a=1 b=\"2 3\"") else {
        panic!()
    };
    assert_eq!(
        e.env[1],
        KeyValuePair {
            key: "b".into(),
            value: "\"2 3\"".into(),
            no_delim: false
        }
    );
    let CommandKind::Env(e) = cmd("ENV a 1 2") else {
        panic!()
    };
    assert_eq!(
        e.env,
        vec![KeyValuePair {
            key: "a".into(),
            value: "1 2".into(),
            no_delim: true
        }]
    );
    let CommandKind::Label(l) = cmd("LABEL a=b") else {
        panic!()
    };
    assert_eq!(l.labels[0].key, "a");
    let CommandKind::Workdir(w) = cmd("WORKDIR /a b") else {
        panic!()
    };
    assert_eq!(w.path, "/a b");
    let CommandKind::User(u) = cmd("USER a:b") else {
        panic!()
    };
    assert_eq!(u.user, "a:b");
    let CommandKind::Expose(x) = cmd("EXPOSE 8080 80/udp 443") else {
        panic!()
    };
    assert_eq!(x.ports, strings(&["443", "80/udp", "8080"]));
    let CommandKind::Cmd(c) = cmd("CMD [\"a\"]") else {
        panic!()
    };
    assert_eq!(
        (c.cmd.args.clone(), c.cmd.is_json()),
        (strings(&["a"]), true)
    );
    let CommandKind::Cmd(c) = cmd("CMD echo $HOME") else {
        panic!()
    };
    assert_eq!(
        (c.cmd.args.clone(), c.cmd.is_json()),
        (strings(&["echo $HOME"]), false)
    );
    let CommandKind::Entrypoint(c) = cmd("ENTRYPOINT []") else {
        panic!()
    };
    assert!(c.cmd.args.is_empty() && c.cmd.is_json());
    let CommandKind::Volume(v) = cmd("VOLUME [\"/a\", \" /b \"]") else {
        panic!()
    };
    assert_eq!(v.volumes, strings(&["/a", "/b"]));
    let CommandKind::Volume(v) = cmd("VOLUME /a /b") else {
        panic!()
    };
    assert_eq!(v.volumes, strings(&["/a", "/b"]));
    let CommandKind::StopSignal(s) = cmd("STOPSIGNAL SIGKILL") else {
        panic!()
    };
    assert_eq!(s.signal, "SIGKILL");
    let CommandKind::Shell(s) = cmd("SHELL [\"pwsh\", \"-c\"]") else {
        panic!()
    };
    assert_eq!(s.shell, strings(&["pwsh", "-c"]));
    let CommandKind::Maintainer(m) = cmd("MAINTAINER me <me@x>") else {
        panic!()
    };
    assert_eq!(m.maintainer, "me <me@x>");
    let CommandKind::Onbuild(o) = cmd("onbuild   RUN --mount=type=cache,target=/x echo hi") else {
        panic!()
    };
    assert_eq!(o.expression, "RUN --mount=type=cache,target=/x echo hi");
    let CommandKind::Onbuild(o) = cmd("ONBUILD COPY <<EOF /x\nhello\nEOF") else {
        panic!()
    };
    assert_eq!(o.expression, "COPY <<EOF /x\nhello\nEOF");
    let CommandKind::Arg(a) = cmd("ARG a b=c d=") else {
        panic!()
    };
    assert_eq!(
        a.args
            .iter()
            .map(|p| (p.key.as_str(), p.value.as_deref()))
            .collect::<Vec<_>>(),
        vec![("a", None), ("b", Some("c")), ("d", Some(""))]
    );
    let CommandKind::Copy(c) =
        cmd("COPY --chown=1:2 --chmod=755 --link --parents --exclude=*.md --exclude=x [\"a\", \"b c\", \"/d\"]")
    else {
        panic!()
    };
    assert_eq!(c.chown.as_deref(), Some("1:2"));
    assert_eq!(c.chmod.as_deref(), Some("755"));
    assert!(c.link && c.parents);
    assert_eq!(c.exclude_patterns, strings(&["*.md", "x"]));
    assert_eq!(c.sources_and_dest.source_paths, strings(&["a", "b c"]));
    let CommandKind::Add(a) =
        cmd("ADD --checksum=sha256:x --keep-git-dir=false --unpack --link=false https://x /y")
    else {
        panic!()
    };
    assert_eq!(a.checksum.as_deref(), Some("sha256:x"));
    assert_eq!(a.keep_git_dir, Some(false));
    assert_eq!(a.unpack, Some(true));
    assert!(!a.link);
    let CommandKind::Add(a) = cmd("ADD a b") else {
        panic!()
    };
    assert_eq!((a.keep_git_dir, a.unpack), (None, None));
}

#[test]
fn nil_linter_like_smoke() {
    // BuildKit's TestNilLinter: every instruction with odd arguments must not crash.
    for c in [
        "add",
        "arg",
        "cmd",
        "copy",
        "entrypoint",
        "env",
        "expose",
        "from",
        "healthcheck",
        "label",
        "maintainer",
        "onbuild",
        "run",
        "shell",
        "stopsignal",
        "user",
        "volume",
        "workdir",
    ] {
        for tc in [" foo=bar", " a", " a b", " a b c", " 0 0"] {
            if let Ok(ast) = syntax::parse(&format!("FROM busybox\n{c}{tc}")) {
                let _ = parse_dockerfile(&ast);
            }
        }
    }
}

#[test]
fn type_sizes() {
    eprintln!(
        "Node {} Command {} CommandKind {} Run {} Add {} Copy {} Stage {}",
        std::mem::size_of::<syntax::Node>(),
        std::mem::size_of::<Command>(),
        std::mem::size_of::<CommandKind>(),
        std::mem::size_of::<RunCommand>(),
        std::mem::size_of::<AddCommand>(),
        std::mem::size_of::<CopyCommand>(),
        std::mem::size_of::<Stage>()
    );
}

#[test]
fn owned_and_borrowed_paths_agree() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/syntax/testdata/testfiles");
    let mut sources: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path().join("Dockerfile")).unwrap())
        .collect();
    sources.push(
        "# a docs\nARG a=1 b\nFROM x AS a\nENV k v\nCOPY --from=a <<-EOF /d\n\thi\nEOF\nRUN  <<EOF  \nls\nEOF\nONBUILD RUN x\nVOLUME [\" /a \"]\nHEALTHCHECK CMD x\n  "
            .to_string(),
    );
    for src in sources {
        let ast = syntax::parse(&src).unwrap();
        assert_eq!(
            parse_dockerfile(&ast),
            parse_nodes(ast.nodes.clone()),
            "{src}"
        );
        for n in &ast.nodes {
            assert_eq!(parse_instruction(n), parse_instruction_owned(n.clone()));
        }
    }
}
