//! What can be asked for, parsed per request type and checked against the catalog.

use crate::money::Usd;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::*;
use crate::AppState;
use crate::domain::agents::AgentSpec;
use crate::domain::catalog::{self, Entry};
use crate::domain::mcp::McpServerSpec;
use crate::domain::{configs, subscriptions};
use crate::error::{Error, Result};
use crate::ids::{AgentId, EmployeeId, McpServerId, OrgId};
use crate::validate::FieldError;

// --- what can be asked for ---------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AgentWanted {
    pub(super) agent_id: AgentId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) config_override: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct McpWanted {
    pub(super) server_id: McpServerId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) connection_config: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BudgetWanted {
    pub(super) amount_usd: Usd,
}

/// A request's data, parsed by type.
pub(super) enum Wanted {
    Agent(AgentWanted),
    Mcp(McpWanted),
    Budget(BudgetWanted),
}

impl Wanted {
    pub(super) fn parse(kind: RequestType, data: Value) -> Result<Self> {
        fn read<T: serde::de::DeserializeOwned>(data: Value) -> Result<T> {
            crate::strict_json::from_value(&data, "request_data")
        }
        Ok(match kind {
            RequestType::NewAgent => Self::Agent(read(data)?),
            RequestType::NewMcp => Self::Mcp(read(data)?),
            RequestType::IncreaseBudget => Self::Budget(read(data)?),
        })
    }

    /// What the open-request guard is keyed on: one open request per thing.
    pub(super) fn subject(&self) -> String {
        match self {
            Self::Agent(a) => format!("agent#{}", a.agent_id),
            Self::Mcp(m) => format!("mcp#{}", m.server_id),
            Self::Budget(_) => "budget".into(),
        }
    }

    pub(super) fn to_value(&self) -> Result<Value> {
        match self {
            Self::Agent(a) => serde_json::to_value(a),
            Self::Mcp(m) => serde_json::to_value(m),
            Self::Budget(b) => serde_json::to_value(b),
        }
        .map_err(Error::internal)
    }
}

/// Errors of a validation done for `request_data`, reported under it.
pub(super) fn under_request_data(e: Error) -> Error {
    match e {
        Error::Validation(errors) => Error::Validation(
            errors
                .into_iter()
                .map(|FieldError { field, message }| FieldError { field: format!("request_data.{field}"), message })
                .collect(),
        ),
        e => e,
    }
}

pub(super) async fn agent_of(state: &AppState, org: OrgId, id: AgentId) -> Result<Option<Entry<AgentSpec>>> {
    match catalog::visible_to::<AgentSpec>(state, Some(org), id).await {
        Ok(agent) => Ok(Some(agent)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(super) async fn server_of(state: &AppState, org: OrgId, id: McpServerId) -> Result<Option<Entry<McpServerSpec>>> {
    match catalog::visible_to::<McpServerSpec>(state, Some(org), id).await {
        Ok(server) => Ok(Some(server)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(super) fn parse_amount(amount: Usd) -> std::result::Result<Usd, String> {
    if amount.is_zero() {
        return Err("must be positive".into());
    }
    subscriptions::check_budget(amount)
}

/// Checks that what is asked for exists and is valid (again at approval: the catalog
/// may have changed in between).
pub(super) async fn check_wanted(state: &AppState, org: OrgId, requester: EmployeeId, wanted: &Wanted) -> Result<()> {
    match wanted {
        Wanted::Agent(a) => {
            let agent = agent_of(state, org, a.agent_id)
                .await?
                .ok_or_else(|| Error::invalid("request_data.agent_id", "no such agent in the catalog"))?;
            configs::new_agent_config(org, requester, &agent, a.name.clone(), None, a.config_override.clone())
                .map_err(under_request_data)?;
        }
        Wanted::Mcp(m) => {
            let server = server_of(state, org, m.server_id)
                .await?
                .ok_or_else(|| Error::invalid("request_data.server_id", "no such MCP server in the catalog"))?;
            configs::new_mcp_config(org, requester, &server, None, m.connection_config.clone())
                .map_err(under_request_data)?;
        }
        Wanted::Budget(b) => {
            parse_amount(b.amount_usd).map_err(|message| Error::invalid("request_data.amount_usd", message))?;
        }
    }
    Ok(())
}
