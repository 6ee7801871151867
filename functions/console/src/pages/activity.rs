//! The activity log: newest first, filtered by person or event type, paged.

use agentctl_shared::AppState;
use agentctl_shared::Name;
use agentctl_shared::domain::audit::{self, ActivityQuery};
use agentctl_wire::activity::{ActivityEntry, EventType};
use agentctl_wire::ids::EmployeeId;
use axum::extract::State;
use axum::response::IntoResponse;
use maud::{Markup, html};
use serde::Deserialize;

use crate::layout::{self, Section};
use crate::session::{PageResult, Params, Signed};

/// How much of an entry's details the table shows.
const DETAILS_SHOWN: usize = 240;

/// Entries as a table (also the overview's).
pub fn table(entries: &[ActivityEntry]) -> Markup {
    html! {
        @if entries.is_empty() {
            p.muted { "No activity in this range." }
        } @else {
            table {
                thead { tr { th { "When" } th { "Event" } th { "By" } th { "Details" } } }
                tbody {
                    @for entry in entries {
                        @let details = entry.payload.to_string();
                        tr {
                            td { (layout::when(&entry.created_at)) }
                            td { code { (serde_json::to_value(entry.event_type).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()) } }
                            td {
                                @match entry.employee_id {
                                    Some(id) => a href=(format!("/console/people/{id}")) { (entry.actor.as_str()) },
                                    None => (entry.actor.as_str()),
                                }
                            }
                            td.mono { (details.chars().take(DETAILS_SHOWN).collect::<String>()) @if details.chars().count() > DETAILS_SHOWN { "…" } }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Default, Deserialize)]
pub struct Filters {
    employee_id: Option<EmployeeId>,
    event_type: Option<EventType>,
    cursor: Option<String>,
}

/// `GET /console/activity`.
pub async fn list(State(state): State<AppState>, signed: Signed, Params(filters): Params<Filters>) -> PageResult {
    let query = ActivityQuery {
        employee_id: filters.employee_id,
        event_type: filters.event_type,
        cursor: filters.cursor,
        limit: Some(50),
        ..Default::default()
    };
    let page = audit::list(&state, &signed.caller, query).await?;
    let mut kept = Vec::new();
    if let Some(id) = filters.employee_id {
        kept.push(("employee_id", id.to_string()));
    }
    if let Some(event) = filters.event_type.and_then(|e| serde_json::to_value(e).ok()) {
        kept.push(("event_type", event.as_str().unwrap_or_default().to_string()));
    }
    let event_value = kept.iter().find(|(name, _)| *name == "event_type").map(|(_, v)| v.clone());
    let body = html! {
        form.actions method="get" action="/console/activity" {
            div {
                label for="event_type" { "Event type" }
                input id="event_type" name="event_type" placeholder="request.approved" value=[event_value];
            }
            @if let Some(id) = filters.employee_id { input type="hidden" name="employee_id" value=(id); }
            button type="submit" { "Filter" }
        }
        (table(&page.items))
        (layout::pager("/console/activity", &kept, page.next_cursor.as_deref()))
    };
    Ok(layout::page(&signed, Section::Activity, "Activity", body).into_response())
}
