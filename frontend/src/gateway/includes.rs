//! Reading the files a Dockerfile's `INCLUDE`s name (our extension, `syntax::include`), from
//! the source the Dockerfile came from: the `dockerfile` local (a load of its own, following
//! only those paths) or the git/http source's snapshot the Dockerfile was read from. In rounds,
//! as the pure splicing asks for them (an included file can include more).

use std::collections::BTreeMap;
use std::sync::Arc;

use buildkit_llb::{pb, LocalOptions, Metadata, SourceFile, State};

use super::bridge::Bridge;
use super::failure::Failure;
use crate::error::dockerfile_info;
use crate::syntax::include::{
    expand_includes, expand_numbered, has_includes, Expansion, FileRead, MAX_BYTES,
};
use crate::syntax::{Ast, LocatedError};

/// Where the Dockerfile was read from.
pub enum Origin {
    /// The snapshot (a solved ref) of a remote context.
    Ref(String),
    /// The `dockerfile` local of the client.
    Local { name: String, session_id: String },
}

/// The files read for the includes, by path relative to the source's root.
#[derive(Debug, Default, Clone)]
pub struct IncludedSources {
    /// As the splicing reads them (text, or why not).
    pub reads: BTreeMap<String, FileRead>,
    /// The bytes and the definition each was loaded with (for errors, warnings, source maps).
    pub files: BTreeMap<String, (Vec<u8>, pb::Definition)>,
    /// The files by number, once every include was read (`Ast::included_files`).
    pub order: Vec<String>,
}

impl IncludedSources {
    /// The `SourceInfo` of included file `n` (1-based), if any.
    pub fn info(&self, n: u32) -> Option<pb::SourceInfo> {
        let path = self.order.get((n as usize).checked_sub(1)?)?;
        let (data, def) = self.files.get(path)?;
        Some(dockerfile_info(path, data, Some(def.clone())))
    }

    /// The source files of the LLB source map, by number.
    pub fn source_files(&self) -> Vec<Arc<SourceFile>> {
        self.order
            .iter()
            .filter_map(|p| {
                let (data, def) = self.files.get(p)?;
                Some(Arc::new(SourceFile {
                    filename: p.clone(),
                    data: data.clone(),
                    language: "Dockerfile".into(),
                    definition: Some(def.clone()),
                }))
            })
            .collect()
    }

    /// `ast` with its includes spliced in from what was read.
    pub fn splice(&self, ast: Ast, filename: &str) -> Result<Ast, LocatedError> {
        if !has_includes(&ast) {
            return Ok(ast);
        }
        match expand_includes(&ast, filename, &self.reads)? {
            Expansion::Done(a) => Ok(a),
            Expansion::Need(paths) => Err(LocatedError::new(format!(
                "INCLUDE: {} could not be read",
                paths.join(", ")
            ))),
        }
    }
}

/// Reads what the Dockerfile's includes need. Nothing when it has none (or does not parse:
/// the caller reports that error).
pub async fn read(
    bridge: &Bridge,
    text: &str,
    filename: &str,
    origin: &Origin,
) -> Result<IncludedSources, Failure> {
    let mut out = IncludedSources::default();
    // Cheap test first: most Dockerfiles have no INCLUDE and are not parsed here.
    if !text
        .as_bytes()
        .windows(7)
        .any(|w| w.eq_ignore_ascii_case(b"include"))
    {
        return Ok(out);
    }
    let Ok(ast) = crate::convert::parse_source(text) else {
        return Ok(out);
    };
    if !has_includes(&ast) {
        return Ok(out);
    }
    loop {
        let (result, numbered) = expand_numbered(&ast, filename, &out.reads);
        let paths = match result {
            Ok(Expansion::Need(paths)) => paths,
            // An error is reported where the Dockerfile is parsed, in the file it points into.
            Ok(Expansion::Done(_)) | Err(_) => {
                out.order = numbered;
                return Ok(out);
            }
        };
        let (ref_id, def) = match origin {
            Origin::Ref(r) => (r.clone(), None),
            Origin::Local { name, session_id } => {
                let def = local_state(name, session_id, &paths)
                    .marshal()
                    .map_err(|e| Failure::Plain(e.to_string()))?;
                let r = bridge
                    .solve(def.clone(), Vec::new())
                    .await
                    .map_err(|e| Failure::from(e.context("failed to load included files")))?;
                (r, Some(def))
            }
        };
        for p in paths {
            let read = bridge.read_file(&ref_id, &p).await;
            let entry = match read {
                Ok(d) if d.len() > MAX_BYTES => Err(format!("larger than {MAX_BYTES} bytes")),
                Ok(d) => {
                    let text = crate::convert::dockerfile_text(&d).into_owned();
                    out.files
                        .insert(p.clone(), (d, def.clone().unwrap_or_default()));
                    Ok(text)
                }
                Err(e) => Err(e.message().to_string()),
            };
            out.reads.insert(p, entry);
        }
    }
}

/// The `dockerfile` local, following only `paths`.
fn local_state(name: &str, session_id: &str, paths: &[String]) -> State {
    State::local(
        name,
        LocalOptions {
            session_id: Some(session_id.to_string()),
            shared_key_hint: Some(name.to_string()),
            follow_paths: paths.to_vec(),
            differ: Some("none".into()),
            metadata: Metadata::named(format!(
                "[internal] load included files {}",
                paths.join(", ")
            )),
            ..Default::default()
        },
    )
}
