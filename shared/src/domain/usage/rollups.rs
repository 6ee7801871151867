//! What an event adds to the rollups, and along which dimensions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::*;
use crate::Name;
use crate::ids::{AgentConfigId, AgentId, TeamId};

/// What a rollup aggregates over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Org,
    Team,
    Employee,
    /// The catalog agent (Claude Code, Cursor, ...).
    Agent,
    /// The employee's agent configuration.
    AgentConfig,
    ResourceType,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Org => "ORG",
            Self::Team => "TEAM",
            Self::Employee => "EMP",
            Self::Agent => "AGENT",
            Self::AgentConfig => "CFG",
            Self::ResourceType => "RES",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Granularity {
    Day,
    Month,
}

impl Granularity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Month => "month",
        }
    }

    pub fn period(self, at: &DateTime<Utc>) -> String {
        match self {
            Self::Day => at.format("%Y-%m-%d").to_string(),
            Self::Month => at.format("%Y-%m").to_string(),
        }
    }
}

/// One rollup item, read.
#[derive(Clone, Debug)]
pub struct Rollup {
    pub id: String,
    pub period: String,
    pub totals: UsageTotals,
}

/// The rollups (dimension, id) an event counts in: the organization, the employee,
/// their team, the resource type, and the agent and agent configuration it came from.
pub fn attribution(
    event: &UsageEvent,
    team: Option<TeamId>,
    agent: Option<(AgentId, AgentConfigId)>,
) -> Vec<(Dimension, String)> {
    let mut rollups = vec![
        (Dimension::Org, "all".to_string()),
        (Dimension::Employee, event.employee_id.to_string()),
        (Dimension::ResourceType, event.resource_type.as_str().to_string()),
    ];
    rollups.extend(team.map(|t| (Dimension::Team, t.to_string())));
    if let Some((agent, config)) = agent {
        rollups.push((Dimension::Agent, agent.to_string()));
        rollups.push((Dimension::AgentConfig, config.to_string()));
    }
    rollups
}
