//! OTLP/HTTP bodies: requests read as protobuf or JSON by their `Content-Type`, and
//! answered in the same encoding, errors included (a `google.rpc.Status`), as the OTLP
//! specification asks.

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::extract::{body, media_type};
use crate::domain::telemetry::{Encoding, MAX_BODY_BYTES};
use crate::error::Error;
use prost::Message as _;

/// An OTLP export request and how it was encoded.
pub struct Otlp<T>(pub Encoding, pub T);

impl<T, S> FromRequest<S> for Otlp<T>
where
    T: prost::Message + Default + DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let encoding = Encoding::of(&media_type(req.headers()))?;
        let body = body(req, state, MAX_BODY_BYTES).await?;
        Ok(Otlp(encoding, encoding.decode(&body)?))
    }
}

impl<T: prost::Message + Serialize> IntoResponse for Otlp<T> {
    fn into_response(self) -> Response {
        match self.0 {
            Encoding::Protobuf => {
                ([(header::CONTENT_TYPE, Encoding::PROTOBUF)], self.1.encode_to_vec()).into_response()
            }
            Encoding::Json => axum::Json(self.1).into_response(),
        }
    }
}

/// `google.rpc.Status`, the body of OTLP/HTTP's error answers.
#[derive(Clone, PartialEq, prost::Message, Serialize, utoipa::ToSchema)]
pub struct Status {
    /// A gRPC status code.
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

/// The gRPC code of an HTTP status (as gRPC's HTTP mapping reads them).
fn grpc_code(status: StatusCode) -> i32 {
    match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY | StatusCode::UNSUPPORTED_MEDIA_TYPE => 3,
        StatusCode::UNAUTHORIZED => 16,
        StatusCode::FORBIDDEN => 7,
        StatusCode::NOT_FOUND => 5,
        StatusCode::PAYLOAD_TOO_LARGE => 11,
        StatusCode::TOO_MANY_REQUESTS => 8,
        StatusCode::SERVICE_UNAVAILABLE => 14,
        _ => 13,
    }
}

/// Refusals of credentials: the gateway's authorizer answers them, as on every route.
const GATEWAY_REFUSALS: [StatusCode; 2] = [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN];

/// A layer of the OTLP routes: every refusal of the function (a body over the limit, a
/// bad body, a problem of the API) answered as a `google.rpc.Status` in the request's
/// encoding (JSON where it named none OTLP knows), with the same HTTP status and headers.
pub async fn status_errors(request: Request, next: Next) -> Response {
    let encoding = Encoding::of(&media_type(request.headers())).unwrap_or(Encoding::Json);
    let response = next.run(request).await;
    if response.status().is_success() || GATEWAY_REFUSALS.contains(&response.status()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, crate::lambda::MAX_BODY_BYTES).await.unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|problem| problem["detail"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).trim().to_string());
    let status = Status { code: grpc_code(parts.status), message };
    parts.headers.remove(header::CONTENT_LENGTH);
    let (content_type, body) = match encoding {
        Encoding::Protobuf => (Encoding::PROTOBUF, status.encode_to_vec()),
        Encoding::Json => ("application/json", serde_json::to_vec(&status).expect("a status serializes")),
    };
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// The error answers of the OTLP routes, for their OpenAPI description: a
/// `google.rpc.Status` as JSON or protobuf, but for the credentials' problem+json.
pub struct OtlpErrors;

impl utoipa::IntoResponses for OtlpErrors {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>> {
        use utoipa::openapi::{ContentBuilder, ResponseBuilder};
        let status = || ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name("Status"))).build();
        let problem = || ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name("Problem"))).build();
        let status_answer = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content("application/json", status())
                .content(Encoding::PROTOBUF, status())
                .build()
        };
        let problem_answer = |description: &str| {
            ResponseBuilder::new().description(description).content(super::problem::CONTENT_TYPE, problem()).build()
        };
        [
            ("400", status_answer("Not an OTLP export")),
            ("401", problem_answer("Missing or rejected credentials")),
            ("403", problem_answer("The credentials do not open this route")),
            ("404", status_answer("The caller's organization is gone")),
            ("413", status_answer("The body is larger than the limit (4 MB)")),
            ("415", status_answer("Neither application/x-protobuf nor application/json")),
            ("422", status_answer("More usage readings than one export may carry")),
            ("503", status_answer("Busy or briefly unavailable: retry")),
        ]
        .into_iter()
        .map(|(code, response)| (code.to_string(), response.into()))
        .collect()
    }
}
