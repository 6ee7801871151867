//! Teams group the employees of an organization (for policy inheritance and analytics).

use serde_json::json;

use crate::AppState;
use crate::activity::{By, EventType};
use crate::auth::Caller;
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{OrgId, TeamId};
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo::{self, StoreError};
use crate::roles::Permission;
use crate::validate::{self, Validator};

pub use agentctl_wire::teams::{Memberships, NewTeam, Team, TeamPatch};

const NAME_MAX: usize = 100;
const DESCRIPTION_MAX: usize = 2000;

fn name_taken(name: &str) -> Error {
    Error::conflict(ProblemCode::TeamNameTaken, format!("a team named {name:?} exists already"))
}

pub async fn create(state: &AppState, caller: &Caller, request: NewTeam) -> Result<Team> {
    caller.require(Permission::TeamsWrite)?;
    let mut v = Validator::new();
    let name = v.check("name", request.name, validate::name(NAME_MAX));
    let description = v.check("description", request.description.unwrap_or_default(), validate::text(DESCRIPTION_MAX));
    let (name, description) = v.finish(|| Some((name?, description?)))?;
    let about = About { name, description, team_source: request.team_source.unwrap_or(false) };
    insert(state, caller.org_id, (&caller.principal()).into(), about).await
}

/// What a new team is: its checked name and description, whether directory membership
/// decides it.
pub(crate) struct About {
    pub name: String,
    pub description: String,
    pub team_source: bool,
}

/// Adds a team, by `by` (an admin, SCIM).
pub(crate) async fn insert(state: &AppState, org: OrgId, by: By, about: About) -> Result<Team> {
    let About { name, description, team_source } = about;
    let now = crate::time::now();
    let team = Team {
        id: TeamId::new(),
        org_id: org,
        name,
        description,
        member_count: 0,
        group_size: 0,
        agent_config_count: 0,
        agent_config_total: 0,
        team_source,
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.repo.transaction();
    repo::teams::create(&mut tx, &team)?;
    crate::domain::log(
        state,
        &mut tx,
        org,
        by,
        EventType::TeamCreated,
        json!({ "team_id": team.id, "name": team.name }),
    )?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(repo::Guard::TeamName) => name_taken(&team.name),
        e => e.into(),
    })?;
    Ok(team)
}

pub async fn list(state: &AppState, caller: &Caller, query: &PageQuery) -> Result<Page<Team>> {
    caller.require(Permission::TeamsRead)?;
    Ok(repo::teams::list(&state.repo, caller.org_id, &PageRequest::try_from(query)?).await?)
}

/// The team and the directory groups of an employee.
pub async fn memberships(state: &AppState, employee: &crate::domain::employees::Employee) -> Result<Memberships> {
    let groups = repo::groups::groups_of(&state.repo, employee.org_id, employee.id).await?;
    Ok(Memberships { team: employee.team_id, groups })
}

/// A team of the caller's organization (404 for any other).
pub async fn find(state: &AppState, org: OrgId, team: TeamId) -> Result<Team> {
    repo::teams::get(&state.repo, org, team).await?.ok_or(Error::NotFound("team"))
}

pub async fn get(state: &AppState, caller: &Caller, team: TeamId) -> Result<Team> {
    caller.require(Permission::TeamsRead)?;
    find(state, caller.org_id, team).await
}

pub async fn update(state: &AppState, caller: &Caller, team_id: TeamId, patch: TeamPatch) -> Result<Team> {
    caller.require(Permission::TeamsWrite)?;
    let mut v = Validator::new();
    let name = v.check_opt("name", patch.name, validate::name(NAME_MAX));
    let description = v.check_opt("description", patch.description, validate::text(DESCRIPTION_MAX));
    let (name, description) = v.finish(|| Some((name?, description?)))?;
    let team = find(state, caller.org_id, team_id).await?;
    let changes = repo::teams::TeamChanges { name, description, team_source: patch.team_source };
    change(state, (&caller.principal()).into(), &team, changes).await
}

/// Writes checked changes to a team read as `team`, by `by`.
pub(crate) async fn change(state: &AppState, by: By, team: &Team, changes: repo::teams::TeamChanges) -> Result<Team> {
    let changed = changes.changed();
    if changed.is_empty() {
        return Ok(team.clone());
    }
    let mut tx = state.repo.transaction();
    repo::teams::update(&mut tx, team, &changes, &crate::time::now());
    let payload = json!({ "team_id": team.id, "changed": changed });
    crate::domain::log(state, &mut tx, team.org_id, by, EventType::TeamUpdated, payload)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(repo::Guard::TeamName) => name_taken(changes.name.as_deref().unwrap_or_default()),
        StoreError::ConditionFailed(_) => Error::NotFound("team"),
        e => e.into(),
    })?;
    find(state, team.org_id, team.id).await
}

pub async fn delete(state: &AppState, caller: &Caller, team_id: TeamId) -> Result<()> {
    caller.require(Permission::TeamsWrite)?;
    let team = find(state, caller.org_id, team_id).await?;
    remove(state, (&caller.principal()).into(), &team).await
}

/// Deletes a team without members, policies or assignments, by `by`.
pub(crate) async fn remove(state: &AppState, by: By, team: &Team) -> Result<()> {
    let target = crate::domain::policies::Target::Team(team.id);
    if !repo::policies::links(&state.repo, Some(team.org_id), target).await?.is_empty() {
        return Err(Error::conflict(ProblemCode::TeamHasPolicies, "detach the team's policies before deleting it"));
    }
    if repo::assignments::any_for_team(&state.repo, team.org_id, team.id).await? {
        return Err(Error::conflict(
            ProblemCode::TeamHasAssignments,
            "delete the team's assignments before deleting it",
        ));
    }
    // Its directory members leave it (and, where it decided their team, that too).
    crate::domain::groups::empty(state, by, team).await?;
    let mut tx = state.repo.transaction();
    repo::teams::delete(&mut tx, team);
    crate::domain::log(
        state,
        &mut tx,
        team.org_id,
        by,
        EventType::TeamDeleted,
        json!({ "team_id": team.id, "name": team.name }),
    )?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(repo::Guard::TeamMembers) => {
            Error::conflict(ProblemCode::TeamNotEmpty, "the team still has employees; move them first")
        }
        StoreError::ConditionFailed(_) => Error::NotFound("team"),
        e => e.into(),
    })
}
