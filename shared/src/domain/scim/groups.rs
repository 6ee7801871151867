//! SCIM Groups: the organization's teams. An employee is in one team at a time: adding
//! them to a group moves them there (and out of their previous group).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::filter::Filter;
use super::{
    GROUP_SCHEMA, ListQuery, ListResponse, ScimClient, ScimError, ScimResult, attribute, patch, text, version,
};
use crate::AppState;
use crate::activity::By;
use crate::domain::employees::{self, Employee};
use crate::domain::teams::{self, Team};
use crate::ids::{EmployeeId, OrgId, TeamId};
use crate::repo::{self, employees::EmployeeChanges, teams::TeamChanges};

/// The most members one request may list.
const MAX_MEMBERS: usize = 1000;

/// What SCIM said of a team beyond the team itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupOverlay {
    pub org_id: OrgId,
    pub team_id: TeamId,
    #[serde(default)]
    pub external_id: Option<String>,
    pub last_modified: DateTime<Utc>,
}

struct GroupInput {
    display_name: String,
    external_id: Option<String>,
    members: Vec<EmployeeId>,
}

impl GroupInput {
    fn parse(body: &Value) -> ScimResult<Self> {
        if !body.is_object() {
            return Err(ScimError::new(400, Some("invalidSyntax"), "a Group is a JSON object"));
        }
        super::require_schema(body, GROUP_SCHEMA)?;
        let display_name =
            attribute(body, "displayName").ok_or_else(|| ScimError::invalid_value("displayName is required"))?;
        let display_name = text(display_name, "displayName", 100)?;
        let external_id = attribute(body, "externalId").map(|v| text(v, "externalId", 256)).transpose()?;
        let members = match attribute(body, "members") {
            None => Vec::new(),
            Some(Value::Array(members)) if members.len() <= MAX_MEMBERS => members
                .iter()
                .map(|m| {
                    attribute(m, "value").and_then(Value::as_str).and_then(|v| v.parse().ok()).ok_or_else(|| {
                        ScimError::invalid_value("each member's value is the id of a User of this organization")
                    })
                })
                .collect::<ScimResult<_>>()?,
            Some(_) => return Err(ScimError::invalid_value(format!("members is a list of at most {MAX_MEMBERS}"))),
        };
        Ok(Self { display_name, external_id, members })
    }
}

pub fn resource(team: &Team, overlay: Option<&GroupOverlay>, members: &[&Employee], base: &str) -> Value {
    let last_modified = overlay.map_or(team.updated_at, |o| o.last_modified.max(team.updated_at));
    let members: Vec<Value> =
        members.iter().map(|e| json!({ "value": e.id, "$ref": format!("{base}/Users/{}", e.id) })).collect();
    let mut group = json!({
        "schemas": [GROUP_SCHEMA],
        "id": team.id,
        "displayName": team.name,
        "members": members,
        "meta": {
            "resourceType": "Group",
            "created": team.created_at,
            "lastModified": last_modified,
            "location": format!("{base}/Groups/{}", team.id),
            "version": version(&last_modified),
        },
    });
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

async fn members(state: &AppState, team: &Team) -> ScimResult<Vec<Employee>> {
    Ok(repo::employees::all(&state.repo, team.org_id, Some(team.id)).await?)
}

pub async fn get(state: &AppState, client: &ScimClient, id: &str, base: &str) -> ScimResult<Value> {
    let (team, overlay) = find(state, client, id).await?;
    let members = members(state, &team).await?;
    Ok(resource(&team, overlay.as_ref(), &members.iter().collect::<Vec<_>>(), base))
}

pub async fn list(state: &AppState, client: &ScimClient, query: &ListQuery, base: &str) -> ScimResult<ListResponse> {
    query.page(matching(state, client, query.parsed_filter()?.as_ref(), base).await?)
}

/// Every Group of the organization `filter` matches, oldest first.
pub async fn matching(
    state: &AppState,
    client: &ScimClient,
    filter: Option<&Filter>,
    base: &str,
) -> ScimResult<Vec<Value>> {
    let mut teams = repo::teams::all(&state.repo, client.org_id).await?;
    teams.sort_by_key(|t| (t.created_at, t.id));
    let overlays = repo::scim::group_overlays(&state.repo, client.org_id).await?;
    let employees = repo::employees::all(&state.repo, client.org_id, None).await?;
    let groups = teams
        .iter()
        .map(|team| {
            let members: Vec<&Employee> = employees.iter().filter(|e| e.team_id == Some(team.id)).collect();
            resource(team, overlays.iter().find(|o| o.team_id == team.id), &members, base)
        })
        .filter(|group| filter.is_none_or(|f| f.matches(group)))
        .collect();
    Ok(groups)
}

/// `POST /Groups`: a new team, its members moved into it.
pub async fn create(state: &AppState, client: &ScimClient, body: &Value, base: &str) -> ScimResult<Value> {
    let input = GroupInput::parse(body)?;
    let wanted = employees_named(state, client.org_id, &input.members).await?;
    let team = teams::insert(state, client.org_id, By::SCIM, input.display_name.clone(), String::new()).await?;
    record_external_id(state, &team, input.external_id).await?;
    set_members(state, &team, &[], &wanted).await?;
    get(state, client, &team.id.to_string(), base).await
}

/// `PUT /Groups/{id}`.
pub async fn replace(state: &AppState, client: &ScimClient, id: &str, body: &Value, base: &str) -> ScimResult<Value> {
    let input = GroupInput::parse(body)?;
    let (team, overlay) = find(state, client, id).await?;
    replace_with(state, client, &team, overlay, input, base).await
}

/// `PATCH /Groups/{id}`: the operations applied to the Group, then replaced.
pub async fn patch(state: &AppState, client: &ScimClient, id: &str, body: &Value, base: &str) -> ScimResult<Value> {
    let (team, overlay) = find(state, client, id).await?;
    let current = members(state, &team).await?;
    let mut group = resource(&team, overlay.as_ref(), &current.iter().collect::<Vec<_>>(), base);
    patch::apply(&mut group, body)?;
    let input = GroupInput::parse(&group)?;
    replace_with(state, client, &team, overlay, input, base).await
}

async fn replace_with(
    state: &AppState,
    client: &ScimClient,
    team: &Team,
    overlay: Option<GroupOverlay>,
    input: GroupInput,
    base: &str,
) -> ScimResult<Value> {
    let wanted = employees_named(state, client.org_id, &input.members).await?;
    let changes = TeamChanges { name: Some(input.display_name).filter(|n| *n != team.name), description: None };
    let team = teams::change(state, By::SCIM, team, changes).await?;
    if overlay.as_ref().and_then(|o| o.external_id.as_ref()) != input.external_id.as_ref() {
        record_external_id(state, &team, input.external_id).await?;
    }
    let current = members(state, &team).await?;
    set_members(state, &team, &current, &wanted).await?;
    get(state, client, &team.id.to_string(), base).await
}

/// Keeps what SCIM said of a team beyond the team (its `externalId`).
async fn record_external_id(state: &AppState, team: &Team, external_id: Option<String>) -> ScimResult<()> {
    let overlay =
        GroupOverlay { org_id: team.org_id, team_id: team.id, external_id, last_modified: crate::time::now() };
    let mut tx = state.repo.transaction();
    repo::scim::put_group_overlay(&mut tx, &overlay)?;
    Ok(crate::domain::notify::commit(state, tx).await?)
}

/// `DELETE /Groups/{id}`: its members leave it, then the team is deleted (refused while
/// policies are attached to it).
pub async fn delete(state: &AppState, client: &ScimClient, id: &str) -> ScimResult<()> {
    let (team, _) = find(state, client, id).await?;
    let current = members(state, &team).await?;
    set_members(state, &team, &current, &[]).await?;
    let team = teams::find(state, team.org_id, team.id).await?;
    teams::remove(state, By::SCIM, &team).await?;
    let mut tx = state.repo.transaction();
    repo::scim::delete_group_overlay(&mut tx, team.org_id, team.id);
    crate::domain::notify::commit(state, tx).await?;
    Ok(())
}

/// The employees `ids` name, all of the organization (else the request is refused).
async fn employees_named(state: &AppState, org: OrgId, ids: &[EmployeeId]) -> ScimResult<Vec<Employee>> {
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    let mut found = Vec::new();
    for chunk in unique.chunks(100) {
        found.extend(repo::employees::get_many(&state.repo, org, chunk).await?);
    }
    if found.len() != unique.len() {
        return Err(ScimError::invalid_value("a member is not a User of this organization"));
    }
    Ok(found)
}

/// Moves employees so the team's members are exactly `wanted`.
async fn set_members(state: &AppState, team: &Team, current: &[Employee], wanted: &[Employee]) -> ScimResult<()> {
    for employee in current.iter().filter(|e| !wanted.iter().any(|w| w.id == e.id)) {
        let changes = EmployeeChanges { team: Some(None), ..Default::default() };
        employees::change(state, By::SCIM, employee, changes, state.repo.transaction()).await?;
    }
    for employee in wanted.iter().filter(|e| e.team_id != Some(team.id)) {
        let changes = EmployeeChanges { team: Some(Some(team.id)), ..Default::default() };
        employees::change(state, By::SCIM, employee, changes, state.repo.transaction()).await?;
    }
    Ok(())
}
