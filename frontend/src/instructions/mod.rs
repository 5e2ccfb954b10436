//! Typed instructions: BuildKit's `frontend/dockerfile/instructions` (v0.34.2) on top of the
//! [`crate::syntax`] AST. Values stay unexpanded; flags follow BuildKit's `BFlags` rules and
//! errors are worded as BuildKit words them.

mod commands;
mod flags;
mod mount;
mod parse;
mod run;
pub(crate) mod suggest;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests;

pub use commands::*;
pub use mount::{parse_mount, parse_mount_with, Mount, MountType, ShareMode};
pub use parse::{
    parse_dockerfile, parse_instruction, parse_instruction_owned, parse_nodes, Instruction,
};
pub use run::{parse_device, Device, NetworkMode, SecurityMode};

// Go's CSV fields and ParseInt, for build options parsed like the reference (options.rs).
pub(crate) use mount::csv_fields;
