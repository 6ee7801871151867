//! Teams and directory groups: the list and a new team; a team's page with its members,
//! the policies attached to it (with the rule fields it overrides) and the assignments
//! that target it. A group the identity provider manages (SCIM) is read-only here: its
//! name and members change there.

use agentctl_shared::AppState;
use agentctl_shared::domain::assignments::{self, AssignmentQuery};
use agentctl_shared::domain::employees::{self, EmployeeQuery};
use agentctl_shared::domain::policies::{self, Target};
use agentctl_shared::domain::{scim, teams};
use agentctl_shared::http::Path;
use agentctl_shared::http::problem::{self, Problem};
use agentctl_shared::roles::Permission;
use agentctl_shared::{Error, Name};
use agentctl_wire::ids::TeamId;
use agentctl_wire::page::PageQuery;
use agentctl_wire::teams::{NewTeam, TeamPatch};
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;

use crate::layout::{self, Section};
use crate::pages::{part, when};
use crate::session::{PageResult, Params, Signed};

#[derive(Default, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

/// `GET /console/teams`.
pub async fn list(State(state): State<AppState>, signed: Signed, Params(query): Params<ListQuery>) -> PageResult {
    render_list(&state, &signed, query.cursor, None).await
}

async fn render_list(
    state: &AppState,
    signed: &Signed,
    cursor: Option<String>,
    problem: Option<Problem>,
) -> PageResult {
    let caller = &signed.caller;
    let page = teams::list(state, caller, &PageQuery { limit: Some(50), cursor }).await?;
    let status = problem.as_ref().map_or(StatusCode::OK, problem::status);
    let body = html! {
        @if caller.can(Permission::TeamsWrite) {
            details open[problem.is_some()] {
                summary { "New team" }
                @if let Some(problem) = &problem { (layout::problem_box(problem)) }
                (team_form(signed, "/console/teams", None))
            }
        }
        table {
            thead { tr { th { "Team" } th { "Members (their team)" } th { "In the group" } th { "Active agents" } } }
            tbody {
                @for team in &page.items {
                    tr {
                        td { a href=(format!("/console/teams/{}", team.id)) { (team.name) } }
                        td { (team.member_count) }
                        td { (team.group_size) }
                        td { (team.agent_config_count) }
                    }
                }
            }
        }
        (layout::pager("/console/teams", &[], page.next_cursor.as_deref()))
    };
    Ok((status, layout::page(signed, Section::People, "Teams and groups", body)).into_response())
}

fn team_form(signed: &Signed, action: &str, current: Option<&agentctl_wire::teams::Team>) -> Markup {
    html! {
        form.stack method="post" action=(action) {
            (layout::csrf(signed))
            label for="name" { "Name" }
            input id="name" name="name" required size="40" value=[current.map(|t| &t.name)];
            label for="description" { "Description" }
            input id="description" name="description" size="60" value=[current.map(|t| &t.description)];
            label {
                input type="checkbox" name="team_source" value="yes" checked[current.is_some_and(|t| t.team_source)];
                " Directory membership decides the team (people the identity provider adds to this group get it as their team)"
            }
            div.actions { button type="submit" { @if current.is_some() { "Save the team" } @else { "Create the team" } } }
        }
    }
}

#[derive(Default, Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    team_source: Option<String>,
}

/// `POST /console/teams`.
pub async fn create(
    State(state): State<AppState>,
    signed: Signed,
    form: std::result::Result<Form<TeamForm>, FormRejection>,
) -> PageResult {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let request =
        NewTeam { name: form.name, description: Some(form.description), team_source: Some(form.team_source.is_some()) };
    match teams::create(&state, &signed.caller, request).await {
        Ok(team) => Ok(Redirect::to(&format!("/console/teams/{}", team.id)).into_response()),
        Err(e @ (Error::Validation(_) | Error::Conflict { .. })) => {
            render_list(&state, &signed, None, Some(e.report())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Default, Deserialize)]
pub struct TeamQuery {
    cursor: Option<String>,
}

/// `GET /console/teams/{team_id}`.
pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<TeamId>,
    Params(query): Params<TeamQuery>,
) -> PageResult {
    render(&state, &signed, id, query.cursor, None).await
}

async fn render(
    state: &AppState,
    signed: &Signed,
    id: TeamId,
    cursor: Option<String>,
    problem: Option<Problem>,
) -> PageResult {
    let caller = &signed.caller;
    let members = EmployeeQuery { team_id: Some(id), cursor, limit: Some(50), ..Default::default() };
    let assignments_of = AssignmentQuery { team_id: Some(id), limit: Some(100), cursor: None };
    let principal = caller.principal();
    // The page's parts are independent: read together, the page waits for the slowest.
    let (team, directory, members, attached, assigned) = tokio::try_join!(
        part(teams::get(state, caller, id)),
        part(scim::groups::record_of(state, caller, id)),
        when(caller.can(Permission::EmployeesRead), employees::list(state, caller, members)),
        when(caller.can(Permission::PoliciesRead), policies::links(state, &principal, Target::Team(id))),
        when(caller.can(Permission::EmployeesRead), assignments::list(state, caller, &assignments_of)),
    )?;
    let assigned = assigned.map(|page| page.items);
    let status = problem.as_ref().map_or(StatusCode::OK, problem::status);
    let body = html! {
        @if let Some(problem) = &problem { (layout::problem_box(problem)) }
        dl.facts {
            @if !team.description.is_empty() { dt { "Description" } dd { (team.description) } }
            dt { "Members (their team)" } dd { (team.member_count) }
            dt { "In the group" } dd { (team.group_size) }
            dt { "Team decided by the directory" } dd { @if team.team_source { "yes" } @else { "no" } }
            @if let Some(directory) = &directory {
                dt { "Identity provider (SCIM)" } dd {
                    span.source { "from the directory" }
                    @if let Some(external) = &directory.external_id { " externalId " code { (external) } }
                    ", last sent " (layout::when(&directory.last_modified))
                    ". Its name and members change there."
                }
            }
        }
        @if caller.can(Permission::TeamsWrite) && directory.is_none() {
            section.card aria-labelledby="edit" {
                h2 id="edit" { "Edit" }
                (team_form(signed, &format!("/console/teams/{id}"), Some(&team)))
                form.inline method="post" action=(format!("/console/teams/{id}/delete")) {
                    (layout::csrf(signed))
                    button.danger type="submit" { "Delete the team " (team.name) }
                }
            }
        }
        @if let Some(attached) = attached {
            h2 { "Policies" }
            @if attached.is_empty() {
                p.muted { "No policy attached to the team. Attach one from its policy's page." }
            } @else {
                table {
                    thead { tr { th { "Policy" } th { "Overrides for the team" } } }
                    tbody {
                        @for link in &attached {
                            tr {
                                td { a href=(format!("/console/policies/{}", link.policy_id)) { (link.policy_name) } }
                                td.mono { (link.overrides.as_ref().map_or_else(|| "—".to_string(), |o| o.to_string())) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(assigned) = assigned {
            h2 { "Assigned to the team" }
            @if assigned.is_empty() {
                p.muted { "Nothing. " a href="/console/assignments" { "Assign agents and MCP servers" } }
            } @else {
                ul { @for a in &assigned { li { (a.name) @if !a.excluded_employee_ids.is_empty() { span.muted { " (" (a.excluded_employee_ids.len()) " left out)" } } } } }
            }
        }
        @if let Some(members) = members {
            h2 { "Members" }
            @if members.items.is_empty() {
                p.muted { "No one has this team as theirs." }
            } @else {
                table {
                    thead { tr { th { "Name" } th { "Email" } th { "Role" } th { "Status" } } }
                    tbody {
                        @for e in &members.items {
                            tr {
                                td { a href=(format!("/console/people/{}", e.id)) { (e.full_name) } }
                                td { (e.email) }
                                td { (e.role.as_str()) }
                                td { (e.status.as_str()) }
                            }
                        }
                    }
                }
                (layout::pager(&format!("/console/teams/{id}"), &[], members.next_cursor.as_deref()))
            }
        }
    };
    Ok((status, layout::page(signed, Section::People, &team.name, body)).into_response())
}

/// `POST /console/teams/{team_id}`.
pub async fn edit(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<TeamId>,
    form: std::result::Result<Form<TeamForm>, FormRejection>,
) -> PageResult {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let patch = TeamPatch {
        name: Some(form.name),
        description: Some(form.description),
        team_source: Some(form.team_source.is_some()),
    };
    match teams::update(&state, &signed.caller, id, patch).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/teams/{id}")).into_response()),
        Err(e @ (Error::Validation(_) | Error::Conflict { .. })) => {
            render(&state, &signed, id, None, Some(e.report())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/teams/{team_id}/delete`.
pub async fn delete(State(state): State<AppState>, signed: Signed, Path(id): Path<TeamId>) -> PageResult {
    match teams::delete(&state, &signed.caller, id).await {
        Ok(()) => Ok(Redirect::to("/console/teams").into_response()),
        Err(e @ Error::Conflict { .. }) => render(&state, &signed, id, None, Some(e.report())).await,
        Err(e) => Err(e.into()),
    }
}
