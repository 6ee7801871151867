//! The fleet: one item per device an employee syncs from, in the organization's fleet
//! partition (sorted by employee), written by the sync recorder.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::{Expr, QuerySpec, Repository, StoreError, from_item, s, to_attr};
use crate::ids::{EmployeeId, OrgId};
use crate::keys;
use crate::pagination::{Page, PageRequest};
use crate::time::sortable;
use agentctl_wire::fleet::{Device, Posture};

/// Records a device's report of `at`: its posture and last sighting (its first stays).
/// An older report arriving late changes nothing (`false`).
pub async fn report(
    repo: &Repository,
    org: OrgId,
    employee: EmployeeId,
    posture: &Posture,
    at: &DateTime<Utc>,
) -> Result<bool, StoreError> {
    let update = Expr::set(vec![
        (keys::ENTITY, s("device")),
        ("employee_id", s(employee.to_string())),
        ("posture", to_attr(posture)?),
        // Fixed-width, so the condition below compares instants.
        ("last_seen_at", s(sortable(at))),
    ])
    .then(", first_seen_at = if_not_exists(first_seen_at, :first)")
    .value(":first", s(sortable(at)));
    let newer = Expr::new("attribute_not_exists(PK) OR last_seen_at < :seen").value(":seen", s(sortable(at)));
    repo.update_if(&keys::device(org, employee, posture.device_id), update, newer).await
}

/// One page of the organization's devices, by employee.
pub async fn devices(repo: &Repository, org: OrgId, page: &PageRequest) -> Result<Page<Device>, StoreError> {
    repo.query(QuerySpec::table(keys::fleet_pk(org), keys::DEVICE_PREFIX), page).await?.try_map(from_item)
}

/// Every device of one employee.
pub async fn of_employee(repo: &Repository, org: OrgId, employee: EmployeeId) -> Result<Vec<Device>, StoreError> {
    let spec = QuerySpec::table(keys::fleet_pk(org), &keys::employee_devices_prefix(employee));
    repo.query_all(spec).await?.into_iter().map(from_item).collect()
}

/// Which of the employees from `first` to `last` (by id, inclusive) ever reported a
/// device: one Query of the fleet partition's range, devices being sorted by employee.
pub async fn reporting_between(
    repo: &Repository,
    org: OrgId,
    (first, last): (EmployeeId, EmployeeId),
) -> Result<HashSet<EmployeeId>, StoreError> {
    let range = (keys::employee_devices_prefix(first), format!("{}~", keys::employee_devices_prefix(last)));
    let spec = QuerySpec::table(keys::fleet_pk(org), "").between(range.0, range.1, false);
    repo.query_all(spec).await?.into_iter().map(|item| Ok(from_item::<Device>(item)?.employee_id)).collect()
}
