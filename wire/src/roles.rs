//! The five global roles and the permissions they grant.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

wire_enum! {
    "snake_case",
    pub enum RoleName {
        Owner,
        Admin,
        Billing,
        Manager,
        Member,
    }
}

impl RoleName {
    /// The role's id, the same in every deployment (UUID v5 of its name).
    pub fn id(self) -> crate::ids::RoleId {
        let name = format!("agentctl.role.{}", crate::Name::as_str(self));
        crate::ids::RoleId(uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes()))
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Owner => "Full control of the organization, including its owners",
            Self::Admin => "Administers employees, teams, catalogs, policies and budgets",
            Self::Billing => "Reads the organization and manages its subscription and budget",
            Self::Manager => "Leads a team: reads the organization and decides its team's requests",
            Self::Member => "Uses the agents and MCP servers configured for them",
        }
    }
}

/// What a role allows. Checked by every handler.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Permission {
    #[serde(rename = "org:read")]
    #[strum(serialize = "org:read")]
    OrgRead,
    #[serde(rename = "org:write")]
    #[strum(serialize = "org:write")]
    OrgWrite,
    #[serde(rename = "subscription:read")]
    #[strum(serialize = "subscription:read")]
    SubscriptionRead,
    #[serde(rename = "subscription:write")]
    #[strum(serialize = "subscription:write")]
    SubscriptionWrite,
    #[serde(rename = "teams:read")]
    #[strum(serialize = "teams:read")]
    TeamsRead,
    #[serde(rename = "teams:write")]
    #[strum(serialize = "teams:write")]
    TeamsWrite,
    #[serde(rename = "employees:read")]
    #[strum(serialize = "employees:read")]
    EmployeesRead,
    #[serde(rename = "employees:write")]
    #[strum(serialize = "employees:write")]
    EmployeesWrite,
    /// Issue enrollment codes (which let someone log in as the employee).
    #[serde(rename = "employees:enroll")]
    #[strum(serialize = "employees:enroll")]
    EmployeesEnroll,
    /// Grant or revoke the owner role, and change owners.
    #[serde(rename = "owners:manage")]
    #[strum(serialize = "owners:manage")]
    OwnersManage,
    #[serde(rename = "roles:read")]
    #[strum(serialize = "roles:read")]
    RolesRead,
    #[serde(rename = "catalog:read")]
    #[strum(serialize = "catalog:read")]
    CatalogRead,
    /// Create and change the organization's own catalog entries.
    #[serde(rename = "catalog:write")]
    #[strum(serialize = "catalog:write")]
    CatalogWrite,
    /// Approve or revoke MCP servers for the organization.
    #[serde(rename = "mcp:approve")]
    #[strum(serialize = "mcp:approve")]
    McpApprove,
    #[serde(rename = "policies:read")]
    #[strum(serialize = "policies:read")]
    PoliciesRead,
    /// Create policies and attach them at any level.
    #[serde(rename = "policies:write")]
    #[strum(serialize = "policies:write")]
    PoliciesWrite,
    /// Read the organization's activity log (audit trail).
    #[serde(rename = "activity:read")]
    #[strum(serialize = "activity:read")]
    ActivityRead,
    /// Read usage analytics (spending by team, employee, agent, ...).
    #[serde(rename = "usage:read")]
    #[strum(serialize = "usage:read")]
    UsageRead,
    /// Report usage on behalf of any employee (gateways); everyone reports their own.
    #[serde(rename = "usage:write")]
    #[strum(serialize = "usage:write")]
    UsageWrite,
    /// File requests for agents, MCP servers and budget (one's own).
    #[serde(rename = "requests:submit")]
    #[strum(serialize = "requests:submit")]
    RequestsSubmit,
    /// See and decide the requests the organization's approval rules give the role
    /// (managers: their own team's).
    #[serde(rename = "requests:decide")]
    #[strum(serialize = "requests:decide")]
    RequestsDecide,
}

/// A role as stored and listed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Role {
    pub id: crate::ids::RoleId,
    pub name: RoleName,
    pub description: String,
    pub permissions: BTreeSet<Permission>,
    pub created_at: DateTime<Utc>,
}
