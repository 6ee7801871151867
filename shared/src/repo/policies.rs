//! Policy attachments.
//! - agent: `CATALOG` (platform) or `ORG#o` / `AGENTPOL#<agent>#<policy>`
//! - organization: `ORG#o` / `ORGPOL#<policy>`
//! - team: `ORG#o` / `TEAMPOL#<team>#<policy>` (with overrides)
//! - employee: `ORG#o#EMP#e` / `POLICY#<policy>` (the partition an employee's sync reads)

use super::Guard;
use super::{Expr, QuerySpec, Repository, StoreError, Transaction, from_item, to_item, ts, with_key};
use crate::ids::{AgentId, EmployeeId, TeamId};
use crate::ids::{OrgId, PolicyId};
use crate::keys::{self, Key};
use agentctl_wire::policy::PolicyLink;
use agentctl_wire::policy::{PolicyType, Severity};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Sort key prefix of the attachments in an employee's partition.
pub const EMPLOYEE_PREFIX: &str = keys::EMPLOYEE_POLICIES_PREFIX;

fn partition(owner: Option<OrgId>, target: Target) -> String {
    match (target, owner) {
        (Target::Employee(employee), Some(org)) => keys::employee_partition(org, employee),
        _ => keys::catalog_partition(owner),
    }
}

fn prefix(target: Target) -> String {
    match target {
        Target::Agent(agent) => keys::agent_policies_prefix(agent),
        Target::Org => keys::ORG_POLICIES_PREFIX.into(),
        Target::Team(team) => keys::team_policies_prefix(team),
        Target::Employee(_) => EMPLOYEE_PREFIX.into(),
    }
}

fn key(owner: Option<OrgId>, target: Target, policy: PolicyId) -> Key {
    keys::policy_link(partition(owner, target), &prefix(target), policy)
}

pub async fn get_link(
    repo: &Repository,
    owner: Option<OrgId>,
    target: Target,
    policy: PolicyId,
) -> Result<Option<PolicyLink>, StoreError> {
    repo.get_as(&key(owner, target, policy)).await
}

/// Every policy attached to a target by `owner` (bounded: policies per target are few).
pub async fn links(repo: &Repository, owner: Option<OrgId>, target: Target) -> Result<Vec<PolicyLink>, StoreError> {
    let spec = QuerySpec::table(partition(owner, target), &prefix(target));
    repo.query_all(spec).await?.into_iter().map(from_item).collect()
}

pub fn create_link(tx: &mut Transaction, target: Target, link: &PolicyLink) -> Result<(), StoreError> {
    tx.put_new(with_key(to_item(link)?, &key(link.org_id, target, link.policy_id), "policy_link"), Guard::PolicyLink);
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
    tx.put_if(
        with_key(to_item(link)?, &key(link.org_id, target, link.policy_id), "policy_link"),
        condition,
        Guard::PolicyLink,
    );
    Ok(())
}

pub fn delete_link(tx: &mut Transaction, owner: Option<OrgId>, target: Target, policy: PolicyId) {
    tx.delete(&key(owner, target, policy), Some(Expr::new("attribute_exists(PK)")), Guard::PolicyLink);
}

/// What an attachment hangs on, which must exist while the attachment is written.
pub enum AttachedTo {
    /// An agent of the catalog (owner, id): the attachment counts as its reference.
    Agent(Option<OrgId>, crate::ids::AgentId),
    Team(OrgId, crate::ids::TeamId),
    Employee(OrgId, crate::ids::EmployeeId),
}

/// Keeps the target alive in the attachment's transaction: an agent counts the
/// reference (`delta`); a team or an employee must still exist when attaching.
pub fn hold_target(tx: &mut Transaction, target: &AttachedTo, delta: i32) {
    let exists = |tx: &mut Transaction, key: &Key| {
        tx.check(key, Expr::new("attribute_exists(PK)"), Guard::CatalogReferenceMissing);
    };
    match *target {
        AttachedTo::Agent(owner, id) => {
            let key = super::catalog::key::<agentctl_wire::catalog::AgentSpec>(owner, id);
            super::catalog::adjust_refs_at(tx, &key, delta);
        }
        AttachedTo::Team(org, team) if delta > 0 => exists(tx, &keys::team(org, team)),
        AttachedTo::Employee(org, employee) if delta > 0 => exists(tx, &keys::employee(org, employee)),
        AttachedTo::Team(..) | AttachedTo::Employee(..) => {}
    }
}

/// What resolution needs of a policy, as its scope's sync set keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyContent {
    pub name: String,
    pub policy_type: PolicyType,
    pub severity: Severity,
    pub rules: Value,
}

/// Where a policy is attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Agent(AgentId),
    Org,
    Team(TeamId),
    Employee(EmployeeId),
}
