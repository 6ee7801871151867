//! Credentials of an assigned MCP server: each member's own (sealed for them alone), or
//! the organization's, shared by every member without their own.

use serde_json::Value;

use super::*;
use crate::AppState;
use crate::activity::EventType;
use crate::auth::Caller;
use crate::domain::catalog::{self, Entry};
use crate::domain::configs::{self, CredentialsUpdate};
use crate::domain::employees;
use crate::domain::mcp::McpServerSpec;
use crate::error::{Error, Result};
use crate::ids::{AssignmentId, EmployeeId, OrgId};
use crate::repo::syncsets::{Change, Scope};
use crate::repo::{self, Guard, StoreError};
use crate::roles::Permission;
use crate::vault::Owner;

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
