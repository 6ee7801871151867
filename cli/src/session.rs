//! This machine's session: `<config dir>/session.json`, mode 0600, written atomically.
//! The token is never printed.

use serde::{Deserialize, Serialize};

use crate::api::CliError;
use crate::files;

#[derive(Debug, Serialize, Deserialize)]
pub struct Session {
    pub server: String,
    pub token: String,
    /// Who signed in (name, email, role, organization), as `/v1/me` said at login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
}

fn path() -> Result<std::path::PathBuf, CliError> {
    Ok(files::config_dir()?.join("session.json"))
}

impl Session {
    pub fn load() -> Result<Self, CliError> {
        Self::find()?.ok_or(CliError::NotLoggedIn)
    }

    /// The session, if this machine has one.
    pub fn find() -> Result<Option<Self>, CliError> {
        let path = path()?;
        let Some(text) = files::read(&path)? else { return Ok(None) };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| CliError::CorruptFile { path: path.display().to_string(), reason: e.to_string() })
    }

    pub fn save(&self) -> Result<(), CliError> {
        let text = serde_json::to_string_pretty(self).expect("a session serializes");
        files::write(&path()?, &text, true, false)
    }

    pub fn forget() -> Result<(), CliError> {
        files::remove(&path()?)
    }
}
