//! Policies as clients read them: types, severities, the effective set of an employee,
//! and who enforces each type.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::catalog::{AgentType, Kind};
use crate::ids::{AgentId, EmployeeId, OrgId, PolicyId, TeamId};
use crate::money::Usd;

wire_enum! {
    "snake_case",
    pub enum PolicyType {
        /// Paths the agent may (allow) or may not (deny) read and write.
        Filesystem,
        /// Shell command patterns the agent may not run.
        Shell,
        /// Network domains the agent may (allow) or may not (deny) reach.
        Network,
        /// At most `max` of a metric per window, e.g. 100 LLM calls an hour.
        RateLimit,
        /// The LLM models allowed.
        Models,
        /// Tools allowed, denied, or needing approval.
        Tools,
        /// MCP servers allowed or denied (by catalog name).
        McpServers,
        /// Per-employee monthly spend cap in USD.
        SpendCap,
    }
}

wire_enum! {
    "snake_case",
    /// What happens when a rule matches. Combined rules take the highest severity.
    pub enum Severity {
        /// Recorded only.
        Info,
        /// The user is warned or asked to confirm (Claude Code `ask`).
        Warn,
        /// Refused.
        Block,
    }
}

wire_enum! {
    "snake_case",
    pub enum Metric {
        LlmCalls,
        LlmTokens,
        ToolCalls,
        McpCalls,
    }
}

wire_enum! {
    "snake_case",
    pub enum Window {
        Minute,
        Hour,
        Day,
    }
}

wire_enum! {
    "snake_case",
    /// Where a policy is attached.
    pub enum Level {
        Agent,
        Org,
        Team,
        Employee,
    }
}

/// A policy an effective entry comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Source {
    pub level: Level,
    pub policy_id: PolicyId,
    pub policy_name: String,
    /// The team overrode the organization's value.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overridden: bool,
}

/// One value of a list, with who put it there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entry {
    pub value: String,
    pub severity: Severity,
    pub sources: Vec<Source>,
}

/// A numeric limit and who set it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Limit<T> {
    pub value: T,
    pub severity: Severity,
    pub sources: Vec<Source>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateLimit {
    pub metric: Metric,
    pub per: Window,
    pub max: u64,
    pub severity: Severity,
    pub sources: Vec<Source>,
}

/// Allow list (`None`: unrestricted) and deny list of one kind of thing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AllowDeny {
    pub allow: Option<Vec<Entry>>,
    pub deny: Vec<Entry>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolSet {
    pub allow: Option<Vec<Entry>>,
    pub deny: Vec<Entry>,
    pub require_approval: Vec<Entry>,
}

/// The effective policy set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Effective {
    pub filesystem: AllowDeny,
    pub shell: Vec<Entry>,
    pub network: AllowDeny,
    pub models: Option<Vec<Entry>>,
    pub tools: ToolSet,
    pub mcp_servers: AllowDeny,
    pub rate_limits: Vec<RateLimit>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Limit<String>>))]
    pub spend_cap_usd: Option<Limit<Usd>>,
}

impl Effective {
    /// Whether the policies let the agent use the MCP server `name` (an `info` deny
    /// only records).
    pub fn allows_server(&self, name: &str) -> bool {
        let blocked = |entries: &[Entry]| entries.iter().any(|e| e.value == name && e.severity != Severity::Info);
        !blocked(&self.mcp_servers.deny)
            && self.mcp_servers.allow.as_ref().is_none_or(|allow| allow.iter().any(|e| e.value == name))
    }
}

wire_enum! {
    "snake_case",
    pub enum Mechanism {
        /// Written into the client's configuration, which refuses what the rule forbids.
        ClientConfig,
        /// Needs a gateway between the client and the LLM provider.
        Gateway,
        /// Checked against usage events after the fact; acted on at the next sync.
        Monitored,
    }
}

wire_enum! {
    "snake_case",
    pub enum Support {
        /// The client enforces the rule (binding when written to its admin-managed tier).
        Enforced,
        /// The client covers part of the rule (e.g. only its own fetch tool, not shell commands).
        Partial,
        /// The client cannot express the rule.
        None,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientSupport {
    pub client: AgentType,
    pub support: Support,
    /// How, in the client's own terms.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub how: Cow<'static, str>,
}

/// Who enforces a policy type.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enforcement {
    /// Where the rule is enforced, strongest first.
    pub mechanisms: Vec<Mechanism>,
    pub clients: Vec<ClientSupport>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub note: Cow<'static, str>,
}

/// One policy in an effective set, and why it applies.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppliedPolicy {
    pub policy_id: PolicyId,
    pub name: String,
    pub policy_type: PolicyType,
    pub severity: Severity,
    pub level: Level,
    /// The team overrode the organization's rules.
    pub overridden: bool,
    /// The rules as they apply (overrides included).
    pub rules: Value,
    pub enforcement: Enforcement,
}

/// `GET /v1/employees/{id}/effective-policies`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EffectivePolicies {
    pub employee_id: EmployeeId,
    pub team_id: Option<TeamId>,
    pub agent_id: Option<AgentId>,
    pub policies: Vec<AppliedPolicy>,
    pub effective: Effective,
    /// Changes whenever anything in this set changes (an ETag for caches and sync).
    pub digest: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicySpec {
    pub policy_type: PolicyType,
    /// The type's rules (see the policy types in the API docs).
    pub rules: Value,
    pub severity: Severity,
    /// Derived from the type: where the rule can actually be enforced.
    #[serde(default, skip_deserializing)]
    pub enforcement: Option<Enforcement>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPolicy {
    pub name: String,
    pub description: Option<String>,
    pub is_public: Option<bool>,
    pub policy_type: PolicyType,
    /// Rules of the policy type, e.g. `{"deny": ["/etc/**"]}` for `filesystem`.
    pub rules: Value,
    pub severity: Severity,
}

impl Kind for PolicySpec {
    type Id = crate::ids::PolicyId;
}

/// A policy attached somewhere (the seed's agent_policies, team_policies and the
/// organization-wide and employee attachments).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyLink {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub id: Uuid,
    pub level: Level,
    /// The organization that attached it (absent: the platform, on a global agent).
    pub org_id: Option<OrgId>,
    /// Agent, team or employee id (absent at the organization level).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub target_id: Option<Uuid>,
    pub policy_id: PolicyId,
    /// The policy's owner (absent: a global policy).
    pub policy_org_id: Option<OrgId>,
    pub policy_name: String,
    /// Team level: replacements of the policy's rule fields for the team's members.
    pub overrides: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttachRequest {
    /// Team attachments only: an object of rule fields that replace the policy's own.
    pub overrides: Option<Value>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct EffectiveQuery {
    /// Include the policies attached to this agent catalog entry.
    pub agent_id: Option<AgentId>,
}
