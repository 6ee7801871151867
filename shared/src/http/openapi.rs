//! The OpenAPI 3.1 document is generated from the handlers' annotations: each function's
//! router is a `utoipa_axum` `OpenApiRouter`, so a route cannot exist without its entry.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::problem::Problem;
use crate::validate::FieldError;

/// Security scheme of routes for employees (session token from `agentctl login`).
pub const SESSION: &str = "session";
/// Security scheme of the OTLP routes (a telemetry token, as the agent tools send it).
pub const TELEMETRY_TOKEN: &str = "telemetry_token";
/// Security scheme of routes for the platform operator.
pub const PLATFORM_KEY: &str = "platform_key";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "agentctl API",
        description = "Control plane for the AI coding agents and MCP servers of an organization. \
            Errors are RFC 9457 problem+json. Lists are paginated with `limit` and an opaque `cursor`.",
        version = "1.0.0"
    ),
    modifiers(&SecuritySchemes),
    components(schemas(Problem, FieldError, super::otlp::Status))
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            let mut http = Http::new(HttpAuthScheme::Bearer);
            http.description = Some(description.to_string());
            SecurityScheme::Http(http)
        };
        components.add_security_scheme(SESSION, bearer("Session token (`acs_...`) from POST /v1/sessions"));
        components.add_security_scheme(
            TELEMETRY_TOKEN,
            bearer("Telemetry token (`act_...`) from POST /v1/me/telemetry-token: the OTLP routes only"),
        );
        components.add_security_scheme(PLATFORM_KEY, bearer("Platform operator key (`acp_...`)"));
    }
}

/// The document every router starts from.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The problem responses any route may give.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its generated OpenAPI description is used.
pub enum Problems {
    /// Malformed request: invalid JSON, unknown query parameter, invalid cursor.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// Missing or rejected credentials.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// The caller's role lacks the permission.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such resource for this caller (other organizations' ids included).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// Conflicts with the current state (duplicate, limit reached, wrong status).
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The body is larger than the limit (256 KiB).
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Problem),
    /// The body is not JSON.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// Invalid fields, listed in `errors`.
    #[response(status = 422, content_type = "application/problem+json")]
    Validation(Problem),
    /// Busy or briefly unavailable: retry after `Retry-After` seconds.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}
