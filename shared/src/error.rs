//! The application's error: what domain logic and handlers return.
//!
//! Mapped to an RFC 9457 problem+json response in exactly one place
//! ([`crate::http::problem`]). Internal causes are logged there, never sent to the client.

use crate::auth::Forbidden;
use crate::pagination::{InvalidCursor, PageError};
use crate::queue::QueueError;
use crate::repo::StoreError;
use crate::validate::FieldError;
use crate::vault::VaultError;

pub use agentctl_wire::problem::ProblemCode;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is well-formed JSON but some fields are invalid.
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    /// The request cannot be read at all (malformed JSON, bad query string, bad cursor).
    #[error("{0}")]
    BadRequest(String),
    /// The body's `Content-Type` is not one the route reads (which ones it does).
    #[error("the request body must be {0}")]
    UnsupportedMediaType(&'static str),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The resource does not exist *for this caller* (another org's ids land here too).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state (duplicate, limit, wrong status).
    #[error("{detail}")]
    Conflict { code: ProblemCode, detail: String },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    /// A dependency is throttling or briefly unavailable: the client may retry.
    #[error("the service is busy, retry shortly")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    pub fn conflict(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self::Conflict { code, detail: detail.into() }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError { field: field.into(), message: message.into() }])
    }

    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(e.into())
    }
}

impl From<QueueError> for Error {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::NotConfigured(_) => Self::Internal(Box::new(e)),
            QueueError::Unavailable(..) => Self::Unavailable(Box::new(e)),
        }
    }
}

impl From<VaultError> for Error {
    fn from(e: VaultError) -> Self {
        match e {
            // Only MCP credentials can be that large (other secrets are validated shorter).
            VaultError::TooLarge => Self::invalid("credentials", e.to_string()),
            // KMS throttling or an outage: worth retrying (503), like DynamoDB's.
            VaultError::Unavailable(_) => Self::Unavailable(Box::new(e)),
            VaultError::NoKey | VaultError::Undecryptable(_) => Self::internal(e),
        }
    }
}

impl From<Forbidden> for Error {
    fn from(e: Forbidden) -> Self {
        Self::Forbidden(e.0)
    }
}

impl From<PageError> for Error {
    fn from(e: PageError) -> Self {
        match e {
            PageError::Limit => Self::invalid("limit", e.to_string()),
            PageError::Cursor(_) => Self::BadRequest(e.to_string()),
        }
    }
}

impl From<InvalidCursor> for Error {
    fn from(e: InvalidCursor) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Throttled(_) => Self::Unavailable(Box::new(e)),
            StoreError::InvalidCursor(e) => e.into(),
            other => Self::Internal(Box::new(other)),
        }
    }
}

/// An error with its causes (`the service is busy: dynamodb is throttling: ...`): the
/// first line often hides why. (URLs and SDK errors carry no secrets; bodies are never
/// part of an error.)
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
