//! Usage rollups: per dimension and period, kept with `ADD` by every event, read by the
//! analytics; and the spending of the current and closed billing periods.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::super::{Expr, Guard, Item, QuerySpec, Repository, StoreError, Transaction, n, s, ts, with_key};
use crate::ids::OrgId;
use crate::keys::{self, Key};
use crate::pagination::{Page, PageRequest};
use crate::repo::money;
use crate::time::Timestamp;
use agentctl_wire::money::Usd;
use agentctl_wire::usage::UsageTotals;

fn rollup_key(org: OrgId, (dimension, granularity, period, id): (Dimension, Granularity, &str, &str)) -> Key {
    keys::rollup(org, dimension.as_str(), granularity.as_str(), period, id)
}

/// A whole rollup item (what benchmark loads write; the processor adds with
/// [`add_to_rollup`]).
#[cfg(feature = "bulk-load")]
pub fn rollup_item(org: OrgId, rollup: (Dimension, Granularity, &str, &str), totals: &UsageTotals) -> Item {
    let (dimension, granularity, period, id) = rollup;
    let key = rollup_key(org, rollup);
    let mut item = Item::from([
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
    if let Some(rank) = rank_pk(org, dimension, granularity, period) {
        item.extend([(keys::GSI3PK.to_string(), s(rank)), (keys::GSI3SK.to_string(), money::to_attr(totals.cost_usd))]);
    }
    with_key(item, &key, "rollup")
}

/// The ranking (GSI3) partition of a rollup, for the month rollups of the dimensions
/// whose ids grow with the organization (people, their configurations): their top
/// spenders are one Query of the top N, not a read of every id.
fn rank_pk(org: OrgId, dimension: Dimension, granularity: Granularity, period: &str) -> Option<String> {
    let ranked = matches!(dimension, Dimension::Employee | Dimension::AgentConfig);
    (ranked && granularity == Granularity::Month).then(|| keys::rollup_rank_pk(org, dimension.as_str(), period))
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
    let mut set = vec![
        ("dimension", s(dimension.as_str())),
        ("granularity", s(granularity.as_str())),
        ("period", s(period)),
        ("id", s(id)),
    ];
    let rank = rank_pk(org, dimension, granularity, period);
    let ranked = rank.is_some();
    set.extend(rank.map(|rank| (keys::GSI3PK, s(rank))));
    let mut update = Expr::set(set)
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
    if ranked {
        // The ranking key is the cost, added to alike (both start at zero).
        update = update.then(", #rank_cost :cost").name("#rank_cost", keys::GSI3SK);
    }
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

/// One page of a ranked dimension's month rollups, highest spend first (GSI3; `None` for
/// a dimension that is not ranked).
pub async fn ranked(
    repo: &Repository,
    org: OrgId,
    dimension: Dimension,
    month: &str,
    page: &PageRequest,
) -> Result<Option<Page<Rollup>>, StoreError> {
    let Some(rank) = rank_pk(org, dimension, Granularity::Month, month) else {
        return Ok(None);
    };
    let found = repo.query(QuerySpec::ranked(rank), page).await?;
    Ok(Some(found.try_map(|item| parse_rollup(&item))?))
}

/// The query of one dimension's rollups of one granularity from `from` to `to`
/// (periods as `yyyy-mm-dd` or `yyyy-mm`, inclusive).
fn rollups_spec(org: OrgId, dimension: Dimension, granularity: Granularity, from: &str, to: &str) -> QuerySpec {
    let g = granularity.as_str();
    let (low, high) = keys::rollup_sk_range(g, from, to);
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

/// What a rollup aggregates over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Org,
    Team,
    Employee,
    /// The catalog agent (Claude Code, Cursor, ...).
    Agent,
    /// The employee's agent configuration.
    AgentConfig,
    ResourceType,
    /// The tool that reported it (`claude-code`, `codex`, `gemini-cli` from their
    /// telemetry; `other` for any other producer).
    Tool,
    /// The LLM model, where the event names one.
    Model,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Granularity {
    Day,
    Month,
}

/// One rollup item, read.
#[derive(Clone, Debug)]
pub struct Rollup {
    pub id: String,
    pub period: String,
    pub totals: UsageTotals,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Org => "ORG",
            Self::Team => "TEAM",
            Self::Employee => "EMP",
            Self::Agent => "AGENT",
            Self::AgentConfig => "CFG",
            Self::ResourceType => "RES",
            Self::Tool => "TOOL",
            Self::Model => "MODEL",
        }
    }
}

impl Granularity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Month => "month",
        }
    }

    pub fn period(self, at: &DateTime<Utc>) -> String {
        match self {
            Self::Day => at.format("%Y-%m-%d").to_string(),
            Self::Month => at.format("%Y-%m").to_string(),
        }
    }
}
