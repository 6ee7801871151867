//! Keys of usage: event guards, records by day, rollups, the spending of billing
//! periods, price tables, telemetry tokens and series, spend caps and rate limits.

use super::*;
use crate::ids::{EmployeeId, OrgId};

/// Guard of a usage event: put only if absent (exactly-once per organization and id).
pub fn usage_event_guard(org: OrgId, event_id: &str) -> Key {
    Key::new(format!("{}#USAGEEVT#{event_id}", org_pk(org)), "EVENT")
}

/// Guard of a rejected usage message, by the hash of its body.
pub fn usage_rejection_guard(org: OrgId, body_hash: &str) -> Key {
    Key::new(format!("{}#USAGEREJ#{body_hash}", org_pk(org)), "REJECTED")
}

/// A usage record: its day's partition, sorted by period start and event id.
pub fn usage_record(org: OrgId, day: &str, period_start_sortable: &str, event_id: &str) -> Key {
    Key::new(usage_day_pk(org, day), format!("{period_start_sortable}#{event_id}"))
}

/// The partition of an organization's usage records of a day (`yyyy-mm-dd`).
pub fn usage_day_pk(org: OrgId, day: &str) -> String {
    format!("{}#USAGE#{day}", org_pk(org))
}

/// The organization's price table in force (model prices for token-only usage).
pub fn price_table(org: OrgId) -> Key {
    Key::new(org_pk(org), "PRICES#CURRENT")
}

/// Every saved version of the price table, by zero-padded version number.
pub fn price_table_version(org: OrgId, version: u32) -> Key {
    Key::new(format!("{}#PRICES", org_pk(org)), format!("V#{version:010}"))
}

/// A telemetry token, by its hash.
pub fn telemetry_token(token_hash: &str) -> Key {
    Key::new(format!("TELTOKEN#{token_hash}"), "TELTOKEN")
}

/// The telemetry tokens issued within a session (ended with it), by session id.
pub fn session_telemetry_tokens(session: SessionId) -> Key {
    Key::new(format!("TELSESSION#{session}"), "TELTOKENS")
}

/// Where a cumulative telemetry series stands (its last value), by the series' hash.
pub fn telemetry_series(org: OrgId, series: &str) -> Key {
    Key::new(format!("{}#OTELSERIES#{series}", org_pk(org)), "SERIES")
}

/// The partition of one dimension's rollups (`ORG`, `TEAM`, `EMP`, `AGENT`, `CFG`, `RES`).
pub fn rollup_pk(org: OrgId, dimension: &str) -> String {
    format!("{}#ROLLUP#{dimension}", org_pk(org))
}

/// GSI3 partition ranking the month rollups of one dimension by spend.
pub fn rollup_rank_pk(org: OrgId, dimension: &str, month: &str) -> String {
    format!("{}#RANK#{dimension}#{month}", org_pk(org))
}

/// The sort key of a rollup: `<day|month>#<period>#<id>`.
pub fn rollup_sk(granularity: &str, period: &str, id: &str) -> String {
    format!("{granularity}#{period}#{id}")
}

/// The sort keys of every rollup of one granularity from period `from` to `to`, inclusive.
pub fn rollup_sk_range(granularity: &str, from: &str, to: &str) -> (String, String) {
    (rollup_sk(granularity, from, ""), format!("{}~", rollup_sk(granularity, to, "")))
}

pub fn rollup(org: OrgId, dimension: &str, granularity: &str, period: &str, id: &str) -> Key {
    Key::new(rollup_pk(org, dimension), rollup_sk(granularity, period, id))
}

/// The spending of a closed billing period (`yyyy-mm`).
pub fn closed_period(org: OrgId, year_month: &str) -> Key {
    Key::new(org_pk(org), format!("SUB#{year_month}"))
}

/// Sorts after everything else of an employee's partition, so it never blocks deleting it.
pub const SPEND_CAP_PREFIX: &str = "~SPENDCAP#";

pub const SPEND_CAP_RAISE_PREFIX: &str = "~CAPRAISE#";

/// What approved requests raised an employee's spend cap by in a month.
pub fn spend_cap_raise(org: OrgId, employee: EmployeeId, year_month: &str) -> Key {
    Key::new(employee_partition(org, employee), format!("{SPEND_CAP_RAISE_PREFIX}{year_month}"))
}

/// A counter of one employee's usage of a metric in one window (rate limits): in a
/// partition of their own, not the one a sync reads.
pub fn rate_counter(org: OrgId, employee: EmployeeId, metric: &str, per: &str, window_start: &str) -> Key {
    Key::new(format!("ORG#{org}#RATE#{employee}"), format!("{metric}#{per}#{window_start}"))
}

pub const RATE_BREACH_PREFIX: &str = "~RATEBREACH#";

/// The latest window in which an employee's usage went past a rate limit.
pub fn rate_breach(org: OrgId, employee: EmployeeId, metric: &str, per: &str) -> Key {
    Key::new(employee_partition(org, employee), format!("{RATE_BREACH_PREFIX}{metric}#{per}"))
}
