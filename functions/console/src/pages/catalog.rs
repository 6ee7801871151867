//! The catalog: agents and MCP servers the organization sees (its own and the global
//! ones), each server's approval for the organization (given or taken back here by who
//! may), and importing a server from the official MCP Registry's `server.json`.

use agentctl_shared::domain::catalog::{self, CatalogQuery};
use agentctl_shared::domain::{mcp, registry};
use agentctl_shared::http::Path;
use agentctl_shared::roles::Permission;
use agentctl_shared::{AppState, Error, Name};
use agentctl_wire::catalog::AgentSpec;
use agentctl_wire::ids::McpServerId;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::html;
use serde::Deserialize;

use crate::layout::{self, Section};
use crate::session::{PageResult, Params, Signed};

#[derive(Default, Deserialize)]
pub struct Shown {
    /// The server just imported (its confirmation is shown).
    imported: Option<McpServerId>,
}

/// `GET /console/catalog`.
pub async fn page(State(state): State<AppState>, signed: Signed, Params(shown): Params<Shown>) -> PageResult {
    render(&state, &signed, shown.imported, None).await
}

async fn render(
    state: &AppState,
    signed: &Signed,
    imported: Option<McpServerId>,
    problem: Option<&Error>,
) -> PageResult {
    let caller = &signed.caller;
    let principal = caller.principal();
    let all = CatalogQuery { limit: Some(100), ..Default::default() };
    let agents = catalog::list::<AgentSpec>(state, &principal, &all).await?;
    let servers = mcp::list(state, &principal, &all).await?;
    let may_approve = caller.can(Permission::McpApprove);
    let problem = problem.map(Error::report);
    let status = problem.as_ref().map_or(StatusCode::OK, agentctl_shared::http::problem::status);
    let body = html! {
        @if let Some(id) = imported {
            p.notice role="status" { "Imported: MCP server " code { (id) } ". Approve it to assign it." }
        }
        h2 { "MCP servers" }
        table {
            thead { tr { th { "Name" } th { "Provider" } th { "Transport" } th { "Credentials" } th { "For this organization" } } }
            tbody {
                @for server in &servers.items {
                    @let spec = &server.entry.spec;
                    tr {
                        td { (server.entry.name) @if server.entry.org_id.is_some() { span.muted { " (own)" } } }
                        td { (spec.provider) }
                        td { (spec.launch.transport.as_str()) }
                        td { @if spec.requires_credentials { "each person's own" } @else { "none" } }
                        td {
                            @let approved = server.is_approved.unwrap_or(false);
                            @if approved { span.state-ok { "approved " } } @else { span.muted { "not approved " } }
                            @if may_approve {
                                @let action = if approved { "revoke" } else { "approve" };
                                form.inline method="post" action=(format!("/console/catalog/mcp-servers/{}/{action}", server.entry.id)) {
                                    (layout::csrf(signed))
                                    button.secondary type="submit" {
                                        @if approved { "Revoke" } @else { "Approve" }
                                        span.skip { " " (server.entry.name) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (layout::pager("/console/catalog", &[], servers.next_cursor.as_deref()))
        @if caller.can(Permission::CatalogWrite) {
            section.card aria-labelledby="import" {
                h2 id="import" { "Import from the MCP Registry" }
                p { "Paste a server's " code { "server.json" } " (the official MCP Registry's format): its remote or "
                    "package becomes how clients start it, its environment variables and headers the connection "
                    "each person fills in, secrets kept as credentials." }
                @if let Some(problem) = &problem { (layout::problem_box(problem)) }
                form.stack method="post" action="/console/catalog/import" {
                    (layout::csrf(signed))
                    label for="server_json" { "server.json" }
                    textarea id="server_json" name="server_json" rows="12" cols="80" spellcheck="false" required {}
                    div.actions { button type="submit" { "Import" } }
                }
            }
        }
        h2 { "Agents" }
        table {
            thead { tr { th { "Name" } th { "Tool" } th { "Provider" } } }
            tbody {
                @for agent in &agents.items {
                    tr {
                        td { (agent.name) @if agent.org_id.is_some() { span.muted { " (own)" } } }
                        td { (agent.spec.agent_type.as_str()) }
                        td { (agent.spec.provider) }
                    }
                }
            }
        }
    };
    Ok((status, layout::page(signed, Section::Catalog, "Catalog", body)).into_response())
}

#[derive(Default, Deserialize)]
pub struct Import {
    #[serde(default)]
    server_json: String,
}

/// `POST /console/catalog/import`.
pub async fn import(
    State(state): State<AppState>,
    signed: Signed,
    form: std::result::Result<Form<Import>, FormRejection>,
) -> PageResult {
    let text = form.map(|Form(f)| f.server_json).unwrap_or_default();
    match registry::import(&state, &signed.caller.principal(), &text).await {
        Ok(server) => Ok(Redirect::to(&format!("/console/catalog?imported={}", server.id)).into_response()),
        Err(e @ (Error::Validation(_) | Error::Conflict { .. })) => render(&state, &signed, None, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/catalog/mcp-servers/{server_id}/approve`.
pub async fn approve(State(state): State<AppState>, signed: Signed, Path(id): Path<McpServerId>) -> PageResult {
    mcp::approve(&state, &signed.caller, id).await?;
    Ok(Redirect::to("/console/catalog").into_response())
}

/// `POST /console/catalog/mcp-servers/{server_id}/revoke`.
pub async fn revoke(State(state): State<AppState>, signed: Signed, Path(id): Path<McpServerId>) -> PageResult {
    mcp::revoke(&state, &signed.caller, id).await?;
    Ok(Redirect::to("/console/catalog").into_response())
}
