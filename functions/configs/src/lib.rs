//! The configurations function: the agents and MCP servers of each employee, the
//! write-only credentials of their MCP servers, and assignments to the organization or a
//! team (with each member's own credentials for assigned servers).

use agentctl_shared::auth::Caller;
use agentctl_shared::domain::assignments::{
    self, Assignment, AssignmentPatch, AssignmentQuery, BulkAssignment, BulkAssignmentResult, BulkEntry, BulkOutcome,
    NewAssignment,
};
use agentctl_shared::domain::configs::{
    self, AgentConfig, AgentConfigPatch, ConfigQuery, CredentialsUpdate, ListedAgentConfig, ListedMcpConfig, McpConfig,
    McpConfigPatch, NewAgentConfig, NewMcpConfig,
};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::{Json, Path, Query};
use agentctl_shared::ids::{AgentConfigId, AssignmentId, EmployeeId, McpConfigId};
use agentctl_shared::pagination::Page;
use agentctl_shared::{AppState, Result};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_agent_config, list_agent_configs))
        .routes(routes!(get_agent_config, update_agent_config, delete_agent_config))
        .routes(routes!(create_mcp_config, list_mcp_configs))
        .routes(routes!(get_mcp_config, update_mcp_config, delete_mcp_config))
        .routes(routes!(set_credentials, clear_credentials))
        .routes(routes!(create_assignment, list_assignments))
        .routes(routes!(assign_in_bulk))
        .routes(routes!(get_assignment, update_assignment, delete_assignment))
        .routes(routes!(set_own_assignment_credentials, clear_own_assignment_credentials))
        .routes(routes!(set_shared_assignment_credentials, clear_shared_assignment_credentials))
}

type AgentConfigPath = Path<(EmployeeId, AgentConfigId)>;
type McpConfigPath = Path<(EmployeeId, McpConfigId)>;

/// Give an employee an agent from the catalog.
#[utoipa::path(post, path = "/v1/employees/{employee_id}/agent-configs", tag = "configs",
    params(("employee_id" = EmployeeId, Path)), request_body = NewAgentConfig,
    responses((status = 201, body = AgentConfig), Problems), security(("session" = [])))]
async fn create_agent_config(
    State(state): State<AppState>,
    caller: Caller,
    Path(employee): Path<EmployeeId>,
    Json(body): Json<NewAgentConfig>,
) -> Result<(StatusCode, Json<AgentConfig>)> {
    Ok((StatusCode::CREATED, Json(configs::create_agent_config(&state, &caller, employee, body).await?)))
}

/// An employee's agent configurations.
#[utoipa::path(get, path = "/v1/employees/{employee_id}/agent-configs", tag = "configs",
    params(("employee_id" = EmployeeId, Path), ConfigQuery),
    responses((status = 200, body = Page<ListedAgentConfig>), Problems), security(("session" = [])))]
async fn list_agent_configs(
    State(state): State<AppState>,
    caller: Caller,
    Path(employee): Path<EmployeeId>,
    Query(query): Query<ConfigQuery>,
) -> Result<Json<Page<ListedAgentConfig>>> {
    Ok(Json(configs::list_agent_configs(&state, &caller, employee, &query).await?))
}

/// Read an agent configuration.
#[utoipa::path(get, path = "/v1/employees/{employee_id}/agent-configs/{config_id}", tag = "configs",
    params(("employee_id" = EmployeeId, Path), ("config_id" = Uuid, Path)),
    responses((status = 200, body = AgentConfig), Problems), security(("session" = [])))]
async fn get_agent_config(
    State(state): State<AppState>,
    caller: Caller,
    Path((employee, id)): AgentConfigPath,
) -> Result<Json<AgentConfig>> {
    Ok(Json(configs::get_agent_config(&state, &caller, employee, id).await?))
}

/// Rename, enable or disable an agent configuration, or change its settings.
#[utoipa::path(patch, path = "/v1/employees/{employee_id}/agent-configs/{config_id}", tag = "configs",
    params(("employee_id" = EmployeeId, Path), ("config_id" = Uuid, Path)), request_body = AgentConfigPatch,
    responses((status = 200, body = AgentConfig), Problems), security(("session" = [])))]
async fn update_agent_config(
    State(state): State<AppState>,
    caller: Caller,
    Path((employee, id)): AgentConfigPath,
    Json(body): Json<AgentConfigPatch>,
) -> Result<Json<AgentConfig>> {
    Ok(Json(configs::update_agent_config(&state, &caller, employee, id, body).await?))
}

/// Take an agent away from an employee.
#[utoipa::path(delete, path = "/v1/employees/{employee_id}/agent-configs/{config_id}", tag = "configs",
    params(("employee_id" = EmployeeId, Path), ("config_id" = Uuid, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn delete_agent_config(
    State(state): State<AppState>,
    caller: Caller,
    Path((employee, id)): AgentConfigPath,
) -> Result<StatusCode> {
    configs::delete_agent_config(&state, &caller, employee, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give an employee an MCP server approved for the organization.
#[utoipa::path(post, path = "/v1/employees/{employee_id}/mcp-configs", tag = "configs",
    params(("employee_id" = EmployeeId, Path)), request_body = NewMcpConfig,
    responses((status = 201, body = McpConfig), Problems), security(("session" = [])))]
async fn create_mcp_config(
    State(state): State<AppState>,
    caller: Caller,
    Path(employee): Path<EmployeeId>,
    Json(body): Json<NewMcpConfig>,
) -> Result<(StatusCode, Json<McpConfig>)> {
    Ok((StatusCode::CREATED, Json(configs::create_mcp_config(&state, &caller, employee, body).await?)))
}

/// An employee's MCP configurations (credentials never included).
#[utoipa::path(get, path = "/v1/employees/{employee_id}/mcp-configs", tag = "configs",
    params(("employee_id" = EmployeeId, Path), ConfigQuery),
    responses((status = 200, body = Page<ListedMcpConfig>), Problems), security(("session" = [])))]
async fn list_mcp_configs(
    State(state): State<AppState>,
    caller: Caller,
    Path(employee): Path<EmployeeId>,
    Query(query): Query<ConfigQuery>,
) -> Result<Json<Page<ListedMcpConfig>>> {
    Ok(Json(configs::list_mcp_configs(&state, &caller, employee, &query).await?))
}

/// Read an MCP configuration (credentials never included).
#[utoipa::path(get, path = "/v1/employees/{employee_id}/mcp-configs/{config_id}", tag = "configs",
    params(("employee_id" = EmployeeId, Path), ("config_id" = Uuid, Path)),
    responses((status = 200, body = McpConfig), Problems), security(("session" = [])))]
async fn get_mcp_config(
    State(state): State<AppState>,
    caller: Caller,
    Path((employee, id)): McpConfigPath,
) -> Result<Json<McpConfig>> {
    Ok(Json(configs::get_mcp_config(&state, &caller, employee, id).await?))
}

/// Change an MCP configuration's status or connection settings.
#[utoipa::path(patch, path = "/v1/employees/{employee_id}/mcp-configs/{config_id}", tag = "configs",
    params(("employee_id" = EmployeeId, Path), ("config_id" = Uuid, Path)), request_body = McpConfigPatch,
    responses((status = 200, body = McpConfig), Problems), security(("session" = [])))]
async fn update_mcp_config(
    State(state): State<AppState>,
    caller: Caller,
    Path((employee, id)): McpConfigPath,
    Json(body): Json<McpConfigPatch>,
) -> Result<Json<McpConfig>> {
    Ok(Json(configs::update_mcp_config(&state, &caller, employee, id, body).await?))
}

/// Take an MCP server away from an employee.
#[utoipa::path(delete, path = "/v1/employees/{employee_id}/mcp-configs/{config_id}", tag = "configs",
    params(("employee_id" = EmployeeId, Path), ("config_id" = Uuid, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn delete_mcp_config(
    State(state): State<AppState>,
    caller: Caller,
    Path((employee, id)): McpConfigPath,
) -> Result<StatusCode> {
    configs::delete_mcp_config(&state, &caller, employee, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set or rotate the credentials of an MCP configuration (write-only, KMS-encrypted).
#[utoipa::path(put, path = "/v1/employees/{employee_id}/mcp-configs/{config_id}/credentials", tag = "configs",
    params(("employee_id" = EmployeeId, Path), ("config_id" = Uuid, Path)), request_body = CredentialsUpdate,
    responses((status = 200, body = McpConfig), Problems), security(("session" = [])))]
async fn set_credentials(
    State(state): State<AppState>,
    caller: Caller,
    Path((employee, id)): McpConfigPath,
    Json(body): Json<CredentialsUpdate>,
) -> Result<Json<McpConfig>> {
    Ok(Json(configs::set_credentials(&state, &caller, employee, id, body).await?))
}

/// Remove the credentials of an MCP configuration.
#[utoipa::path(delete, path = "/v1/employees/{employee_id}/mcp-configs/{config_id}/credentials", tag = "configs",
    params(("employee_id" = EmployeeId, Path), ("config_id" = Uuid, Path)),
    responses((status = 200, body = McpConfig), Problems), security(("session" = [])))]
async fn clear_credentials(
    State(state): State<AppState>,
    caller: Caller,
    Path((employee, id)): McpConfigPath,
) -> Result<Json<McpConfig>> {
    Ok(Json(configs::clear_credentials(&state, &caller, employee, id).await?))
}

/// Assign an agent or an MCP server to the whole organization or a team.
#[utoipa::path(post, path = "/v1/assignments", tag = "assignments", request_body = NewAssignment,
    responses((status = 201, body = Assignment), Problems), security(("session" = [])))]
async fn create_assignment(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewAssignment>,
) -> Result<(StatusCode, Json<Assignment>)> {
    Ok((StatusCode::CREATED, Json(assignments::create(&state, &caller, body).await?)))
}

/// Assign several agents and MCP servers (by id or catalog name, each with its settings)
/// to the organization and/or several teams at once, approving the servers asked for
/// first (`approve`, with `mcp:approve`). Each item and target stands on its own: the
/// answer says what became of each (created, assigned already, or refused and why); a
/// repeated call creates nothing twice.
#[utoipa::path(post, path = "/v1/assignments/bulk", tag = "assignments", request_body = BulkAssignment,
    responses((status = 200, body = BulkAssignmentResult), Problems), security(("session" = [])))]
async fn assign_in_bulk(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<BulkAssignment>,
) -> Result<Json<BulkAssignmentResult>> {
    let (approved_server_ids, results) = assignments::assign_many(&state, &caller, body).await?;
    let results = results
        .into_iter()
        .map(|(item, target, result)| {
            let (outcome, assignment, problem) = match result {
                Ok(Some(assignment)) => (BulkOutcome::Created, Some(assignment), None),
                Ok(None) => (BulkOutcome::AlreadyAssigned, None, None),
                Err(e) => (BulkOutcome::Failed, None, Some(e.report())),
            };
            BulkEntry { item, target, outcome, assignment, problem }
        })
        .collect();
    Ok(Json(BulkAssignmentResult { results, approved_server_ids }))
}

/// The organization's assignments, oldest first.
#[utoipa::path(get, path = "/v1/assignments", tag = "assignments", params(AssignmentQuery),
    responses((status = 200, body = Page<Assignment>), Problems), security(("session" = [])))]
async fn list_assignments(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AssignmentQuery>,
) -> Result<Json<Page<Assignment>>> {
    Ok(Json(assignments::list(&state, &caller, &query).await?))
}

/// Read an assignment.
#[utoipa::path(get, path = "/v1/assignments/{assignment_id}", tag = "assignments",
    params(("assignment_id" = Uuid, Path)),
    responses((status = 200, body = Assignment), Problems), security(("session" = [])))]
async fn get_assignment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AssignmentId>,
) -> Result<Json<Assignment>> {
    Ok(Json(assignments::get(&state, &caller, id).await?))
}

/// Change an assignment's settings or who it leaves out.
#[utoipa::path(patch, path = "/v1/assignments/{assignment_id}", tag = "assignments",
    params(("assignment_id" = Uuid, Path)), request_body = AssignmentPatch,
    responses((status = 200, body = Assignment), Problems), security(("session" = [])))]
async fn update_assignment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AssignmentId>,
    Json(body): Json<AssignmentPatch>,
) -> Result<Json<Assignment>> {
    Ok(Json(assignments::update(&state, &caller, id, body).await?))
}

/// Remove an assignment: its members' next sync no longer delivers it.
#[utoipa::path(delete, path = "/v1/assignments/{assignment_id}", tag = "assignments",
    params(("assignment_id" = Uuid, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn delete_assignment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AssignmentId>,
) -> Result<StatusCode> {
    assignments::delete(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set or rotate the organization's credentials of an MCP server assignment, used by every
/// member without their own (write-only, KMS-encrypted; the answer says only that they
/// are set).
#[utoipa::path(put, path = "/v1/assignments/{assignment_id}/credentials", tag = "assignments",
    params(("assignment_id" = Uuid, Path)), request_body = CredentialsUpdate,
    responses((status = 200, body = Assignment), Problems), security(("session" = [])))]
async fn set_shared_assignment_credentials(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AssignmentId>,
    Json(body): Json<CredentialsUpdate>,
) -> Result<Json<Assignment>> {
    Ok(Json(assignments::set_shared_credentials(&state, &caller, id, body).await?))
}

/// Remove the organization's credentials of an MCP server assignment.
#[utoipa::path(delete, path = "/v1/assignments/{assignment_id}/credentials", tag = "assignments",
    params(("assignment_id" = Uuid, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn clear_shared_assignment_credentials(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AssignmentId>,
) -> Result<StatusCode> {
    assignments::clear_shared_credentials(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set or rotate your own credentials for an MCP server assigned to you (write-only,
/// KMS-encrypted for you alone).
#[utoipa::path(put, path = "/v1/me/assignments/{assignment_id}/credentials", tag = "assignments",
    params(("assignment_id" = Uuid, Path)), request_body = CredentialsUpdate,
    responses((status = 204), Problems), security(("session" = [])))]
async fn set_own_assignment_credentials(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AssignmentId>,
    Json(body): Json<CredentialsUpdate>,
) -> Result<StatusCode> {
    assignments::set_own_credentials(&state, &caller, id, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove your own credentials for an assigned MCP server.
#[utoipa::path(delete, path = "/v1/me/assignments/{assignment_id}/credentials", tag = "assignments",
    params(("assignment_id" = Uuid, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn clear_own_assignment_credentials(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<AssignmentId>,
) -> Result<StatusCode> {
    assignments::clear_own_credentials(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
