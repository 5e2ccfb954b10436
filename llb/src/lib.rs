//! A typed builder for BuildKit's LLB (low-level build) graphs.
//!
//! A [`State`] is one output of an operation (or scratch). Sources, exec, file, merge and diff
//! operations take states and give new ones; [`State::marshal`] turns the graph behind a state
//! into a [`Definition`](buildkit_proto::pb::Definition) with a stable op order and digests.
//! The crate knows nothing about Dockerfiles.

mod definition;
mod exec;
mod file;
mod marshal;
mod merge;
mod metadata;
mod platform;
pub mod reference;
mod replace;
mod source;
mod state;

pub use definition::DefinitionError;
pub use exec::{
    CacheSharing, Exec, ExecOutputs, FileSecret, Mount, MountKind, NetMode, SecretEnv, SecurityMode,
};
pub use file::{
    clean as clean_path, normalize_path_in, Chown, CopyOptions, FileActions, MkdirOptions,
    MkfileOptions, RmOptions, UserSpec,
};
pub use marshal::{digest_of, MarshalError};
pub use merge::{diff, merge};
pub use metadata::{Metadata, SourceFile, SourceLocation};
pub use platform::{Platform, PlatformError};
pub use source::{GitOptions, HttpOptions, ImageOptions, LocalOptions};
pub use state::State;

pub use buildkit_proto::pb;
