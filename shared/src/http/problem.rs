//! RFC 9457 problem details: the one place where [`Error`] becomes an HTTP response.

use crate::Name;
use crate::error::Error;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub use agentctl_wire::problem::{Problem, ProblemCode};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// A problem of `status` with no field errors.
pub fn problem(status: StatusCode, code: ProblemCode, detail: impl Into<String>) -> Problem {
    Problem {
        type_uri: format!("urn:agentctl:problem:{}", code.as_str()),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail: detail.into(),
        code,
        errors: Vec::new(),
    }
}

/// The HTTP status of `problem` (its `status` is always one: problems are made from them).
pub fn status(problem: &Problem) -> StatusCode {
    StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The response that carries `problem`.
pub fn respond(problem: Problem) -> Response {
    let mut response = (status(&problem), axum::Json(problem)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

impl Error {
    fn to_problem(&self) -> Problem {
        match self {
            Error::Validation(errors) => Problem {
                errors: errors.clone(),
                ..problem(StatusCode::UNPROCESSABLE_ENTITY, ProblemCode::Validation, self.to_string())
            },
            Error::BadRequest(detail) => problem(StatusCode::BAD_REQUEST, ProblemCode::BadRequest, detail),
            Error::UnsupportedMediaType(_) => {
                problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, ProblemCode::UnsupportedMediaType, self.to_string())
            }
            Error::PayloadTooLarge(_) => {
                problem(StatusCode::PAYLOAD_TOO_LARGE, ProblemCode::PayloadTooLarge, self.to_string())
            }
            Error::NotFound(_) => problem(StatusCode::NOT_FOUND, ProblemCode::NotFound, self.to_string()),
            Error::Conflict { code, detail } => problem(StatusCode::CONFLICT, *code, detail),
            Error::Unauthenticated(detail) => problem(StatusCode::UNAUTHORIZED, ProblemCode::Unauthenticated, detail),
            Error::Forbidden(detail) => problem(StatusCode::FORBIDDEN, ProblemCode::Forbidden, detail),
            Error::Unavailable(_) => {
                problem(StatusCode::SERVICE_UNAVAILABLE, ProblemCode::Unavailable, self.to_string())
            }
            Error::Internal(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, ProblemCode::Internal, self.to_string()),
        }
    }
}

impl Error {
    /// The problem the client is told. The cause chain goes to the log; the client gets
    /// only the opaque problem.
    pub fn report(&self) -> Problem {
        match self {
            Error::Internal(cause) => {
                tracing::error!(error = %self, cause = ?cause, "request failed")
            }
            Error::Unavailable(cause) => {
                tracing::warn!(error = %self, cause = ?cause, "dependency unavailable")
            }
            _ => {}
        }
        self.to_problem()
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response = respond(self.report());
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
