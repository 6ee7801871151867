//! Employees' agent and MCP server configurations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::AgentType;
use crate::ids::{AgentConfigId, AgentId, EmployeeId, McpConfigId, McpServerId, OrgId};

wire_enum! {
    "snake_case",
    pub enum ConfigStatus {
        Active,
        Disabled,
        /// Waiting for an approval: not delivered to the employee.
        PendingApproval,
    }
}

/// An agent an employee uses (the seed's employee_agent_configs).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentConfig {
    pub id: AgentConfigId,
    pub org_id: OrgId,
    pub employee_id: EmployeeId,
    pub agent_id: AgentId,
    /// The agent's owner (absent: the global catalog).
    pub agent_org_id: Option<OrgId>,
    pub name: String,
    pub status: ConfigStatus,
    /// Settings over the agent's `default_config` (validated against its `config_schema`).
    pub config_override: Value,
    /// Changes on every edit.
    pub sync_token: String,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An MCP server an employee uses (the seed's employee_mcp_configs), as admins see it:
/// whether credentials are set and when they were rotated, never the credentials.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpConfig {
    pub id: McpConfigId,
    pub org_id: OrgId,
    pub employee_id: EmployeeId,
    pub server_id: McpServerId,
    pub server_org_id: Option<OrgId>,
    pub server_name: String,
    pub status: ConfigStatus,
    /// The connection's non-secret fields, validated against the server's schema.
    pub connection_config: Value,
    pub credentials_set: bool,
    pub credentials_rotated_at: Option<DateTime<Utc>>,
    pub sync_token: String,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAgentConfig {
    pub agent_id: AgentId,
    /// Defaults to the agent's name.
    pub name: Option<String>,
    /// Defaults to `active`.
    pub status: Option<ConfigStatus>,
    pub config_override: Option<Value>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentConfigPatch {
    pub name: Option<String>,
    pub status: Option<ConfigStatus>,
    pub config_override: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMcpConfig {
    pub server_id: McpServerId,
    pub status: Option<ConfigStatus>,
    pub connection_config: Option<Value>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct McpConfigPatch {
    pub status: Option<ConfigStatus>,
    pub connection_config: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CredentialsUpdate {
    /// The server's credential fields (its connection schema's `writeOnly` properties).
    pub credentials: Value,
}

/// `GET .../agent-configs` and `.../mcp-configs`: an optional status, and the page.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ConfigQuery {
    /// Only configurations in this status (the seed's queries ask for `active`).
    pub status: Option<ConfigStatus>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// An agent configuration in a list, with what the seed's query joins from the catalog.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListedAgentConfig {
    #[serde(flatten)]
    pub config: AgentConfig,
    /// The catalog agent's name.
    pub agent_name: String,
    pub agent_type: AgentType,
    /// The catalog agent's provider.
    pub provider: String,
}

/// An MCP configuration in a list, with its server's provider.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListedMcpConfig {
    #[serde(flatten)]
    pub config: McpConfig,
    /// The catalog server's provider.
    pub provider: String,
}
