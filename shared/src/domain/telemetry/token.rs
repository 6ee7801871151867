//! Telemetry tokens: the credential the agent tools send with their exports. A session
//! token would not do: the tools keep running for days, while access tokens last
//! minutes, and what a tool's configuration holds should open nothing else. So a
//! telemetry token is accepted on the OTLP routes only (the authorizer refuses it
//! anywhere else), lasts [`LIFETIME_DAYS`] (sync asks for a new one well before), and
//! dies with the employee's sessions (deactivation, "revoke all sessions").

use chrono::Duration;

use crate::AppState;
use crate::auth::Caller;
use crate::error::Result;
use crate::repo::{self, telemetry::StoredToken};

pub use agentctl_wire::telemetry::TelemetryToken;

/// Prefix of telemetry tokens.
pub const TOKEN_PREFIX: &str = "act_";
pub const LIFETIME_DAYS: i64 = 30;
/// The routes a telemetry token opens (API Gateway route keys).
pub const ROUTES: [&str; 3] = ["POST /v1/otlp/v1/metrics", "POST /v1/otlp/v1/logs", "POST /v1/otlp/v1/traces"];

/// `POST /v1/me/telemetry-token`: a new token for the caller.
pub async fn issue(state: &AppState, caller: &Caller) -> Result<TelemetryToken> {
    let token = crate::auth::new_secret(TOKEN_PREFIX);
    let now = crate::time::now();
    let stored = StoredToken {
        org_id: caller.org_id,
        employee_id: caller.employee_id,
        created_at: now,
        expires_at: now + Duration::days(LIFETIME_DAYS),
    };
    let mut tx = state.repo.transaction();
    repo::telemetry::put_token(&mut tx, &crate::auth::digest(&token), &stored)?;
    state.repo.transact(tx).await?;
    Ok(TelemetryToken { token, expires_at: stored.expires_at })
}
