//! Reading the build definition, like the reference's `dockerui` client: the Dockerfile (and
//! `<Dockerfile>.dockerignore`) from the `dockerfile` local or from a remote context (git or
//! http), the main context's `.dockerignore`, and the `# syntax=` / `BUILDKIT_SYNTAX`
//! forwarding to another frontend.

use std::collections::BTreeMap;

use buildkit_llb::{pb, CopyOptions, FileActions, LocalOptions, Metadata, State};
use buildkit_proto::gateway as gw;
use prost::Message;

use super::bridge::{validate_frontend_caps, Bridge};
use super::failure::Failure;
use super::remote::{self, GitContextOptions, HTTP_CONTEXT_FILENAME};
use crate::error::{
    dockerfile_info, has_source, status_from_grpc, unimplemented_status, with_source, LocatedError,
};
use crate::options::BuildOptions;
use crate::syntax::detect_syntax;

/// The Dockerfile and the context the build reads.
pub struct BuildSource {
    pub data: Vec<u8>,
    /// The Dockerfile's name as errors show it (`context` for a Dockerfile downloaded over http).
    pub filename: String,
    /// `.dockerignore` of the main context (`<Dockerfile>.dockerignore` wins), if it has one.
    pub ignore: Option<Vec<u8>>,
    /// The main build context when it is not the client's `context` directory: a git
    /// repository or a download, already narrowed to `contextsubdir`.
    pub main_context: Option<State>,
    /// The definition the Dockerfile was read with: build checks' warnings point at its vertex.
    pub definition: pb::Definition,
    /// The files its `INCLUDE`s read (our extension).
    pub included: super::includes::IncludedSources,
}

impl BuildSource {
    /// The Dockerfile as errors and warnings point into it.
    pub fn info(&self) -> pb::SourceInfo {
        dockerfile_info(&self.filename, &self.data, Some(self.definition.clone()))
    }

    /// The Dockerfile (file 0) or the included file `n` as errors and warnings point into it.
    pub fn info_of(&self, file: u32) -> pb::SourceInfo {
        match file {
            0 => self.info(),
            n => self.included.info(n).unwrap_or_else(|| self.info()),
        }
    }

    /// The Dockerfile, then each included file by number (`pb.Location.SourceIndex`).
    pub fn infos(&self) -> Vec<pb::SourceInfo> {
        let n = u32::try_from(self.included.order.len()).unwrap_or(0);
        (0..=n).map(|i| self.info_of(i)).collect()
    }

    /// An error at a place in this Dockerfile (or a file it includes).
    pub fn locate(&self, error: LocatedError) -> Failure {
        let file = error.location.map_or(0, |l| l.file);
        Failure::Located {
            info: Box::new(self.info_of(file)),
            error,
        }
    }

    /// The Dockerfile parsed as every conversion reads it (`convert::parse_source`), with its
    /// `INCLUDE`s spliced in.
    pub fn parse(&self) -> Result<crate::syntax::Ast, LocatedError> {
        let text = crate::convert::dockerfile_text(&self.data);
        let ast = crate::convert::parse_source(&text)?;
        self.included.splice(ast, &self.filename)
    }
}

/// What to do with the request: build the Dockerfile, or return what another frontend built.
pub enum Entry {
    Build(BuildSource),
    Forwarded(gw::Result),
}

/// Reads the Dockerfile, then either forwards the build to the frontend it names or returns it.
pub async fn entry(bridge: &Bridge, opts: &BuildOptions) -> Result<Entry, Failure> {
    bridge.validate_min_caps().map_err(Failure::Plain)?;
    let (may_forward, caps_error) =
        validate_frontend_caps(bridge.opts.get("frontend.caps").map_or("", String::as_str));
    if let (false, Some(e)) = (may_forward, &caps_error) {
        return Err(Failure::Status(unimplemented_status(e)));
    }
    let src = load(bridge, opts).await?;
    if let Some(result) = forward(bridge, &src).await? {
        return Ok(Entry::Forwarded(result));
    }
    if let Some(e) = caps_error {
        return Err(Failure::Status(unimplemented_status(&e)));
    }
    Ok(Entry::Build(src))
}

/// A remote main context: the state COPY reads and the one the Dockerfile is read from.
struct RemoteContext {
    context: State,
    dockerfile: State,
    /// The Dockerfile's name inside `dockerfile` when the download is the Dockerfile itself.
    filename: Option<String>,
}

/// Where the main context and the Dockerfile come from when not from the client's local
/// directories (dockerui's `initContext`): a remote context, else the frontend's inputs named
/// `context` and `dockerfile`.
#[derive(Default)]
struct MainSources {
    context: Option<State>,
    dockerfile: Option<State>,
    filename: Option<String>,
}

impl From<RemoteContext> for MainSources {
    fn from(r: RemoteContext) -> Self {
        MainSources {
            context: Some(r.context),
            dockerfile: Some(r.dockerfile),
            filename: r.filename,
        }
    }
}

/// The input names dockerui reads the main context and the Dockerfile from.
const INPUT_CONTEXT: &str = "context";
const INPUT_DOCKERFILE: &str = "dockerfile";

async fn main_sources(bridge: &Bridge, opts: &BuildOptions) -> Result<MainSources, Failure> {
    if let Some(remote) = detect_remote_context(bridge, opts).await? {
        return Ok(remote.into());
    }
    let Some(inputs) = bridge.inputs_if_supported().await? else {
        return Ok(MainSources::default());
    };
    let state = |name: &str| -> Result<Option<State>, Failure> {
        inputs
            .get(name)
            .map(|def| {
                State::from_definition(def)
                    .map_err(|e| Failure::Plain(format!("invalid frontend input {name}: {e}")))
            })
            .transpose()
    };
    Ok(MainSources {
        context: state(INPUT_CONTEXT)?,
        dockerfile: if opts.force_local_dockerfile {
            None
        } else {
            state(INPUT_DOCKERFILE)?
        },
        filename: None,
    })
}

async fn load(bridge: &Bridge, opts: &BuildOptions) -> Result<BuildSource, Failure> {
    let session_id = |local: &str| {
        opts.local_session_ids
            .get(local)
            .cloned()
            .unwrap_or_else(|| bridge.session_id.clone())
    };
    let sources = main_sources(bridge, opts).await?;
    let (dockerfile_state, filename) = match &sources.dockerfile {
        Some(d) if !opts.force_local_dockerfile => (
            d.clone(),
            sources
                .filename
                .clone()
                .unwrap_or_else(|| opts.filename.clone()),
        ),
        _ => (
            local_dockerfile_state(opts, session_id(&opts.dockerfile_local)),
            opts.filename.clone(),
        ),
    };
    // The context's .dockerignore is read at the same time as the Dockerfile (one round trip
    // less); a remote or input context has none of its own (the reference reads none).
    let context_ignore = async {
        match &sources.context {
            None => read_context_dockerignore(bridge, opts, session_id(&opts.context_local)).await,
            Some(_) => Ok(None),
        }
    };
    let local = sources.dockerfile.is_none() || opts.force_local_dockerfile;
    let (dockerfile, context_ignore) = futures::join!(
        read_dockerfile(bridge, dockerfile_state, &filename),
        context_ignore
    );
    let (data, dockerfile_ignore, definition, ref_id) = dockerfile?;
    let origin = if local {
        super::includes::Origin::Local {
            name: opts.dockerfile_local.clone(),
            session_id: session_id(&opts.dockerfile_local),
        }
    } else {
        super::includes::Origin::Ref(ref_id)
    };
    let included = super::includes::read(
        bridge,
        &crate::convert::dockerfile_text(&data),
        &filename,
        &origin,
    )
    .await?;
    let main_context = sources.context.map(|c| match &opts.context_subdir {
        Some(sub) => scope_to_subdir(&c, sub),
        None => c,
    });
    // `<Dockerfile>.dockerignore` wins over the context's.
    let ignore = match dockerfile_ignore {
        Some(i) => Some(i),
        None => context_ignore?,
    };
    Ok(BuildSource {
        data,
        filename,
        ignore,
        main_context,
        definition,
        included,
    })
}

fn local_dockerfile_state(opts: &BuildOptions, session_id: String) -> State {
    let filename = &opts.filename;
    let mut follow = vec![filename.clone(), format!("{filename}.dockerignore")];
    follow.extend(lowercase_variant(filename));
    State::local(
        &opts.dockerfile_local,
        LocalOptions {
            session_id: Some(session_id),
            shared_key_hint: Some(opts.dockerfile_local.clone()),
            follow_paths: follow,
            differ: Some("none".into()),
            metadata: Metadata::named(format!("[internal] load build definition from {filename}")),
            ..Default::default()
        },
    )
}

/// Solves the state holding the Dockerfile and reads it (and `<Dockerfile>.dockerignore`).
async fn read_dockerfile(
    bridge: &Bridge,
    state: State,
    filename: &str,
) -> Result<(Vec<u8>, Option<Vec<u8>>, pb::Definition, String), Failure> {
    let mut def = state.marshal().map_err(|e| Failure::Plain(e.to_string()))?;
    group_head(&mut def);
    let ref_id = bridge
        .solve(def.clone(), Vec::new())
        .await
        .map_err(|e| Failure::from(e.context("failed to resolve dockerfile")))?;
    let data = match bridge.read_file(&ref_id, filename).await {
        Ok(d) => d,
        Err(first) => match lowercase_variant(filename) {
            Some(l) => bridge.read_file(&ref_id, &l).await.map_err(|_| {
                Failure::Plain(format!("failed to read dockerfile: {}", first.message()))
            })?,
            None => {
                return Err(Failure::Plain(format!(
                    "failed to read dockerfile: {}",
                    first.message()
                )))
            }
        },
    };
    let ignore = bridge
        .read_file(&ref_id, &format!("{filename}.dockerignore"))
        .await
        .ok();
    Ok((data, ignore, def, ref_id))
}

/// The vertex a definition ends in (Go's `Definition.Head`), as BuildKit names it.
pub fn head_digest(def: &pb::Definition) -> Option<String> {
    // Our ops are encoded as BuildKit's Go client encodes them (see llb's OpNode), so the
    // digest our definition names is the daemon's vertex digest.
    def.def
        .last()
        .and_then(|b| pb::Op::decode(b.as_slice()).ok())
        .and_then(|op| op.inputs.first().map(|i| i.digest.clone()))
}

/// Puts the vertex the Dockerfile is read with (when it has a name) into a progress group of
/// that name, the group's id derived from the vertex digest. The build checks' warnings point
/// at this vertex; once they are sent, another member of the group makes the client print
/// them (`Checks::show`). The client shows the group as it would show the vertex.
fn group_head(def: &mut pb::Definition) {
    let Some(head) = head_digest(def) else {
        return;
    };
    let Some(md) = def.metadata.get_mut(&head) else {
        return;
    };
    let Some(name) = md.description.get("llb.customname").cloned() else {
        return;
    };
    md.progress_group.get_or_insert_with(|| pb::ProgressGroup {
        id: format!("{head}-definition"),
        name,
        weak: false,
    });
}

/// `dockerfile` is also accepted where `Dockerfile` is asked for (moby/moby#10858).
fn lowercase_variant(filename: &str) -> Option<String> {
    let (dir, base) = filename
        .rsplit_once('/')
        .map_or(("", filename), |(d, b)| (d, b));
    (base == "Dockerfile").then(|| {
        if dir.is_empty() {
            "dockerfile".to_string()
        } else {
            format!("{dir}/dockerfile")
        }
    })
}

async fn read_context_dockerignore(
    bridge: &Bridge,
    opts: &BuildOptions,
    session_id: String,
) -> Result<Option<Vec<u8>>, Failure> {
    let local = State::local(
        &opts.context_local,
        LocalOptions {
            session_id: Some(session_id),
            shared_key_hint: Some(format!("{}-.dockerignore", opts.context_local)),
            follow_paths: vec![".dockerignore".into()],
            differ: Some("none".into()),
            metadata: Metadata::named("[internal] load .dockerignore"),
            ..Default::default()
        },
    );
    let def = local.marshal().map_err(|e| Failure::Plain(e.to_string()))?;
    let ref_id = bridge.solve(def, Vec::new()).await?;
    Ok(bridge.read_file(&ref_id, ".dockerignore").await.ok())
}

/// A git URL or an http(s) URL in the context option (`docker build <url>`).
async fn detect_remote_context(
    bridge: &Bridge,
    opts: &BuildOptions,
) -> Result<Option<RemoteContext>, Failure> {
    let Some(url) = opts.remote_context.as_deref() else {
        return Ok(None);
    };
    let git = match remote::parse_git_ref(url) {
        remote::GitRefParse::Invalid(e) => return Err(Failure::Plain(e)),
        remote::GitRefParse::Git(r) => Some(r),
        remote::GitRefParse::NotGit => None,
    };
    if let Some(r) = git {
        let git_opts = GitContextOptions {
            keep_git_dir: opts.context_keep_git_dir,
            mtime_commit: opts
                .build_args
                .get("SOURCE_DATE_EPOCH")
                .is_some_and(|v| !v.is_empty()),
            advice: opts.git_advice,
        };
        let st = remote::git_state(&r, url, &git_opts);
        return Ok(Some(RemoteContext {
            context: st.clone(),
            dockerfile: st,
            filename: None,
        }));
    }
    if !remote::is_http_context(url) {
        return Ok(None);
    }
    let st = remote::http_state(url);
    let def = st.marshal().map_err(|e| Failure::Plain(e.to_string()))?;
    let ref_id = bridge
        .solve(def, Vec::new())
        .await
        .map_err(|e| Failure::from(e.context("failed to resolve httpcontext")))?;
    let head = bridge
        .read_file_head(&ref_id, HTTP_CONTEXT_FILENAME, 1024)
        .await
        .map_err(|e| {
            Failure::Plain(format!(
                "failed to read downloaded context: {}",
                e.message()
            ))
        })?;
    if remote::is_archive(&head) {
        let unpacked = State::scratch().file(
            FileActions::new().copy(
                st,
                format!("/{HTTP_CONTEXT_FILENAME}"),
                "/",
                CopyOptions {
                    attempt_unpack: true,
                    ..Default::default()
                },
            ),
            Metadata::default(),
        );
        Ok(Some(RemoteContext {
            context: unpacked.clone(),
            dockerfile: unpacked,
            filename: None,
        }))
    } else {
        Ok(Some(RemoteContext {
            context: st.clone(),
            dockerfile: st,
            filename: Some(HTTP_CONTEXT_FILENAME.into()),
        }))
    }
}

/// `contextsubdir`: the context becomes that directory of itself.
fn scope_to_subdir(context: &State, dir: &str) -> State {
    State::scratch().file(
        FileActions::new().copy(
            context.clone(),
            dir,
            "/",
            CopyOptions {
                dir_copy_contents: true,
                ..Default::default()
            },
        ),
        Metadata::default(),
    )
}

/// The frontend named by `BUILDKIT_SYNTAX` or a `# syntax=` line, unless this process was
/// itself started by such a forward (`cmdline` is set then: that ends the chain) or the line
/// names the image this process runs from.
async fn forward(bridge: &Bridge, src: &BuildSource) -> Result<Option<gw::Result>, Failure> {
    if bridge.opts.contains_key("cmdline") {
        return Ok(None);
    }
    let is_own = |image: &str| bridge.opts.get("source").is_some_and(|own| own == image);
    if let Some(cmdline) = bridge.opts.get("build-arg:BUILDKIT_SYNTAX") {
        let image = cmdline
            .trim()
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        if is_own(&image) {
            return Ok(None);
        }
        return forward_to(bridge, &image, cmdline).await.map_err(|s| {
            if has_source(&s) {
                Failure::Status(s)
            } else {
                Failure::Status(buildkit_proto::google::rpc::Status {
                    message: format!(
                        "failed with build-arg:BUILDKIT_SYNTAX = {cmdline}: {}",
                        s.message
                    ),
                    ..s
                })
            }
        });
    }
    let text = crate::convert::dockerfile_text(&src.data);
    let Some(directive) = detect_syntax(&text) else {
        return Ok(None);
    };
    if is_own(&directive.value) {
        return Ok(None);
    }
    forward_to(bridge, &directive.value, &directive.cmdline)
        .await
        .map_err(|s| {
            if has_source(&s) {
                Failure::Status(s)
            } else {
                Failure::Status(with_source(s, &src.info(), directive.location))
            }
        })
}

/// The reference's `forwardGateway`: the same options (with `source` and `cmdline`) and our
/// inputs, to `gateway.v0`.
async fn forward_to(
    bridge: &Bridge,
    image: &str,
    cmdline: &str,
) -> Result<Option<gw::Result>, buildkit_proto::google::rpc::Status> {
    let mut opts: BTreeMap<String, String> = bridge.opts.clone();
    opts.insert("cmdline".into(), cmdline.to_string());
    opts.insert("source".into(), image.to_string());
    let inputs = bridge
        .inputs_if_supported()
        .await
        .map_err(|e| crate::error::plain_status(&format!("{e:#}")))?
        .cloned()
        .unwrap_or_default();
    bridge
        .solve_frontend("gateway.v0", opts, inputs)
        .await
        .map(Some)
        .map_err(|s| status_from_grpc(&s))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn lowercase_dockerfile_fallback() {
        assert_eq!(
            lowercase_variant("Dockerfile").as_deref(),
            Some("dockerfile")
        );
        assert_eq!(
            lowercase_variant("sub/Dockerfile").as_deref(),
            Some("sub/dockerfile")
        );
        assert_eq!(lowercase_variant("build.Dockerfile"), None);
    }

    #[test]
    fn subdir_scope_copies_the_directory_contents() {
        let st = scope_to_subdir(&remote::http_state("http://127.0.0.1:1/c.tar"), "sub");
        let def = st.marshal().unwrap();
        let ops: Vec<buildkit_proto::pb::Op> = def
            .def
            .iter()
            .map(|b| prost::Message::decode(b.as_slice()).unwrap())
            .collect();
        let copy = ops
            .iter()
            .find_map(|o| match &o.op {
                Some(buildkit_proto::pb::op::Op::File(f)) => {
                    f.actions.first().and_then(|a| a.action.clone())
                }
                _ => None,
            })
            .unwrap();
        let buildkit_proto::pb::file_action::Action::Copy(c) = copy else {
            panic!("not a copy: {copy:?}")
        };
        assert!(c.dir_copy_contents);
        assert_eq!((c.src.as_str(), c.dest.as_str()), ("/sub", "/"));
    }
}
