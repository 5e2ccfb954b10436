//! RUN: an exec op on the stage's filesystem, with the stage's environment, working
//! directory and user, its mounts, network and security modes, the build's RUN options
//! (proxy, extra hosts, shm size, ulimits, resource limits, cgroup parent), and the history entry the
//! reference writes (`dispatchRun` in BuildKit's convert.go).

use buildkit_llb::{
    CdiDevice, Exec, FileActions, HostIp, Metadata, MkfileOptions, Mount, MountKind, NetMode,
    ProxyEnv, SecurityMode, State, Ulimit,
};

use super::mounts::{expand_mounts, lower_mounts, mask_secret_env, MountInputs};
use super::names::uppercase_keyword;
use super::state::{DispatchCtx, StageState};
use super::LocatedError;
use crate::gocompat::go_equal_fold_lower;
use crate::instructions::{Command, NetworkMode, RunCommand, SecurityMode as InsSecurity};
use crate::syntax::{chomp_heredoc_content, must_parse_heredoc};

pub(super) fn dispatch_run(
    st: &mut StageState,
    ctx: &mut DispatchCtx,
    cmd: &Command,
    run: &RunCommand,
    mount_sources: &[Option<&StageState>],
) -> Result<(), LocatedError> {
    let (conv, context) = (ctx.conv, ctx.context);
    let context_paths = &mut *ctx.context_paths;
    // The mounts are expanded before anything else, as BuildKit expands commands before dispatching them.
    let mut mounts = expand_mounts(st, &conv.lex, &run.mounts)?;
    // Our extension: a `from=` with a `$` reads what the global ARGs named (the graph's source).
    for (m, raw) in mounts.iter_mut().zip(super::plan::mount_froms(&run.mounts)) {
        if super::plan::from_needs_expansion(&raw) {
            if let Ok(v) = conv.lex.process_word(&raw, &conv.global_args) {
                m.from = v;
            }
        }
    }

    let mut custom_name = cmd.original.trim().to_string();
    let (args, heredoc_mount) = command_args(st, run, &mut custom_name)?;

    let cache_namespace = conv
        .opts
        .build_args
        .get("BUILDKIT_CACHE_MOUNT_NS")
        .map_or("", String::as_str);
    let inputs = MountInputs {
        sources: mount_sources,
        context,
        cache_namespace,
    };
    let mut lowered = lower_mounts(st, &mounts, &inputs, context_paths)?;
    // Without the capability the reference leaves writable bind mounts as outputs (dropped anyway).
    if !conv
        .opts
        .supports_cap(super::caps::EXEC_MOUNT_BIND_RW_NO_OUTPUT)
    {
        lowered.mounts.iter_mut().for_each(|m| m.no_output = false);
    }

    let mut lex = conv.lex.clone();
    lex.raw_quotes = true;
    lex.raw_escapes = true;
    lex.skip_unset_env = true;
    let masked = mask_secret_env(&st.env, &mounts);
    let shown = uppercase_keyword(
        lex.process_word(&custom_name, masked.as_ref())
            .unwrap_or(custom_name),
    );
    let name = st.run_step_name(conv, &shown);
    let mut metadata = st.op_metadata(conv, name, cmd);
    // The reference leaves the limits out on a daemon without the capability; we say so.
    if let Some(r) = &conv.opts.linux_resources {
        conv.opts.require_cap(
            super::caps::EXEC_META_LINUX_RESOURCES,
            "resource limits (memory, memswap, cpu*)",
        )?;
        metadata.linux_resources = Some(r.clone());
    }

    // Only the stage's declared ARGs show in the history: proxy values given as build args stay out.
    let created_by = run_history(&args, &st.build_args, &st.env);
    let mut exec = Exec::new(st.fs.clone(), args);
    exec.meta.env = st.env.to_vec();
    exec.meta.cwd = st.dir.clone();
    exec.meta.user = st.user.clone();
    if let Some(h) = &conv.opts.hostname {
        exec.meta.hostname = h.clone();
    }
    exec.meta.proxy_env = proxy_env(&conv.opts.build_args);
    exec.meta.extra_hosts = conv
        .opts
        .extra_hosts
        .iter()
        .map(|h| HostIp {
            host: h.host.clone(),
            ip: h.ip.clone(),
        })
        .collect();
    if !conv.opts.ulimits.is_empty() {
        conv.opts
            .require_cap(super::caps::EXEC_META_ULIMIT, "ulimit")?;
    }
    exec.meta.ulimit = conv
        .opts
        .ulimits
        .iter()
        .map(|u| Ulimit {
            name: u.name.clone(),
            soft: u.soft,
            hard: u.hard,
        })
        .collect();
    if let Some(c) = &conv.opts.cgroup_parent {
        conv.opts
            .require_cap(super::caps::EXEC_META_CGROUP_PARENT, "cgroup-parent")?;
        exec.meta.cgroup_parent = c.clone();
    }
    exec.mounts.extend(heredoc_mount);
    exec.mounts.extend(lowered.mounts);
    if conv.opts.shm_size > 0 {
        conv.opts
            .require_cap(super::caps::EXEC_MOUNT_TMPFS_SIZE, "shm-size")?;
        exec.mounts.push(Mount {
            kind: MountKind::Tmpfs {
                size: conv.opts.shm_size,
            },
            ..Mount::bind("/dev/shm", State::scratch())
        });
    }
    exec.secrets = lowered.secrets;
    exec.secret_env = lowered.secret_env;
    exec.ssh = lowered.ssh;
    if !run.devices.is_empty() {
        conv.opts
            .require_cap(super::caps::EXEC_META_CDI, "RUN --device")?;
    }
    exec.cdi_devices = run
        .devices
        .iter()
        .map(|d| CdiDevice {
            name: d.name.clone(),
            optional: !d.required,
        })
        .collect();
    // `--network=default` keeps the stage's mode (the build's force-network-mode).
    exec.network = match run.network {
        NetworkMode::Default => st.network,
        NetworkMode::None => NetMode::None,
        NetworkMode::Host => NetMode::Host,
    };
    exec.security = match run.security {
        InsSecurity::Sandbox => SecurityMode::Sandbox,
        InsSecurity::Insecure => SecurityMode::Insecure,
    };
    // Without a platform of its own the state runs on the definition's default, the target.
    exec.platform = Some(
        st.state_platform
            .clone()
            .unwrap_or_else(|| conv.target_platform.clone()),
    );
    exec.metadata = metadata;
    st.fs = exec.run().root();
    st.add_history(created_by, true);
    Ok(())
}

/// The exec's arguments: the shell form wrapped in the shell, heredocs inlined or, for a
/// single heredoc script with a shebang, written to a file mounted at /dev/pipes/.
fn command_args(
    st: &StageState,
    run: &RunCommand,
    custom_name: &mut String,
) -> Result<(Vec<String>, Option<Mount>), LocatedError> {
    let mut args = run.cmd.args.clone();
    let mut mount = None;
    if !run.cmd.files.is_empty() {
        if args.len() != 1 || !run.cmd.prepend_shell {
            return Err(LocatedError::new(format!(
                "parsing produced an invalid run command: {}",
                crate::gocompat::go_list(&args)
            )));
        }
        let first = &run.cmd.files[0];
        if must_parse_heredoc(&args[0]).is_some() {
            let data = if first.chomp {
                chomp_heredoc_content(&first.data)
            } else {
                first.data.clone()
            };
            if st.image.os != "windows" && data.starts_with("#!") {
                // A script with a shebang: write it to a file and run that (any expansion is ignored, as in the reference).
                let script = State::scratch().file(
                    FileActions::new().mkfile(
                        format!("/{}", first.name),
                        0o755,
                        data.into_bytes(),
                        MkfileOptions::default(),
                    ),
                    Metadata::named("[internal] preparing inline document"),
                );
                mount = Some(Mount {
                    readonly: true,
                    selector: "/".into(),
                    ..Mount::bind("/dev/pipes/", script)
                });
                args = vec![format!("/dev/pipes/{}", first.name)];
            } else {
                // A plain heredoc runs as the shell's command string, so shells without heredocs work too.
                args = vec![data];
            }
            custom_name.push_str(&format!(" ({})", summarize_heredoc(&first.data)));
        } else {
            // A command with heredocs: the shell reads them itself.
            let mut b = args[0].clone();
            for f in &run.cmd.files {
                b.push('\n');
                b.push_str(&f.data);
                b.push_str(&f.name);
            }
            args = vec![b];
        }
    }
    if run.cmd.prepend_shell {
        args = st.with_shell(&args);
    }
    Ok((args, mount))
}

/// `proxyEnvFromBuildArgs`: build args named like the proxy variables (any case; in key
/// order, so a lowercase name wins over its uppercase twin) become the exec's proxy settings.
fn proxy_env(build_args: &std::collections::BTreeMap<String, String>) -> Option<ProxyEnv> {
    let mut pe = ProxyEnv::default();
    let mut any = false;
    for (k, v) in build_args {
        let slot = match k {
            k if go_equal_fold_lower(k, "http_proxy") => &mut pe.http_proxy,
            k if go_equal_fold_lower(k, "https_proxy") => &mut pe.https_proxy,
            k if go_equal_fold_lower(k, "ftp_proxy") => &mut pe.ftp_proxy,
            k if go_equal_fold_lower(k, "no_proxy") => &mut pe.no_proxy,
            k if go_equal_fold_lower(k, "all_proxy") => &mut pe.all_proxy,
            _ => continue,
        };
        *slot = v.clone();
        any = true;
    }
    any.then_some(pe)
}

/// The history text of a RUN, `RUN [|N K=v … ]command # buildkit`: the ARGs the stage
/// declared (latest value of each, in order of first declaration) before the command.
fn run_history(
    args: &[String],
    build_args: &super::env::DeclaredArgs,
    env: &super::env::EnvList,
) -> String {
    use super::env::push_key_value;
    use std::fmt::Write;
    let pairs: Vec<(&str, &str)> = build_args
        .iter()
        .map(|(k, v)| {
            let value = env
                .get(k)
                .unwrap_or_else(|| v.as_deref().unwrap_or_default());
            (k.as_str(), value)
        })
        .collect();
    let len = pairs
        .iter()
        .map(|(k, v)| k.len() + v.len() + 2)
        .sum::<usize>()
        + args.iter().map(|a| a.len() + 1).sum::<usize>();
    let mut out = String::with_capacity(len + 24);
    out.push_str("RUN ");
    if !pairs.is_empty() {
        // Writing to a String cannot fail.
        let _ = write!(out, "|{}", pairs.len());
        for (k, v) in pairs {
            out.push(' ');
            push_key_value(&mut out, k, v);
        }
        out.push(' ');
    }
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(a);
    }
    out.push_str(" # buildkit");
    out
}

/// The first line of a heredoc, with `...` when more follow.
fn summarize_heredoc(doc: &str) -> String {
    let doc = doc.trim();
    let mut lines = doc.split('\n');
    let first = lines
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r')
        .to_string();
    if lines.next().is_some() {
        format!("{first}...")
    } else {
        first
    }
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod lowering_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_lists_stage_args_first() {
        let mut env = super::super::env::EnvList::new();
        env.set("A", "from-env");
        let mut args = super::super::env::DeclaredArgs::default();
        args.declare("A", Some("x".into()));
        args.declare("B", Some("y".into()));
        args.declare("A", None);
        let s = run_history(&["/bin/sh".into(), "-c".into(), "make".into()], &args, &env);
        assert_eq!(s, "RUN |2 A=from-env B=y /bin/sh -c make # buildkit");
        let none = Default::default();
        assert_eq!(
            run_history(&["ls".into()], &none, &env),
            "RUN ls # buildkit"
        );
    }

    #[test]
    fn heredoc_summary() {
        assert_eq!(summarize_heredoc("\necho a\necho b\n"), "echo a...");
        assert_eq!(summarize_heredoc("echo a\n"), "echo a");
    }

    #[test]
    fn proxies_from_build_args() {
        let args = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(proxy_env(&args(&[("A", "1")])), None);
        let pe = proxy_env(&args(&[
            ("HTTP_PROXY", "up"),
            ("http_proxy", "low"),
            ("No_Proxy", "x"),
            ("all_proxy", "a"),
            ("FTP_PROXY", "f"),
            ("https_proxy", "s"),
        ]))
        .unwrap();
        assert_eq!(
            (
                pe.http_proxy.as_str(),
                pe.no_proxy.as_str(),
                pe.all_proxy.as_str(),
                pe.ftp_proxy.as_str(),
                pe.https_proxy.as_str()
            ),
            ("low", "x", "a", "f", "s")
        );
    }
}
