//! RUN: an exec op on the stage's filesystem, with the stage's environment, working
//! directory and user, and the history entry the reference writes.

use buildkit_llb::{Exec, FileActions, Metadata, Mount, MkfileOptions, NetMode, SecurityMode, State};

use super::dispatch::StageState;
use super::stages::Conversion;
use super::ConvertError;
use crate::instructions::{Command, NetworkMode, RunCommand, SecurityMode as InsSecurity};
use crate::syntax::chomp_heredoc_content;

pub(super) fn dispatch_run(st: &mut StageState, conv: &Conversion, cmd: &Command, run: &RunCommand) -> Result<(), ConvertError> {
    if !run.mounts.is_empty() {
        return Err(ConvertError::new("RUN --mount is not supported by this frontend yet"));
    }
    let mut custom_name = cmd.original.trim().to_string();
    let mut args = run.cmd.args.clone();
    let mut extra_mounts = Vec::new();
    if !run.cmd.files.is_empty() {
        if args.len() != 1 || !run.cmd.prepend_shell {
            return Err(ConvertError::new(format!("parsing produced an invalid run command: {args:?}")));
        }
        let first = &run.cmd.files[0];
        if is_single_heredoc(&args[0]) {
            let data = if first.chomp { chomp_heredoc_content(&first.data) } else { first.data.clone() };
            if st.image.os != "windows" && data.starts_with("#!") {
                // A script with a shebang: write it to a file and run that.
                let script = State::scratch().file(
                    FileActions::new().mkfile(format!("/{}", first.name), 0o755, data.into_bytes(), MkfileOptions::default()),
                    Metadata::named("[internal] preparing inline document"),
                );
                extra_mounts.push(Mount { readonly: true, selector: "/".into(), ..Mount::bind("/dev/pipes/", script) });
                args = vec![format!("/dev/pipes/{}", first.name)];
            } else {
                args = vec![data];
            }
            custom_name.push_str(&format!(" ({})", summarize_heredoc(&first.data)));
        } else {
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

    let mut lex = conv.lex.clone();
    lex.raw_quotes = true;
    lex.raw_escapes = true;
    lex.skip_unset_env = true;
    let shown = st.display_text(&lex, &custom_name);
    let name = st.step_name(conv, &shown);
    let metadata = st.op_metadata(conv, name, cmd);

    let mut exec = Exec::new(st.fs.clone(), args.clone());
    exec.meta.env = st.env.to_vec();
    exec.meta.cwd = st.dir.clone();
    exec.meta.user = st.user.clone();
    if let Some(h) = &conv.opts.hostname {
        exec.meta.hostname = h.clone();
    }
    if let Some(c) = &conv.opts.cgroup_parent {
        exec.meta.cgroup_parent = c.clone();
    }
    exec.mounts = extra_mounts;
    exec.network = match run.network {
        NetworkMode::Default if run.flags_used.iter().any(|f| f == "network") => NetMode::Unset,
        NetworkMode::Default => st.network,
        NetworkMode::None => NetMode::None,
        NetworkMode::Host => NetMode::Host,
    };
    exec.security = match run.security {
        InsSecurity::Sandbox => SecurityMode::Sandbox,
        InsSecurity::Insecure => SecurityMode::Insecure,
    };
    exec.platform = Some(st.platform.clone());
    exec.metadata = metadata;
    st.fs = exec.run().root();

    let created_by = format!("RUN {} # buildkit", run_command_string(&args, &st.build_args, &st.env));
    st.add_history(created_by, true);
    Ok(())
}

/// The history text of a RUN: `|N K=v … ` before the command when the stage declared ARGs.
fn run_command_string(args: &[String], build_args: &[(String, Option<String>)], env: &super::env::EnvList) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (k, v) in build_args {
        let value = env.get(k).map(str::to_string).unwrap_or_else(|| v.clone().unwrap_or_default());
        match pairs.iter_mut().find(|(pk, _)| pk == k) {
            Some(p) => p.1 = value,
            None => pairs.push((k.clone(), value)),
        }
    }
    let mut parts: Vec<String> = Vec::new();
    if !pairs.is_empty() {
        parts.push(format!("|{}", pairs.len()));
        parts.extend(pairs.into_iter().map(|(k, v)| format!("{k}={v}")));
    }
    parts.extend(args.iter().cloned());
    parts.join(" ")
}

/// `<<EOF` (or `<<-EOF`, quoted) alone: the heredoc is the whole command.
fn is_single_heredoc(arg: &str) -> bool {
    let Some(rest) = arg.trim().strip_prefix("<<") else { return false };
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let unquoted = rest.trim_matches(|c| c == '"' || c == '\'');
    !unquoted.is_empty() && unquoted.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
}

fn summarize_heredoc(doc: &str) -> String {
    let doc = doc.trim();
    let mut lines = doc.split('\n');
    let first = lines.next().unwrap_or_default().trim_end_matches('\r').to_string();
    if lines.next().is_some() {
        format!("{first}...")
    } else {
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_lists_stage_args_first() {
        let mut env = super::super::env::EnvList::new();
        env.set("A", "from-env");
        let s = run_command_string(&["/bin/sh".into(), "-c".into(), "make".into()], &[("A".into(), Some("x".into())), ("B".into(), Some("y".into()))], &env);
        assert_eq!(s, "|2 A=from-env B=y /bin/sh -c make");
        assert_eq!(run_command_string(&["ls".into()], &[], &env), "ls");
    }

    #[test]
    fn heredoc_helpers() {
        assert!(is_single_heredoc("<<EOF"));
        assert!(is_single_heredoc("<<-\"EOF\""));
        assert!(!is_single_heredoc("cat <<EOF"));
        assert_eq!(summarize_heredoc("\necho a\necho b\n"), "echo a...");
    }
}
