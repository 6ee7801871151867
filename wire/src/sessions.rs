//! Signing in: enrollment codes, sessions, and who the caller is.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::employees::Employee;
use crate::ids::{EmployeeId, OrgId, SessionId};
use crate::roles::{Permission, RoleName};

/// A stored session (the token itself is never stored).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub id: SessionId,
    pub org_id: OrgId,
    pub employee_id: EmployeeId,
    /// Where the session was created from, as seen by the API.
    pub ip_address: Option<String>,
    /// The name the client gave when signing in (`agentctl login` sends the host name).
    #[serde(default)]
    pub device_name: Option<String>,
    /// When the session last made a request (kept to the nearest few minutes).
    #[serde(default)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Minutes without a request after which the session ends (the organization's rule
    /// when it was created); absent: none.
    #[serde(default)]
    pub idle_minutes: Option<u32>,
    /// When the current access token expires (a refresh issues a new one).
    pub expires_at: DateTime<Utc>,
    /// When the session ends for good: no refresh beyond it (the organization's
    /// `max_hours` after sign-in). Absent on sessions that cannot be refreshed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A freshly issued enrollment code. The code is shown here once and never again.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentCode {
    pub employee_id: EmployeeId,
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// `POST /v1/sessions`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The enrollment code an admin issued.
    pub code: String,
    /// A name for this device, shown in session lists (1 to 100 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
}

/// A new session. The tokens are shown here once and never again.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewSession {
    /// The access token, until `session.expires_at`.
    pub token: String,
    /// Renews the access token at `POST /v1/oauth/token` (`grant_type=refresh_token`)
    /// until `session.ends_at`; works once, and its reuse ends the session.
    pub refresh_token: String,
    pub session: Session,
    pub employee: Employee,
}

/// `GET /v1/me`: who the caller is and what they may do.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub employee: Employee,
    pub organization: OrganizationSummary,
    pub role: RoleName,
    pub permissions: Vec<Permission>,
    pub session_id: SessionId,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationSummary {
    pub id: OrgId,
    pub name: String,
    pub slug: String,
}
