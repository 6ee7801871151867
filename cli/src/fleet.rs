//! The device's report that rides on `agentctl sync` (docs/CLI.md, "What agentctl
//! reports"): agentctl's version, the OS, which tools are installed (and their versions,
//! as their installations record them: nothing is run to ask) and managed, how
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
use crate::{clients, service, status};
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

/// The longest version kept.
const VERSION_MAX: usize = 40;

fn is_version(text: &str) -> bool {
    text.len() <= VERSION_MAX
        && text.starts_with(|c: char| c.is_ascii_digit())
        && text.contains('.')
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b))
}

/// The version of the tool whose command is `command`, without running it: the file it
/// links to when that is named by its version (Claude Code's native installer keeps
/// `versions/<version>`), else the `package.json` of the npm package it belongs to
/// (Claude Code, Codex and Gemini CLI from npm; VS Code's `code`).
fn version_at(command: &std::path::Path) -> Option<String> {
    let real = std::fs::canonicalize(command).ok()?;
    if let Some(name) = real.file_name().and_then(|n| n.to_str())
        && is_version(name)
    {
        return Some(name.to_string());
    }
    let manifest = real.ancestors().skip(1).take(4).map(|dir| dir.join("package.json")).find(|m| m.is_file())?;
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(manifest).ok()?).ok()?;
    manifest["version"].as_str().filter(|v| is_version(v)).map(str::to_string)
}

/// This device as it is now.
fn posture(device_id: DeviceId, state: &State, system: bool) -> Result<Posture, CliError> {
    let clients = status::status(system)?
        .clients
        .iter()
        .map(|c| ClientPosture {
            client: c.client,
            installed: c.installed,
            version: clients::command(c.client).and_then(status::find_on_path).and_then(|p| version_at(&p)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_read_from_the_package_or_the_file_a_command_links_to() {
        let root = std::env::temp_dir().join(format!("agentctl-version-{}", std::process::id()));
        let package = root.join("lib/node_modules/@acme/coder");
        std::fs::create_dir_all(package.join("dist")).unwrap();
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::create_dir_all(root.join("versions")).unwrap();
        std::fs::write(package.join("package.json"), r#"{"name": "@acme/coder", "version": "2.0.14"}"#).unwrap();
        std::fs::write(package.join("dist/cli.js"), "").unwrap();
        std::fs::write(root.join("versions/1.0.93"), "").unwrap();
        let link = |target: &std::path::Path, name: &str| {
            let at = root.join("bin").join(name);
            let _ = std::fs::remove_file(&at);
            #[cfg(unix)]
            std::os::unix::fs::symlink(target, &at).unwrap();
            at
        };
        #[cfg(unix)]
        {
            assert_eq!(version_at(&link(&package.join("dist/cli.js"), "coder")).as_deref(), Some("2.0.14"));
            assert_eq!(version_at(&link(&root.join("versions/1.0.93"), "native")).as_deref(), Some("1.0.93"));
        }
        std::fs::write(package.join("package.json"), r#"{"version": "<script>"}"#).unwrap();
        assert_eq!(version_at(&package.join("dist/cli.js")), None, "only a plain version is kept");
        assert_eq!(version_at(&root.join("bin/nothing")), None);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
