//! Who is calling. [`authorize`] is the logic of the API Gateway Lambda authorizer; the
//! dev server runs the same function in front of its routes. Its result travels to the
//! handlers as the authorizer context ([`Principal::to_context`] /
//! [`Principal::from_context`]) and is read there by the [`crate::http::extract`] extractors.

use crate::Name;
use std::collections::{BTreeSet, HashMap};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::domain::telemetry::token as telemetry;
use crate::error::Error;
use crate::ids::{EmployeeId, OrgId, SessionId};
use crate::repo::{self, StoreError};
use crate::roles::{Permission, RoleName};

/// Prefix of session tokens.
pub const SESSION_TOKEN_PREFIX: &str = "acs_";
/// Prefix of refresh tokens.
pub const REFRESH_TOKEN_PREFIX: &str = "acr_";
/// Prefix of the authorization codes agentctl gives its clients.
pub const AUTHORIZATION_CODE_PREFIX: &str = "aca_";
/// Prefix of device codes (RFC 8628).
pub const DEVICE_CODE_PREFIX: &str = "acd_";
/// Prefix of enrollment codes.
pub const ENROLLMENT_CODE_PREFIX: &str = "ace_";
/// Prefix of platform keys.
pub const PLATFORM_KEY_PREFIX: &str = "acp_";

/// A new 256-bit random secret, URL-safe, with a recognisable prefix.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 of a secret, hex: the only form in which secrets are stored.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Bytes as lowercase hex (digests, signatures).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An authenticated employee: everything a handler needs to scope and check a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub org_id: OrgId,
    pub employee_id: EmployeeId,
    pub session_id: SessionId,
    pub role: RoleName,
    pub permissions: BTreeSet<Permission>,
}

impl Caller {
    /// The caller as the principal domain functions and activity entries take.
    pub fn principal(&self) -> Principal {
        Principal::Employee(self.clone())
    }

    /// An employee acting with their role's default permissions outside a session (the
    /// demo seed, benchmarks).
    pub fn acting_as(org_id: OrgId, employee_id: EmployeeId, role: RoleName) -> Self {
        Self {
            org_id,
            employee_id,
            session_id: SessionId::new(),
            role,
            permissions: crate::roles::default_permissions(role),
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    pub fn require(&self, permission: Permission) -> Result<(), Error> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("the {} role lacks the {} permission", self.role, permission.as_str())))
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The platform operator (platform key).
    Platform,
    Employee(Caller),
}

impl Principal {
    /// The catalog scope this principal acts in, once it holds `permission`: the global
    /// catalog (`None`) for the platform operator, its organization for an employee.
    pub fn scope(&self, permission: Permission) -> Result<Option<OrgId>, Error> {
        match self {
            Principal::Platform => Ok(None),
            Principal::Employee(caller) => {
                caller.require(permission)?;
                Ok(Some(caller.org_id))
            }
        }
    }

    /// Succeeds for the platform operator only (operations on tenants themselves).
    pub fn require_platform(&self) -> Result<(), Error> {
        match self {
            Principal::Platform => Ok(()),
            Principal::Employee(_) => Err(Error::Forbidden("this is the platform operator's operation".into())),
        }
    }

    /// The authorizer context (API Gateway allows strings, numbers and booleans only).
    pub fn to_context(&self) -> HashMap<String, Value> {
        match self {
            Principal::Platform => HashMap::from([("principal".into(), "platform".into())]),
            Principal::Employee(c) => HashMap::from([
                ("principal".into(), "employee".into()),
                ("org_id".into(), c.org_id.to_string().into()),
                ("employee_id".into(), c.employee_id.to_string().into()),
                ("session_id".into(), c.session_id.to_string().into()),
                ("role".into(), c.role.as_str().into()),
                ("permissions".into(), c.permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" ").into()),
            ]),
        }
    }

    pub fn from_context(context: &HashMap<String, Value>) -> Option<Self> {
        let text = |k: &str| context.get(k).and_then(Value::as_str);
        match text("principal")? {
            "platform" => Some(Principal::Platform),
            "employee" => Some(Principal::Employee(Caller {
                org_id: text("org_id")?.parse().ok()?,
                employee_id: text("employee_id")?.parse().ok()?,
                session_id: text("session_id")?.parse().ok()?,
                role: text("role")?.parse().ok()?,
                permissions: text("permissions")?
                    .split_whitespace()
                    .filter_map(|p| p.parse::<Permission>().ok())
                    .collect(),
            })),
            _ => None,
        }
    }
}

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

/// The bearer token of an `Authorization` header value.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let value = header?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// How fresh a session's `last_used_at` is kept (one write per session per period).
const LAST_USED_PRECISION: chrono::Duration = chrono::Duration::minutes(5);

/// Decides who sends `authorization` (the raw header value) to `route` (an API Gateway
/// route key, `POST /v1/usage`).
pub async fn authorize(state: &AppState, authorization: Option<&str>, route: &str) -> Result<Principal, AuthError> {
    let token = bearer(authorization).ok_or(AuthError::Missing)?;
    let hash = digest(token);
    if token.starts_with(telemetry::TOKEN_PREFIX) {
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
    if !token.starts_with(SESSION_TOKEN_PREFIX) {
        return Err(AuthError::Denied("malformed token"));
    }
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
    Ok(Principal::Employee(Caller {
        org_id: employee.org_id,
        employee_id: employee.id,
        session_id: session.id,
        role: employee.role,
        permissions,
    }))
}

/// A telemetry token: on the OTLP routes only, as its employee while they may sign in,
/// with no permission (exporting usage needs none).
async fn authorize_telemetry(state: &AppState, hash: &str, route: &str) -> Result<Principal, AuthError> {
    if !telemetry::ROUTES.contains(&route) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_parsed() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer   abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn secrets_are_random_and_digests_stable() {
        let a = new_secret(SESSION_TOKEN_PREFIX);
        assert!(a.starts_with(SESSION_TOKEN_PREFIX));
        assert_eq!(a.len(), SESSION_TOKEN_PREFIX.len() + 43);
        assert_ne!(a, new_secret(SESSION_TOKEN_PREFIX));
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn context_round_trips() {
        let caller = Principal::Employee(Caller {
            org_id: OrgId::new(),
            employee_id: EmployeeId::new(),
            session_id: SessionId::new(),
            role: RoleName::Manager,
            permissions: crate::roles::default_permissions(RoleName::Manager),
        });
        assert_eq!(Principal::from_context(&caller.to_context()), Some(caller));
        assert_eq!(Principal::from_context(&Principal::Platform.to_context()), Some(Principal::Platform));
        assert_eq!(Principal::from_context(&HashMap::new()), None);
    }
}
