//! The agent catalog (Claude Code, Cursor, ...) and the tools linked to each agent.

use serde_json::json;

use crate::AppState;
use crate::activity::EventType;
use crate::auth::Principal;
use crate::domain::catalog::{self, Common, Entry, Spec};
use crate::domain::tools::ToolSpec;
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{AgentId, OrgId, ToolId};
use crate::repo::{self, StoreError, syncsets};
use crate::roles::Permission;
use crate::validate::{self, Validator};

pub use agentctl_wire::catalog::{AgentSpec, AgentTool, AgentType, LinkTool, NewAgent};

impl Spec for AgentSpec {
    type New = NewAgent;
    const ASSIGNABLE: bool = true;

    fn sync_change(before: Option<&Entry<Self>>, after: Option<&Entry<Self>>) -> Option<syncsets::Change> {
        catalog::delivered_entry_change(before, after)
    }

    async fn parse(_: &AppState, _: Option<OrgId>, new: NewAgent) -> Result<(Common, Self)> {
        let mut v = Validator::new();
        let common = Common::parse(&mut v, new.name, new.description, new.is_public);
        let provider = v.check("provider", new.provider, validate::name(100));
        let default_config = v.check(
            "default_config",
            new.default_config.unwrap_or_else(|| json!({})),
            validate::json_object(32 * 1024),
        );
        let config_schema = v.check_opt("config_schema", new.config_schema, validate::json_schema(32 * 1024));
        if let (Some(config), Some(Some(schema))) = (&default_config, &config_schema)
            && let Ok(validator) = jsonschema::validator_for(schema)
            && let Err(e) = validator.validate(config)
        {
            v.error("default_config", format!("does not satisfy config_schema: {e}"));
        }
        let capabilities = v.check("capabilities", new.capabilities.unwrap_or_default(), validate::labels(50));
        let llm_provider = v.check_opt("llm_provider", new.llm_provider, validate::name(100));
        let llm_model = v.check_opt("llm_model", new.llm_model, validate::name(200));
        v.finish(|| {
            Some((
                common?,
                AgentSpec {
                    agent_type: new.agent_type,
                    provider: provider?,
                    default_config: default_config?,
                    config_schema: config_schema?,
                    capabilities: capabilities?,
                    llm_provider: llm_provider?,
                    llm_model: llm_model?,
                },
            ))
        })
    }
}

/// Links (or re-configures) a tool on an agent for the caller's scope.
pub async fn link_tool(
    state: &AppState,
    principal: &Principal,
    agent_id: AgentId,
    tool_id: ToolId,
    request: LinkTool,
) -> Result<AgentTool> {
    let owner = principal.scope(Permission::CatalogWrite)?;
    let mut v = Validator::new();
    // Every bundle of the agent carries it (the scope's sync set keeps it).
    let config = v.check("config", request.config.unwrap_or_else(|| json!({})), validate::json_object(4 * 1024));
    let config = v.finish(|| config)?;
    let agent = catalog::visible_to::<AgentSpec>(state, owner, agent_id).await?;
    let tool = catalog::visible_to::<ToolSpec>(state, owner, tool_id).await?;
    let existing = repo::agent_tools::get(&state.repo, owner, agent_id, tool_id).await?;
    let now = crate::time::now();
    let link = AgentTool {
        agent_id,
        tool_id,
        tool_name: tool.name.clone(),
        tool_org_id: tool.org_id,
        org_id: owner,
        config,
        created_at: existing.as_ref().map_or(now, |l| l.created_at),
        updated_at: now,
    };
    let mut tx = state.repo.transaction();
    let mut change = syncsets::Change::new(syncsets::Scope::of(owner));
    change.link_tool(&link, existing.as_ref());
    change.apply(&mut tx, &now);
    match &existing {
        Some(before) => repo::agent_tools::replace(&mut tx, &link, before)?,
        None => {
            repo::agent_tools::create(&mut tx, &link)?;
            repo::catalog::adjust_refs_at(&mut tx, &repo::catalog::key::<AgentSpec>(agent.org_id, agent.id), 1);
            repo::catalog::adjust_refs_at(&mut tx, &repo::catalog::key::<ToolSpec>(tool.org_id, tool.id), 1);
        }
    }
    if let Some(org) = owner {
        let payload = json!({ "agent_id": agent_id, "tool_id": tool_id, "action": "tool_linked" });
        crate::domain::log(state, &mut tx, org, principal, EventType::CatalogUpdated, payload)?;
    }
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => {
            Error::conflict(ProblemCode::ConcurrentUpdate, "the agent or tool changed meanwhile; retry")
        }
        e => e.into(),
    })?;
    Ok(link)
}

pub async fn unlink_tool(state: &AppState, principal: &Principal, agent_id: AgentId, tool_id: ToolId) -> Result<()> {
    let owner = principal.scope(Permission::CatalogWrite)?;
    let agent = catalog::visible_to::<AgentSpec>(state, owner, agent_id).await?;
    let link =
        repo::agent_tools::get(&state.repo, owner, agent_id, tool_id).await?.ok_or(Error::NotFound("agent_tool"))?;
    let mut tx = state.repo.transaction();
    let mut change = syncsets::Change::new(syncsets::Scope::of(owner));
    change.unlink_tool(&link);
    change.apply(&mut tx, &crate::time::now());
    repo::agent_tools::delete(&mut tx, owner, agent_id, tool_id);
    repo::catalog::adjust_refs_at(&mut tx, &repo::catalog::key::<AgentSpec>(agent.org_id, agent.id), -1);
    repo::catalog::adjust_refs_at(&mut tx, &repo::catalog::key::<ToolSpec>(link.tool_org_id, tool_id), -1);
    if let Some(org) = owner {
        let payload = json!({ "agent_id": agent_id, "tool_id": tool_id, "action": "tool_unlinked" });
        crate::domain::log(state, &mut tx, org, principal, EventType::CatalogUpdated, payload)?;
    }
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => Error::NotFound("agent_tool"),
        e => e.into(),
    })
}

/// The tools linked to an agent: the platform's links and the caller's organization's.
pub async fn tools(state: &AppState, principal: &Principal, agent_id: AgentId) -> Result<Vec<AgentTool>> {
    let owner = principal.scope(Permission::CatalogRead)?;
    catalog::visible_to::<AgentSpec>(state, owner, agent_id).await?;
    let mut links = repo::agent_tools::list(&state.repo, owner, agent_id).await?;
    if owner.is_some() {
        links.extend(repo::agent_tools::list(&state.repo, None, agent_id).await?);
    }
    Ok(links)
}
