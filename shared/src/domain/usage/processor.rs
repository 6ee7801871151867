//! The usage processor: each message applied exactly once (record, rollups and
//! spending in one transaction), or rejected to the dead-letter queue.

use crate::activity::By;
use serde_json::{Value, json};

use super::limits::{check_rates, check_spend_cap, count_rates, limits_of};
use super::*;
use crate::AppState;
use crate::activity::EventType;
use crate::domain::prices::{self, TokenKind};
use crate::domain::subscriptions::{Subscription, THRESHOLDS, billing_period};
use crate::domain::telemetry::Directives;
use crate::error::{Error, Result};
use crate::ids::OrgId;
use crate::money::Usd;
use crate::repo::{self, StoreError};

/// How many times a changing billing period is re-read before the message is retried.
const PERIOD_ATTEMPTS: usize = 5;
/// How many times a cumulative series that moved meanwhile is re-read likewise.
const SERIES_ATTEMPTS: usize = 5;

/// What became of a message.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Processed before (a redelivery): nothing changed.
    Duplicate,
    /// Can never succeed: recorded and dead-lettered.
    Rejected(String),
}

/// The usage processor's handler of one queue message: an error means "retry it".
pub async fn handle_message(state: &AppState, body: &str) -> Result<()> {
    process_message(state, body).await.map(drop)
}

/// The usage processor's work for one queue message.
pub async fn process_message(state: &AppState, body: &str) -> Result<Outcome> {
    let outcome = match serde_json::from_str::<NewUsageEvent>(body) {
        Err(e) => Outcome::Rejected(format!("not a usage event: {e}")),
        Ok(new) => match validate(new.clone(), None, &crate::time::now()) {
            Err(Error::Validation(errors)) => {
                let reasons: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
                Outcome::Rejected(reasons.join("; "))
            }
            Err(e) => return Err(e),
            Ok(event) => apply(state, &event).await?,
        },
    };
    if let Outcome::Rejected(reason) = &outcome {
        reject(state, body, reason).await?;
    }
    Ok(outcome)
}

/// Applies a valid event: record, rollups and spending in one transaction.
pub async fn apply(state: &AppState, event: &UsageEvent) -> Result<Outcome> {
    for attempt in 0..SERIES_ATTEMPTS {
        if let Ok(outcome) = apply_once(state, event).await? {
            return Ok(outcome);
        }
        // Points of one series racing each other: a random wait spreads their next reads.
        let wait = rand::random_range(0..10u64 << attempt);
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    }
    Err(Error::Unavailable("the telemetry series kept moving; retry".into()))
}

/// Another point of the event's cumulative series was counted meanwhile: the event is
/// applied again over the new running total.
struct SeriesMoved;

async fn apply_once(state: &AppState, event: &UsageEvent) -> Result<Result<Outcome, SeriesMoved>> {
    let org = event.org_id;
    let directives = Directives::of(event);
    let mut event = event.clone();
    // A cumulative series counts what it gained since the total counted so far; a point
    // at or below it (a redelivery, or an older point arriving late) adds nothing.
    let mut series = None;
    if let Some(id) = &directives.series {
        let counted = repo::telemetry::counted(&state.repo, org, id).await?;
        if event.quantity <= counted {
            return Ok(Ok(Outcome::Duplicate));
        }
        series = Some((id.as_str(), (counted, event.quantity)));
        let total = event.quantity;
        set_metadata(&mut event, "running_total", json!(total));
        event.quantity -= counted;
    }
    if let Some((model, kind)) = &directives.priced {
        price(state, &mut event, model, *kind).await?;
    }
    let event = &event;
    let inputs = repo::usage::event_inputs(&state.repo, event).await?;
    // A redelivery is recognised by the read (a failed transaction costs its writes too);
    // the guard in the transaction covers two deliveries racing each other.
    if inputs.duplicate {
        return Ok(Ok(Outcome::Duplicate));
    }
    let (cap_recorded, cap_raise) = (inputs.cap_recorded, inputs.cap_raise);
    let month = Granularity::Month.period(&event.period_start);
    if !inputs.organization_exists {
        return Ok(Ok(Outcome::Rejected("unknown organization".into())));
    }
    let Some(employee) = inputs.employee else {
        return Ok(Ok(Outcome::Rejected("unknown employee".into())));
    };
    let config = match inputs.config {
        Some(None) => return Ok(Ok(Outcome::Rejected("unknown agent configuration of this employee".into()))),
        Some(config) => config,
        None => None,
    };
    let Some(mut subscription) = inputs.subscription else {
        return Ok(Ok(Outcome::Rejected("the organization has no subscription".into())));
    };
    let limits = limits_of(state, &employee).await?;
    let totals = UsageTotals::of(event);
    let rollups = attribution(event, employee.team_id, config.as_ref().map(|c| (c.agent_id, c.id)));
    let now = crate::time::now();
    let (period_start, period_end) = billing_period(&event.period_start);
    for attempt in 1..=PERIOD_ATTEMPTS {
        let mut tx = state.repo.transaction();
        repo::usage::record(&mut tx, event, &now)?;
        if let Some((id, moved)) = series {
            repo::telemetry::advance(&mut tx, org, id, moved, &now);
        }
        let counted = count_rates(&mut tx, event, &limits);
        for granularity in [Granularity::Day, Granularity::Month] {
            let period = granularity.period(&event.period_start);
            for (dimension, id) in &rollups {
                repo::usage::add_to_rollup(&mut tx, org, (*dimension, granularity, &period, id), &totals);
            }
        }
        let current = subscription.billing_period_start;
        // Whether the event may cross a budget threshold (it is in the current period, and
        // a budget with a threshold left to cross).
        let thresholds_left =
            |recorded: u8| !subscription.monthly_budget_usd.is_zero() && recorded < THRESHOLDS[THRESHOLDS.len() - 1];
        let mut may_cross = false;
        if period_start == current {
            repo::usage::add_to_current(&mut tx, org, &current, event.cost_usd);
            may_cross = thresholds_left(subscription.budget_threshold_pct);
        } else if period_start < current {
            repo::usage::add_to_closed(&mut tx, org, (&period_start, &period_end), event.cost_usd);
        } else {
            let read = (&current, &subscription.billing_period_end, subscription.current_spending_usd);
            repo::usage::roll_over(&mut tx, org, read, (&period_start, &period_end), event.cost_usd);
            may_cross = thresholds_left(0);
        }
        match crate::domain::notify::commit(state, tx).await {
            Ok(()) => {
                // The spending is read again once committed (with concurrent events, "read
                // + this event" would underestimate it): every crossing is then seen by the
                // event that completes it.
                if may_cross {
                    let fresh = current_subscription(state, org).await?;
                    crate::domain::subscriptions::record_thresholds(state, org, fresh).await?;
                }
                if let Some(cap) = limits.spend_cap.filter(|_| period_start >= current && !cap_recorded) {
                    check_spend_cap(state, &employee, cap, &month, cap_raise).await?;
                }
                check_rates(state, event, counted).await?;
                return Ok(Ok(Outcome::Applied));
            }
            Err(StoreError::ConditionFailed(repo::Guard::UsageDuplicate)) => return Ok(Ok(Outcome::Duplicate)),
            Err(StoreError::ConditionFailed(repo::Guard::TelemetrySeriesMoved)) => return Ok(Err(SeriesMoved)),
            Err(StoreError::ConditionFailed(repo::Guard::BillingPeriodMoved)) if attempt < PERIOD_ATTEMPTS => {
                subscription = current_subscription(state, org).await?;
            }
            // No retry can apply it: dead-lettered at once, not after every redelivery.
            Err(e @ StoreError::Refused(_)) => return Ok(Ok(Outcome::Rejected(e.to_string()))),
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Unavailable("the billing period kept changing; retry".into()))
}

/// Prices a token-only event from the organization's price table, and records the
/// version and unit price used (or that the model has no price: the cost stays 0).
async fn price(state: &AppState, event: &mut UsageEvent, model: &str, kind: TokenKind) -> Result<()> {
    let table = prices::in_force(state, event.org_id).await?;
    let recorded = match prices::price_of(&table, model) {
        Some(price) => {
            let (per_mtok, cost) = prices::cost(price, kind, event.quantity);
            event.cost_usd = Usd::new(cost.amount().round_dp(COST_MAX_SCALE).normalize());
            json!({ "version": table.version, "model": price.model, "usd_per_mtok": per_mtok })
        }
        None => json!({ "version": table.version, "model": null }),
    };
    set_metadata(event, "price", recorded);
    Ok(())
}

fn set_metadata(event: &mut UsageEvent, key: &str, value: Value) {
    if let Value::Object(metadata) = &mut event.metadata {
        metadata.insert(key.into(), value);
    }
}

async fn current_subscription(state: &AppState, org: OrgId) -> Result<Subscription> {
    repo::subscriptions::get(&state.repo, org).await?.ok_or(Error::NotFound("subscription"))
}

/// Records a rejected message: a log line, a `usage.rejected` activity entry (once per
/// event, when the organization exists) and the message on the dead-letter queue.
async fn reject(state: &AppState, body: &str, reason: &str) -> Result<()> {
    tracing::warn!(reason, "usage event rejected");
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let field = |name: &str| parsed.as_ref().and_then(|p| p.get(name)).and_then(Value::as_str).map(str::to_string);
    let org = field("org_id").and_then(|o| o.parse::<OrgId>().ok());
    if let Some(org) = org
        && repo::organizations::get(&state.repo, org).await?.is_some()
    {
        let event_id = field("event_id").unwrap_or_default();
        let payload = json!({ "event_id": event_id, "reason": reason });
        let mut tx = state.repo.transaction();
        // One entry per rejected message, however often it is delivered: a guard keyed by
        // the message's hash goes in with it.
        repo::usage::guard_rejection(&mut tx, org, &crate::auth::digest(body), &crate::time::now());
        crate::domain::log(state, &mut tx, org, By::PLATFORM, EventType::UsageRejected, payload)?;
        match crate::domain::notify::commit(state, tx).await {
            Ok(()) | Err(StoreError::ConditionFailed(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(state.queues.dead_letter(body, reason).await?)
}
