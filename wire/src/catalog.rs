//! Catalog entries (agents, tools, MCP servers and categories, policies) and the agent
//! and MCP server kinds clients configure.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{AgentId, EmployeeId, McpCategoryId, McpServerId, OrgId, ToolId};

/// One kind of catalog entry: what its id is.
pub trait Kind {
    type Id: Copy
        + Eq
        + std::hash::Hash
        + std::fmt::Debug
        + std::fmt::Display
        + Into<uuid::Uuid>
        + From<uuid::Uuid>
        + Serialize
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static;
}

wire_enum! {
    "snake_case",
    pub enum Scope {
        /// Curated by the platform operator, visible to every organization when public.
        Global,
        /// Private to one organization.
        Org,
    }
}

/// A catalog entry of any kind.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entry<S: Kind> {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub id: S::Id,
    pub scope: Scope,
    /// The owning organization (org scope only).
    pub org_id: Option<OrgId>,
    pub name: String,
    pub description: String,
    /// Global entries: visible to organizations only when true. Always true in org scope.
    pub is_public: bool,
    /// References from other items (links, attachments, configs). Server-owned; an entry
    /// is deleted only when unreferenced. Absent on global entries read by an
    /// organization: their count includes other organizations' use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_count: Option<u32>,
    #[serde(flatten)]
    pub spec: S,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

wire_enum! {
    "kebab-case",
    /// Which local tool an agent is, so `agentctl sync` knows which files to write.
    pub enum AgentType {
        ClaudeCode,
        Cursor,
        Vscode,
        Windsurf,
        GeminiCli,
        Codex,
        /// Any other agent: managed and metered, but no local files are written.
        Other,
    }
}

impl AgentType {
    /// The local tools `agentctl sync` writes configuration for (all but `other`).
    pub const CLIENTS: [AgentType; 6] =
        [Self::ClaudeCode, Self::Cursor, Self::Vscode, Self::Windsurf, Self::GeminiCli, Self::Codex];
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentSpec {
    #[serde(rename = "type")]
    pub agent_type: AgentType,
    /// Who makes the agent (Anthropic, Anysphere, GitHub, ...).
    pub provider: String,
    /// Settings every configuration of this agent starts from (JSON object).
    pub default_config: Value,
    /// JSON Schema that configuration overrides must satisfy (absent: any object).
    pub config_schema: Option<Value>,
    pub capabilities: Vec<String>,
    pub llm_provider: Option<String>,
    pub llm_model: Option<String>,
}

impl Kind for AgentSpec {
    type Id = AgentId;
}

wire_enum! {
    "snake_case",
    pub enum Transport {
        /// A local process (`command` + `args`).
        Stdio,
        /// Streamable HTTP at `url`.
        Http,
        /// Server-sent events at `url` (not every client supports it).
        Sse,
    }
}

/// How a client starts (stdio) or reaches (HTTP, SSE) an MCP server. `${field}` in the
/// arguments and in env and header values names a connection or credential field,
/// filled in on the employee's machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaunchTemplate {
    pub transport: Transport,
    /// Stdio: the program to launch (e.g. `npx`).
    pub command: Option<String>,
    /// Stdio: its arguments.
    pub args: Vec<String>,
    /// Stdio: environment variables of the process.
    pub env: BTreeMap<String, String>,
    /// HTTP/SSE: the endpoint.
    pub url: Option<String>,
    /// HTTP/SSE: request headers.
    pub headers: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpServerSpec {
    pub provider: String,
    pub version: String,
    /// How clients start or reach it.
    #[serde(flatten)]
    pub launch: LaunchTemplate,
    /// JSON Schema of an employee's connection; `writeOnly` properties are credentials.
    pub connection_schema: Value,
    pub capabilities: Vec<String>,
    /// Derived: some required property of the connection schema is a credential.
    pub requires_credentials: bool,
    pub category_id: Option<McpCategoryId>,
    /// Derived: the organization owning the category (absent for a global category).
    pub category_org_id: Option<OrgId>,
}

impl Kind for McpServerSpec {
    type Id = McpServerId;
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    pub name: String,
    pub description: Option<String>,
    /// Global entries only: hide from organizations until true (default true).
    pub is_public: Option<bool>,
    #[serde(rename = "type")]
    pub agent_type: AgentType,
    pub provider: String,
    pub default_config: Option<Value>,
    pub config_schema: Option<Value>,
    pub capabilities: Option<Vec<String>>,
    pub llm_provider: Option<String>,
    pub llm_model: Option<String>,
}

/// A tool linked to an agent, with per-link configuration (the seed's agent_tools).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentTool {
    pub agent_id: AgentId,
    pub tool_id: ToolId,
    pub tool_name: String,
    /// The tool's owner (absent: a global tool).
    pub tool_org_id: Option<OrgId>,
    /// The organization that linked it (absent: the platform, for every organization).
    pub org_id: Option<OrgId>,
    pub config: Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkTool {
    /// Per-link configuration (JSON object), e.g. which commands a shell tool may run.
    pub config: Option<Value>,
}

wire_enum! {
    "snake_case",
    pub enum ToolType {
        Fs,
        Git,
        Http,
        Shell,
        Docker,
        Browser,
        Database,
        Search,
        Other,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolSpec {
    #[serde(rename = "type")]
    pub tool_type: ToolType,
    /// JSON Schema of the tool's input.
    pub schema: Value,
    /// Using the tool needs a manager's approval.
    pub requires_approval: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTool {
    pub name: String,
    pub description: Option<String>,
    pub is_public: Option<bool>,
    #[serde(rename = "type")]
    pub tool_type: ToolType,
    /// JSON Schema of the tool's input (default: any object).
    pub schema: Option<Value>,
    pub requires_approval: Option<bool>,
}

impl Kind for ToolSpec {
    type Id = crate::ids::ToolId;
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpCategorySpec {}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMcpCategory {
    pub name: String,
    pub description: Option<String>,
    pub is_public: Option<bool>,
}

impl Kind for McpCategorySpec {
    type Id = crate::ids::McpCategoryId;
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMcpServer {
    pub name: String,
    pub description: Option<String>,
    pub is_public: Option<bool>,
    pub provider: String,
    pub version: String,
    pub transport: Transport,
    pub command: Option<String>,
    /// May hold `${field}` placeholders of connection fields, filled in at sync.
    pub args: Option<Vec<String>>,
    /// Values may hold `${field}` placeholders.
    pub env: Option<BTreeMap<String, String>>,
    pub url: Option<String>,
    /// Values may hold `${field}` placeholders (e.g. `Bearer ${token}`).
    pub headers: Option<BTreeMap<String, String>>,
    /// Default: no connection parameters.
    pub connection_schema: Option<Value>,
    pub capabilities: Option<Vec<String>>,
    pub category_id: Option<McpCategoryId>,
}

/// An MCP server as an organization sees it.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpServer {
    #[serde(flatten)]
    pub entry: Entry<McpServerSpec>,
    /// Approved for the caller's organization (absent for the platform operator).
    pub is_approved: Option<bool>,
}

/// A server's approval by one organization: `ORG#o` / `MCPAPPROVAL#<server id>`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpApproval {
    pub server_id: McpServerId,
    pub org_id: OrgId,
    /// The server's owner: absent for a global server.
    pub server_org_id: Option<OrgId>,
    pub approved_by: EmployeeId,
    pub approved_at: DateTime<Utc>,
}

/// `GET` list parameters of the catalogs.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct CatalogQuery {
    /// `org` or `global`; both when absent.
    pub scope: Option<Scope>,
    /// Agents and tools: the type.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", param(rename = "type"))]
    pub kind: Option<String>,
    /// Agents and MCP servers: the provider.
    pub provider: Option<String>,
    /// MCP servers: the category id.
    pub category_id: Option<McpCategoryId>,
    /// MCP servers: approved (or not) for the caller's organization.
    pub approved: Option<bool>,
    /// Policies: the policy type.
    pub policy_type: Option<String>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
