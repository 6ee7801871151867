//! One assignment: for an MCP server, its connection and the organization's credentials
//! in forms generated from the server's connection schema (credentials write-only); the
//! people it targets, page by page, with who is left out and who still lacks
//! credentials (neither the organization's nor their own).

use agentctl_shared::AppState;
use agentctl_shared::domain::assignments::{self, Assigned, AssignmentPatch, Holder};
use agentctl_shared::domain::catalog;
use agentctl_shared::domain::configs::CredentialsUpdate;
use agentctl_shared::domain::mcp::McpServerSpec;
use agentctl_shared::http::Path;
use agentctl_shared::http::problem::{self, Problem};
use agentctl_shared::roles::Permission;
use agentctl_shared::{Error, Result};
use agentctl_wire::ids::AssignmentId;
use agentctl_wire::page::PageQuery;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::{choices, kind, target_name};
use crate::forms::Submitted;
use crate::layout::{self, Section};
use crate::schema_form;
use crate::session::{PageResult, Params, Signed};

/// Where the connection's and the credentials' inputs are named.
const CONNECTION: &str = "connection.";
const CREDENTIALS: &str = "credentials.";

#[derive(Default, Deserialize)]
pub struct PeopleQuery {
    cursor: Option<String>,
}

/// `GET /console/assignments/{assignment_id}`.
pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<AssignmentId>,
    Params(query): Params<PeopleQuery>,
) -> PageResult {
    render(&state, &signed, id, query.cursor, None).await
}

async fn render(
    state: &AppState,
    signed: &Signed,
    id: AssignmentId,
    cursor: Option<String>,
    problem: Option<(&'static str, Problem)>,
) -> PageResult {
    let caller = &signed.caller;
    let (assignment, people) = assignments::holders(state, caller, id, &PageQuery { limit: Some(50), cursor }).await?;
    let server = match assignment.item {
        Assigned::McpServer { server_id, .. } => {
            Some(catalog::get::<McpServerSpec>(state, &caller.principal(), server_id).await?)
        }
        Assigned::Agent { .. } => None,
    };
    let choices = choices(state, caller).await?;
    let may_write = caller.can(Permission::EmployeesWrite);
    let problem_of = |form: &str| problem.as_ref().filter(|(f, _)| *f == form).map(|(_, p)| p);
    let base = format!("/console/assignments/{id}");
    let needs_credentials =
        server.as_ref().is_some_and(|s| s.spec.requires_credentials) && !assignment.shared_credentials;
    let body = html! {
        p { a href="/console/assignments" { "Back to the assignments" } }
        dl.facts {
            dt { "What" } dd { (kind(&assignment.item)) " " (assignment.name) }
            dt { "To" } dd { (target_name(&choices, &assignment.target)) }
            dt { "Left out" } dd { (assignment.excluded_employee_ids.len()) " person(s)" }
            @if server.is_some() {
                dt { "The organization's credentials" } dd { @if assignment.shared_credentials { "set (never shown)" } @else { "none" } }
            }
        }
        @if let (Some(server), Assigned::McpServer { connection_config, .. }) = (&server, &assignment.item) {
            @let properties = schema_form::properties(&server.spec.connection_schema);
            @let open: Vec<_> = properties.iter().filter(|p| !p.secret).collect();
            @let secret: Vec<_> = properties.iter().filter(|p| p.secret).collect();
            @if may_write && !open.is_empty() {
                section.card aria-labelledby="connection" {
                    h2 id="connection" { "Connection" }
                    p.muted { "What every person it reaches connects with (their own settings take its place)." }
                    @if let Some(problem) = problem_of("connection") { (layout::problem_box(problem)) }
                    form.stack method="post" action=(format!("{base}/connection")) {
                        (layout::csrf(signed))
                        (schema_form::inputs(&open, connection_config, CONNECTION, problem_of("connection")))
                        div.actions { button type="submit" { "Save the connection" } }
                    }
                }
            }
            @if may_write && !secret.is_empty() {
                section.card aria-labelledby="credentials" {
                    h2 id="credentials" { "The organization's credentials" }
                    p.muted { "Used by everyone it reaches who has not set their own. Write-only: never shown again, "
                        "sealed with the organization's key." }
                    @if let Some(problem) = problem_of("credentials") { (layout::problem_box(problem)) }
                    form.stack method="post" action=(format!("{base}/credentials")) {
                        (layout::csrf(signed))
                        (schema_form::inputs(&secret, &serde_json::Value::Null, CREDENTIALS, problem_of("credentials")))
                        div.actions { button type="submit" { @if assignment.shared_credentials { "Replace the credentials" } @else { "Set the credentials" } } }
                    }
                    @if assignment.shared_credentials {
                        form.inline method="post" action=(format!("{base}/credentials/delete")) {
                            (layout::csrf(signed))
                            button.secondary type="submit" { "Remove the organization's credentials" }
                        }
                    }
                }
            }
        }
        h2 { "People" }
        @if needs_credentials {
            p { "Each person must set their own credentials (" code { "agentctl" } " asks at their next sync) until the organization sets its own above." }
        }
        (people_table(signed, id, &people.items, server.is_some() && needs_credentials, may_write))
        (layout::pager(&base, &[], people.next_cursor.as_deref()))
    };
    let status = problem.as_ref().map_or(StatusCode::OK, |(_, p)| problem::status(p));
    Ok((status, layout::page(signed, Section::Assignments, &assignment.name, body)).into_response())
}

fn people_table(
    signed: &Signed,
    id: AssignmentId,
    people: &[Holder],
    credentials_matter: bool,
    may_write: bool,
) -> Markup {
    html! {
        @if people.is_empty() {
            p.muted { "No one." }
        } @else {
            table {
                thead { tr { th { "Person" } th { "Email" } th { "For them" } @if may_write { th { span.skip { "Change" } } } } }
                tbody {
                    @for holder in people {
                        @let person = &holder.employee;
                        tr {
                            td { a href=(format!("/console/people/{}", person.id)) { (person.full_name) } }
                            td { (person.email) }
                            td {
                                @if holder.excluded { span.muted { "left out" } }
                                @else if holder.own_credentials { span.state-ok { "their own credentials" } }
                                @else if credentials_matter { span.state-warn { "lacks credentials" } }
                                @else { span.state-ok { "reaches them" } }
                            }
                            @if may_write {
                                td {
                                    form.inline method="post" action=(format!("/console/people/{}/assignments/{id}", person.id)) {
                                        (layout::csrf(signed))
                                        input type="hidden" name="excluded" value=(if holder.excluded { "no" } else { "yes" });
                                        input type="hidden" name="back" value="assignment";
                                        button.secondary type="submit" {
                                            @if holder.excluded { "Include again" } @else { "Leave out" }
                                            span.skip { " " (person.full_name) }
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
}

/// The connection schema of an MCP server assignment's server.
async fn server_of(state: &AppState, signed: &Signed, id: AssignmentId) -> Result<catalog::Entry<McpServerSpec>> {
    let assignment = assignments::get(state, &signed.caller, id).await?;
    let Assigned::McpServer { server_id, .. } = assignment.item else {
        return Err(Error::invalid("connection", "an agent assignment has no connection"));
    };
    catalog::get::<McpServerSpec>(state, &signed.caller.principal(), server_id).await
}

/// What the form gives for the server's credentials (`secret`) or its other connection
/// properties.
async fn schema_part(
    state: &AppState,
    signed: &Signed,
    id: AssignmentId,
    form: &Submitted,
    secret: bool,
) -> Result<Value> {
    let server = server_of(state, signed, id).await?;
    let properties = schema_form::properties(&server.spec.connection_schema);
    let part: Vec<_> = properties.iter().filter(|p| p.secret == secret).collect();
    schema_form::read(&part, form, if secret { CREDENTIALS } else { CONNECTION })
}

/// Back to the assignment, or its page with the problem beside `form`.
async fn done(
    state: &AppState,
    signed: &Signed,
    id: AssignmentId,
    form: &'static str,
    result: Result<()>,
) -> PageResult {
    match result {
        Ok(()) => Ok(back(id)),
        Err(e @ (Error::Validation(_) | Error::Conflict { .. })) => {
            render(state, signed, id, None, Some((form, e.report()))).await
        }
        Err(e) => Err(e.into()),
    }
}

fn back(id: AssignmentId) -> Response {
    Redirect::to(&format!("/console/assignments/{id}")).into_response()
}

/// `POST /console/assignments/{assignment_id}/connection`.
pub async fn connection(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<AssignmentId>,
    form: Submitted,
) -> PageResult {
    let result = async {
        let connection_config = schema_part(&state, &signed, id, &form, false).await?;
        let patch = AssignmentPatch { connection_config: Some(connection_config), ..Default::default() };
        assignments::update(&state, &signed.caller, id, patch).await.map(drop)
    }
    .await;
    done(&state, &signed, id, "connection", result).await
}

/// `POST /console/assignments/{assignment_id}/credentials`.
pub async fn credentials(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<AssignmentId>,
    form: Submitted,
) -> PageResult {
    let result = async {
        let credentials = schema_part(&state, &signed, id, &form, true).await?;
        let update = CredentialsUpdate { credentials };
        assignments::set_shared_credentials(&state, &signed.caller, id, update).await.map(drop)
    }
    .await;
    done(&state, &signed, id, "credentials", result).await
}

/// `POST /console/assignments/{assignment_id}/credentials/delete`.
pub async fn remove_credentials(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<AssignmentId>,
) -> PageResult {
    assignments::clear_shared_credentials(&state, &signed.caller, id).await?;
    Ok(back(id))
}
