//! Per-employee limits checked as usage lands: monthly spend caps and rate limits (the
//! seed's "max 100 LLM calls/hour").

use crate::activity::By;
use std::time::Duration as StdDuration;

use crate::money::Usd;
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::json;

use crate::AppState;
use crate::activity::EventType;
use crate::domain::employees::Employee;
use crate::domain::usage::{ResourceType, UsageEvent};
use crate::error::Result;
use crate::ids::{EmployeeId, OrgId};
use crate::policy::PolicyType;
use crate::policy::rules::{Metric, Window};
use crate::repo::{self, StoreError};

/// Employees' limits, resolved from their policies at most once a minute per process
/// (limits change rarely, and resolving them costs a Query and a BatchGetItem), and only
/// in organizations that have a spend cap or rate limit policy at all (checked at most
/// once a minute with one BatchGetItem of the two scope sets). Held by the [`AppState`].
#[derive(Clone)]
pub struct LimitCache(moka::sync::Cache<LimitKey, Cached>);

/// An employee's limits, or (no employee) which kinds their organization has.
type LimitKey = (OrgId, Option<EmployeeId>);

#[derive(Clone)]
enum Cached {
    Org { spend_caps: bool, rate_limits: bool },
    Employee(Limits),
}

/// What limits an employee's spending and use.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    pub spend_cap: Option<Usd>,
    pub rate_limits: Vec<RateLimit>,
}

/// One rate limit: at most `max` of `metric` per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub metric: Metric,
    pub per: Window,
    pub max: u64,
}

const LIMIT_TTL: StdDuration = StdDuration::from_secs(60);
/// Bounds the cache's memory (a processor sees a few organizations' employees).
const LIMIT_ENTRIES: u64 = 100_000;
/// How long a spend cap marker is kept (past its month, so the month's bundles see it).
const SPEND_CAP_MARKER_DAYS: i64 = 40;
/// How long a record of a raised cap is kept (past its month, like the marker).
pub const SPEND_CAP_RAISE_DAYS: i64 = SPEND_CAP_MARKER_DAYS;

impl Default for LimitCache {
    fn default() -> Self {
        Self(moka::sync::Cache::builder().time_to_live(LIMIT_TTL).max_capacity(LIMIT_ENTRIES).build())
    }
}

/// Which kinds of limit the organization's (and the platform's) policies hold.
async fn org_limits(state: &AppState, org: OrgId) -> Result<(bool, bool)> {
    if let Some(Cached::Org { spend_caps, rate_limits }) = state.limits.0.get(&(org, None)) {
        return Ok((spend_caps, rate_limits));
    }
    let (org_set, platform_set) = repo::syncsets::org_and_platform(&state.repo, org).await?;
    let (mut spend_caps, mut rate_limits) = (false, false);
    for set in [org_set, platform_set] {
        spend_caps |= set.policies.values().any(|p| p.policy_type == PolicyType::SpendCap);
        rate_limits |= set.policies.values().any(|p| p.policy_type == PolicyType::RateLimit);
    }
    state.limits.0.insert((org, None), Cached::Org { spend_caps, rate_limits });
    Ok((spend_caps, rate_limits))
}

/// An employee's limits (cached; see [`LimitCache`]).
pub async fn limits_of(state: &AppState, employee: &Employee) -> Result<Limits> {
    let key = (employee.org_id, Some(employee.id));
    if let Some(Cached::Employee(limits)) = state.limits.0.get(&key) {
        return Ok(limits);
    }
    let limits = match org_limits(state, employee.org_id).await? {
        (false, false) => Limits::default(),
        _ => resolve_limits(state, employee).await?,
    };
    state.limits.0.insert(key, Cached::Employee(limits.clone()));
    Ok(limits)
}

/// An employee's limits as their policies say now (uncached: a request's decision reads
/// them fresh).
pub async fn resolve_limits(state: &AppState, employee: &Employee) -> Result<Limits> {
    let subject = crate::domain::policies::subject_of(state, employee).await?;
    let effective = subject.resolve(None)?.effective;
    Ok(Limits {
        spend_cap: effective.spend_cap_usd.map(|limit| limit.value),
        rate_limits: effective
            .rate_limits
            .iter()
            .map(|r| RateLimit { metric: r.metric, per: r.per, max: r.max })
            .collect(),
    })
}

/// Records (once a month) that an employee's spending reached their spend cap (`cap`:
/// their policies' cap plus `raise`, what approved requests added this month): an
/// activity entry, a marker in their partition (their sync bundle reports it) and a new
/// version of their sync set. A raise approved meanwhile wins: the marker is written only
/// if the raise is still the one read.
pub(super) async fn check_spend_cap(
    state: &AppState,
    employee: &Employee,
    cap: Usd,
    period: &str,
    raise: Usd,
) -> Result<()> {
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
    crate::domain::log(state, &mut tx, org, By::PLATFORM, EventType::SpendCapReached, payload)?;
    match crate::domain::notify::commit(state, tx).await {
        Ok(()) | Err(StoreError::ConditionFailed(repo::Guard::SpendCapRecorded | repo::Guard::SpendCapRaised)) => {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// How much of `metric` an event is.
fn amount_of(event: &UsageEvent, metric: Metric) -> Option<u64> {
    let counts = match metric {
        Metric::LlmCalls => event.resource_type == ResourceType::LlmCall,
        Metric::LlmTokens => event.resource_type.is_tokens(),
        Metric::ToolCalls => event.resource_type == ResourceType::ApiCall,
        Metric::McpCalls => event.resource_type == ResourceType::McpCall,
    };
    counts.then_some(event.quantity)
}

/// The window of `per` an instant falls in: its start and end.
pub fn window(per: Window, at: &DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let length = match per {
        Window::Minute => Duration::minutes(1),
        Window::Hour => Duration::hours(1),
        Window::Day => Duration::days(1),
    };
    let start = at.duration_trunc(length).expect("whole minutes, hours and days truncate");
    (start, start + length)
}

/// A rate limit an event counts towards, with its window.
pub struct Counted {
    limit: RateLimit,
    window: (DateTime<Utc>, DateTime<Utc>),
}

/// Adds the event to the counter of each of the employee's rate limits it counts towards,
/// in the event's own transaction (so a redelivered event counts once).
pub(super) fn count_rates(tx: &mut repo::Transaction, event: &UsageEvent, limits: &Limits) -> Vec<Counted> {
    let mut counted = Vec::new();
    for limit in &limits.rate_limits {
        let Some(amount) = amount_of(event, limit.metric) else { continue };
        let window = window(limit.per, &event.period_start);
        let key = (event.org_id, event.employee_id, limit.metric, limit.per, &window.0);
        repo::usage::count_rate(tx, key, amount, &window.1);
        counted.push(Counted { limit: *limit, window });
    }
    counted
}

/// Records, once per window, each rate limit the counters now exceed: a marker in the
/// employee's partition (their bundle and `agentctl status` show it), a
/// `rate_limit.exceeded` activity entry and a new version of their sync set.
pub(super) async fn check_rates(state: &AppState, event: &UsageEvent, counted: Vec<Counted>) -> Result<()> {
    let (org, employee) = (event.org_id, event.employee_id);
    for Counted { limit, window } in counted {
        let key = (org, employee, limit.metric, limit.per, &window.0);
        let (count, breached) = repo::usage::rate_count(&state.repo, key).await?;
        if count <= limit.max || breached {
            continue;
        }
        let now = crate::time::now();
        let mut tx = state.repo.transaction();
        let breach = repo::usage::RateBreach {
            metric: limit.metric,
            per: limit.per,
            max: limit.max,
            count,
            window_start: window.0,
            window_end: window.1,
        };
        repo::usage::mark_rate_exceeded(&mut tx, key, &breach);
        repo::syncsets::Change::new(repo::syncsets::Scope::Employee(org, employee)).apply(&mut tx, &now);
        let payload = json!({
            "employee_id": employee, "metric": limit.metric, "per": limit.per, "max": limit.max, "count": count,
            "window_start": window.0, "window_end": window.1,
        });
        crate::domain::log(state, &mut tx, org, By::PLATFORM, EventType::RateLimitExceeded, payload)?;
        match crate::domain::notify::commit(state, tx).await {
            Ok(()) | Err(StoreError::ConditionFailed(repo::Guard::RateLimitRecorded)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_whole_minutes_hours_and_days() {
        let at: DateTime<Utc> = "2026-11-30T14:37:12.5Z".parse().unwrap();
        let text = |(start, end): (DateTime<Utc>, DateTime<Utc>)| (start.to_rfc3339(), end.to_rfc3339());
        assert_eq!(
            text(window(Window::Minute, &at)),
            ("2026-11-30T14:37:00+00:00".into(), "2026-11-30T14:38:00+00:00".into())
        );
        assert_eq!(
            text(window(Window::Hour, &at)),
            ("2026-11-30T14:00:00+00:00".into(), "2026-11-30T15:00:00+00:00".into())
        );
        assert_eq!(
            text(window(Window::Day, &at)),
            ("2026-11-30T00:00:00+00:00".into(), "2026-12-01T00:00:00+00:00".into())
        );
    }
}
