//! What the usage limits keep: spend caps reached and raised, rate-limit counters and
//! the breaches they recorded.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;

use super::super::{Expr, Guard, Item, Repository, StoreError, Transaction, n, s, ts, with_key};
use crate::Name;
use crate::ids::OrgId;
use crate::keys::{self, Key};
use crate::repo::money;
use crate::time::{Timestamp, sortable};
use agentctl_wire::money::Usd;
use agentctl_wire::policy::{Metric, Window};

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
pub type RateBreach = agentctl_wire::bundle::RateLimitExceeded;

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
