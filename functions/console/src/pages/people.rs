//! People: the organization's employees, paged and filtered by status and role; a
//! person's details, their live sessions (device, last use) and ending them.

use agentctl_shared::AppState;
use agentctl_shared::Name;
use agentctl_shared::domain::employees::{self, EmployeeQuery};
use agentctl_shared::domain::sessions;
use agentctl_shared::http::Path;
use agentctl_shared::roles::Permission;
use agentctl_wire::employees::{Employee, EmployeeStatus};
use agentctl_wire::ids::EmployeeId;
use agentctl_wire::page::PageQuery;
use agentctl_wire::roles::RoleName;
use axum::extract::State;
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
        table {
            thead { tr { th { "Name" } th { "Email" } th { "Role" } th { "Status" } th { "Last sign-in" } } }
            tbody {
                @for employee in &page.items {
                    tr {
                        td { a href=(format!("/console/people/{}", employee.id)) { (employee.full_name) } }
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

/// `GET /console/people/{employee_id}`.
pub async fn show(State(state): State<AppState>, signed: Signed, Path(id): Path<EmployeeId>) -> PageResult {
    let employee = employees::get(&state, &signed.caller, id).await?;
    let sessions = if signed.caller.can(Permission::EmployeesWrite) {
        Some(sessions::list_for(&state, &signed.caller, id, &PageQuery { limit: Some(50), cursor: None }).await?)
    } else {
        None
    };
    let body = html! {
        (facts(&employee))
        @if signed.caller.can(Permission::ActivityRead) {
            p { a href=(format!("/console/activity?employee_id={id}")) { "Their activity" } }
        }
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
                    (layout::csrf(&signed))
                    button.danger type="submit" { "End every session of " (employee.full_name) }
                }
            }
        }
    };
    Ok(layout::page(&signed, Section::People, &employee.full_name, body).into_response())
}

fn facts(employee: &Employee) -> Markup {
    html! {
        dl.facts {
            dt { "Email" } dd { (employee.email) }
            dt { "Role" } dd { (employee.role.as_str()) }
            dt { "Status" } dd { (employee.status.as_str()) }
            dt { "Team" } dd { (employee.team_id.map(|t| t.to_string()).unwrap_or_else(|| "none".into())) }
            dt { "Agent configurations" } dd { (employee.agent_config_count) " active of " (employee.agent_config_total) }
            dt { "Last sign-in" } dd { (employee.last_login_at.as_ref().map(layout::when).unwrap_or_else(|| "never".into())) }
            @if employee.scim_deleted { dt { "Directory" } dd { "removed by the identity provider (SCIM)" } }
        }
    }
}

/// `POST /console/people/{employee_id}/sessions/revoke`.
pub async fn revoke_sessions(State(state): State<AppState>, signed: Signed, Path(id): Path<EmployeeId>) -> PageResult {
    sessions::revoke_for(&state, &signed.caller, id).await?;
    Ok(Redirect::to(&format!("/console/people/{id}")).into_response())
}
