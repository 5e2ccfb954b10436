//! The Dockerfile syntax: directives, continuations, heredocs, JSON and shell forms.

mod ast;

pub use ast::{Ast, Directive, Heredoc, Location, Node, Warning};
