//! The device's report that rides on `agentctl sync` (docs/CLI.md, "What agentctl
//! reports"): agentctl's version, the OS, which tools are installed and managed, how
//! many managed files drifted or no longer parse (found before the sync restores them),
//! the previous sync's result, whether background sync is installed. No file contents,
//! no paths, no process lists. Sent when it changed, or a day after it was last sent, so
//! that a background sync that finds nothing new stays one read on the server.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::api::CliError;
use crate::state::State;
use crate::{service, status};
use agentctl_wire::fleet::{ClientPosture, Posture};
use agentctl_wire::ids::DeviceId;

/// How long an unchanged report is not sent again.
const REPORT_EVERY: Duration = Duration::days(1);

/// The report last sent from here.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reported {
    /// Its JSON.
    pub posture: String,
    pub at: DateTime<Utc>,
}

fn count(files: &[(String, Result<Vec<String>, String>)], corrupt: bool) -> u32 {
    let matching = files.iter().filter(|(_, found)| match found {
        Ok(changes) => !corrupt && !changes.is_empty(),
        Err(_) => corrupt,
    });
    u32::try_from(matching.count()).unwrap_or(u32::MAX)
}

/// This device as it is now.
fn posture(device_id: DeviceId, state: &State, system: bool) -> Result<Posture, CliError> {
    let clients = status::status(system)?
        .clients
        .iter()
        .map(|c| ClientPosture {
            client: c.client,
            installed: c.installed,
            managed: !c.files.is_empty(),
            drifted_files: count(&c.files, false),
            corrupt_files: count(&c.files, true),
        })
        .collect();
    Ok(Posture {
        device_id,
        agentctl_version: env!("CARGO_PKG_VERSION").into(),
        os: std::env::consts::OS.into(),
        arch: std::env::consts::ARCH.into(),
        clients,
        background_sync: service::status().is_ok_and(|s| s.installed),
        previous_sync: state.previous_sync,
    })
}

/// The report to send with this sync, if it is due: its header value and what to keep
/// of it once the sync succeeded.
pub fn due(state: &mut State, system: bool, now: DateTime<Utc>) -> Result<Option<(String, Reported)>, CliError> {
    let device_id = *state.device_id.get_or_insert_with(DeviceId::new);
    let json = serde_json::to_string(&posture(device_id, state, system)?).expect("a report serializes");
    let unchanged = state.reported.as_ref().is_some_and(|r| r.posture == json && now < r.at + REPORT_EVERY);
    if unchanged {
        return Ok(None);
    }
    Ok(Some((URL_SAFE_NO_PAD.encode(&json), Reported { posture: json, at: now })))
}
