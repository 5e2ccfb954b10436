//! The error type of the typed-instruction layer.

use crate::syntax::Location;

/// An instruction BuildKit would reject, worded as BuildKit words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InstructionError {
    pub message: String,
    pub location: Option<Location>,
}

impl InstructionError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        InstructionError {
            message: message.into(),
            location: None,
        }
    }

    pub(crate) fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }
}

impl From<String> for InstructionError {
    fn from(message: String) -> Self {
        InstructionError::new(message)
    }
}

impl From<&str> for InstructionError {
    fn from(message: &str) -> Self {
        InstructionError::new(message)
    }
}
