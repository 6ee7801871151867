//! The requests function: employees file requests for agents, MCP servers and budget;
//! the approvers the organization's rules name decide them.

use agentctl_shared::auth::Caller;
use agentctl_shared::domain::requests::{
    self, AgentRequest, Cancellation, Decision, MyRequestsQuery, NewRequest, PendingQuery, RequestView,
};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::{Json, Path, Query};
use agentctl_shared::ids::RequestId;
use agentctl_shared::pagination::Page;
use agentctl_shared::{AppState, Result};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit_request))
        .routes(routes!(list_my_requests))
        .routes(routes!(list_pending_requests))
        .routes(routes!(get_request))
        .routes(routes!(decide_request))
        .routes(routes!(cancel_request))
}

/// File a request (for oneself): a catalog agent, an MCP server, or more budget.
#[utoipa::path(post, path = "/v1/requests", tag = "requests", request_body = NewRequest,
    responses((status = 201, body = AgentRequest), Problems), security(("session" = [])))]
async fn submit_request(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewRequest>,
) -> Result<(StatusCode, Json<AgentRequest>)> {
    Ok((StatusCode::CREATED, Json(requests::submit(&state, &caller, body).await?)))
}

/// The caller's own requests with their status, newest first.
#[utoipa::path(get, path = "/v1/me/requests", tag = "requests", params(MyRequestsQuery),
    responses((status = 200, body = Page<AgentRequest>), Problems), security(("session" = [])))]
async fn list_my_requests(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<MyRequestsQuery>,
) -> Result<Json<Page<AgentRequest>>> {
    Ok(Json(requests::list_mine(&state, &caller, &query).await?))
}

/// The pending requests the caller decides, oldest first (managers: their team's).
#[utoipa::path(get, path = "/v1/requests/pending", tag = "requests", params(PendingQuery),
    responses((status = 200, body = Page<AgentRequest>), Problems), security(("session" = [])))]
async fn list_pending_requests(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PendingQuery>,
) -> Result<Json<Page<AgentRequest>>> {
    Ok(Json(requests::pending(&state, &caller, &query).await?))
}

/// Read a request and its decisions (its requester and its deciders).
#[utoipa::path(get, path = "/v1/requests/{request_id}", tag = "requests", params(("request_id" = RequestId, Path)),
    responses((status = 200, body = RequestView), Problems), security(("session" = [])))]
async fn get_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<RequestId>,
) -> Result<Json<RequestView>> {
    Ok(Json(requests::get(&state, &caller, id).await?))
}

/// Approve or reject a request; the last approval needed provisions what it asks for.
#[utoipa::path(post, path = "/v1/requests/{request_id}/decisions", tag = "requests",
    params(("request_id" = RequestId, Path)), request_body = Decision,
    responses((status = 200, body = RequestView), Problems), security(("session" = [])))]
async fn decide_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Json(body): Json<Decision>,
) -> Result<Json<RequestView>> {
    Ok(Json(requests::decide(&state, &caller, id, body).await?))
}

/// Withdraw one's own pending request.
#[utoipa::path(post, path = "/v1/requests/{request_id}/cancel", tag = "requests",
    params(("request_id" = RequestId, Path)), request_body = Cancellation,
    responses((status = 200, body = RequestView), Problems), security(("session" = [])))]
async fn cancel_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Json(body): Json<Cancellation>,
) -> Result<Json<RequestView>> {
    Ok(Json(requests::cancel(&state, &caller, id, body).await?))
}
