//! The activity log: newest first, filtered by person or event type, paged.

use agentctl_shared::AppState;
use agentctl_shared::Name;
use agentctl_shared::domain::audit::{self, ActivityQuery};
use agentctl_shared::domain::exports::{self, ActivityExportQuery, Export};
use agentctl_wire::activity::{ActivityEntry, EventType};
use agentctl_wire::exports::ExportFormat;
use agentctl_wire::ids::EmployeeId;
use axum::extract::State;
use axum::response::IntoResponse;
use maud::{Markup, html};
use serde::Deserialize;

use crate::layout::{self, Section};
use crate::session::{PageError, PageResult, Params, Signed};

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
                            td { code { (layout::event_name(entry.event_type)) } }
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

/// The export of the last 30 days, with the list's event type.
fn export_link(kept: &[(&str, String)], format: &str) -> String {
    let to = chrono::Utc::now();
    let from = to - chrono::Duration::days(30);
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("from", &from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    query.append_pair("to", &to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    query.extend_pairs(kept.iter().filter(|(name, _)| *name == "event_type").map(|(n, v)| (*n, v.as_str())));
    format!("/console/activity/export?{}", query.append_pair("format", format).finish())
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
        p { "Export the last 30 days: " a href=(export_link(&kept, "csv")) { "CSV" } " · " a href=(export_link(&kept, "jsonl")) { "JSON Lines" } }
        (table(&page.items))
        (layout::pager("/console/activity", &kept, page.next_cursor.as_deref()))
    };
    Ok(layout::page(&signed, Section::Activity, "Activity", body).into_response())
}

#[derive(Deserialize)]
pub struct ExportRange {
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    event_type: Option<EventType>,
    format: Option<ExportFormat>,
}

/// `GET /console/activity/export?from=&to=&event_type=&format=`: the API's export, for the
/// session.
pub async fn export(
    State(state): State<AppState>,
    signed: Signed,
    Params(range): Params<ExportRange>,
) -> Result<Export, PageError> {
    let query =
        ActivityExportQuery { from: range.from, to: range.to, event_type: range.event_type, format: range.format };
    Ok(exports::activity(&state, &signed.caller, query).await?)
}
