//! Assignments: an agent or an MCP server given to a whole organization or a team at
//! once. Every member's sync bundle delivers what is assigned to them; their own
//! configurations of the same agent or server take its place.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{AgentId, AssignmentId, EmployeeId, McpServerId, OrgId, TeamId};

/// Who an assignment is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AssignmentTarget {
    /// Every employee of the organization, present and future.
    Organization {},
    /// The members of a team. An identity provider's groups are teams (SCIM Groups, and
    /// the group-to-team mappings of single sign-on), so this assigns to a group too.
    Team { team_id: TeamId },
}

/// What is assigned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Assigned {
    /// A catalog agent, with settings over its `default_config` (validated against its
    /// `config_schema`, as an agent configuration's `config_override` is).
    Agent {
        agent_id: AgentId,
        #[serde(default = "empty_object")]
        config_override: Value,
    },
    /// An MCP server the organization approved, with the connection's non-secret fields.
    /// Credentials are each member's own (`PUT /v1/me/assignments/{id}/credentials`).
    McpServer {
        server_id: McpServerId,
        #[serde(default = "empty_object")]
        connection_config: Value,
    },
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    pub target: AssignmentTarget,
    pub item: Assigned,
    /// Members who do not get it (at most 200).
    pub excluded_employee_ids: Option<Vec<EmployeeId>>,
}

/// `PATCH /v1/assignments/{id}`: the settings of what is assigned, and who is left out.
/// The target and the agent or server stay (delete and assign anew to change them).
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AssignmentPatch {
    /// An agent assignment's settings (replaces them).
    pub config_override: Option<Value>,
    /// An MCP server assignment's connection (replaces it).
    pub connection_config: Option<Value>,
    /// Replaces the list of members left out.
    pub excluded_employee_ids: Option<Vec<EmployeeId>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub id: AssignmentId,
    pub org_id: OrgId,
    pub target: AssignmentTarget,
    pub item: Assigned,
    /// The assigned catalog entry's owner (absent: the global catalog).
    pub entry_org_id: Option<OrgId>,
    /// The assigned catalog entry's name when it was assigned.
    pub name: String,
    pub excluded_employee_ids: Vec<EmployeeId>,
    /// An MCP server assignment carries the organization's credentials
    /// (`PUT /v1/assignments/{id}/credentials`): members without their own use them.
    /// The credentials themselves are never shown. Server-owned.
    #[serde(default)]
    pub shared_credentials: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Assignment {
    /// Whether `employee`, a member of `teams`, receives it.
    pub fn applies_to(&self, employee: EmployeeId, teams: &crate::teams::Memberships) -> bool {
        let targeted = match self.target {
            AssignmentTarget::Organization {} => true,
            AssignmentTarget::Team { team_id } => teams.contains(team_id),
        };
        targeted && !self.excluded_employee_ids.contains(&employee)
    }
}

/// One agent or MCP server of a bulk assignment, named by its id or by its catalog name
/// (the organization's own catalog first, then the global one; a name both use is
/// ambiguous: give the id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum BulkItem {
    Agent {
        #[serde(default)]
        agent_id: Option<AgentId>,
        #[serde(default)]
        name: Option<String>,
        #[serde(default = "empty_object")]
        config_override: Value,
    },
    McpServer {
        #[serde(default)]
        server_id: Option<McpServerId>,
        #[serde(default)]
        name: Option<String>,
        #[serde(default = "empty_object")]
        connection_config: Value,
        /// Approve the server for the organization first where it is not yet (needs
        /// `mcp:approve`; each approval is audited as `PUT .../approval` is).
        #[serde(default)]
        approve: bool,
    },
}

/// `POST /v1/assignments/bulk`: every item to every target, in one call.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkAssignment {
    /// The organization and/or teams (1 to 20).
    pub targets: Vec<AssignmentTarget>,
    /// Agents and MCP servers (1 to 50).
    pub items: Vec<BulkItem>,
    /// Members who get none of it (at most 200).
    pub excluded_employee_ids: Option<Vec<EmployeeId>>,
}

/// What became of one item for one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BulkOutcome {
    Created,
    /// It was assigned to that target already (the call can be repeated safely).
    AlreadyAssigned,
    /// Refused: `problem` says why; the other items and targets are not affected.
    Failed,
}

/// One item for one target.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkEntry {
    /// The item's index in `items`.
    pub item: usize,
    /// The target (absent where the item itself was refused, for every target).
    pub target: Option<AssignmentTarget>,
    pub outcome: BulkOutcome,
    /// The assignment made.
    pub assignment: Option<Assignment>,
    pub problem: Option<crate::problem::Problem>,
}

/// The answer of a bulk assignment: a result per item and target (each pair stands on
/// its own; the call is not all or nothing), and the servers it approved.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkAssignmentResult {
    pub results: Vec<BulkEntry>,
    pub approved_server_ids: Vec<McpServerId>,
}

/// `GET /v1/assignments`: optionally those of one team, and the page.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AssignmentQuery {
    /// Only the assignments to this team.
    pub team_id: Option<TeamId>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn targets_and_items_read_as_tagged_objects() {
        let team = TeamId::new();
        let target: AssignmentTarget = serde_json::from_value(json!({ "type": "team", "team_id": team })).unwrap();
        assert_eq!(target, AssignmentTarget::Team { team_id: team });
        let item: Assigned = serde_json::from_value(json!({ "type": "agent", "agent_id": AgentId::new() })).unwrap();
        assert!(matches!(item, Assigned::Agent { config_override, .. } if config_override == json!({})));
        assert!(serde_json::from_value::<AssignmentTarget>(json!({ "type": "organization", "x": 1 })).is_err());
    }

    #[test]
    fn an_assignment_applies_to_its_target_minus_the_excluded() {
        use crate::teams::Memberships;
        let (team, other) = (TeamId::new(), TeamId::new());
        let (member, excluded) = (EmployeeId::new(), EmployeeId::new());
        let assignment = Assignment {
            id: AssignmentId::new(),
            org_id: OrgId::new(),
            target: AssignmentTarget::Team { team_id: team },
            item: Assigned::McpServer { server_id: McpServerId::new(), connection_config: json!({}) },
            entry_org_id: None,
            name: "GitHub".into(),
            excluded_employee_ids: vec![excluded],
            shared_credentials: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let of =
            |team: Option<TeamId>, groups: &[TeamId]| Memberships { team, groups: groups.iter().copied().collect() };
        assert!(assignment.applies_to(member, &of(Some(team), &[])));
        assert!(assignment.applies_to(member, &of(Some(other), &[team])), "through a group");
        assert!(assignment.applies_to(member, &of(None, &[other, team])), "through one of several groups");
        assert!(!assignment.applies_to(member, &of(Some(other), &[other])));
        assert!(!assignment.applies_to(member, &of(None, &[])));
        assert!(!assignment.applies_to(excluded, &of(Some(team), &[team])));
    }
}
