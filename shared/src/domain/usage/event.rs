//! Usage events: the wire format (version 1) and its validation.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde_json::json;

use super::{NewUsageEvent, UsageEvent};
use crate::error::Result;
use crate::ids::{EmployeeId, OrgId};
use crate::money::Usd;
use crate::validate::Validator;

pub const FORMAT_VERSION: u32 = 1;
const EVENT_ID_MAX: usize = 128;
const MAX_COST: i64 = 1_000_000;
/// Decimal places of an event's cost, kept exactly through records, rollups and spending.
pub const COST_MAX_SCALE: u32 = 10;
const MAX_QUANTITY: u64 = 1_000_000_000_000;
const METADATA_MAX_BYTES: usize = 4096;
/// How far ahead of the processor's clock a usage period may start (clock skew).
const FUTURE_SKEW_MINUTES: i64 = 15;
/// The oldest usage accepted (a year of closed periods, and then some).
const MAX_AGE_DAYS: i64 = 400;

/// Validates an event; `defaults` fill an absent org and employee (HTTP callers).
pub fn validate(new: NewUsageEvent, defaults: Option<(OrgId, EmployeeId)>, now: &DateTime<Utc>) -> Result<UsageEvent> {
    let mut v = Validator::new();
    if new.v != FORMAT_VERSION {
        v.error("v", format!("format version {} is unknown (this is version {FORMAT_VERSION})", new.v));
    }
    let event_id = v.check("event_id", new.event_id, event_id);
    let org_id = new.org_id.or(defaults.map(|d| d.0));
    let employee_id = new.employee_id.or(defaults.map(|d| d.1));
    if org_id.is_none() {
        v.error("org_id", "is required");
    }
    if employee_id.is_none() {
        v.error("employee_id", "is required");
    }
    let cost = v.check("cost_usd", new.cost_usd, cost);
    if new.quantity > MAX_QUANTITY {
        v.error("quantity", format!("must be at most {MAX_QUANTITY}"));
    }
    if new.period_end < new.period_start {
        v.error("period_end", "must not be before period_start");
    }
    if new.period_start > *now + Duration::minutes(FUTURE_SKEW_MINUTES) {
        v.error("period_start", "is in the future");
    } else if new.period_start < *now - Duration::days(MAX_AGE_DAYS) {
        v.error("period_start", format!("is more than {MAX_AGE_DAYS} days ago"));
    }
    let metadata = v.check(
        "metadata",
        new.metadata.unwrap_or_else(|| json!({})),
        crate::validate::json_object(METADATA_MAX_BYTES),
    );
    v.finish(|| {
        Some(UsageEvent {
            event_id: event_id?,
            org_id: org_id?,
            employee_id: employee_id?,
            agent_config_id: new.agent_config_id,
            resource_type: new.resource_type,
            quantity: new.quantity,
            cost_usd: cost?,
            period_start: new.period_start,
            period_end: new.period_end,
            metadata: metadata?,
        })
    })
}

fn event_id(raw: String) -> Result<String, String> {
    let ok = !raw.is_empty()
        && raw.len() <= EVENT_ID_MAX
        && raw.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'));
    if ok { Ok(raw) } else { Err(format!("must be 1 to {EVENT_ID_MAX} characters of A-Z a-z 0-9 . _ : -")) }
}

fn cost(raw: String) -> Result<Usd, String> {
    let amount = Usd::parse(&raw)?;
    if amount.places() > COST_MAX_SCALE {
        return Err(format!("must have at most {COST_MAX_SCALE} decimal places"));
    }
    if amount.amount() > Decimal::from(MAX_COST) {
        return Err(format!("must be at most {MAX_COST}"));
    }
    Ok(amount.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::usage::UsageTotals;
    use crate::error::Error;

    fn new_event() -> NewUsageEvent {
        serde_json::from_value(json!({
            "v": 1, "event_id": "gw-1", "org_id": OrgId::new(), "employee_id": EmployeeId::new(),
            "resource_type": "llm_tokens_input", "quantity": 1200, "cost_usd": "0.0036",
            "period_start": "2026-11-25T10:00:00Z", "period_end": "2026-11-25T10:01:00Z"
        }))
        .unwrap()
    }

    fn fields(e: Error) -> Vec<String> {
        match e {
            Error::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn valid_events_keep_their_exact_cost() {
        let event = validate(new_event(), None, &Utc::now()).unwrap();
        assert_eq!(event.cost_usd.to_string(), "0.0036");
        assert_eq!(UsageTotals::of(&event).tokens, 1200);
    }

    #[test]
    fn invalid_events_name_every_bad_field() {
        let mut bad = new_event();
        bad.v = 2;
        bad.event_id = "has space".into();
        bad.cost_usd = "0.12345678901".into();
        bad.org_id = None;
        bad.period_end = bad.period_start - Duration::seconds(1);
        let errors = fields(validate(bad, None, &Utc::now()).unwrap_err());
        assert_eq!(errors, ["v", "event_id", "org_id", "cost_usd", "period_end"]);
        for raw in ["-1", "1e3", "", "abc", "2000000", "1_000", " 5 ", "+5", ".5"] {
            assert!(cost(raw.into()).is_err(), "{raw}");
        }
    }

    #[test]
    fn costs_below_a_micro_dollar_are_kept_exactly() {
        assert_eq!(cost("0.0000000375".into()).unwrap().to_string(), "0.0000000375");
        assert_eq!(cost("0.12345678900000".into()).unwrap().to_string(), "0.123456789", "trailing zeros");
    }

    #[test]
    fn the_published_limits_are_the_enforced_ones() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(NewUsageEvent::schema()).unwrap();
        assert_eq!(schema["properties"]["cost_usd"]["pattern"], crate::money::PLAIN_PATTERN);
        assert_eq!(schema["properties"]["event_id"]["maxLength"], EVENT_ID_MAX);
        assert_eq!(schema["properties"]["quantity"]["maximum"], MAX_QUANTITY);
        let cost_doc = schema["properties"]["cost_usd"]["description"].as_str().unwrap();
        assert!(cost_doc.contains(&format!("{COST_MAX_SCALE} decimal")) && cost_doc.contains(&MAX_COST.to_string()));
    }

    #[test]
    fn callers_fill_in_org_and_employee() {
        let mut event = new_event();
        event.org_id = None;
        event.employee_id = None;
        let (org, employee) = (OrgId::new(), EmployeeId::new());
        let valid = validate(event, Some((org, employee)), &Utc::now()).unwrap();
        assert_eq!((valid.org_id, valid.employee_id), (org, employee));
    }
}
