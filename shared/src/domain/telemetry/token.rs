//! Telemetry tokens: the credential the agent tools send with their exports. A session
//! token would not do: the tools keep running for days, while access tokens last
//! minutes, and what a tool's configuration holds should open nothing else. So a
//! telemetry token is accepted on the OTLP routes only (the authorizer refuses it
//! anywhere else), lasts [`LIFETIME_DAYS`] (sync asks for a new one well before), and
//! dies with the session that asked for it (logout, a reused refresh token) and with
//! all the employee's sessions (deactivation, "revoke all sessions"). A renewal leaves
//! the previous token valid: tools started before it still hold that one.

use chrono::Duration;

use crate::AppState;
use crate::activity::EventType;
use crate::auth::Caller;
use crate::error::Result;
use crate::ids::SessionId;
use crate::repo::{self, telemetry::StoredToken};

pub use agentctl_wire::telemetry::TelemetryToken;

pub const LIFETIME_DAYS: i64 = 30;

/// `POST /v1/me/telemetry-token`: a new token for the caller.
pub async fn issue(state: &AppState, caller: &Caller) -> Result<TelemetryToken> {
    let token = crate::auth::new_secret(crate::auth::TELEMETRY_TOKEN_PREFIX);
    let now = crate::time::now();
    let stored = StoredToken {
        org_id: caller.org_id,
        employee_id: caller.employee_id,
        created_at: now,
        expires_at: now + Duration::days(LIFETIME_DAYS),
    };
    let mut tx = state.repo.transaction();
    repo::telemetry::put_token(&mut tx, &crate::auth::digest(&token), &stored, caller.session_id)?;
    let payload = serde_json::json!({ "employee_id": caller.employee_id, "expires_at": stored.expires_at });
    crate::domain::log(state, &mut tx, caller.org_id, &caller.principal(), EventType::TelemetryTokenCreated, payload)?;
    crate::domain::notify::commit(state, tx).await?;
    Ok(TelemetryToken { token, expires_at: stored.expires_at })
}

/// Deletes the tokens issued within a session that is ending, and adds the deletion of
/// their list to `tx` (the session's own revocation).
pub async fn end_with_session(state: &AppState, tx: &mut repo::Transaction, session: SessionId) -> Result<()> {
    let hashes = repo::telemetry::session_tokens(&state.repo, session).await?;
    // In transactions of their own: a session may have asked for many.
    for chunk in hashes.chunks(repo::transaction::MAX_ITEMS) {
        let mut deletion = state.repo.transaction();
        repo::telemetry::delete_tokens(&mut deletion, chunk);
        state.repo.transact(deletion).await?;
    }
    if !hashes.is_empty() {
        repo::telemetry::delete_session_tokens(tx, session);
    }
    Ok(())
}
