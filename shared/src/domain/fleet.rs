//! The fleet: the devices people sync from, as each sync reports them (agentctl's
//! version, the OS, which tools are installed and managed, drifted or corrupt managed
//! files, the previous sync's result, background sync). The report rides on the sync
//! request itself (a header) and is recorded off the request path with the sync.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::AppState;
use crate::auth::Caller;
use crate::domain::employees::{self, Employee};
use crate::error::{Error, Result};
use crate::ids::EmployeeId;
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo;
use crate::roles::Permission;

pub use agentctl_wire::fleet::{ClientPosture, Device, POSTURE_HEADER, POSTURE_HEADER_MAX, Posture, SyncResult};

/// The agentctl this deployment ships (the workspace releases as one): a device on
/// another version is out of date.
pub const CURRENT_AGENTCTL: &str = env!("CARGO_PKG_VERSION");

/// Most tools one report lists.
const CLIENTS_MAX: usize = 16;

fn malformed(reason: impl std::fmt::Display) -> Error {
    Error::BadRequest(format!("the {POSTURE_HEADER} header {reason}"))
}

/// Short, plain text: a version, an OS or an architecture name.
fn is_label(value: &str, max: usize) -> bool {
    !value.is_empty() && value.len() <= max && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b))
}

/// The report a sync request carries (`None`: it carries none); a malformed one is a 400.
pub fn posture_of(header: Option<&str>) -> Result<Option<Posture>> {
    let Some(text) = header else { return Ok(None) };
    if text.len() > POSTURE_HEADER_MAX {
        return Err(malformed(format_args!("is longer than {POSTURE_HEADER_MAX} characters")));
    }
    let json = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| malformed("is not base64url"))?;
    let posture: Posture =
        serde_json::from_slice(&json).map_err(|e| malformed(format_args!("is not a report: {e}")))?;
    let client_versions = posture.clients.iter().filter_map(|c| c.version.as_deref());
    if !is_label(&posture.agentctl_version, 40)
        || !is_label(&posture.os, 20)
        || !is_label(&posture.arch, 20)
        || client_versions.into_iter().any(|v| !is_label(v, 40))
    {
        return Err(malformed("names a version, an OS or an architecture that is not a short label"));
    }
    let mut clients: Vec<_> = posture.clients.iter().map(|c| c.client).collect();
    clients.sort();
    clients.dedup();
    if posture.clients.len() > CLIENTS_MAX || clients.len() != posture.clients.len() {
        return Err(malformed("lists a tool twice, or too many"));
    }
    Ok(Some(posture))
}

/// A page of the fleet, with the names of the people on it.
pub struct Fleet {
    pub devices: Page<Device>,
    pub names: BTreeMap<EmployeeId, String>,
}

/// One page of the organization's devices (by person).
pub async fn list(state: &AppState, caller: &Caller, query: &PageQuery) -> Result<Fleet> {
    caller.require(Permission::EmployeesRead)?;
    let devices = repo::fleet::devices(&state.repo, caller.org_id, &PageRequest::try_from(query)?).await?;
    let mut people: Vec<EmployeeId> = devices.items.iter().map(|d| d.employee_id).collect();
    people.dedup();
    let names = repo::employees::get_many(&state.repo, caller.org_id, &people).await?;
    Ok(Fleet { devices, names: names.into_iter().map(|e| (e.id, e.full_name)).collect() })
}

/// One page of the organization's people (active or invited) and, of them, those who
/// never synced from any device: the devices of the page's range of ids, one Query.
pub async fn never_synced(state: &AppState, caller: &Caller, query: &PageQuery) -> Result<Page<Employee>> {
    caller.require(Permission::EmployeesRead)?;
    let page = repo::employees::list(
        &state.repo,
        caller.org_id,
        None,
        &repo::employees::ListFilter::default(),
        &PageRequest::try_from(query)?,
    )
    .await?;
    let synced = match (page.items.first(), page.items.last()) {
        (Some(first), Some(last)) => {
            repo::fleet::reporting_between(&state.repo, caller.org_id, (first.id, last.id)).await?
        }
        _ => Default::default(),
    };
    let items = page
        .items
        .into_iter()
        .filter(|employee| !synced.contains(&employee.id) && employee.status.holds_seat())
        .collect();
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// The devices one person syncs from.
pub async fn of_employee(state: &AppState, caller: &Caller, employee: EmployeeId) -> Result<Vec<Device>> {
    caller.require(Permission::EmployeesRead)?;
    employees::find(state, caller.org_id, employee).await?;
    Ok(repo::fleet::of_employee(&state.repo, caller.org_id, employee).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentctl_wire::catalog::AgentType;
    use agentctl_wire::ids::DeviceId;

    fn header(posture: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(posture.to_string())
    }

    fn report() -> serde_json::Value {
        serde_json::json!({
            "device_id": DeviceId::new(), "agentctl_version": "0.1.0", "os": "linux", "arch": "x86_64",
            "clients": [{ "client": "claude-code", "installed": true, "managed": true, "drifted_files": 1, "corrupt_files": 0 }],
            "background_sync": false,
        })
    }

    #[test]
    fn reports_are_read_bounded_and_checked() {
        let posture = posture_of(Some(&header(&report()))).unwrap().unwrap();
        assert_eq!(posture.clients[0].client, AgentType::ClaudeCode);
        assert_eq!(posture.drifted_files(), 1);
        assert!(posture_of(None).unwrap().is_none());
        let mut hostile = report();
        hostile["os"] = serde_json::json!("linux; rm -rf");
        for bad in [
            "not base64!".to_string(),
            header(&serde_json::json!({ "device_id": "x" })),
            header(&hostile),
            "A".repeat(POSTURE_HEADER_MAX + 1),
        ] {
            assert!(matches!(posture_of(Some(&bad)), Err(Error::BadRequest(_))), "{bad}");
        }
        let mut twice = report();
        twice["clients"] = serde_json::json!([twice["clients"][0], twice["clients"][0]]);
        assert!(posture_of(Some(&header(&twice))).is_err());
        let mut unknown = report();
        unknown["secrets"] = serde_json::json!("no");
        assert!(posture_of(Some(&header(&unknown))).is_err(), "unknown fields are refused");
    }
}
