//! The one error type of every layer that reads the Dockerfile (parser, instructions, converter,
//! checks), as BuildKit's `parser.LocationError` is: a message and, where it has a place in the
//! file, the lines. The gateway turns it into a gRPC status in one place (`crate::error`).

use super::Location;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LocatedError {
    pub message: String,
    pub location: Option<Location>,
}

impl LocatedError {
    /// An error without a place in the Dockerfile (yet: see [`LocatedError::or_at`]).
    pub fn new(message: impl Into<String>) -> Self {
        LocatedError {
            message: message.into(),
            location: None,
        }
    }

    pub fn at(message: impl Into<String>, location: Location) -> Self {
        LocatedError {
            message: message.into(),
            location: Some(location),
        }
    }

    /// This error placed at `location`, replacing any place it had.
    pub fn with_location(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Adds a location unless the error already has one (the innermost place wins, as with
    /// BuildKit's `parser.WithLocation`).
    pub fn or_at(mut self, location: Location) -> Self {
        self.location.get_or_insert(location);
        self
    }
}

impl From<String> for LocatedError {
    fn from(message: String) -> Self {
        LocatedError::new(message)
    }
}

impl From<&str> for LocatedError {
    fn from(message: &str) -> Self {
        LocatedError::new(message)
    }
}
