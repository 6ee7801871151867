//! Assignments: what the organization and its teams and groups get, and the bulk form
//! that assigns several agents and MCP servers to several targets in one action
//! (approving the servers not yet approved where the role may), with a result per item
//! and target. The form posts repeated fields (`agent`, `server`, `target`), which the
//! form extractor of serde cannot read as lists, so it reads the pairs itself. One
//! assignment's page is `assignment.rs`.

mod assignment;

pub use assignment::{connection, credentials, remove_credentials, show};

use std::collections::BTreeMap;

use agentctl_shared::AppState;
use agentctl_shared::auth::Caller;
use agentctl_shared::domain::assignments::{
    self, Assigned, Assignment, AssignmentQuery, AssignmentTarget, BulkAssignment, BulkItem, BulkResult,
};
use agentctl_shared::domain::catalog::{self, CatalogQuery};
use agentctl_shared::domain::{mcp, teams};
use agentctl_shared::http::Path;
use agentctl_shared::roles::Permission;
use agentctl_shared::{Error, Result};
use agentctl_wire::catalog::AgentSpec;
use agentctl_wire::ids::{AgentId, AssignmentId, McpServerId, TeamId};
use agentctl_wire::page::PageQuery;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;

use crate::layout::{self, Section};
use crate::pages::part;
use crate::session::{PageResult, Params, Signed};

/// The form's value for the whole organization among the targets.
const ORGANIZATION: &str = "organization";

/// What the form offers: the teams, agents and servers by id, with their names.
struct Choices {
    teams: BTreeMap<TeamId, String>,
    agents: Vec<(AgentId, String)>,
    servers: Vec<(McpServerId, String, bool)>,
}

async fn choices(state: &AppState, caller: &Caller) -> Result<Choices> {
    let principal = caller.principal();
    let all = CatalogQuery { limit: Some(100), ..Default::default() };
    let (teams, agents, servers) = tokio::try_join!(
        part(teams::list(state, caller, &PageQuery { limit: Some(100), cursor: None })),
        part(catalog::list::<AgentSpec>(state, &principal, &all)),
        part(mcp::list(state, &principal, &all)),
    )?;
    Ok(Choices {
        teams: teams.items.into_iter().map(|t| (t.id, t.name)).collect(),
        agents: agents.items.into_iter().map(|a| (a.id, a.name)).collect(),
        servers: servers.items.into_iter().map(|s| (s.entry.id, s.entry.name, s.is_approved.unwrap_or(true))).collect(),
    })
}

fn target_name(choices: &Choices, target: &AssignmentTarget) -> String {
    match target {
        AssignmentTarget::Organization {} => "the whole organization".into(),
        AssignmentTarget::Team { team_id } => {
            choices.teams.get(team_id).cloned().unwrap_or_else(|| format!("team {team_id}"))
        }
    }
}

fn kind(item: &Assigned) -> &'static str {
    match item {
        Assigned::Agent { .. } => "agent",
        Assigned::McpServer { .. } => "MCP server",
    }
}

#[derive(Default, Deserialize)]
pub struct Filters {
    cursor: Option<String>,
}

/// `GET /console/assignments`.
pub async fn page(State(state): State<AppState>, signed: Signed, Params(filters): Params<Filters>) -> PageResult {
    let body = view(&state, &signed, filters.cursor, None).await?;
    Ok(layout::page(&signed, Section::Assignments, "Assignments", body).into_response())
}

async fn view(state: &AppState, signed: &Signed, cursor: Option<String>, outcome: Option<Markup>) -> Result<Markup> {
    let caller = &signed.caller;
    let query = AssignmentQuery { cursor, limit: Some(50), ..Default::default() };
    let (current, choices) =
        tokio::try_join!(part(assignments::list(state, caller, &query)), part(choices(state, caller)))?;
    let may_assign = caller.can(Permission::EmployeesWrite);
    let may_approve = caller.can(Permission::McpApprove);
    Ok(html! {
        @if let Some(outcome) = outcome { (outcome) }
        @if may_assign {
            section.card aria-labelledby="assign" {
                h2 id="assign" { "Assign" }
                form.stack method="post" action="/console/assignments" {
                    (layout::csrf(signed))
                    fieldset {
                        legend { "To" }
                        label { input type="checkbox" name="target" value=(ORGANIZATION); " The whole organization" }
                        @for (id, name) in &choices.teams {
                            label { input type="checkbox" name="target" value=(id); " " (name) }
                        }
                    }
                    fieldset {
                        legend { "Agents" }
                        @if choices.agents.is_empty() { p.muted { "The catalog has no agent yet." } }
                        @for (id, name) in &choices.agents {
                            label { input type="checkbox" name="agent" value=(id); " " (name) }
                        }
                    }
                    fieldset {
                        legend { "MCP servers" }
                        @if choices.servers.is_empty() { p.muted { "The catalog has no MCP server yet." } }
                        @for (id, name, approved) in &choices.servers {
                            label {
                                input type="checkbox" name="server" value=(id);
                                " " (name)
                                @if !approved { span.muted { " (not approved yet)" } }
                            }
                        }
                    }
                    @if may_approve {
                        label { input type="checkbox" name="approve" value="yes"; " Approve the servers not approved yet (each approval is recorded)" }
                    }
                    div.actions { button type="submit" { "Assign" } }
                }
            }
        }
        h2 { "Current assignments" }
        @if current.items.is_empty() {
            p.muted { "Nothing is assigned yet." }
        } @else {
            table {
                thead { tr { th { "What" } th { "Kind" } th { "To" } th.num { "Left out" } th { "Shared credentials" } @if may_assign { th { span.skip { "Remove" } } } } }
                tbody {
                    @for assignment in &current.items {
                        (row(signed, &choices, assignment, may_assign))
                    }
                }
            }
        }
        (layout::pager("/console/assignments", &[], current.next_cursor.as_deref()))
    })
}

fn row(signed: &Signed, choices: &Choices, assignment: &Assignment, may_remove: bool) -> Markup {
    html! {
        tr {
            td { a href=(format!("/console/assignments/{}", assignment.id)) { (assignment.name) } }
            td { (kind(&assignment.item)) }
            td { (target_name(choices, &assignment.target)) }
            td.num { (assignment.excluded_employee_ids.len()) }
            td { @if assignment.shared_credentials { "yes" } @else { "no" } }
            @if may_remove {
                td {
                    form.inline method="post" action=(format!("/console/assignments/{}/delete", assignment.id)) {
                        (layout::csrf(signed))
                        button.secondary type="submit" { "Remove" span.skip { " " (assignment.name) " from " (target_name(choices, &assignment.target)) } }
                    }
                }
            }
        }
    }
}

/// The bulk form's fields, read from its repeated pairs.
fn bulk_request(body: &[u8]) -> std::result::Result<BulkAssignment, Error> {
    let mut targets = Vec::new();
    let mut items = Vec::new();
    let mut approve = false;
    for (name, value) in url::form_urlencoded::parse(body) {
        let parse = |what: &'static str| Error::invalid(what, format!("{value:?} is not one of the choices"));
        match name.as_ref() {
            "target" if value == ORGANIZATION => targets.push(AssignmentTarget::Organization {}),
            "target" => targets.push(AssignmentTarget::Team { team_id: value.parse().map_err(|_| parse("target"))? }),
            "agent" => items.push(json!({ "type": "agent", "agent_id": value })),
            "server" => items.push(json!({ "type": "mcp_server", "server_id": value })),
            "approve" => approve = value == "yes",
            _ => {}
        }
    }
    let items = items
        .into_iter()
        .map(|mut item| {
            if item["type"] == "mcp_server" {
                item["approve"] = json!(approve);
            }
            serde_json::from_value::<BulkItem>(item).map_err(|_| Error::invalid("items", "is not one of the choices"))
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(BulkAssignment { targets, items, excluded_employee_ids: None })
}

/// `POST /console/assignments`: the bulk assignment, and a result per item and target.
pub async fn assign(State(state): State<AppState>, signed: Signed, body: Bytes) -> PageResult {
    let request = bulk_request(&body)?;
    let names: Vec<String> = request.items.iter().map(item_label).collect();
    let outcome = match assignments::assign_many(&state, &signed.caller, request).await {
        Ok((approved, results)) => {
            let choices = choices(&state, &signed.caller).await?;
            results_table(&choices, &names, approved.len(), &results)
        }
        Err(e @ (Error::Validation(_) | Error::Conflict { .. })) => layout::problem_box(&e.report()),
        Err(e) => return Err(e.into()),
    };
    let body = view(&state, &signed, None, Some(outcome)).await?;
    Ok(layout::page(&signed, Section::Assignments, "Assignments", body).into_response())
}

fn item_label(item: &BulkItem) -> String {
    match item {
        BulkItem::Agent { agent_id, .. } => format!("agent {}", agent_id.map(|id| id.to_string()).unwrap_or_default()),
        BulkItem::McpServer { server_id, .. } => {
            format!("MCP server {}", server_id.map(|id| id.to_string()).unwrap_or_default())
        }
    }
}

fn results_table(choices: &Choices, names: &[String], approved: usize, results: &[BulkResult]) -> Markup {
    html! {
        div.notice role="status" {
            p { (results.iter().filter(|(_, _, r)| matches!(r, Ok(Some(_)))).count()) " assigned, "
                (results.iter().filter(|(_, _, r)| matches!(r, Ok(None))).count()) " already were, "
                (results.iter().filter(|(_, _, r)| r.is_err()).count()) " refused; "
                (approved) " server(s) approved." }
            table {
                thead { tr { th { "What" } th { "To" } th { "Result" } } }
                tbody {
                    @for (index, target, result) in results {
                        tr {
                            td {
                                @match result {
                                    Ok(Some(assignment)) => (assignment.name),
                                    _ => (names.get(*index).cloned().unwrap_or_default()),
                                }
                            }
                            td { (target.as_ref().map(|t| target_name(choices, t)).unwrap_or_else(|| "every target".into())) }
                            td {
                                @match result {
                                    Ok(Some(_)) => "assigned",
                                    Ok(None) => "already assigned",
                                    Err(e) => { "refused: " (e.report().detail) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /console/assignments/{assignment_id}/delete`.
pub async fn remove(State(state): State<AppState>, signed: Signed, Path(id): Path<AssignmentId>) -> PageResult {
    assignments::delete(&state, &signed.caller, id).await?;
    Ok(Redirect::to("/console/assignments").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_become_targets_and_items() {
        let team = TeamId::new();
        let agent = AgentId::new();
        let server = McpServerId::new();
        let body = format!("csrf=x&target=organization&target={team}&agent={agent}&server={server}&approve=yes");
        let request = bulk_request(body.as_bytes()).unwrap();
        assert_eq!(request.targets, vec![AssignmentTarget::Organization {}, AssignmentTarget::Team { team_id: team }]);
        assert_eq!(request.items.len(), 2);
        assert!(matches!(request.items[1], BulkItem::McpServer { approve: true, .. }));
        assert!(bulk_request(b"target=not-a-team").is_err());
        assert!(bulk_request(b"agent=not-an-agent").is_err());
    }
}
