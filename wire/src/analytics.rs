//! Usage analytics: by team, by a breakdown dimension, by day.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::TeamId;
use crate::money::Usd;
use crate::usage::UsageTotals;

/// `?from=&to=` (dates, inclusive, UTC) with paging.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RangeQuery {
    /// First day (`YYYY-MM-DD`); default: the first of this month.
    pub from: Option<NaiveDate>,
    /// Last day (`YYYY-MM-DD`); default: today.
    pub to: Option<NaiveDate>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

wire_enum! {
    "snake_case",
    /// What a breakdown groups by.
    pub enum BreakdownBy {
        Employee,
        Agent,
        AgentConfig,
        ResourceType,
        /// The tool that reported the usage: `claude-code`, `codex`, `gemini-cli` (their
        /// telemetry) or `other`.
        Tool,
        /// The LLM model the usage names.
        Model,
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct BreakdownQuery {
    /// `employee`, `agent`, `agent_config`, `resource_type`, `tool` or `model`.
    #[cfg_attr(feature = "openapi", param(inline))]
    pub by: BreakdownBy,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// One team's usage in a range (the seed's team usage analytics).
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamUsage {
    pub team_id: TeamId,
    pub team_name: String,
    /// Members of the team now.
    pub employee_count: u32,
    /// The members' agent configurations now, whatever their status (the seed's
    /// `COUNT(DISTINCT eac.id)`).
    pub total_agents: u32,
    /// The members' active agent configurations now.
    pub active_agents: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub total_cost_usd: Usd,
    pub usage: UsageTotals,
}

/// One line of a breakdown.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageLine {
    /// The employee, agent or agent configuration id, or the resource type.
    pub id: String,
    /// Employees: their name (absent once deleted).
    pub name: Option<String>,
    pub usage: UsageTotals,
}

/// One day of the organization's usage.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyUsage {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub usage: UsageTotals,
}
