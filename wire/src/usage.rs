//! Usage: events producers report, and the totals analytics answer with.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{AgentConfigId, EmployeeId, OrgId};
use crate::money::Usd;

wire_enum! {
    "snake_case",
    pub enum ResourceType {
        LlmTokensInput,
        LlmTokensOutput,
        LlmCall,
        ApiCall,
        McpCall,
    }
}

impl ResourceType {
    pub fn is_tokens(self) -> bool {
        matches!(self, Self::LlmTokensInput | Self::LlmTokensOutput)
    }
}

/// A usage event as sent (format version 1). In `POST /v1/usage`, `org_id` and
/// `employee_id` default to the caller's.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUsageEvent {
    /// Format version: 1.
    pub v: u32,
    /// The producer's id: counted once per organization however often it is delivered.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9._:-]{1,128}$", min_length = 1, max_length = 128))]
    pub event_id: String,
    pub org_id: Option<OrgId>,
    pub employee_id: Option<EmployeeId>,
    pub agent_config_id: Option<AgentConfigId>,
    pub resource_type: ResourceType,
    /// Tokens or calls, at most 10^12.
    #[cfg_attr(feature = "openapi", schema(maximum = 1_000_000_000_000_u64))]
    pub quantity: u64,
    /// A plain decimal string (`digits[.digits]`), at most 1000000 and at most 10 decimal
    /// places, e.g. `"0.0036"`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9]+(\.[0-9]+)?$", example = "0.0036"))]
    pub cost_usd: String,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub metadata: Option<Value>,
}

/// A valid usage event (the seed's usage_records row).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageEvent {
    pub event_id: String,
    pub org_id: OrgId,
    pub employee_id: EmployeeId,
    pub agent_config_id: Option<AgentConfigId>,
    pub resource_type: ResourceType,
    pub quantity: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub cost_usd: Usd,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub metadata: Value,
}

/// `POST /v1/usage`: up to 100 events.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UsageBatch {
    pub events: Vec<NewUsageEvent>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accepted {
    /// Events queued for processing (each counted once per event id).
    pub accepted: usize,
    pub event_ids: Vec<String>,
}

/// What one event adds to a rollup.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageTotals {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub cost_usd: Usd,
    pub quantity: u64,
    pub events: u64,
    /// LLM tokens (input and output).
    pub tokens: u64,
    /// LLM, API and MCP calls.
    pub calls: u64,
}

impl UsageTotals {
    pub fn of(event: &UsageEvent) -> Self {
        let kind = event.resource_type;
        Self {
            cost_usd: event.cost_usd,
            quantity: event.quantity,
            events: 1,
            tokens: if kind.is_tokens() { event.quantity } else { 0 },
            calls: if kind.is_tokens() { 0 } else { event.quantity },
        }
    }

    pub fn add(&mut self, other: &UsageTotals) {
        self.cost_usd += other.cost_usd;
        self.quantity += other.quantity;
        self.events += other.events;
        self.tokens += other.tokens;
        self.calls += other.calls;
    }
}
