//! The fleet: every device people sync from, as its last sync reported it: agentctl's
//! version (out of date or not), the OS, the tools installed with their versions (and
//! those not managed), drifted or corrupt managed files, the previous sync's result,
//! background sync. Filtered by what needs attention (on each page), paged, exported;
//! and the people who never synced.

use agentctl_shared::AppState;
use agentctl_shared::Name;
use agentctl_shared::domain::exports::{self, Export, ExportFormat};
use agentctl_shared::domain::fleet::{self, CURRENT_AGENTCTL, Device, SyncResult};
use agentctl_wire::page::PageQuery;
use axum::extract::State;
use axum::response::IntoResponse;
use maud::{Markup, html};
use serde::Deserialize;

use crate::layout::{self, Section};
use crate::session::{PageError, PageResult, Params, Signed};

/// What a device may need attention for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Attention {
    OutOfDate,
    Drifted,
    Corrupt,
    Unmanaged,
    FailedSync,
}

impl Attention {
    fn label(self) -> &'static str {
        match self {
            Attention::OutOfDate => "agentctl out of date",
            Attention::Drifted => "drifted files",
            Attention::Corrupt => "corrupt files",
            Attention::Unmanaged => "tools not managed",
            Attention::FailedSync => "last sync failed",
        }
    }

    fn applies(self, device: &Device) -> bool {
        let posture = &device.posture;
        match self {
            Attention::OutOfDate => posture.agentctl_version != CURRENT_AGENTCTL,
            Attention::Drifted => posture.drifted_files() > 0,
            Attention::Corrupt => posture.corrupt_files() > 0,
            Attention::Unmanaged => posture.unmanaged().next().is_some(),
            Attention::FailedSync => posture.previous_sync == Some(SyncResult::Failed),
        }
    }
}

/// The devices as a table (also a person's page).
pub fn table(devices: &[&Device], name: impl Fn(&Device) -> Option<String>) -> Markup {
    html! {
        @if devices.is_empty() {
            p.muted { "No device." }
        } @else {
            table {
                thead { tr {
                    th { "Person" } th { "System" } th { "agentctl" } th.num { "Drifted" } th.num { "Corrupt" }
                    th { "Tools installed" } th { "Previous sync" } th { "Background sync" } th { "Last seen" }
                } }
                tbody {
                    @for device in devices {
                        @let posture = &device.posture;
                        tr {
                            td {
                                a href=(format!("/console/people/{}", device.employee_id)) {
                                    (name(device).unwrap_or_else(|| device.employee_id.to_string()))
                                }
                            }
                            td { (posture.os) " " (posture.arch) }
                            td {
                                (posture.agentctl_version)
                                @if Attention::OutOfDate.applies(device) { span.state-warn { " (out of date)" } }
                            }
                            td.num { (posture.drifted_files()) }
                            td.num { (posture.corrupt_files()) }
                            td {
                                @for (i, client) in posture.clients.iter().filter(|c| c.installed).enumerate() {
                                    @if i > 0 { ", " }
                                    (client.client.as_str())
                                    @if let Some(version) = &client.version { " " (version) }
                                    @if !client.managed { span.state-warn { " (not managed)" } }
                                }
                            }
                            td {
                                @match posture.previous_sync {
                                    Some(SyncResult::Ok) => span.state-ok { "ok" },
                                    Some(SyncResult::Failed) => span.state-bad { "failed" },
                                    None => span.muted { "first" },
                                }
                            }
                            td { @if posture.background_sync { "on" } @else { "off" } }
                            td { (layout::when(&device.last_seen_at)) }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Default, Deserialize)]
pub struct Filters {
    attention: Option<Attention>,
    /// `never_synced`: the people who never synced, instead of the devices.
    view: Option<String>,
    cursor: Option<String>,
}

const NEVER_SYNCED: &str = "never_synced";

/// `GET /console/fleet`.
pub async fn page(State(state): State<AppState>, signed: Signed, Params(filters): Params<Filters>) -> PageResult {
    if filters.view.as_deref() == Some(NEVER_SYNCED) {
        return never_synced(&state, &signed, filters.cursor).await;
    }
    let query = PageQuery { limit: Some(100), cursor: filters.cursor };
    let fleet = fleet::list(&state, &signed.caller, &query).await?;
    let shown: Vec<&Device> =
        fleet.devices.items.iter().filter(|d| filters.attention.is_none_or(|a| a.applies(d))).collect();
    let kept: Vec<(&str, String)> =
        filters.attention.map(|a| ("attention", <&str>::from(a).to_string())).into_iter().collect();
    let body = html! {
        p { "Each " code { "agentctl sync" } " reports its device: no file contents, no paths, no process lists. "
            "This deployment's agentctl is " strong { (CURRENT_AGENTCTL) } "." }
        (views(false))
        form.actions method="get" action="/console/fleet" {
            div {
                label for="attention" { "Needs attention for" }
                select id="attention" name="attention" {
                    option value="" { "Anything or nothing" }
                    @for attention in <Attention as strum::VariantArray>::VARIANTS {
                        option value=(<&str>::from(*attention)) selected[filters.attention == Some(*attention)] { (attention.label()) }
                    }
                }
            }
            button type="submit" { "Filter" }
        }
        (table(&shown, |d| fleet.names.get(&d.employee_id).cloned()))
        (layout::pager("/console/fleet", &kept, fleet.devices.next_cursor.as_deref()))
    };
    Ok(layout::page(&signed, Section::Fleet, "Fleet", body).into_response())
}

/// The fleet's two views and its exports.
fn views(never_synced: bool) -> Markup {
    html! {
        nav aria-label="Fleet" {
            ul.inline {
                li { @if never_synced { a href="/console/fleet" { "Devices" } } @else { strong aria-current="page" { "Devices" } } }
                li { @if never_synced { strong aria-current="page" { "People who never synced" } } @else { a href=(format!("/console/fleet?view={NEVER_SYNCED}")) { "People who never synced" } } }
                li { a href="/console/fleet/export?format=csv" download { "Export (CSV)" } }
                li { a href="/console/fleet/export?format=jsonl" download { "Export (JSON Lines)" } }
            }
        }
    }
}

async fn never_synced(state: &AppState, signed: &Signed, cursor: Option<String>) -> PageResult {
    let page = fleet::never_synced(state, &signed.caller, &PageQuery { limit: Some(100), cursor }).await?;
    let body = html! {
        (views(true))
        p.muted { "People with a seat (active or invited) who have not run " code { "agentctl sync" } " on any device; each page of 100 people shows those of them." }
        @if page.items.is_empty() {
            p.muted { "Everyone on this page has synced." }
        } @else {
            table {
                thead { tr { th { "Person" } th { "Email" } th { "Status" } th { "Since" } } }
                tbody {
                    @for person in &page.items {
                        tr {
                            td { a href=(format!("/console/people/{}", person.id)) { (person.full_name) } }
                            td { (person.email) }
                            td { (person.status.as_str()) }
                            td { (layout::when(&person.created_at)) }
                        }
                    }
                }
            }
        }
        (layout::pager("/console/fleet", &[("view", NEVER_SYNCED.to_string())], page.next_cursor.as_deref()))
    };
    Ok(layout::page(signed, Section::Fleet, "Fleet", body).into_response())
}

#[derive(Default, Deserialize)]
pub struct ExportQuery {
    format: Option<ExportFormat>,
}

/// `GET /console/fleet/export?format=`.
pub async fn export(
    State(state): State<AppState>,
    signed: Signed,
    Params(query): Params<ExportQuery>,
) -> Result<Export, PageError> {
    Ok(exports::fleet(&state, &signed.caller, query.format).await?)
}
