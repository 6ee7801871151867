//! Employees as the API shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::ids::{EmployeeId, OrgId, RoleId, TeamId};
use crate::roles::RoleName;

wire_enum! {
    "snake_case",
    pub enum EmployeeStatus {
        Active,
        Suspended,
        Deactivated,
    }
}

impl EmployeeStatus {
    pub fn may_log_in(self) -> bool {
        self == Self::Active
    }

    pub fn holds_seat(self) -> bool {
        self != Self::Deactivated
    }

    /// Moving into this status ends the employee's sessions.
    pub fn ends_sessions(self) -> bool {
        self != Self::Active
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Employee {
    pub id: EmployeeId,
    pub org_id: OrgId,
    pub team_id: Option<TeamId>,
    pub role: RoleName,
    pub role_id: RoleId,
    /// Lower-cased; unique within the organization.
    pub email: String,
    pub full_name: String,
    pub status: EmployeeStatus,
    /// The employee's own settings (free-form JSON object).
    pub preferences: Value,
    /// Active agent configurations the employee has (what the per-employee limit
    /// counts). Server-owned.
    #[serde(default)]
    pub agent_config_count: u32,
    /// Every agent configuration the employee has, whatever its status. Server-owned.
    #[serde(default)]
    pub agent_config_total: u32,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Sessions created at or before this time are refused (set when the employee is
    /// suspended or deactivated). Server-owned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_revoked_at: Option<DateTime<Utc>>,
    /// Deleted by the identity provider (SCIM `DELETE /Users`): deactivated, and no
    /// longer a SCIM User until the provider creates them again. Server-owned.
    #[serde(default)]
    pub scim_deleted: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEmployee {
    pub email: String,
    pub full_name: String,
    /// Defaults to `member`.
    #[serde(default)]
    pub role: Option<RoleName>,
    #[serde(default)]
    pub team_id: Option<TeamId>,
    #[serde(default)]
    pub preferences: Option<Value>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmployeePatch {
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub role: Option<RoleName>,
    /// A team id, or `null` to take the employee out of their team.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid, nullable))]
    pub team_id: Option<Option<TeamId>>,
    pub status: Option<EmployeeStatus>,
    pub preferences: Option<Value>,
}

/// `GET /v1/employees` filters and page.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct EmployeeQuery {
    pub team_id: Option<TeamId>,
    pub status: Option<EmployeeStatus>,
    pub role: Option<RoleName>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PreferencesUpdate {
    pub preferences: Value,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
