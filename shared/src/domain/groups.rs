//! Directory groups: the teams an identity provider lists its people in (SCIM Groups).
//! Groups overlap as they do at the provider: an employee belongs to any number of them
//! ([`repo::groups`]), and whatever targets a team — assignments, policy attachments —
//! reaches every member. An employee's own team (`team_id`, what analytics and managers go
//! by) follows a group only where an admin marked it [`Team::team_source`].
//!
//! Changing N memberships costs O(N) requests whatever the group's size: each member's
//! membership item and sync-set version are written together, a few dozen members per
//! transaction, with one activity entry per transaction naming them.

use serde_json::json;

use crate::AppState;
use crate::activity::{By, EventType};
use crate::domain::employees::{self, Employee};
use crate::domain::teams::Team;
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{EmployeeId, OrgId, TeamId};
use crate::repo::syncsets::{Change, Scope};
use crate::repo::{self, Guard, StoreError, employees::EmployeeChanges};

/// Members written per transaction: two items each (membership, sync set), the group and
/// the entry.
const MEMBERS_PER_WRITE: usize = 49;

/// Adds `employees` (of the group's organization, repeats allowed) to the group; those
/// already in it are left as they are.
pub async fn add(state: &AppState, by: By, group: &Team, employees: &[Employee]) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    let distinct: Vec<&Employee> = employees.iter().filter(|e| seen.insert(e.id)).collect();
    let present = repo::groups::members_among(&state.repo, group.org_id, group.id, &Vec::from_iter(seen)).await?;
    let joining: Vec<&&Employee> = distinct.iter().filter(|e| !present.contains(&e.id)).collect();
    for chunk in joining.chunks(MEMBERS_PER_WRITE) {
        let ids: Vec<EmployeeId> = chunk.iter().map(|e| e.id).collect();
        write(state, by, (group.org_id, group.id), &ids, EventType::TeamMembersAdded).await?;
    }
    if group.team_source {
        for employee in distinct.into_iter().filter(|e| e.team_id != Some(group.id)) {
            move_team(state, by, employee, Some(group.id)).await?;
        }
    }
    Ok(())
}

/// Takes `ids` out of the group (those not in it are ignored). Someone whose team the
/// group decided leaves that team too.
pub async fn remove(state: &AppState, by: By, group: &Team, ids: &[EmployeeId]) -> Result<()> {
    let leaving: Vec<EmployeeId> =
        repo::groups::members_among(&state.repo, group.org_id, group.id, ids).await?.into_iter().collect();
    for chunk in leaving.chunks(MEMBERS_PER_WRITE) {
        write(state, by, (group.org_id, group.id), chunk, EventType::TeamMembersRemoved).await?;
    }
    if group.team_source {
        for employee in repo::employees::get_many(&state.repo, group.org_id, &leaving).await? {
            if employee.team_id == Some(group.id) {
                move_team(state, by, &employee, None).await?;
            }
        }
    }
    Ok(())
}

/// Every member of the group leaves it (before the group is deleted).
pub async fn empty(state: &AppState, by: By, group: &Team) -> Result<()> {
    let members = repo::groups::members(&state.repo, group.org_id, group.id).await?;
    remove(state, by, group, &members).await
}

/// The employee leaves every group (they are deleted, or gone for SCIM).
pub async fn leave_all(state: &AppState, by: By, employee: &Employee) -> Result<()> {
    for group in repo::groups::groups_of(&state.repo, employee.org_id, employee.id).await? {
        write(state, by, (employee.org_id, group), &[employee.id], EventType::TeamMembersRemoved).await?;
    }
    Ok(())
}

/// Adds or removes the memberships of `ids` (at most [`MEMBERS_PER_WRITE`]) in one
/// transaction with the group's size, moving each member's sync set (the assignments and
/// policies that reach them change). A membership changed meanwhile cancels it all.
async fn write(
    state: &AppState,
    by: By,
    (org, group): (OrgId, TeamId),
    ids: &[EmployeeId],
    event: EventType,
) -> Result<()> {
    let now = crate::time::now();
    let mut tx = state.repo.transaction();
    for id in ids {
        match event {
            EventType::TeamMembersAdded => repo::groups::add(&mut tx, org, group, *id, &now),
            _ => repo::groups::remove(&mut tx, org, group, *id),
        }
        Change::new(Scope::Employee(org, *id)).apply(&mut tx, &now);
    }
    let count = i32::try_from(ids.len()).expect("a chunk of members");
    let delta = if event == EventType::TeamMembersAdded { count } else { -count };
    repo::teams::adjust_group_size(&mut tx, org, group, delta);
    crate::domain::log(state, &mut tx, org, by, event, json!({ "team_id": group, "employee_ids": ids }))?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(Guard::GroupMembership) => {
            Error::conflict(ProblemCode::ConcurrentUpdate, "the group's members changed meanwhile; retry")
        }
        StoreError::ConditionFailed(Guard::Team) => Error::NotFound("group"),
        other => other.into(),
    })
}

async fn move_team(state: &AppState, by: By, employee: &Employee, team: Option<TeamId>) -> Result<()> {
    let changes = EmployeeChanges { team: Some(team), ..Default::default() };
    employees::change(state, by, employee, changes, state.repo.transaction()).await.map(drop)
}
