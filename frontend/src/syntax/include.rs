//! `INCLUDE <path>` (our extension, docs/extensions.md): a Dockerfile fragment read from the
//! Dockerfile's own source and put in place of the instruction, as if written there.
//!
//! Pure: [`expand_includes`] says which files it still needs ([`Expansion::Need`]); the caller
//! (the gateway, the offline CLI) reads them and asks again with them added, until it gets the
//! Dockerfile with every include spliced in ([`Expansion::Done`]). Nodes from an included file
//! carry its number in their [`Location::file`](super::Location::file) (1 for the first file read, …), so errors,
//! warnings and the LLB source map point into it. Walked with an explicit stack.

use std::collections::BTreeMap;

pub use super::ast::Include;
use super::ast::{Ast, Node};
use super::located::LocatedError;
use super::parse::parse;
use super::words::split_ws2;

/// How deep includes may nest (the Dockerfile's own INCLUDEs are depth 1).
pub const MAX_DEPTH: usize = 16;
/// How many distinct files one Dockerfile may include, all levels together.
pub const MAX_FILES: usize = 256;
/// How many bytes the included instructions may add, all inclusions together (a file included
/// twice counts twice): 16 MiB.
pub const MAX_BYTES: usize = 16 << 20;

/// A file read for an `INCLUDE`: its text, or why it could not be read.
pub type FileRead = Result<String, String>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expansion {
    /// The Dockerfile with its includes spliced in (`Ast::includes`, `Ast::included_files`).
    Done(Ast),
    /// Read these (paths relative to the source's root) and ask again.
    Need(Vec<String>),
}

/// Whether a parsed Dockerfile has an `INCLUDE` (so there is anything to read).
pub fn has_includes(ast: &Ast) -> bool {
    ast.nodes.iter().any(|n| n.keyword == "include")
}

struct Frame {
    nodes: std::vec::IntoIter<Node>,
    /// The file's path (the Dockerfile's for the first frame).
    path: String,
}

/// Splices the `INCLUDE`s of `main` (the Dockerfile at `main_path`, relative to the source's
/// root) with the files in `files`, or says which are missing.
pub fn expand_includes(
    main: &Ast,
    main_path: &str,
    files: &BTreeMap<String, FileRead>,
) -> Result<Expansion, LocatedError> {
    expand_numbered(main, main_path, files).0
}

/// [`expand_includes`], and the included files by number as far as it went (on an error too:
/// the error's `Location::file` is one of them).
pub fn expand_numbered(
    main: &Ast,
    main_path: &str,
    files: &BTreeMap<String, FileRead>,
) -> (Result<Expansion, LocatedError>, Vec<String>) {
    let mut paths: Vec<String> = Vec::new();
    let result = expand(main, main_path, files, &mut paths);
    (result, paths)
}

fn expand(
    main: &Ast,
    main_path: &str,
    files: &BTreeMap<String, FileRead>,
    paths: &mut Vec<String>,
) -> Result<Expansion, LocatedError> {
    let mut out = Ast {
        directives: main.directives.clone(),
        escape: main.escape,
        nodes: Vec::with_capacity(main.nodes.len()),
        warnings: main.warnings.clone(),
        includes: Vec::new(),
        included_files: Vec::new(),
    };
    let mut numbers: BTreeMap<String, u32> = BTreeMap::new();
    let mut includes = Vec::new();
    let mut need: Vec<String> = Vec::new();
    let mut bytes = 0usize;
    let mut stack = vec![Frame {
        nodes: main.nodes.clone().into_iter(),
        path: clean(main_path).unwrap_or_default(),
    }];
    while let Some(frame) = stack.last_mut() {
        let Some(node) = frame.nodes.next() else {
            stack.pop();
            continue;
        };
        if node.keyword != "include" {
            out.nodes.push(node);
            continue;
        }
        let at = node.location;
        let written = include_path(&node).map_err(|m| LocatedError::at(m, at))?;
        let path = resolve(&frame.path, &written).map_err(|m| LocatedError::at(m, at))?;
        if stack.iter().any(|f| f.path == path) {
            let chain: Vec<&str> = stack.iter().map(|f| f.path.as_str()).collect();
            return Err(LocatedError::at(
                format!(
                    "INCLUDE {written}: include cycle: {} -> {path}",
                    chain.join(" -> ")
                ),
                at,
            ));
        }
        if stack.len() > MAX_DEPTH {
            return Err(LocatedError::at(
                format!("INCLUDE {written}: includes nest deeper than {MAX_DEPTH} levels"),
                at,
            ));
        }
        let text = match files.get(&path) {
            None => {
                if !need.contains(&path) {
                    need.push(path);
                }
                continue;
            }
            Some(Err(e)) => {
                return Err(LocatedError::at(
                    format!("INCLUDE {written}: cannot read {path}: {e}"),
                    at,
                ))
            }
            Some(Ok(t)) => t,
        };
        bytes = bytes.saturating_add(text.len());
        if bytes > MAX_BYTES {
            return Err(LocatedError::at(
                format!("INCLUDE {written}: the included files exceed {MAX_BYTES} bytes"),
                at,
            ));
        }
        let number = match numbers.get(&path) {
            Some(&n) => n,
            None => {
                if paths.len() >= MAX_FILES {
                    return Err(LocatedError::at(
                        format!("INCLUDE {written}: more than {MAX_FILES} files included"),
                        at,
                    ));
                }
                paths.push(path.clone());
                let n = u32::try_from(paths.len()).unwrap_or(u32::MAX);
                numbers.insert(path.clone(), n);
                n
            }
        };
        includes.push(Include {
            written: written.clone(),
            path: path.clone(),
            location: at,
            file: number,
        });
        let parsed = parse_included(text, number).map_err(|e| {
            // An error without lines (an empty file) is placed at the INCLUDE.
            if e.location.is_some() {
                e
            } else {
                LocatedError::at(format!("INCLUDE {written}: {}", e.message), at)
            }
        })?;
        if parsed.escape != main.escape {
            return Err(LocatedError::at(
                format!(
                    "INCLUDE {written}: {path} sets the escape character to {:?}, the Dockerfile uses {:?}",
                    parsed.escape, main.escape
                ),
                at,
            ));
        }
        out.warnings.extend(parsed.warnings);
        stack.push(Frame {
            nodes: parsed.nodes.into_iter(),
            path,
        });
    }
    if !need.is_empty() {
        return Ok(Expansion::Need(need));
    }
    out.includes = includes;
    out.included_files = paths.clone();
    Ok(Expansion::Done(out))
}

/// An included file parsed, every place in it numbered `file`.
fn parse_included(text: &str, file: u32) -> Result<Ast, LocatedError> {
    if text.is_empty() {
        return Err(LocatedError::new("the included file is empty"));
    }
    let mut ast = parse(text).map_err(|mut e| {
        if let Some(l) = &mut e.location {
            l.file = file;
        }
        e
    })?;
    for node in &mut ast.nodes {
        let mut n = Some(node);
        while let Some(cur) = n {
            cur.location.file = file;
            n = cur.sub.as_deref_mut();
        }
    }
    for w in &mut ast.warnings {
        w.location.file = file;
    }
    Ok(ast)
}

/// INCLUDE's one argument: a path, no flags, no JSON form.
fn include_path(node: &Node) -> Result<String, String> {
    let rest = split_ws2(node.original.trim()).1.unwrap_or_default().trim();
    if !node.flags.is_empty() || rest.is_empty() || rest.split_whitespace().count() != 1 {
        return Err(format!(
            "INCLUDE takes one path (relative to the including file), got {:?}",
            rest
        ));
    }
    Ok(rest.to_string())
}

/// `path` relative to the directory of `from` (both relative to the source's root), cleaned;
/// refused when absolute or when it leaves the root.
fn resolve(from: &str, path: &str) -> Result<String, String> {
    if path.starts_with('/') {
        return Err(format!(
            "INCLUDE {path}: the path must be relative (to the including file)"
        ));
    }
    let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
    let joined = if dir.is_empty() {
        path.to_string()
    } else {
        format!("{dir}/{path}")
    };
    clean(&joined).ok_or_else(|| {
        format!("INCLUDE {path}: the path leaves the directory the Dockerfile is read from")
    })
}

/// `a/./b/../c` as `a/c`; None when `..` goes above the start.
fn clean(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
#[path = "include_tests.rs"]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests;
