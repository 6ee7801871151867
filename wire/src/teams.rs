//! Teams group the employees of an organization. An identity provider's directory
//! groups (SCIM Groups) are teams too: an employee has one team (`team_id`, what usage
//! analytics and managers go by) and belongs to any number of groups.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, TeamId};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: TeamId,
    pub org_id: OrgId,
    pub name: String,
    pub description: String,
    /// Employees whose own team this is (`team_id`). Server-owned.
    pub member_count: u32,
    /// Members of the team as a directory group (SCIM), who may belong to other groups
    /// too; assignments and policies that target the team reach them. Server-owned.
    #[serde(default)]
    pub group_size: u32,
    /// The members' active agent configurations. Server-owned.
    #[serde(default)]
    pub agent_config_count: u32,
    /// The members' agent configurations, whatever their status. Server-owned.
    #[serde(default)]
    pub agent_config_total: u32,
    /// Directory membership decides the team: the people SCIM adds to this group get it
    /// as their team (`team_id`) and leave it when SCIM removes them.
    #[serde(default)]
    pub team_source: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    /// Unique inside the organization (case-insensitive).
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// See [`Team::team_source`] (default false).
    #[serde(default)]
    pub team_source: Option<bool>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub team_source: Option<bool>,
}

/// The teams an employee belongs to: their team and every directory group that lists
/// them. Whatever targets a team (assignments, policy attachments) reaches them through
/// either.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Memberships {
    pub team: Option<TeamId>,
    pub groups: BTreeSet<TeamId>,
}

impl Memberships {
    pub fn contains(&self, team: TeamId) -> bool {
        self.team == Some(team) || self.groups.contains(&team)
    }
}
