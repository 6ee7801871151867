//! Usage storage.
//!
//! - event guard `ORG#o#USAGEEVT#<event id>` / `EVENT`: put only if absent, in the same
//!   transaction as everything an event changes (exactly-once effect under redelivery);
//!   TTL 60 days, well past SQS's 14-day retention.
//! - rejection guard `ORG#o#USAGEREJ#<sha256 of the message>` / `REJECTED` (TTL 60 days).
//! - usage record `ORG#o#USAGE#<yyyy-mm-dd>` / `<period_start>#<event id>` (TTL none).
//! - rollups `ORG#o#ROLLUP#<DIM>` / `<day|month>#<period>#<id>`, DIM one of `ORG`, `TEAM`,
//!   `EMP`, `AGENT` (catalog agent), `CFG` (agent configuration), `RES` (resource type):
//!   `cost`, `quantity`, `events`, `tokens`, `calls`, all kept with `ADD`. One partition
//!   per dimension: a month's team analytics is one Query of O(teams) items, a date range
//!   one Query of O(teams x days); writes spread over six partitions.
//! - spending of a closed billing period `ORG#o` / `SUB#<yyyy-mm>` (`spending`, ADD).

use super::Guard;
use chrono::Duration;

use super::money;
use super::{Item, QuerySpec, Repository, StoreError, Transaction, n, s, to_item, ts, with_key};
use crate::ids::OrgId;
use crate::keys::{self, Key};
use crate::pagination::{Page, PageRequest};
use crate::time::{Timestamp, sortable};
use agentctl_wire::money::Usd;
use agentctl_wire::usage::UsageEvent;

mod limits;
mod rollups;

pub use limits::*;
pub use rollups::*;

const GUARD_TTL_DAYS: i64 = 60;

fn record_key(event: &UsageEvent) -> Key {
    let day = event.period_start.format("%Y-%m-%d").to_string();
    keys::usage_record(event.org_id, &day, &sortable(&event.period_start), &event.event_id)
}

/// Guards the record of a rejected message (by the hash of its body): fails with
/// [`Guard::UsageDuplicate`] when it was recorded before.
pub fn guard_rejection(tx: &mut Transaction, org: OrgId, body_hash: &str, now: &Timestamp) {
    let key = keys::usage_rejection_guard(org, body_hash);
    let expires = *now + Duration::days(GUARD_TTL_DAYS);
    let guard = Item::from([(keys::TTL.to_string(), n(expires.timestamp()))]);
    tx.put_new(with_key(guard, &key, "usage_rejection_guard"), Guard::UsageDuplicate);
}

/// The guard and the record of an event (the guard fails the transaction with
/// [`Guard::UsageDuplicate`] when the event was processed before).
pub fn record(tx: &mut Transaction, event: &UsageEvent, now: &Timestamp) -> Result<(), StoreError> {
    let expires = *now + Duration::days(GUARD_TTL_DAYS);
    let guard = Item::from([("processed_at".to_string(), ts(now)), (keys::TTL.to_string(), n(expires.timestamp()))]);
    tx.put_new(
        with_key(guard, &keys::usage_event_guard(event.org_id, &event.event_id), "usage_guard"),
        Guard::UsageDuplicate,
    );
    tx.put(record_item(event)?);
    Ok(())
}

/// One page of an organization's usage records of a day (`yyyy-mm-dd`), in time order.
pub async fn records_page(
    repo: &Repository,
    org: OrgId,
    day: &str,
    page: &PageRequest,
) -> Result<Page<UsageEvent>, StoreError> {
    let spec = QuerySpec { sk_prefix: None, ..QuerySpec::table(keys::usage_day_pk(org, day), "") };
    repo.query(spec, page).await?.try_map(|mut item| {
        // The cost is a Number: read from its exact text, not through f64.
        let cost = money::from_item(&item, "cost_usd")?;
        item.insert("cost_usd".into(), s(cost.to_string()));
        super::from_item(item)
    })
}

/// The usage record item of an event (also what bulk loads write).
pub fn record_item(event: &UsageEvent) -> Result<Item, StoreError> {
    let mut item = with_key(to_item(event)?, &record_key(event), "usage_record");
    item.insert("cost_usd".into(), money::to_attr(event.cost_usd));
    Ok(item)
}

/// What applying a usage event needs, read with one BatchGetItem.
pub struct EventInputs {
    /// The event was applied already (its guard exists).
    pub duplicate: bool,
    /// The employee's spend cap was recorded as reached in the event's month.
    pub cap_recorded: bool,
    /// What approved requests raised the employee's spend cap by in the event's month.
    pub cap_raise: Usd,
    pub organization_exists: bool,
    pub employee: Option<agentctl_wire::employees::Employee>,
    /// The agent configuration the event names: `None` when it names none, `Some(None)`
    /// when it names one the employee does not have.
    pub config: Option<Option<agentctl_wire::configs::AgentConfig>>,
    pub subscription: Option<agentctl_wire::subscriptions::Subscription>,
}

/// Reads the organization, the employee, their named configuration, the subscription,
/// the event guard and the month's spend-cap marker and raise in one BatchGetItem.
pub async fn event_inputs(repo: &Repository, event: &UsageEvent) -> Result<EventInputs, StoreError> {
    let (org, employee) = (event.org_id, event.employee_id);
    let organization = keys::organization(org);
    let employee_key = keys::employee(org, employee);
    let subscription = keys::subscription(org);
    let guard = keys::usage_event_guard(org, &event.event_id);
    let month = Granularity::Month.period(&event.period_start);
    let cap = keys::spend_cap_marker(org, employee, &month);
    let raise = keys::spend_cap_raise(org, employee, &month);
    let config = event.agent_config_id.map(|c| keys::agent_config(org, employee, c));
    let mut read = vec![
        organization.clone(),
        employee_key.clone(),
        subscription.clone(),
        guard.clone(),
        cap.clone(),
        raise.clone(),
    ];
    read.extend(config.clone());
    let items = repo.batch_get(&read).await?;
    let found = |key: &Key| super::by_key(&items, key).cloned();
    Ok(EventInputs {
        duplicate: found(&guard).is_some(),
        cap_recorded: found(&cap).is_some(),
        cap_raise: found(&raise).map(|item| parse_cap_raise(&item)).transpose()?.unwrap_or(Usd::ZERO),
        organization_exists: found(&organization).is_some(),
        employee: found(&employee_key).map(super::from_item).transpose()?,
        config: config.map(|key| found(&key).map(super::from_item).transpose()).transpose()?,
        subscription: found(&subscription).map(super::subscriptions::parse).transpose()?,
    })
}
