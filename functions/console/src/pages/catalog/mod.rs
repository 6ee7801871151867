//! The catalog: MCP servers, agents, tools and categories the organization sees (its own
//! and the global ones), one kind at a time and paged; each server's approval for the
//! organization (given or taken back here by who may); importing a server from the
//! official MCP Registry's `server.json`. Entries are created and edited in `entries.rs`.

pub mod entries;

use agentctl_shared::domain::catalog::{self, CatalogQuery};
use agentctl_shared::domain::mcp::McpCategorySpec;
use agentctl_shared::domain::tools::ToolSpec;
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
use maud::{Markup, html};
use serde::Deserialize;

use crate::layout::{self, Section};
use crate::session::{PageResult, Params, Signed};

/// The catalog's lists, one shown at a time.
#[derive(Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    #[default]
    McpServers,
    Agents,
    Tools,
    Categories,
}

impl Kind {
    const ALL: [(Kind, &'static str, &'static str); 4] = [
        (Kind::McpServers, "mcp-servers", "MCP servers"),
        (Kind::Agents, "agents", "Agents"),
        (Kind::Tools, "tools", "Tools"),
        (Kind::Categories, "categories", "Categories"),
    ];

    fn path(self) -> &'static str {
        Self::ALL.iter().find(|(k, _, _)| *k == self).map_or("", |(_, path, _)| path)
    }
}

#[derive(Default, Deserialize)]
pub struct Shown {
    /// The server just imported (its confirmation is shown).
    imported: Option<McpServerId>,
    #[serde(default)]
    kind: Kind,
    cursor: Option<String>,
}

/// `GET /console/catalog[?kind=&cursor=]`.
pub async fn page(State(state): State<AppState>, signed: Signed, Params(shown): Params<Shown>) -> PageResult {
    render(&state, &signed, shown, None).await
}

async fn render(state: &AppState, signed: &Signed, shown: Shown, problem: Option<&Error>) -> PageResult {
    let caller = &signed.caller;
    let principal = caller.principal();
    let imported = shown.imported;
    let query = CatalogQuery { limit: Some(50), cursor: shown.cursor.clone(), ..Default::default() };
    let (list, next) = match shown.kind {
        Kind::McpServers => {
            let page = mcp::list(state, &principal, &query).await?;
            (servers_table(signed, &page.items), page.next_cursor)
        }
        Kind::Agents => {
            let page = catalog::list::<AgentSpec>(state, &principal, &query).await?;
            let rows = page.items.iter().map(|a| {
                (a.id.to_string(), a.name.clone(), a.org_id.is_some(), a.spec.agent_type.as_str().to_string())
            });
            (entries_table("agents", ("Tool", rows.collect())), page.next_cursor)
        }
        Kind::Tools => {
            let page = catalog::list::<ToolSpec>(state, &principal, &query).await?;
            let rows = page.items.iter().map(|t| {
                let kind = format!(
                    "{}{}",
                    t.spec.tool_type.as_str(),
                    if t.spec.requires_approval { ", needs approval" } else { "" }
                );
                (t.id.to_string(), t.name.clone(), t.org_id.is_some(), kind)
            });
            (entries_table("tools", ("Type", rows.collect())), page.next_cursor)
        }
        Kind::Categories => {
            let page = catalog::list::<McpCategorySpec>(state, &principal, &query).await?;
            let rows = page
                .items
                .iter()
                .map(|c| (c.id.to_string(), c.name.clone(), c.org_id.is_some(), c.description.clone()));
            (entries_table("categories", ("Description", rows.collect())), page.next_cursor)
        }
    };
    let kind_filter = [("kind", shown.kind.path().to_string())];
    let problem = problem.map(Error::report);
    let status = problem.as_ref().map_or(StatusCode::OK, agentctl_shared::http::problem::status);
    let body = html! {
        @if let Some(id) = imported {
            p.notice role="status" { "Imported: MCP server " code { (id) } ". Approve it to assign it." }
        }
        nav aria-label="Catalog" {
            ul.inline {
                @for (kind, path, label) in Kind::ALL {
                    li {
                        @if kind == shown.kind { strong aria-current="page" { (label) } }
                        @else { a href=(format!("/console/catalog?kind={path}")) { (label) } }
                    }
                }
            }
        }
        @if caller.can(Permission::CatalogWrite) {
            p { a href=(format!("/console/catalog/{}/new", shown.kind.path())) { "Add to the catalog" } }
        }
        (list)
        (layout::pager("/console/catalog", &kind_filter, next.as_deref()))
        @if shown.kind == Kind::McpServers && caller.can(Permission::CatalogWrite) {
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
    };
    Ok((status, layout::page(signed, Section::Catalog, "Catalog", body)).into_response())
}

/// The MCP servers with their approval for the organization.
fn servers_table(signed: &Signed, servers: &[mcp::McpServer]) -> Markup {
    let may_approve = signed.caller.can(Permission::McpApprove);
    html! {
        table {
            thead { tr { th { "Name" } th { "Provider" } th { "Transport" } th { "Credentials" } th { "For this organization" } } }
            tbody {
                @for server in servers {
                    @let spec = &server.entry.spec;
                    tr {
                        td {
                            a href=(format!("/console/catalog/mcp-servers/{}", server.entry.id)) { (server.entry.name) }
                            @if server.entry.org_id.is_some() { span.muted { " (own)" } }
                        }
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
    }
}

/// Entries of a kind without approvals: (id, name, own, detail) under `detail`'s heading.
fn entries_table(path: &str, (heading, rows): (&str, Vec<(String, String, bool, String)>)) -> Markup {
    html! {
        table {
            thead { tr { th { "Name" } th { (heading) } } }
            tbody {
                @for (id, name, own, detail) in &rows {
                    tr {
                        td { a href=(format!("/console/catalog/{path}/{id}")) { (name) } @if *own { span.muted { " (own)" } } }
                        td { (detail) }
                    }
                }
            }
        }
    }
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
        Err(e @ (Error::Validation(_) | Error::Conflict { .. })) => {
            render(&state, &signed, Shown::default(), Some(&e)).await
        }
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
