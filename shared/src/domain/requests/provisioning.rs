//! What the last approval creates, in the decision's transaction.

use super::*;
use crate::AppState;
use crate::auth::Caller;
use crate::domain::agents::AgentSpec;
use crate::domain::mcp::{self, McpServerSpec, credential_fields};
use crate::domain::{configs, employees, organizations, subscriptions};
use crate::error::{Error, Result};
use crate::ids::AgentConfigId;
use crate::repo;

/// The id of the configuration filed (pending) with an agent request: the request's own.
pub(super) fn pending_config_id(request: &AgentRequest) -> AgentConfigId {
    AgentConfigId::from(request.id.0)
}

/// The pending configuration filed with an agent request, if it is still pending.
pub(super) async fn pending_config(state: &AppState, request: &AgentRequest) -> Result<Option<configs::AgentConfig>> {
    if !matches!(request.wanted, Wanted::NewAgent(_)) {
        return Ok(None);
    }
    let config =
        repo::configs::get_agent(&state.repo, request.org_id, request.employee_id, pending_config_id(request)).await?;
    Ok(config.filter(|c| c.status == configs::ConfigStatus::PendingApproval))
}

/// Stages the removal of the pending configuration of a request that will not be
/// approved (rejected, cancelled).
pub(super) async fn stage_withdrawal(
    state: &AppState,
    tx: &mut repo::Transaction,
    request: &AgentRequest,
) -> Result<()> {
    if let Some(pending) = pending_config(state, request).await? {
        let requester = employees::find(state, request.org_id, request.employee_id).await?;
        repo::configs::delete_agent(tx, &pending);
        repo::configs::count_agents(tx, &requester, repo::configs::AgentCounts { total: -1, active: 0 }, None);
        repo::catalog::adjust_refs_at(tx, &repo::catalog::key::<AgentSpec>(pending.agent_org_id, pending.agent_id), -1);
    }
    Ok(())
}

/// Stages what an approved request asked for into `tx`; returns what it provisioned.
/// Anything that no longer holds (the agent left the catalog, the requester left) is a
/// conflict: the request stays pending and the approver may reject it.
pub(super) async fn provision(
    state: &AppState,
    tx: &mut repo::Transaction,
    approver: &Caller,
    request: &AgentRequest,
) -> Result<Provisioned> {
    let org = approver.org_id;
    let by = approver.principal();
    let requester = employees::find(state, org, request.employee_id).await?;
    if requester.status != employees::EmployeeStatus::Active {
        return Err(cannot_provision("the requester is no longer active; reject the request"));
    }
    let invalid_now = |e: Error| match e {
        Error::Validation(errors) => cannot_provision(format!(
            "the request no longer fits the catalog ({}); reject it",
            errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
        )),
        e => e,
    };
    match &request.wanted {
        Wanted::NewAgent(a) => {
            let agent = agent_of(state, org, a.agent_id)
                .await?
                .ok_or_else(|| cannot_provision("the agent is no longer in the catalog; reject the request"))?;
            if let Some(pending) = pending_config(state, request).await? {
                // The configuration filed with the request turns active.
                let after = configs::AgentConfig {
                    status: configs::ConfigStatus::Active,
                    sync_token: uuid::Uuid::new_v4().simple().to_string(),
                    updated_at: crate::time::now(),
                    ..pending.clone()
                };
                repo::configs::replace_agent(tx, &after, &pending)?;
                configs::stage_activation(state, tx, &requester, &pending, &after).await?;
                let payload = serde_json::json!({ "employee_id": requester.id, "config_id": after.id,
                    "agent_id": after.agent_id, "agent": agent.name });
                crate::domain::log(state, tx, org, &by, crate::activity::EventType::AgentInstalled, payload)?;
                return Ok(Provisioned::Agent { agent_config_id: after.id });
            }
            // Requests filed before configurations were filed with them.
            let max = organizations::get(state, org).await?.max_agents_per_employee;
            let config =
                configs::new_agent_config(org, requester.id, &agent, a.name.clone(), None, a.config_override.clone())
                    .map_err(invalid_now)?;
            configs::stage_agent_config(state, tx, &by, &requester, max, &config, &agent.name)?;
            repo::catalog::adjust_refs_at(tx, &repo::catalog::key::<AgentSpec>(agent.org_id, agent.id), 1);
            Ok(Provisioned::Agent { agent_config_id: config.id })
        }
        Wanted::NewMcp(m) => {
            let server = server_of(state, org, m.server_id)
                .await?
                .ok_or_else(|| cannot_provision("the MCP server is no longer in the catalog; reject the request"))?;
            let config = configs::new_mcp_config(org, requester.id, &server, None, m.connection_config.clone())
                .map_err(invalid_now)?;
            let approve_here = repo::mcp::approval(&state.repo, org, server.id).await?.is_none();
            if approve_here {
                mcp::stage_approval(state, tx, approver, &server)?;
            }
            configs::stage_mcp_config(state, tx, &by, &config, approve_here)?;
            let refs = if approve_here { 2 } else { 1 };
            repo::catalog::adjust_refs_at(tx, &repo::catalog::key::<McpServerSpec>(server.org_id, server.id), refs);
            let awaiting_credentials = credential_fields(&server.spec.connection_schema).1;
            Ok(Provisioned::Mcp {
                mcp_config_id: config.config.id,
                server_approved_for_org: approve_here,
                awaiting_credentials,
            })
        }
        Wanted::IncreaseBudget(b) if b.scope == BudgetScope::SpendCap => {
            let cap = spend_cap_of(state, org, requester.id).await?.ok_or_else(|| {
                cannot_provision("no spend cap applies to the requester any more; reject the request")
            })?;
            let now = crate::time::now();
            let period = now.format("%Y-%m").to_string();
            let raised = repo::usage::cap_raise(&state.repo, org, requester.id, &period).await?;
            let keep = chrono::Duration::days(crate::domain::usage::SPEND_CAP_RAISE_DAYS);
            repo::usage::raise_cap(tx, org, requester.id, &period, b.amount_usd, keep, &now);
            repo::syncsets::Change::new(repo::syncsets::Scope::Employee(org, requester.id)).apply(tx, &now);
            Ok(Provisioned::SpendCap { spend_cap_usd: cap + raised + b.amount_usd, period })
        }
        Wanted::EnableTool(t) => {
            linked_tool(state, org, t).await.map_err(invalid_now)?;
            let now = crate::time::now();
            repo::agent_tools::grant(tx, org, requester.id, (t.agent_id, t.tool_id), request.id, &now);
            repo::syncsets::Change::new(repo::syncsets::Scope::Employee(org, requester.id)).apply(tx, &now);
            Ok(Provisioned::Tool { agent_id: t.agent_id, tool_id: t.tool_id })
        }
        Wanted::IncreaseBudget(b) => {
            let before = repo::subscriptions::get(&state.repo, org).await?.ok_or(Error::NotFound("subscription"))?;
            let budget = crate::money::check_budget(before.monthly_budget_usd + b.amount_usd)
                .map_err(|message| cannot_provision(format!("the raised budget {message}")))?;
            subscriptions::stage_budget(state, tx, &by, &before, budget)?;
            Ok(Provisioned::Budget { monthly_budget_usd: budget })
        }
    }
}
