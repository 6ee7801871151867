//! The usage function: usage reports over HTTPS (queued for the usage processor) and
//! usage analytics read from rollups.

use agentctl_shared::auth::Caller;
use agentctl_shared::domain::analytics::{
    self, BreakdownBy, BreakdownQuery, DailyUsage, RangeQuery, TeamUsage, UsageLine,
};
use agentctl_shared::domain::exports::{self, Export, UsageExportQuery};
use agentctl_shared::domain::prices::{self, NewPriceTable, PriceTable};
use agentctl_shared::domain::telemetry::{
    self, Encoding, ExportLogsServiceRequest, ExportLogsServiceResponse, ExportMetricsServiceRequest,
    ExportMetricsServiceResponse, TelemetryToken,
};
use agentctl_shared::domain::usage::{self, Accepted, UsageBatch};
use agentctl_shared::http::extract::media_type;
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::otlp::Otlp;
use agentctl_shared::http::otlp::OtlpErrors;
use agentctl_shared::http::{Json, Path, Query};
use agentctl_shared::pagination::Page;
use agentctl_shared::{AppState, Result};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report_usage))
        .routes(routes!(telemetry_token))
        .routes(routes!(current_prices, save_prices))
        .routes(routes!(price_version))
        .routes(routes!(team_usage))
        .routes(routes!(usage_breakdown))
        .routes(routes!(top_spenders))
        .routes(routes!(daily_usage))
        .routes(routes!(export_usage))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(export_metrics))
                .routes(routes!(export_logs))
                .routes(routes!(export_traces))
                .layer(DefaultBodyLimit::max(telemetry::MAX_BODY_BYTES))
                .layer(axum::middleware::from_fn(agentctl_shared::http::otlp::status_errors)),
        )
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

/// OTLP/HTTP metrics from the agent tools (protobuf or JSON; answered alike): Claude
/// Code's cost and token metrics, Gemini CLI's token metrics (cumulative series counted
/// as deltas) become the caller's usage. Other metrics are read past.
#[utoipa::path(post, path = "/v1/otlp/v1/metrics", tag = "telemetry",
    request_body(description = "An OTLP ExportMetricsServiceRequest",
        content((Object = "application/x-protobuf"), (Object = "application/json"))),
    responses((status = 200, description = "An ExportMetricsServiceResponse (partialSuccess: what did not count, and why)",
        content((Object = "application/x-protobuf"), (Object = "application/json"))), OtlpErrors),
    security(("telemetry_token" = []), ("session" = [])))]
async fn export_metrics(
    State(state): State<AppState>,
    caller: Caller,
    Otlp(encoding, request): Otlp<ExportMetricsServiceRequest>,
) -> Result<Otlp<ExportMetricsServiceResponse>> {
    Ok(Otlp(encoding, telemetry::export_metrics(&state, &caller, request).await?))
}

/// OTLP/HTTP logs from the agent tools (protobuf or JSON; answered alike): Claude Code's
/// `claude_code.api_request` and Codex's completed-response events become the caller's
/// usage, one request each. Other events are read past, never stored.
#[utoipa::path(post, path = "/v1/otlp/v1/logs", tag = "telemetry",
    request_body(description = "An OTLP ExportLogsServiceRequest",
        content((Object = "application/x-protobuf"), (Object = "application/json"))),
    responses((status = 200, description = "An ExportLogsServiceResponse (partialSuccess: what did not count, and why)",
        content((Object = "application/x-protobuf"), (Object = "application/json"))), OtlpErrors),
    security(("telemetry_token" = []), ("session" = [])))]
async fn export_logs(
    State(state): State<AppState>,
    caller: Caller,
    Otlp(encoding, request): Otlp<ExportLogsServiceRequest>,
) -> Result<Otlp<ExportLogsServiceResponse>> {
    Ok(Otlp(encoding, telemetry::export_logs(&state, &caller, request).await?))
}

/// OTLP/HTTP traces: accepted and discarded (usage comes from metrics and logs). Gemini
/// CLI exports traces wherever it exports the rest, and reports a refusal on the
/// developer's terminal.
#[utoipa::path(post, path = "/v1/otlp/v1/traces", tag = "telemetry",
    request_body(description = "An OTLP ExportTraceServiceRequest (not read)",
        content((Object = "application/x-protobuf"), (Object = "application/json"))),
    responses((status = 200, description = "An empty ExportTraceServiceResponse",
        content((Object = "application/x-protobuf"), (Object = "application/json"))), OtlpErrors),
    security(("telemetry_token" = []), ("session" = [])))]
async fn export_traces(_: Caller, request: axum::extract::Request) -> Result<axum::response::Response> {
    let encoding = Encoding::of(&media_type(request.headers()))?;
    // Not read, but refused over the limit like the other signals.
    agentctl_shared::http::extract::body(request, &(), telemetry::MAX_BODY_BYTES).await?;
    Ok(match encoding {
        Encoding::Protobuf => ([(header::CONTENT_TYPE, Encoding::PROTOBUF)], Bytes::new()).into_response(),
        Encoding::Json => Json(serde_json::json!({})).into_response(),
    })
}

/// A telemetry token for the caller's agent tools (`agentctl sync` asks for one): good
/// on the OTLP routes only, for 30 days. Shown once.
#[utoipa::path(post, path = "/v1/me/telemetry-token", tag = "telemetry",
    responses((status = 201, body = TelemetryToken), Problems), security(("session" = [])))]
async fn telemetry_token(State(state): State<AppState>, caller: Caller) -> Result<(StatusCode, Json<TelemetryToken>)> {
    Ok((StatusCode::CREATED, Json(telemetry::token::issue(&state, &caller).await?)))
}

/// The model price table in force (version 0: agentctl's list prices), which prices
/// usage reported as tokens without a cost.
#[utoipa::path(get, path = "/v1/model-prices", tag = "usage",
    responses((status = 200, body = PriceTable), Problems), security(("session" = [])))]
async fn current_prices(State(state): State<AppState>, caller: Caller) -> Result<Json<PriceTable>> {
    Ok(Json(prices::current(&state, &caller).await?))
}

/// Save a new version of the model price table (the whole list). It prices usage
/// processed from then on; earlier records keep the version that priced them.
#[utoipa::path(put, path = "/v1/model-prices", tag = "usage", request_body = NewPriceTable,
    responses((status = 200, body = PriceTable), Problems), security(("session" = [])))]
async fn save_prices(
    State(state): State<AppState>,
    caller: Caller,
    Json(table): Json<NewPriceTable>,
) -> Result<Json<PriceTable>> {
    Ok(Json(prices::save(&state, &caller, table).await?))
}

/// One saved version of the model price table (usage records name theirs).
#[utoipa::path(get, path = "/v1/model-prices/versions/{version}", tag = "usage",
    params(("version" = u32, Path)), responses((status = 200, body = PriceTable), Problems),
    security(("session" = [])))]
async fn price_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(version): Path<u32>,
) -> Result<Json<PriceTable>> {
    Ok(Json(prices::version(&state, &caller, version).await?))
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
