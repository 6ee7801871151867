//! This machine's session: `<config dir>/session.json`, mode 0600, written atomically.
//! The tokens are never printed. The access token is short-lived: [`Session::fresh`]
//! renews it with the refresh token before it runs out, under a lock, so that two
//! agentctl processes never spend the same refresh token (a reuse ends the session).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::{Api, CliError};
use crate::files;
use agentctl_wire::identity::{CLI_CLIENT_ID, TokenResponse};

/// Renew this long before the access token expires (clock differences, slow requests).
const RENEW_MARGIN: chrono::Duration = chrono::Duration::minutes(2);

#[derive(Debug, Serialize, Deserialize)]
pub struct Session {
    pub server: String,
    pub token: String,
    /// Renews `token` (absent: sessions that cannot be renewed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When `token` expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Who signed in (name, email, role, organization), as `/v1/me` said at login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
}

fn path() -> Result<std::path::PathBuf, CliError> {
    Ok(files::config_dir()?.join("session.json"))
}

impl Session {
    /// A new session from the token endpoint's answer.
    pub fn from_tokens(server: String, tokens: TokenResponse) -> Self {
        Self {
            server,
            token: tokens.access_token,
            refresh_token: Some(tokens.refresh_token),
            expires_at: Some(Utc::now() + chrono::Duration::seconds(tokens.expires_in)),
            who: None,
        }
    }

    pub fn load() -> Result<Self, CliError> {
        Self::find()?.ok_or(CliError::NotLoggedIn)
    }

    /// The session with an access token good for a while: renewed first if it is about
    /// to expire.
    pub async fn fresh() -> Result<Self, CliError> {
        let session = Self::load()?;
        if !session.needs_renewal() {
            return Ok(session);
        }
        let lock = files::lock(&path()?.with_extension("lock"))?;
        // Another agentctl may have renewed it while this one waited for the lock.
        let session = Self::load()?;
        let renewed = if session.needs_renewal() { session.renew().await? } else { session };
        drop(lock);
        Ok(renewed)
    }

    fn needs_renewal(&self) -> bool {
        self.refresh_token.is_some() && self.expires_at.is_some_and(|at| at - RENEW_MARGIN <= Utc::now())
    }

    async fn renew(self) -> Result<Self, CliError> {
        let refresh_token = self.refresh_token.clone().unwrap_or_default();
        let form = [("grant_type", "refresh_token"), ("client_id", CLI_CLIENT_ID), ("refresh_token", &refresh_token)];
        let tokens = match Api::anonymous(&self.server).token(&form).await {
            Ok(tokens) => tokens,
            // The session ended on the server (revoked, expired, reused): sign in again.
            Err(CliError::Refused(_)) => return Err(CliError::SessionExpired),
            Err(e) => return Err(e),
        };
        let renewed = Self { who: self.who, ..Self::from_tokens(self.server, tokens) };
        renewed.save()?;
        Ok(renewed)
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
