//! `POST /v1/usage`: validated batches put on the usage queue.

use serde_json::{Value, json};

use super::*;
use crate::AppState;
use crate::error::{Error, Result};
use crate::queue::Queue;

const BATCH_MAX: usize = 100;

/// Validates a batch (every event: the caller's organization; another employee's usage
/// only with `usage:write`) and queues it for the usage processor.
pub async fn submit(state: &AppState, caller: &crate::auth::Caller, batch: UsageBatch) -> Result<Accepted> {
    if batch.events.is_empty() || batch.events.len() > BATCH_MAX {
        return Err(Error::invalid("events", format!("must hold 1 to {BATCH_MAX} events")));
    }
    let now = crate::time::now();
    let mut errors = Vec::new();
    let mut events = Vec::new();
    for (i, new) in batch.events.into_iter().enumerate() {
        let at = |field: &str| format!("events[{i}].{field}");
        if new.org_id.is_some_and(|org| org != caller.org_id) {
            errors
                .push(crate::validate::FieldError { field: at("org_id"), message: "must be your organization".into() });
            continue;
        }
        let reserved = [crate::domain::telemetry::PRICING_KEY, crate::domain::telemetry::SERIES_KEY];
        if let Some(key) = reserved.into_iter().find(|k| new.metadata.as_ref().is_some_and(|m| m.get(k).is_some())) {
            let message = "is reserved for usage from OpenTelemetry".into();
            errors.push(crate::validate::FieldError { field: at(&format!("metadata.{key}")), message });
            continue;
        }
        if new.employee_id.is_some_and(|e| e != caller.employee_id) {
            caller.require(crate::roles::Permission::UsageWrite)?;
        }
        match validate(new, Some((caller.org_id, caller.employee_id)), &now) {
            Ok(event) => events.push(event),
            Err(Error::Validation(found)) => errors.extend(
                found.into_iter().map(|e| crate::validate::FieldError { field: at(&e.field), message: e.message }),
            ),
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    enqueue(state, &events).await?;
    Ok(Accepted { accepted: events.len(), event_ids: events.into_iter().map(|e| e.event_id).collect() })
}

/// Puts valid events on the usage queue. A failure fails the whole call: retrying it is
/// safe, events count once per event id.
pub async fn enqueue(state: &AppState, events: &[UsageEvent]) -> Result<()> {
    let bodies = events.iter().map(|event| wire(event).to_string()).collect();
    Ok(state.queues.send_all(Queue::Usage, bodies).await?)
}

/// The queue message of a valid event (format version 1).
fn wire(event: &UsageEvent) -> Value {
    json!({
        "v": FORMAT_VERSION,
        "event_id": event.event_id,
        "org_id": event.org_id,
        "employee_id": event.employee_id,
        "agent_config_id": event.agent_config_id,
        "resource_type": event.resource_type,
        "quantity": event.quantity,
        "cost_usd": event.cost_usd.to_string(),
        "period_start": event.period_start,
        "period_end": event.period_end,
        "metadata": event.metadata,
    })
}
