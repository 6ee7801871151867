//! The organizations function: tenants (platform operator), the caller's own
//! organization, its subscription, and the global roles.

use agentctl_shared::activity::ActivityEntry;
use agentctl_shared::auth::{Caller, Principal};
use agentctl_shared::domain::audit::{self, ActivityQuery};
use agentctl_shared::domain::exports::{self, ActivityExportQuery, Export};
use agentctl_shared::domain::organizations::{
    self, CreatedOrganization, NewOrganization, Organization, OrganizationPatch, PlatformOrganizationPatch,
};
use agentctl_shared::domain::roles;
use agentctl_shared::domain::subscriptions::{self, BudgetUpdate, Subscription};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::{Json, Path, Query};
use agentctl_shared::ids::OrgId;
use agentctl_shared::pagination::{Page, PageQuery};
use agentctl_shared::roles::Role;
use agentctl_shared::{AppState, Result};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_organization, list_organizations))
        .routes(routes!(get_organization, update_organization))
        .routes(routes!(get_own_organization, update_own_organization))
        .routes(routes!(get_subscription, update_subscription))
        .routes(routes!(list_roles))
        .routes(routes!(list_activity))
        .routes(routes!(export_activity))
}

/// The organization's activity log, newest first: filter by employee, event type and
/// time range.
#[utoipa::path(get, path = "/v1/activity", tag = "organizations", params(ActivityQuery),
    responses((status = 200, body = Page<ActivityEntry>), Problems), security(("session" = [])))]
async fn list_activity(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ActivityQuery>,
) -> Result<Json<Page<ActivityEntry>>> {
    Ok(Json(audit::list(&state, &caller, query).await?))
}

/// Export the activity log of a time range, oldest first, as CSV or JSON Lines (streamed).
#[utoipa::path(get, path = "/v1/activity/export", tag = "organizations", params(ActivityExportQuery),
    responses((status = 200, description = "CSV (text/csv) or JSON Lines (application/x-ndjson)",
        content((String = "text/csv"), (String = "application/x-ndjson"))), Problems),
    security(("session" = [])))]
async fn export_activity(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ActivityExportQuery>,
) -> Result<Export> {
    exports::activity(&state, &caller, query).await
}

/// Create an organization with its subscription and first owner (platform operator).
#[utoipa::path(post, path = "/v1/orgs", tag = "organizations", request_body = NewOrganization,
    responses((status = 201, body = CreatedOrganization), Problems), security(("platform_key" = [])))]
async fn create_organization(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<NewOrganization>,
) -> Result<(StatusCode, Json<CreatedOrganization>)> {
    Ok((StatusCode::CREATED, Json(organizations::create(&state, &principal, body).await?)))
}

/// List every organization (platform operator).
#[utoipa::path(get, path = "/v1/orgs", tag = "organizations", params(PageQuery),
    responses((status = 200, body = Page<Organization>), Problems), security(("platform_key" = [])))]
async fn list_organizations(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<Organization>>> {
    Ok(Json(organizations::list(&state, &principal, &query).await?))
}

/// Read an organization (platform operator).
#[utoipa::path(get, path = "/v1/orgs/{org_id}", tag = "organizations", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = Organization), Problems), security(("platform_key" = [])))]
async fn get_organization(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<OrgId>,
) -> Result<Json<Organization>> {
    Ok(Json(organizations::get_by_platform(&state, &principal, id).await?))
}

/// Change an organization's plan, limits, name or settings (platform operator).
#[utoipa::path(patch, path = "/v1/orgs/{org_id}", tag = "organizations", params(("org_id" = OrgId, Path)),
    request_body = PlatformOrganizationPatch,
    responses((status = 200, body = Organization), Problems), security(("platform_key" = [])))]
async fn update_organization(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<OrgId>,
    Json(body): Json<PlatformOrganizationPatch>,
) -> Result<Json<Organization>> {
    Ok(Json(organizations::update_by_platform(&state, &principal, id, body).await?))
}

/// The caller's organization.
#[utoipa::path(get, path = "/v1/org", tag = "organizations",
    responses((status = 200, body = Organization), Problems), security(("session" = [])))]
async fn get_own_organization(State(state): State<AppState>, caller: Caller) -> Result<Json<Organization>> {
    Ok(Json(organizations::get_own(&state, &caller).await?))
}

/// Rename the caller's organization or replace its settings.
#[utoipa::path(patch, path = "/v1/org", tag = "organizations", request_body = OrganizationPatch,
    responses((status = 200, body = Organization), Problems), security(("session" = [])))]
async fn update_own_organization(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<OrganizationPatch>,
) -> Result<Json<Organization>> {
    Ok(Json(organizations::update_own(&state, &caller, body).await?))
}

/// The organization's subscription: budget, spending in the current period, usage %.
#[utoipa::path(get, path = "/v1/org/subscription", tag = "organizations",
    responses((status = 200, body = Subscription), Problems), security(("session" = [])))]
async fn get_subscription(State(state): State<AppState>, caller: Caller) -> Result<Json<Subscription>> {
    Ok(Json(subscriptions::get(&state, &caller).await?))
}

/// Change the monthly budget.
#[utoipa::path(patch, path = "/v1/org/subscription", tag = "organizations", request_body = BudgetUpdate,
    responses((status = 200, body = Subscription), Problems), security(("session" = [])))]
async fn update_subscription(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<BudgetUpdate>,
) -> Result<Json<Subscription>> {
    Ok(Json(subscriptions::update_budget(&state, &caller, body).await?))
}

/// The five global roles and their permissions.
#[utoipa::path(get, path = "/v1/roles", tag = "organizations",
    responses((status = 200, body = Vec<Role>), Problems), security(("session" = [])))]
async fn list_roles(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<Role>>> {
    Ok(Json(roles::list(&state, &caller).await?))
}
