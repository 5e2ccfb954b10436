//! Frontend options (`buildctl build --opt KEY=VALUE`, what `docker build` flags turn into):
//! no-cache, labels, where the Dockerfile and the context come from (locals, a path, a git
//! repository, a download), imported cache, SOURCE_DATE_EPOCH, image-resolve-mode,
//! force-network-mode, hostname, `# syntax=` forwarding and SBOM requests.
#![allow(clippy::panic)]

use std::fs;
use std::process::Command;

use e2e::{env, mode, nonce, BuildResult, Context, HttpServer, Mode};

fn base() -> &'static str {
    &env().base_image
}

#[track_caller]
fn run_step(res: &BuildResult, prefix: &str) -> e2e::Step {
    res.steps()
        .into_iter()
        .find(|s| s.instruction().starts_with(prefix))
        .unwrap_or_else(|| panic!("no step starting with {prefix:?}\n{}", res.report()))
}

/// `no-cache=STAGE` reruns that stage only; `no-cache` with no value reruns everything.
#[test]
fn no_cache_all_or_named_stages() {
    let n = nonce();
    let ctx = Context::with_dockerfile(
        "opt-no-cache",
        &format!(
            "FROM {b} AS one\nRUN echo one-{n} > /one\nFROM {b} AS two\nRUN echo two-{n} > /two\n\
             FROM scratch\nCOPY --from=one /one /\nCOPY --from=two /two /\n",
            b = base()
        ),
    );
    ctx.build().output_local().run().assert_ok();

    let named = ctx.build().opt("no-cache", "One").output_local().run();
    named.assert_ok();
    assert!(
        !run_step(&named, "RUN echo one-").cached,
        "the named stage was cached\n{}",
        named.report()
    );
    assert!(
        run_step(&named, "RUN echo two-").cached,
        "another stage was rebuilt\n{}",
        named.report()
    );

    let all = ctx.build().opt("no-cache", "").output_local().run();
    all.assert_ok();
    assert!(
        !run_step(&all, "RUN echo one-").cached && !run_step(&all, "RUN echo two-").cached,
        "{}",
        all.report()
    );
}

/// `label:KEY=VALUE` adds image labels, over the Dockerfile's own.
#[test]
fn labels() {
    let ctx = Context::with_dockerfile(
        "opt-labels",
        &format!("FROM {}\nLABEL a=from-dockerfile b=kept\n", base()),
    );
    let image = e2e::image_name("opt-labels");
    let res = ctx
        .build()
        .opt("label:a", "from-option")
        .opt("label:c", "added")
        .output_image(&image)
        .run();
    res.assert_ok();
    let labels = &res.image().config["config"]["Labels"];
    assert_eq!(labels["a"], "from-option", "{labels}");
    assert_eq!(labels["b"], "kept", "{labels}");
    assert_eq!(labels["c"], "added", "{labels}");
}

/// `filename` names a Dockerfile in a subdirectory (and its own `.dockerignore` applies).
#[test]
fn filename_with_a_path() {
    let ctx = Context::new("opt-filename");
    ctx.write(
        "build/docker/app.Dockerfile",
        "FROM scratch\nCOPY . /ctx/\n",
    );
    ctx.write("build/docker/app.Dockerfile.dockerignore", "secret.txt\n");
    ctx.write("keep.txt", "keep\n").write("secret.txt", "no\n");
    let res = ctx
        .build()
        .opt("filename", "build/docker/app.Dockerfile")
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("ctx/keep.txt"), "keep\n");
    assert!(
        !res.out_dir().join("ctx/secret.txt").exists(),
        "the Dockerfile's .dockerignore was not applied\n{}",
        res.report()
    );
}

/// `dockerfilekey` reads the Dockerfile from another local.
#[test]
fn dockerfile_from_another_local() {
    let ctx = Context::new("opt-dockerfilekey");
    ctx.write("data.txt", "from context\n");
    let defs = Context::with_dockerfile(
        "opt-dockerfilekey-defs",
        "FROM scratch\nCOPY data.txt /copied.txt\n",
    );
    // The `dockerfile` local is an empty directory: the Dockerfile must come from `defs`.
    let empty = ctx.new_output_dir();
    fs::create_dir_all(&empty).unwrap_or_else(|e| panic!("{e}"));
    let res = ctx
        .build()
        .dockerfile_dir(&empty)
        .local("defs", defs.path())
        .opt("dockerfilekey", "defs")
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("copied.txt"), "from context\n");
}

/// When the test repositories' commits are made.
const GIT_DATE: &str = "2023-11-14T22:13:20Z";

/// A git URL as the context: the Dockerfile and COPY both read the repository at that ref;
/// `contextsubdir` narrows the context (not the Dockerfile's path).
#[test]
fn git_context_and_contextsubdir() {
    let n = nonce();
    let tmp = Context::new("opt-git-context");
    e2e::git_bare_repo(
        &tmp.new_output_dir(),
        &[
            ("Dockerfile", "FROM scratch\nCOPY . /ctx/\n"),
            ("app/main.txt", &format!("main {n}\n")),
            ("top.txt", "top\n"),
        ],
        GIT_DATE,
    );
    let root = tmp
        .path()
        .parent()
        .map(|p| p.join("out-0"))
        .unwrap_or_default();
    let server = HttpServer::serve(&root.join("srv"));
    let url = server.url("repo.git#main");

    let res = tmp.build().opt("context", &url).output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("ctx/app/main.txt"), format!("main {n}\n"));
    assert_eq!(res.read_output("ctx/top.txt"), "top\n");
    assert!(res.stderr.contains("load git source"), "{}", res.report());

    let sub = tmp
        .build()
        .opt("context", &url)
        .opt("contextsubdir", "app")
        .output_local()
        .run();
    sub.assert_ok();
    assert_eq!(sub.read_output("ctx/main.txt"), format!("main {n}\n"));
    assert!(
        !sub.out_dir().join("ctx/top.txt").exists(),
        "contextsubdir was ignored\n{}",
        sub.report()
    );
}

/// An http(s) URL as the context: a tarball of the context (Dockerfile inside), or a
/// Dockerfile alone. `contextkey` names the option that holds the URL.
#[test]
fn http_context() {
    let n = nonce();
    let tmp = Context::new("opt-http-context");
    let srv = tmp.new_output_dir();
    let src = srv.join("src");
    fs::create_dir_all(src.join("sub")).unwrap_or_else(|e| panic!("{e}"));
    fs::write(src.join("Dockerfile"), "FROM scratch\nCOPY . /ctx/\n")
        .unwrap_or_else(|e| panic!("{e}"));
    fs::write(src.join("sub/file.txt"), format!("tar {n}\n")).unwrap_or_else(|e| panic!("{e}"));
    e2e::run_ok(
        Command::new("tar")
            .arg("-czf")
            .arg(srv.join("ctx.tar.gz"))
            .arg("-C")
            .arg(&src)
            .arg("."),
    );
    fs::write(
        srv.join("Dockerfile.alone"),
        format!("FROM {}\nRUN echo alone-{n} > /alone\n", base()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let server = HttpServer::serve(&srv);

    let tar = tmp
        .build()
        .opt("context", &server.url("ctx.tar.gz"))
        .output_local()
        .run();
    tar.assert_ok();
    assert_eq!(tar.read_output("ctx/sub/file.txt"), format!("tar {n}\n"));

    let sub = tmp
        .build()
        .opt("contextkey", "remote")
        .opt("remote", &server.url("ctx.tar.gz"))
        .opt("contextsubdir", "sub")
        .output_local()
        .run();
    sub.assert_ok();
    assert_eq!(sub.read_output("ctx/file.txt"), format!("tar {n}\n"));

    let alone = tmp
        .build()
        .opt("context", &server.url("Dockerfile.alone"))
        .output_local()
        .run();
    alone.assert_ok();
    assert_eq!(alone.read_output("alone").trim(), format!("alone-{n}"));
}

/// `--import-cache` (the `cache-imports` option the frontend passes on to its solve): a
/// build whose records were pruned from the daemon hits the exported cache.
#[test]
fn cache_imports() {
    let n = nonce();
    let ctx = Context::with_dockerfile(
        "opt-cache-imports",
        &format!("FROM {}\nRUN echo imported-{n} > /out\n", base()),
    );
    let cache = ctx.new_output_dir();
    let first = ctx
        .build()
        .args([
            "--export-cache".to_string(),
            format!("type=local,dest={},mode=max", cache.display()),
        ])
        .output_local()
        .run();
    first.assert_ok();
    let e = env();
    let prune = Command::new(&e.buildctl)
        .args(["--addr", &e.buildkit_host, "prune", "--all", "--filter"])
        .arg(format!("description~=imported-{n}"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run buildctl prune: {e}"));
    assert!(
        prune.status.success(),
        "buildctl prune failed: {}",
        String::from_utf8_lossy(&prune.stderr)
    );
    let second = ctx
        .build()
        .args([
            "--import-cache".to_string(),
            format!("type=local,src={}", cache.display()),
        ])
        .output_local()
        .run();
    second.assert_ok();
    assert!(
        run_step(&second, "RUN echo imported-").cached,
        "the imported cache was not used\n{}",
        second.report()
    );
}

/// `SOURCE_DATE_EPOCH`: the image's `created` and every history entry carry that time.
#[test]
fn source_date_epoch() {
    let ctx = Context::with_dockerfile(
        "opt-epoch",
        &format!("FROM {}\nRUN echo {} > /x\nENV A=1\n", base(), nonce()),
    );
    let image = e2e::image_name("opt-epoch");
    let res = ctx
        .build()
        .build_arg("SOURCE_DATE_EPOCH", "1700000000")
        .output_image(&image)
        .run();
    res.assert_ok();
    let config = res.image().config;
    assert_eq!(config["created"], "2023-11-14T22:13:20Z", "{config}");
    let history = config["history"].as_array().cloned().unwrap_or_default();
    let ours: Vec<_> = history.iter().rev().take(2).collect();
    assert_eq!(ours.len(), 2, "{config}");
    for h in ours {
        assert_eq!(h["created"], "2023-11-14T22:13:20Z", "{h}");
    }
}

#[test]
fn image_resolve_mode() {
    let ctx = Context::with_dockerfile(
        "opt-resolve-mode",
        &format!("FROM {}\nRUN echo {} > /x\n", base(), nonce()),
    );
    for m in ["pull", "local", "default"] {
        ctx.build().opt("image-resolve-mode", m).run().assert_ok();
    }
    let bad = ctx.build().opt("image-resolve-mode", "sometimes").run();
    bad.assert_failed()
        .assert_stderr_contains(&["invalid image-resolve-mode: sometimes"]);
}

/// `force-network-mode=none`: RUN has no network interface but loopback.
#[test]
fn force_network_mode() {
    let ctx = Context::with_dockerfile(
        "opt-network",
        &format!("FROM {}\nRUN echo {} && tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' > /ifaces\n", base(), nonce()),
    );
    let none = ctx
        .build()
        .opt("force-network-mode", "none")
        .output_local()
        .run();
    none.assert_ok();
    assert_eq!(none.read_output("ifaces").trim(), "lo", "{}", none.report());
    let bad = ctx.build().opt("force-network-mode", "bogus").run();
    bad.assert_failed()
        .assert_stderr_contains(&["invalid netmode bogus"]);
}

#[test]
fn hostname() {
    let ctx = Context::with_dockerfile(
        "opt-hostname",
        &format!("FROM {}\nRUN echo {} && hostname > /h\n", base(), nonce()),
    );
    let res = ctx
        .build()
        .opt("hostname", "buildhost")
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("h").trim(), "buildhost");
    let arg = ctx
        .build()
        .build_arg("BUILDKIT_SANDBOX_HOSTNAME", "fromarg")
        .output_local()
        .run();
    arg.assert_ok();
    assert_eq!(arg.read_output("h").trim(), "fromarg");
}

/// A second tag of the frontend image under test, so `# syntax=` can name "another" frontend.
fn retag_frontend(tag: &str) -> Option<String> {
    let image = e2e::gateway_image_under_test()?;
    let (repo, _) = image.rsplit_once(':')?;
    let (registry, path) = repo.split_once('/')?;
    let accept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
    let get = Command::new("curl")
        .args(["-fsS", "-D", "-", "-H", &format!("Accept: {accept}")])
        .arg(format!(
            "http://{registry}/v2/{path}/manifests/{}",
            image.rsplit_once(':')?.1
        ))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&get.stdout).into_owned();
    let (headers, body) = text.split_once("\r\n\r\n")?;
    let content_type = headers.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("content-type: ")
            .map(str::to_string)
    })?;
    let put = Command::new("curl")
        .args([
            "-fsS",
            "-X",
            "PUT",
            "-H",
            &format!("Content-Type: {}", content_type.trim()),
            "--data-binary",
            body,
        ])
        .arg(format!("http://{registry}/v2/{path}/manifests/{tag}"))
        .status()
        .ok()?;
    put.success().then(|| format!("{repo}:{tag}"))
}

/// `# syntax=IMAGE` and `BUILDKIT_SYNTAX=IMAGE` forward the build to that frontend (which
/// builds it: the chain stops there); one that cannot be loaded is an error at the line.
#[test]
fn syntax_forwarding() {
    let n = nonce();
    if mode() != Mode::Reference {
        let other = retag_frontend("forward-target")
            .unwrap_or_else(|| panic!("cannot retag the frontend image"));
        let ctx = Context::with_dockerfile(
            "opt-syntax",
            &format!("# syntax={other}\nFROM {}\nRUN echo fwd-{n} > /f\n", base()),
        );
        let res = ctx.build().output_local().run();
        res.assert_ok();
        assert_eq!(res.read_output("f").trim(), format!("fwd-{n}"));
        assert!(
            res.stderr.contains(&format!("docker-image://{other}")),
            "not forwarded to {other}\n{}",
            res.report()
        );

        let by_arg = Context::with_dockerfile(
            "opt-syntax-arg",
            &format!("FROM {}\nRUN echo arg-{n} > /f\n", base()),
        );
        let res = by_arg
            .build()
            .build_arg("BUILDKIT_SYNTAX", &other)
            .output_local()
            .run();
        res.assert_ok();
        assert!(
            res.stderr.contains(&format!("docker-image://{other}")),
            "not forwarded to {other}\n{}",
            res.report()
        );
    }
    let missing = format!("{}/e2e/no-such-frontend-{n}", env().registry);
    let ctx = Context::with_dockerfile(
        "opt-syntax-missing",
        &format!("# syntax={missing}\nFROM {}\n", base()),
    );
    let res = ctx.build().run();
    res.assert_failed();
    let (header, lines) = res
        .error_location()
        .unwrap_or_else(|| panic!("no location\n{}", res.report()));
    assert_eq!(header, "Dockerfile:1", "{}", res.report());
    assert_eq!(lines, [format!("# syntax={missing}")], "{}", res.report());
}

/// An SBOM scanner that cannot be resolved fails the build naming it (here: the default
/// scanner, from a registry this machine cannot reach; sbom.rs runs a real one).
#[test]
fn unresolvable_sbom_scanner_fails_the_build() {
    let ctx = Context::with_dockerfile("opt-sbom", &format!("FROM {}\n", base()));
    let res = ctx.build().opt("attest:sbom", "").run();
    res.assert_failed();
    res.assert_stderr_contains(&["docker.io/docker/buildkit-syft-scanner:stable-1"]);
}

/// A git repository as a named context (`context:NAME=<git URL>#ref:subdir`): `COPY --from=NAME`
/// reads the repository's directory at that ref.
#[test]
fn git_named_context() {
    let n = nonce();
    let ctx = Context::with_dockerfile(
        "opt-git-named-context",
        "FROM scratch\nCOPY --from=src /file.txt /got.txt\n",
    );
    let root = ctx.new_output_dir();
    e2e::git_bare_repo(
        &root,
        &[("sub/file.txt", &format!("from git {n}\n"))],
        GIT_DATE,
    );
    let server = HttpServer::serve(&root.join("srv"));
    let res = ctx
        .build()
        .opt("context:src", &server.url("repo.git#main:sub"))
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("got.txt"), format!("from git {n}\n"));
}
