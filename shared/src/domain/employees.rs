//! Employees: the people of an organization, their team, role and status.
//!
//! Rules beyond field validation:
//! - emails are unique within an organization, case-insensitively (guard item); the
//!   same address may belong to employees of two organizations;
//! - every employee but a deactivated one holds a seat, and seats are capped by the
//!   organization's `max_employees` (a conditional counter in the same transaction);
//! - only callers with `owners:manage` may grant the owner role or change an owner;
//! - nobody changes their own role or status (no self-lockout, no self-promotion);
//! - suspension and deactivation end every session (the employee item's
//!   `sessions_revoked_at`, written in the same transaction, makes the authorizer refuse
//!   older sessions even if revoking them one by one is interrupted); coming back needs
//!   a new sign-in; only a deactivated employee can be deleted.

use serde_json::json;

use crate::AppState;
use crate::activity::{By, EventType};
use crate::auth::Caller;
use crate::domain::sessions;
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{EmployeeId, OrgId, TeamId};
use crate::pagination::{Page, PageRequest};
use crate::repo::configs::AgentCounts;
use crate::repo::organizations::Headcount;
use crate::repo::{self, StoreError, syncsets};
use crate::roles::{Permission, RoleName};
use crate::validate::{self, Validator};
use chrono::{DateTime, Utc};

pub use agentctl_wire::employees::{
    Employee, EmployeePatch, EmployeeQuery, EmployeeStatus, NewEmployee, PreferencesUpdate,
};

const NAME_MAX: usize = 200;
const PREFERENCES_MAX_BYTES: usize = 16 * 1024;

/// A new active employee.
pub fn new_employee(
    org_id: OrgId,
    email: String,
    full_name: String,
    role: RoleName,
    team_id: Option<TeamId>,
    now: DateTime<Utc>,
) -> Employee {
    Employee {
        id: EmployeeId::new(),
        org_id,
        team_id,
        role,
        role_id: role.id(),
        email,
        full_name,
        status: EmployeeStatus::Active,
        preferences: json!({}),
        agent_config_count: 0,
        agent_config_total: 0,
        last_login_at: None,
        sessions_revoked_at: None,
        scim_deleted: false,
        created_at: now,
        updated_at: now,
    }
}

/// Parses the email and full name every new employee needs; errors are reported under
/// `prefix` (`"owner."` when they come nested in a new organization).
pub fn parse_identity(v: &mut Validator, prefix: &str, email: String, full_name: String) -> Option<(String, String)> {
    let email = v.check(&format!("{prefix}email"), email, validate::email);
    let full_name = v.check(&format!("{prefix}full_name"), full_name, validate::name(NAME_MAX));
    Some((email?, full_name?))
}

fn email_taken(email: &str) -> Error {
    Error::conflict(ProblemCode::EmailTaken, format!("{email} already belongs to an employee of this organization"))
}

fn no_seat() -> Error {
    Error::conflict(ProblemCode::EmployeeLimitReached, "the organization has no free seat (max_employees)")
}

fn no_team() -> Error {
    Error::invalid("team_id", "no such team in this organization")
}

fn stale() -> Error {
    Error::conflict(ProblemCode::ConcurrentUpdate, "the employee changed while this request ran; retry")
}

/// Owners are changed (and the owner role granted) only with `owners:manage`.
fn require_owner_rights(caller: &Caller, roles: &[RoleName]) -> Result<()> {
    if roles.contains(&RoleName::Owner) {
        caller.require(Permission::OwnersManage)?;
    }
    Ok(())
}

pub async fn create(state: &AppState, caller: &Caller, request: NewEmployee) -> Result<Employee> {
    caller.require(Permission::EmployeesWrite)?;
    let role = request.role.unwrap_or(RoleName::Member);
    require_owner_rights(caller, &[role])?;
    let mut v = Validator::new();
    let fields = parse_identity(&mut v, "", request.email, request.full_name);
    let preferences = v.check_opt("preferences", request.preferences, validate::json_object(PREFERENCES_MAX_BYTES));
    let ((email, full_name), preferences) = v.finish(|| Some((fields?, preferences?)))?;

    let mut employee = new_employee(caller.org_id, email, full_name, role, request.team_id, crate::time::now());
    if let Some(preferences) = preferences {
        employee.preferences = preferences;
    }
    let mut tx = state.repo.transaction();
    add(&mut tx, &employee)?;
    crate::domain::log(
        state,
        &mut tx,
        caller.org_id,
        &caller.principal(),
        EventType::EmployeeCreated,
        json!({ "employee_id": employee.id, "email": employee.email, "role": employee.role, "team_id": employee.team_id }),
    )?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| creation_error(e, &employee.email))?;
    Ok(employee)
}

/// Adds a new employee to `tx`: the item, its email guard, its seat and its team's count.
pub(crate) fn add(tx: &mut repo::Transaction, employee: &Employee) -> Result<()> {
    repo::employees::create(tx, employee)?;
    let headcount = Headcount { seats: 1, employees: 1, scim_deleted: 0 };
    repo::organizations::adjust_headcount(tx, employee.org_id, headcount);
    if let Some(team) = employee.team_id {
        repo::teams::adjust_members(tx, employee.org_id, team, 1, AgentCounts::default());
    }
    Ok(())
}

fn user_name_taken() -> Error {
    Error::conflict(ProblemCode::UserNameTaken, "the userName belongs to another user of this organization")
}

/// What a failed [`add`] means.
pub(crate) fn creation_error(e: StoreError, email: &str) -> Error {
    match e {
        StoreError::ConditionFailed(repo::Guard::Email) => email_taken(email),
        StoreError::ConditionFailed(repo::Guard::ScimUserName) => user_name_taken(),
        StoreError::ConditionFailed(repo::Guard::Capacity) => no_seat(),
        StoreError::ConditionFailed(repo::Guard::Team) => no_team(),
        e => e.into(),
    }
}

/// Moves an employee read as `before` to `team` in `tx`: both teams' member and agent
/// counts (the employee's agent configurations count on their team in usage analytics).
pub(crate) fn move_team(tx: &mut repo::Transaction, before: &Employee, team: Option<TeamId>) {
    let agents = AgentCounts { total: before.agent_config_total as i32, active: before.agent_config_count as i32 };
    if let Some(old) = before.team_id {
        let gone = AgentCounts { total: -agents.total, active: -agents.active };
        repo::teams::adjust_members(tx, before.org_id, old, -1, gone);
    }
    if let Some(new) = team {
        repo::teams::adjust_members(tx, before.org_id, new, 1, agents);
    }
}

pub async fn list(state: &AppState, caller: &Caller, query: EmployeeQuery) -> Result<Page<Employee>> {
    caller.require(Permission::EmployeesRead)?;
    let page = PageRequest::try_from(&crate::pagination::PageQuery { limit: query.limit, cursor: query.cursor })?;
    let filter = repo::employees::ListFilter { status: query.status, role: query.role };
    Ok(repo::employees::list(&state.repo, caller.org_id, query.team_id, &filter, &page).await?)
}

/// An employee of the given organization (404 for any other).
pub async fn find(state: &AppState, org: OrgId, employee: EmployeeId) -> Result<Employee> {
    repo::employees::get(&state.repo, org, employee).await?.ok_or(Error::NotFound("employee"))
}

pub async fn get(state: &AppState, caller: &Caller, employee: EmployeeId) -> Result<Employee> {
    if employee != caller.employee_id {
        caller.require(Permission::EmployeesRead)?;
    }
    find(state, caller.org_id, employee).await
}

/// Whether a status change is allowed, and how it moves the seat count.
fn seat_delta(from: EmployeeStatus, to: EmployeeStatus) -> i32 {
    match (from.holds_seat(), to.holds_seat()) {
        (true, false) => -1,
        (false, true) => 1,
        _ => 0,
    }
}

pub async fn update(state: &AppState, caller: &Caller, id: EmployeeId, patch: EmployeePatch) -> Result<Employee> {
    caller.require(Permission::EmployeesWrite)?;
    let mut v = Validator::new();
    let email = v.check_opt("email", patch.email, validate::email);
    let full_name = v.check_opt("full_name", patch.full_name, validate::name(NAME_MAX));
    let preferences = v.check_opt("preferences", patch.preferences, validate::json_object(PREFERENCES_MAX_BYTES));
    let (email, full_name, preferences) = v.finish(|| Some((email?, full_name?, preferences?)))?;

    let before = find(state, caller.org_id, id).await?;
    let role = patch.role.filter(|r| *r != before.role);
    let status = patch.status.filter(|s| *s != before.status);
    let email = email.filter(|e| *e != before.email);
    let team = patch.team_id.filter(|t| *t != before.team_id);
    require_owner_rights(caller, &[before.role, role.unwrap_or(before.role)])?;
    if id == caller.employee_id && (role.is_some() || status.is_some()) {
        return Err(Error::Forbidden("you cannot change your own role or status".into()));
    }

    let changes = repo::employees::EmployeeChanges {
        email,
        full_name: full_name.filter(|n| *n != before.full_name),
        role,
        status,
        team,
        preferences,
        ..Default::default()
    };
    change(state, (&caller.principal()).into(), &before, changes, state.repo.transaction()).await
}

/// Writes `changes` to an employee read as `before`, by whoever `by` is (an admin, SCIM),
/// with the writes of `with` in the same transaction: the seat a status change frees or
/// takes, the team counts, the email guard, the sync bundle, the activity entry; a
/// suspension or deactivation ends the sessions. The caller has checked who may.
/// Returns the employee as it is now.
pub(crate) async fn change(
    state: &AppState,
    by: By,
    before: &Employee,
    mut changes: repo::employees::EmployeeChanges,
    with: repo::Transaction,
) -> Result<Employee> {
    let (org, id) = (before.org_id, before.id);
    let now = crate::time::now();
    changes.sessions_revoked_at = changes.status.filter(|s| s.ends_sessions()).map(|_| now);
    let changed = changes.changed();
    let refused = |e: StoreError| match e {
        StoreError::ConditionFailed(repo::Guard::Email) => email_taken(changes.email.as_deref().unwrap_or_default()),
        StoreError::ConditionFailed(repo::Guard::Capacity) => no_seat(),
        StoreError::ConditionFailed(repo::Guard::Team) => no_team(),
        StoreError::ConditionFailed(repo::Guard::ScimUserName) => user_name_taken(),
        StoreError::ConditionFailed(repo::Guard::OwnerRemains) => {
            Error::conflict(ProblemCode::ConcurrentUpdate, "the organization's owners changed meanwhile; retry")
        }
        StoreError::ConditionFailed(_) => stale(),
        e => e.into(),
    };
    if changed.is_empty() {
        crate::domain::notify::commit(state, with).await.map_err(refused)?;
        return Ok(before.clone());
    }
    let (status, team) = (changes.status, changes.team);
    let event = if status == Some(EmployeeStatus::Deactivated) {
        EventType::EmployeeDeactivated
    } else {
        EventType::EmployeeUpdated
    };
    // The sync bundle names the employee and their team's policies apply.
    let shapes_bundle = changed.iter().any(|f| matches!(*f, "email" | "full_name" | "team_id"));

    let mut tx = with;
    if takes_an_owner_away(before, &changes) {
        keep_an_owner(state, &mut tx, before).await?;
    }
    repo::employees::update(&mut tx, before, &changes, &now)?;
    if shapes_bundle {
        syncsets::Change::new(syncsets::Scope::Employee(org, id)).apply(&mut tx, &now);
    }
    if let Some(email) = &changes.email {
        repo::employees::change_email(&mut tx, before, email);
    }
    let headcount = Headcount {
        seats: status.map_or(0, |status| seat_delta(before.status, status)),
        employees: 0,
        scim_deleted: changes.scim_deleted.map_or(0, |deleted| i32::from(deleted) - i32::from(before.scim_deleted)),
    };
    if headcount != Headcount::default() {
        repo::organizations::adjust_headcount(&mut tx, org, headcount);
    }
    if let Some(team) = team {
        move_team(&mut tx, before, team);
    }
    crate::domain::log(
        state,
        &mut tx,
        org,
        by,
        event,
        json!({ "employee_id": id, "changed": changed, "role": changes.role, "status": status, "team_id": team }),
    )?;
    crate::domain::notify::commit(state, tx).await.map_err(refused)?;
    if let Some(status) = status.filter(|s| s.ends_sessions()) {
        sessions::revoke_all(state, org, by, id, status).await?;
    }
    find(state, org, id).await
}

/// Whether `changes` leave `before`, an active owner, no longer one (demoted, suspended,
/// deactivated: by an admin, SCIM or the identity provider alike).
fn takes_an_owner_away(before: &Employee, changes: &repo::employees::EmployeeChanges) -> bool {
    before.role == RoleName::Owner
        && before.status == EmployeeStatus::Active
        && (changes.role.is_some_and(|r| r != RoleName::Owner)
            || changes.status.is_some_and(|s| s != EmployeeStatus::Active))
}

/// An organization always keeps an active owner: another one must exist, and stays as
/// read until `tx` commits (two owners removed at once cannot both pass).
async fn keep_an_owner(state: &AppState, tx: &mut repo::Transaction, leaving: &Employee) -> Result<()> {
    let owners = repo::employees::active_owners(&state.repo, leaving.org_id).await?;
    let Some(remaining) = owners.iter().find(|o| o.id != leaving.id) else {
        return Err(Error::conflict(
            ProblemCode::LastOwner,
            "this is the organization's last active owner: make someone else an owner first",
        ));
    };
    repo::employees::check_unchanged(tx, remaining);
    Ok(())
}

/// Deletes a deactivated employee for good (their email becomes free again).
pub async fn delete(state: &AppState, caller: &Caller, id: EmployeeId) -> Result<()> {
    caller.require(Permission::EmployeesWrite)?;
    let before = find(state, caller.org_id, id).await?;
    require_owner_rights(caller, &[before.role])?;
    if before.status != EmployeeStatus::Deactivated {
        return Err(Error::conflict(
            ProblemCode::EmployeeNotDeactivated,
            "deactivate the employee before deleting them",
        ));
    }
    // Configurations and personal policies live in the employee's own partition.
    if repo::configs::partition_in_use(&state.repo, caller.org_id, id).await? {
        return Err(Error::conflict(
            ProblemCode::EmployeeHasConfigurations,
            "remove the employee's agent and MCP configurations and policies before deleting them",
        ));
    }
    crate::domain::groups::leave_all(state, (&caller.principal()).into(), &before).await?;
    let links = repo::identity::links_of(&state.repo, caller.org_id, id).await?;
    let mut tx = state.repo.transaction();
    repo::employees::delete(&mut tx, &before);
    let headcount = Headcount { seats: 0, employees: -1, scim_deleted: -i32::from(before.scim_deleted) };
    repo::organizations::adjust_headcount(&mut tx, caller.org_id, headcount);
    repo::configs::delete_partition_rest(&mut tx, caller.org_id, id);
    // The people who signed in as the employee are strangers again.
    for link in &links {
        repo::identity::delete_link(&mut tx, link);
    }
    if let Some(team) = before.team_id {
        repo::teams::adjust_members(&mut tx, caller.org_id, team, -1, AgentCounts::default());
    }
    crate::domain::log(
        state,
        &mut tx,
        caller.org_id,
        &caller.principal(),
        EventType::EmployeeDeleted,
        json!({ "employee_id": id, "email": before.email }),
    )?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => stale(),
        e => e.into(),
    })
}

/// An employee replaces their own preferences.
pub async fn update_own_preferences(state: &AppState, caller: &Caller, request: PreferencesUpdate) -> Result<Employee> {
    let mut v = Validator::new();
    let preferences = v.check("preferences", request.preferences, validate::json_object(PREFERENCES_MAX_BYTES));
    let preferences = v.finish(|| preferences)?;
    let before = find(state, caller.org_id, caller.employee_id).await?;
    let changes = repo::employees::EmployeeChanges { preferences: Some(preferences), ..Default::default() };
    let mut tx = state.repo.transaction();
    repo::employees::update(&mut tx, &before, &changes, &crate::time::now())?;
    crate::domain::log(
        state,
        &mut tx,
        caller.org_id,
        &caller.principal(),
        EventType::EmployeeUpdated,
        json!({ "employee_id": caller.employee_id, "changed": changes.changed() }),
    )?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => stale(),
        e => e.into(),
    })?;
    find(state, caller.org_id, caller.employee_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seats_follow_status() {
        use EmployeeStatus::*;
        assert_eq!(seat_delta(Active, Deactivated), -1);
        assert_eq!(seat_delta(Suspended, Deactivated), -1);
        assert_eq!(seat_delta(Deactivated, Active), 1);
        assert_eq!(seat_delta(Active, Suspended), 0);
    }

    #[test]
    fn team_null_and_absent_differ() {
        let absent: EmployeePatch = serde_json::from_str("{}").unwrap();
        let cleared: EmployeePatch = serde_json::from_str(r#"{"team_id": null}"#).unwrap();
        assert_eq!(absent.team_id, None);
        assert_eq!(cleared.team_id, Some(None));
    }
}
