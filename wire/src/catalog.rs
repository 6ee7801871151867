//! Catalog entries (agents, tools, MCP servers and categories, policies) and the agent
//! and MCP server kinds clients configure.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{AgentId, McpCategoryId, McpServerId, OrgId};

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Curated by the platform operator, visible to every organization when public.
    Global,
    /// Private to one organization.
    Org,
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

/// Which local tool an agent is, so `agentctl sync` knows which files to write.
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
    strum::Display,
    strum::VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// A local process (`command` + `args`).
    Stdio,
    /// Streamable HTTP at `url`.
    Http,
    /// Server-sent events at `url` (not every client supports it).
    Sse,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct McpServerSpec {
    pub provider: String,
    pub version: String,
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
