//! Policy attachments.
//! - agent: `CATALOG` (platform) or `ORG#o` / `AGENTPOL#<agent>#<policy>`
//! - organization: `ORG#o` / `ORGPOL#<policy>`
//! - team: `ORG#o` / `TEAMPOL#<team>#<policy>` (with overrides)
//! - employee: `ORG#o#EMP#e` / `POLICY#<policy>` (the partition an employee's sync reads)

use super::{Expr, QuerySpec, Repository, StoreError, Transaction, from_item, to_item, ts, with_key};
use crate::domain::policies::{PolicyLink, Target};
use crate::ids::OrgId;
use crate::keys::{self, Key};

pub const LINKED: &str = "policy_link";
/// Sort key prefix of the attachments in an employee's partition.
pub const EMPLOYEE_PREFIX: &str = "POLICY#";

fn partition(owner: Option<OrgId>, target: Target) -> String {
    match (target, owner) {
        (Target::Employee(employee), Some(org)) => keys::employee_partition(org, employee),
        _ => super::catalog::partition(owner),
    }
}

fn prefix(target: Target) -> String {
    match target {
        Target::Agent(agent) => format!("AGENTPOL#{agent}#"),
        Target::Org => "ORGPOL#".into(),
        Target::Team(team) => format!("TEAMPOL#{team}#"),
        Target::Employee(_) => EMPLOYEE_PREFIX.into(),
    }
}

fn key(owner: Option<OrgId>, target: Target, policy: uuid::Uuid) -> Key {
    Key { pk: partition(owner, target), sk: format!("{}{policy}", prefix(target)) }
}

pub async fn get_link(
    repo: &Repository,
    owner: Option<OrgId>,
    target: Target,
    policy: uuid::Uuid,
) -> Result<Option<PolicyLink>, StoreError> {
    repo.get_as(&key(owner, target, policy)).await
}

/// Every policy attached to a target by `owner` (bounded: policies per target are few).
pub async fn links(repo: &Repository, owner: Option<OrgId>, target: Target) -> Result<Vec<PolicyLink>, StoreError> {
    let spec = QuerySpec::table(partition(owner, target), &prefix(target));
    repo.query_all(spec).await?.into_iter().map(from_item).collect()
}

pub fn create_link(tx: &mut Transaction, target: Target, link: &PolicyLink) -> Result<(), StoreError> {
    tx.put_new(with_key(to_item(link)?, &key(link.org_id, target, link.policy_id), "policy_link"), LINKED);
    Ok(())
}

/// Replaces an attachment read earlier (new overrides), if unchanged since.
pub fn replace_link(
    tx: &mut Transaction,
    target: Target,
    link: &PolicyLink,
    before: &PolicyLink,
) -> Result<(), StoreError> {
    let condition = Expr::new("updated_at = :read_at").value(":read_at", ts(&before.updated_at));
    tx.put_if(with_key(to_item(link)?, &key(link.org_id, target, link.policy_id), "policy_link"), condition, LINKED);
    Ok(())
}

pub fn delete_link(tx: &mut Transaction, owner: Option<OrgId>, target: Target, policy: uuid::Uuid) {
    tx.delete(&key(owner, target, policy), Some(Expr::new("attribute_exists(PK)")), LINKED);
}
