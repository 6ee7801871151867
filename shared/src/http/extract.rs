//! Extractors whose rejections are the application's own [`Error`] (so every bad request
//! is answered with problem+json), and the extractors that say who is calling.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::{Caller, Principal};
use crate::error::Error;

/// A JSON body. Field errors name the offending field (`owner.email`, `settings`).
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let mime = media_type(req.headers());
        if mime != "application/json" && !mime.ends_with("+json") {
            return Err(Error::UnsupportedMediaType("JSON (Content-Type: application/json)"));
        }
        let bytes = body(req, state, crate::lambda::MAX_BODY_BYTES).await?;
        crate::strict_json::from_slice(&bytes).map(Json)
    }
}

/// The request's media type (`Content-Type` without parameters), lowercase; empty if
/// there is none.
pub fn media_type(headers: &axum::http::HeaderMap) -> String {
    let value = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// The request body, within the route's body limit (`limit` is what the refusal says).
pub async fn body<S: Send + Sync>(req: Request, state: &S, limit: usize) -> Result<Bytes, Error> {
    Bytes::from_request(req, state).await.map_err(|rejection| refused_body(&rejection, limit))
}

/// What a body that could not be read means: over the route's limit (`limit`, what the
/// refusal says), or unreadable.
pub fn refused_body(rejection: &axum::extract::rejection::BytesRejection, limit: usize) -> Error {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Error::PayloadTooLarge(limit)
    } else {
        Error::BadRequest(rejection.body_text())
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Path parameters. A malformed id cannot name anything: 404.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|_| Error::NotFound("resource"))
    }
}

/// Query parameters; unknown or malformed ones are a 400.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e| Error::BadRequest(e.body_text()))
    }
}

/// The principal the authorizer established: from the API Gateway request context in
/// Lambda, or from the extension the dev server's authorizer layer inserted.
pub fn principal(parts: &Parts) -> Option<Principal> {
    if let Some(principal) = parts.extensions.get::<Principal>() {
        return Some(principal.clone());
    }
    match parts.extensions.get::<lambda_http::request::RequestContext>()? {
        lambda_http::request::RequestContext::ApiGatewayV2(context) => {
            Principal::from_context(&context.authorizer.as_ref()?.fields)
        }
        _ => None,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        match principal(parts) {
            Some(Principal::Employee(caller)) => Ok(caller),
            Some(Principal::Platform) => Err(Error::Forbidden("this route is for employees of an organization".into())),
            None => Err(Error::Unauthenticated("sign in: Authorization: Bearer <session token>".into())),
        }
    }
}

/// Anyone the authorizer let in: the platform operator or an employee.
impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        principal(parts).ok_or_else(|| Error::Unauthenticated("Authorization: Bearer <token> required".into()))
    }
}

/// The client's IP address: API Gateway's `sourceIp`, or the dev server's peer.
pub struct ClientIp(pub Option<String>);

/// The dev server inserts the peer address as this extension.
#[derive(Clone, Debug)]
pub struct PeerIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        if let Some(PeerIp(ip)) = parts.extensions.get::<PeerIp>() {
            return Ok(ClientIp(Some(ip.clone())));
        }
        let ip = match parts.extensions.get::<lambda_http::request::RequestContext>() {
            Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
            _ => None,
        };
        Ok(ClientIp(ip))
    }
}

/// The API's public base URL: the configured one, else `https://` and the request's
/// `Host` (API Gateway sets it to the name the client called).
pub struct PublicUrl(pub String);

impl FromRequestParts<crate::AppState> for PublicUrl {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &crate::AppState) -> Result<Self, Error> {
        if let Some(url) = &state.config.public_url {
            return Ok(PublicUrl(url.clone()));
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| {
                !h.is_empty() && h.len() <= 253 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b))
            })
            .ok_or_else(|| Error::BadRequest("the request has no usable Host header".into()))?;
        Ok(PublicUrl(format!("https://{host}")))
    }
}
