//! What an event adds to the rollups, and along which dimensions.

use super::*;
use crate::Name;
use crate::ids::{AgentConfigId, AgentId, TeamId};
pub use crate::repo::usage::{Dimension, Granularity, Rollup};
use agentctl_wire::catalog::AgentType;
use serde_json::Value;

/// The longest model id a rollup is kept for.
const MODEL_MAX: usize = 100;

/// The rollups (dimension, id) an event counts in: the organization, the employee,
/// their team, the resource type, the tool that reported it, the model it names, and
/// the agent and agent configuration it came from.
pub fn attribution(
    event: &UsageEvent,
    team: Option<TeamId>,
    agent: Option<(AgentId, AgentConfigId)>,
) -> Vec<(Dimension, String)> {
    let mut rollups = vec![
        (Dimension::Org, "all".to_string()),
        (Dimension::Employee, event.employee_id.to_string()),
        (Dimension::ResourceType, event.resource_type.as_str().to_string()),
        (Dimension::Tool, tool(event).to_string()),
    ];
    rollups.extend(model(event).map(|m| (Dimension::Model, m.to_string())));
    rollups.extend(team.map(|t| (Dimension::Team, t.to_string())));
    if let Some((agent, config)) = agent {
        rollups.push((Dimension::Agent, agent.to_string()));
        rollups.push((Dimension::AgentConfig, config.to_string()));
    }
    rollups
}

/// The tool an event came from: the client its telemetry names, else `other`.
fn tool(event: &UsageEvent) -> &'static str {
    let client = event.metadata.get("client").and_then(Value::as_str).and_then(|c| c.parse::<AgentType>().ok());
    client.map_or("other", AgentType::as_str)
}

/// The model an event names, if it is a plausible model id (anything else is counted
/// without one rather than growing the rollups with arbitrary text).
fn model(event: &UsageEvent) -> Option<&str> {
    let model = event.metadata.get("model").and_then(Value::as_str)?;
    let plausible = !model.is_empty()
        && model.len() <= MODEL_MAX
        && model.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._:/@".contains(&b));
    plausible.then_some(model)
}
