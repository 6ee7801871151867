//! The docs function: the API's OpenAPI document, as the deployed API serves it.
//!
//! The document is generated from the code (`devserver::openapi()`, every function's
//! routes) into `docs/openapi.json`, which this function embeds; a test keeps the file
//! equal to what the code generates (`cargo run -p devserver --bin openapi`).

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The document, as generated from the code.
pub const DOCUMENT: &str = include_str!("../../../docs/openapi.json");

/// The function's routes, for any router state (the dev server's, or none in Lambda).
pub fn router<S: Clone + Send + Sync + 'static>() -> OpenApiRouter<S> {
    OpenApiRouter::new().routes(routes!(openapi_document))
}

/// The API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "docs",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json",
        body = Object)),
    security(()))]
async fn openapi_document() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], DOCUMENT)
}
