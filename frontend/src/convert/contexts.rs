//! Named contexts (`--opt context:NAME=…`), as dockerui's namedcontext.go: which FROM names,
//! stage names and `--from` names a context replaces, what each source kind needs loaded by
//! the gateway, and the LLB state a loaded context becomes.

use buildkit_llb::reference::Reference;
use buildkit_llb::{Definition, ImageOptions, LocalOptions, Metadata, Platform, State};

use super::gitref::GitRefParse;
use super::{ConvertOptions, LocatedError};
use crate::image::Image;

/// What a name resolves to when `context:NAME` (or `context:NAME::PLATFORM`) is set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NamedContext {
    /// The normalised name (`alpine`, `alpine:3.20`, `myregistry/app`).
    pub name: String,
    /// The option's key after `context:`: the name, or `name::os/arch` when a platform-specific one was set.
    pub name_with_platform: String,
    /// The option's value, e.g. `docker-image://alpine:3.20` or `local:src`.
    pub input: String,
    /// The platform asked for; None when neither FROM --platform nor a target platform says.
    pub platform: Option<Platform>,
}

/// The kinds of source a named context can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextSource {
    /// `docker-image://scratch`.
    Scratch,
    /// `docker-image://REF`: `written` as given, `reference` normalised with its tag.
    Image { written: String, reference: String },
    /// `local:NAME`: a directory the client sent as `--local NAME=…`.
    Local { name: String },
    /// `input:NAME`: a frontend input (another frontend's result).
    Input { name: String },
    /// `http(s)://…` that is not a git repository: the file, named `context`.
    Http { url: String },
    /// A git repository (`git://`, `git@host:path`, or an http(s) URL that names one).
    Git(Box<super::gitref::GitRef>),
    /// `oci-layout://STORE@DIGEST` (or `STORE:TAG@DIGEST`): an image in a client-side OCI layout.
    OciLayout { store: String, digest: String },
}

/// What the gateway found for a context (the I/O half of `NamedContext.Load`).
#[derive(Debug, Clone)]
pub enum LoadedContext {
    /// `docker-image://`: the reference as resolved and its config.
    Image { reference: String, config: Vec<u8> },
    /// `local:`: the session that holds the directory and its `.dockerignore` patterns.
    Local {
        session_id: String,
        shared_key: String,
        excludes: Vec<String>,
    },
    /// `input:`: the input's definition and, from `input-metadata:NAME`, its image config.
    Input {
        definition: Definition,
        config: Option<Vec<u8>>,
    },
    /// `oci-layout://`: the session holding the layout, and the image config.
    OciLayout { session_id: String, config: Vec<u8> },
    /// A source policy turned the context's image into another source, `input` (written as a
    /// context value: `local:NAME`, …), which `loaded` is.
    Redirected {
        input: String,
        loaded: Box<LoadedContext>,
    },
}

/// dockerui's `Client.NamedContext`: the context set for `name` (a stage name, or a
/// normalised image reference), platform-specific first. `scratch` and `context` never are.
pub fn lookup(
    opts: &ConvertOptions,
    name: &str,
    platform: Option<&Platform>,
) -> Result<Option<NamedContext>, LocatedError> {
    lookup_in(
        &opts.named_contexts,
        name,
        platform.or(opts.target_platform.as_ref()),
    )
}

/// [`lookup`] in a build's `named_contexts`, for `platform` (None: the host's).
pub fn lookup_in(
    named_contexts: &std::collections::BTreeMap<String, String>,
    name: &str,
    platform: Option<&Platform>,
) -> Result<Option<NamedContext>, LocatedError> {
    if name.eq_ignore_ascii_case("scratch") || name.eq_ignore_ascii_case("context") {
        return Ok(None);
    }
    if named_contexts.is_empty() {
        return Ok(None);
    }
    let platform = platform.cloned();
    let named = Reference::parse_normalized(name)
        .map_err(|e| LocatedError::new(format!("invalid context name {name}: {}", e)))?;
    let familiar = named.familiar();
    let name = familiar
        .strip_suffix(":latest")
        .unwrap_or(&familiar)
        .to_string();
    // The key names the platform normalised (`name::linux/arm64` for `linux/arm64/v8`); the
    // context's sources get it as asked for.
    let shown = platform.clone().unwrap_or_else(Platform::host).normalize();
    let with_platform = format!("{name}::{shown}");
    for key in [with_platform, name.clone()] {
        if let Some(input) = named_contexts.get(&key) {
            return Ok(Some(NamedContext {
                name,
                name_with_platform: key,
                input: input.clone(),
                platform,
            }));
        }
    }
    Ok(None)
}

impl NamedContext {
    /// The source kind of the context's value, with the reference's errors for bad values.
    pub fn source(&self) -> Result<ContextSource, LocatedError> {
        let Some((scheme, rest)) = self.input.split_once(':') else {
            return Err(LocatedError::new(format!(
                "invalid context specifier {} for {}",
                self.input, self.name_with_platform
            )));
        };
        let scheme = if scheme.starts_with("git@") {
            "git"
        } else {
            scheme
        };
        match scheme {
            "docker-image" => {
                let written = rest.strip_prefix("//").unwrap_or(rest).to_string();
                if written == "scratch" {
                    return Ok(ContextSource::Scratch);
                }
                let reference = Reference::parse_normalized(&written)
                    .map_err(|e| LocatedError::new(e.message))?;
                Ok(ContextSource::Image {
                    written,
                    reference: reference.to_string(),
                })
            }
            "local" => Ok(ContextSource::Local {
                name: rest.to_string(),
            }),
            "input" => Ok(ContextSource::Input {
                name: rest.to_string(),
            }),
            // dockerui's `DetectGitContext` first: a git URL (with a valid query) is a repository.
            "git" | "http" | "https" => match super::gitref::parse_git_ref(&self.input) {
                GitRefParse::Git(git) => Ok(ContextSource::Git(Box::new(git))),
                GitRefParse::Invalid(e) => Err(LocatedError::new(e)),
                GitRefParse::NotGit if scheme == "git" => Err(LocatedError::new(format!(
                    "invalid git context {}",
                    self.input
                ))),
                GitRefParse::NotGit => Ok(ContextSource::Http {
                    url: self.input.clone(),
                }),
            },
            "oci-layout" => {
                let spec = rest.strip_prefix("//").unwrap_or(rest);
                let Some((store, digest)) = spec.rsplit_once('@') else {
                    return Err(LocatedError::new(format!(
                        "oci-layout reference {spec:?} has no digest"
                    )));
                };
                let store = store
                    .rsplit_once(':')
                    .filter(|(_, tag)| !tag.contains('/'))
                    .map_or(store, |(s, _)| s);
                if store.is_empty() {
                    return Err(LocatedError::new(format!(
                        "could not parse oci-layout reference {spec:?}"
                    )));
                }
                Ok(ContextSource::OciLayout {
                    store: store.to_string(),
                    digest: digest.to_string(),
                })
            }
            other => Err(LocatedError::new(format!(
                "unsupported context source {other} for {}",
                self.name_with_platform
            ))),
        }
    }

    /// `[context NAME] …`, the prefix of every progress line the context makes.
    pub fn log_prefix(&self) -> String {
        format!("[context {}]", self.name_with_platform)
    }

    /// The reference the gateway resolves for an `oci-layout://` context: the context's own
    /// name with the layout's digest (only used in log lines; the store is what is read).
    pub fn oci_reference(&self, digest: &str) -> Result<String, LocatedError> {
        let named = Reference::parse_normalized(&self.name).map_err(|e| {
            LocatedError::new(format!(
                "could not parse oci-layout reference {:?}: {}",
                self.name, e
            ))
        })?;
        Ok(Reference { tag: None, ..named }
            .with_digest(digest)
            .to_string())
    }
}

/// What the gateway must load for a context, or None when building it needs no I/O.
pub fn needs_loading(source: &ContextSource) -> bool {
    !matches!(
        source,
        ContextSource::Scratch | ContextSource::Http { .. } | ContextSource::Git(_)
    )
}

/// A context as a state, with the image config it brings (docker-image, oci-layout and
/// inputs with metadata do). `follow_paths` narrows a local context to what the build reads;
/// image sources without a platform of their own get `default_platform` (the target's).
pub fn context_state(
    nc: &NamedContext,
    source: &ContextSource,
    loaded: Option<&LoadedContext>,
    follow_paths: Vec<String>,
    default_platform: &Platform,
    git_advice: bool,
) -> Result<(State, Option<Image>), LocatedError> {
    let platform = nc
        .platform
        .clone()
        .unwrap_or_else(|| default_platform.clone());
    let prefix = nc.log_prefix();
    let missing = || {
        LocatedError::new(format!(
            "named context {} was not loaded",
            nc.name_with_platform
        ))
    };
    match source {
        ContextSource::Scratch => Ok((State::scratch(), None)),
        ContextSource::Git(git) => {
            let opts = super::gitref::GitContextOptions {
                advice: git_advice,
                ..Default::default()
            };
            Ok((super::gitref::git_state(git, &nc.input, &opts), None))
        }
        ContextSource::Http { url } => {
            let st = State::http(
                url,
                buildkit_llb::HttpOptions {
                    filename: Some("context".into()),
                    metadata: Metadata::named(format!("{prefix} {url}")),
                    ..Default::default()
                },
            );
            Ok((st, None))
        }
        ContextSource::Image { written, .. } => {
            let Some(LoadedContext::Image { reference, config }) = loaded else {
                return Err(missing());
            };
            let image = parse_config(config)?;
            let st = State::image(
                reference,
                ImageOptions {
                    platform: Some(platform),
                    resolve_mode: None,
                    metadata: Metadata::named(format!("{prefix} {written}")),
                },
            );
            Ok((st, Some(image)))
        }
        ContextSource::OciLayout { store, digest } => {
            let Some(LoadedContext::OciLayout { session_id, config }) = loaded else {
                return Err(missing());
            };
            let image = parse_config(config)?;
            let reference = nc.oci_reference(digest)?;
            let attrs = [
                ("oci.session".to_string(), session_id.clone()),
                ("oci.store".to_string(), store.clone()),
            ]
            .into_iter()
            .collect();
            let st = State::source(
                &format!("oci-layout://{reference}"),
                attrs,
                Some(&platform),
                Metadata::named(format!("{prefix} OCI load from client")),
            );
            Ok((st, Some(image)))
        }
        ContextSource::Local { name } => {
            let Some(LoadedContext::Local {
                session_id,
                shared_key,
                excludes,
            }) = loaded
            else {
                return Err(missing());
            };
            let st = State::local(
                name,
                LocalOptions {
                    session_id: Some(session_id.clone()),
                    shared_key_hint: Some(format!(
                        "context:{}-{shared_key}",
                        nc.name_with_platform
                    )),
                    exclude_patterns: excludes.clone(),
                    follow_paths,
                    metadata: Metadata::named(format!("{prefix} load from client")),
                    ..Default::default()
                },
            );
            Ok((st, None))
        }
        ContextSource::Input { name } => {
            let Some(LoadedContext::Input { definition, config }) = loaded else {
                return Err(missing());
            };
            let st = State::from_definition(definition).map_err(|e| {
                LocatedError::new(format!(
                    "invalid input {name} for {}: {e}",
                    nc.name_with_platform
                ))
            })?;
            let image = config
                .as_deref()
                .map(parse_config)
                .transpose()
                .map_err(|e| {
                    LocatedError::new(format!(
                        "failed to parse image config for {}: {}",
                        nc.name_with_platform, e.message
                    ))
                })?;
            Ok((st, image))
        }
    }
}

fn parse_config(config: &[u8]) -> Result<Image, LocatedError> {
    let mut image = Image::from_json(config)
        .map_err(|e| LocatedError::new(format!("failed to parse image config: {e}")))?;
    image.created = None;
    Ok(image)
}

/// The platform an image config states, when it states both OS and architecture, as it
/// states it (not normalised: dockerfile2llb takes it as the stage's platform).
pub fn image_platform(image: &Image) -> Option<Platform> {
    (!image.os.is_empty() && !image.architecture.is_empty()).then(|| {
        Platform::new(
            &image.os,
            &image.architecture,
            image.variant.as_deref().unwrap_or_default(),
        )
        .with_os_version(image.os_version.as_deref().unwrap_or_default())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use buildkit_llb::pb;

    fn opts(pairs: &[(&str, &str)]) -> ConvertOptions {
        ConvertOptions {
            build: crate::options::BuildOptions {
                named_contexts: pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn names_are_normalised_and_latest_trimmed() {
        let o = opts(&[("alpine", "docker-image://busybox"), ("foo:1.0", "local:x")]);
        for name in ["alpine", "alpine:latest", "docker.io/library/alpine:latest"] {
            let nc = lookup(&o, name, None).unwrap().unwrap();
            assert_eq!(
                (nc.name.as_str(), nc.name_with_platform.as_str()),
                ("alpine", "alpine")
            );
        }
        assert!(lookup(&o, "alpine:3", None).unwrap().is_none());
        assert_eq!(
            lookup(&o, "docker.io/library/foo:1.0", None)
                .unwrap()
                .unwrap()
                .input,
            "local:x"
        );
        assert!(lookup(&opts(&[("scratch", "local:x")]), "scratch", None)
            .unwrap()
            .is_none());
    }

    #[test]
    fn platform_specific_first() {
        let arm = Platform::parse("linux/arm64").unwrap();
        let o = opts(&[
            ("base", "docker-image://a"),
            ("base::linux/arm64", "docker-image://b"),
        ]);
        assert_eq!(
            lookup(&o, "base", Some(&arm)).unwrap().unwrap().input,
            "docker-image://b"
        );
        assert_eq!(
            lookup(&o, "base", Some(&Platform::parse("linux/amd64").unwrap()))
                .unwrap()
                .unwrap()
                .input,
            "docker-image://a"
        );
    }

    /// dockerui's `NamedContext`: the key names the platform normalised
    /// (`platforms.FormatAll(platforms.Normalize(pp))`); the context keeps it as asked for.
    #[test]
    fn platform_keys_are_normalised_and_the_platform_kept() {
        let o = opts(&[
            ("base::linux/arm64", "docker-image://b"),
            ("base::linux/arm/v7", "docker-image://c"),
        ]);
        let v8 = Platform::parse_unnormalized("linux/arm64/v8").unwrap();
        let nc = lookup(&o, "base", Some(&v8)).unwrap().unwrap();
        assert_eq!(
            (nc.name_with_platform.as_str(), nc.input.as_str()),
            ("base::linux/arm64", "docker-image://b")
        );
        assert_eq!(nc.platform, Some(v8));
        let arm = Platform::parse_unnormalized("linux/arm").unwrap();
        let nc = lookup(&o, "base", Some(&arm)).unwrap().unwrap();
        assert_eq!(nc.name_with_platform, "base::linux/arm/v7");
        assert_eq!(nc.platform.map(|p| p.variant), Some(String::new()));
    }

    #[test]
    fn sources() {
        let nc = |input: &str| NamedContext {
            name: "n".into(),
            name_with_platform: "n".into(),
            input: input.into(),
            platform: None,
        };
        assert_eq!(
            nc("docker-image://alpine").source().unwrap(),
            ContextSource::Image {
                written: "alpine".into(),
                reference: "docker.io/library/alpine:latest".into()
            }
        );
        assert_eq!(
            nc("docker-image://scratch").source().unwrap(),
            ContextSource::Scratch
        );
        assert_eq!(
            nc("local:src").source().unwrap(),
            ContextSource::Local { name: "src".into() }
        );
        assert_eq!(
            nc("input:in").source().unwrap(),
            ContextSource::Input { name: "in".into() }
        );
        assert_eq!(
            nc("https://example.com/x.tar").source().unwrap(),
            ContextSource::Http {
                url: "https://example.com/x.tar".into()
            }
        );
        assert_eq!(
            nc("oci-layout://store:tag@sha256:ab").source().unwrap(),
            ContextSource::OciLayout {
                store: "store".into(),
                digest: "sha256:ab".into()
            }
        );
        assert_eq!(
            nc("nothing").source().unwrap_err().message,
            "invalid context specifier nothing for n"
        );
        assert_eq!(
            nc("foo:bar").source().unwrap_err().message,
            "unsupported context source foo for n"
        );
        let git = |input: &str| match nc(input).source() {
            Ok(ContextSource::Git(g)) => (g.remote, g.reference, g.sub_dir),
            other => panic!("{input}: not a git context: {other:?}"),
        };
        assert_eq!(
            git("https://github.com/a/b.git#v1:sub"),
            (
                "https://github.com/a/b.git".into(),
                "v1".into(),
                "sub".into()
            )
        );
        assert_eq!(git("git@github.com:a/b.git").0, "git@github.com:a/b.git");
        assert_eq!(git("git://example.com/repo").0, "git://example.com/repo");
        let (st, image) = context_state(
            &nc("https://github.com/a/b.git#v1"),
            &nc("https://github.com/a/b.git#v1").source().unwrap(),
            None,
            Vec::new(),
            &Platform::new("linux", "amd64", ""),
            false,
        )
        .unwrap();
        assert!(image.is_none());
        let def = st.marshal().unwrap();
        let op: pb::Op = prost::Message::decode(def.def[0].as_slice()).unwrap();
        let Some(pb::op::Op::Source(src)) = op.op else {
            panic!("not a source: {op:?}")
        };
        assert_eq!(src.identifier, "git://github.com/a/b.git#v1");
    }
}
