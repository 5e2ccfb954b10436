//! A typed builder for BuildKit's LLB (low-level build) graphs.
//!
//! A [`State`] is one output of an operation (or scratch). Sources, exec, file, merge and diff
//! operations take states and give new ones; [`State::marshal`] turns the graph behind a state
//! into a [`Definition`](buildkit_proto::pb::Definition) with a stable op order and digests.
//! The crate knows nothing about Dockerfiles.

mod definition;
mod digest;
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
pub use digest::digest_of;
pub use exec::{
    CacheSharing, CdiDevice, Exec, ExecMeta, ExecOutputs, FileSecret, HostIp, Mount, MountKind,
    NetMode, ProxyEnv, SecretEnv, SecurityMode, Ulimit,
};
pub use file::{
    clean as clean_path, normalize_path_in, Chown, CopyOptions, FileActions, MkdirOptions,
    MkfileOptions, RmOptions, UserSpec,
};
pub use marshal::MarshalError;
pub use merge::{diff, merge};
pub use metadata::{LinuxResources, Metadata, ProgressGroup, SourceFile, SourceLocation};
pub use platform::{Platform, PlatformError, PlatformErrorKind};
pub use source::{GitOptions, HttpOptions, ImageOptions, LocalOptions};
pub use state::{built_bytes, State};

/// A marshalled graph (`pb.Definition`), as [`State::marshal`] gives it and
/// [`State::from_definition`] reads it.
pub use buildkit_proto::pb::Definition;

pub use buildkit_proto::pb;
