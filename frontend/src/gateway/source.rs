//! Reading the build definition: the Dockerfile (and `<Dockerfile>.dockerignore`) from the
//! `dockerfile` local, and `.dockerignore` from the build context.

use buildkit_llb::{pb, LocalOptions, Metadata, State};

use super::bridge::Bridge;
use super::build::Failure;
use crate::options::BuildOptions;

pub struct DockerfileSource {
    pub data: Vec<u8>,
    /// `<Dockerfile>.dockerignore`, which takes precedence over the context's `.dockerignore`.
    pub ignore: Option<Vec<u8>>,
    /// The definition the Dockerfile was read with: build checks' warnings point at its vertex.
    pub definition: pb::Definition,
}

pub async fn read_dockerfile(bridge: &Bridge, opts: &BuildOptions, session_id: String) -> Result<DockerfileSource, Failure> {
    let filename = &opts.filename;
    let mut follow = vec![filename.clone(), format!("{filename}.dockerignore")];
    let lowercase = lowercase_variant(filename);
    follow.extend(lowercase.clone());
    let local = State::local(
        &opts.dockerfile_local,
        LocalOptions {
            session_id: Some(session_id),
            shared_key_hint: Some(opts.dockerfile_local.clone()),
            follow_paths: follow,
            differ: Some("none".into()),
            metadata: Metadata::named(format!("[internal] load build definition from {filename}")),
            ..Default::default()
        },
    );
    let def = local.marshal().map_err(|e| Failure::Plain(e.to_string()))?;
    let ref_id = bridge.solve(def.clone(), Vec::new()).await.map_err(|e| Failure::Plain(format!("failed to resolve dockerfile: {e:#}")))?;
    let data = match bridge.read_file(&ref_id, filename).await {
        Ok(d) => d,
        Err(first) => match &lowercase {
            Some(l) => bridge.read_file(&ref_id, l).await.map_err(|_| Failure::Plain(format!("failed to read dockerfile: {}", first.message())))?,
            None => return Err(Failure::Plain(format!("failed to read dockerfile: {}", first.message()))),
        },
    };
    if data.is_empty() {
        return Err(Failure::Plain("the Dockerfile cannot be empty".into()));
    }
    let ignore = bridge.read_file(&ref_id, &format!("{filename}.dockerignore")).await.ok();
    Ok(DockerfileSource { data, ignore, definition: def })
}

/// `dockerfile` is also accepted where `Dockerfile` is asked for (moby/moby#10858).
fn lowercase_variant(filename: &str) -> Option<String> {
    let (dir, base) = filename.rsplit_once('/').map_or(("", filename), |(d, b)| (d, b));
    (base == "Dockerfile").then(|| if dir.is_empty() { "dockerfile".to_string() } else { format!("{dir}/dockerfile") })
}

pub async fn read_context_dockerignore(bridge: &Bridge, opts: &BuildOptions, session_id: String) -> Result<Option<Vec<u8>>, Failure> {
    let local = State::local(
        &opts.context_local,
        LocalOptions {
            session_id: Some(session_id),
            shared_key_hint: Some(opts.context_local.clone()),
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
