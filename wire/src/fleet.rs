//! The fleet: what each `agentctl sync` reports of the device it runs on, and the devices
//! an organization's console lists. Private by design (docs/CLI.md, "What agentctl
//! reports"): no file contents, no paths, no process lists; counts of managed files and
//! which tools are installed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::AgentType;
use crate::ids::{DeviceId, EmployeeId};

/// The request header that carries a [`Posture`] (base64url of its JSON) on `GET /v1/me/sync`.
pub const POSTURE_HEADER: &str = "agentctl-device";

/// Longest posture header accepted (its base64url text).
pub const POSTURE_HEADER_MAX: usize = 4096;

wire_enum! {
    "snake_case",
    /// How the previous sync on the device ended.
    pub enum SyncResult {
        Ok,
        Failed,
    }
}

/// One agent tool on the device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientPosture {
    pub client: AgentType,
    /// Its command is on the PATH.
    pub installed: bool,
    /// Its version, as its installation records it (absent: not installed, or not
    /// found without running it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// agentctl writes configuration for it (it manages at least one of its files).
    pub managed: bool,
    /// Managed files changed since agentctl wrote them.
    pub drifted_files: u32,
    /// Managed files that no longer parse.
    pub corrupt_files: u32,
}

/// What a device reports with its sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Posture {
    pub device_id: DeviceId,
    /// The agentctl version (`CARGO_PKG_VERSION`).
    pub agentctl_version: String,
    /// `linux`, `macos`, `windows`, ...
    pub os: String,
    pub arch: String,
    pub clients: Vec<ClientPosture>,
    /// Background sync (systemd, launchd, Task Scheduler) is installed.
    pub background_sync: bool,
    /// How the previous sync ended (absent: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_sync: Option<SyncResult>,
}

impl Posture {
    pub fn drifted_files(&self) -> u32 {
        self.clients.iter().map(|c| c.drifted_files).sum()
    }

    pub fn corrupt_files(&self) -> u32 {
        self.clients.iter().map(|c| c.corrupt_files).sum()
    }

    /// Tools installed that agentctl does not manage.
    pub fn unmanaged(&self) -> impl Iterator<Item = AgentType> + '_ {
        self.clients.iter().filter(|c| c.installed && !c.managed).map(|c| c.client)
    }
}

/// A device of the fleet, as its last report left it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Device {
    pub employee_id: EmployeeId,
    pub posture: Posture,
    pub first_seen_at: DateTime<Utc>,
    /// The last report (a sync, or a sync that found nothing new).
    pub last_seen_at: DateTime<Utc>,
}
