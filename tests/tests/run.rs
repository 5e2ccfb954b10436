//! RUN against a real daemon: every `--mount` type and option, secrets kept out of the
//! image and the log, ssh agents, `--network`, `--security`, `--device`, the proxy build args,
//! the `add-hosts`/`shm-size`/`ulimit` build options, and the heredoc forms.
#![allow(clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use e2e::{env, image_name, nonce, BuildResult, Context};

/// `FROM busybox` as the working stage; results are copied into a scratch stage so the
/// exported directory holds only them.
fn busybox() -> &'static str {
    &env().base_image
}

/// A Dockerfile whose `work` stage runs `body` and whose result is `/out` of that stage.
fn with_out(body: &str) -> String {
    format!(
        "FROM {} AS work\nRUN mkdir /out\n{body}\nFROM scratch\nCOPY --from=work /out/ /\n",
        busybox()
    )
}

fn trimmed(res: &BuildResult, file: &str) -> String {
    res.read_output(file).trim().to_string()
}

/// A file beside (not inside) the build context, e.g. a secret's source.
fn outside_context(ctx: &Context, name: &str, contents: &str) -> PathBuf {
    let path = ctx.path().parent().unwrap_or(ctx.path()).join(name);
    std::fs::write(&path, contents)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

fn sha256_hex(data: &str) -> String {
    let out = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .map(|mut i| i.write_all(data.as_bytes()))
                .transpose()?;
            c.wait_with_output()
        })
        .unwrap_or_else(|e| panic!("sha256sum: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn cache_mount_persists_between_builds() {
    let id = nonce();
    let df = with_out(&format!(
        "ARG RUN_ID\n\
         RUN --mount=type=cache,target=/cache,id={id} echo $RUN_ID >> /cache/log && wc -l < /cache/log > /out/count && ls -A /cache > /out/listing\n"
    ));
    let ctx = Context::with_dockerfile("cache-persists", &df);
    let first = ctx.build().build_arg("RUN_ID", "1").output_local().run();
    first.assert_ok();
    assert_eq!(trimmed(&first, "count"), "1");
    let second = ctx.build().build_arg("RUN_ID", "2").output_local().run();
    second.assert_ok();
    assert_eq!(
        trimmed(&second, "count"),
        "2",
        "the cache mount lost what the first build wrote"
    );
    // The cache is a mount: nothing of it lands in the stage's filesystem.
    let third = ctx.build().build_arg("RUN_ID", "3").output_local().run();
    third.assert_ok();
    assert_eq!(trimmed(&third, "listing"), "log");
}

#[test]
fn cache_mount_defaults_id_to_target_and_namespace_separates() {
    // Two builds with different BUILDKIT_CACHE_MOUNT_NS never see each other's cache; the
    // same namespace and target does.
    let target = format!("/cache-{}", nonce());
    let df = with_out(&format!("ARG RUN_ID\nRUN --mount=type=cache,target={target} echo $RUN_ID >> {target}/log && cat {target}/log > /out/log\n"));
    let ctx = Context::with_dockerfile("cache-ns", &df);
    let run = |ns: &str, id: &str| {
        let res = ctx
            .build()
            .build_arg("BUILDKIT_CACHE_MOUNT_NS", ns)
            .build_arg("RUN_ID", id)
            .output_local()
            .run();
        res.assert_ok();
        trimmed(&res, "log").replace('\n', ",")
    };
    assert_eq!(run("a", "1"), "1");
    assert_eq!(run("b", "2"), "2");
    assert_eq!(run("a", "3"), "1,3");
}

#[test]
fn cache_mount_options() {
    let n = nonce();
    let df = format!(
        "FROM {bb} AS seed\nRUN mkdir -p /seed && echo seeded > /seed/file\n\
         FROM {bb} AS work\nRUN mkdir /out\nWORKDIR /w\n\
         RUN --mount=type=cache,target=owned,id=own-{n},uid=1234,gid=4321,mode=0710 stat -c '%a %u %g' /w/owned > /out/owned\n\
         RUN --mount=type=cache,from=seed,source=/seed,target=/c,id=seed-{n},sharing=locked cat /c/file > /out/seeded\n\
         RUN --mount=type=cache,target=/p,id=priv-{n},sharing=private touch /p/x && echo private > /out/private\n\
         RUN --mount=type=cache,target=/r,id=ro-{n},ro sh -c 'touch /r/x 2>/dev/null && echo rw > /out/ro || echo ro > /out/ro'\n\
         FROM scratch\nCOPY --from=work /out/ /\n",
        bb = busybox()
    );
    let ctx = Context::with_dockerfile("cache-options", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(trimmed(&res, "owned"), "710 1234 4321");
    assert_eq!(trimmed(&res, "seeded"), "seeded");
    assert_eq!(trimmed(&res, "private"), "private");
    assert_eq!(trimmed(&res, "ro"), "ro");
}

#[test]
fn tmpfs_mount_is_empty_and_not_in_output() {
    let df = format!(
        "FROM {} AS work\nRUN mkdir -p /out /t && echo before > /t/old\n\
         RUN --mount=type=tmpfs,target=/t,size=1m echo {} && ls -A /t > /out/listing && grep -q '^tmpfs /t tmpfs' /proc/mounts && echo new > /t/new && echo ok > /out/ok\n\
         RUN ls -A /t > /out/after\n\
         FROM scratch\nCOPY --from=work /out/ /\n",
        busybox(),
        nonce()
    );
    let ctx = Context::with_dockerfile("tmpfs", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(
        trimmed(&res, "listing"),
        "",
        "the tmpfs mount was not empty"
    );
    assert_eq!(trimmed(&res, "ok"), "ok");
    assert_eq!(
        trimmed(&res, "after"),
        "old",
        "what was written to the tmpfs leaked into the stage"
    );
}

#[test]
fn bind_mount_from_stage_is_read_only_and_rw_does_not_leak() {
    let df = format!(
        "FROM {bb} AS data\nRUN mkdir /data && echo original > /data/file\n\
         FROM {bb} AS work\nRUN mkdir /out\n\
         RUN --mount=from=data,source=/data,target=/mnt echo {n} && cat /mnt/file > /out/read && (touch /mnt/new 2>/dev/null && echo writable || echo read-only) > /out/ro\n\
         RUN --mount=type=bind,from=data,source=/data,target=/mnt,rw echo changed > /mnt/file && echo new > /mnt/new && cat /mnt/file > /out/during\n\
         RUN --mount=from=data,source=/data,target=/mnt cat /mnt/file > /out/after && ls /mnt > /out/listing && ls -A /mnt2 2>/dev/null | wc -l > /out/stub\n\
         FROM scratch\nCOPY --from=work /out/ /\n",
        bb = busybox(),
        n = nonce()
    );
    let ctx = Context::with_dockerfile("bind-stage", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(trimmed(&res, "read"), "original");
    assert_eq!(trimmed(&res, "ro"), "read-only");
    assert_eq!(trimmed(&res, "during"), "changed");
    assert_eq!(
        trimmed(&res, "after"),
        "original",
        "a rw bind mount's change leaked into its source"
    );
    assert_eq!(trimmed(&res, "listing"), "file");
}

#[test]
fn bind_mount_from_context_and_variables() {
    let df = with_out(
        "ARG SRC=sub\nENV DEST=/ctx\n\
         RUN --mount=target=/whole cat /whole/top > /out/top\n\
         RUN --mount=type=bind,source=$SRC,target=${DEST}/s cat /ctx/s/inner > /out/inner\n\
         WORKDIR /w\n\
         RUN --mount=source=sub/inner,target=rel cat /w/rel > /out/rel\n",
    );
    let ctx = Context::with_dockerfile("bind-context", &df);
    ctx.write("top", "top file\n")
        .write("sub/inner", "inner file\n");
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(trimmed(&res, "top"), "top file");
    assert_eq!(trimmed(&res, "inner"), "inner file");
    assert_eq!(trimmed(&res, "rel"), "inner file");
}

#[test]
fn bind_mount_of_a_context_path_marks_only_that_path_used() {
    // With only `sub` mounted, the rest of the context (a 2 MB file) is not sent.
    let df = with_out(&format!(
        "RUN --mount=source=sub,target=/s echo {} && cat /s/inner > /out/inner\n",
        nonce()
    ));
    let ctx = Context::with_dockerfile("bind-followpaths", &df);
    ctx.write("sub/inner", "inner\n")
        .write("other/big", &"x".repeat(2 << 20));
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(trimmed(&res, "inner"), "inner");
    let sent = transferred_context_bytes(&res);
    assert!(
        sent < 1 << 20,
        "the whole context was sent ({sent} bytes)\n{}",
        res.report()
    );
}

/// The size in the last `transferring context: SIZE done` progress line.
fn transferred_context_bytes(res: &BuildResult) -> u64 {
    let line = res
        .stderr
        .lines()
        .rev()
        .find(|l| l.contains("transferring context:") && l.contains("done"));
    let size = line
        .and_then(|l| l.split("transferring context:").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_default();
    let digits: String = size
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let n: f64 = digits.parse().unwrap_or(f64::MAX);
    let mul = match &size[digits.len()..] {
        "B" => 1.0,
        "kB" => 1e3,
        "MB" => 1e6,
        _ => f64::MAX,
    };
    (n * mul) as u64
}

#[test]
fn secret_mount_file_options() {
    // The secret's content is not part of the cache key: the nonce keeps other runs' results out.
    let value = format!("s3cr3t-{}", nonce());
    let df = with_out(&(format!("ARG NONCE={}\n", nonce()) +
        "RUN --mount=type=secret,id=mysecret sh -c 'stat -c \"%a %u %g\" /run/secrets/mysecret > /out/default && sha256sum /run/secrets/mysecret | cut -d\" \" -f1 > /out/hash'\n\
         RUN --mount=type=secret,id=mysecret,target=/etc/app/token,mode=0440,uid=1000,gid=1001,required stat -c '%a %u %g' /etc/app/token > /out/custom\n\
         RUN --mount=type=secret,source=mysecret,dst=/s stat -c '%a' /s > /out/by-source\n\
         RUN --mount=type=secret,id=absent sh -c 'test -e /run/secrets/absent && echo present || echo absent' > /out/optional\n"));
    let ctx = Context::with_dockerfile("secret-file", &df);
    let file = outside_context(&ctx, "mysecret", &value);
    let res = ctx
        .build()
        .secret(&format!("id=mysecret,src={}", file.display()))
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(trimmed(&res, "default"), "400 0 0");
    assert_eq!(trimmed(&res, "hash"), sha256_hex(&value));
    assert_eq!(trimmed(&res, "custom"), "440 1000 1001");
    assert_eq!(trimmed(&res, "by-source"), "400");
    assert_eq!(trimmed(&res, "optional"), "absent");
}

#[test]
fn secret_as_env() {
    let value = format!("env-secret-{}", nonce());
    let df = with_out(&(format!("ARG NONCE={}\n", nonce()) +
        "RUN --mount=type=secret,id=mysecret,env=MY_SECRET sh -c 'printf %s \"$MY_SECRET\" | sha256sum | cut -d\" \" -f1 > /out/hash; test -e /run/secrets/mysecret && echo file || echo no-file' > /out/file\n\
         RUN --mount=type=secret,id=mysecret,env=BOTH,target=/both sh -c 'printf %s \"$BOTH\" | cmp -s - /both && echo same' > /out/both\n\
         RUN sh -c 'echo \"${MY_SECRET:-unset}\"' > /out/later\n"));
    let ctx = Context::with_dockerfile("secret-env", &df);
    let file = outside_context(&ctx, "mysecret", &value);
    let res = ctx
        .build()
        .secret(&format!("id=mysecret,src={}", file.display()))
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(trimmed(&res, "hash"), sha256_hex(&value));
    assert_eq!(
        trimmed(&res, "file"),
        "no-file",
        "an env= secret is not also a file unless a target is given"
    );
    assert_eq!(trimmed(&res, "both"), "same");
    assert_eq!(trimmed(&res, "later"), "unset");
}

#[test]
fn secrets_stay_out_of_image_history_and_log() {
    let value = format!("never-shown-{}", nonce());
    let df = format!(
        "FROM {}\nARG NONCE={}\n\
         RUN --mount=type=secret,id=mysecret test -s /run/secrets/mysecret && echo mounted\n\
         RUN --mount=type=secret,id=mysecret,env=TOKEN test -n \"$TOKEN\" && echo $TOKEN | wc -c\n",
        busybox(),
        nonce()
    );
    let ctx = Context::with_dockerfile("secret-hidden", &df);
    let file = outside_context(&ctx, "mysecret", &value);
    let name = image_name("secret-hidden");
    let res = ctx
        .build()
        .secret(&format!("id=mysecret,src={}", file.display()))
        .output_image(&name)
        .run();
    res.assert_ok();
    assert!(
        !res.stderr.contains(&value),
        "the secret value is in the build log\n{}",
        res.report()
    );
    // The step name shows the variable masked.
    assert!(
        res.steps()
            .iter()
            .any(|s| s.name.contains("test -n \"****\" && echo **** | wc -c")),
        "no masked step name\n{}",
        res.report()
    );
    let image = res.image();
    let config = image.config.to_string();
    assert!(
        !config.contains(&value),
        "the secret value is in the image config: {config}"
    );
    assert!(
        config.contains("/bin/sh -c test -n \\\"$TOKEN\\\" && echo $TOKEN | wc -c # buildkit"),
        "unexpected history: {config}"
    );
    // The secret file is not part of any layer either: export the filesystem and look.
    let out = ctx
        .build()
        .secret(&format!("id=mysecret,src={}", file.display()))
        .output_local()
        .run();
    out.assert_ok();
    assert!(
        !grep_dir(out.out_dir(), &value),
        "the secret value is in the exported filesystem"
    );
    assert!(
        !out.out_dir().join("run/secrets/mysecret").exists(),
        "the secret's mount point was left in the image"
    );
}

/// True if any regular file under `dir` contains `needle`.
fn grep_dir(dir: &Path, needle: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => grep_dir(&p, needle),
            Ok(t) if t.is_file() => std::fs::read(&p)
                .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes())),
            _ => false,
        }
    })
}

#[test]
fn missing_required_secret_fails() {
    let df = format!(
        "FROM {}\nRUN --mount=type=secret,id=nosuch,required echo {}\n",
        busybox(),
        nonce()
    );
    let ctx = Context::with_dockerfile("secret-required", &df);
    let res = ctx.build().run();
    res.assert_failed();
    res.assert_stderr_contains(&["secret nosuch: not found"]);
}

/// An ssh-agent listening on a socket under the test's directory, holding one new key;
/// killed (by its pid) on drop.
struct Agent {
    child: Child,
    socket: PathBuf,
}

impl Agent {
    fn start(dir: &Path) -> Agent {
        let socket = dir.join("agent.sock");
        let key = dir.join("id_ed25519");
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key)
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "ssh-keygen failed (openssh-client is installed by tests/env/deps.sh)"
        );
        let child = Command::new("ssh-agent")
            .args(["-D", "-a"])
            .arg(&socket)
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start ssh-agent: {e}"));
        let mut agent = Agent { child, socket };
        for _ in 0..100 {
            if agent.socket.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let added = Command::new("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &agent.socket)
            .stderr(Stdio::null())
            .status();
        if !added.is_ok_and(|s| s.success()) {
            let _ = agent.child.kill();
            panic!("ssh-add to {} failed", agent.socket.display());
        }
        agent
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ssh_mount_forwards_the_agent() {
    let df = with_out(
        "RUN --mount=type=ssh sh -c 'test -S \"$SSH_AUTH_SOCK\" && echo \"$SSH_AUTH_SOCK\" && stat -c \"%a %u\" \"$SSH_AUTH_SOCK\"' > /out/default\n\
         RUN --mount=type=ssh,id=other,target=/run/agent.sock,mode=0660,uid=1000,required sh -c 'test -S /run/agent.sock && stat -c \"%a %u\" /run/agent.sock && echo $SSH_AUTH_SOCK' > /out/custom\n",
    );
    let ctx = Context::with_dockerfile("ssh-agent", &df);
    let agent = Agent::start(ctx.path().parent().unwrap_or(ctx.path()));
    let sock = agent.socket.display().to_string();
    let res = ctx
        .build()
        .ssh(&format!("default={sock}"))
        .ssh(&format!("other={sock}"))
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(
        res.read_output("default").lines().collect::<Vec<_>>(),
        ["/run/buildkit/ssh_agent.0", "600 0"]
    );
    assert_eq!(
        res.read_output("custom").lines().collect::<Vec<_>>(),
        ["660 1000", "/run/agent.sock"]
    );
}

#[test]
fn missing_required_ssh_fails_and_optional_is_skipped() {
    let df = with_out(&format!("RUN --mount=type=ssh echo {} && (test -S \"$SSH_AUTH_SOCK\" && echo socket || echo none) > /out/optional\n", nonce()));
    let ctx = Context::with_dockerfile("ssh-optional", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(trimmed(&res, "optional"), "none");

    let df = format!(
        "FROM {}\nRUN --mount=type=ssh,id=gone,required echo {}\n",
        busybox(),
        nonce()
    );
    let ctx = Context::with_dockerfile("ssh-required", &df);
    let res = ctx.build().run();
    res.assert_failed();
    res.assert_stderr_contains(&["no SSH key \"gone\" forwarded from the client"]);
}

#[test]
fn network_modes() {
    let df = with_out(&format!(
        "RUN --network=none echo {} && grep -c : /proc/net/dev > /out/none\n\
         RUN --network=host grep -c : /proc/net/dev > /out/host\n\
         RUN --network=default grep -c : /proc/net/dev > /out/default\n",
        nonce()
    ));
    let ctx = Context::with_dockerfile("network", &df);
    let res = ctx.build().allow("network.host").output_local().run();
    res.assert_ok();
    assert_eq!(
        trimmed(&res, "none"),
        "1",
        "--network=none should leave only lo"
    );
    let host: u32 = trimmed(&res, "host").parse().unwrap_or(0);
    assert!(
        host > 1,
        "--network=host should see the host's interfaces, saw {host}"
    );

    let denied = Context::with_dockerfile(
        "network-denied",
        &format!("FROM {}\nRUN --network=host echo {}\n", busybox(), nonce()),
    );
    let res = denied.build().run();
    res.assert_failed();
    res.assert_stderr_contains(&["network.host is not allowed"]);
}

#[test]
fn security_modes() {
    let df = with_out(&format!(
        "RUN --security=insecure echo {} && grep CapEff /proc/self/status > /out/insecure\n\
         RUN --security=sandbox grep CapEff /proc/self/status > /out/sandbox\n",
        nonce()
    ));
    let ctx = Context::with_dockerfile("security", &df);
    let res = ctx.build().allow("security.insecure").output_local().run();
    res.assert_ok();
    let (insecure, sandbox) = (trimmed(&res, "insecure"), trimmed(&res, "sandbox"));
    assert_ne!(
        insecure, sandbox,
        "--security=insecure ran with the sandbox's capabilities"
    );
    let caps = |s: &str| {
        u64::from_str_radix(s.rsplit(char::is_whitespace).next().unwrap_or_default(), 16)
            .map_or(0, u64::count_ones)
    };
    assert!(
        caps(&insecure) > caps(&sandbox),
        "insecure has no more capabilities: {insecure} vs {sandbox}"
    );

    let denied = Context::with_dockerfile(
        "security-denied",
        &format!(
            "FROM {}\nRUN --security=insecure echo {}\n",
            busybox(),
            nonce()
        ),
    );
    let res = denied.build().run();
    res.assert_failed();
    res.assert_stderr_contains(&["security.insecure is not allowed"]);
}

#[test]
fn required_device_that_does_not_exist_fails() {
    let df = format!(
        "FROM {}\nRUN --device=vendor.example/gpu=nope,required echo {}\n",
        busybox(),
        nonce()
    );
    let ctx = Context::with_dockerfile("device", &df);
    let res = ctx.build().run();
    res.assert_failed();
    res.assert_stderr_contains(&["vendor.example/gpu=nope"]);
}

#[test]
fn proxy_build_args_reach_run_but_not_the_image() {
    let df = format!(
        "FROM {}\nRUN echo {} && echo \"$HTTP_PROXY|$https_proxy|$NO_PROXY\" > /proxies\nARG FTP_PROXY\nRUN echo \"$FTP_PROXY\" > /ftp\n",
        busybox(),
        nonce()
    );
    let ctx = Context::with_dockerfile("proxy", &df);
    let name = image_name("proxy");
    let res = ctx
        .build()
        .build_arg("HTTP_PROXY", "http://proxy.invalid:3128")
        .build_arg("https_proxy", "http://secure.invalid:3129")
        .build_arg("NO_PROXY", "localhost")
        .build_arg("FTP_PROXY", "ftp://ftp.invalid")
        .output_image(&name)
        .run();
    res.assert_ok();
    let config = res.image().config;
    let history: Vec<String> = config["history"]
        .as_array()
        .map(|h| {
            h.iter()
                .filter_map(|e| e["created_by"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    // The last two entries are this Dockerfile's RUNs (before them: the base image's history).
    let runs: Vec<&String> = history.iter().filter(|h| h.starts_with("RUN ")).collect();
    let runs = &runs[runs.len().saturating_sub(2)..];
    assert_eq!(runs.len(), 2, "{history:?}");
    assert!(
        !runs[0].contains("proxy.invalid") && !runs[0].starts_with("RUN |"),
        "undeclared proxy args leaked into the history: {}",
        runs[0]
    );
    assert!(
        runs[1].starts_with("RUN |1 FTP_PROXY=ftp://ftp.invalid "),
        "a declared ARG shows: {}",
        runs[1]
    );
    let env = config["config"]["Env"].to_string();
    assert!(
        !env.contains("proxy.invalid"),
        "proxy values in the image env: {env}"
    );

    let out = ctx
        .build()
        .build_arg("HTTP_PROXY", "http://proxy.invalid:3128")
        .build_arg("https_proxy", "http://secure.invalid:3129")
        .build_arg("NO_PROXY", "localhost")
        .build_arg("FTP_PROXY", "ftp://ftp.invalid")
        .output_local()
        .run();
    out.assert_ok();
    assert_eq!(
        trimmed(&out, "proxies"),
        "http://proxy.invalid:3128|http://secure.invalid:3129|localhost"
    );
    assert_eq!(trimmed(&out, "ftp"), "ftp://ftp.invalid");
}

#[test]
fn add_hosts_shm_size_and_ulimit_options() {
    let df = with_out(&format!(
        "RUN echo {} && grep -i myhost /etc/hosts > /out/hosts && df -k /dev/shm | tail -1 > /out/shm && ulimit -n > /out/nofile && ulimit -Hn > /out/nofile-hard\n",
        nonce()
    ));
    let ctx = Context::with_dockerfile("run-options", &df);
    let res = ctx
        .build()
        .opt("add-hosts", "MyHost=10.1.2.3,other=::1")
        .opt("shm-size", "8388608")
        .opt("ulimit", "nofile=1024:2048")
        .output_local()
        .run();
    res.assert_ok();
    let hosts = trimmed(&res, "hosts");
    assert!(
        hosts.contains("10.1.2.3") && hosts.contains("myhost"),
        "{hosts}"
    );
    let shm = trimmed(&res, "shm");
    assert!(
        shm.split_whitespace().nth(1) == Some("8192"),
        "/dev/shm should be 8 MiB: {shm}"
    );
    assert_eq!(trimmed(&res, "nofile"), "1024");
    assert_eq!(trimmed(&res, "nofile-hard"), "2048");
}

#[test]
fn bad_run_options_are_rejected() {
    let ctx = Context::with_dockerfile(
        "run-options-bad",
        &format!("FROM {}\nRUN true\n", busybox()),
    );
    for (k, v, msg) in [
        (
            "add-hosts",
            "nohost",
            "failed to parse additional hosts: invalid key-value pair nohost",
        ),
        ("shm-size", "1g", "failed to parse shm size"),
        (
            "ulimit",
            "nofile=2:1",
            "ulimit soft limit must be less than or equal to hard limit: 2 > 1",
        ),
    ] {
        let res = ctx.build().opt(k, v).run();
        res.assert_failed();
        res.assert_stderr_contains(&[msg]);
    }
}

#[test]
fn heredoc_forms() {
    let n = nonce();
    let df = format!(
        "FROM {bb} AS work\nRUN mkdir /out\nENV WHO=world\n\
RUN <<EOF\necho {n}\necho hello $WHO > /out/plain\nEOF\n\
RUN <<EOF\n#!/bin/sh\necho \"shebang $0\" > /out/shebang\nEOF\n\
RUN <<-EOF\n\t#!/bin/sh\n\techo chomped > /out/chomped\n\tEOF\n\
RUN <<-\"EOT\" sh\n\techo \"quoted $WHO\" > /out/quoted\n\tEOT\n\
RUN sh <<EOF\necho \"command $WHO\" > /out/command\nEOF\n\
RUN cat <<A > /out/first && cat <<B > /out/second\none\nA\ntwo\nB\n\
FROM scratch\nCOPY --from=work /out/ /\n",
        bb = busybox()
    );
    let ctx = Context::with_dockerfile("heredocs", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(trimmed(&res, "plain"), "hello world");
    assert_eq!(trimmed(&res, "shebang"), "shebang /dev/pipes/EOF");
    assert_eq!(trimmed(&res, "chomped"), "chomped");
    assert_eq!(trimmed(&res, "quoted"), "quoted world");
    assert_eq!(trimmed(&res, "command"), "command world");
    assert_eq!(trimmed(&res, "first"), "one");
    assert_eq!(trimmed(&res, "second"), "two");
    let names: Vec<String> = res
        .instruction_steps()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(
        names
            .iter()
            .any(|s| s.ends_with("RUN <<EOF (echo {n}...)".replace("{n}", &n).as_str())),
        "{names:?}"
    );
}

#[test]
fn mount_errors_name_the_line() {
    let cases = [
        ("RUN --mount=target=/ true", "invalid mount target \"/\""),
        ("RUN --mount=type=ssh,source=x true", "ssh does not support source"),
        ("RUN --mount=type=cache,target=/x,size=1m true", "unexpected key 'size' for mount type 'cache'"),
        ("RUN --mount=type=bind,target=/x,from=later true", "cannot mount from stage \"later\" to \"/x\", stage needs to be defined before current command"),
    ];
    for (line, msg) in cases {
        let df = format!(
            "FROM {} AS first\n{line}\nFROM scratch AS later\n",
            busybox()
        );
        let ctx = Context::with_dockerfile("mount-errors", &df);
        let res = ctx.build().target("first").run();
        res.assert_failed();
        res.assert_stderr_contains(&[msg, ":2"]);
    }
}
