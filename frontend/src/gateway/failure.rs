//! Why a build or subrequest failed, and the one place it becomes the `google.rpc.Status`
//! returned to BuildKit: located in the Dockerfile (with an `errdefs.Source` detail), plain,
//! or a daemon's status passed on as is.

use buildkit_proto::google::rpc::Status;
use buildkit_proto::pb;

use super::bridge::GrpcError;
use crate::error::{plain_status, status_from_grpc, LocatedError};

/// Why a build failed: located in the Dockerfile, or not.
pub enum Failure {
    Located {
        error: LocatedError,
        /// The Dockerfile it points into (boxed: it holds the definition the Dockerfile was
        /// loaded with, and every `Result` with a `Failure` would carry its size).
        info: Box<pb::SourceInfo>,
    },
    Plain(String),
    /// A status as is: a daemon error with its details, or another frontend's error.
    Status(Status),
}

impl Failure {
    pub fn to_status(&self) -> Status {
        match self {
            Failure::Located { error, info } => error.to_status(info),
            Failure::Plain(m) => plain_status(m),
            Failure::Status(s) => s.clone(),
        }
    }

    /// The message and lines, as `frontend.lint` reports a build error.
    pub fn into_located(self) -> LocatedError {
        match self {
            Failure::Located { error, .. } => error,
            Failure::Plain(m) => LocatedError::new(m),
            Failure::Status(s) => LocatedError::new(s.message),
        }
    }
}

impl From<anyhow::Error> for Failure {
    /// Keeps the details of a daemon error (a failed RUN's location, exit code, vertex).
    fn from(e: anyhow::Error) -> Self {
        match e.downcast_ref::<GrpcError>() {
            Some(g) => Failure::Status(Status {
                message: format!("{e:#}"),
                ..status_from_grpc(&g.0)
            }),
            None => Failure::Plain(format!("{e:#}")),
        }
    }
}
