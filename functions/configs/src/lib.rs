//! The configurations function: the agents and MCP servers of each employee, and the
//! write-only credentials of their MCP servers.

use agentctl_shared::auth::Caller;
use agentctl_shared::domain::configs::{
    self, AgentConfig, AgentConfigPatch, ConfigQuery, CredentialsUpdate, ListedAgentConfig, ListedMcpConfig, McpConfig,
    McpConfigPatch, NewAgentConfig, NewMcpConfig,
};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::{Json, Path, Query};
use agentctl_shared::ids::{AgentConfigId, EmployeeId, McpConfigId};
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
