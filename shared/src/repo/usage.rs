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
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;

use super::{Expr, Item, QuerySpec, Repository, StoreError, Transaction, n, s, to_item, ts, with_key};
use crate::Name;
use crate::domain::usage::{Dimension, Granularity, Rollup, UsageEvent, UsageTotals};
use crate::ids::OrgId;
use crate::keys::{self, Key};
use crate::money::{self, Usd};
use crate::pagination::{Page, PageRequest};
use crate::policy::rules::{Metric, Window};
use crate::time::{Timestamp, sortable};

const GUARD_TTL_DAYS: i64 = 60;

fn record_key(event: &UsageEvent) -> Key {
    let day = event.period_start.format("%Y-%m-%d").to_string();
    keys::usage_record(event.org_id, &day, &sortable(&event.period_start), &event.event_id)
}

fn rollup_key(org: OrgId, (dimension, granularity, period, id): (Dimension, Granularity, &str, &str)) -> Key {
    keys::rollup(org, dimension.as_str(), granularity.as_str(), period, id)
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
    let spec = QuerySpec { sk_prefix: None, ..QuerySpec::table(format!("{}#USAGE#{day}", keys::org_pk(org)), "") };
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

/// A whole rollup item (what benchmark loads write; the processor adds with
/// [`add_to_rollup`]).
#[cfg(feature = "bulk-load")]
pub fn rollup_item(org: OrgId, rollup: (Dimension, Granularity, &str, &str), totals: &UsageTotals) -> Item {
    let (dimension, granularity, period, id) = rollup;
    let key = rollup_key(org, rollup);
    let item = Item::from([
        ("dimension".to_string(), s(dimension.as_str())),
        ("granularity".to_string(), s(granularity.as_str())),
        ("period".to_string(), s(period)),
        ("id".to_string(), s(id)),
        ("cost".to_string(), money::to_attr(totals.cost_usd)),
        ("quantity".to_string(), n(totals.quantity)),
        ("events".to_string(), n(totals.events)),
        ("tokens".to_string(), n(totals.tokens)),
        ("calls".to_string(), n(totals.calls)),
    ]);
    with_key(item, &key, "rollup")
}

/// Adds an event to one rollup (created on first use).
pub fn add_to_rollup(
    tx: &mut Transaction,
    org: OrgId,
    rollup: (Dimension, Granularity, &str, &str),
    totals: &UsageTotals,
) {
    let (dimension, granularity, period, id) = rollup;
    let key = rollup_key(org, rollup);
    let update = Expr::set(vec![
        ("dimension", s(dimension.as_str())),
        ("granularity", s(granularity.as_str())),
        ("period", s(period)),
        ("id", s(id)),
    ])
    .then("ADD #cost :cost, #quantity :quantity, #events :events, #tokens :tokens, #calls :calls")
    .name("#cost", "cost")
    .name("#quantity", "quantity")
    .name("#events", "events")
    .name("#tokens", "tokens")
    .name("#calls", "calls")
    .value(":cost", money::to_attr(totals.cost_usd))
    .value(":quantity", n(totals.quantity))
    .value(":events", n(totals.events))
    .value(":tokens", n(totals.tokens))
    .value(":calls", n(totals.calls));
    tx.update(&key, update, None, Guard::Rollup);
}

/// Adds to the current period's spending, if the subscription is still in the period
/// that starts at `period_start` (else [`Guard::BillingPeriodMoved`]).
pub fn add_to_current(tx: &mut Transaction, org: OrgId, period_start: &Timestamp, cost: Usd) {
    let update = Expr::new("ADD current_spending_usd :cost").value(":cost", money::to_attr(cost));
    let condition = Expr::new("billing_period_start = :period").value(":period", ts(period_start));
    tx.update(&keys::subscription(org), update, Some(condition), Guard::BillingPeriodMoved);
}

fn closed_key(org: OrgId, period_start: &Timestamp) -> Key {
    keys::closed_period(org, &period_start.format("%Y-%m").to_string())
}

/// Adds to the spending of a closed billing period (a late event).
pub fn add_to_closed(tx: &mut Transaction, org: OrgId, period: (&Timestamp, &Timestamp), cost: Usd) {
    let update = Expr::set(vec![("billing_period_start", ts(period.0)), ("billing_period_end", ts(period.1))])
        .then("ADD spending :cost")
        .value(":cost", money::to_attr(cost));
    tx.update(&closed_key(org, period.0), update, None, Guard::ClosedPeriod);
}

/// Closes the current period (`current` and `spending` as read, else [`Guard::BillingPeriodMoved`])
/// and opens `next` with `cost` spent: the rollover, done by the first event of a period.
pub fn roll_over(
    tx: &mut Transaction,
    org: OrgId,
    current: (&Timestamp, &Timestamp, Usd),
    next: (&Timestamp, &Timestamp),
    cost: Usd,
) {
    let (start, end, spending) = current;
    let closed = Item::from([
        ("billing_period_start".to_string(), ts(start)),
        ("billing_period_end".to_string(), ts(end)),
        ("spending".to_string(), money::to_attr(spending)),
    ]);
    tx.put_new(with_key(closed, &closed_key(org, start), "closed_period"), Guard::BillingPeriodMoved);
    let update = Expr::set(vec![
        ("billing_period_start", ts(next.0)),
        ("billing_period_end", ts(next.1)),
        ("current_spending_usd", money::to_attr(cost)),
    ])
    .then("REMOVE budget_alerted");
    let condition = Expr::new("billing_period_start = :period AND current_spending_usd = :spending")
        .value(":period", ts(start))
        .value(":spending", money::to_attr(spending));
    tx.update(&keys::subscription(org), update, Some(condition), Guard::BillingPeriodMoved);
}

/// Marks an employee's spend cap reached in a billing period (`yyyy-mm`), once; the
/// marker expires `keep` after it was written.
pub fn mark_cap_reached(
    tx: &mut Transaction,
    org: OrgId,
    employee: crate::ids::EmployeeId,
    period: &str,
    keep: Duration,
    now: &Timestamp,
) {
    let key = keys::spend_cap_marker(org, employee, period);
    let item = Item::from([("reached_at".to_string(), ts(now)), (keys::TTL.to_string(), n((*now + keep).timestamp()))]);
    tx.put_new(with_key(item, &key, "spend_cap_marker"), Guard::SpendCapRecorded);
}

/// Raises an employee's spend cap for a billing period (`yyyy-mm`) by `amount` and takes
/// back the period's "reached" marker: the processor decides again against the new cap.
pub fn raise_cap(
    tx: &mut Transaction,
    org: OrgId,
    employee: crate::ids::EmployeeId,
    period: &str,
    amount: Usd,
    keep: Duration,
    now: &Timestamp,
) {
    let key = keys::spend_cap_raise(org, employee, period);
    let update = Expr::new("ADD raised_usd :amount SET #entity = :entity, #ttl = :ttl")
        .name("#entity", keys::ENTITY)
        .name("#ttl", keys::TTL)
        .value(":amount", money::to_attr(amount))
        .value(":entity", s("spend_cap_raise"))
        .value(":ttl", n((*now + keep).timestamp()));
    tx.update(&key, update, None, Guard::SpendCapRaised);
    tx.delete(&keys::spend_cap_marker(org, employee, period), None, Guard::SpendCapRecorded);
}

/// The raise of an employee's spend cap in a period, as read (`Usd::ZERO`: none).
pub fn cap_raise_unchanged(
    tx: &mut Transaction,
    org: OrgId,
    employee: crate::ids::EmployeeId,
    period: &str,
    read: Usd,
) {
    let condition = if read.is_zero() {
        Expr::new("attribute_not_exists(raised_usd)")
    } else {
        Expr::new("raised_usd = :read").value(":read", money::to_attr(read))
    };
    tx.check(&keys::spend_cap_raise(org, employee, period), condition, Guard::SpendCapRaised);
}

/// What approved requests raised an employee's spend cap by in a period.
pub async fn cap_raise(
    repo: &Repository,
    org: OrgId,
    employee: crate::ids::EmployeeId,
    period: &str,
) -> Result<Usd, StoreError> {
    let item = repo.get(&keys::spend_cap_raise(org, employee, period)).await?;
    Ok(item.as_ref().map(parse_cap_raise).transpose()?.unwrap_or(Usd::ZERO))
}

/// What a spend cap raise item holds.
pub fn parse_cap_raise(item: &Item) -> Result<Usd, StoreError> {
    money::from_item(item, "raised_usd")
}

/// A rate counter: organization, employee, metric, window length, window start.
pub type RateKey<'a> = (OrgId, crate::ids::EmployeeId, Metric, Window, &'a Timestamp);

fn rate_key((org, employee, metric, per, start): RateKey) -> Key {
    keys::rate_counter(org, employee, metric.as_str(), per.as_str(), &sortable(start))
}

/// Adds `amount` to a rate counter, kept a day past its window.
pub fn count_rate(tx: &mut Transaction, key: RateKey, amount: u64, window_end: &Timestamp) {
    let update = Expr::new("ADD #count :amount SET #ttl = :ttl")
        .name("#count", "count")
        .name("#ttl", keys::TTL)
        .value(":amount", n(amount))
        .value(":ttl", n((*window_end + Duration::days(1)).timestamp()));
    tx.update(&rate_key(key), update, None, Guard::Rollup);
}

/// A rate counter (consistent read): its count, and whether a breach of its window is
/// recorded (the events that follow a breach then try no second one).
pub async fn rate_count(repo: &Repository, key: RateKey<'_>) -> Result<(u64, bool), StoreError> {
    let item = repo.get(&rate_key(key)).await?;
    let count = item.as_ref().and_then(|i| i.get("count")).and_then(|v| v.as_n().ok());
    let breached = item.as_ref().and_then(|i| i.get("breached")).and_then(|v| v.as_bool().ok()).copied();
    Ok((count.and_then(|c| c.parse().ok()).unwrap_or(0), breached.unwrap_or(false)))
}

/// How long after its window a breach stays in the employee's bundle.
pub const RATE_BREACH_DAYS: i64 = 1;

/// A rate limit breach as recorded in the employee's partition.
pub type RateBreach = crate::domain::sync::RateLimitExceeded;

/// Records a breach unless one of this window (or a later one) is recorded already, and
/// flags the window's counter.
pub fn mark_rate_exceeded(tx: &mut Transaction, counter: RateKey, breach: &RateBreach) {
    let (org, employee) = (counter.0, counter.1);
    let flag = Expr::set(vec![("breached", AttributeValue::Bool(true))]);
    tx.update(&rate_key(counter), flag, None, Guard::Rollup);
    let key = keys::rate_breach(org, employee, breach.metric.as_str(), breach.per.as_str());
    let update = Expr::set(vec![
        (keys::ENTITY, s("rate_breach")),
        ("metric", s(breach.metric.as_str())),
        ("per", s(breach.per.as_str())),
        ("max", n(breach.max)),
        ("count", n(breach.count)),
        ("window_start", ts(&breach.window_start)),
        ("window_end", ts(&breach.window_end)),
        (keys::TTL, n((breach.window_end + Duration::days(RATE_BREACH_DAYS)).timestamp())),
    ]);
    let condition = Expr::new("attribute_not_exists(window_start) OR window_start < :start")
        .value(":start", ts(&breach.window_start));
    tx.update(&key, update, Some(condition), Guard::RateLimitRecorded);
}

/// One employee's month rollup, if any.
pub async fn employee_month(
    repo: &Repository,
    org: OrgId,
    employee: crate::ids::EmployeeId,
    period: &str,
) -> Result<Option<Rollup>, StoreError> {
    let key = rollup_key(org, (Dimension::Employee, Granularity::Month, period, &employee.to_string()));
    repo.get(&key).await?.as_ref().map(parse_rollup).transpose()
}

/// The query of one dimension's rollups of one granularity from `from` to `to`
/// (periods as `yyyy-mm-dd` or `yyyy-mm`, inclusive).
fn rollups_spec(org: OrgId, dimension: Dimension, granularity: Granularity, from: &str, to: &str) -> QuerySpec {
    let g = granularity.as_str();
    let (low, high) = (keys::rollup_sk(g, from, ""), format!("{}~", keys::rollup_sk(g, to, "")));
    QuerySpec::table(keys::rollup_pk(org, dimension.as_str()), "").between(low, high, false)
}

pub fn parse_rollup(item: &Item) -> Result<Rollup, StoreError> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
    let number = |name: &str| match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse::<u64>().map_err(|_| StoreError::Corrupt(format!("rollup {name}"))),
        _ => Ok(0),
    };
    Ok(Rollup {
        id: text("id"),
        period: text("period"),
        totals: UsageTotals {
            cost_usd: money::from_item(item, "cost")?,
            quantity: number("quantity")?,
            events: number("events")?,
            tokens: number("tokens")?,
            calls: number("calls")?,
        },
    })
}

/// Every rollup a query returns (bounded by the caller: O(ids x periods)).
/// Every rollup of one dimension and granularity whose period lies in `from..=to`
/// (periods as the granularity writes them: `yyyy-mm` or `yyyy-mm-dd`).
pub async fn rollups(
    repo: &Repository,
    org: OrgId,
    dimension: Dimension,
    granularity: Granularity,
    (from, to): (&str, &str),
) -> Result<Vec<Rollup>, StoreError> {
    repo.query_all(rollups_spec(org, dimension, granularity, from, to)).await?.iter().map(parse_rollup).collect()
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
    pub employee: Option<crate::domain::employees::Employee>,
    /// The agent configuration the event names: `None` when it names none, `Some(None)`
    /// when it names one the employee does not have.
    pub config: Option<Option<crate::domain::configs::AgentConfig>>,
    pub subscription: Option<crate::domain::subscriptions::Subscription>,
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
