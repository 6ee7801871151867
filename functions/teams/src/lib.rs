//! The teams function: teams of the caller's organization.

use agentctl_shared::auth::Caller;
use agentctl_shared::domain::teams::{self, NewTeam, Team, TeamPatch};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::{Json, Path, Query};
use agentctl_shared::ids::TeamId;
use agentctl_shared::pagination::{Page, PageQuery};
use agentctl_shared::{AppState, Result};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_team, list_teams)).routes(routes!(get_team, update_team, delete_team))
}

/// Create a team.
#[utoipa::path(post, path = "/v1/teams", tag = "teams", request_body = NewTeam,
    responses((status = 201, body = Team), Problems), security(("session" = [])))]
async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewTeam>,
) -> Result<(StatusCode, Json<Team>)> {
    Ok((StatusCode::CREATED, Json(teams::create(&state, &caller, body).await?)))
}

/// List the organization's teams.
#[utoipa::path(get, path = "/v1/teams", tag = "teams", params(PageQuery),
    responses((status = 200, body = Page<Team>), Problems), security(("session" = [])))]
async fn list_teams(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<Team>>> {
    Ok(Json(teams::list(&state, &caller, &query).await?))
}

/// Read a team.
#[utoipa::path(get, path = "/v1/teams/{team_id}", tag = "teams", params(("team_id" = TeamId, Path)),
    responses((status = 200, body = Team), Problems), security(("session" = [])))]
async fn get_team(State(state): State<AppState>, caller: Caller, Path(id): Path<TeamId>) -> Result<Json<Team>> {
    Ok(Json(teams::get(&state, &caller, id).await?))
}

/// Rename a team or change its description.
#[utoipa::path(patch, path = "/v1/teams/{team_id}", tag = "teams", params(("team_id" = TeamId, Path)),
    request_body = TeamPatch, responses((status = 200, body = Team), Problems), security(("session" = [])))]
async fn update_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<TeamId>,
    Json(body): Json<TeamPatch>,
) -> Result<Json<Team>> {
    Ok(Json(teams::update(&state, &caller, id, body).await?))
}

/// Delete an empty team.
#[utoipa::path(delete, path = "/v1/teams/{team_id}", tag = "teams", params(("team_id" = TeamId, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn delete_team(State(state): State<AppState>, caller: Caller, Path(id): Path<TeamId>) -> Result<StatusCode> {
    teams::delete(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
