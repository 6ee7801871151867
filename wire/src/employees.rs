//! Employees as the API shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{EmployeeId, OrgId, RoleId, TeamId};
use crate::roles::RoleName;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EmployeeStatus {
    Active,
    Suspended,
    Deactivated,
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
    /// Agent configurations the employee has. Server-owned.
    #[serde(default)]
    pub agent_config_count: u32,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Sessions created at or before this time are refused (set when the employee is
    /// suspended or deactivated). Server-owned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
