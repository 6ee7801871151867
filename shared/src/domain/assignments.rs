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
use crate::domain::configs::{self, CredentialsUpdate};
use crate::domain::mcp::McpServerSpec;
use crate::domain::{employees, teams};
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{AssignmentId, EmployeeId, OrgId};
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo::syncsets::{Change, Scope};
use crate::repo::{self, Guard, StoreError};
use crate::roles::Permission;
use crate::validate::Validator;
use crate::vault::Owner;

pub use agentctl_wire::assignments::{
    Assigned, Assignment, AssignmentPatch, AssignmentQuery, AssignmentTarget, BulkAssignment, BulkAssignmentResult,
    BulkEntry, BulkItem, BulkOutcome, NewAssignment,
};

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
    crate::domain::log(state, tx, assignment.org_id, &caller.principal(), event, payload)
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
    let org = caller.org_id;
    let before = find(state, org, id).await?;
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

/// An MCP server assignment that reaches the caller (404 for any other).
async fn own_server_assignment(
    state: &AppState,
    caller: &Caller,
    id: AssignmentId,
) -> Result<(Assignment, Entry<McpServerSpec>)> {
    let assignment = find(state, caller.org_id, id).await?;
    let employee = employees::find(state, caller.org_id, caller.employee_id).await?;
    let Assigned::McpServer { server_id, .. } = assignment.item else { return Err(Error::NotFound("assignment")) };
    if !assignment.applies_to(employee.id, &crate::domain::teams::memberships(state, &employee).await?) {
        return Err(Error::NotFound("assignment"));
    }
    let server = catalog::visible_to::<McpServerSpec>(state, Some(caller.org_id), server_id).await?;
    Ok((assignment, server))
}

/// Sets or rotates the caller's own credentials for an MCP server assigned to them
/// (encrypted for them alone, write-only).
pub async fn set_own_credentials(
    state: &AppState,
    caller: &Caller,
    id: AssignmentId,
    request: CredentialsUpdate,
) -> Result<()> {
    let (assignment, server) = own_server_assignment(state, caller, id).await?;
    configs::check_credentials(&server, &request.credentials)?;
    let owner = Owner::Assignment { org_id: caller.org_id, employee_id: caller.employee_id, assignment_id: id };
    let ciphertext = state.vault.seal(&owner, &request.credentials).await.map_err(Error::from)?;
    let now = crate::time::now();
    let mut tx = state.repo.transaction();
    repo::assignments::put_credentials(&mut tx, caller.org_id, caller.employee_id, id, &ciphertext, &now);
    Change::new(Scope::Employee(caller.org_id, caller.employee_id)).apply(&mut tx, &now);
    log(state, &mut tx, caller, EventType::AssignmentCredentialsSet, &assignment)?;
    Ok(crate::domain::notify::commit(state, tx).await?)
}

/// Removes the caller's own credentials for an assigned MCP server.
pub async fn clear_own_credentials(state: &AppState, caller: &Caller, id: AssignmentId) -> Result<()> {
    let (assignment, _) = own_server_assignment(state, caller, id).await?;
    let now = crate::time::now();
    let mut tx = state.repo.transaction();
    repo::assignments::delete_credentials(&mut tx, caller.org_id, caller.employee_id, id);
    Change::new(Scope::Employee(caller.org_id, caller.employee_id)).apply(&mut tx, &now);
    log(state, &mut tx, caller, EventType::AssignmentCredentialsRemoved, &assignment)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(Guard::Assignment) => Error::NotFound("credentials"),
        e => e.into(),
    })
}

/// Sets or rotates the organization's credentials of an MCP server assignment: every
/// member without their own uses them (KMS-sealed for the organization, write-only).
pub async fn set_shared_credentials(
    state: &AppState,
    caller: &Caller,
    id: AssignmentId,
    request: CredentialsUpdate,
) -> Result<Assignment> {
    caller.require(Permission::EmployeesWrite)?;
    let before = find(state, caller.org_id, id).await?;
    let Assigned::McpServer { server_id, .. } = before.item else {
        return Err(Error::invalid("credentials", "an agent assignment has no credentials"));
    };
    let server = entry_of::<McpServerSpec>(state, caller.org_id, server_id, "credentials").await?;
    configs::check_credentials(&server, &request.credentials)?;
    let owner = Owner::SharedAssignment { org_id: caller.org_id, assignment_id: id };
    let ciphertext = state.vault.seal(&owner, &request.credentials).await.map_err(Error::from)?;
    let replaced = match before.shared_credentials {
        true => repo::syncsets::shared_credentials_len(&state.repo, caller.org_id, id).await?,
        false => 0,
    };
    let after = Assignment { shared_credentials: true, updated_at: crate::time::now(), ..before.clone() };
    let mut change = Change::new(Scope::Org(caller.org_id));
    change.put_shared_credentials(id, &ciphertext, replaced);
    write_shared_credentials(state, caller, &before, after, change, EventType::AssignmentSharedCredentialsSet).await
}

/// Removes the organization's credentials of an MCP server assignment: members without
/// their own need to set them again.
pub async fn clear_shared_credentials(state: &AppState, caller: &Caller, id: AssignmentId) -> Result<Assignment> {
    caller.require(Permission::EmployeesWrite)?;
    let before = find(state, caller.org_id, id).await?;
    if !before.shared_credentials {
        return Err(Error::NotFound("credentials"));
    }
    let sealed = repo::syncsets::shared_credentials_len(&state.repo, caller.org_id, id).await?;
    let after = Assignment { shared_credentials: false, updated_at: crate::time::now(), ..before.clone() };
    let mut change = Change::new(Scope::Org(caller.org_id));
    change.remove_shared_credentials(id, sealed);
    write_shared_credentials(state, caller, &before, after, change, EventType::AssignmentSharedCredentialsRemoved).await
}

/// The assignment record and its copy in the organization's sync set, with the change of
/// its credentials and the activity entry (which never holds them).
async fn write_shared_credentials(
    state: &AppState,
    caller: &Caller,
    before: &Assignment,
    after: Assignment,
    mut change: Change,
    event: EventType,
) -> Result<Assignment> {
    let mut tx = state.repo.transaction();
    repo::assignments::replace(&mut tx, &after, before)?;
    change.put_assignment(&after, Some(before));
    change.apply(&mut tx, &after.updated_at);
    log(state, &mut tx, caller, event, &after)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(Guard::Assignment) => stale(),
        e => write_error(e),
    })?;
    Ok(after)
}

/// Decrypts the organization's credentials of an assignment: for a member's sync only.
pub async fn open_shared_credentials(
    state: &AppState,
    org: OrgId,
    id: AssignmentId,
    ciphertext: &str,
) -> Result<Value> {
    let owner = Owner::SharedAssignment { org_id: org, assignment_id: id };
    state.vault.open(&owner, ciphertext).await.map_err(Error::from)
}

/// Decrypts an employee's own credentials for an assignment: for their sync only.
pub async fn open_credentials(
    state: &AppState,
    org: OrgId,
    employee: EmployeeId,
    id: AssignmentId,
    ciphertext: &str,
) -> Result<Value> {
    let owner = Owner::Assignment { org_id: org, employee_id: employee, assignment_id: id };
    state.vault.open(&owner, ciphertext).await.map_err(Error::from)
}
