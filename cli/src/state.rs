//! What agentctl manages on this machine, per tier: `<config dir>/state.json` (user) or
//! `state-system.json` (`--system`). For every file written: each managed entry with a
//! digest of what was written, so later syncs remove only agentctl's own entries and
//! `agentctl status` can tell a local edit from the managed state.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::CliError;
use crate::files;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// The bundle's ETag at the last complete sync.
    pub etag: Option<String>,
    /// RFC 3339.
    pub synced_at: Option<String>,
    /// The bundle's budget state at the last sync.
    pub budget: Option<agentctl_wire::bundle::BundleBudget>,
    /// The rate limits the bundle said were exceeded at the last sync.
    #[serde(default)]
    pub rate_limits_exceeded: Vec<agentctl_wire::bundle::RateLimitExceeded>,
    /// Whether the organization had the tools' telemetry on at the last sync.
    #[serde(default)]
    pub telemetry: Option<bool>,
    /// By file path.
    pub files: BTreeMap<String, FileState>,
    /// This installation's id in the fleet (made at its first report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<agentctl_wire::ids::DeviceId>,
    /// How the last sync ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_sync: Option<agentctl_wire::fleet::SyncResult>,
    /// The device's report last sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<crate::fleet::Reported>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    pub client: String,
    /// agentctl created the file: it removes it again once nothing in it is managed and
    /// nothing else was added.
    #[serde(default)]
    pub created: bool,
    /// By managed part (a key path such as `mcpServers` or `permissions.deny`, or `*`
    /// for a file agentctl owns), each managed key or string with the digest of its
    /// value (empty for strings).
    pub parts: BTreeMap<String, BTreeMap<String, String>>,
}

fn path(system: bool) -> Result<PathBuf, CliError> {
    Ok(files::config_dir()?.join(if system { "state-system.json" } else { "state.json" }))
}

/// The digest recorded for a written value.
pub fn digest(value: &Value) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(value.to_string().as_bytes());
    hash.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

impl State {
    pub fn load(system: bool) -> Result<Self, CliError> {
        let path = path(system)?;
        match files::read(&path)? {
            None => Ok(Self::default()),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| CliError::CorruptFile { path: path.display().to_string(), reason: e.to_string() }),
        }
    }

    pub fn save(&self, system: bool) -> Result<(), CliError> {
        let text = serde_json::to_string_pretty(self).expect("state serializes");
        files::write(&path(system)?, &text, true, false)
    }
}
