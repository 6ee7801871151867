//! The fleet: every device people sync from, as its last sync reported it: agentctl's
//! version (out of date or not), the OS, drifted or corrupt managed files, tools
//! installed but not managed, the previous sync's result, background sync. Filtered by
//! what needs attention (on each page), paged.

use agentctl_shared::AppState;
use agentctl_shared::Name;
use agentctl_shared::domain::fleet::{self, CURRENT_AGENTCTL, Device, SyncResult};
use agentctl_wire::page::PageQuery;
use axum::extract::State;
use axum::response::IntoResponse;
use maud::{Markup, html};
use serde::Deserialize;

use crate::layout::{self, Section};
use crate::session::{PageResult, Params, Signed};

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
                    th { "Installed, not managed" } th { "Previous sync" } th { "Background sync" } th { "Last seen" }
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
                            td { (posture.unmanaged().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")) }
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
    cursor: Option<String>,
}

/// `GET /console/fleet`.
pub async fn page(State(state): State<AppState>, signed: Signed, Params(filters): Params<Filters>) -> PageResult {
    let query = PageQuery { limit: Some(100), cursor: filters.cursor };
    let fleet = fleet::list(&state, &signed.caller, &query).await?;
    let shown: Vec<&Device> =
        fleet.devices.items.iter().filter(|d| filters.attention.is_none_or(|a| a.applies(d))).collect();
    let kept: Vec<(&str, String)> =
        filters.attention.map(|a| ("attention", <&str>::from(a).to_string())).into_iter().collect();
    let body = html! {
        p { "Each " code { "agentctl sync" } " reports its device: no file contents, no paths, no process lists. "
            "This deployment's agentctl is " strong { (CURRENT_AGENTCTL) } "." }
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
