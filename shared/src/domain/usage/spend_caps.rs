//! Per-employee monthly spend caps, checked as usage lands.

use crate::money::Usd;
use chrono::Duration;
use serde_json::json;

use crate::AppState;
use crate::activity::{Actor, EventType};
use crate::domain::employees::Employee;
use crate::error::Result;
use crate::ids::{EmployeeId, OrgId};
use crate::repo::{self, StoreError};

/// Employees' monthly spend caps, resolved from their policies at most once a minute per
/// process (caps change rarely, and resolving one costs a Query and a BatchGetItem), and
/// only in organizations that have a spend cap policy at all (checked at most once a
/// minute with one BatchGetItem of the two scope sets). Held by the [`AppState`].
#[derive(Clone)]
pub struct SpendCapCache(moka::sync::Cache<CapKey, Option<Usd>>);

/// An employee's cap, or (no employee) whether their organization has any.
type CapKey = (OrgId, Option<EmployeeId>);
const SPEND_CAP_TTL: std::time::Duration = std::time::Duration::from_secs(60);
/// Bounds the cache's memory (a processor sees a few organizations' employees).
const SPEND_CAP_ENTRIES: u64 = 100_000;
/// How long a spend cap marker is kept (past its month, so the month's bundles see it).
const SPEND_CAP_MARKER_DAYS: i64 = 40;

impl Default for SpendCapCache {
    fn default() -> Self {
        Self(moka::sync::Cache::builder().time_to_live(SPEND_CAP_TTL).max_capacity(SPEND_CAP_ENTRIES).build())
    }
}

async fn org_has_spend_caps(state: &AppState, org: OrgId) -> Result<bool> {
    if let Some(any) = state.spend_caps.0.get(&(org, None)) {
        return Ok(any.is_some());
    }
    let scopes = [repo::syncsets::Scope::Org(org), repo::syncsets::Scope::Catalog];
    let items = state.repo.batch_get(&scopes.map(repo::syncsets::Scope::key)).await?;
    let mut any = false;
    for scope in scopes {
        let set = repo::syncsets::find(&items, scope)?;
        any |= set.policies.values().any(|p| p.policy_type == crate::policy::PolicyType::SpendCap);
    }
    state.spend_caps.0.insert((org, None), any.then_some(Usd::ZERO));
    Ok(any)
}

async fn spend_cap(state: &AppState, employee: &Employee) -> Result<Option<Usd>> {
    let key = (employee.org_id, Some(employee.id));
    if let Some(cap) = state.spend_caps.0.get(&key) {
        return Ok(cap);
    }
    if !org_has_spend_caps(state, employee.org_id).await? {
        return Ok(None);
    }
    let subject = crate::domain::policies::subject_of(state, employee).await?;
    let cap = subject.resolve(None)?.effective.spend_cap_usd.map(|limit| limit.value);
    state.spend_caps.0.insert(key, cap);
    Ok(cap)
}

/// How long a record of a raised cap is kept (past its month, like the marker).
pub const SPEND_CAP_RAISE_DAYS: i64 = SPEND_CAP_MARKER_DAYS;

/// Records (once a month) that an employee's spending reached their spend cap (their
/// policies' cap plus `raise`, what approved requests added this month): an activity
/// entry, a marker in their partition (their sync bundle reports it) and a new version of
/// their sync set. A raise approved meanwhile wins: the marker is written only if the
/// raise is still the one read.
pub(super) async fn check_spend_cap(state: &AppState, employee: &Employee, period: &str, raise: Usd) -> Result<()> {
    let Some(cap) = spend_cap(state, employee).await? else { return Ok(()) };
    let cap = cap + raise;
    let (org, id) = (employee.org_id, employee.id);
    let spent = repo::usage::employee_month(&state.repo, org, id, period).await?.map(|r| r.totals.cost_usd);
    let Some(spent) = spent.filter(|spent| *spent >= cap) else { return Ok(()) };
    let now = crate::time::now();
    let mut tx = state.repo.transaction();
    repo::usage::mark_cap_reached(&mut tx, org, id, period, Duration::days(SPEND_CAP_MARKER_DAYS), &now);
    repo::usage::cap_raise_unchanged(&mut tx, org, id, period, raise);
    repo::syncsets::Change::new(repo::syncsets::Scope::Employee(org, id)).apply(&mut tx, &now);
    let payload = json!({ "employee_id": id, "spend_cap_usd": cap, "spent_usd": spent, "period": period });
    let entry = crate::activity::entry_by(org, Actor::Platform, None, EventType::SpendCapReached, payload);
    repo::activity::record(&mut tx, &entry, state.config.activity_retention_days)?;
    match state.repo.transact(tx).await {
        Ok(()) | Err(StoreError::ConditionFailed(repo::Guard::SpendCapRecorded | repo::Guard::SpendCapRaised)) => {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
