//! People: the organization's employees, paged and filtered by status and role, and
//! inviting one; a person's page is `person.rs`.

mod configs;
mod person;
mod reach;

pub use configs::{add_agent, add_server, remove_agent, remove_server};
pub use person::*;
pub use reach::{attach_policy, detach_policy, exclude};

use agentctl_shared::domain::employees::{self, EmployeeQuery, NewEmployee};
use agentctl_shared::http::problem;
use agentctl_shared::roles::Permission;
use agentctl_shared::{AppState, Error, Name};
use agentctl_wire::employees::EmployeeStatus;
use agentctl_wire::roles::RoleName;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;

use crate::layout::{self, Section};
use crate::session::{PageResult, Params, Signed};

#[derive(Default, Deserialize)]
pub struct Filters {
    status: Option<EmployeeStatus>,
    role: Option<RoleName>,
    cursor: Option<String>,
}

/// `GET /console/people`.
pub async fn list(State(state): State<AppState>, signed: Signed, Params(filters): Params<Filters>) -> PageResult {
    let query = EmployeeQuery {
        status: filters.status,
        role: filters.role,
        cursor: filters.cursor,
        limit: Some(50),
        ..Default::default()
    };
    let page = employees::list(&state, &signed.caller, query).await?;
    let mut kept = Vec::new();
    if let Some(status) = filters.status {
        kept.push(("status", status.as_str().to_string()));
    }
    if let Some(role) = filters.role {
        kept.push(("role", role.as_str().to_string()));
    }
    let body = html! {
        p { a href="/console/teams" { "Teams and directory groups" } }
        form.actions method="get" action="/console/people" {
            div {
                label for="status" { "Status" }
                select id="status" name="status" {
                    option value="" { "Any" }
                    @for status in <EmployeeStatus as strum::VariantArray>::VARIANTS {
                        option value=(status.as_str()) selected[filters.status == Some(*status)] { (status.as_str()) }
                    }
                }
            }
            div {
                label for="role" { "Role" }
                select id="role" name="role" {
                    option value="" { "Any" }
                    @for role in <RoleName as strum::VariantArray>::VARIANTS {
                        option value=(role.as_str()) selected[filters.role == Some(*role)] { (role.as_str()) }
                    }
                }
            }
            button type="submit" { "Filter" }
        }
        @if signed.caller.can(Permission::EmployeesWrite) { (invite_form(&signed, None)) }
        table {
            thead { tr { th { "Name" } th { "Email" } th { "Role" } th { "Status" } th { "Last sign-in" } } }
            tbody {
                @for employee in &page.items {
                    tr {
                        td { a href=(format!("/console/people/{}", employee.id)) { bdi { (employee.full_name) } } }
                        td { (employee.email) }
                        td { (employee.role.as_str()) }
                        td { (employee.status.as_str()) }
                        td { (employee.last_login_at.as_ref().map(layout::when).unwrap_or_else(|| "never".into())) }
                    }
                }
            }
        }
        (layout::pager("/console/people", &kept, page.next_cursor.as_deref()))
    };
    Ok(layout::page(&signed, Section::People, "People", body).into_response())
}

fn invite_form(signed: &Signed, problem: Option<Markup>) -> Markup {
    html! {
        details open[problem.is_some()] {
            summary { "Invite someone" }
            @if let Some(problem) = problem { (problem) }
            form.actions method="post" action="/console/people" {
                (layout::csrf(signed))
                div { label for="email" { "Email" } input id="email" name="email" type="email" required; }
                div { label for="full_name" { "Full name" } input id="full_name" name="full_name" required; }
                div {
                    label for="role" { "Role" }
                    select id="role" name="role" {
                        @for role in <RoleName as strum::VariantArray>::VARIANTS {
                            option value=(role.as_str()) selected[*role == RoleName::Member] { (role.as_str()) }
                        }
                    }
                }
                button type="submit" { "Invite" }
            }
        }
    }
}

#[derive(Default, Deserialize)]
pub struct Invitation {
    #[serde(default)]
    email: String,
    #[serde(default)]
    full_name: String,
    role: Option<RoleName>,
}

/// `POST /console/people`: a new employee, then their page (to issue an enrollment code
/// where the organization has no identity provider).
pub async fn invite(
    State(state): State<AppState>,
    signed: Signed,
    form: std::result::Result<Form<Invitation>, FormRejection>,
) -> PageResult {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let request =
        NewEmployee { email: form.email, full_name: form.full_name, role: form.role, team_id: None, preferences: None };
    match employees::create(&state, &signed.caller, request).await {
        Ok(employee) => Ok(Redirect::to(&format!("/console/people/{}", employee.id)).into_response()),
        Err(e @ (Error::Validation(_) | Error::Conflict { .. })) => {
            let problem = e.report();
            let body = invite_form(&signed, Some(layout::problem_box(&problem)));
            Ok((problem::status(&problem), layout::page(&signed, Section::People, "Invite someone", body))
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
