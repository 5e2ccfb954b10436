//! COPY and ADD: file ops copying from the build context, another stage, an image, a URL
//! or an inline heredoc into the stage, with the reference's path, wildcard and owner rules.

use buildkit_llb::{
    digest_of, Chown, CopyOptions, FileActions, HttpOptions, LocalOptions, Metadata, MkfileOptions,
    State,
};

use super::gitref::{git_source, parse_git_ref, GitRefParse, GitSourceOptions};
use super::state::{source_location, DispatchCtx, StageState};
use super::url::{parse_digest, url_filename};
use super::{ConvertOptions, LocatedError};
use crate::instructions::{AddCommand, Command, CopyCommand, SourceContent};

/// What COPY and ADD have in common, with ADD's extras.
pub(super) struct CopySpec<'a> {
    pub is_add: bool,
    pub sources: &'a [String],
    pub contents: &'a [SourceContent],
    pub dest: &'a str,
    pub chown: Option<&'a str>,
    pub chmod: Option<&'a str>,
    pub link: bool,
    pub parents: bool,
    pub excludes: &'a [String],
    pub checksum: Option<&'a str>,
    pub unpack: Option<bool>,
    pub keep_git_dir: Option<bool>,
}

impl<'a> CopySpec<'a> {
    pub fn from_copy(c: &'a CopyCommand) -> Self {
        CopySpec {
            is_add: false,
            sources: &c.sources_and_dest.source_paths,
            contents: &c.sources_and_dest.source_contents,
            dest: &c.sources_and_dest.dest_path,
            chown: c.chown.as_deref(),
            chmod: c.chmod.as_deref(),
            link: c.link,
            parents: c.parents,
            excludes: &c.exclude_patterns,
            checksum: None,
            unpack: None,
            keep_git_dir: None,
        }
    }

    pub fn from_add(a: &'a AddCommand) -> Self {
        CopySpec {
            is_add: true,
            sources: &a.sources_and_dest.source_paths,
            contents: &a.sources_and_dest.source_contents,
            dest: &a.sources_and_dest.dest_path,
            chown: a.chown.as_deref(),
            chmod: a.chmod.as_deref(),
            link: a.link,
            parents: false,
            excludes: &a.exclude_patterns,
            checksum: a.checksum.as_deref(),
            unpack: a.unpack,
            keep_git_dir: a.keep_git_dir,
        }
    }
}

/// The build context: the client's `context` directory, filtered by `.dockerignore` and,
/// once known, by the paths COPY and ADD read.
/// The build context; `follow_paths` None gives the placeholder the stages are lowered against
/// before the paths they read are known (see `Conversion::lower`).
pub(super) fn build_context(opts: &ConvertOptions, follow_paths: Option<Vec<String>>) -> State {
    if let Some(remote) = &opts.main_context {
        return remote.clone();
    }
    let follow_paths = follow_paths.unwrap_or_else(|| vec!["\u{0}placeholder-context".to_string()]);
    State::local(
        &opts.context_local,
        LocalOptions {
            session_id: opts.session_id.clone(),
            shared_key_hint: Some(opts.context_local.clone()),
            exclude_patterns: opts.context_excludes.clone(),
            follow_paths,
            metadata: Metadata::named("[internal] load build context"),
            ..Default::default()
        },
    )
}

/// `--chmod`: octal (≤ 07777) or symbolic (`u+x,g-w`), with the reference's errors.
fn parse_chmod(v: &str) -> Result<(Option<u32>, Option<String>), LocatedError> {
    let non_octal = || {
        LocatedError::new(format!(
            "invalid chmod parameter: '{v}'. it should be octal string and between 0 and 07777"
        ))
    };
    if let Ok(m) = u32::from_str_radix(v, 8) {
        // Go's ParseUint takes no sign; from_str_radix takes a leading '+'.
        if !v.starts_with('+') {
            return if m <= 0o7777 {
                Ok((Some(m), None))
            } else {
                Err(non_octal())
            };
        }
    }
    if v.starts_with(|c: char| c.is_ascii_digit()) {
        // dchapes-mode parses it as a number and fails with strconv's error.
        return Err(non_octal());
    }
    if valid_symbolic_mode(v) {
        Ok((None, Some(v.to_string())))
    } else {
        Err(LocatedError::new("invalid syntax"))
    }
}

/// The grammar dchapes-mode's `Parse` accepts: clauses `[ugoa]*(op[rwxXstugo]*)+` joined by `,`,
/// op one of `+-=`.
fn valid_symbolic_mode(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && b"augo".contains(&b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return false;
        }
        loop {
            if !b"+-=".contains(&b[i]) {
                return false;
            }
            i += 1;
            while i < b.len() && b"rstwXxugo".contains(&b[i]) {
                i += 1;
            }
            if i >= b.len() {
                return true;
            }
            if b[i] == b',' {
                break;
            }
        }
        i += 1;
    }
}

fn is_http(src: &str) -> bool {
    (src.starts_with("http://") || src.starts_with("https://")) && !is_git(src)
}

/// A git URL by the reference's rules (also `github.com/…`, which ADD still copies as a path).
fn is_git(src: &str) -> bool {
    matches!(parse_git_ref(src), GitRefParse::Git(_))
}

/// The destination inside the stage: relative to WORKDIR, keeping a trailing `/` (or `/.`).
fn destination(dir: &str, dest: &str) -> String {
    let p = if dest.is_empty() || dest == "." {
        "./"
    } else {
        dest
    };
    buildkit_llb::normalize_path_in(dir, p, true)
}

fn contains_wildcards(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'*' | b'?' | b'[' => return true,
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    false
}

pub(super) fn dispatch_copy(
    st: &mut StageState,
    ctx: &mut DispatchCtx,
    cmd: &Command,
    spec: CopySpec,
    from: Option<&StageState>,
) -> Result<(), LocatedError> {
    let (conv, context) = (ctx.conv, ctx.context);
    let context_paths = &mut *ctx.context_paths;
    let lex = &conv.lex;
    let expand_opt = |v: Option<&str>| -> Result<Option<String>, LocatedError> {
        v.map(|v| st.expand(lex, v)).transpose()
    };
    let chown = expand_opt(spec.chown)?.filter(|c| !c.is_empty());
    let chmod = expand_opt(spec.chmod)?.filter(|c| !c.is_empty());
    let checksum = expand_opt(spec.checksum)?.filter(|c| !c.is_empty());
    let sources = spec
        .sources
        .iter()
        .map(|s| st.expand(lex, s))
        .collect::<Result<Vec<_>, _>>()?;
    let dest_word = st.expand(lex, spec.dest)?;
    let dest = destination(&st.dir, &dest_word);

    let owner = chown.as_deref().map(Chown::with_user);
    if let (true, Some(o), Some(c)) = (spec.link, &owner, &chown) {
        if o.by_name() {
            return Err(LocatedError::new(format!("--chown={c}: user and group names can't be resolved when used with --link, use numeric uid[:gid] instead")));
        }
    }
    let (mode, mode_str) = match &chmod {
        Some(c) => parse_chmod(c)?,
        None => (None, None),
    };
    if checksum.is_some() {
        if !spec.is_add {
            return Err(LocatedError::new("checksum can't be specified for COPY"));
        }
        if sources.len() != 1 {
            return Err(LocatedError::new(
                "checksum can't be specified for multiple sources",
            ));
        }
        if !is_http(&sources[0]) && !is_git(&sources[0]) {
            return Err(LocatedError::new(
                "checksum requires HTTP(S) or Git sources",
            ));
        }
    }

    let keyword = if spec.is_add { "ADD" } else { "COPY" };
    let mut history = String::from(keyword);
    if spec.parents {
        history.push_str(" --parents");
    }
    if let Some(c) = &chown {
        history.push_str(&format!(" --chown={c}"));
    }
    if let Some(c) = &chmod {
        history.push_str(&format!(" --chmod={c}"));
    }

    let shown = st.display_text(lex, cmd.original.trim());
    let pg_name = st.step_name(conv, &shown);
    let base_opts = CopyOptions {
        owner: owner.clone(),
        mode,
        mode_str: mode_str.clone(),
        exclude_patterns: spec.excludes.to_vec(),
        create_dest_path: true,
        ..Default::default()
    };

    let mut actions = FileActions::new();
    for src in &sources {
        history.push(' ');
        history.push_str(src);
        let git = match parse_git_ref(src) {
            GitRefParse::Invalid(e) => return Err(LocatedError::new(e)),
            GitRefParse::Git(g) if !g.indistinguishable_from_local => Some(g),
            _ => None,
        };
        if let Some(g) = git {
            if !spec.is_add {
                return Err(LocatedError::new("source can't be a git ref for COPY"));
            }
            let keep = match (spec.keep_git_dir, g.keep_git_dir) {
                (Some(a), Some(b)) if a != b => {
                    return Err(LocatedError::new("inconsistent keep-git-dir configuration"))
                }
                (a, b) => b.or(a).unwrap_or(false),
            };
            let mut sum = checksum.clone().unwrap_or_default();
            if !sum.is_empty() && !g.checksum.is_empty() && sum != g.checksum {
                return Err(LocatedError::new(format!(
                    "checksum mismatch \"{sum}\" != \"{}\"",
                    g.checksum
                )));
            }
            if !g.checksum.is_empty() {
                sum = g.checksum.clone();
            }
            let opts = GitSourceOptions {
                reference: g.reference.clone(),
                sub_dir: g.sub_dir.clone(),
                keep_git_dir: keep,
                checksum: sum,
                skip_submodules: g.submodules == Some(false),
                fetch_by_commit: g.fetch_by_commit,
                advice: conv.opts.git_advice,
                mtime: String::new(),
            };
            let repo = git_source(&g.remote, &opts, Metadata::named(pg_name.clone()));
            let copy = CopyOptions {
                owner: owner.clone(),
                mode,
                mode_str: mode_str.clone(),
                exclude_patterns: spec.excludes.to_vec(),
                create_dest_path: true,
                ..Default::default()
            };
            actions = actions.copy(repo, "/", dest.clone(), copy);
            // The reference records every ADD source not starting with http(s):// as a context path.
            if !src.starts_with("http://") && !src.starts_with("https://") {
                context_paths.insert(buildkit_llb::clean_path(&["/", src].concat()));
            }
            continue;
        }
        if is_http(src) {
            if !spec.is_add {
                return Err(LocatedError::new("source can't be a URL for COPY"));
            }
            let filename = url_filename(src);
            let checksum = checksum.as_deref().map(parse_digest).transpose()?;
            let mut md = Metadata::named(pg_name.clone());
            // The reference describes the download with its (unprintable) sources: an empty command.
            md.description
                .insert("com.docker.dockerfile.v1.command".into(), String::new());
            let http = State::http(
                src,
                HttpOptions {
                    checksum,
                    filename: Some(filename.clone()),
                    metadata: md,
                    ..Default::default()
                },
            );
            let opts = CopyOptions {
                attempt_unpack: spec.unpack.unwrap_or(false),
                ..base_opts.clone()
            };
            actions = actions.copy(http, filename, dest.clone(), opts);
            continue;
        }
        let (mut src_path, mut include, mut required) = (src.clone(), Vec::new(), Vec::new());
        if spec.parents {
            let (parent, pattern) = match src.split_once("/./") {
                Some((p, pat)) => (p.to_string(), pat.to_string()),
                None => ("/".to_string(), src.clone()),
            };
            let pattern = buildkit_llb::clean_path(&format!("/{pattern}"));
            include.push(pattern.trim_start_matches('/').to_string());
            if !contains_wildcards(&parent) && !contains_wildcards(&pattern) {
                required.push(buildkit_llb::clean_path(&format!("/{parent}/{pattern}")));
            }
            src_path = parent;
        }
        let src_path = buildkit_llb::clean_path(&["/", src_path.as_str()].concat());
        let opts = CopyOptions {
            follow_symlinks: true,
            dir_copy_contents: true,
            include_patterns: include,
            required_paths: required,
            attempt_unpack: spec.unpack.unwrap_or(spec.is_add),
            allow_wildcard: true,
            allow_empty_wildcard: true,
            ..base_opts.clone()
        };
        let source = from.map_or_else(|| context.clone(), |f| f.fs.clone());
        actions = actions.copy(source, src_path, dest.clone(), opts);
        if from.is_none() {
            context_paths.insert(buildkit_llb::clean_path(&format!("/{src}")));
        }
    }
    for content in spec.contents {
        history.push_str(&format!(" <<{}", content.path));
        let data = if content.expand {
            st.expand_raw(lex, &content.data)?
        } else {
            content.data.clone()
        };
        let file = State::scratch().file(
            FileActions::new().mkfile(
                format!("/{}", content.path.trim_start_matches('/')),
                0o644,
                data.into_bytes(),
                MkfileOptions::default(),
            ),
            Metadata::named("[internal] preparing inline document"),
        );
        let opts = CopyOptions {
            owner: owner.clone(),
            mode,
            mode_str: mode_str.clone(),
            create_dest_path: true,
            exclude_patterns: spec.excludes.to_vec(),
            ..Default::default()
        };
        actions = actions.copy(
            file,
            format!("/{}", content.path.trim_start_matches('/')),
            dest.clone(),
            opts,
        );
    }
    history.push(' ');
    history.push_str(&dest_word);

    let mut md = st.file_metadata(conv, pg_name.clone(), cmd);
    md.ignore_cache = st.ignore_cache;
    // Without merge ops the reference falls back to a plain copy onto the stage.
    if spec.link && chmod.is_none() && conv.opts.supports_cap(super::caps::MERGE_OP) {
        // --link: the copy is its own layer on scratch, merged on top, so it survives base changes.
        let group = buildkit_llb::ProgressGroup {
            id: digest_of(group_key(&pg_name, cmd.location).as_bytes()),
            name: pg_name.clone(),
            weak: true,
        };
        md.progress_group = Some(group.clone());
        let layer = State::scratch().file(actions, md);
        st.cmd_index -= 1;
        let link_name = st.step_name(conv, &format!("LINK {shown}"));
        let mut merge_md =
            Metadata::named(link_name).with_location(source_location(conv, cmd.location));
        merge_md.ignore_cache = st.ignore_cache;
        merge_md.progress_group = Some(buildkit_llb::ProgressGroup {
            weak: false,
            ..group
        });
        st.fs = buildkit_llb::merge(&[st.fs.clone(), layer], merge_md);
    } else {
        st.fs = st.fs.file(actions, md);
    }
    history.push_str(" # buildkit");
    st.add_history(history, true);
    Ok(())
}

/// What a `COPY --link` progress group's id is the digest of: its name and the lines, as
/// `Location` printed before it had a file number (an included file's number is added).
fn group_key(name: &str, l: crate::syntax::Location) -> String {
    let file = if l.file == 0 {
        String::new()
    } else {
        format!(", file: {}", l.file)
    };
    format!(
        "{name}Location {{ start_line: {}, end_line: {}{file} }}",
        l.start_line, l.end_line
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_follow_workdir_and_keep_slashes() {
        assert_eq!(destination("/app", "bin/"), "/app/bin/");
        assert_eq!(destination("/app", "."), "/app/");
        assert_eq!(destination("/app", "/x"), "/x");
        assert_eq!(destination("/", "x/./"), "/x/");
        assert_eq!(destination("/app", "d/."), "/app/d/.");
        assert_eq!(destination("/app", ""), "/app/");
    }

    #[test]
    fn chmod_values() {
        assert_eq!(parse_chmod("755").unwrap(), (Some(0o755), None));
        assert_eq!(
            parse_chmod("u+x,g-w").unwrap(),
            (None, Some("u+x,g-w".into()))
        );
        assert_eq!(parse_chmod("0755").unwrap(), (Some(0o755), None));
        assert!(parse_chmod("8888").unwrap_err().message.contains("octal"));
        assert!(parse_chmod("17777").unwrap_err().message.contains("octal"));
        assert!(parse_chmod("7a").unwrap_err().message.contains("octal"));
        assert_eq!(parse_chmod("bogus").unwrap_err().message, "invalid syntax");
        for ok in [
            "u+x",
            "+x",
            "u+",
            "a=rwx,go-w",
            "u+x-w",
            "ug=rwX",
            "o=u",
            "u+s,+t",
            "=",
        ] {
            assert!(valid_symbolic_mode(ok), "{ok}");
        }
        for bad in ["u", "u+x,", ",u+x", "u+y", "x", "-1", "u+x,,g+w", ""] {
            assert!(!valid_symbolic_mode(bad), "{bad}");
        }
    }
}
