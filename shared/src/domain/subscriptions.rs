//! The organization's subscription: plan, monthly budget and what has been spent in the
//! current billing period. Spending is server-owned (the usage pipeline adds to it).

use chrono::{Datelike, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::json;

use crate::AppState;
use crate::activity::EventType;
use crate::auth::{Caller, Principal};
use crate::domain::organizations::Plan;
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{OrgId, SubscriptionId};
use crate::money::{self, Usd};
use crate::repo::{self, StoreError, syncsets};
use crate::roles::Permission;
use crate::validate::Validator;
use chrono::DateTime;

pub use agentctl_wire::subscriptions::{BudgetState, BudgetUpdate, Subscription, SubscriptionStatus};

/// The budget thresholds that record an activity entry once per billing period.
pub const THRESHOLDS: [u8; 3] = [50, 80, 100];

/// The highest threshold `spending` reaches (0: none; a zero budget has none).
pub fn threshold_reached(spending: Usd, budget: Usd) -> u8 {
    if budget.is_zero() {
        return 0;
    }
    let (spending, budget) = (spending.amount(), budget.amount());
    let reached = |pct: &&u8| spending * Decimal::ONE_HUNDRED >= budget * Decimal::from(**pct);
    THRESHOLDS.iter().rev().find(reached).copied().unwrap_or(0)
}

/// The calendar month (UTC) that contains `at`: the billing period.
pub fn billing_period(at: &DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = Utc.with_ymd_and_hms(at.year(), at.month(), 1, 0, 0, 0).single().expect("first of month exists");
    let (y, m) = if at.month() == 12 { (at.year() + 1, 1) } else { (at.year(), at.month() + 1) };
    let end = Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().expect("first of month exists");
    (start, end)
}

/// A new subscription whose first billing period contains `now`.
pub fn open(org_id: OrgId, plan: Plan, budget: Usd, now: DateTime<Utc>) -> Subscription {
    let (start, end) = billing_period(&now);
    Subscription {
        id: SubscriptionId::new(),
        org_id,
        plan_type: plan,
        usage_pct: Usd::ZERO.percent_of(budget),
        over_budget: false,
        budget_threshold_pct: 0,
        budget_state: BudgetState::Ok,
        monthly_budget_usd: budget,
        current_spending_usd: Usd::ZERO,
        billing_period_start: start,
        billing_period_end: end,
        status: SubscriptionStatus::Active,
        created_at: now,
        updated_at: now,
    }
}

/// Parses a budget written as a plain decimal string ([`Usd::parse`]).
pub fn parse_budget(raw: String) -> Result<Usd, String> {
    money::check_budget(Usd::parse(&raw)?)
}

pub async fn get(state: &AppState, caller: &Caller) -> Result<Subscription> {
    caller.require(Permission::SubscriptionRead)?;
    repo::subscriptions::get(&state.repo, caller.org_id).await?.ok_or(Error::NotFound("subscription"))
}

/// Adds a new monthly budget to `tx` (conditional on the budget read in `before`), with
/// the organization's new sync version (bundles carry the budget state) and the activity.
pub(crate) fn stage_budget(
    state: &AppState,
    tx: &mut repo::Transaction,
    by: &Principal,
    before: &Subscription,
    budget: Usd,
) -> Result<()> {
    let now = crate::time::now();
    // Under the new budget the recorded threshold may be too high; raising it (with its
    // activity entries) is `record_thresholds`' work.
    let threshold = before.budget_threshold_pct.min(threshold_reached(before.current_spending_usd, budget));
    repo::subscriptions::set_budget(tx, before, budget, threshold, &now);
    syncsets::Change::new(syncsets::Scope::Org(before.org_id)).apply(tx, &now);
    let payload = json!({ "monthly_budget_usd": { "from": before.monthly_budget_usd, "to": budget } });
    crate::domain::log(state, tx, before.org_id, by, EventType::SubscriptionUpdated, payload).map(drop)
}

pub async fn update_budget(state: &AppState, caller: &Caller, update: BudgetUpdate) -> Result<Subscription> {
    caller.require(Permission::SubscriptionWrite)?;
    let mut v = Validator::new();
    let budget = v.check("monthly_budget_usd", update.monthly_budget_usd, parse_budget);
    let budget = v.finish(|| budget)?;
    let before = get(state, caller).await?;
    let mut tx = state.repo.transaction();
    stage_budget(state, &mut tx, &caller.principal(), &before, budget)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => {
            Error::conflict(ProblemCode::ConcurrentUpdate, "the budget changed while this request ran; retry")
        }
        e => e.into(),
    })?;
    record_thresholds(state, caller.org_id, get(state, caller).await?).await?;
    get(state, caller).await
}

/// Records the budget thresholds `subscription`'s spending has crossed and that are not
/// recorded yet in its period: one `budget.threshold_crossed` entry each, the new
/// threshold on the subscription, and a new sync version for the organization (bundles
/// carry the budget state). Concurrent recorders agree through a condition on the
/// threshold read; the loser re-reads and records only what is left.
pub async fn record_thresholds(state: &AppState, org: OrgId, mut subscription: Subscription) -> Result<()> {
    for _ in 0..3 {
        let reached = threshold_reached(subscription.current_spending_usd, subscription.monthly_budget_usd);
        let recorded = subscription.budget_threshold_pct;
        if reached <= recorded {
            return Ok(());
        }
        let now = crate::time::now();
        let mut tx = state.repo.transaction();
        repo::subscriptions::raise_threshold(&mut tx, &subscription, reached, &now);
        syncsets::Change::new(syncsets::Scope::Org(org)).apply(&mut tx, &now);
        for pct in THRESHOLDS.into_iter().filter(|t| (recorded + 1..=reached).contains(t)) {
            let payload = json!({
                "threshold_pct": pct,
                "monthly_budget_usd": subscription.monthly_budget_usd,
                "current_spending_usd": subscription.current_spending_usd,
                "billing_period_start": subscription.billing_period_start,
            });
            crate::domain::log(state, &mut tx, org, &Principal::Platform, EventType::BudgetThresholdCrossed, payload)?;
        }
        match crate::domain::notify::commit(state, tx).await {
            Ok(()) => return Ok(()),
            Err(StoreError::ConditionFailed(_)) => {
                subscription =
                    repo::subscriptions::get(&state.repo, org).await?.ok_or(Error::NotFound("subscription"))?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Unavailable("the budget threshold kept changing; retry".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(text: &str) -> Usd {
        Usd::parse(text).unwrap()
    }

    #[test]
    fn thresholds_are_exact() {
        let budget = usd("1000");
        let at = |s: &str| threshold_reached(usd(s), budget);
        assert_eq!(
            (at("499.999999"), at("500"), at("799.99"), at("800"), at("999.999999"), at("1000")),
            (0, 50, 50, 80, 80, 100)
        );
        assert_eq!(threshold_reached(usd("5"), Usd::ZERO), 0);
        assert_eq!(BudgetState::of(80), BudgetState::Warning);
    }

    #[test]
    fn billing_period_is_the_calendar_month() {
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        let (start, end) = billing_period(&at);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    }

    #[test]
    fn budgets_are_checked() {
        assert_eq!(parse_budget("100.50".into()).unwrap().to_string(), "100.5");
        assert!(parse_budget("-1".into()).is_err());
        assert!(parse_budget("1_000".into()).is_err());
        assert!(parse_budget("1.0000001".into()).is_err());
        assert!(money::check_budget(usd("2000000000")).is_err());
    }
}
