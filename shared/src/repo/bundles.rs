//! What a sync bundle reads besides the employee's partition: one BatchGetItem of the
//! employee, the organization, its subscription, the organization's and the platform's
//! sync sets, and the catalog entries the employee's configurations reference; and, for
//! a conditional sync, one BatchGetItem of the three sync sets' stamps.

use super::catalog::Spec;
use super::syncsets::{self, Scope, Stamp, SyncSet};
use super::{Item, Repository, StoreError, by_key, from_item};
use crate::ids::{EmployeeId, OrgId};
use crate::keys::{self, Key};
use agentctl_wire::catalog::AgentSpec;
use agentctl_wire::catalog::McpServerSpec;
use agentctl_wire::catalog::{Entry, Kind};
use agentctl_wire::employees::Employee;
use agentctl_wire::organizations::Organization;
use agentctl_wire::subscriptions::Subscription;

/// A catalog entry a configuration references: its owner (`None`: the global catalog)
/// and id.
pub type EntryRef<S> = (Option<OrgId>, <S as Kind>::Id);

pub struct BundleInputs {
    pub employee: Option<Employee>,
    pub organization: Option<Organization>,
    pub subscription: Option<Subscription>,
    pub org_set: SyncSet,
    pub platform_set: SyncSet,
    /// The referenced agents and servers that exist (visibility is the caller's to check).
    pub agents: Vec<Entry<AgentSpec>>,
    pub servers: Vec<Entry<McpServerSpec>>,
}

pub async fn inputs(
    repo: &Repository,
    org: OrgId,
    employee: EmployeeId,
    agents: &[EntryRef<AgentSpec>],
    servers: &[EntryRef<McpServerSpec>],
) -> Result<BundleInputs, StoreError> {
    let (employee_key, organization, subscription) =
        (keys::employee(org, employee), keys::organization(org), keys::subscription(org));
    let agent_keys: Vec<Key> = agents.iter().map(|(owner, id)| super::catalog::key::<AgentSpec>(*owner, *id)).collect();
    let server_keys: Vec<Key> =
        servers.iter().map(|(owner, id)| super::catalog::key::<McpServerSpec>(*owner, *id)).collect();
    let mut read = vec![employee_key.clone(), organization.clone(), subscription.clone()];
    read.extend([Scope::Org(org).key(), Scope::Catalog.key()]);
    read.extend(agent_keys.iter().chain(&server_keys).cloned());
    let items = repo.batch_get(&read).await?;
    let found = |key: &Key| by_key(&items, key).cloned();
    Ok(BundleInputs {
        employee: found(&employee_key).map(from_item).transpose()?,
        organization: found(&organization).map(from_item).transpose()?,
        subscription: found(&subscription).map(super::subscriptions::parse).transpose()?,
        org_set: syncsets::find(&items, Scope::Org(org))?,
        platform_set: syncsets::find(&items, Scope::Catalog)?,
        agents: entries(&items, &agent_keys)?,
        servers: entries(&items, &server_keys)?,
    })
}

/// The entries at `keys` among the items read.
fn entries<S: Spec>(items: &[Item], keys: &[Key]) -> Result<Vec<Entry<S>>, StoreError> {
    keys.iter().filter_map(|key| by_key(items, key).cloned()).map(from_item).collect()
}

/// The versions and change times of the sync sets of `scopes` (one BatchGetItem of
/// just those attributes).
pub async fn stamps<const N: usize>(repo: &Repository, scopes: [Scope; N]) -> Result<[Stamp; N], StoreError> {
    let keys = scopes.map(Scope::key);
    let items = repo.batch_get_projected(&keys, &syncsets::STAMP_ATTRIBUTES).await?;
    let mut stamps = [Stamp::default(); N];
    for (stamp, scope) in stamps.iter_mut().zip(scopes) {
        *stamp = syncsets::find_stamp(&items, scope)?;
    }
    Ok(stamps)
}
