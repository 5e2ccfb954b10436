//! COPY and ADD: file ops copying from the build context, another stage, an image, a URL
//! or an inline heredoc into the stage, with the reference's path, wildcard and owner rules.

use std::collections::BTreeSet;

use buildkit_llb::{digest_of, Chown, CopyOptions, FileActions, HttpOptions, LocalOptions, Metadata, MkfileOptions, State, UserSpec};

use super::dispatch::{source_location, StageState};
use super::stages::Conversion;
use super::{ConvertError, ConvertOptions};
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
        }
    }
}

/// The build context: the client's `context` directory, filtered by `.dockerignore` and,
/// once known, by the paths COPY and ADD read.
pub(super) fn build_context(opts: &ConvertOptions, paths: Option<&BTreeSet<String>>) -> State {
    if let Some(remote) = &opts.main_context {
        return remote.clone();
    }
    let follow_paths = match paths {
        Some(p) if !p.contains("/") => p.iter().map(|p| p.trim_start_matches('/').to_string()).filter(|p| !p.is_empty()).collect(),
        _ => Vec::new(),
    };
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

/// `user[:group]`, each numeric (an id) or a name resolved in the destination's /etc/passwd and /etc/group.
pub(super) fn chown_spec(s: &str) -> Chown {
    let spec = |v: &str| match v.parse::<u32>() {
        Ok(id) => UserSpec::Id(id),
        Err(_) => UserSpec::Name(v.to_string()),
    };
    let (user, group) = match s.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (s, None),
    };
    Chown { user: Some(spec(user)), group: group.map(spec) }
}

fn chown_by_name(c: &Chown) -> bool {
    matches!(c.user, Some(UserSpec::Name(_))) || matches!(c.group, Some(UserSpec::Name(_)))
}

/// `--chmod`: octal (≤ 07777) or symbolic (`u+x,g-w`), with the reference's errors.
fn parse_chmod(v: &str) -> Result<(Option<u32>, Option<String>), ConvertError> {
    let non_octal = || ConvertError::new(format!("invalid chmod parameter: '{v}'. it should be octal string and between 0 and 07777"));
    if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) {
        return match u32::from_str_radix(v, 8) {
            Ok(m) if m <= 0o7777 => Ok((Some(m), None)),
            _ => Err(non_octal()),
        };
    }
    let valid_clause = |c: &str| {
        let who_end = c.find(|ch: char| !"ugoa".contains(ch)).unwrap_or(c.len());
        let rest = &c[who_end..];
        !rest.is_empty() && rest.split_inclusive(['+', '-', '=']).count() > 0 && rest.starts_with(['+', '-', '=']) && rest.chars().all(|ch| "+-=rwxXstugo".contains(ch))
    };
    if v.split(',').all(valid_clause) {
        Ok((None, Some(v.to_string())))
    } else {
        Err(ConvertError::new(format!("invalid chmod parameter: '{v}'")))
    }
}

fn is_http(src: &str) -> bool {
    (src.starts_with("http://") || src.starts_with("https://")) && !is_git(src)
}

fn is_git(src: &str) -> bool {
    src.starts_with("git@") || src.starts_with("git://") || src.ends_with(".git") || src.contains(".git#") || src.starts_with("ssh://")
}

/// The destination inside the stage: relative to WORKDIR, keeping a trailing `/` (or `/.`).
fn destination(dir: &str, dest: &str) -> String {
    let p = if dest.is_empty() || dest == "." { "./" } else { dest };
    let joined = if p.starts_with('/') { p.to_string() } else { format!("{dir}/{p}") };
    let mut out = buildkit_llb::clean_path(&joined);
    if p.ends_with('/') && !out.ends_with('/') {
        out.push('/');
    } else if p.ends_with("/.") {
        if out != "/" {
            out.push('/');
        }
        out.push('.');
    }
    out
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
    conv: &Conversion,
    cmd: &Command,
    spec: CopySpec,
    from: Option<&StageState>,
    context: &State,
    context_paths: &mut BTreeSet<String>,
) -> Result<(), ConvertError> {
    let lex = &conv.lex;
    let expand_opt = |v: Option<&str>| -> Result<Option<String>, ConvertError> { v.map(|v| st.expand(lex, v)).transpose() };
    let chown = expand_opt(spec.chown)?.filter(|c| !c.is_empty());
    let chmod = expand_opt(spec.chmod)?.filter(|c| !c.is_empty());
    let checksum = expand_opt(spec.checksum)?.filter(|c| !c.is_empty());
    let sources = spec.sources.iter().map(|s| st.expand(lex, s)).collect::<Result<Vec<_>, _>>()?;
    let dest_word = st.expand(lex, spec.dest)?;
    let dest = destination(&st.dir, &dest_word);

    let owner = chown.as_deref().map(chown_spec);
    if let (true, Some(o), Some(c)) = (spec.link, &owner, &chown) {
        if chown_by_name(o) {
            return Err(ConvertError::new(format!("--chown={c}: user and group names can't be resolved when used with --link, use numeric uid[:gid] instead")));
        }
    }
    let (mode, mode_str) = match &chmod {
        Some(c) => parse_chmod(c)?,
        None => (None, None),
    };
    if checksum.is_some() {
        if !spec.is_add {
            return Err(ConvertError::new("checksum can't be specified for COPY"));
        }
        if sources.len() != 1 {
            return Err(ConvertError::new("checksum can't be specified for multiple sources"));
        }
        if !is_http(&sources[0]) && !is_git(&sources[0]) {
            return Err(ConvertError::new("checksum requires HTTP(S) or Git sources"));
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
    let base_opts = CopyOptions { owner: owner.clone(), mode, mode_str: mode_str.clone(), exclude_patterns: spec.excludes.to_vec(), create_dest_path: true, ..Default::default() };

    let mut actions = FileActions::new();
    for src in &sources {
        history.push(' ');
        history.push_str(src);
        if is_git(src) && (src.starts_with("git@") || src.contains("://")) {
            return Err(ConvertError::new(if spec.is_add { "ADD from a git repository is not supported by this frontend yet".to_string() } else { "source can't be a git ref for COPY".to_string() }));
        }
        if is_http(src) {
            if !spec.is_add {
                return Err(ConvertError::new("source can't be a URL for COPY"));
            }
            let filename = url_filename(src);
            let mut md = Metadata::named(pg_name.clone());
            md.description.insert("com.docker.dockerfile.v1.command".into(), cmd.original.trim().to_string());
            let http = State::http(src, HttpOptions { checksum: checksum.clone(), filename: Some(filename.clone()), metadata: md, ..Default::default() });
            let opts = CopyOptions { attempt_unpack: spec.unpack.unwrap_or(false), ..base_opts.clone() };
            actions = actions.copy(http, format!("/{filename}"), dest.clone(), opts);
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
        let src_path = buildkit_llb::clean_path(&format!("/{src_path}"));
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
        let data = if content.expand { st.expand_raw(&content.data)? } else { content.data.clone() };
        let file = State::scratch().file(
            FileActions::new().mkfile(format!("/{}", content.path.trim_start_matches('/')), 0o644, data.into_bytes(), MkfileOptions::default()),
            Metadata::named("[internal] preparing inline document"),
        );
        let opts = CopyOptions { owner: owner.clone(), mode, mode_str: mode_str.clone(), create_dest_path: true, exclude_patterns: spec.excludes.to_vec(), ..Default::default() };
        actions = actions.copy(file, format!("/{}", content.path.trim_start_matches('/')), dest.clone(), opts);
    }
    history.push(' ');
    history.push_str(&dest_word);

    let mut md = st.op_metadata(conv, pg_name.clone(), cmd);
    if spec.link && chmod.is_none() {
        // --link: the copy is its own layer on scratch, merged on top, so it survives base changes.
        let group = buildkit_proto::pb::ProgressGroup { id: digest_of(format!("{pg_name}{:?}", cmd.location).as_bytes()), name: pg_name.clone(), weak: true };
        md.progress_group = Some(group.clone());
        let layer = State::scratch().file(actions, md);
        st.cmd_index -= 1;
        let link_name = st.step_name(conv, &format!("LINK {shown}"));
        let mut merge_md = Metadata::named(link_name).with_location(source_location(conv, cmd.location));
        merge_md.description.insert("com.docker.dockerfile.v1.command".into(), cmd.original.trim().to_string());
        merge_md.ignore_cache = st.ignore_cache;
        merge_md.progress_group = Some(buildkit_proto::pb::ProgressGroup { weak: false, ..group });
        st.fs = buildkit_llb::merge(&[st.fs.clone(), layer], merge_md);
    } else {
        st.fs = st.fs.file(actions, md);
    }
    st.add_history(format!("{history} # buildkit"), true);
    Ok(())
}

/// The file name an ADD of a URL gets: the last path segment, else `__unnamed__`.
fn url_filename(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let path = after_scheme.split(['?', '#']).next().unwrap_or_default();
    let path = path.find('/').map_or("", |i| &path[i..]);
    match path.rsplit('/').next() {
        Some(b) if !b.is_empty() && b != "." => b.to_string(),
        _ => "__unnamed__".to_string(),
    }
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
        assert_eq!(parse_chmod("u+x,g-w").unwrap(), (None, Some("u+x,g-w".into())));
        assert!(parse_chmod("8888").unwrap_err().message.contains("octal"));
        assert!(parse_chmod("bogus").is_err());
    }

    #[test]
    fn chown_specs() {
        assert_eq!(chown_spec("1000:g"), Chown { user: Some(UserSpec::Id(1000)), group: Some(UserSpec::Name("g".into())) });
        assert_eq!(chown_spec("app"), Chown { user: Some(UserSpec::Name("app".into())), group: None });
    }

    #[test]
    fn url_names() {
        assert_eq!(url_filename("https://example.com/a/b.tar.gz?x=1"), "b.tar.gz");
        assert_eq!(url_filename("https://example.com/"), "__unnamed__");
        assert_eq!(url_filename("https://example.com"), "__unnamed__");
    }
}
