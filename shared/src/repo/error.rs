//! The storage layer's one error, and how an SDK error is classified (retryable or not).

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use super::Guard;
use crate::pagination::InvalidCursor;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write failed: which guard.
    #[error("condition failed: {0:?}")]
    ConditionFailed(Guard),
    /// Throttled, conflicting or unreachable: worth retrying.
    #[error("dynamodb is throttling or unreachable")]
    Throttled(#[source] BoxError),
    #[error("dynamodb request failed")]
    Backend(#[source] BoxError),
    /// A transaction DynamoDB refused for what its items are (a validation error, an
    /// item collection over its size): retrying cannot help.
    #[error("dynamodb refused the transaction: {}", .0.join(", "))]
    Refused(Vec<String>),
    #[error("stored item is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    InvalidCursor(#[from] InvalidCursor),
}

/// Error codes DynamoDB returns for requests that may succeed when retried.
const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionConflictException",
    "TransactionInProgressException",
    "InternalServerError",
    "ServiceUnavailable",
];

pub(crate) fn classify<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let retryable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ServiceError(service) => service.err().code().is_some_and(|c| RETRYABLE_CODES.contains(&c)),
        _ => false,
    };
    if retryable { StoreError::Throttled(Box::new(err)) } else { StoreError::Backend(Box::new(err)) }
}
