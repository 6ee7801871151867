//! An employee's agent configurations: a catalog agent with their settings (an override
//! of its default configuration, checked against its schema).

use serde_json::{Value, json};

use super::*;
use crate::AppState;
use crate::activity::EventType;
use crate::auth::{Caller, Principal};
use crate::domain::agents::AgentSpec;
use crate::domain::catalog::{self, Entry};
use crate::domain::{employees, organizations};
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{AgentConfigId, EmployeeId, OrgId};
use crate::pagination::Page;
use crate::repo::configs::AgentCounts;
use crate::repo::{self, StoreError};
use crate::validate::{self, Validator};

/// Checks settings over an agent's defaults (errors under `field`).
pub(crate) fn check_override(
    v: &mut Validator,
    agent: &Entry<AgentSpec>,
    field: &str,
    config_override: Value,
) -> Option<Value> {
    let config_override = v.check(field, config_override, validate::json_object(32 * 1024))?;
    if let Some(schema) = &agent.spec.config_schema {
        let mut merged = agent.spec.default_config.clone();
        json_patch::merge(&mut merged, &config_override);
        for e in schema_errors(schema, &merged, field) {
            v.error(&e.field, e.message);
        }
    }
    Some(config_override)
}

/// A new agent configuration of `employee_id`, validated against the agent's schema.
pub fn new_agent_config(
    org: OrgId,
    employee_id: EmployeeId,
    agent: &Entry<AgentSpec>,
    name: Option<String>,
    status: Option<ConfigStatus>,
    config_override: Option<Value>,
) -> Result<AgentConfig> {
    let mut v = Validator::new();
    let name = v.check("name", name.unwrap_or_else(|| agent.name.clone()), validate::name(100));
    let config_override =
        check_override(&mut v, agent, "config_override", config_override.unwrap_or_else(|| json!({})));
    let (name, config_override) = v.finish(|| Some((name?, config_override?)))?;
    let now = crate::time::now();
    Ok(AgentConfig {
        id: AgentConfigId::new(),
        org_id: org,
        employee_id,
        agent_id: agent.id,
        agent_org_id: agent.org_id,
        name,
        status: status.unwrap_or(ConfigStatus::Active),
        config_override,
        sync_token: new_sync_token(),
        last_sync_at: None,
        created_at: now,
        updated_at: now,
    })
}

/// Adds a new agent configuration to `tx`: the item, the employee's (and team's) agent
/// count, the activity entry. The agent's `ref_count` is the caller's to adjust (a
/// transaction writes an item once, and callers may reference the entry otherwise too).
pub(crate) fn stage_agent_config(
    state: &AppState,
    tx: &mut repo::Transaction,
    by: &Principal,
    employee: &employees::Employee,
    max_agents: u32,
    config: &AgentConfig,
    agent_name: &str,
) -> Result<()> {
    repo::configs::create_agent(tx, config)?;
    // The limit counts active configurations only (a pending or disabled one holds no slot).
    let active = i32::from(config.status == ConfigStatus::Active);
    repo::configs::count_agents(tx, employee, AgentCounts { total: 1, active }, Some(max_agents));
    let payload =
        json!({ "employee_id": employee.id, "config_id": config.id, "agent_id": config.agent_id, "agent": agent_name });
    crate::domain::log(state, tx, config.org_id, by, EventType::AgentInstalled, payload).map(drop)
}

/// Takes a slot when a configuration becomes active and gives it back when it stops
/// being active; returns the organization's limit (0 when not read).
pub(crate) async fn stage_activation(
    state: &AppState,
    tx: &mut repo::Transaction,
    employee: &employees::Employee,
    before: &AgentConfig,
    after: &AgentConfig,
) -> Result<u32> {
    let (was, is) = (before.status == ConfigStatus::Active, after.status == ConfigStatus::Active);
    if is && !was {
        let max = organizations::get(state, employee.org_id).await?.max_agents_per_employee;
        repo::configs::count_agents(tx, employee, AgentCounts { total: 0, active: 1 }, Some(max));
        return Ok(max);
    }
    if was && !is {
        repo::configs::count_agents(tx, employee, AgentCounts { total: 0, active: -1 }, None);
    }
    Ok(0)
}

/// The error of a transaction that staged an agent configuration.
pub(crate) fn agent_config_error(e: StoreError, employee: &employees::Employee, max_agents: u32) -> Error {
    match e {
        StoreError::ConditionFailed(repo::Guard::AgentLimit) if employee.agent_config_count + 1 >= max_agents => {
            Error::conflict(
                ProblemCode::AgentLimitReached,
                format!("the employee has the organization's maximum of {max_agents} agents"),
            )
        }
        StoreError::ConditionFailed(_) => stale(),
        e => e.into(),
    }
}

pub async fn create_agent_config(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    request: NewAgentConfig,
) -> Result<AgentConfig> {
    let employee = employee_for(state, caller, employee_id, true).await?;
    let org = organizations::get(state, caller.org_id).await?;
    let agent = match catalog::visible_to::<AgentSpec>(state, Some(caller.org_id), request.agent_id).await {
        Ok(agent) => agent,
        Err(Error::NotFound(_)) => return Err(Error::invalid("agent_id", "no such agent in the catalog")),
        Err(e) => return Err(e),
    };
    let config =
        new_agent_config(caller.org_id, employee_id, &agent, request.name, request.status, request.config_override)?;
    let mut tx = state.repo.transaction();
    stage_agent_config(
        state,
        &mut tx,
        &caller.principal(),
        &employee,
        org.max_agents_per_employee,
        &config,
        &agent.name,
    )?;
    repo::catalog::adjust_refs_at(&mut tx, &repo::catalog::key::<AgentSpec>(agent.org_id, agent.id), 1);
    crate::domain::notify::commit(state, tx)
        .await
        .map_err(|e| agent_config_error(e, &employee, org.max_agents_per_employee))?;
    Ok(config)
}

/// The catalog entry `id` a configuration references, among those read. A referenced
/// entry is never deleted (agents count their configurations, servers their approvals),
/// so a missing one is corrupt data.
pub(super) fn referenced<S: catalog::Spec>(
    entries: &[Entry<S>],
    id: S::Id,
    config: impl std::fmt::Display,
) -> Result<&Entry<S>> {
    entries
        .iter()
        .find(|e| e.id == id)
        .ok_or_else(|| Error::internal(format!("the {} {id} of configuration {config} is missing", S::KIND)))
}

/// One page of an employee's agent configurations, each with its catalog agent's name,
/// type and provider (one Query and one BatchGetItem).
pub async fn list_agent_configs(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    query: &ConfigQuery,
) -> Result<Page<ListedAgentConfig>> {
    employee_for(state, caller, employee_id, false).await?;
    let page =
        repo::configs::list_agents(&state.repo, caller.org_id, employee_id, query.status, &page_of(query)?).await?;
    let agents =
        repo::catalog::get_many::<AgentSpec>(&state.repo, page.items.iter().map(|c| (c.agent_org_id, c.agent_id)))
            .await?;
    page.try_map(|config| {
        let agent = referenced(&agents, config.agent_id, config.id)?;
        Ok(ListedAgentConfig {
            agent_name: agent.name.clone(),
            agent_type: agent.spec.agent_type,
            provider: agent.spec.provider.clone(),
            config,
        })
    })
}

pub async fn get_agent_config(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    id: AgentConfigId,
) -> Result<AgentConfig> {
    employee_for(state, caller, employee_id, false).await?;
    repo::configs::get_agent(&state.repo, caller.org_id, employee_id, id).await?.ok_or(Error::NotFound("agent_config"))
}

pub async fn update_agent_config(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    id: AgentConfigId,
    patch: AgentConfigPatch,
) -> Result<AgentConfig> {
    let employee = employee_for(state, caller, employee_id, true).await?;
    let before = repo::configs::get_agent(&state.repo, caller.org_id, employee_id, id)
        .await?
        .ok_or(Error::NotFound("agent_config"))?;
    let agent = catalog::visible_to::<AgentSpec>(state, Some(caller.org_id), before.agent_id).await?;
    let mut v = Validator::new();
    let name = v.check_opt("name", patch.name, validate::name(100));
    let config_override = match patch.config_override {
        Some(o) => check_override(&mut v, &agent, "config_override", o).map(Some),
        None => Some(None),
    };
    let (name, config_override) = v.finish(|| Some((name?, config_override?)))?;
    let after = AgentConfig {
        name: name.unwrap_or(before.name.clone()),
        status: patch.status.unwrap_or(before.status),
        config_override: config_override.unwrap_or(before.config_override.clone()),
        sync_token: new_sync_token(),
        updated_at: crate::time::now(),
        ..before.clone()
    };
    let mut tx = state.repo.transaction();
    repo::configs::replace_agent(&mut tx, &after, &before)?;
    let max_agents = stage_activation(state, &mut tx, &employee, &before, &after).await?;
    let payload = json!({ "employee_id": employee_id, "config_id": id, "status": after.status });
    crate::domain::log(state, &mut tx, caller.org_id, &caller.principal(), EventType::AgentUpdated, payload)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| agent_config_error(e, &employee, max_agents))?;
    Ok(after)
}

pub async fn delete_agent_config(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    id: AgentConfigId,
) -> Result<()> {
    let employee = employee_for(state, caller, employee_id, true).await?;
    let config = repo::configs::get_agent(&state.repo, caller.org_id, employee_id, id)
        .await?
        .ok_or(Error::NotFound("agent_config"))?;
    let mut tx = state.repo.transaction();
    repo::configs::delete_agent(&mut tx, &config);
    let active = i32::from(config.status == ConfigStatus::Active);
    repo::configs::count_agents(&mut tx, &employee, AgentCounts { total: -1, active: -active }, None);
    repo::catalog::adjust_refs_at(&mut tx, &repo::catalog::key::<AgentSpec>(config.agent_org_id, config.agent_id), -1);
    let payload = json!({ "employee_id": employee_id, "config_id": id, "agent_id": config.agent_id });
    crate::domain::log(state, &mut tx, caller.org_id, &caller.principal(), EventType::AgentRemoved, payload)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => stale(),
        e => e.into(),
    })
}

// --- MCP configurations ------------------------------------------------------------------
