//! What an event adds to the rollups, and along which dimensions.

use super::*;
use crate::Name;
use crate::ids::{AgentConfigId, AgentId, TeamId};
pub use crate::repo::usage::{Dimension, Granularity, Rollup};

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
