//! The API paths the CLI calls, in one place (the server's routes are in its OpenAPI
//! document, `GET /v1/openapi.json`).

use std::fmt::Display;

pub const SESSIONS: &str = "/v1/sessions";
pub const CURRENT_SESSION: &str = "/v1/sessions/current";
pub const OAUTH_AUTHORIZE: &str = "/v1/oauth/authorize";
pub const OAUTH_DEVICE_AUTHORIZATION: &str = "/v1/oauth/device_authorization";
pub const OAUTH_TOKEN: &str = "/v1/oauth/token";
/// Under the server's URL: where the tools' OTLP exporters send (they add `/v1/logs`, ...).
pub const OTLP: &str = "/v1/otlp";
pub const ME: &str = "/v1/me";
pub const MY_SYNC: &str = "/v1/me/sync";
pub const MY_REQUESTS: &str = "/v1/me/requests";
pub const MY_TELEMETRY_TOKEN: &str = "/v1/me/telemetry-token";
pub const REQUESTS: &str = "/v1/requests";
pub const PENDING_REQUESTS: &str = "/v1/requests/pending";
pub const EMPLOYEES: &str = "/v1/employees";
pub const SUBSCRIPTION: &str = "/v1/org/subscription";

/// A catalog's list (`kind`: agents, tools, mcp-servers).
pub fn catalog(kind: &str) -> String {
    format!("/v1/catalog/{kind}")
}

pub fn catalog_entry(kind: &str, id: impl Display) -> String {
    format!("/v1/catalog/{kind}/{id}")
}

pub fn cancel_request(id: impl Display) -> String {
    format!("/v1/requests/{id}/cancel")
}

pub fn decisions(id: impl Display) -> String {
    format!("/v1/requests/{id}/decisions")
}

/// One's own credentials for an assigned MCP server.
pub fn my_assignment_credentials(assignment_id: impl Display) -> String {
    format!("/v1/me/assignments/{assignment_id}/credentials")
}

/// The credentials of one's personal MCP configuration.
pub fn config_credentials(employee_id: impl Display, config_id: impl Display) -> String {
    format!("/v1/employees/{employee_id}/mcp-configs/{config_id}/credentials")
}

pub fn enrollment_codes(employee_id: impl Display) -> String {
    format!("/v1/employees/{employee_id}/enrollment-codes")
}

/// `what`: usage or activity.
pub fn export(what: &str) -> String {
    format!("/v1/{what}/export")
}
