//! RFC 9457 problem details: the one place where [`Error`] becomes an HTTP response.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::Error;
use crate::validate::FieldError;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// An `application/problem+json` body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable URI of the problem type (`urn:agentctl:problem:<code>`).
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, also the last segment of `type`.
    pub code: String,
    /// Field errors of a validation problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            type_uri: format!("urn:agentctl:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_string(),
            errors: Vec::new(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(self)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        response
    }
}

impl Error {
    fn to_problem(&self) -> Problem {
        match self {
            Error::Validation(errors) => Problem {
                errors: errors.clone(),
                ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", self.to_string())
            },
            Error::BadRequest(detail) => Problem::new(StatusCode::BAD_REQUEST, "bad_request", detail),
            Error::UnsupportedMediaType => {
                Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", self.to_string())
            }
            Error::PayloadTooLarge(_) => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", self.to_string())
            }
            Error::NotFound(_) => Problem::new(StatusCode::NOT_FOUND, "not_found", self.to_string()),
            Error::Conflict { code, detail } => Problem::new(StatusCode::CONFLICT, code, detail),
            Error::Unauthenticated(detail) => Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail),
            Error::Forbidden(detail) => Problem::new(StatusCode::FORBIDDEN, "forbidden", detail),
            Error::Unavailable(_) => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", self.to_string()),
            Error::Internal(_) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", self.to_string()),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        // The cause chain goes to the log; the client gets only the opaque problem.
        match &self {
            Error::Internal(cause) => {
                tracing::error!(error = %self, cause = ?cause, "request failed")
            }
            Error::Unavailable(cause) => {
                tracing::warn!(error = %self, cause = ?cause, "dependency unavailable")
            }
            _ => {}
        }
        let mut response = self.to_problem().into_response();
        if matches!(self, Error::Unavailable(_)) {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problems_carry_field_errors() {
        let response = Error::invalid("email", "must be an email address").into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let problem = Error::internal("secret connection string").to_problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("secret"));
    }
}
