//! Keys of what is configured: the catalog's entries and name guards, assignments,
//! configurations, approvals, linked tools, policy attachments and the sync sets.

use super::*;
use crate::ids::{
    AgentConfigId, AgentId, AssignmentId, EmployeeId, McpConfigId, McpServerId, OrgId, PolicyId, TeamId, ToolId,
};

pub const ASSIGNMENT_PREFIX: &str = "ASSIGN#";

pub fn assignment(org: OrgId, assignment: AssignmentId) -> Key {
    Key::new(org_pk(org), format!("{ASSIGNMENT_PREFIX}{assignment}"))
}

/// Guard item: one assignment of a catalog entry per target (the organization, or a
/// team); `entry_prefix` is the entry's catalog prefix ([`AGENT_PREFIX`],
/// [`MCP_SERVER_PREFIX`]).
pub fn assignment_guard(org: OrgId, team: Option<TeamId>, entry_prefix: &str, entry: uuid::Uuid) -> Key {
    let target = match team {
        None => "ORG".to_string(),
        Some(team) => format!("{TEAM_PREFIX}{team}"),
    };
    Key::new(org_pk(org), format!("ASSIGNED#{target}#{entry_prefix}{entry}"))
}

pub const TOOL_GRANT_PREFIX: &str = "TOOLGRANT#";

/// An employee's approved use of a tool that requires approval, with one agent: in their
/// partition, so the sync's Query reads it.
pub fn tool_grant(org: OrgId, employee: EmployeeId, agent: AgentId, tool: ToolId) -> Key {
    Key::new(employee_partition(org, employee), format!("{TOOL_GRANT_PREFIX}{agent}#{tool}"))
}

pub const ASSIGNMENT_CREDENTIALS_PREFIX: &str = "ASGCRED#";

/// An employee's own credentials for an assigned MCP server: in their partition, so the
/// sync's one Query reads them.
pub fn assignment_credentials(org: OrgId, employee: EmployeeId, assignment: AssignmentId) -> Key {
    Key::new(employee_partition(org, employee), format!("{ASSIGNMENT_CREDENTIALS_PREFIX}{assignment}"))
}

/// The marker of an employee's spend cap reached in a month.
pub fn spend_cap_marker(org: OrgId, employee: EmployeeId, year_month: &str) -> Key {
    Key::new(employee_partition(org, employee), format!("{SPEND_CAP_PREFIX}{year_month}"))
}

/// Sort-key prefixes of the catalog's entries and of their name guards, per kind.
pub const AGENT_PREFIX: &str = "AGENT#";
pub const AGENT_NAME_PREFIX: &str = "AGENTNAME#";
pub const TOOL_PREFIX: &str = "TOOL#";
pub const TOOL_NAME_PREFIX: &str = "TOOLNAME#";
pub const MCP_CATEGORY_PREFIX: &str = "MCPCAT#";
pub const MCP_CATEGORY_NAME_PREFIX: &str = "MCPCATNAME#";
pub const MCP_SERVER_PREFIX: &str = "MCP#";
pub const MCP_SERVER_NAME_PREFIX: &str = "MCPNAME#";
pub const POLICY_PREFIX: &str = "POLICY#";
pub const POLICY_NAME_PREFIX: &str = "POLICYNAME#";

/// The partition of a catalog scope: the platform's (`None`) or an organization's.
pub fn catalog_partition(owner: Option<OrgId>) -> String {
    owner.map_or_else(|| CATALOG_PK.to_string(), org_pk)
}

/// A catalog entry of the kind whose sort keys start with `prefix` (`AGENT#`, ...).
pub fn catalog_entry(owner: Option<OrgId>, prefix: &str, id: uuid::Uuid) -> Key {
    Key::new(catalog_partition(owner), format!("{prefix}{id}"))
}

/// Guard item that makes a catalog name unique in its scope.
pub fn catalog_name_guard(owner: Option<OrgId>, name_prefix: &str, lowercase_name: &str) -> Key {
    Key::new(catalog_partition(owner), format!("{name_prefix}{lowercase_name}"))
}

pub const AGENT_CONFIG_PREFIX: &str = "AGENTCFG#";
pub const MCP_CONFIG_PREFIX: &str = "MCPCFG#";

pub fn agent_config(org: OrgId, employee: EmployeeId, id: AgentConfigId) -> Key {
    Key::new(employee_partition(org, employee), format!("{AGENT_CONFIG_PREFIX}{id}"))
}

pub fn mcp_config(org: OrgId, employee: EmployeeId, id: McpConfigId) -> Key {
    Key::new(employee_partition(org, employee), format!("{MCP_CONFIG_PREFIX}{id}"))
}

pub const MCP_APPROVAL_PREFIX: &str = "MCPAPPROVAL#";

/// An organization's approval of an MCP server.
pub fn mcp_approval(org: OrgId, server: McpServerId) -> Key {
    Key::new(org_pk(org), format!("{MCP_APPROVAL_PREFIX}{server}"))
}

/// Sort key prefix of one agent's tool links.
pub fn agent_tools_prefix(agent: AgentId) -> String {
    format!("AGENTTOOL#{agent}#")
}

/// A tool linked to an agent, in the linking scope's partition.
pub fn agent_tool(owner: Option<OrgId>, agent: AgentId, tool: ToolId) -> Key {
    Key::new(catalog_partition(owner), format!("{}{tool}", agent_tools_prefix(agent)))
}

/// Sort key prefixes of policy attachments: to an agent, the organization, a team (in
/// the organization's or the platform's partition), an employee (in theirs).
pub fn agent_policies_prefix(agent: AgentId) -> String {
    format!("AGENTPOL#{agent}#")
}

pub const ORG_POLICIES_PREFIX: &str = "ORGPOL#";

pub fn team_policies_prefix(team: TeamId) -> String {
    format!("TEAMPOL#{team}#")
}

pub const EMPLOYEE_POLICIES_PREFIX: &str = "POLICY#";

/// A policy attachment: the partition and prefix of its target, and the policy.
pub fn policy_link(partition: String, prefix: &str, policy: PolicyId) -> Key {
    Key::new(partition, format!("{prefix}{policy}"))
}

/// The sort key of a scope's sync set (in the platform's, an organization's or an
/// employee's partition).
pub const SYNC_SET_SK: &str = "SYNCSET";

pub fn sync_set(partition: String) -> Key {
    Key::new(partition, SYNC_SET_SK)
}
