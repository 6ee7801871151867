//! `agentctl status`: each managed tool's files against what the last sync wrote, which
//! tools are installed, and what the last sync said (budget, telemetry, rate limits).

use agentctl_wire::Name;
use std::path::Path;

use crate::api::CliError;
use crate::apply;
use crate::clients::{self, Client};
use crate::files;
use crate::state::State;
use crate::telemetry;
use agentctl_wire::bundle::{BundleBudget, RateLimitExceeded};

/// One tool as `agentctl status` sees it.
pub struct ClientStatus {
    pub client: Client,
    pub installed: bool,
    /// Managed files and what changed in them since the last sync (`Err`: the file no
    /// longer parses).
    pub files: Vec<(String, Result<Vec<String>, String>)>,
}

pub struct Status {
    pub synced_at: Option<String>,
    /// Whether the organization had telemetry on at the last sync.
    pub telemetry: Option<bool>,
    /// When the telemetry token held here expires.
    pub telemetry_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub budget: Option<BundleBudget>,
    pub rate_limits_exceeded: Vec<RateLimitExceeded>,
    pub clients: Vec<ClientStatus>,
}

fn on_path(command: &str) -> bool {
    find_on_path(command).is_some()
}

/// Where `command` is on the PATH.
pub fn find_on_path(command: &str) -> Option<std::path::PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).map(|dir| dir.join(command)).find(|path| is_executable(path))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    path.is_file()
}

pub fn status(system: bool) -> Result<Status, CliError> {
    let state = State::load(system)?;
    let mut clients = Vec::new();
    for client in Client::CLIENTS {
        let mut managed = Vec::new();
        for (path, file) in state.files.iter().filter(|(_, f)| f.client == client.as_str()) {
            let text = files::read(Path::new(path))?;
            managed.push((path.clone(), apply::drift(Path::new(path), text.as_deref(), file)));
        }
        clients.push(ClientStatus { client, installed: clients::command(client).is_some_and(on_path), files: managed });
    }
    Ok(Status {
        synced_at: state.synced_at,
        telemetry: state.telemetry,
        telemetry_expires_at: telemetry::held()?.map(|held| held.expires_at),
        budget: state.budget,
        rate_limits_exceeded: state.rate_limits_exceeded,
        clients,
    })
}
