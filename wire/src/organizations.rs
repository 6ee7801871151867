//! Organizations (tenants), as the platform operator and their own admins see them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::employees::Employee;
use crate::ids::OrgId;
use crate::sessions::EnrollmentCode;
use crate::subscriptions::{Plan, Subscription};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub slug: String,
    pub plan: Plan,
    /// Organization-level configuration (free-form JSON object).
    pub settings: Value,
    pub max_employees: u32,
    pub max_agents_per_employee: u32,
    /// Employees holding a seat (every status but deactivated). Server-owned.
    pub employee_count: u32,
    /// Employees in any status, seats held or not. Server-owned.
    #[serde(default)]
    pub employee_total: u32,
    /// How long sign-ins last.
    #[serde(default)]
    pub sessions: SessionLifetimes,
    /// What happens when an employee's spend cap or the monthly budget is exceeded.
    #[serde(default)]
    pub budget_action: BudgetAction,
    /// Whether sync wires the agent tools' usage telemetry to agentctl.
    #[serde(default)]
    pub telemetry: Telemetry,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

wire_enum! {
    "snake_case",
    /// What happens when an employee's spend cap or the organization's monthly budget is
    /// exceeded (the activity entry is written either way).
    #[derive(Default)]
    pub enum BudgetAction {
        /// Record and tell: the bundle reports it, nothing else changes.
        #[default]
        Notify,
        /// Also pause the employee's managed agents (everyone's, for the organization's
        /// budget) until an `increase_budget` request is approved or the period ends: sync
        /// takes the managed MCP servers away and writes a deny-all rule where the client
        /// has one.
        Pause,
    }
}

wire_enum! {
    "snake_case",
    /// Whether the agent tools report usage to agentctl over OpenTelemetry.
    #[derive(Default)]
    pub enum Telemetry {
        /// `agentctl sync` points each tool's telemetry at agentctl, and what it sends
        /// counts as usage.
        #[default]
        On,
        /// Sync removes the wiring, and exports that still arrive count nothing.
        Off,
    }
}

/// How long an organization's sessions last. Applies to sessions started after a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionLifetimes {
    /// A session ends this many hours after sign-in, however active (1 to 8760).
    pub max_hours: u32,
    /// A session ends after this many minutes without a request (15 to 43200); absent:
    /// no idle limit. Counted from the last recorded use, kept to within 5 minutes.
    #[serde(default)]
    pub idle_minutes: Option<u32>,
}

impl Default for SessionLifetimes {
    fn default() -> Self {
        Self { max_hours: 24 * 30, idle_minutes: None }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    pub name: String,
    /// Unique URL name: 3-63 of a-z, 0-9 and '-'.
    pub slug: String,
    pub plan: Plan,
    #[serde(default)]
    pub settings: Option<Value>,
    /// Defaults to the plan's seats.
    #[serde(default)]
    pub max_employees: Option<u32>,
    /// Defaults to the plan's agents per employee.
    #[serde(default)]
    pub max_agents_per_employee: Option<u32>,
    /// A plain decimal string, at most 6 decimal places; defaults to "0".
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "5000.00", pattern = r"^[0-9]+(\.[0-9]+)?$"))]
    pub monthly_budget_usd: Option<String>,
    /// The organization's first owner, who receives an enrollment code.
    pub owner: NewOwner,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOwner {
    pub email: String,
    pub full_name: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedOrganization {
    pub organization: Organization,
    pub subscription: Subscription,
    pub owner: Employee,
    /// One-time code with which the owner logs in (`agentctl login`). Shown once.
    pub owner_enrollment: EnrollmentCode,
}

/// What the platform operator may change.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlatformOrganizationPatch {
    pub name: Option<String>,
    pub plan: Option<Plan>,
    pub settings: Option<Value>,
    pub max_employees: Option<u32>,
    pub max_agents_per_employee: Option<u32>,
}

/// What an organization's own admins may change.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub settings: Option<Value>,
    pub sessions: Option<SessionLifetimes>,
    pub budget_action: Option<BudgetAction>,
    pub telemetry: Option<Telemetry>,
}
