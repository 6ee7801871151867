//! Assignments: `ORG#o` / `ASSIGN#a` (the API's record), mirrored in the organization's
//! sync set (`asg_<a>`, what syncs read); the guard `ASSIGNED#<target>#<kind>#<entry>`
//! (one assignment of an entry per target); the assigned entry's `assignments` count
//! (with its `ref_count`, so an assigned entry is never deleted); and each employee's own
//! credentials for an assigned MCP server, `ORG#o#EMP#e` / `ASGCRED#a`.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{
    Expr, Guard, Item, QuerySpec, Repository, StoreError, Transaction, from_item, n, s, to_item, ts, with_key,
};
use crate::ids::{AssignmentId, EmployeeId, OrgId, TeamId};
use crate::keys::{self, Key};
use crate::pagination::{Page, PageRequest};
use crate::time::Timestamp;
use agentctl_wire::assignments::{Assigned, Assignment, AssignmentTarget};

const ASSIGNED: &str = "assignments";

fn guard_key(assignment: &Assignment) -> Key {
    let team = match assignment.target {
        AssignmentTarget::Organization {} => None,
        AssignmentTarget::Team { team_id } => Some(team_id),
    };
    let (prefix, entry) = match &assignment.item {
        Assigned::Agent { agent_id, .. } => (keys::AGENT_PREFIX, agent_id.0),
        Assigned::McpServer { server_id, .. } => (keys::MCP_SERVER_PREFIX, server_id.0),
    };
    keys::assignment_guard(assignment.org_id, team, prefix, entry)
}

/// The record and its guard (a second assignment of the entry to the target fails on
/// [`Guard::Assignment`]).
pub fn create(tx: &mut Transaction, assignment: &Assignment) -> Result<(), StoreError> {
    let key = keys::assignment(assignment.org_id, assignment.id);
    tx.put_new(with_key(to_item(assignment)?, &key, "assignment"), Guard::Assignment);
    let guard = Item::from([("assignment_id".to_string(), s(assignment.id.to_string()))]);
    tx.put_new(with_key(guard, &guard_key(assignment), "assignment_guard"), Guard::Assignment);
    Ok(())
}

pub async fn get(repo: &Repository, org: OrgId, id: AssignmentId) -> Result<Option<Assignment>, StoreError> {
    repo.get_as(&keys::assignment(org, id)).await
}

/// A page of the organization's assignments, oldest first; `team`: those to that team.
pub async fn list(
    repo: &Repository,
    org: OrgId,
    team: Option<TeamId>,
    page: &PageRequest,
) -> Result<Page<Assignment>, StoreError> {
    repo.query(list_spec(org, team), page).await?.try_map(from_item)
}

fn list_spec(org: OrgId, team: Option<TeamId>) -> QuerySpec {
    let filter = team.map(|team| {
        let team = s(team.to_string());
        Expr::new("#target.#team = :team").name("#target", "target").name("#team", "team_id").value(":team", team)
    });
    QuerySpec::table(keys::org_pk(org), keys::ASSIGNMENT_PREFIX).filter(filter)
}

/// Whether any assignment targets `team`.
pub async fn any_for_team(repo: &Repository, org: OrgId, team: TeamId) -> Result<bool, StoreError> {
    Ok(!repo.query_all(list_spec(org, Some(team))).await?.is_empty())
}

/// Replaces an assignment read earlier, if unchanged since.
pub fn replace(tx: &mut Transaction, after: &Assignment, before: &Assignment) -> Result<(), StoreError> {
    let key = keys::assignment(after.org_id, after.id);
    let condition = Expr::new("updated_at = :read_at").value(":read_at", ts(&before.updated_at));
    tx.put_if(with_key(to_item(after)?, &key, "assignment"), condition, Guard::Assignment);
    Ok(())
}

pub fn delete(tx: &mut Transaction, assignment: &Assignment) {
    let condition = Expr::new("updated_at = :read_at").value(":read_at", ts(&assignment.updated_at));
    tx.delete(&keys::assignment(assignment.org_id, assignment.id), Some(condition), Guard::Assignment);
    tx.delete(&guard_key(assignment), None, Guard::Assignment);
}

/// How many assignments (of every organization) deliver the catalog entry at `entry`.
pub async fn count_of(repo: &Repository, entry: &Key) -> Result<u32, StoreError> {
    let item = repo.get(entry).await?;
    Ok(item
        .as_ref()
        .and_then(|i| i.get(ASSIGNED))
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// The condition that an entry still has the `count` assignments read.
pub fn count_is(count: u32) -> Expr {
    if count == 0 {
        Expr::new("(attribute_not_exists(#assigned) OR #assigned = :assigned)")
    } else {
        Expr::new("#assigned = :assigned")
    }
    .name("#assigned", ASSIGNED)
    .value(":assigned", n(count))
}

/// Counts an assignment of the entry at `entry` (`delta` +1) or drops one (-1), with its
/// reference, if the entry is as read (its `updated_at` and `count` assignments): the
/// content copied into sync sets is then the entry's.
pub fn count(tx: &mut Transaction, entry: &Key, updated_at: &Timestamp, count: u32, delta: i32) {
    let update = Expr::new("ADD #assigned :delta, ref_count :delta").value(":delta", n(delta));
    let condition = count_is(count).and_key("updated_at = :read_at").value(":read_at", ts(updated_at));
    tx.update(entry, update.name("#assigned", ASSIGNED), Some(condition), Guard::AssignedEntry);
}

/// An employee's own credentials for an assigned MCP server (ciphertext).
pub fn put_credentials(
    tx: &mut Transaction,
    org: OrgId,
    employee: EmployeeId,
    assignment: AssignmentId,
    ciphertext: &str,
    at: &Timestamp,
) {
    let item = Item::from([
        ("assignment_id".to_string(), s(assignment.to_string())),
        ("credentials_encrypted".to_string(), s(ciphertext)),
        ("rotated_at".to_string(), ts(at)),
    ]);
    let key = keys::assignment_credentials(org, employee, assignment);
    tx.put(with_key(item, &key, "assignment_credentials"));
}

/// Removes them; [`Guard::Assignment`] when none were set.
pub fn delete_credentials(tx: &mut Transaction, org: OrgId, employee: EmployeeId, assignment: AssignmentId) {
    let key = keys::assignment_credentials(org, employee, assignment);
    tx.delete(&key, Some(Expr::new("attribute_exists(PK)")), Guard::Assignment);
}

/// The assignment and ciphertext of an `ASGCRED#` item of an employee's partition.
pub fn read_credentials(item: &Item) -> Result<(AssignmentId, String), StoreError> {
    let text = |attribute: &str| match item.get(attribute) {
        Some(AttributeValue::S(text)) => Ok(text.clone()),
        _ => Err(StoreError::Corrupt(format!("assignment credentials without {attribute}"))),
    };
    let id = text("assignment_id")?.parse().map_err(|_| StoreError::Corrupt("assignment credentials id".into()))?;
    Ok((id, text("credentials_encrypted")?))
}

/// Which of `employees` set their own credentials for an assignment (one BatchGetItem
/// per 100, of the keys only).
pub async fn with_own_credentials(
    repo: &Repository,
    org: OrgId,
    employees: &[EmployeeId],
    assignment: AssignmentId,
) -> Result<Vec<EmployeeId>, StoreError> {
    let keys: Vec<Key> = employees.iter().map(|e| keys::assignment_credentials(org, *e, assignment)).collect();
    let items = repo.batch_get_projected(&keys, &[keys::PK, keys::SK]).await?;
    Ok(employees.iter().zip(&keys).filter(|(_, key)| super::by_key(&items, key).is_some()).map(|(e, _)| *e).collect())
}
