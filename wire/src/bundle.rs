//! The sync bundle: everything `agentctl sync` needs to write an employee's local agent
//! configuration, in one versioned document.
//!
//! Format version 1:
//! - `agents`: the employee's **active** agent configurations and the agents **assigned**
//!   to their organization or team (minus those they are excluded from, and those of an
//!   agent they configured themselves: theirs takes the place of the assignment), with the
//!   catalog entry's `default_config` merged with the `config_override` (RFC 7396) as
//!   `settings`, their `source`, `status` and `last_sync_at`, and the effective policies
//!   for that agent;
//! - `mcp_servers`: likewise the employee's **active** MCP configurations and the servers
//!   assigned to them, of servers **still approved** for the organization, with the
//!   server's name, provider, launch template (`command`, `args`, `env`, `url`, `headers`,
//!   where `${field}` names a connection or credential field), the `connection_config`,
//!   the decrypted `credentials` — the only place they ever leave the vault, and only to
//!   their owner — and `status`: `needs_credentials` while a required credential is unset;
//! - `policies`: the employee's effective policies without an agent;
//! - `budget`: the organization's budget state (`ok`, `warning` past 50 or 80 %,
//!   `exceeded` past 100 %), the threshold crossed this billing period, the employee's
//!   spend cap, and whether the organization pauses their managed agents;
//! - `rate_limits_exceeded`: the rate limits their usage went past (latest window each).
//!
//! Each agent also lists its `tools`: the tools linked to it, whether the employee may use
//! them (`enabled`; a tool that `requires_approval` is enabled by an approved
//! `enable_tool` request) and the link's `config`.
//!
//! Disabled and pending-approval configurations are not delivered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::{AgentType, LaunchTemplate, ToolType};
use crate::configs::ConfigStatus;
use crate::ids::{AgentConfigId, AgentId, AssignmentId, EmployeeId, McpConfigId, McpServerId, OrgId, TeamId, ToolId};
use crate::money::Usd;
use crate::policy::{EffectivePolicies, Metric, Window};
use crate::subscriptions::BudgetState;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bundle {
    /// The bundle format version (see the API docs).
    pub format: u32,
    pub employee: BundleEmployee,
    pub agents: Vec<BundleAgent>,
    pub mcp_servers: Vec<BundleMcpServer>,
    /// The employee's effective policies regardless of agent.
    pub policies: EffectivePolicies,
    /// The organization's budget: clients and gateways may hold back at `exceeded`.
    pub budget: BundleBudget,
    /// Rate limits of the employee's policies that their usage went past, the latest
    /// window of each (metric, window length): monitored, not enforced by clients.
    /// `window_end` says until when a breach holds.
    #[serde(default)]
    pub rate_limits_exceeded: Vec<RateLimitExceeded>,
    /// Whether the agent tools' usage telemetry is wired to agentctl (the organization's
    /// `telemetry` setting): `agentctl sync` points each tool's OpenTelemetry exporter at
    /// `<api>/v1/otlp` with a telemetry token, or removes that wiring.
    #[serde(default)]
    pub telemetry: BundleTelemetry,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleTelemetry {
    pub enabled: bool,
}

/// A rate limit usage went past, in one window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateLimitExceeded {
    pub metric: Metric,
    pub per: Window,
    pub max: u64,
    /// The count when the breach was recorded.
    pub count: u64,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleBudget {
    pub state: BudgetState,
    /// The highest threshold (50, 80, 100 %) crossed this billing period; 0 for none.
    pub threshold_pct: u8,
    /// The employee's own monthly spend cap from their policies, if any.
    pub spend_cap: Option<BundleSpendCap>,
    /// Set while the organization pauses the employee's managed agents (its budget action
    /// is `pause` and their spend cap or the monthly budget is exceeded): the bundle then
    /// holds no MCP servers, and clients write a deny-all rule where they have one.
    #[serde(default)]
    pub paused: Option<BundlePause>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundlePause {
    pub reason: PauseReason,
    /// What happened and what to do, for the employee.
    pub message: String,
}

wire_enum! {
    "snake_case",
    pub enum PauseReason {
        /// The employee's monthly spend cap is reached.
        SpendCap,
        /// The organization's monthly budget is spent.
        OrganizationBudget,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleSpendCap {
    /// The cap from the employee's policies plus what approved requests raised it by
    /// this billing period.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub monthly_usd: Usd,
    /// The employee's spending reached it this billing period.
    pub reached: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleEmployee {
    pub id: EmployeeId,
    pub email: String,
    pub full_name: String,
    pub org_id: OrgId,
    pub org_slug: String,
    pub team_id: Option<TeamId>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleAgent {
    /// Where it comes from: the employee's own configuration or an assignment.
    #[serde(flatten)]
    pub source: Source<AgentConfigId>,
    pub name: String,
    pub agent_id: AgentId,
    pub agent_name: String,
    #[serde(rename = "type")]
    pub agent_type: AgentType,
    pub provider: String,
    pub llm_provider: Option<String>,
    pub llm_model: Option<String>,
    /// `default_config` with `config_override` merged in.
    pub settings: Value,
    /// Always `active`: disabled and pending configurations are not delivered.
    pub status: ConfigStatus,
    /// The last sync recorded before this one (recording trails a sync by the queue;
    /// recorded for the employee's own configurations).
    pub last_sync_at: Option<DateTime<Utc>>,
    pub sync_token: String,
    pub policies: EffectivePolicies,
    /// The tools linked to the agent (by the platform and the organization).
    #[serde(default)]
    pub tools: Vec<BundleTool>,
}

/// A tool linked to an agent, as the employee may use it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleTool {
    pub tool_id: ToolId,
    pub name: String,
    #[serde(rename = "type")]
    pub tool_type: ToolType,
    /// Each use needs approval: clients ask before every use (an ask rule).
    pub requires_approval: bool,
    /// Whether the employee may use it: always for tools without `requires_approval`;
    /// for the others once an `enable_tool` request of theirs was approved. Clients deny
    /// a tool that is not enabled.
    pub enabled: bool,
    /// The link's configuration (`agent_tools.config`). agentctl's clients read
    /// `commands` (for shell, git and docker tools) and `domains` (for http tools) to
    /// narrow their rules to those commands or domains.
    pub config: Value,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleMcpServer {
    /// Where it comes from: the employee's own configuration or an assignment.
    #[serde(flatten)]
    pub source: Source<McpConfigId>,
    pub server_id: McpServerId,
    /// The catalog name (what policies' MCP allow/deny lists name).
    pub name: String,
    /// The catalog server's provider.
    pub provider: String,
    /// The server's launch template.
    #[serde(flatten)]
    pub launch: LaunchTemplate,
    pub connection_config: Value,
    /// Decrypted credentials (write-only elsewhere). Absent when none are set.
    pub credentials: Option<Value>,
    /// Names of the credential fields (so clients can keep them out of shared files).
    pub credential_fields: Vec<String>,
    /// `needs_credentials`: a credential the server requires is not set; clients do not
    /// start it until the employee sets their own.
    pub status: ServerStatus,
    pub sync_token: String,
}

/// Where a delivered agent or server comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Source<C> {
    /// The employee's own configuration.
    Personal { config_id: C },
    /// An assignment to the organization or the employee's team.
    Assignment { assignment_id: AssignmentId },
}

wire_enum! {
    "snake_case",
    /// Whether a delivered MCP server can start.
    pub enum ServerStatus {
        Ready,
        /// A credential the server requires is not set (the employee sets their own).
        NeedsCredentials,
    }
}
