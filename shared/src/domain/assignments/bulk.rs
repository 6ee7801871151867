//! Bulk assignment: several agents and MCP servers (by id or unique catalog name) to the
//! organization or up to 20 teams in one call, with a result per entry (not all or
//! nothing), approving unapproved servers when the body asks and the caller may.

use super::*;
use crate::AppState;
use crate::auth::Caller;
use crate::domain::agents::AgentSpec;
use crate::domain::catalog::Spec;
use crate::domain::mcp::McpServerSpec;
use crate::error::{Error, ProblemCode, Result};
use crate::ids::OrgId;
use crate::repo::{self};
use crate::roles::Permission;
use crate::validate::Validator;

/// The most targets and items of one bulk assignment.
const BULK_TARGETS_MAX: usize = 20;
const BULK_ITEMS_MAX: usize = 50;

/// What became of one item (by its index) for one target of a bulk assignment, or for
/// all (`None`: the item itself was refused).
pub type BulkResult = (usize, Option<AssignmentTarget>, Result<Option<Assignment>>);

/// `POST /v1/assignments/bulk`: every item to every target, each pair on its own (a
/// failed pair does not undo the others; one assigned already is `Ok(None)`, so the
/// call can be repeated). Servers asked to be approved are approved first, each as
/// `PUT .../approval` does. Returns the servers approved and a result per pair.
pub async fn assign_many(
    state: &AppState,
    caller: &Caller,
    request: BulkAssignment,
) -> Result<(Vec<crate::ids::McpServerId>, Vec<BulkResult>)> {
    caller.require(Permission::EmployeesWrite)?;
    let mut v = Validator::new();
    if request.targets.is_empty() || request.targets.len() > BULK_TARGETS_MAX {
        v.error("targets", format!("1 to {BULK_TARGETS_MAX} targets"));
    }
    if request.items.is_empty() || request.items.len() > BULK_ITEMS_MAX {
        v.error("items", format!("1 to {BULK_ITEMS_MAX} agents or MCP servers"));
    }
    let approving = request.items.iter().any(|i| matches!(i, BulkItem::McpServer { approve: true, .. }));
    v.finish(|| Some(()))?;
    if approving {
        caller.require(Permission::McpApprove)?;
    }
    let org = caller.org_id;
    let excluded = check_excluded(state, org, request.excluded_employee_ids.unwrap_or_default()).await?;
    let mut items = Vec::with_capacity(request.items.len());
    for (index, item) in request.items.into_iter().enumerate() {
        items.push(resolve(state, org, index, item).await);
    }
    let mut approved = Vec::new();
    for item in items.iter_mut() {
        if let Ok((Assigned::McpServer { server_id, .. }, true)) = item {
            let server_id = *server_id;
            let before = repo::mcp::approval(&state.repo, org, server_id).await?;
            match crate::domain::mcp::approve(state, caller, server_id).await {
                Ok(_) if before.is_none() => approved.push(server_id),
                Ok(_) => {}
                Err(e) => *item = Err(e),
            }
        }
    }
    let mut results = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let assigned = match item {
            Ok((assigned, _)) => assigned,
            Err(e) => {
                results.push((index, None, Err(e)));
                continue;
            }
        };
        for target in &request.targets {
            let new = NewAssignment {
                target: *target,
                item: assigned.clone(),
                excluded_employee_ids: Some(excluded.clone()),
            };
            let result = match create(state, caller, new).await {
                Ok(assignment) => Ok(Some(assignment)),
                Err(Error::Conflict { code: ProblemCode::DuplicateAssignment, .. }) => Ok(None),
                Err(e) => Err(e),
            };
            results.push((index, Some(*target), result));
        }
    }
    Ok((approved, results))
}

/// A bulk item as an assignment's item (by id, or by name in the organization's
/// catalog, then the global one), and whether to approve it first.
async fn resolve(state: &AppState, org: OrgId, index: usize, item: BulkItem) -> Result<(Assigned, bool)> {
    let field = format!("items[{index}]");
    match item {
        BulkItem::Agent { agent_id, name, config_override } => {
            let agent_id = pick::<AgentSpec>(state, org, &field, agent_id, name).await?;
            Ok((Assigned::Agent { agent_id, config_override }, false))
        }
        BulkItem::McpServer { server_id, name, connection_config, approve } => {
            let server_id = pick::<McpServerSpec>(state, org, &field, server_id, name).await?;
            Ok((Assigned::McpServer { server_id, connection_config }, approve))
        }
    }
}

/// The id given, or the one of the entry `name` names (exactly one of the two).
async fn pick<S: Spec>(
    state: &AppState,
    org: OrgId,
    field: &str,
    id: Option<S::Id>,
    name: Option<String>,
) -> Result<S::Id> {
    match (id, name) {
        (Some(id), None) => Ok(id),
        (None, Some(name)) => {
            let found = repo::catalog::ids_by_name::<S>(&state.repo, &[Some(org), None], &name).await?;
            match found.as_slice() {
                [id] => Ok(S::Id::from(*id)),
                [] => Err(Error::invalid(
                    &format!("{field}.name"),
                    format!("no {} named {name:?} in the catalog", S::KIND),
                )),
                _ => Err(Error::invalid(
                    &format!("{field}.name"),
                    format!(
                        "both this organization's catalog and the global one have a {} named {name:?}: give its id",
                        S::KIND
                    ),
                )),
            }
        }
        _ => Err(Error::invalid(field, "give either the id or the name")),
    }
}
