//! The policies function: the policy catalog, attachments at the four levels (agent,
//! organization, team with overrides, employee) and effective-policy resolution.

use agentctl_shared::auth::{Caller, Principal};
use agentctl_shared::domain::policies::{
    self, AttachRequest, EffectivePolicies, EffectiveQuery, NewPolicy, PolicyLink, PolicySpec, Target,
};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::{Json, Path, Query};
use agentctl_shared::ids::{AgentId, EmployeeId, PolicyId, TeamId};
use agentctl_shared::{AppState, Result};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod catalog {
    use agentctl_shared::domain::catalog::Entry;
    use agentctl_shared::pagination::Page;
    agentctl_shared::catalog_writes!(
        super::PolicySpec,
        super::NewPolicy,
        "/v1/policies",
        "/v1/policies/{id}",
        "policies"
    );
    agentctl_shared::catalog_reads!(super::PolicySpec, "/v1/policies", "/v1/policies/{id}", "policies");
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(catalog::create, catalog::list))
        .routes(routes!(catalog::get, catalog::update, catalog::delete))
        .routes(routes!(agent_policies))
        .routes(routes!(attach_to_agent, detach_from_agent))
        .routes(routes!(org_policies))
        .routes(routes!(attach_to_org, detach_from_org))
        .routes(routes!(team_policies))
        .routes(routes!(attach_to_team, detach_from_team))
        .routes(routes!(employee_policies))
        .routes(routes!(attach_to_employee, detach_from_employee))
        .routes(routes!(effective_policies))
}

type Links = Result<Json<Vec<PolicyLink>>>;

async fn list(state: &AppState, principal: &Principal, target: Target) -> Links {
    Ok(Json(policies::links(state, principal, target).await?))
}

async fn attach(
    state: &AppState,
    principal: &Principal,
    target: Target,
    policy: PolicyId,
    body: AttachRequest,
) -> Result<Json<PolicyLink>> {
    Ok(Json(policies::attach(state, principal, target, policy, body).await?))
}

async fn detach(state: &AppState, principal: &Principal, target: Target, policy: PolicyId) -> Result<StatusCode> {
    policies::detach(state, principal, target, policy).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Policies attached to an agent catalog entry (the platform's and the organization's).
#[utoipa::path(get, path = "/v1/catalog/agents/{id}/policies", tag = "policies", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<PolicyLink>), Problems), security(("session" = []), ("platform_key" = [])))]
async fn agent_policies(State(state): State<AppState>, principal: Principal, Path(id): Path<AgentId>) -> Links {
    list(&state, &principal, Target::Agent(id)).await
}

/// Attach a policy to an agent (for the caller's organization, or globally by the platform).
#[utoipa::path(put, path = "/v1/catalog/agents/{id}/policies/{policy_id}", tag = "policies",
    params(("id" = Uuid, Path), ("policy_id" = Uuid, Path)), request_body = AttachRequest,
    responses((status = 200, body = PolicyLink), Problems), security(("session" = []), ("platform_key" = [])))]
async fn attach_to_agent(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, policy)): Path<(AgentId, PolicyId)>,
    Json(body): Json<AttachRequest>,
) -> Result<Json<PolicyLink>> {
    attach(&state, &principal, Target::Agent(id), policy, body).await
}

/// Detach a policy from an agent.
#[utoipa::path(delete, path = "/v1/catalog/agents/{id}/policies/{policy_id}", tag = "policies",
    params(("id" = Uuid, Path), ("policy_id" = Uuid, Path)),
    responses((status = 204), Problems), security(("session" = []), ("platform_key" = [])))]
async fn detach_from_agent(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, policy)): Path<(AgentId, PolicyId)>,
) -> Result<StatusCode> {
    detach(&state, &principal, Target::Agent(id), policy).await
}

/// Organization-wide policies.
#[utoipa::path(get, path = "/v1/org/policies", tag = "policies",
    responses((status = 200, body = Vec<PolicyLink>), Problems), security(("session" = [])))]
async fn org_policies(State(state): State<AppState>, caller: Caller) -> Links {
    list(&state, &Principal::Employee(caller), Target::Org).await
}

/// Attach a policy to the whole organization.
#[utoipa::path(put, path = "/v1/org/policies/{policy_id}", tag = "policies", params(("policy_id" = Uuid, Path)),
    request_body = AttachRequest, responses((status = 200, body = PolicyLink), Problems), security(("session" = [])))]
async fn attach_to_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(policy): Path<PolicyId>,
    Json(body): Json<AttachRequest>,
) -> Result<Json<PolicyLink>> {
    attach(&state, &Principal::Employee(caller), Target::Org, policy, body).await
}

/// Detach an organization-wide policy.
#[utoipa::path(delete, path = "/v1/org/policies/{policy_id}", tag = "policies", params(("policy_id" = Uuid, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn detach_from_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(policy): Path<PolicyId>,
) -> Result<StatusCode> {
    detach(&state, &Principal::Employee(caller), Target::Org, policy).await
}

/// A team's policies, with their overrides.
#[utoipa::path(get, path = "/v1/teams/{team_id}/policies", tag = "policies", params(("team_id" = TeamId, Path)),
    responses((status = 200, body = Vec<PolicyLink>), Problems), security(("session" = [])))]
async fn team_policies(State(state): State<AppState>, caller: Caller, Path(team): Path<TeamId>) -> Links {
    list(&state, &Principal::Employee(caller), Target::Team(team)).await
}

/// Attach a policy to a team, or override an organization-wide policy's rule fields for it.
#[utoipa::path(put, path = "/v1/teams/{team_id}/policies/{policy_id}", tag = "policies",
    params(("team_id" = TeamId, Path), ("policy_id" = Uuid, Path)), request_body = AttachRequest,
    responses((status = 200, body = PolicyLink), Problems), security(("session" = [])))]
async fn attach_to_team(
    State(state): State<AppState>,
    caller: Caller,
    Path((team, policy)): Path<(TeamId, PolicyId)>,
    Json(body): Json<AttachRequest>,
) -> Result<Json<PolicyLink>> {
    attach(&state, &Principal::Employee(caller), Target::Team(team), policy, body).await
}

/// Detach a policy (or its override) from a team.
#[utoipa::path(delete, path = "/v1/teams/{team_id}/policies/{policy_id}", tag = "policies",
    params(("team_id" = TeamId, Path), ("policy_id" = Uuid, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn detach_from_team(
    State(state): State<AppState>,
    caller: Caller,
    Path((team, policy)): Path<(TeamId, PolicyId)>,
) -> Result<StatusCode> {
    detach(&state, &Principal::Employee(caller), Target::Team(team), policy).await
}

/// Policies attached to one employee.
#[utoipa::path(get, path = "/v1/employees/{employee_id}/policies", tag = "policies",
    params(("employee_id" = EmployeeId, Path)),
    responses((status = 200, body = Vec<PolicyLink>), Problems), security(("session" = [])))]
async fn employee_policies(State(state): State<AppState>, caller: Caller, Path(employee): Path<EmployeeId>) -> Links {
    list(&state, &Principal::Employee(caller), Target::Employee(employee)).await
}

/// Attach a policy to one employee.
#[utoipa::path(put, path = "/v1/employees/{employee_id}/policies/{policy_id}", tag = "policies",
    params(("employee_id" = EmployeeId, Path), ("policy_id" = Uuid, Path)), request_body = AttachRequest,
    responses((status = 200, body = PolicyLink), Problems), security(("session" = [])))]
async fn attach_to_employee(
    State(state): State<AppState>,
    caller: Caller,
    Path((employee, policy)): Path<(EmployeeId, PolicyId)>,
    Json(body): Json<AttachRequest>,
) -> Result<Json<PolicyLink>> {
    attach(&state, &Principal::Employee(caller), Target::Employee(employee), policy, body).await
}

/// Detach a policy from one employee.
#[utoipa::path(delete, path = "/v1/employees/{employee_id}/policies/{policy_id}", tag = "policies",
    params(("employee_id" = EmployeeId, Path), ("policy_id" = Uuid, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn detach_from_employee(
    State(state): State<AppState>,
    caller: Caller,
    Path((employee, policy)): Path<(EmployeeId, PolicyId)>,
) -> Result<StatusCode> {
    detach(&state, &Principal::Employee(caller), Target::Employee(employee), policy).await
}

/// The effective policy set of an employee (optionally for one agent), with the level
/// and policy every rule comes from.
#[utoipa::path(get, path = "/v1/employees/{employee_id}/effective-policies", tag = "policies",
    params(("employee_id" = EmployeeId, Path), EffectiveQuery),
    responses((status = 200, body = EffectivePolicies), Problems), security(("session" = [])))]
async fn effective_policies(
    State(state): State<AppState>,
    caller: Caller,
    Path(employee): Path<EmployeeId>,
    Query(query): Query<EffectiveQuery>,
) -> Result<Json<EffectivePolicies>> {
    Ok(Json(policies::effective(&state, &caller, employee, query.agent_id).await?))
}
