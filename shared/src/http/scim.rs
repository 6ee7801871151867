//! SCIM's HTTP edge: the extractor that authenticates an organization's SCIM token (a
//! refusal is a SCIM error body, RFC 7644 §3.12) and the SCIM answers, with the
//! `application/scim+json` media type.

use axum::extract::FromRequestParts;
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::AppState;
use crate::domain::scim::{CONTENT_TYPE, ScimClient, ScimError, tokens};

/// The organization (and token) a SCIM request's bearer token provisions.
pub struct Scim(pub ScimClient);

impl FromRequestParts<AppState> for Scim {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimError> {
        let authorization = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        tokens::authenticate(state, authorization).await.map(Scim)
    }
}

/// A successful SCIM answer.
pub enum ScimAnswer {
    Ok(Value),
    /// A created resource, found where its `meta.location` says (RFC 7644 §3.3).
    Created(Value),
    NoContent,
}

/// `body` as a SCIM answer with `status`.
fn respond(status: StatusCode, body: Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

impl IntoResponse for ScimAnswer {
    fn into_response(self) -> Response {
        match self {
            ScimAnswer::Ok(body) => respond(StatusCode::OK, body),
            ScimAnswer::Created(body) => {
                let location = body["meta"]["location"].as_str().and_then(|l| HeaderValue::from_str(l).ok());
                let mut response = respond(StatusCode::CREATED, body);
                if let Some(location) = location {
                    response.headers_mut().insert(header::LOCATION, location);
                }
                response
            }
            ScimAnswer::NoContent => StatusCode::NO_CONTENT.into_response(),
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            tracing::error!(error = ?cause, "SCIM request failed");
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        respond(status, self.body())
    }
}
