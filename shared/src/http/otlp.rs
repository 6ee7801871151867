//! OTLP/HTTP bodies: requests read as protobuf or JSON by their `Content-Type`, and
//! answered in the same encoding, as the OTLP specification asks.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::extract::{body, media_type};
use crate::domain::telemetry::{Encoding, MAX_BODY_BYTES};
use crate::error::Error;

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
