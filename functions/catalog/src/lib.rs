//! The catalog function: agents, tools, MCP categories and MCP servers (global entries
//! for the platform operator, org-private ones for an organization's admins), and the
//! organization's MCP server approvals.

use agentctl_shared::auth::{Caller, Principal};
use agentctl_shared::domain::agents::{self as agent_catalog, AgentSpec, AgentTool, LinkTool, NewAgent};
use agentctl_shared::domain::catalog::{CatalogQuery, Entry};
use agentctl_shared::domain::mcp::{
    self, McpApproval, McpCategorySpec, McpServer, McpServerSpec, NewMcpCategory, NewMcpServer,
};
use agentctl_shared::domain::tools::{NewTool, ToolSpec};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::{Json, Path, Query};
use agentctl_shared::ids::{AgentId, McpServerId, ToolId};
use agentctl_shared::pagination::Page;
use agentctl_shared::{AppState, Result};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod agents {
    use super::*;
    agentctl_shared::catalog_writes!(AgentSpec, NewAgent, "/v1/catalog/agents", "/v1/catalog/agents/{id}", "catalog");
    agentctl_shared::catalog_reads!(AgentSpec, "/v1/catalog/agents", "/v1/catalog/agents/{id}", "catalog");
}

mod tools {
    use super::*;
    agentctl_shared::catalog_writes!(ToolSpec, NewTool, "/v1/catalog/tools", "/v1/catalog/tools/{id}", "catalog");
    agentctl_shared::catalog_reads!(ToolSpec, "/v1/catalog/tools", "/v1/catalog/tools/{id}", "catalog");
}

mod categories {
    use super::*;
    agentctl_shared::catalog_writes!(
        McpCategorySpec,
        NewMcpCategory,
        "/v1/catalog/mcp-categories",
        "/v1/catalog/mcp-categories/{id}",
        "catalog"
    );
    agentctl_shared::catalog_reads!(
        McpCategorySpec,
        "/v1/catalog/mcp-categories",
        "/v1/catalog/mcp-categories/{id}",
        "catalog"
    );
}

/// MCP servers are read with their approval (below), so only the writes are generic.
mod servers {
    use super::*;
    agentctl_shared::catalog_writes!(
        McpServerSpec,
        NewMcpServer,
        "/v1/catalog/mcp-servers",
        "/v1/catalog/mcp-servers/{id}",
        "catalog"
    );
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(agents::create, agents::list))
        .routes(routes!(agents::get, agents::update, agents::delete))
        .routes(routes!(tools::create, tools::list))
        .routes(routes!(tools::get, tools::update, tools::delete))
        .routes(routes!(categories::create, categories::list))
        .routes(routes!(categories::get, categories::update, categories::delete))
        .routes(routes!(servers::create, list_servers))
        .routes(routes!(get_server, servers::update, servers::delete))
        .routes(routes!(approve_server, revoke_server))
        .routes(routes!(agent_tools))
        .routes(routes!(link_tool, unlink_tool))
}

/// Tools linked to an agent (the platform's links and the caller's organization's).
#[utoipa::path(get, path = "/v1/catalog/agents/{id}/tools", tag = "catalog", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<AgentTool>), Problems),
    security(("session" = []), ("platform_key" = [])))]
async fn agent_tools(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<AgentId>,
) -> Result<Json<Vec<AgentTool>>> {
    Ok(Json(agent_catalog::tools(&state, &principal, id).await?))
}

/// Link a tool to an agent, or change the link's configuration.
#[utoipa::path(put, path = "/v1/catalog/agents/{id}/tools/{tool_id}", tag = "catalog",
    params(("id" = Uuid, Path), ("tool_id" = Uuid, Path)), request_body = LinkTool,
    responses((status = 200, body = AgentTool), Problems),
    security(("session" = []), ("platform_key" = [])))]
async fn link_tool(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, tool)): Path<(AgentId, ToolId)>,
    Json(body): Json<LinkTool>,
) -> Result<Json<AgentTool>> {
    Ok(Json(agent_catalog::link_tool(&state, &principal, id, tool, body).await?))
}

/// Unlink a tool from an agent.
#[utoipa::path(delete, path = "/v1/catalog/agents/{id}/tools/{tool_id}", tag = "catalog",
    params(("id" = Uuid, Path), ("tool_id" = Uuid, Path)),
    responses((status = 204), Problems),
    security(("session" = []), ("platform_key" = [])))]
async fn unlink_tool(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, tool)): Path<(AgentId, ToolId)>,
) -> Result<StatusCode> {
    agent_catalog::unlink_tool(&state, &principal, id, tool).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List the MCP servers the caller can see, with their approval for the caller's org.
#[utoipa::path(get, path = "/v1/catalog/mcp-servers", tag = "catalog", params(CatalogQuery),
    responses((status = 200, body = Page<McpServer>), Problems),
    security(("session" = []), ("platform_key" = [])))]
async fn list_servers(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<CatalogQuery>,
) -> Result<Json<Page<McpServer>>> {
    Ok(Json(mcp::list(&state, &principal, &query).await?))
}

/// Read an MCP server, with its approval for the caller's org.
#[utoipa::path(get, path = "/v1/catalog/mcp-servers/{id}", tag = "catalog", params(("id" = Uuid, Path)),
    responses((status = 200, body = McpServer), Problems),
    security(("session" = []), ("platform_key" = [])))]
async fn get_server(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<McpServerId>,
) -> Result<Json<McpServer>> {
    Ok(Json(mcp::get(&state, &principal, id).await?))
}

/// Approve an MCP server for the caller's organization (idempotent).
#[utoipa::path(put, path = "/v1/catalog/mcp-servers/{id}/approval", tag = "catalog", params(("id" = Uuid, Path)),
    responses((status = 200, body = McpApproval), Problems), security(("session" = [])))]
async fn approve_server(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<McpServerId>,
) -> Result<Json<McpApproval>> {
    Ok(Json(mcp::approve(&state, &caller, id).await?))
}

/// Revoke the organization's approval of an MCP server.
#[utoipa::path(delete, path = "/v1/catalog/mcp-servers/{id}/approval", tag = "catalog", params(("id" = Uuid, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn revoke_server(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<McpServerId>,
) -> Result<StatusCode> {
    mcp::revoke(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
