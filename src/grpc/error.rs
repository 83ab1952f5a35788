//! The one place service errors become gRPC statuses. Messages never hold personal data: no
//! MRZ, names, document numbers or APDU payloads (chip errors carry status words and lengths
//! only).

use tonic::{Code, Status};

use crate::chip::{ChipError, TransportError};

/// Everything a call can fail with.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A request field is missing or malformed.
    #[error("invalid {field}: {reason}")]
    InvalidArgument {
        /// The field.
        field: &'static str,
        /// Why (no personal data).
        reason: String,
    },
    /// No usable client identity.
    #[error("no client identity: {0}")]
    Unauthenticated(&'static str),
    /// The caller's role may not call this method.
    #[error("role {role} may not call {method}")]
    PermissionDenied {
        /// The caller's role.
        role: &'static str,
        /// The method.
        method: &'static str,
    },
    /// Rate or concurrency limit reached.
    #[error("{0}")]
    Limited(&'static str),
    /// The named reader does not exist.
    #[error("no reader named {0:?}")]
    ReaderNotFound(String),
    /// Another inspection holds the reader.
    #[error("reader {0:?} is busy with another inspection")]
    ReaderBusy(String),
    /// No card arrived in time.
    #[error("no card on reader {0:?} in time")]
    NoCard(String),
    /// The chip session failed.
    #[error("chip: {0}")]
    Chip(#[from] ChipError),
    /// The reader stack failed.
    #[error("reader: {0}")]
    Transport(#[from] TransportError),
    /// A backing store is not configured or not usable.
    #[error("{0} unavailable: {1}")]
    Unavailable(&'static str, String),
    /// An import was refused (the store is unchanged).
    #[error("import refused: {0}")]
    ImportRefused(String),
    /// A bug or an unexpected environment failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// The gRPC code.
    pub fn code(&self) -> Code {
        match self {
            ServiceError::InvalidArgument { .. } => Code::InvalidArgument,
            ServiceError::Unauthenticated(_) => Code::Unauthenticated,
            ServiceError::PermissionDenied { .. } => Code::PermissionDenied,
            ServiceError::Limited(_) => Code::ResourceExhausted,
            ServiceError::ReaderNotFound(_) => Code::NotFound,
            ServiceError::ReaderBusy(_) => Code::Unavailable,
            ServiceError::NoCard(_) => Code::DeadlineExceeded,
            ServiceError::Chip(ChipError::Transport(TransportError::Cancelled))
            | ServiceError::Transport(TransportError::Cancelled) => Code::Cancelled,
            ServiceError::Chip(ChipError::Transport(TransportError::CardRemoved))
            | ServiceError::Transport(TransportError::CardRemoved) => Code::Aborted,
            // The chip refused access (wrong MRZ/CAN) or broke protocol: the request reached
            // a state where it cannot go on.
            ServiceError::Chip(_) => Code::FailedPrecondition,
            ServiceError::Transport(_) | ServiceError::Unavailable(..) => Code::Unavailable,
            ServiceError::ImportRefused(_) => Code::InvalidArgument,
            ServiceError::Internal(_) => Code::Internal,
        }
    }
}

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Status {
        Status::new(e.code(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(
            Status::from(ServiceError::PermissionDenied {
                role: "terminal",
                method: "ImportTrust"
            })
            .code(),
            Code::PermissionDenied
        );
        assert_eq!(
            ServiceError::Chip(ChipError::Transport(TransportError::Cancelled)).code(),
            Code::Cancelled
        );
        assert_eq!(
            ServiceError::Transport(TransportError::CardRemoved).code(),
            Code::Aborted
        );
        assert_eq!(
            ServiceError::Limited("rate").code(),
            Code::ResourceExhausted
        );
    }
}
