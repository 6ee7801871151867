//! Per-organization MCP server approvals: PK `ORG#o`, SK `MCPAPPROVAL#<server id>`.

use super::Guard;
use super::{Expr, QuerySpec, Repository, StoreError, Transaction, from_item, to_item, with_key};
use crate::ids::{McpServerId, OrgId};
use crate::keys::{self, Key};
use agentctl_wire::catalog::McpApproval;

const PREFIX: &str = keys::MCP_APPROVAL_PREFIX;

fn key(org: OrgId, server: McpServerId) -> Key {
    keys::mcp_approval(org, server)
}

pub async fn approvals(repo: &Repository, org: OrgId) -> Result<Vec<McpApproval>, StoreError> {
    repo.query_all(QuerySpec::table(keys::org_pk(org), PREFIX)).await?.into_iter().map(from_item).collect()
}

pub async fn approval(repo: &Repository, org: OrgId, server: McpServerId) -> Result<Option<McpApproval>, StoreError> {
    repo.get_as(&key(org, server)).await
}

pub fn put_approval(tx: &mut Transaction, approval: &McpApproval) -> Result<(), StoreError> {
    tx.put_new(
        with_key(to_item(approval)?, &key(approval.org_id, approval.server_id), "mcp_approval"),
        Guard::McpApproved,
    );
    Ok(())
}

pub fn delete_approval(tx: &mut Transaction, org: OrgId, server: McpServerId) {
    tx.delete(&key(org, server), Some(Expr::new("attribute_exists(PK)")), Guard::McpApproval);
}

/// Fails the transaction (with [`Guard::McpNotApproved`]) unless the organization approved the server.
pub fn require_approval(tx: &mut Transaction, org: OrgId, server: McpServerId) {
    tx.check(&key(org, server), Expr::new("attribute_exists(PK)"), Guard::McpNotApproved);
}
