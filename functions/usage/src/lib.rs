//! The usage function: usage reports over HTTPS (queued for the usage processor) and
//! usage analytics read from rollups.

use agentctl_shared::auth::Caller;
use agentctl_shared::domain::analytics::{
    self, BreakdownBy, BreakdownQuery, DailyUsage, RangeQuery, TeamUsage, UsageLine,
};
use agentctl_shared::domain::exports::{self, Export, UsageExportQuery};
use agentctl_shared::domain::otlp::{self, ExportMetrics, ExportResult};
use agentctl_shared::domain::usage::{self, Accepted, UsageBatch};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::{Json, Query};
use agentctl_shared::pagination::Page;
use agentctl_shared::{AppState, Result};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report_usage))
        .routes(routes!(export_metrics))
        .routes(routes!(team_usage))
        .routes(routes!(usage_breakdown))
        .routes(routes!(top_spenders))
        .routes(routes!(daily_usage))
        .routes(routes!(export_usage))
}

/// Export the raw usage records of whole days (UTC) as CSV or JSON Lines, streamed page
/// by page (finance: needs usage and subscription reading).
#[utoipa::path(get, path = "/v1/usage/export", tag = "usage", params(UsageExportQuery),
    responses((status = 200, description = "CSV (text/csv) or JSON Lines (application/x-ndjson)",
        content((String = "text/csv"), (String = "application/x-ndjson"))), Problems),
    security(("session" = [])))]
async fn export_usage(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<UsageExportQuery>,
) -> Result<Export> {
    exports::usage(&state, &caller, query).await
}

/// Report usage events (format version 1; at most 100). `org_id` and `employee_id`
/// default to the caller's; another employee's usage needs `usage:write`. Events are
/// queued and counted once per event id.
#[utoipa::path(post, path = "/v1/usage", tag = "usage", request_body = UsageBatch,
    responses((status = 202, body = Accepted), Problems), security(("session" = [])))]
async fn report_usage(
    State(state): State<AppState>,
    caller: Caller,
    Json(batch): Json<UsageBatch>,
) -> Result<(StatusCode, Json<Accepted>)> {
    Ok((StatusCode::ACCEPTED, Json(usage::submit(&state, &caller, batch).await?)))
}

/// OTLP/HTTP metrics endpoint (JSON encoding) for Claude Code's telemetry: point
/// `OTEL_EXPORTER_OTLP_ENDPOINT` at `<api>/v1/otlp` with `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`
/// and `OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer <session token>`. Cost and token
/// metrics become the caller's usage events.
#[utoipa::path(post, path = "/v1/otlp/v1/metrics", tag = "usage", request_body = ExportMetrics,
    responses((status = 200, body = ExportResult), Problems), security(("session" = [])))]
async fn export_metrics(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<ExportMetrics>,
) -> Result<Json<ExportResult>> {
    Ok(Json(otlp::export(&state, &caller, request).await?))
}

/// Every team's usage in a date range, most expensive first: members, their agent
/// configurations and the cost (teams without usage included).
#[utoipa::path(get, path = "/v1/usage/teams", tag = "usage", params(RangeQuery),
    responses((status = 200, body = Page<TeamUsage>), Problems), security(("session" = [])))]
async fn team_usage(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<RangeQuery>,
) -> Result<Json<Page<TeamUsage>>> {
    Ok(Json(analytics::teams(&state, &caller, &query).await?))
}

/// Usage by employee, agent, agent configuration or resource type, most expensive first.
#[utoipa::path(get, path = "/v1/usage/breakdown", tag = "usage", params(BreakdownQuery),
    responses((status = 200, body = Page<UsageLine>), Problems), security(("session" = [])))]
async fn usage_breakdown(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<BreakdownQuery>,
) -> Result<Json<Page<UsageLine>>> {
    Ok(Json(analytics::breakdown(&state, &caller, &query).await?))
}

/// The employees who spent most in a date range (the employee breakdown, 10 a page).
#[utoipa::path(get, path = "/v1/usage/top-spenders", tag = "usage", params(RangeQuery),
    responses((status = 200, body = Page<UsageLine>), Problems), security(("session" = [])))]
async fn top_spenders(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<RangeQuery>,
) -> Result<Json<Page<UsageLine>>> {
    let query = BreakdownQuery {
        by: BreakdownBy::Employee,
        from: query.from,
        to: query.to,
        limit: query.limit.or(Some(10)),
        cursor: query.cursor,
    };
    Ok(Json(analytics::breakdown(&state, &caller, &query).await?))
}

/// The organization's usage per day, days without usage included.
#[utoipa::path(get, path = "/v1/usage/daily", tag = "usage", params(RangeQuery),
    responses((status = 200, body = Page<DailyUsage>), Problems), security(("session" = [])))]
async fn daily_usage(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<RangeQuery>,
) -> Result<Json<Page<DailyUsage>>> {
    Ok(Json(analytics::daily(&state, &caller, &query).await?))
}
