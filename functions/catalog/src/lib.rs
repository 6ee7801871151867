//! The catalog function: agents, tools, MCP categories and MCP servers (global entries
//! for the platform operator, org-private ones for an organization's admins), and the
//! organization's MCP server approvals.

use agentctl_shared::auth::{Caller, Principal};
use agentctl_shared::domain::agents::{AgentSpec, NewAgent};
use agentctl_shared::domain::catalog::{self, CatalogQuery, Entry};
use agentctl_shared::domain::mcp::{
    self, McpApproval, McpCategorySpec, McpServer, McpServerSpec, NewMcpCategory, NewMcpServer,
};
use agentctl_shared::domain::tools::{NewTool, ToolSpec};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::{Json, Path, Query};
use agentctl_shared::pagination::Page;
use agentctl_shared::{AppState, Result};
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The create / patch / delete handlers of one catalog kind.
macro_rules! catalog_writes {
    ($spec:ty, $new:ty, $collection:literal, $item:literal) => {
        /// Create an entry: global for the platform operator, org-private for an admin.
        #[utoipa::path(post, path = $collection, tag = "catalog", request_body = $new,
                    responses((status = 201, body = Entry<$spec>), Problems),
                    security(("session" = []), ("platform_key" = [])))]
        pub async fn create(
            State(state): State<AppState>,
            principal: Principal,
            Json(body): Json<$new>,
        ) -> Result<(StatusCode, Json<Entry<$spec>>)> {
            Ok((StatusCode::CREATED, Json(catalog::create::<$spec>(&state, &principal, body).await?)))
        }

        /// Change an entry with a JSON merge patch of the creation fields.
        #[utoipa::path(patch, path = $item, tag = "catalog", params(("id" = Uuid, Path)),
                    request_body(content = Object, description = "JSON merge patch (RFC 7396) of the creation fields"),
                    responses((status = 200, body = Entry<$spec>), Problems),
                    security(("session" = []), ("platform_key" = [])))]
        pub async fn update(
            State(state): State<AppState>,
            principal: Principal,
            Path(id): Path<Uuid>,
            Json(patch): Json<Value>,
        ) -> Result<Json<Entry<$spec>>> {
            Ok(Json(catalog::update::<$spec>(&state, &principal, id, patch).await?))
        }

        /// Delete an entry nothing references any more.
        #[utoipa::path(delete, path = $item, tag = "catalog", params(("id" = Uuid, Path)),
                    responses((status = 204), Problems),
                    security(("session" = []), ("platform_key" = [])))]
        pub async fn delete(
            State(state): State<AppState>,
            principal: Principal,
            Path(id): Path<Uuid>,
        ) -> Result<StatusCode> {
            catalog::delete::<$spec>(&state, &principal, id).await?;
            Ok(StatusCode::NO_CONTENT)
        }
    };
}

/// The list / get handlers of one catalog kind.
macro_rules! catalog_reads {
    ($spec:ty, $collection:literal, $item:literal) => {
        /// List the entries the caller can see: their organization's, then the global ones.
        #[utoipa::path(get, path = $collection, tag = "catalog", params(CatalogQuery),
                                            responses((status = 200, body = Page<Entry<$spec>>), Problems),
                                            security(("session" = []), ("platform_key" = [])))]
        pub async fn list(
            State(state): State<AppState>,
            principal: Principal,
            Query(query): Query<CatalogQuery>,
        ) -> Result<Json<Page<Entry<$spec>>>> {
            Ok(Json(catalog::list::<$spec>(&state, &principal, &query).await?))
        }

        /// Read an entry.
        #[utoipa::path(get, path = $item, tag = "catalog", params(("id" = Uuid, Path)),
                                            responses((status = 200, body = Entry<$spec>), Problems),
                                            security(("session" = []), ("platform_key" = [])))]
        pub async fn get(
            State(state): State<AppState>,
            principal: Principal,
            Path(id): Path<Uuid>,
        ) -> Result<Json<Entry<$spec>>> {
            Ok(Json(catalog::get::<$spec>(&state, &principal, id).await?))
        }
    };
}

mod agents {
    use super::*;
    catalog_writes!(AgentSpec, NewAgent, "/v1/catalog/agents", "/v1/catalog/agents/{id}");
    catalog_reads!(AgentSpec, "/v1/catalog/agents", "/v1/catalog/agents/{id}");
}

mod tools {
    use super::*;
    catalog_writes!(ToolSpec, NewTool, "/v1/catalog/tools", "/v1/catalog/tools/{id}");
    catalog_reads!(ToolSpec, "/v1/catalog/tools", "/v1/catalog/tools/{id}");
}

mod categories {
    use super::*;
    catalog_writes!(McpCategorySpec, NewMcpCategory, "/v1/catalog/mcp-categories", "/v1/catalog/mcp-categories/{id}");
    catalog_reads!(McpCategorySpec, "/v1/catalog/mcp-categories", "/v1/catalog/mcp-categories/{id}");
}

/// MCP servers are read with their approval (below), so only the writes are generic.
mod servers {
    use super::*;
    catalog_writes!(McpServerSpec, NewMcpServer, "/v1/catalog/mcp-servers", "/v1/catalog/mcp-servers/{id}");
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
    Path(id): Path<Uuid>,
) -> Result<Json<McpServer>> {
    Ok(Json(mcp::get(&state, &principal, id).await?))
}

/// Approve an MCP server for the caller's organization (idempotent).
#[utoipa::path(put, path = "/v1/catalog/mcp-servers/{id}/approval", tag = "catalog", params(("id" = Uuid, Path)),
    responses((status = 200, body = McpApproval), Problems), security(("session" = [])))]
async fn approve_server(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<McpApproval>> {
    Ok(Json(mcp::approve(&state, &caller, id).await?))
}

/// Revoke the organization's approval of an MCP server.
#[utoipa::path(delete, path = "/v1/catalog/mcp-servers/{id}/approval", tag = "catalog", params(("id" = Uuid, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn revoke_server(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> Result<StatusCode> {
    mcp::revoke(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
