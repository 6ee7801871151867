//! Directory group memberships (SCIM Groups, which are teams): PK `ORG#o#EMP#e`, SK
//! `~GROUP#t`, in the employee's partition so that the sync's one Query finds the groups
//! that reach them; GSI1 `ORG#o#GROUP#t` / `EMP#e` lists a group's members. An employee's
//! team (`team_id`) is kept on the employee; memberships are these items alone.

use std::collections::BTreeSet;

use super::{Expr, Guard, Item, QuerySpec, Repository, StoreError, Transaction, s, ts, with_key};
use crate::ids::{EmployeeId, OrgId, TeamId};
use crate::keys;
use crate::time::Timestamp;

/// Makes `employee` a member of `group`, who was not one.
pub fn add(tx: &mut Transaction, org: OrgId, group: TeamId, employee: EmployeeId, at: &Timestamp) {
    let item = Item::from([
        ("org_id".into(), s(org.to_string())),
        ("team_id".into(), s(group.to_string())),
        ("employee_id".into(), s(employee.to_string())),
        ("added_at".into(), ts(at)),
        (keys::GSI1PK.into(), s(keys::group_members_pk(org, group))),
        (keys::GSI1SK.into(), s(keys::team_members_sk(employee))),
    ]);
    tx.put_new(with_key(item, &keys::group_membership(org, employee, group), "group_member"), Guard::GroupMembership);
}

/// Ends the membership of `employee`, who was a member.
pub fn remove(tx: &mut Transaction, org: OrgId, group: TeamId, employee: EmployeeId) {
    let exists = Expr::new("attribute_exists(PK)");
    tx.delete(&keys::group_membership(org, employee, group), Some(exists), Guard::GroupMembership);
}

fn attribute<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StoreError::Corrupt(format!("group membership without {name}")))
}

/// The group of a membership item (read with the rest of an employee's partition).
pub(super) fn group_of(item: &Item) -> Result<TeamId, StoreError> {
    attribute(item, "team_id")
}

/// Every member of a group (a GSI1 Query, one request per MB of memberships).
pub async fn members(repo: &Repository, org: OrgId, group: TeamId) -> Result<Vec<EmployeeId>, StoreError> {
    let spec = QuerySpec::gsi1(keys::group_members_pk(org, group), keys::EMPLOYEE_PREFIX);
    repo.query_all(spec).await?.iter().map(|item| attribute(item, "employee_id")).collect()
}

/// The groups an employee belongs to.
pub async fn groups_of(repo: &Repository, org: OrgId, employee: EmployeeId) -> Result<BTreeSet<TeamId>, StoreError> {
    let spec = QuerySpec::table(keys::employee_partition(org, employee), keys::GROUP_MEMBERSHIP_PREFIX);
    repo.query_all(spec).await?.iter().map(group_of).collect()
}

/// Which of `employees` (repeats allowed) are members of `group` (one BatchGetItem per 100).
pub async fn members_among(
    repo: &Repository,
    org: OrgId,
    group: TeamId,
    employees: &[EmployeeId],
) -> Result<BTreeSet<EmployeeId>, StoreError> {
    let distinct: BTreeSet<&EmployeeId> = employees.iter().collect();
    let keys: Vec<keys::Key> = distinct.into_iter().map(|e| keys::group_membership(org, *e, group)).collect();
    repo.batch_get(&keys).await?.iter().map(|item| attribute(item, "employee_id")).collect()
}
