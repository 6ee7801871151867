//! The sync bundle (format 1) as the CLI reads it: only what the writers need. The
//! server documents the full shape (`shared::domain::sync`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

pub const FORMAT: u64 = 1;

#[derive(Debug, Deserialize)]
pub struct Bundle {
    pub format: u64,
    pub agents: Vec<Agent>,
    pub mcp_servers: Vec<McpServer>,
    pub budget: Value,
}

#[derive(Debug, Deserialize)]
pub struct Agent {
    #[serde(rename = "type")]
    pub agent_type: String,
    /// The agent's `default_config` merged with the employee's override.
    pub settings: Value,
    pub policies: Policies,
}

#[derive(Debug, Deserialize)]
pub struct Policies {
    pub effective: Effective,
}

#[derive(Debug, Default, Deserialize)]
pub struct Effective {
    pub filesystem: AllowDeny,
    pub shell: Vec<Entry>,
    pub network: AllowDeny,
    pub tools: ToolSet,
    pub mcp_servers: AllowDeny,
}

#[derive(Debug, Default, Deserialize)]
pub struct AllowDeny {
    pub allow: Option<Vec<Entry>>,
    pub deny: Vec<Entry>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ToolSet {
    pub allow: Option<Vec<Entry>>,
    pub deny: Vec<Entry>,
    pub require_approval: Vec<Entry>,
}

/// One value of a policy list and how hard it binds.
#[derive(Debug, Deserialize)]
pub struct Entry {
    pub value: String,
    pub severity: Severity,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warn,
    Block,
}

#[derive(Debug, Deserialize)]
pub struct McpServer {
    /// The catalog name: the key written into every client's configuration.
    pub name: String,
    pub transport: Transport,
    pub command: Option<String>,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub url: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub connection_config: Value,
    pub credentials: Option<Value>,
    pub credential_fields: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Stdio,
    Http,
    Sse,
}

impl Effective {
    /// Whether the policies let the agent use the MCP server `name`.
    pub fn allows_server(&self, name: &str) -> bool {
        let blocked = |entries: &[Entry]| entries.iter().any(|e| e.value == name && e.severity != Severity::Info);
        !blocked(&self.mcp_servers.deny)
            && self.mcp_servers.allow.as_ref().is_none_or(|allow| allow.iter().any(|e| e.value == name))
    }
}
