//! The agent tools' usage telemetry, wired by `agentctl sync` when the organization has
//! it on: each tool's OpenTelemetry exporter points at `<server>/v1/otlp`, authenticated
//! with a telemetry token (`<config dir>/telemetry.json`, 0600) that opens the OTLP
//! routes only. No token goes into a tool's settings file: Claude Code runs
//! `agentctl telemetry headers` (its `otelHeadersHelper`); Codex and Gemini CLI read the
//! header from the `.env` file of their own folder (`~/.codex/.env`, `~/.gemini/.env`,
//! 0600), the one place they take environment variables from without a shell.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api::{Api, CliError};
use crate::files;
use crate::paths;
use crate::session::Session;
use agentctl_wire::telemetry::TelemetryToken;

/// Ask for a new token when the one held has less than this left (a sync a week keeps
/// telemetry flowing; the background service syncs far more often).
const RENEW_BEFORE_DAYS: i64 = 10;

/// The token held on this machine, for the server it came from.
#[derive(Debug, Serialize, Deserialize)]
pub struct Held {
    pub server: String,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// What the tools' files need to export to agentctl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wiring {
    /// The OTLP/HTTP base (`/v1/metrics`, `/v1/logs` are appended by the exporters).
    pub endpoint: String,
    /// The command Claude Code runs for the headers.
    pub helper: String,
    /// The telemetry token (for the `.env` files).
    pub token: String,
}

impl Wiring {
    /// `OTEL_EXPORTER_OTLP_HEADERS`' value: `key=value`, the value percent-encoded.
    pub fn headers_variable(&self) -> String {
        format!("Authorization=Bearer%20{}", self.token)
    }
}

pub fn path() -> Result<std::path::PathBuf, CliError> {
    Ok(files::config_dir()?.join("telemetry.json"))
}

pub fn held() -> Result<Option<Held>, CliError> {
    let path = path()?;
    let Some(text) = files::read(&path)? else { return Ok(None) };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| CliError::CorruptFile { path: path.display().to_string(), reason: e.to_string() })
}

/// The wiring for this sync (`None`: telemetry is off, and the token held is dropped). A
/// new token is asked for when none is held for this server or it runs out soon; a dry
/// run asks for nothing (it shows the token held, or a placeholder).
pub async fn prepare(session: &Session, enabled: bool, dry_run: bool) -> Result<Option<Wiring>, CliError> {
    if !enabled {
        if !dry_run {
            files::remove(&path()?)?;
        }
        return Ok(None);
    }
    let held = held()?.filter(|h| h.server == session.server);
    let fresh = held.filter(|h| h.expires_at - Utc::now() > Duration::days(RENEW_BEFORE_DAYS));
    let token = match (fresh, dry_run) {
        (Some(held), _) => held.token,
        (None, true) => "<a telemetry token, issued at the next sync>".into(),
        (None, false) => {
            let issued: TelemetryToken = Api::with(session).post(paths::MY_TELEMETRY_TOKEN, &json!({})).await?;
            let held = Held { server: session.server.clone(), token: issued.token, expires_at: issued.expires_at };
            let text = serde_json::to_string_pretty(&held).expect("JSON serializes");
            files::write(&path()?, &text, true, false)?;
            held.token
        }
    };
    Ok(Some(Wiring { endpoint: format!("{}{}", session.server, paths::OTLP), helper: helper_command(), token }))
}

/// This agentctl's own path, so the tools find it whatever their PATH.
fn helper_command() -> String {
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "agentctl".into());
    let quoted = if exe.contains([' ', '"', '\'']) { format!("\"{}\"", exe.replace('"', "\\\"")) } else { exe };
    format!("{quoted} telemetry headers")
}

/// `agentctl telemetry headers`: the headers Claude Code sends with its exports, as the
/// JSON object its `otelHeadersHelper` prints.
pub fn headers() -> Result<serde_json::Value, CliError> {
    let held = held()?.ok_or_else(|| {
        CliError::Refused("no telemetry token on this machine: run `agentctl sync` (is telemetry on?)".into())
    })?;
    Ok(json!({ "Authorization": format!("Bearer {}", held.token) }))
}
