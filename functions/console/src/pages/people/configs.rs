//! A person's own configurations (beside what assignments give them): their agents with
//! settings and their MCP servers with a connection, added for them or removed. The
//! credentials of an MCP server stay theirs to set (`agentctl` asks for them).

use agentctl_shared::AppState;
use agentctl_shared::domain::catalog::{self, CatalogQuery};
use agentctl_shared::domain::configs::{self, ConfigQuery, NewAgentConfig, NewMcpConfig};
use agentctl_shared::domain::mcp;
use agentctl_shared::http::Path;
use agentctl_shared::http::problem::Problem;
use agentctl_shared::roles::Permission;
use agentctl_shared::{Error, Name, Result};
use agentctl_wire::catalog::AgentSpec;
use agentctl_wire::ids::{AgentConfigId, EmployeeId, McpConfigId};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::person::{Outcome, render};
use crate::forms::{Input, Submitted, field};
use crate::layout;
use crate::pages::{part, when};
use crate::session::{PageResult, Signed};

/// The part of a person's page with their own configurations.
pub async fn section(state: &AppState, signed: &Signed, employee: EmployeeId) -> Result<Markup> {
    let caller = &signed.caller;
    let may_write = caller.can(Permission::EmployeesWrite);
    let (all, choices) = (
        ConfigQuery { limit: Some(100), ..Default::default() },
        CatalogQuery { limit: Some(100), ..Default::default() },
    );
    let principal = caller.principal();
    let (agents, servers, agent_choices, server_choices) = tokio::try_join!(
        part(configs::list_agent_configs(state, caller, employee, &all)),
        part(configs::list_mcp_configs(state, caller, employee, &all)),
        when(may_write, catalog::list::<AgentSpec>(state, &principal, &choices)),
        when(may_write, mcp::list(state, &principal, &choices)),
    )?;
    let (agents, servers) = (agents.items, servers.items);
    let agent_choices = agent_choices.map(|page| page.items).unwrap_or_default();
    let server_choices = server_choices.map(|page| page.items).unwrap_or_default();
    let base = format!("/console/people/{employee}");
    Ok(html! {
        h2 { "Their own configurations" }
        @if agents.is_empty() && servers.is_empty() {
            p.muted { "None beyond what is assigned to them." }
        } @else {
            table {
                thead { tr { th { "Configuration" } th { "Status" } th { "Settings or connection" } th { "Last sync" } @if may_write { th { span.skip { "Remove" } } } } }
                tbody {
                    @for listed in &agents {
                        @let config = &listed.config;
                        tr {
                            td { "Agent " (config.name) span.muted { " (" (listed.agent_type.as_str()) ")" } }
                            td { (config.status.as_str()) }
                            td.mono { (config.config_override.to_string()) }
                            td { (config.last_sync_at.as_ref().map(layout::when).unwrap_or_else(|| "never".into())) }
                            @if may_write { td { (remove(signed, &format!("{base}/agent-configs/{}/delete", config.id), &config.name)) } }
                        }
                    }
                    @for listed in &servers {
                        @let config = &listed.config;
                        tr {
                            td { "MCP server " (config.server_name) }
                            td { (config.status.as_str()) @if !config.credentials_set { span.muted { ", no credentials" } } }
                            td.mono { (config.connection_config.to_string()) }
                            td { (config.last_sync_at.as_ref().map(layout::when).unwrap_or_else(|| "never".into())) }
                            @if may_write { td { (remove(signed, &format!("{base}/mcp-configs/{}/delete", config.id), &config.server_name)) } }
                        }
                    }
                }
            }
        }
        @if may_write {
            details {
                summary { "Add an agent or MCP server for them" }
                form.stack method="post" action=(format!("{base}/agent-configs")) {
                    (layout::csrf(signed))
                    label for="config-agent" { "Agent" }
                    select id="config-agent" name="agent_id" { @for agent in &agent_choices { option value=(agent.id) { (agent.name) } } }
                    label for="config-settings" { "Settings over the agent's defaults (JSON object, optional)" }
                    textarea.mono id="config-settings" name="config_override" rows="3" cols="60" spellcheck="false" {}
                    div.actions { button type="submit" { "Add the agent" } }
                }
                form.stack method="post" action=(format!("{base}/mcp-configs")) {
                    (layout::csrf(signed))
                    label for="config-server" { "MCP server (approved for the organization)" }
                    select id="config-server" name="server_id" {
                        @for server in server_choices.iter().filter(|s| s.is_approved == Some(true)) {
                            option value=(server.entry.id) { (server.entry.name) }
                        }
                    }
                    label for="config-connection" { "Connection, without credentials (JSON object, optional)" }
                    textarea.mono id="config-connection" name="connection_config" rows="3" cols="60" spellcheck="false" {}
                    div.actions { button type="submit" { "Add the server" } }
                }
            }
        }
    })
}

fn remove(signed: &Signed, action: &str, name: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (layout::csrf(signed))
            button.secondary type="submit" { "Remove" span.skip { " " (name) } }
        }
    }
}

fn back(employee: EmployeeId) -> Response {
    Redirect::to(&format!("/console/people/{employee}")).into_response()
}

/// The optional JSON object of the form field `name`.
fn json_of(form: &Submitted, name: &'static str) -> Result<Option<serde_json::Value>> {
    field(name, "", Input::Json).read(form, name)
}

/// Back to the person, or their page with the domain's problem.
async fn done(state: &AppState, signed: &Signed, employee: EmployeeId, result: Result<()>) -> PageResult {
    match result {
        Ok(()) => Ok(back(employee)),
        Err(e @ (Error::Validation(_) | Error::Conflict { .. })) => {
            let problem: Problem = e.report();
            render(state, signed, employee, Some(Outcome::Problem(problem))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/people/{employee_id}/agent-configs`.
pub async fn add_agent(
    State(state): State<AppState>,
    signed: Signed,
    Path(employee): Path<EmployeeId>,
    form: Submitted,
) -> PageResult {
    let result = async {
        let agent_id = form
            .get("agent_id")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| Error::invalid("agent_id", "choose an agent"))?;
        let new =
            NewAgentConfig { agent_id, name: None, status: None, config_override: json_of(&form, "config_override")? };
        configs::create_agent_config(&state, &signed.caller, employee, new).await.map(drop)
    }
    .await;
    done(&state, &signed, employee, result).await
}

/// `POST /console/people/{employee_id}/mcp-configs`.
pub async fn add_server(
    State(state): State<AppState>,
    signed: Signed,
    Path(employee): Path<EmployeeId>,
    form: Submitted,
) -> PageResult {
    let result = async {
        let server_id = form
            .get("server_id")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::invalid("server_id", "choose a server"))?;
        let new = NewMcpConfig { server_id, status: None, connection_config: json_of(&form, "connection_config")? };
        configs::create_mcp_config(&state, &signed.caller, employee, new).await.map(drop)
    }
    .await;
    done(&state, &signed, employee, result).await
}

/// `POST /console/people/{employee_id}/agent-configs/{config_id}/delete`.
pub async fn remove_agent(
    State(state): State<AppState>,
    signed: Signed,
    Path((employee, config)): Path<(EmployeeId, AgentConfigId)>,
) -> PageResult {
    configs::delete_agent_config(&state, &signed.caller, employee, config).await?;
    Ok(back(employee))
}

/// `POST /console/people/{employee_id}/mcp-configs/{config_id}/delete`.
pub async fn remove_server(
    State(state): State<AppState>,
    signed: Signed,
    Path((employee, config)): Path<(EmployeeId, McpConfigId)>,
) -> PageResult {
    configs::delete_mcp_config(&state, &signed.caller, employee, config).await?;
    Ok(back(employee))
}
