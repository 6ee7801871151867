//! SCIM Groups: the organization's teams as directory groups ([`crate::domain::groups`]).
//! A group has any number of members and an employee is in any number of groups; a
//! PATCH that adds or removes N members costs O(N) requests, whatever the group's size,
//! and answers 204 (RFC 7644 §3.5.2) rather than the whole group.

use super::ScimType;
use serde_json::{Value, json};

use super::filter::Filter;
use super::patch::{self, Op, Operation};
use super::{
    GROUP_SCHEMA, ListQuery, ListResponse, Matches, Projection, ScimClient, ScimError, ScimResult, Window, attribute,
    text, version,
};
use crate::AppState;
use crate::activity::By;
use crate::domain::employees::Employee;
use crate::domain::groups;
use crate::domain::teams::{self, Team};
use crate::ids::{EmployeeId, OrgId, TeamId};
pub use crate::repo::scim::GroupOverlay;
use crate::repo::{self, teams::TeamChanges};

/// A Group's own attributes as a SCIM client sends them.
struct GroupInput {
    display_name: String,
    external_id: Option<String>,
}

impl GroupInput {
    fn parse(body: &Value) -> ScimResult<Self> {
        if !body.is_object() {
            return Err(ScimError::new(400, Some(ScimType::InvalidSyntax), "a Group is a JSON object"));
        }
        super::require_schema(body, GROUP_SCHEMA)?;
        let display_name =
            attribute(body, "displayName").ok_or_else(|| ScimError::invalid_value("displayName is required"))?;
        let display_name = text(display_name, "displayName", 100)?;
        let external_id = attribute(body, "externalId").map(|v| text(v, "externalId", 256)).transpose()?;
        Ok(Self { display_name, external_id })
    }
}

/// The ids listed as members (`[{ "value": id }, ...]`, or one such object).
fn member_ids(members: Option<&Value>) -> ScimResult<Vec<EmployeeId>> {
    let listed = match members {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(members)) => members.iter().collect(),
        Some(member @ Value::Object(_)) => vec![member],
        Some(_) => return Err(ScimError::invalid_value("members is a list of {\"value\": id}")),
    };
    listed
        .into_iter()
        .map(|m| {
            attribute(m, "value")
                .and_then(Value::as_str)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| ScimError::invalid_value("each member's value is the id of a User of this organization"))
        })
        .collect()
}

/// The SCIM representation of a team; `members` only when asked for (`None`: left out).
pub fn resource(team: &Team, overlay: Option<&GroupOverlay>, members: Option<&[EmployeeId]>, base: &str) -> Value {
    let last_modified = overlay.map_or(team.updated_at, |o| o.last_modified.max(team.updated_at));
    let mut group = json!({
        "schemas": [GROUP_SCHEMA],
        "id": team.id,
        "displayName": team.name,
        "meta": {
            "resourceType": "Group",
            "created": team.created_at,
            "lastModified": last_modified,
            "location": format!("{base}/Groups/{}", team.id),
            "version": version(&last_modified),
        },
    });
    if let Some(members) = members {
        group["members"] =
            members.iter().map(|id| json!({ "value": id, "$ref": format!("{base}/Users/{id}") })).collect();
    }
    if let Some(external_id) = overlay.and_then(|o| o.external_id.as_ref()) {
        group["externalId"] = json!(external_id);
    }
    group
}

async fn find(state: &AppState, client: &ScimClient, id: &str) -> ScimResult<(Team, Option<GroupOverlay>)> {
    let id: TeamId = id.parse().map_err(|_| ScimError::not_found("Group"))?;
    let team = repo::teams::get(&state.repo, client.org_id, id).await?.ok_or_else(|| ScimError::not_found("Group"))?;
    let overlay = repo::scim::group_overlay(&state.repo, client.org_id, id).await?;
    Ok((team, overlay))
}

/// The group's members, read only when the answer carries them.
async fn members_if(state: &AppState, team: &Team, wanted: bool) -> ScimResult<Option<Vec<EmployeeId>>> {
    if !wanted {
        return Ok(None);
    }
    let mut members = repo::groups::members(&state.repo, team.org_id, team.id).await?;
    members.sort();
    Ok(Some(members))
}

pub async fn get(
    state: &AppState,
    client: &ScimClient,
    id: &str,
    projection: &Projection,
    base: &str,
) -> ScimResult<Value> {
    let (team, overlay) = find(state, client, id).await?;
    let members = members_if(state, &team, projection.wants("members")).await?;
    Ok(projection.apply(resource(&team, overlay.as_ref(), members.as_deref(), base)))
}

pub async fn list(state: &AppState, client: &ScimClient, query: &ListQuery, base: &str) -> ScimResult<ListResponse> {
    Ok(query.answer(matching(state, client, query, query.window()?, base).await?))
}

/// The Groups of the organization the query's filter matches, oldest first, counted,
/// with those inside `window`: by key for `id eq`, `displayName eq` (the team name
/// guard) and `externalId eq` (kept with the group's overlay), else every team of the
/// organization (a few hundred at most). Members are read for the groups the answer
/// carries, or for every candidate when the filter reads them.
pub async fn matching(
    state: &AppState,
    client: &ScimClient,
    query: &ListQuery,
    window: Window,
    base: &str,
) -> ScimResult<Matches> {
    let filter = query.parsed_filter()?;
    let org = client.org_id;
    let mut teams = match candidates(state, org, filter.as_ref()).await? {
        Some(ids) => {
            let mut found = Vec::new();
            for id in ids {
                found.extend(repo::teams::get(&state.repo, org, id).await?);
            }
            found
        }
        None => repo::teams::all(&state.repo, org).await?,
    };
    teams.sort_by_key(|t| (t.created_at, t.id));
    let overlays =
        repo::scim::group_overlays_of(&state.repo, org, &teams.iter().map(|t| t.id).collect::<Vec<_>>()).await?;
    let overlay_of = |team: &Team| overlays.iter().find(|o| o.team_id == team.id);
    let filter_reads_members = filter.as_ref().is_some_and(|f| f.reads("members"));
    let mut matching = Vec::new();
    for team in &teams {
        let members = members_if(state, team, filter_reads_members).await?;
        if filter.as_ref().is_none_or(|f| f.matches(&resource(team, overlay_of(team), members.as_deref(), base))) {
            matching.push((team, members));
        }
    }
    let mut matches = Matches::new(window);
    for (team, read) in matching {
        let wanted = matches.next_in_window() && query.projection.wants("members");
        let members = if read.is_some() { read } else { members_if(state, team, wanted).await? };
        matches.push(resource(team, overlay_of(team), members.as_deref(), base));
    }
    Ok(matches)
}

/// The teams a filter can only match, found by key (`None`: no such comparison).
async fn candidates(state: &AppState, org: OrgId, filter: Option<&Filter>) -> ScimResult<Option<Vec<TeamId>>> {
    let Some(filter) = filter else { return Ok(None) };
    if let Some(id) = filter.equals("id") {
        return Ok(Some(id.parse().into_iter().collect()));
    }
    if let Some(name) = filter.equals("displayname") {
        return Ok(Some(repo::teams::id_by_name(&state.repo, org, &name.to_lowercase()).await?.into_iter().collect()));
    }
    if let Some(external_id) = filter.equals("externalid") {
        return Ok(Some(repo::scim::groups_by_external_id(&state.repo, org, external_id).await?));
    }
    Ok(None)
}

/// `POST /Groups`: a new team with its members.
pub async fn create(state: &AppState, client: &ScimClient, body: &Value, base: &str) -> ScimResult<Value> {
    let input = GroupInput::parse(body)?;
    let wanted = users_named(state, client.org_id, &member_ids(attribute(body, "members"))?).await?;
    let about = teams::About { name: input.display_name, description: String::new(), team_source: false };
    let team = teams::insert(state, client.org_id, By::SCIM, about).await?;
    let overlay = record_external_id(state, &team, input.external_id).await?;
    groups::add(state, By::SCIM, &team, &wanted).await?;
    let ids = sorted_ids(&wanted);
    Ok(resource(&team, Some(&overlay), Some(&ids), base))
}

/// `PUT /Groups/{id}`: its name, `externalId` and exactly the members listed.
pub async fn replace(state: &AppState, client: &ScimClient, id: &str, body: &Value, base: &str) -> ScimResult<Value> {
    let input = GroupInput::parse(body)?;
    let wanted = users_named(state, client.org_id, &member_ids(attribute(body, "members"))?).await?;
    let (team, overlay) = find(state, client, id).await?;
    let (team, overlay) = rename(state, &team, overlay, input).await?;
    set_members(state, &team, &wanted).await?;
    let ids = sorted_ids(&wanted);
    Ok(resource(&team, overlay.as_ref(), Some(&ids), base))
}

/// What a PATCH does to a group's members.
enum MemberChange {
    Add(Vec<EmployeeId>),
    Remove(Vec<EmployeeId>),
    RemoveAll,
    Replace(Vec<EmployeeId>),
}

/// `PATCH /Groups/{id}`: member operations are applied one by one, by the members they
/// name; the others to the group's own attributes.
pub async fn patch(state: &AppState, client: &ScimClient, id: &str, body: &Value) -> ScimResult<()> {
    let (team, overlay) = find(state, client, id).await?;
    let mut own = resource(&team, overlay.as_ref(), None, "");
    let mut changes = Vec::new();
    for operation in patch::operations(body)? {
        let (member_change, rest) = split(operation)?;
        changes.extend(member_change);
        if let Some(rest) = rest {
            patch::apply_one(&mut own, rest)?;
        }
    }
    let (team, _) = rename(state, &team, overlay, GroupInput::parse(&own)?).await?;
    for change in changes {
        match change {
            MemberChange::Add(ids) => {
                groups::add(state, By::SCIM, &team, &users_named(state, team.org_id, &ids).await?).await?
            }
            MemberChange::Remove(ids) => groups::remove(state, By::SCIM, &team, &ids).await?,
            MemberChange::RemoveAll => groups::empty(state, By::SCIM, &team).await?,
            MemberChange::Replace(ids) => {
                set_members(state, &team, &users_named(state, team.org_id, &ids).await?).await?
            }
        }
    }
    Ok(())
}

/// Splits an operation into what it does to the members and what remains for the
/// group's own attributes.
fn split(operation: Operation) -> ScimResult<(Option<MemberChange>, Option<Operation>)> {
    let is_members = |name: &str| name.eq_ignore_ascii_case("members");
    let Operation { op, path, value } = operation;
    match (path, value) {
        (None, Some(Value::Object(mut values))) => {
            let key = values.keys().find(|k| is_members(k)).cloned();
            let members = key.and_then(|k| values.remove(&k));
            let change = match members {
                None => None,
                Some(members) if op == Op::Add => Some(MemberChange::Add(member_ids(Some(&members))?)),
                Some(members) => Some(MemberChange::Replace(member_ids(Some(&members))?)),
            };
            let rest = (!values.is_empty()).then_some(Operation { op, path: None, value: Some(Value::Object(values)) });
            Ok((change, rest))
        }
        (Some(path), value) if is_members(&path.attribute) => {
            if path.sub.is_some() {
                return Err(ScimError::new(
                    400,
                    Some(ScimType::InvalidPath),
                    "members have no sub-attribute to change",
                ));
            }
            let change = match (op, &path.filter, value) {
                (Op::Add, None, value) => MemberChange::Add(member_ids(value.as_ref())?),
                (Op::Replace, None, value) => MemberChange::Replace(member_ids(value.as_ref())?),
                (Op::Remove, None, None) => MemberChange::RemoveAll,
                (Op::Remove, None, value) => MemberChange::Remove(member_ids(value.as_ref())?),
                (Op::Remove, Some(filter), _) => {
                    let id = filter.equals("value").and_then(|v| v.parse().ok()).ok_or_else(|| {
                        ScimError::new(400, Some(ScimType::InvalidFilter), "members are removed by `value eq \"id\"`")
                    })?;
                    MemberChange::Remove(vec![id])
                }
                (_, Some(_), _) => {
                    return Err(ScimError::new(400, Some(ScimType::InvalidPath), "only remove takes a members filter"));
                }
            };
            Ok((Some(change), None))
        }
        (path, value) => Ok((None, Some(Operation { op, path, value }))),
    }
}

/// Renames the team and records its `externalId` where the input changes them.
async fn rename(
    state: &AppState,
    team: &Team,
    overlay: Option<GroupOverlay>,
    input: GroupInput,
) -> ScimResult<(Team, Option<GroupOverlay>)> {
    let changes = TeamChanges {
        name: Some(input.display_name).filter(|n| *n != team.name),
        description: None,
        team_source: None,
    };
    let team = teams::change(state, By::SCIM, team, changes).await?;
    if overlay.as_ref().and_then(|o| o.external_id.as_ref()) == input.external_id.as_ref() {
        return Ok((team, overlay));
    }
    let overlay = record_external_id(state, &team, input.external_id).await?;
    Ok((team, Some(overlay)))
}

/// Keeps what SCIM said of a team beyond the team (its `externalId`).
async fn record_external_id(state: &AppState, team: &Team, external_id: Option<String>) -> ScimResult<GroupOverlay> {
    let overlay =
        GroupOverlay { org_id: team.org_id, team_id: team.id, external_id, last_modified: crate::time::now() };
    let mut tx = state.repo.transaction();
    repo::scim::put_group_overlay(&mut tx, &overlay)?;
    crate::domain::notify::commit(state, tx).await?;
    Ok(overlay)
}

/// Makes the group's members exactly `wanted` (reads the group whole: a replacement
/// names every member).
async fn set_members(state: &AppState, team: &Team, wanted: &[Employee]) -> ScimResult<()> {
    let current = repo::groups::members(&state.repo, team.org_id, team.id).await?;
    let leaving: Vec<EmployeeId> = current.iter().filter(|id| !wanted.iter().any(|w| w.id == **id)).copied().collect();
    groups::remove(state, By::SCIM, team, &leaving).await?;
    Ok(groups::add(state, By::SCIM, team, wanted).await?)
}

/// `DELETE /Groups/{id}`: its members leave it, then the team is deleted (refused while
/// policies or assignments target it).
pub async fn delete(state: &AppState, client: &ScimClient, id: &str) -> ScimResult<()> {
    let (team, _) = find(state, client, id).await?;
    teams::remove(state, By::SCIM, &team).await?;
    let mut tx = state.repo.transaction();
    repo::scim::delete_group_overlay(&mut tx, team.org_id, team.id);
    crate::domain::notify::commit(state, tx).await?;
    Ok(())
}

/// The Users `ids` name, all of the organization and not deleted through SCIM (else the
/// request is refused).
async fn users_named(state: &AppState, org: OrgId, ids: &[EmployeeId]) -> ScimResult<Vec<Employee>> {
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    let found = repo::employees::get_many(&state.repo, org, &unique).await?;
    if found.len() != unique.len() || found.iter().any(|e| e.scim_deleted) {
        return Err(ScimError::invalid_value("a member is not a User of this organization"));
    }
    Ok(found)
}

fn sorted_ids(employees: &[Employee]) -> Vec<EmployeeId> {
    let mut ids: Vec<EmployeeId> = employees.iter().map(|e| e.id).collect();
    ids.sort();
    ids
}

/// What the directory last sent about a team of the caller's organization (`None`: not a
/// directory group, so its name and members change here).
pub async fn record_of(
    state: &AppState,
    caller: &crate::auth::Caller,
    team: TeamId,
) -> crate::Result<Option<repo::scim::GroupOverlay>> {
    caller.require(crate::roles::Permission::TeamsRead)?;
    Ok(repo::scim::group_overlay(&state.repo, caller.org_id, team).await?)
}
