//! The sync function: the bundle `agentctl sync` fetches (the only function that may
//! decrypt MCP credentials).

use agentctl_shared::auth::Caller;
use agentctl_shared::domain::fleet;
use agentctl_shared::domain::sync::{self, Bundle, Sync};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::{AppState, Error, Result};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_bundle))
}

/// The caller's sync bundle (format version 1). Send the last `ETag` as `If-None-Match`
/// to get a 304 when nothing changed. A bundle read within seconds of a change comes
/// without an `ETag` (it may still be settling): sync again in full next time. The
/// `agentctl-device` header carries the device's report (the fleet: base64url of its
/// JSON), recorded with the sync, a 304's too.
#[utoipa::path(get, path = "/v1/me/sync", tag = "sync",
    params(("If-None-Match" = Option<String>, Header, description = "ETag of the bundle the client has"),
        ("agentctl-device" = Option<String>, Header, description = "The device's report: base64url of a Posture's JSON")),
    responses(
        (status = 200, body = Bundle, headers(("ETag" = String, description = "Absent while a change settles"))),
        (status = 304, description = "The bundle is unchanged"),
        Problems
    ),
    security(("session" = [])))]
async fn get_bundle(State(state): State<AppState>, caller: Caller, headers: HeaderMap) -> Result<Response> {
    let if_none_match = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    let device = match headers.get(fleet::POSTURE_HEADER).map(|v| v.to_str()) {
        Some(Err(_)) => return Err(Error::BadRequest(format!("the {} header is not text", fleet::POSTURE_HEADER))),
        header => fleet::posture_of(header.and_then(Result::ok))?,
    };
    let (status, etag, body) = match sync::sync(&state, &caller, if_none_match, device).await? {
        Sync::NotModified { etag } => (StatusCode::NOT_MODIFIED, Some(etag), None),
        Sync::Bundle { etag, bundle } => (StatusCode::OK, etag, Some(bundle)),
    };
    let mut response = match body {
        Some(bundle) => (status, axum::Json(bundle)).into_response(),
        None => status.into_response(),
    };
    let headers = response.headers_mut();
    if let Some(Ok(value)) = etag.map(|etag| HeaderValue::from_str(&etag)) {
        headers.insert(header::ETAG, value);
    }
    // The bundle carries credentials: no cache may keep it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}
