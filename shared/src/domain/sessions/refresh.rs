//! Refresh: each use of a refresh token issues a new pair and marks the old token used;
//! a second use of one ends the whole session (a stolen token was replayed).

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Issued, RefreshRecord, Session};
use crate::AppState;
use crate::activity::By;
use crate::activity::EventType;
use crate::auth;
use crate::domain::telemetry;
use crate::error::{Error, Result};
use crate::repo::{self, StoreError};

impl RefreshRecord {
    pub(super) fn of(session: &Session, access_hash: String, now: DateTime<Utc>) -> Self {
        Self {
            session_id: session.id,
            org_id: session.org_id,
            employee_id: session.employee_id,
            access_hash,
            ends_at: session.ends_at.unwrap_or(session.expires_at),
            used_at: None,
            created_at: now,
        }
    }
}

/// Why a refresh token is refused (the token endpoint answers `invalid_grant`).
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("the refresh token is invalid, expired or revoked")]
    Invalid,
    /// Used before: whoever holds it, the session is ended.
    #[error("the refresh token was already used; the session is ended")]
    Reused,
    #[error(transparent)]
    App(#[from] Error),
}

impl From<StoreError> for RefreshError {
    fn from(e: StoreError) -> Self {
        Self::App(e.into())
    }
}

/// Exchanges a refresh token for a new access token and refresh token (rotation). A
/// token used twice ends its whole session: one of the two holders is not its owner.
pub async fn refresh(state: &AppState, refresh_token: &str) -> Result<Issued, RefreshError> {
    if !refresh_token.starts_with(auth::REFRESH_TOKEN_PREFIX) || refresh_token.len() > 128 {
        return Err(RefreshError::Invalid);
    }
    let old_hash = auth::digest(refresh_token);
    let record = repo::sessions::refresh_record(&state.repo, &old_hash).await?.ok_or(RefreshError::Invalid)?;
    let now = crate::time::now();
    if record.used_at.is_some() {
        end_family(state, &record, now).await?;
        return Err(RefreshError::Reused);
    }
    let session = repo::sessions::get(&state.repo, &record.access_hash).await?.ok_or(RefreshError::Invalid)?;
    let ends_at = session.ends_at.ok_or(RefreshError::Invalid)?;
    let idle = session.idle_minutes.is_some_and(|idle| {
        session.last_used_at.unwrap_or(session.created_at) + chrono::Duration::minutes(i64::from(idle)) <= now
    });
    if session.revoked_at.is_some() || ends_at <= now || idle {
        return Err(RefreshError::Invalid);
    }
    let employee = repo::employees::get(&state.repo, session.org_id, session.employee_id)
        .await?
        .filter(|e| e.status.may_log_in() && e.sessions_revoked_at.is_none_or(|at| session.created_at > at))
        .ok_or(RefreshError::Invalid)?;
    let access_token = auth::new_secret(auth::SESSION_TOKEN_PREFIX);
    let refresh_token = auth::new_secret(auth::REFRESH_TOKEN_PREFIX);
    let renewed =
        Session { expires_at: (now + state.config.access_token_ttl).min(ends_at), last_used_at: Some(now), ..session };
    let access_hash = auth::digest(&access_token);
    let mut tx = state.repo.transaction();
    repo::sessions::use_refresh(&mut tx, &old_hash, &now);
    repo::sessions::replace(&mut tx, &record.access_hash, &access_hash, &renewed)?;
    repo::sessions::create_refresh(
        &mut tx,
        &auth::digest(&refresh_token),
        &RefreshRecord::of(&renewed, access_hash, now),
    )?;
    crate::domain::log(
        state,
        &mut tx,
        employee.org_id,
        By::employee(employee.id),
        EventType::SessionRefreshed,
        json!({ "session_id": renewed.id }),
    )?;
    match crate::domain::notify::commit(state, tx).await {
        Ok(()) => Ok(Issued { access_token, refresh_token, session: renewed }),
        // Another refresh with the same token won the race: a reuse like any other.
        Err(StoreError::ConditionFailed(repo::Guard::RefreshToken)) => {
            end_family(state, &record, now).await?;
            Err(RefreshError::Reused)
        }
        // The session was revoked or refreshed meanwhile.
        Err(StoreError::ConditionFailed(_)) => Err(RefreshError::Invalid),
        Err(e) => Err(e.into()),
    }
}

/// Ends the session a reused refresh token belongs to, whatever its current tokens.
async fn end_family(state: &AppState, record: &RefreshRecord, now: DateTime<Utc>) -> Result<()> {
    let mut tx = state.repo.transaction();
    let by = By::employee(record.employee_id);
    let payload = json!({ "session_id": record.session_id, "reason": "refresh_token_reused" });
    crate::domain::log(state, &mut tx, record.org_id, by, EventType::SessionRevoked, payload)?;
    telemetry::token::end_with_session(state, &mut tx, record.session_id).await?;
    crate::domain::notify::commit(state, tx).await?;
    // Each of the session's items on its own: the index may still list an item a
    // rotation just replaced (gone: nothing to revoke there), and that must not keep the
    // live one from being revoked.
    for key in repo::sessions::live_keys(&state.repo, record.employee_id, Some(record.session_id)).await? {
        let mut tx = state.repo.transaction();
        repo::sessions::revoke(&mut tx, &key, &now);
        match crate::domain::notify::commit(state, tx).await {
            Ok(()) | Err(StoreError::ConditionFailed(repo::Guard::Session)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
