//! The five global roles. Their permissions are data (role items in the table); the
//! defaults below are written by [`crate::domain::roles::ensure_defaults`] and upgraded
//! when [`DEFAULTS_VERSION`] grows.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use crate::repo::{Repository, StoreError};

/// Bump when the default permissions change, so deployed tables get them.
pub const DEFAULTS_VERSION: u32 = 5;

/// How long a process trusts its copy of the role table.
const CACHE_TTL: Duration = Duration::from_secs(300);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    Owner,
    Admin,
    Billing,
    Manager,
    Member,
}

impl RoleName {
    pub const ALL: [RoleName; 5] = [Self::Owner, Self::Admin, Self::Billing, Self::Manager, Self::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Billing => "billing",
            Self::Manager => "manager",
            Self::Member => "member",
        }
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

    /// Default permissions of the role.
    pub fn default_permissions(self) -> BTreeSet<Permission> {
        use Permission::*;
        let read = [OrgRead, TeamsRead, RolesRead, CatalogRead, RequestsSubmit];
        match self {
            Self::Owner => Permission::ALL.into_iter().collect(),
            Self::Admin => Permission::ALL.into_iter().filter(|p| *p != OwnersManage).collect(),
            Self::Billing => read
                .into_iter()
                .chain([SubscriptionRead, SubscriptionWrite, EmployeesRead, UsageRead, RequestsDecide])
                .collect(),
            Self::Manager => read.into_iter().chain([EmployeesRead, PoliciesRead, UsageRead, RequestsDecide]).collect(),
            Self::Member => read.into_iter().collect(),
        }
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RoleName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("must be one of {}", Self::ALL.map(RoleName::as_str).join(", ")))
    }
}

/// What a role allows. Checked by every handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Permission {
    #[serde(rename = "org:read")]
    OrgRead,
    #[serde(rename = "org:write")]
    OrgWrite,
    #[serde(rename = "subscription:read")]
    SubscriptionRead,
    #[serde(rename = "subscription:write")]
    SubscriptionWrite,
    #[serde(rename = "teams:read")]
    TeamsRead,
    #[serde(rename = "teams:write")]
    TeamsWrite,
    #[serde(rename = "employees:read")]
    EmployeesRead,
    #[serde(rename = "employees:write")]
    EmployeesWrite,
    /// Issue enrollment codes (which let someone log in as the employee).
    #[serde(rename = "employees:enroll")]
    EmployeesEnroll,
    /// Grant or revoke the owner role, and change owners.
    #[serde(rename = "owners:manage")]
    OwnersManage,
    #[serde(rename = "roles:read")]
    RolesRead,
    #[serde(rename = "catalog:read")]
    CatalogRead,
    /// Create and change the organization's own catalog entries.
    #[serde(rename = "catalog:write")]
    CatalogWrite,
    /// Approve or revoke MCP servers for the organization.
    #[serde(rename = "mcp:approve")]
    McpApprove,
    #[serde(rename = "policies:read")]
    PoliciesRead,
    /// Create policies and attach them at any level.
    #[serde(rename = "policies:write")]
    PoliciesWrite,
    /// Read the organization's activity log (audit trail).
    #[serde(rename = "activity:read")]
    ActivityRead,
    /// Read usage analytics (spending by team, employee, agent, ...).
    #[serde(rename = "usage:read")]
    UsageRead,
    /// Report usage on behalf of any employee (gateways); everyone reports their own.
    #[serde(rename = "usage:write")]
    UsageWrite,
    /// File requests for agents, MCP servers and budget (one's own).
    #[serde(rename = "requests:submit")]
    RequestsSubmit,
    /// See and decide the requests the organization's approval rules give the role
    /// (managers: their own team's).
    #[serde(rename = "requests:decide")]
    RequestsDecide,
}

impl Permission {
    pub const ALL: [Permission; 21] = [
        Self::OrgRead,
        Self::OrgWrite,
        Self::SubscriptionRead,
        Self::SubscriptionWrite,
        Self::TeamsRead,
        Self::TeamsWrite,
        Self::EmployeesRead,
        Self::EmployeesWrite,
        Self::EmployeesEnroll,
        Self::OwnersManage,
        Self::RolesRead,
        Self::CatalogRead,
        Self::CatalogWrite,
        Self::McpApprove,
        Self::PoliciesRead,
        Self::PoliciesWrite,
        Self::ActivityRead,
        Self::UsageRead,
        Self::UsageWrite,
        Self::RequestsSubmit,
        Self::RequestsDecide,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrgRead => "org:read",
            Self::OrgWrite => "org:write",
            Self::SubscriptionRead => "subscription:read",
            Self::SubscriptionWrite => "subscription:write",
            Self::TeamsRead => "teams:read",
            Self::TeamsWrite => "teams:write",
            Self::EmployeesRead => "employees:read",
            Self::EmployeesWrite => "employees:write",
            Self::EmployeesEnroll => "employees:enroll",
            Self::OwnersManage => "owners:manage",
            Self::RolesRead => "roles:read",
            Self::CatalogRead => "catalog:read",
            Self::CatalogWrite => "catalog:write",
            Self::McpApprove => "mcp:approve",
            Self::PoliciesRead => "policies:read",
            Self::PoliciesWrite => "policies:write",
            Self::ActivityRead => "activity:read",
            Self::UsageRead => "usage:read",
            Self::UsageWrite => "usage:write",
            Self::RequestsSubmit => "requests:submit",
            Self::RequestsDecide => "requests:decide",
        }
    }

    /// Parses a stored permission; unknown names (from a newer version) are ignored.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A role as stored and listed.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Role {
    pub id: crate::ids::RoleId,
    pub name: RoleName,
    pub description: String,
    pub permissions: BTreeSet<Permission>,
    pub created_at: DateTime<Utc>,
}

/// A process-local copy of the role table, refreshed every few minutes. Roles are
/// global, five items, and change only when the defaults are upgraded.
#[derive(Clone, Default)]
pub struct RoleCache {
    inner: Arc<RwLock<Option<RoleSnapshot>>>,
}

/// When the roles were loaded, and what they were.
type RoleSnapshot = (Instant, Arc<HashMap<RoleName, Role>>);

impl RoleCache {
    pub async fn get(&self, repo: &Repository) -> Result<Arc<HashMap<RoleName, Role>>, StoreError> {
        if let Some((loaded, roles)) = self.inner.read().await.as_ref()
            && loaded.elapsed() < CACHE_TTL
        {
            return Ok(roles.clone());
        }
        let roles: Arc<HashMap<RoleName, Role>> =
            Arc::new(crate::repo::roles::list(repo).await?.into_iter().map(|r| (r.name, r)).collect());
        *self.inner.write().await = Some((Instant::now(), roles.clone()));
        Ok(roles)
    }

    /// Forgets the copy (after this process changed the role table).
    pub async fn invalidate(&self) {
        *self.inner.write().await = None;
    }

    pub async fn permissions(&self, repo: &Repository, role: RoleName) -> Result<BTreeSet<Permission>, StoreError> {
        Ok(self.get(repo).await?.get(&role).map(|r| r.permissions.clone()).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_has_every_permission_and_admin_all_but_owners() {
        assert_eq!(RoleName::Owner.default_permissions().len(), Permission::ALL.len());
        let admin = RoleName::Admin.default_permissions();
        assert!(!admin.contains(&Permission::OwnersManage));
        assert_eq!(admin.len(), Permission::ALL.len() - 1);
    }

    #[test]
    fn permission_names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), serde_json::json!(p.as_str()));
        }
        assert_eq!(Permission::parse("future:thing"), None);
    }

    #[test]
    fn role_names_parse() {
        assert_eq!("billing".parse::<RoleName>(), Ok(RoleName::Billing));
        assert!("root".parse::<RoleName>().is_err());
    }
}
