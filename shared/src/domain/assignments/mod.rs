//! Assignments: an admin gives an agent (with settings) or an MCP server (with its
//! non-secret connection) to the whole organization or a team at once. Nothing is written
//! per employee: the organization's sync set holds every assignment, and the sync set of
//! the assigned entry's catalog holds the entry's content, so a sync reads both in the
//! BatchGetItem it makes anyway (docs/ARCHITECTURE.md, "Assignments"). New hires and team
//! moves pick assignments up at their next sync.
//!
//! An employee's own configuration of the same agent or server takes the assignment's
//! place; `excluded_employee_ids` leaves people out. An assigned MCP server whose
//! credentials are required reaches each member as `needs_credentials` until they set
//! their own (`PUT /v1/me/assignments/{id}/credentials`, encrypted for them alone).

use serde_json::{Value, json};

use crate::AppState;
use crate::activity::EventType;
use crate::auth::Caller;
use crate::domain::agents::AgentSpec;
use crate::domain::catalog::{self, Entry, Spec};
use crate::domain::configs::{self};
use crate::domain::mcp::McpServerSpec;
use crate::domain::teams;
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{AssignmentId, EmployeeId, OrgId};
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo::syncsets::{Change, Scope};
use crate::repo::{self, Guard, StoreError};
use crate::roles::Permission;
use crate::validate::Validator;

pub use agentctl_wire::assignments::{
    Assigned, Assignment, AssignmentPatch, AssignmentQuery, AssignmentTarget, BulkAssignment, BulkAssignmentResult,
    BulkEntry, BulkItem, BulkOutcome, NewAssignment,
};

mod bulk;
mod credentials;
mod reach;

pub use bulk::*;
pub use credentials::*;
pub use reach::*;

/// The most members one assignment leaves out (the list travels in every sync).
const EXCLUDED_MAX: usize = 200;

fn stale() -> Error {
    Error::conflict(ProblemCode::ConcurrentUpdate, "the assignment or its catalog entry changed meanwhile; retry")
}

fn write_error(e: StoreError) -> Error {
    match e {
        StoreError::ConditionFailed(Guard::Assignment) => {
            Error::conflict(ProblemCode::DuplicateAssignment, "this is assigned to that target already")
        }
        StoreError::ConditionFailed(Guard::AssignmentSpace) => Error::conflict(
            ProblemCode::AssignmentSpaceExhausted,
            "the organization's assignments are at their size limit (96 KB); remove some first",
        ),
        StoreError::ConditionFailed(Guard::McpNotApproved) => {
            Error::invalid("item.server_id", "the MCP server is not approved for this organization")
        }
        StoreError::ConditionFailed(_) => stale(),
        e => e.into(),
    }
}

/// The members left out: employees of the organization, each once.
async fn check_excluded(state: &AppState, org: OrgId, excluded: Vec<EmployeeId>) -> Result<Vec<EmployeeId>> {
    let mut ids = excluded;
    ids.sort();
    ids.dedup();
    if ids.len() > EXCLUDED_MAX {
        return Err(Error::invalid("excluded_employee_ids", format!("at most {EXCLUDED_MAX} employees")));
    }
    let found = repo::employees::get_many(&state.repo, org, &ids).await?;
    if let Some(unknown) = ids.iter().find(|id| !found.iter().any(|e| e.id == **id)) {
        return Err(Error::invalid(
            "excluded_employee_ids",
            format!("{unknown} is not an employee of this organization"),
        ));
    }
    Ok(ids)
}

/// The catalog entry an assignment names, as the organization sees it.
async fn entry_of<S: Spec>(state: &AppState, org: OrgId, id: S::Id, field: &str) -> Result<Entry<S>> {
    match catalog::visible_to::<S>(state, Some(org), id).await {
        Err(Error::NotFound(_)) => Err(Error::invalid(field, format!("no such {} in the catalog", S::KIND))),
        found => found,
    }
}

/// The item with its settings checked (`check`: against the entry's schema).
fn checked_item(item: Assigned, check: impl FnOnce(&mut Validator, Value) -> Option<Value>) -> Result<Assigned> {
    let mut v = Validator::new();
    let checked = match item {
        Assigned::Agent { agent_id, config_override } => {
            check(&mut v, config_override).map(|config_override| Assigned::Agent { agent_id, config_override })
        }
        Assigned::McpServer { server_id, connection_config } => check(&mut v, connection_config)
            .map(|connection_config| Assigned::McpServer { server_id, connection_config }),
    };
    v.finish(|| checked)
}

/// Stages the count of an assignment of `entry` (read with `count` assignments) and,
/// for the organization's own entries, their content in its sync set with the first
/// assignment, out of it with the last (the global catalog's entries are in the
/// platform's set whoever assigns them: see `catalog::delivered_entry_change`).
fn stage_entry<S: Spec>(tx: &mut repo::Transaction, org_change: &mut Change, entry: &Entry<S>, count: u32, delta: i32) {
    repo::assignments::count(tx, &repo::catalog::key::<S>(entry.org_id, entry.id), &entry.updated_at, count, delta);
    if entry.org_id.is_none() {
        return;
    }
    match (delta > 0 && count == 0, delta < 0 && count == 1) {
        (true, _) => org_change.put_entry(entry, None),
        (_, true) => org_change.remove_entry(entry),
        _ => {}
    }
}

pub async fn create(state: &AppState, caller: &Caller, request: NewAssignment) -> Result<Assignment> {
    caller.require(Permission::EmployeesWrite)?;
    let org = caller.org_id;
    if let AssignmentTarget::Team { team_id } = request.target {
        match teams::find(state, org, team_id).await {
            Err(Error::NotFound(_)) => return Err(Error::invalid("target.team_id", "no such team")),
            found => found?,
        };
    }
    let excluded = check_excluded(state, org, request.excluded_employee_ids.unwrap_or_default()).await?;
    let now = crate::time::now();
    let mut assignment = Assignment {
        id: AssignmentId::new(),
        org_id: org,
        target: request.target,
        item: request.item.clone(),
        entry_org_id: None,
        name: String::new(),
        excluded_employee_ids: excluded,
        shared_credentials: false,
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.repo.transaction();
    let mut org_change = Change::new(Scope::Org(org));
    match &request.item {
        Assigned::Agent { agent_id, .. } => {
            let agent = entry_of::<AgentSpec>(state, org, *agent_id, "item.agent_id").await?;
            assignment.item =
                checked_item(request.item, |v, o| configs::check_override(v, &agent, "item.config_override", o))?;
            (assignment.entry_org_id, assignment.name) = (agent.org_id, agent.name.clone());
            let count = assigned_count(state, &agent).await?;
            stage_entry(&mut tx, &mut org_change, &agent, count, 1);
        }
        Assigned::McpServer { server_id, .. } => {
            let server = entry_of::<McpServerSpec>(state, org, *server_id, "item.server_id").await?;
            assignment.item =
                checked_item(request.item, |v, c| configs::check_connection(v, &server, "item.connection_config", c))?;
            (assignment.entry_org_id, assignment.name) = (server.org_id, server.name.clone());
            repo::mcp::require_approval(&mut tx, org, server.id);
            let count = assigned_count(state, &server).await?;
            stage_entry(&mut tx, &mut org_change, &server, count, 1);
        }
    };
    repo::assignments::create(&mut tx, &assignment)?;
    org_change.put_assignment(&assignment, None);
    org_change.apply(&mut tx, &now);
    log(state, &mut tx, caller, EventType::AssignmentCreated, &assignment)?;
    crate::domain::notify::commit(state, tx).await.map_err(write_error)?;
    Ok(assignment)
}

async fn assigned_count<S: Spec>(state: &AppState, entry: &Entry<S>) -> Result<u32> {
    Ok(repo::assignments::count_of(&state.repo, &repo::catalog::key::<S>(entry.org_id, entry.id)).await?)
}

fn log(
    state: &AppState,
    tx: &mut repo::Transaction,
    caller: &Caller,
    event: EventType,
    assignment: &Assignment,
) -> Result<()> {
    let (kind, entry_id) = match &assignment.item {
        Assigned::Agent { agent_id, .. } => ("agent", agent_id.0),
        Assigned::McpServer { server_id, .. } => ("mcp_server", server_id.0),
    };
    let payload = json!({
        "assignment_id": assignment.id, "target": assignment.target, "type": kind, "entry_id": entry_id,
        "name": assignment.name, "excluded": assignment.excluded_employee_ids.len(),
    });
    crate::domain::log(state, tx, assignment.org_id, &caller.principal(), event, payload).map(drop)
}

pub async fn list(state: &AppState, caller: &Caller, query: &AssignmentQuery) -> Result<Page<Assignment>> {
    caller.require(Permission::EmployeesRead)?;
    let page = PageRequest::try_from(&PageQuery { limit: query.limit, cursor: query.cursor.clone() })?;
    Ok(repo::assignments::list(&state.repo, caller.org_id, query.team_id, &page).await?)
}

async fn find(state: &AppState, org: OrgId, id: AssignmentId) -> Result<Assignment> {
    repo::assignments::get(&state.repo, org, id).await?.ok_or(Error::NotFound("assignment"))
}

pub async fn get(state: &AppState, caller: &Caller, id: AssignmentId) -> Result<Assignment> {
    caller.require(Permission::EmployeesRead)?;
    find(state, caller.org_id, id).await
}

pub async fn update(state: &AppState, caller: &Caller, id: AssignmentId, patch: AssignmentPatch) -> Result<Assignment> {
    caller.require(Permission::EmployeesWrite)?;
    let before = find(state, caller.org_id, id).await?;
    apply_patch(state, caller, before, patch).await
}

/// Writes `patch` over `before`, on condition that `before` is still what is stored.
async fn apply_patch(
    state: &AppState,
    caller: &Caller,
    before: Assignment,
    patch: AssignmentPatch,
) -> Result<Assignment> {
    let org = caller.org_id;
    let mut after = before.clone();
    match (&before.item, patch.config_override, patch.connection_config) {
        (Assigned::Agent { .. }, _, Some(_)) => {
            return Err(Error::invalid("connection_config", "an agent assignment has no connection"));
        }
        (Assigned::McpServer { .. }, Some(_), _) => {
            return Err(Error::invalid("config_override", "an MCP server assignment has no agent settings"));
        }
        (Assigned::Agent { agent_id, .. }, Some(config_override), None) => {
            let agent = entry_of::<AgentSpec>(state, org, *agent_id, "config_override").await?;
            let item = Assigned::Agent { agent_id: *agent_id, config_override };
            after.item = checked_item(item, |v, o| configs::check_override(v, &agent, "config_override", o))?;
        }
        (Assigned::McpServer { server_id, .. }, None, Some(connection_config)) => {
            let server = entry_of::<McpServerSpec>(state, org, *server_id, "connection_config").await?;
            let item = Assigned::McpServer { server_id: *server_id, connection_config };
            after.item = checked_item(item, |v, c| configs::check_connection(v, &server, "connection_config", c))?;
        }
        (_, None, None) => {}
    }
    if let Some(excluded) = patch.excluded_employee_ids {
        after.excluded_employee_ids = check_excluded(state, org, excluded).await?;
    }
    after.updated_at = crate::time::now();
    let mut tx = state.repo.transaction();
    repo::assignments::replace(&mut tx, &after, &before)?;
    let mut change = Change::new(Scope::Org(org));
    change.put_assignment(&after, Some(&before));
    change.apply(&mut tx, &after.updated_at);
    log(state, &mut tx, caller, EventType::AssignmentUpdated, &after)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(Guard::Assignment) => stale(),
        e => write_error(e),
    })?;
    Ok(after)
}

pub async fn delete(state: &AppState, caller: &Caller, id: AssignmentId) -> Result<()> {
    caller.require(Permission::EmployeesWrite)?;
    let org = caller.org_id;
    let assignment = find(state, org, id).await?;
    let now = crate::time::now();
    let mut tx = state.repo.transaction();
    let mut org_change = Change::new(Scope::Org(org));
    let owners = [assignment.entry_org_id];
    match &assignment.item {
        Assigned::Agent { agent_id, .. } => {
            let agent = repo::catalog::get::<AgentSpec>(&state.repo, &owners, *agent_id)
                .await?
                .ok_or_else(|| Error::internal(format!("assigned agent {agent_id} is missing")))?;
            let count = assigned_count(state, &agent).await?;
            stage_entry(&mut tx, &mut org_change, &agent, count, -1);
        }
        Assigned::McpServer { server_id, .. } => {
            let server = repo::catalog::get::<McpServerSpec>(&state.repo, &owners, *server_id)
                .await?
                .ok_or_else(|| Error::internal(format!("assigned MCP server {server_id} is missing")))?;
            let count = assigned_count(state, &server).await?;
            stage_entry(&mut tx, &mut org_change, &server, count, -1);
        }
    };
    repo::assignments::delete(&mut tx, &assignment);
    if assignment.shared_credentials {
        let sealed = repo::syncsets::shared_credentials_len(&state.repo, org, assignment.id).await?;
        org_change.remove_shared_credentials(assignment.id, sealed);
    }
    org_change.remove_assignment(&assignment);
    org_change.apply(&mut tx, &now);
    log(state, &mut tx, caller, EventType::AssignmentDeleted, &assignment)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => stale(),
        e => e.into(),
    })
}
