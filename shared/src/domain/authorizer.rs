//! Who sends a request: the authorizer's decision on a bearer token (a session, a
//! telemetry token or the platform key), run by the authorizer function in front of
//! every authenticated route (and by the dev server in its place).

use std::collections::BTreeSet;

use crate::AppState;
use crate::auth::{
    Caller, PLATFORM_KEY_PREFIX, Principal, SESSION_TOKEN_PREFIX, TELEMETRY_TOKEN_PREFIX, bearer, digest,
};
use crate::ids::SessionId;
use crate::repo::{self, StoreError};

/// The routes a telemetry token opens (API Gateway route keys).
pub const TELEMETRY_ROUTES: [&str; 3] =
    ["POST /v1/otlp/v1/metrics", "POST /v1/otlp/v1/logs", "POST /v1/otlp/v1/traces"];

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    /// Unknown, expired or revoked token, or an employee who may not log in.
    #[error("token rejected: {0}")]
    Denied(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How fresh a session's `last_used_at` is kept (one write per session per period).
const LAST_USED_PRECISION: chrono::Duration = chrono::Duration::minutes(5);

/// Decides who sends `authorization` (the raw header value) to `route` (an API Gateway
/// route key, `POST /v1/usage`).
pub async fn authorize(state: &AppState, authorization: Option<&str>, route: &str) -> Result<Principal, AuthError> {
    let token = bearer(authorization).ok_or(AuthError::Missing)?;
    let hash = digest(token);
    if token.starts_with(TELEMETRY_TOKEN_PREFIX) {
        return authorize_telemetry(state, &hash, route).await;
    }
    if token.starts_with(PLATFORM_KEY_PREFIX) {
        let expected = state.config.platform_key_sha256.as_deref().ok_or(AuthError::Denied("platform key"))?;
        return if bool::from(subtle::ConstantTimeEq::ct_eq(hash.as_bytes(), expected.as_bytes())) {
            Ok(Principal::Platform)
        } else {
            Err(AuthError::Denied("platform key"))
        };
    }
    session(state, token).await.map(Principal::Employee)
}

/// The caller a session token (the API's bearer, the console's cookie) stands for, while
/// the session and its employee may act.
pub async fn session(state: &AppState, token: &str) -> Result<Caller, AuthError> {
    if !token.starts_with(SESSION_TOKEN_PREFIX) {
        return Err(AuthError::Denied("malformed token"));
    }
    let hash = digest(token);
    let session = repo::sessions::get(&state.repo, &hash).await?.ok_or(AuthError::Denied("unknown session"))?;
    if session.revoked_at.is_some() {
        return Err(AuthError::Denied("revoked session"));
    }
    let now = crate::time::now();
    if session.expires_at <= now {
        return Err(AuthError::Denied("expired session"));
    }
    let last_use = session.last_used_at.unwrap_or(session.created_at);
    if session.idle_minutes.is_some_and(|idle| last_use + chrono::Duration::minutes(i64::from(idle)) <= now) {
        return Err(AuthError::Denied("idle session"));
    }
    let employee = repo::employees::get(&state.repo, session.org_id, session.employee_id)
        .await?
        .ok_or(AuthError::Denied("unknown employee"))?;
    if !employee.status.may_log_in() {
        return Err(AuthError::Denied("employee not active"));
    }
    if employee.sessions_revoked_at.is_some_and(|revoked| session.created_at <= revoked) {
        return Err(AuthError::Denied("revoked session"));
    }
    let permissions = state.roles.permissions(&state.repo, employee.role).await?;
    // Sessions lists show when a session was last used; a failed refresh of that time
    // must not refuse the request.
    if session.last_used_at.is_none_or(|used| used <= now - LAST_USED_PRECISION)
        && let Err(e) = repo::sessions::touch(&state.repo, &hash, &now, LAST_USED_PRECISION).await
    {
        tracing::warn!(error = %e, "the session's last use was not recorded");
    }
    Ok(Caller {
        org_id: employee.org_id,
        employee_id: employee.id,
        session_id: session.id,
        role: employee.role,
        permissions,
    })
}

/// A telemetry token: on the OTLP routes only, as its employee while they may sign in,
/// with no permission (exporting usage needs none).
async fn authorize_telemetry(state: &AppState, hash: &str, route: &str) -> Result<Principal, AuthError> {
    if !TELEMETRY_ROUTES.contains(&route) {
        return Err(AuthError::Denied("telemetry token outside the OTLP routes"));
    }
    let token = repo::telemetry::token(&state.repo, hash).await?.ok_or(AuthError::Denied("unknown telemetry token"))?;
    if token.expires_at <= crate::time::now() {
        return Err(AuthError::Denied("expired telemetry token"));
    }
    let employee = repo::employees::get(&state.repo, token.org_id, token.employee_id)
        .await?
        .ok_or(AuthError::Denied("unknown employee"))?;
    if !employee.status.may_log_in() || employee.sessions_revoked_at.is_some_and(|at| token.created_at <= at) {
        return Err(AuthError::Denied("telemetry token of a revoked employee"));
    }
    Ok(Principal::Employee(Caller {
        org_id: employee.org_id,
        employee_id: employee.id,
        session_id: SessionId::new(),
        role: employee.role,
        permissions: BTreeSet::new(),
    }))
}
