//! Our multi-stage rules and UnusedArg, FinalStageRunsAsRoot: cases that must fire (rule and
//! line) and cases that must not, and none of ours on the examples and golden Dockerfiles.

use super::rules;
use super::tests::Case;
use crate::syntax;

const ALL_OURS: &str = "# check=experimental=FinalStageCopiesWholeStage,FinalStageCopiesWholeContext,ToolchainInFinalStage,FinalStageRunsAsRoot,UnusedArg,UnreachableStage,CopyFromUnwrittenPath\n";

/// Our rules' findings (rule, line) for `body` with all of the new ones on (line 1 is the
/// directive), every stage checked unless `target_only`.
fn fired_with(body: &str, all_stages: bool, image_extra: &str) -> Vec<(String, usize)> {
    let df = format!("{ALL_OURS}{body}");
    Case {
        all_stages,
        image_extra,
        ..Case::new(&df)
    }
    .run()
    .into_iter()
    .filter(|(r, _, _)| rules::OURS.iter().any(|o| o.name == r))
    .map(|(r, l, _)| (r, l))
    .collect()
}

fn fired(body: &str) -> Vec<(String, usize)> {
    fired_with(body, true, "")
}

#[track_caller]
fn fires(body: &str, want: &[(&str, usize)]) {
    let want: Vec<(String, usize)> = want.iter().map(|(r, l)| (r.to_string(), *l)).collect();
    assert_eq!(fired(body), want, "Dockerfile:\n{body}");
}

#[track_caller]
fn quiet(body: &str) {
    assert_eq!(fired(body), vec![], "Dockerfile:\n{body}");
}

#[test]
fn final_stage_copies_whole_stage() {
    fires(
        "FROM golang:1.22 AS build\nRUN go build -o /app\nFROM alpine:3.20\nCOPY --from=build / /\n",
        &[("FinalStageCopiesWholeStage", 5)],
    );
    fires(
        "FROM golang:1.22 AS build\nRUN go build -o /app\nFROM alpine:3.20\nCOPY --from=0 /. /rootfs/\n",
        &[("FinalStageCopiesWholeStage", 5)],
    );
    fires(
        "FROM golang:1.22 AS build\nRUN go build -o /app\nFROM alpine:3.20\nCOPY --from=build . /rootfs/\n",
        &[("FinalStageCopiesWholeStage", 5)],
    );
    // Only artifacts, or a FROM scratch stage gathering them, or not the final stage.
    quiet("FROM golang:1.22 AS build\nRUN go build -o /app\nFROM alpine:3.20\nCOPY --from=build /app /app\n");
    quiet("FROM golang:1.22 AS build\nRUN go build -o /out/app\nFROM scratch AS artifacts\nCOPY --from=build /out/ /\nFROM alpine:3.20\nCOPY --from=artifacts / /\n");
    quiet("FROM golang:1.22 AS build\nRUN go build -o /app\nFROM alpine:3.20 AS mid\nCOPY --from=build / /x\nFROM mid\nCOPY --from=build /app /app\n");
    // An image, not a stage.
    quiet("FROM alpine:3.20\nCOPY --from=busybox:1.36 / /bb\n");
}

#[test]
fn final_stage_copies_whole_context() {
    fires(
        "FROM golang:1.22 AS build\nCOPY . .\nRUN go build -o /app\nFROM alpine:3.20\nCOPY --from=build /app /app\nCOPY . /src\n",
        &[("FinalStageCopiesWholeContext", 7)],
    );
    fires(
        "FROM node:20 AS build\nRUN npm ci\nFROM node:20-slim\nCOPY ./ ./\nRUN --mount=from=build,target=/b cp -r /b/dist .\n",
        &[("FinalStageCopiesWholeContext", 5)],
    );
    // Single stage; or built on the stage that prepared it; or only a sub-directory.
    quiet("FROM alpine:3.20\nCOPY . .\n");
    quiet("FROM node:20 AS deps\nRUN npm ci\nFROM deps\nCOPY . .\n");
    quiet("FROM golang:1.22 AS build\nRUN go build -o /app\nFROM alpine:3.20\nCOPY --from=build /app /app\nCOPY config/ /etc/app/\n");
}

#[test]
fn toolchain_in_final_stage() {
    fires(
        "FROM golang:1.22 AS build\nRUN go build -o /app\nFROM golang:1.22\nCOPY --from=build /app /app\n",
        &[("ToolchainInFinalStage", 4)],
    );
    fires(
        "FROM maven:3 AS build\nRUN mvn package\nFROM maven:3 AS base\nFROM base\nCOPY --from=build /t/app.jar /app.jar\n",
        &[("ToolchainInFinalStage", 5)],
    );
    // Single stage; a runtime image; a toolchain final stage that copies from no stage.
    quiet("FROM golang:1.22\nRUN go build -o /app\n");
    quiet("FROM golang:1.22 AS build\nRUN go build -o /app\nFROM gcr.io/distroless/static:nonroot\nCOPY --from=build /app /app\n");
    quiet("FROM rust:1 AS build\nRUN cargo build\nFROM rust:1\nRUN cargo test\n");
    quiet("FROM node:20 AS build\nRUN npm run build\nFROM node:20-slim\nCOPY --from=build /dist /dist\n");
}

#[test]
fn final_stage_runs_as_root() {
    // No USER anywhere; the base image's config has none either.
    fires(
        "FROM alpine:3.20\nCMD [\"app\"]\n",
        &[("FinalStageRunsAsRoot", 2)],
    );
    // The last USER is root, or inherited from the base stage.
    fires(
        "FROM alpine:3.20 AS base\nUSER app\nFROM base\nUSER 0:0\nENTRYPOINT [\"app\"]\n",
        &[("FinalStageRunsAsRoot", 5)],
    );
    quiet("FROM alpine:3.20 AS base\nUSER app\nFROM base\nCMD [\"app\"]\n");
    quiet("FROM alpine:3.20\nUSER root\nRUN apk add --no-cache curl\nUSER 10001\nCMD [\"app\"]\n");
    quiet("FROM alpine:3.20\nUSER $APP_USER\nCMD [\"app\"]\n");
    // FROM scratch; no CMD/ENTRYPOINT (not a stage meant to be run as is).
    quiet("FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n");
    quiet("FROM alpine:3.20\nRUN echo hi\n");
    // The base image's config sets a non-root user.
    assert_eq!(
        fired_with("FROM node:20\nCMD [\"node\"]\n", true, r#""User":"node""#),
        vec![]
    );
    assert_eq!(
        fired_with("FROM node:20\nCMD [\"node\"]\n", true, r#""User":"0""#),
        vec![("FinalStageRunsAsRoot".to_string(), 2)]
    );
}

#[test]
fn unused_arg() {
    fires(
        "ARG UNUSED_GLOBAL=1\nARG BASE=alpine:3.20\nFROM $BASE\nARG VERSION=1\nARG NAME\nCOPY a /a\n",
        &[("UnusedArg", 2), ("UnusedArg", 5), ("UnusedArg", 6)],
    );
    // Uses: RUN text, heredocs, flags, later ARG defaults, a stage built on this one, FROM.
    quiet("ARG BASE=alpine\nARG TAG=3.20\nFROM ${BASE}:$TAG AS base\nARG V=1\nARG W=${V}-x\nRUN echo $W\nFROM base\nRUN echo \"$V\"\n");
    quiet("FROM alpine:3.20\nARG U=1:1 D=/d\nCOPY --chown=$U a ${D}/\nARG NAME=x\nCOPY <<EOF /hello\nhello $NAME\nEOF\n");
    // Exempt: predefined, tools' environment, a pass-through with a RUN after it.
    quiet("FROM alpine:3.20\nARG TARGETARCH\nARG DEBIAN_FRONTEND=noninteractive\nARG PIP_INDEX_URL\nARG TOKEN_FOR_SCRIPT\nRUN ./build.sh\n");
    // Skipped for one instruction by the comment above it.
    fires(
        "# globals\n# check=skip=UnusedArg\nARG G=1\nFROM alpine:3.20\n# check=skip=UnusedArg\nARG V=1\nARG W=1\nCOPY a /a\n",
        &[("UnusedArg", 8)],
    );
    // A global ARG redeclared in a stage counts as used (the stage's ARG is judged).
    fires(
        "ARG V=1\nFROM alpine:3.20\nARG V\nCOPY a /a\n",
        &[("UnusedArg", 4)],
    );
}

#[test]
fn unreachable_stage() {
    fires(
        "FROM alpine:3.20\nRUN echo never\nFROM alpine:3.20 AS app\nRUN echo app\n",
        &[("UnreachableStage", 2)],
    );
    // Named stages are targets; read stages (by index, by base) are built.
    quiet("FROM alpine:3.20 AS test\nRUN echo test\nFROM alpine:3.20 AS app\nRUN echo app\n");
    quiet("FROM alpine:3.20\nRUN echo one > /one\nFROM alpine:3.20\nCOPY --from=0 /one /one\n");
    // `RUN --mount from=0` names an image called `0`, not stage 0 (as the reference reads it).
    fires(
        "FROM alpine:3.20\nRUN echo one > /one\nFROM alpine:3.20 AS app\nRUN --mount=from=0,target=/m ls /m\n",
        &[("UnreachableStage", 2)],
    );
    // An ONBUILD trigger could read it.
    quiet("FROM alpine:3.20\nRUN echo one > /one\nFROM alpine:3.20 AS base\nONBUILD COPY --from=0 /one /one\nFROM base\n");
}

#[test]
fn copy_from_unwritten_path() {
    fires(
        "FROM scratch AS files\nCOPY app /out/app\nFROM alpine:3.20\nCOPY --from=files /out/app /app\nCOPY --from=files /bin/app /app2\n",
        &[("CopyFromUnwrittenPath", 6)],
    );
    // A relative destination against WORKDIR, inherited by a stage built on it.
    fires(
        "FROM scratch AS a\nWORKDIR /srv\nCOPY x data/\nFROM a AS b\nCOPY y more/\nFROM alpine:3.20\nCOPY --from=b /srv/data/x /srv/more /x\nCOPY --from=b /data /y\n",
        &[("CopyFromUnwrittenPath", 9)],
    );
    // Only the chain of the stage copied from counts, not a sibling built on the same base.
    fires(
        "FROM scratch AS base\nCOPY a /a\nFROM base AS left\nCOPY b /b\nFROM base AS right\nFROM alpine:3.20\nCOPY --from=right /b /x\nCOPY --from=right /a /y\nCOPY --from=left /b /z\nCOPY --from=left /a/deeper /z\n",
        &[("CopyFromUnwrittenPath", 8)],
    );
    // Not certain: an image base, a RUN, a variable, a wildcard, a relative source, a parent.
    quiet("FROM alpine:3.20 AS files\nFROM alpine:3.20\nCOPY --from=files /nothing /x\n");
    quiet("FROM scratch AS files\nRUN [\"/m/sh\"]\nFROM alpine:3.20\nCOPY --from=files /x /x\n");
    quiet(
        "FROM scratch AS files\nARG D=/d\nCOPY a $D/\nFROM alpine:3.20\nCOPY --from=files /e /x\n",
    );
    quiet("FROM scratch AS files\nCOPY a /d/\nFROM alpine:3.20\nCOPY --from=files /e* /x\nCOPY --from=files e /x\nCOPY --from=files / /x\nCOPY --from=files /d/a /x\nCOPY --from=files /d /x\n");
}

/// None of our rules fire on the examples (every stage checked, and the default target's),
/// nor do the multi-stage ones on the golden Dockerfiles except where they are right to: each
/// listed with why.
#[test]
fn ours_quiet_on_examples_and_golden_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |path: &std::path::Path| -> Vec<String> {
        let text = std::fs::read_to_string(path).unwrap();
        let on: Vec<&str> = rules::OURS.iter().map(|r| r.name).collect();
        let df = format!("# check=experimental={}\n{text}", on.join(","));
        if syntax::parse(&df).is_err() {
            return vec![];
        }
        let dir = path
            .parent()
            .and_then(|d| d.file_name())
            .unwrap_or_default();
        let file = path.file_name().unwrap_or_default();
        let name = format!("{}/{}", dir.to_string_lossy(), file.to_string_lossy());
        let mut out = vec![];
        for all_stages in [true, false] {
            for (r, l, _) in (Case {
                all_stages,
                ..Case::new(&df)
            })
            .run()
            {
                let line = format!("{name}:{} {r}", l.saturating_sub(1));
                if on.contains(&r.as_str()) && !out.contains(&line) {
                    out.push(line);
                }
            }
        }
        out
    };
    let mut examples = vec![];
    for e in std::fs::read_dir(root.join("../examples")).unwrap() {
        let p = e.unwrap().path().join("Dockerfile");
        if p.exists() {
            examples.extend(run(&p));
        }
    }
    assert_eq!(examples, Vec::<String>::new());
    let mut golden = vec![];
    let mut paths: Vec<_> = std::fs::read_dir(root.join("tests/golden"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "Dockerfile"))
        .collect();
    paths.sort();
    for p in paths {
        // BaseImageUnpinned fires on the golden files' untagged `busybox`: counted in
        // `tests::ours_on_examples_and_golden_files`.
        golden.extend(
            run(&p)
                .into_iter()
                .filter(|l| !l.ends_with(" BaseImageUnpinned")),
        );
    }
    // config-entrypoint and platform: busybox with a CMD and no USER does run as root.
    assert_eq!(
        golden,
        [
            "golden/config-entrypoint.Dockerfile:8 FinalStageRunsAsRoot",
            "golden/platform.Dockerfile:5 FinalStageRunsAsRoot",
        ]
    );
}

/// With all of ours on, the checker survives every input of the checks fuzz corpus (its
/// Dockerfile part), every stage checked and only the target's.
#[test]
fn ours_on_the_checks_fuzz_corpus() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/checks");
    let Ok(dir) = std::fs::read_dir(&root) else {
        return;
    };
    let on: Vec<&str> = rules::OURS.iter().map(|r| r.name).collect();
    let directive = format!("# check=experimental={}\n", on.join(","));
    for e in dir {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let body = text.split_once("---\n").map_or(&*text, |(_, b)| b);
        let df = format!("{directive}{body}");
        if syntax::parse(&df).is_err() {
            continue;
        }
        for all_stages in [true, false] {
            let _ = Case {
                all_stages,
                ..Case::new(&df)
            }
            .run();
        }
    }
}

/// Off unless named; `skip=` wins; `experimental=all` does not turn them on; a `# check=skip=`
/// comment above the instruction skips it there.
#[test]
fn ours_are_opt_in_by_name() {
    let body = "FROM golang:1.22 AS build\nRUN go build -o /app\nFROM golang:1.22\nARG UNUSED=1\nCOPY --from=build / /\n# check=skip=FinalStageCopiesWholeContext\nCOPY . .\nCMD [\"/app\"]\n";
    let rules_of = |directive: &str| -> Vec<String> {
        let df = format!("{directive}{body}");
        let mut r: Vec<String> = Case {
            all_stages: true,
            ..Case::new(&df)
        }
        .run()
        .into_iter()
        .map(|(r, _, _)| r)
        .filter(|r| rules::OURS.iter().any(|o| o.name == r))
        .collect();
        r.sort();
        r
    };
    assert_eq!(rules_of(""), Vec::<String>::new());
    assert_eq!(rules_of("# check=experimental=all\n"), Vec::<String>::new());
    assert_eq!(
        rules_of("# check=experimental=all;error=true\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        rules_of(ALL_OURS),
        [
            "FinalStageCopiesWholeStage",
            "FinalStageRunsAsRoot",
            "ToolchainInFinalStage",
            "UnusedArg"
        ]
    );
    assert_eq!(
        rules_of("# check=skip=all;experimental=UnusedArg,ToolchainInFinalStage\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        rules_of("# check=skip=UnusedArg;experimental=UnusedArg,ToolchainInFinalStage\n"),
        ["ToolchainInFinalStage"]
    );
}
