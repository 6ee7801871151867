//! This machine's session: `<config dir>/agentctl/session.json`, mode 0600, written
//! atomically (temporary file, then rename). The token is never printed.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::api::CliError;

#[derive(Debug, Serialize, Deserialize)]
pub struct Session {
    pub server: String,
    pub token: String,
}

/// `$XDG_CONFIG_HOME/agentctl`, else `$HOME/.config/agentctl`.
fn dir() -> Result<PathBuf, CliError> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .ok_or_else(|| CliError::Io {
            path: "~/.config".into(),
            reason: "neither XDG_CONFIG_HOME nor HOME is set".into(),
        })?;
    Ok(base.join("agentctl"))
}

fn path() -> Result<PathBuf, CliError> {
    Ok(dir()?.join("session.json"))
}

fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |e| CliError::Io { path: path.display().to_string(), reason: e.to_string() }
}

impl Session {
    pub fn load() -> Result<Self, CliError> {
        let path = path()?;
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CliError::NotLoggedIn),
            Err(e) => return Err(io(&path)(e)),
        };
        serde_json::from_str(&text)
            .map_err(|e| CliError::CorruptFile { path: path.display().to_string(), reason: e.to_string() })
    }

    pub fn save(&self) -> Result<(), CliError> {
        let path = path()?;
        let dir = path.parent().expect("a file in a directory");
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let temporary = dir.join(".session.json.tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary).map_err(io(&temporary))?;
        let text = serde_json::to_string_pretty(self).expect("a session serializes");
        file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(io(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(io(&path))
    }

    pub fn forget() -> Result<(), CliError> {
        let path = path()?;
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&path)(e)),
            _ => Ok(()),
        }
    }
}
