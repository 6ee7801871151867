//! Usage events: the wire format (version 1) and its validation.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::Result;
use crate::ids::{AgentConfigId, EmployeeId, OrgId};
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

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ResourceType {
    LlmTokensInput,
    LlmTokensOutput,
    LlmCall,
    ApiCall,
    McpCall,
}

impl ResourceType {
    pub(super) fn is_tokens(self) -> bool {
        matches!(self, Self::LlmTokensInput | Self::LlmTokensOutput)
    }
}

/// A usage event as sent (format version 1). In `POST /v1/usage`, `org_id` and
/// `employee_id` default to the caller's.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUsageEvent {
    /// Format version: 1.
    pub v: u32,
    /// The producer's id: counted once per organization however often it is delivered.
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,128}$", min_length = 1, max_length = 128)]
    pub event_id: String,
    pub org_id: Option<OrgId>,
    pub employee_id: Option<EmployeeId>,
    pub agent_config_id: Option<AgentConfigId>,
    pub resource_type: ResourceType,
    /// Tokens or calls, at most 10^12.
    #[schema(maximum = 1_000_000_000_000_u64)]
    pub quantity: u64,
    /// A plain decimal string (`digits[.digits]`), at most 1000000 and at most 10 decimal
    /// places, e.g. `"0.0036"`.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", example = "0.0036")]
    pub cost_usd: String,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub metadata: Option<Value>,
}

/// A valid usage event (the seed's usage_records row).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UsageEvent {
    pub event_id: String,
    pub org_id: OrgId,
    pub employee_id: EmployeeId,
    pub agent_config_id: Option<AgentConfigId>,
    pub resource_type: ResourceType,
    pub quantity: u64,
    #[schema(value_type = String)]
    pub cost_usd: Usd,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub metadata: Value,
}

impl NewUsageEvent {
    /// Validates the event; `defaults` fill an absent org and employee (HTTP callers).
    pub fn validate(self, defaults: Option<(OrgId, EmployeeId)>, now: &DateTime<Utc>) -> Result<UsageEvent> {
        let mut v = Validator::new();
        if self.v != FORMAT_VERSION {
            v.error("v", format!("format version {} is unknown (this is version {FORMAT_VERSION})", self.v));
        }
        let event_id = v.check("event_id", self.event_id, event_id);
        let org_id = self.org_id.or(defaults.map(|d| d.0));
        let employee_id = self.employee_id.or(defaults.map(|d| d.1));
        if org_id.is_none() {
            v.error("org_id", "is required");
        }
        if employee_id.is_none() {
            v.error("employee_id", "is required");
        }
        let cost = v.check("cost_usd", self.cost_usd, cost);
        if self.quantity > MAX_QUANTITY {
            v.error("quantity", format!("must be at most {MAX_QUANTITY}"));
        }
        if self.period_end < self.period_start {
            v.error("period_end", "must not be before period_start");
        }
        if self.period_start > *now + Duration::minutes(FUTURE_SKEW_MINUTES) {
            v.error("period_start", "is in the future");
        } else if self.period_start < *now - Duration::days(MAX_AGE_DAYS) {
            v.error("period_start", format!("is more than {MAX_AGE_DAYS} days ago"));
        }
        let metadata = v.check(
            "metadata",
            self.metadata.unwrap_or_else(|| json!({})),
            crate::validate::json_object(METADATA_MAX_BYTES),
        );
        v.finish(|| {
            Some(UsageEvent {
                event_id: event_id?,
                org_id: org_id?,
                employee_id: employee_id?,
                agent_config_id: self.agent_config_id,
                resource_type: self.resource_type,
                quantity: self.quantity,
                cost_usd: cost?,
                period_start: self.period_start,
                period_end: self.period_end,
                metadata: metadata?,
            })
        })
    }
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
        let event = new_event().validate(None, &Utc::now()).unwrap();
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
        let errors = fields(bad.validate(None, &Utc::now()).unwrap_err());
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
        let valid = event.validate(Some((org, employee)), &Utc::now()).unwrap();
        assert_eq!((valid.org_id, valid.employee_id), (org, employee));
    }
}
