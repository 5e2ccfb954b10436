//! The Dockerfile syntax: directives, continuations, heredocs, JSON and shell forms.
//!
//! A port of BuildKit's `frontend/dockerfile/parser` (v0.34.2): [`parse`] accepts and rejects
//! the same files and produces the same words; [`Ast::dump`] prints BuildKit's s-expression
//! form for comparison.

mod args;
mod ast;
mod case;
mod directives;
mod dump;
mod heredoc;
pub mod include;
mod json;
mod lines;
mod located;
mod parse;
mod words;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests;

pub use ast::{Ast, Directive, Heredoc, Location, Node, Warning};
pub use directives::{detect_syntax, parse_directive, DetectedDirective};
pub use dump::dump_node_string;
pub use heredoc::chomp_heredoc_content;
pub use located::LocatedError;
pub use parse::parse;

pub(crate) use heredoc::must_parse_heredoc;
pub(crate) use parse::written_command;
