//! A person: their facts, role and status (changed here by those who may), an
//! enrollment code (shown once), the devices they sync from, their effective policy with
//! the source of each rule and what each client enforces, their live sessions (device,
//! last use) and ending them.

use agentctl_shared::AppState;
use agentctl_shared::domain::employees::{self, EmployeePatch};
use agentctl_shared::domain::identity::links;
use agentctl_shared::domain::{fleet, policies, scim, sessions};
use agentctl_shared::http::Path;
use agentctl_shared::http::problem::{self, Problem};
use agentctl_shared::repo::scim::UserOverlay;
use agentctl_shared::roles::Permission;
use agentctl_shared::{Error, Name};
use agentctl_wire::employees::{Employee, EmployeeStatus};
use agentctl_wire::ids::{EmployeeId, IdentityLinkId, TeamId};
use agentctl_wire::page::PageQuery;
use agentctl_wire::policy::EffectivePolicies;
use agentctl_wire::roles::RoleName;
use agentctl_wire::sessions::EnrollmentCode;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;

use crate::layout::{self, Section};
use crate::pages::{part, when};
use crate::session::{PageResult, Signed};

/// How much of a policy's rules the table shows.
const RULES_SHOWN: usize = 200;

/// What a form on the page just did.
pub(super) enum Outcome {
    Code(EnrollmentCode),
    Problem(Problem),
}

/// `GET /console/people/{employee_id}`.
pub async fn show(State(state): State<AppState>, signed: Signed, Path(id): Path<EmployeeId>) -> PageResult {
    render(&state, &signed, id, None).await
}

pub(super) async fn render(state: &AppState, signed: &Signed, id: EmployeeId, outcome: Option<Outcome>) -> PageResult {
    let caller = &signed.caller;
    let employee = employees::get(state, caller, id).await?;
    // The page's parts are independent: read together, the page waits for the slowest.
    let recent = PageQuery { limit: Some(50), cursor: None };
    let (sessions, policy, devices, directory, reach, own, links) = tokio::try_join!(
        when(caller.can(Permission::EmployeesWrite), sessions::list_for(state, caller, id, &recent)),
        when(caller.can(Permission::PoliciesRead), policies::effective(state, caller, id, None)),
        part(fleet::of_employee(state, caller, id)),
        part(scim::users::record_of(state, caller, id)),
        part(super::reach::section(state, signed, &employee)),
        part(super::configs::section(state, signed, id)),
        part(async { Ok(links::list(state, caller, id).await?.items) }),
    )?;
    let status = match &outcome {
        Some(Outcome::Problem(problem)) => problem::status(problem),
        _ => StatusCode::OK,
    };
    let body = html! {
        @match &outcome {
            Some(Outcome::Code(code)) => div.notice role="status" {
                p { "Enrollment code for " (employee.full_name) ", valid until " (layout::when(&code.expires_at)) ". "
                    strong { "It is shown only now." } }
                p.mono { (code.code) }
                p { "They sign in with " code { "agentctl login --code <code>" } " or at this console's sign-in page." }
            },
            Some(Outcome::Problem(problem)) => (layout::problem_box(problem)),
            None => {},
        }
        (facts(&employee, directory.as_ref(), &reach.teams))
        @if caller.can(Permission::ActivityRead) {
            p { a href=(format!("/console/activity?employee_id={id}")) { "Their activity" } }
        }
        @if caller.can(Permission::EmployeesWrite) { (change_form(signed, &employee, directory.is_some(), &reach.teams)) }
        @if caller.can(Permission::EmployeesEnroll) {
            form method="post" action=(format!("/console/people/{id}/enrollment-code")) {
                (layout::csrf(signed))
                button.secondary type="submit" { "Issue an enrollment code" }
            }
        }
        @if !links.is_empty() {
            h2 { "Identity provider accounts" }
            table {
                thead { tr { th { "Provider" } th { "Subject" } th { "Linked" } @if caller.can(Permission::EmployeesWrite) { th { span.skip { "Remove" } } } } }
                tbody {
                    @for link in &links {
                        tr {
                            td { (link.issuer) }
                            td.mono { (link.subject) }
                            td { (layout::when(&link.created_at)) }
                            @if caller.can(Permission::EmployeesWrite) {
                                td {
                                    form.inline method="post" action=(format!("/console/people/{id}/identity-links/{}/delete", link.id)) {
                                        (layout::csrf(signed))
                                        button.secondary type="submit" { "Remove" span.skip { " the link to " (link.issuer) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Devices" }
        (crate::pages::fleet::table(&devices.iter().collect::<Vec<_>>(), |_| Some(employee.full_name.clone())))
        (reach.markup)
        (own)
        @if let Some(policy) = &policy { (effective_policy(policy)) }
        @if let Some(sessions) = sessions {
            h2 { "Sessions" }
            @if sessions.items.is_empty() {
                p.muted { "No live session." }
            } @else {
                table {
                    thead { tr { th { "Device" } th { "From" } th { "Signed in" } th { "Last used" } th { "Ends" } } }
                    tbody {
                        @for session in &sessions.items {
                            tr {
                                td { (session.device_name.as_deref().unwrap_or("unnamed")) }
                                td { (session.ip_address.as_deref().unwrap_or("")) }
                                td { (layout::when(&session.created_at)) }
                                td { (session.last_used_at.as_ref().map(layout::when).unwrap_or_default()) }
                                td { (layout::when(&session.ends_at.unwrap_or(session.expires_at))) }
                            }
                        }
                    }
                }
                form method="post" action=(format!("/console/people/{id}/sessions/revoke")) {
                    (layout::csrf(signed))
                    button.danger type="submit" { "End every session of " (employee.full_name) }
                }
            }
        }
        @if caller.can(Permission::EmployeesWrite) {
            section.card aria-labelledby="delete" {
                h2 id="delete" { "Delete" }
                p { "A person is deleted once deactivated and without configurations of their own; "
                    "their usage and activity stay." }
                form.inline method="post" action=(format!("/console/people/{id}/delete")) {
                    (layout::csrf(signed))
                    button.danger type="submit" { "Delete " (employee.full_name) }
                }
            }
        }
    };
    Ok((status, layout::page(signed, Section::People, &employee.full_name, body)).into_response())
}

/// The person's facts; what the directory (SCIM) manages says so, with when it last
/// sent them.
fn facts(employee: &Employee, directory: Option<&UserOverlay>, teams: &super::reach::TeamNames) -> Markup {
    let from_directory = html! { @if directory.is_some() { " " span.source { "from the directory" } } };
    html! {
        dl.facts {
            dt { "Email" } dd { (employee.email) (from_directory) }
            dt { "Role" } dd { (employee.role.as_str()) }
            dt { "Status" } dd { (employee.status.as_str()) (from_directory) }
            dt { "Team" } dd {
                @match employee.team_id {
                    Some(team) => { a href=(format!("/console/teams/{team}")) { (teams.name(team)) } }
                    None => "none",
                }
                @if directory.is_some_and(|d| d.department.is_some()) { " " span.source { "from the directory (department)" } }
            }
            @if !teams.groups.is_empty() {
                dt { "Directory groups" } dd {
                    @for (i, group) in teams.groups.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href=(format!("/console/teams/{group}")) { (teams.name(*group)) }
                    }
                }
            }
            dt { "Agent configurations" } dd { (employee.agent_config_count) " active of " (employee.agent_config_total) }
            dt { "Last sign-in" } dd { (employee.last_login_at.as_ref().map(layout::when).unwrap_or_else(|| "never".into())) }
            @if let Some(directory) = directory {
                dt { "Identity provider (SCIM)" } dd {
                    "userName " code { (directory.user_name) }
                    @if let Some(external) = &directory.external_id { ", externalId " code { (external) } }
                    ", last sent " (layout::when(&directory.last_modified))
                    ". Email, name, status"
                    @if directory.department.is_some() { " and team" }
                    " change there, not here."
                }
            }
            @if employee.scim_deleted { dt { "Directory" } dd { "removed by the identity provider (SCIM)" } }
        }
    }
}

/// Role, status and team; what the directory manages is not offered (it would be
/// overwritten at its next push).
fn change_form(signed: &Signed, employee: &Employee, managed: bool, teams: &super::reach::TeamNames) -> Markup {
    html! {
        form.actions method="post" action=(format!("/console/people/{}", employee.id)) {
            (layout::csrf(signed))
            div {
                label for="role" { "Role" }
                select id="role" name="role" {
                    @for role in <RoleName as strum::VariantArray>::VARIANTS {
                        option value=(role.as_str()) selected[*role == employee.role] { (role.as_str()) }
                    }
                }
            }
            @if !managed {
                div {
                    label for="status" { "Status" }
                    select id="status" name="status" {
                        @for status in <EmployeeStatus as strum::VariantArray>::VARIANTS {
                            option value=(status.as_str()) selected[*status == employee.status] { (status.as_str()) }
                        }
                    }
                }
                div {
                    label for="team_id" { "Team" }
                    select id="team_id" name="team_id" {
                        option value="" { "none" }
                        @for (team, name) in &teams.choices {
                            option value=(team) selected[employee.team_id == Some(*team)] { (name) }
                        }
                    }
                }
            }
            button type="submit" { "Save" }
        }
    }
}

/// Each rule with the policy it comes from, and what each client enforces of it.
fn effective_policy(policy: &EffectivePolicies) -> Markup {
    html! {
        h2 { "Effective policy" }
        @if policy.policies.is_empty() {
            p.muted { "No policy applies." }
        } @else {
            table {
                thead { tr { th { "Policy" } th { "Type" } th { "From" } th { "Severity" } th { "Rules" } th { "Enforced by" } } }
                tbody {
                    @for applied in &policy.policies {
                        @let rules = applied.rules.to_string();
                        tr {
                            td { (applied.name) @if applied.overridden { span.muted { " (team override)" } } }
                            td { (applied.policy_type.as_str()) }
                            td { (applied.level.as_str()) }
                            td { (applied.severity.as_str()) }
                            td.mono { (rules.chars().take(RULES_SHOWN).collect::<String>()) @if rules.chars().count() > RULES_SHOWN { "…" } }
                            td { (layout::enforcement(&applied.enforcement)) }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct Change {
    role: Option<RoleName>,
    status: Option<EmployeeStatus>,
    /// Empty: no team; absent: unchanged.
    team_id: Option<String>,
}

/// `POST /console/people/{employee_id}`: role and status.
pub async fn change(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<EmployeeId>,
    form: std::result::Result<Form<Change>, FormRejection>,
) -> PageResult {
    let Ok(Form(change)) = form else {
        return render(
            &state,
            &signed,
            id,
            Some(Outcome::Problem(Error::invalid("role", "choose a role and a status").report())),
        )
        .await;
    };
    let current = employees::get(&state, &signed.caller, id).await?;
    // Only what changed: an unchanged role needs no right over roles.
    let team = match change.team_id.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(team) => match team.parse::<TeamId>() {
            Ok(team) => Some(Some(team)),
            Err(_) => {
                let problem = Error::invalid("team_id", "choose a team").report();
                return render(&state, &signed, id, Some(Outcome::Problem(problem))).await;
            }
        },
    };
    let patch = EmployeePatch {
        role: change.role.filter(|r| *r != current.role),
        status: change.status.filter(|s| *s != current.status),
        team_id: team.filter(|t| *t != current.team_id),
        ..Default::default()
    };
    match employees::update(&state, &signed.caller, id, patch).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/people/{id}")).into_response()),
        Err(e @ (Error::Validation(_) | Error::Conflict { .. } | Error::Forbidden(_))) => {
            render(&state, &signed, id, Some(Outcome::Problem(e.report()))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/people/{employee_id}/enrollment-code`: a code, shown once.
pub async fn enroll(State(state): State<AppState>, signed: Signed, Path(id): Path<EmployeeId>) -> PageResult {
    let code = sessions::issue_enrollment(&state, &signed.caller, id).await?;
    render(&state, &signed, id, Some(Outcome::Code(code))).await
}

/// `POST /console/people/{employee_id}/sessions/revoke`.
pub async fn revoke_sessions(State(state): State<AppState>, signed: Signed, Path(id): Path<EmployeeId>) -> PageResult {
    sessions::revoke_for(&state, &signed.caller, id).await?;
    Ok(Redirect::to(&format!("/console/people/{id}")).into_response())
}

/// `POST /console/people/{employee_id}/identity-links/{link_id}/delete`: the person's
/// account at the provider was replaced; the next verified email links anew.
pub async fn unlink(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, link)): Path<(EmployeeId, IdentityLinkId)>,
) -> PageResult {
    links::remove(&state, &signed.caller, id, link).await?;
    Ok(Redirect::to(&format!("/console/people/{id}")).into_response())
}

/// `POST /console/people/{employee_id}/delete`.
pub async fn delete(State(state): State<AppState>, signed: Signed, Path(id): Path<EmployeeId>) -> PageResult {
    match employees::delete(&state, &signed.caller, id).await {
        Ok(()) => Ok(Redirect::to("/console/people").into_response()),
        Err(e @ Error::Conflict { .. }) => render(&state, &signed, id, Some(Outcome::Problem(e.report()))).await,
        Err(e) => Err(e.into()),
    }
}
