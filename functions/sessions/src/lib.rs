//! The sessions function: login (enrollment code exchange), logout, and `me`.

use agentctl_shared::auth::Caller;
use agentctl_shared::domain::employees::{self, Employee, PreferencesUpdate};
use agentctl_shared::domain::sessions::{self, Me, NewSession, Session, SessionRequest};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::{ClientIp, Json, Query};
use agentctl_shared::pagination::{Page, PageQuery};
use agentctl_shared::{AppState, Result};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_session))
        .routes(routes!(delete_current_session))
        .routes(routes!(get_me, update_my_preferences))
        .routes(routes!(list_my_sessions))
}

/// Log in: exchange a one-time enrollment code for a session token (shown once).
#[utoipa::path(post, path = "/v1/sessions", tag = "sessions", request_body = SessionRequest,
    responses((status = 201, body = NewSession), Problems), security(()))]
async fn create_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<SessionRequest>,
) -> Result<(StatusCode, Json<NewSession>)> {
    Ok((StatusCode::CREATED, Json(sessions::exchange(&state, body, ip).await?)))
}

/// Log out: revoke the session whose token authenticates this request.
#[utoipa::path(delete, path = "/v1/sessions/current", tag = "sessions",
    responses((status = 204), Problems), security(("session" = [])))]
async fn delete_current_session(State(state): State<AppState>, caller: Caller) -> Result<StatusCode> {
    sessions::revoke_current(&state, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the caller is: employee, organization, role and permissions.
#[utoipa::path(get, path = "/v1/me", tag = "sessions",
    responses((status = 200, body = Me), Problems), security(("session" = [])))]
async fn get_me(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>> {
    Ok(Json(sessions::me(&state, &caller).await?))
}

/// Replace the caller's own preferences.
#[utoipa::path(patch, path = "/v1/me", tag = "sessions", request_body = PreferencesUpdate,
    responses((status = 200, body = Employee), Problems), security(("session" = [])))]
async fn update_my_preferences(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<PreferencesUpdate>,
) -> Result<Json<Employee>> {
    Ok(Json(employees::update_own_preferences(&state, &caller, body).await?))
}

/// The caller's live sessions (device, address, created, last used), newest first.
#[utoipa::path(get, path = "/v1/me/sessions", tag = "sessions", params(PageQuery),
    responses((status = 200, body = Page<Session>), Problems), security(("session" = [])))]
async fn list_my_sessions(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<Session>>> {
    Ok(Json(sessions::list_mine(&state, &caller, &query).await?))
}
