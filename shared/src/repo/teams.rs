//! Team items: PK `ORG#o`, SK `TEAM#t`; name guard `TEAMNAME#<lowercase name>`.
//! `member_count` is kept by the employee writes and `group_size` by the group membership
//! writes, so a team with members cannot be deleted;
//! `agent_config_total` (the members' agent configurations) and `agent_config_count` (the
//! active ones) by them and the configuration writes, for usage analytics.

use super::Guard;
use super::{Expr, Item, QuerySpec, Repository, StoreError, Transaction, from_item, n, s, to_item, with_key};
use crate::ids::{OrgId, TeamId};
use crate::keys;
use crate::pagination::{Page, PageRequest};
use agentctl_wire::teams::Team;

fn name_guard(org: OrgId, name: &str, team: TeamId) -> Item {
    let key = keys::team_name_guard(org, &name.to_lowercase());
    with_key(Item::from([("team_id".into(), s(team.to_string()))]), &key, "team_name")
}

pub fn create(tx: &mut Transaction, team: &Team) -> Result<(), StoreError> {
    tx.put_new(with_key(to_item(team)?, &keys::team(team.org_id, team.id), "team"), Guard::Team);
    tx.put_new(name_guard(team.org_id, &team.name, team.id), Guard::TeamName);
    Ok(())
}

pub async fn get(repo: &Repository, org: OrgId, team: TeamId) -> Result<Option<Team>, StoreError> {
    repo.get_as(&keys::team(org, team)).await
}

pub async fn list(repo: &Repository, org: OrgId, page: &PageRequest) -> Result<Page<Team>, StoreError> {
    repo.query(QuerySpec::table(keys::org_pk(org), keys::TEAM_PREFIX), page).await?.try_map(from_item)
}

/// The team with this name (lowercase), by its name guard.
pub async fn id_by_name(repo: &Repository, org: OrgId, lowercase_name: &str) -> Result<Option<TeamId>, StoreError> {
    #[derive(serde::Deserialize)]
    struct NameOwner {
        team_id: TeamId,
    }
    Ok(repo.get_as::<NameOwner>(&keys::team_name_guard(org, lowercase_name)).await?.map(|o| o.team_id))
}

/// Every team of the organization (usage analytics lists teams without usage too).
pub async fn all(repo: &Repository, org: OrgId) -> Result<Vec<Team>, StoreError> {
    repo.query_all(QuerySpec::table(keys::org_pk(org), keys::TEAM_PREFIX)).await?.into_iter().map(from_item).collect()
}

/// What an update of a team changes (`None`: left as it is).
#[derive(Default)]
pub struct TeamChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub team_source: Option<bool>,
}

impl TeamChanges {
    /// The team's fields this changes, by their API names.
    pub fn changed(&self) -> Vec<&'static str> {
        super::changed_fields([
            ("name", self.name.is_some()),
            ("description", self.description.is_some()),
            ("team_source", self.team_source.is_some()),
        ])
    }
}

/// Writes the changes, stamped `updated_at`; a new name moves the name guard.
pub fn update(tx: &mut Transaction, team: &Team, changes: &TeamChanges, updated_at: &crate::time::Timestamp) {
    let mut fields = Vec::new();
    if let Some(name) = &changes.name {
        fields.push(("name", s(name)));
    }
    if let Some(description) = &changes.description {
        fields.push(("description", s(description)));
    }
    if let Some(team_source) = changes.team_source {
        fields.push(("team_source", aws_sdk_dynamodb::types::AttributeValue::Bool(team_source)));
    }
    fields.push(("updated_at", super::ts(updated_at)));
    tx.update(
        &keys::team(team.org_id, team.id),
        Expr::set(fields),
        Some(Expr::new("attribute_exists(PK)")),
        Guard::Team,
    );
    if let Some(name) = changes.name.as_deref().filter(|n| n.to_lowercase() != team.name.to_lowercase()) {
        tx.delete(&keys::team_name_guard(team.org_id, &team.name.to_lowercase()), None, Guard::TeamName);
        tx.put_new(name_guard(team.org_id, name, team.id), Guard::TeamName);
    }
}

/// Deletes an empty team and its name guard.
pub fn delete(tx: &mut Transaction, team: &Team) {
    let condition = Expr::new("attribute_exists(PK) AND member_count = :zero").value(":zero", n(0));
    tx.delete(&keys::team(team.org_id, team.id), Some(condition), Guard::TeamMembers);
    tx.delete(&keys::team_name_guard(team.org_id, &team.name.to_lowercase()), None, Guard::TeamName);
}

/// Adds `members` (negative: removes) to the size of a group that must exist.
pub fn adjust_group_size(tx: &mut Transaction, org: OrgId, team: TeamId, members: i32) {
    let update = Expr::new("ADD group_size :m").value(":m", n(members));
    tx.update(&keys::team(org, team), update, Some(Expr::new("attribute_exists(PK)")), Guard::Team);
}

/// Adds `members` members with `agents` agent configurations to a team that must exist.
pub fn adjust_members(
    tx: &mut Transaction,
    org: OrgId,
    team: TeamId,
    members: i32,
    agents: super::configs::AgentCounts,
) {
    let update = Expr::new("ADD member_count :m, agent_config_count :a, agent_config_total :t")
        .value(":m", n(members))
        .value(":a", n(agents.active))
        .value(":t", n(agents.total));
    tx.update(&keys::team(org, team), update, Some(Expr::new("attribute_exists(PK)")), Guard::Team);
}
