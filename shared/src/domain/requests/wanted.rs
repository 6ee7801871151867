//! What can be asked for, parsed per request type and checked against the catalog.

use serde_json::Value;

use crate::money::Usd;

use super::*;
use crate::AppState;
use crate::domain::agents::AgentSpec;
use crate::domain::catalog::{self, Entry};
use crate::domain::configs;
use crate::domain::mcp::McpServerSpec;
use crate::domain::tools::ToolSpec;
use crate::error::{Error, Result};
use crate::ids::{AgentId, EmployeeId, McpServerId, OrgId};
use crate::repo;
use crate::validate::FieldError;

/// What a request of `kind` asks for, read from its `request_data` (errors reported
/// under `request_data`).
pub(super) fn parse_wanted(kind: RequestType, data: Value) -> Result<Wanted> {
    fn read<T: serde::de::DeserializeOwned>(data: Value) -> Result<T> {
        crate::strict_json::from_value(&data, "request_data")
    }
    Ok(match kind {
        RequestType::NewAgent => Wanted::NewAgent(read(data)?),
        RequestType::NewMcp => Wanted::NewMcp(read(data)?),
        RequestType::IncreaseBudget => Wanted::IncreaseBudget(read(data)?),
        RequestType::EnableTool => Wanted::EnableTool(read(data)?),
    })
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
    crate::money::check_budget(amount)
}

/// Checks that what is asked for exists and is valid (again at approval: the catalog
/// may have changed in between).
pub(super) async fn check_wanted(state: &AppState, org: OrgId, requester: EmployeeId, wanted: &Wanted) -> Result<()> {
    match wanted {
        Wanted::NewAgent(a) => {
            let agent = agent_of(state, org, a.agent_id)
                .await?
                .ok_or_else(|| Error::invalid("request_data.agent_id", "no such agent in the catalog"))?;
            configs::new_agent_config(org, requester, &agent, a.name.clone(), None, a.config_override.clone())
                .map_err(under_request_data)?;
        }
        Wanted::NewMcp(m) => {
            let server = server_of(state, org, m.server_id)
                .await?
                .ok_or_else(|| Error::invalid("request_data.server_id", "no such MCP server in the catalog"))?;
            configs::new_mcp_config(org, requester, &server, None, m.connection_config.clone())
                .map_err(under_request_data)?;
        }
        Wanted::IncreaseBudget(b) => {
            parse_amount(b.amount_usd).map_err(|message| Error::invalid("request_data.amount_usd", message))?;
            if b.scope == BudgetScope::SpendCap && spend_cap_of(state, org, requester).await?.is_none() {
                return Err(Error::invalid("request_data.scope", "no spend cap applies to you"));
            }
        }
        Wanted::EnableTool(t) => {
            let tool = linked_tool(state, org, t).await?;
            if !tool.spec.requires_approval {
                return Err(Error::invalid("request_data.tool_id", "this tool needs no approval: it is enabled"));
            }
            if repo::agent_tools::granted(&state.repo, org, requester, (t.agent_id, t.tool_id)).await? {
                return Err(Error::invalid("request_data.tool_id", "you may use this tool with this agent already"));
            }
        }
    }
    Ok(())
}

/// The tool a request names, if it is linked to the agent for the organization (by the
/// platform or by the organization itself).
pub(super) async fn linked_tool(state: &AppState, org: OrgId, wanted: &ToolWanted) -> Result<Entry<ToolSpec>> {
    let (agent, tool) = (wanted.agent_id, wanted.tool_id);
    agent_of(state, org, agent)
        .await?
        .ok_or_else(|| Error::invalid("request_data.agent_id", "no such agent in the catalog"))?;
    let tool_entry = match catalog::visible_to::<ToolSpec>(state, Some(org), tool).await {
        Ok(entry) => entry,
        Err(Error::NotFound(_)) => return Err(Error::invalid("request_data.tool_id", "no such tool in the catalog")),
        Err(e) => return Err(e),
    };
    let linked = repo::agent_tools::get(&state.repo, Some(org), agent, tool).await?.is_some()
        || repo::agent_tools::get(&state.repo, None, agent, tool).await?.is_some();
    if !linked {
        return Err(Error::invalid("request_data.tool_id", "this tool is not linked to the agent"));
    }
    Ok(tool_entry)
}

/// The spend cap an employee's policies give them, if any.
pub(super) async fn spend_cap_of(state: &AppState, org: OrgId, employee: EmployeeId) -> Result<Option<Usd>> {
    let employee = crate::domain::employees::find(state, org, employee).await?;
    Ok(crate::domain::usage::resolve_limits(state, &employee).await?.spend_cap)
}
