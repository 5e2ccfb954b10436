//! Source ops: images, local directories from the client session, git repositories and
//! http(s) files. Attribute names follow BuildKit's `solver/pb/attr.go`.

use std::collections::BTreeMap;

use buildkit_proto::pb;

use crate::metadata::Metadata;
use crate::platform::Platform;
use crate::state::{base_op, OpNode, State};

#[derive(Debug, Clone, Default)]
pub struct ImageOptions {
    pub platform: Option<Platform>,
    /// `default`, `pull` or `local`; None leaves the daemon's default.
    pub resolve_mode: Option<String>,
    pub metadata: Metadata,
}

#[derive(Debug, Clone, Default)]
pub struct LocalOptions {
    pub session_id: Option<String>,
    pub shared_key_hint: Option<String>,
    pub include_patterns: Vec<String>,
    pub exclude_patterns: Vec<String>,
    pub follow_paths: Vec<String>,
    /// Used when there is no session id, so two clients never share a transfer.
    pub unique_id: Option<String>,
    pub differ: Option<String>,
    pub platform: Option<Platform>,
    pub metadata: Metadata,
}

#[derive(Debug, Clone, Default)]
pub struct GitOptions {
    pub keep_git_dir: bool,
    pub full_url: Option<String>,
    pub checksum: Option<String>,
    pub platform: Option<Platform>,
    pub metadata: Metadata,
}

#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    pub checksum: Option<String>,
    pub filename: Option<String>,
    pub perm: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub platform: Option<Platform>,
    pub metadata: Metadata,
}

impl State {
    /// Any source op; `platform` is dropped for sources that are not platform specific (local, git, http).
    pub fn source(
        identifier: &str,
        attrs: BTreeMap<String, String>,
        platform: Option<&Platform>,
        mut metadata: Metadata,
    ) -> State {
        let platform_specific =
            identifier.starts_with("docker-image://") || identifier.starts_with("oci-layout://");
        let platform = if platform_specific {
            Some(platform.unwrap_or(Platform::host_ref()))
        } else {
            None
        };
        let mut op = base_op(platform);
        op.op = Some(pb::op::Op::Source(pb::SourceOp {
            identifier: identifier.to_string(),
            attrs,
        }));
        let scheme = identifier.split("://").next().unwrap_or_default();
        metadata.add_cap(match scheme {
            "docker-image" => "source.image",
            "local" => "source.local",
            "git" => "source.git",
            "oci-layout" => "source.ocilayout",
            _ => "source.http",
        });
        State::from_node(OpNode::new(op, Vec::new(), metadata), 0)
    }

    /// `reference` must already be normalised (see [`crate::reference`]).
    pub fn image(reference: &str, opts: ImageOptions) -> State {
        let mut attrs = BTreeMap::new();
        let mut md = opts.metadata;
        if let Some(mode) = opts.resolve_mode {
            if mode == "pull" {
                md.add_cap("source.image.resolvemode");
            }
            attrs.insert("image.resolvemode".into(), mode);
        }
        State::source(
            &format!("docker-image://{reference}"),
            attrs,
            opts.platform.as_ref(),
            md,
        )
    }

    pub fn local(name: &str, opts: LocalOptions) -> State {
        let mut attrs = BTreeMap::new();
        let mut md = opts.metadata;
        let json = |v: &Vec<String>| serde_json_array(v);
        match opts.session_id {
            Some(s) => {
                attrs.insert("local.session".into(), s);
                md.add_cap("source.local.sessionid");
            }
            None => {
                attrs.insert("local.unique".into(), opts.unique_id.unwrap_or_default());
                md.add_cap("source.local.unique");
            }
        }
        if !opts.include_patterns.is_empty() {
            attrs.insert("local.includepattern".into(), json(&opts.include_patterns));
            md.add_cap("source.local.includepatterns");
        }
        if !opts.follow_paths.is_empty() {
            attrs.insert("local.followpaths".into(), json(&opts.follow_paths));
            md.add_cap("source.local.followpaths");
        }
        if !opts.exclude_patterns.is_empty() {
            attrs.insert("local.excludepatterns".into(), json(&opts.exclude_patterns));
            md.add_cap("source.local.excludepatterns");
        }
        if let Some(h) = opts.shared_key_hint {
            attrs.insert("local.sharedkeyhint".into(), h);
            md.add_cap("source.local.sharedkeyhint");
        }
        if let Some(d) = opts.differ {
            attrs.insert("local.differ".into(), d);
            md.add_cap("source.local.differ");
        }
        State::source(
            &format!("local://{name}"),
            attrs,
            opts.platform.as_ref(),
            md,
        )
    }

    /// `remote` is the identifier without scheme (e.g. `github.com/moby/buildkit.git#v0.1`).
    pub fn git(remote: &str, opts: GitOptions) -> State {
        let mut attrs = BTreeMap::new();
        let mut md = opts.metadata;
        if opts.keep_git_dir {
            attrs.insert("git.keepgitdir".into(), "true".into());
            md.add_cap("source.git.keepgitdir");
        }
        if let Some(u) = opts.full_url {
            attrs.insert("git.fullurl".into(), u);
            md.add_cap("source.git.fullurl");
        }
        if let Some(c) = opts.checksum {
            attrs.insert("git.checksum".into(), c);
            md.add_cap("source.git.checksum");
        }
        State::source(
            &format!("git://{remote}"),
            attrs,
            opts.platform.as_ref(),
            md,
        )
    }

    pub fn http(url: &str, opts: HttpOptions) -> State {
        let mut attrs = BTreeMap::new();
        let mut md = opts.metadata;
        if let Some(c) = opts.checksum {
            attrs.insert("http.checksum".into(), c);
            md.add_cap("source.http.checksum");
        }
        if let Some(f) = opts.filename {
            attrs.insert("http.filename".into(), f);
        }
        if let Some(p) = opts.perm {
            attrs.insert("http.perm".into(), format!("0{p:o}"));
            md.add_cap("source.http.perm");
        }
        if let Some(u) = opts.uid {
            attrs.insert("http.uid".into(), u.to_string());
            md.add_cap("soruce.http.uidgid");
        }
        if let Some(g) = opts.gid {
            attrs.insert("http.gid".into(), g.to_string());
            md.add_cap("soruce.http.uidgid");
        }
        State::source(url, attrs, opts.platform.as_ref(), md)
    }
}

/// A JSON array of strings, as BuildKit's attrs expect (its Go side uses `json.Marshal`).
fn serde_json_array(items: &[String]) -> String {
    let mut s = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('"');
        for c in item.chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                '\t' => s.push_str("\\t"),
                '<' => s.push_str("\\u003c"),
                '>' => s.push_str("\\u003e"),
                '&' => s.push_str("\\u0026"),
                c if (c as u32) < 0x20 => s.push_str(&format!("\\u{:04x}", c as u32)),
                c => s.push(c),
            }
        }
        s.push('"');
    }
    s.push(']');
    s
}
