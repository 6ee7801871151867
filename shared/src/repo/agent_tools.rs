//! Tools linked to agents: `CATALOG` (platform) or `ORG#o` / `AGENTTOOL#<agent>#<tool>`;
//! employees' approved uses of tools that require approval: `ORG#o#EMP#e` /
//! `TOOLGRANT#<agent>#<tool>`.

use super::Guard;
use super::{Expr, QuerySpec, Repository, StoreError, Transaction, from_item, to_item, ts, with_key};
use crate::ids::{AgentId, EmployeeId, OrgId, RequestId, ToolId};
use crate::keys::{self, Key};
use agentctl_wire::catalog::AgentTool;

fn prefix(agent: AgentId) -> String {
    keys::agent_tools_prefix(agent)
}

fn key(owner: Option<OrgId>, agent: AgentId, tool: ToolId) -> Key {
    keys::agent_tool(owner, agent, tool)
}

pub async fn get(
    repo: &Repository,
    owner: Option<OrgId>,
    agent: AgentId,
    tool: ToolId,
) -> Result<Option<AgentTool>, StoreError> {
    repo.get_as(&key(owner, agent, tool)).await
}

pub async fn list(repo: &Repository, owner: Option<OrgId>, agent: AgentId) -> Result<Vec<AgentTool>, StoreError> {
    let spec = QuerySpec::table(keys::catalog_partition(owner), &prefix(agent));
    repo.query_all(spec).await?.into_iter().map(from_item).collect()
}

pub fn create(tx: &mut Transaction, link: &AgentTool) -> Result<(), StoreError> {
    tx.put_new(
        with_key(to_item(link)?, &key(link.org_id, link.agent_id, link.tool_id), "agent_tool"),
        Guard::AgentTool,
    );
    Ok(())
}

pub fn replace(tx: &mut Transaction, link: &AgentTool, before: &AgentTool) -> Result<(), StoreError> {
    let condition = Expr::new("updated_at = :read_at").value(":read_at", ts(&before.updated_at));
    tx.put_if(
        with_key(to_item(link)?, &key(link.org_id, link.agent_id, link.tool_id), "agent_tool"),
        condition,
        Guard::AgentTool,
    );
    Ok(())
}

pub fn delete(tx: &mut Transaction, owner: Option<OrgId>, agent: AgentId, tool: ToolId) {
    tx.delete(&key(owner, agent, tool), Some(Expr::new("attribute_exists(PK)")), Guard::AgentTool);
}

/// Records that an approved request lets the employee use the tool with the agent.
pub fn grant(
    tx: &mut Transaction,
    org: OrgId,
    employee: EmployeeId,
    (agent, tool): (AgentId, ToolId),
    request: RequestId,
    at: &crate::time::Timestamp,
) {
    let item = super::Item::from([
        ("agent_id".to_string(), super::s(agent.to_string())),
        ("tool_id".to_string(), super::s(tool.to_string())),
        ("request_id".to_string(), super::s(request.to_string())),
        ("granted_at".to_string(), ts(at)),
    ]);
    tx.put_new(with_key(item, &keys::tool_grant(org, employee, agent, tool), "tool_grant"), Guard::ToolGrant);
}

pub async fn granted(
    repo: &Repository,
    org: OrgId,
    employee: EmployeeId,
    (agent, tool): (AgentId, ToolId),
) -> Result<bool, StoreError> {
    Ok(repo.get(&keys::tool_grant(org, employee, agent, tool)).await?.is_some())
}

/// The (agent, tool) of a grant item read from the employee's partition.
pub fn read_grant(item: &super::Item) -> Result<(AgentId, ToolId), StoreError> {
    let field = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .and_then(|v| v.parse::<uuid::Uuid>().ok())
            .ok_or_else(|| StoreError::Corrupt(format!("tool grant {name}")))
    };
    Ok((AgentId::from(field("agent_id")?), ToolId::from(field("tool_id")?)))
}
