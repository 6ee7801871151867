//! The current subscription: PK `ORG#o`, SK `SUB#CURRENT`. Money attributes are
//! DynamoDB Numbers written and read through [`money`], never through f64.

use super::Guard;
use crate::Name;
use serde::{Deserialize, Serialize};

use super::money;
use super::{Expr, Item, Repository, StoreError, Transaction, from_item, to_item, with_key};
use crate::ids::OrgId;
use crate::keys;
use crate::time::Timestamp;
use agentctl_wire::money::Usd;
use agentctl_wire::subscriptions::Plan;
use agentctl_wire::subscriptions::{Subscription, SubscriptionStatus};

const BUDGET: &str = "monthly_budget_usd";
const SPENDING: &str = "current_spending_usd";
const ALERTED: &str = "budget_alerted";

/// Records `threshold` as crossed, if the period and the recorded threshold are still
/// those read (else [`Guard::BudgetThresholdMoved`]).
pub fn raise_threshold(tx: &mut Transaction, read: &Subscription, threshold: u8, now: &Timestamp) {
    let update = Expr::set(vec![(ALERTED, super::n(threshold)), ("updated_at", super::ts(now))]);
    let recorded = if read.budget_threshold_pct == 0 {
        "(attribute_not_exists(budget_alerted) OR budget_alerted = :recorded)"
    } else {
        "budget_alerted = :recorded"
    };
    let condition = Expr::new(format!("billing_period_start = :period AND {recorded}"))
        .value(":period", super::ts(&read.billing_period_start))
        .value(":recorded", super::n(read.budget_threshold_pct));
    tx.update(&keys::subscription(read.org_id), update, Some(condition), Guard::BudgetThresholdMoved);
}

/// Everything but the money.
#[derive(Serialize, Deserialize)]
struct SubscriptionRecord {
    id: crate::ids::SubscriptionId,
    org_id: OrgId,
    plan_type: Plan,
    billing_period_start: Timestamp,
    billing_period_end: Timestamp,
    status: SubscriptionStatus,
    /// The budget threshold recorded in this period (absent: none).
    #[serde(default)]
    budget_alerted: u8,
    created_at: Timestamp,
    updated_at: Timestamp,
}

fn item(sub: &Subscription) -> Result<Item, StoreError> {
    let record = SubscriptionRecord {
        id: sub.id,
        org_id: sub.org_id,
        plan_type: sub.plan_type,
        billing_period_start: sub.billing_period_start,
        billing_period_end: sub.billing_period_end,
        status: sub.status,
        budget_alerted: sub.budget_threshold_pct,
        created_at: sub.created_at,
        updated_at: sub.updated_at,
    };
    let mut item = with_key(to_item(&record)?, &keys::subscription(sub.org_id), "subscription");
    item.insert(BUDGET.into(), money::to_attr(sub.monthly_budget_usd));
    item.insert(SPENDING.into(), money::to_attr(sub.current_spending_usd));
    Ok(item)
}

pub fn parse(item: Item) -> Result<Subscription, StoreError> {
    let budget = money::from_item(&item, BUDGET)?;
    let spending = money::from_item(&item, SPENDING)?;
    let r: SubscriptionRecord = from_item(item)?;
    Ok(Subscription {
        id: r.id,
        org_id: r.org_id,
        plan_type: r.plan_type,
        usage_pct: spending.percent_of(budget),
        over_budget: !budget.is_zero() && spending >= budget,
        budget_threshold_pct: r.budget_alerted,
        budget_state: agentctl_wire::subscriptions::BudgetState::of(r.budget_alerted),
        monthly_budget_usd: budget,
        current_spending_usd: spending,
        billing_period_start: r.billing_period_start,
        billing_period_end: r.billing_period_end,
        status: r.status,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

pub fn create(tx: &mut Transaction, sub: &Subscription) -> Result<(), StoreError> {
    tx.put_new(item(sub)?, Guard::SubscriptionExists);
    Ok(())
}

pub async fn get(repo: &Repository, org: OrgId) -> Result<Option<Subscription>, StoreError> {
    repo.get(&keys::subscription(org)).await?.map(parse).transpose()
}

/// Sets the monthly budget (and the recorded threshold that goes with it), if the budget
/// is still the one read (else [`Guard::BudgetChanged`]): two admins raising it at once must
/// not lose one raise.
pub fn set_budget(tx: &mut Transaction, read: &Subscription, budget: Usd, threshold: u8, now: &Timestamp) {
    let update = Expr::set(vec![
        (BUDGET, money::to_attr(budget)),
        (ALERTED, super::n(threshold)),
        ("updated_at", super::ts(now)),
    ]);
    let condition = Expr::new("#read_budget = :read_budget")
        .name("#read_budget", BUDGET)
        .value(":read_budget", money::to_attr(read.monthly_budget_usd));
    tx.update(&keys::subscription(read.org_id), update, Some(condition), Guard::BudgetChanged);
}

pub fn set_plan(tx: &mut Transaction, org: OrgId, plan: Plan, now: &Timestamp) {
    let update = Expr::set(vec![("plan_type", super::s(plan.as_str())), ("updated_at", super::ts(now))]);
    tx.update(&keys::subscription(org), update, Some(Expr::new("attribute_exists(PK)")), Guard::Subscription);
}
