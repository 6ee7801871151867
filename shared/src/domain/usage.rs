//! Usage events: what producers report (LLM tokens, calls), format version 1, and how the
//! usage processor applies them — the record, the rollups and the subscription's spending
//! in one transaction guarded by the event id.
//!
//! The event (JSON, on the usage queue or in `POST /v1/usage`):
//!
//! ```json
//! { "v": 1, "event_id": "gw-7f3a-000123", "org_id": "…", "employee_id": "…",
//!   "agent_config_id": "…", "resource_type": "llm_tokens_input", "quantity": 1200,
//!   "cost_usd": "0.0036", "period_start": "2026-11-25T10:00:00Z",
//!   "period_end": "2026-11-25T10:01:00Z", "metadata": { "model": "claude-sonnet-4-5" } }
//! ```
//!
//! - `event_id`: the producer's id, 1-128 characters `[A-Za-z0-9._:-]`; an event id is
//!   counted once per organization, however often it is delivered.
//! - `cost_usd`: a plain decimal **string** (`digits[.digits]`), 0 to 1,000,000, at most
//!   10 decimal places (a few tokens of a cheap model cost less than a micro-dollar).
//! - `quantity`: a whole number (tokens or calls), at most 10^12.
//! - `agent_config_id`: optional; the employee's agent configuration the usage came from.
//! - The event belongs to the billing period (calendar month, UTC) of `period_start`,
//!   which may be at most 15 minutes ahead and 400 days behind the processor's clock.
//!
//! An event that can never succeed (malformed, unknown organization, employee or
//! configuration) is **rejected**: logged, recorded as a `usage.rejected` activity entry
//! when its organization exists, and moved to the dead-letter queue with its reason —
//! not retried. Anything else that fails (throttling) is retried by the queue.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::AppState;
use crate::activity::{ActivityEntry, Actor, EventType};
use crate::domain::employees::Employee;
use crate::domain::subscriptions::{Subscription, THRESHOLDS, billing_period};
use crate::error::{Error, Result};
use crate::ids::{EmployeeId, OrgId, TeamId};
use crate::repo::{self, StoreError};
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
/// How many times a changing billing period is re-read before the message is retried.
const PERIOD_ATTEMPTS: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    LlmTokensInput,
    LlmTokensOutput,
    LlmCall,
    ApiCall,
    McpCall,
}

impl ResourceType {
    pub const ALL: [ResourceType; 5] =
        [Self::LlmTokensInput, Self::LlmTokensOutput, Self::LlmCall, Self::ApiCall, Self::McpCall];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LlmTokensInput => "llm_tokens_input",
            Self::LlmTokensOutput => "llm_tokens_output",
            Self::LlmCall => "llm_call",
            Self::ApiCall => "api_call",
            Self::McpCall => "mcp_call",
        }
    }

    fn is_tokens(self) -> bool {
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
    #[schema(value_type = Option<String>, format = Uuid)]
    pub agent_config_id: Option<Uuid>,
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
    #[schema(value_type = Option<String>, format = Uuid)]
    pub agent_config_id: Option<Uuid>,
    pub resource_type: ResourceType,
    pub quantity: u64,
    #[schema(value_type = String)]
    pub cost_usd: Decimal,
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

fn cost(raw: String) -> Result<Decimal, String> {
    let amount = crate::money::parse_plain(&raw)?;
    if amount.normalize().scale() > COST_MAX_SCALE {
        return Err(format!("must have at most {COST_MAX_SCALE} decimal places"));
    }
    if amount > Decimal::from(MAX_COST) {
        return Err(format!("must be at most {MAX_COST}"));
    }
    Ok(amount.normalize())
}

/// What one event adds to a rollup.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UsageTotals {
    #[schema(value_type = String)]
    pub cost_usd: Decimal,
    pub quantity: u64,
    pub events: u64,
    /// LLM tokens (input and output).
    pub tokens: u64,
    /// LLM, API and MCP calls.
    pub calls: u64,
}

impl UsageTotals {
    pub fn of(event: &UsageEvent) -> Self {
        let kind = event.resource_type;
        Self {
            cost_usd: event.cost_usd,
            quantity: event.quantity,
            events: 1,
            tokens: if kind.is_tokens() { event.quantity } else { 0 },
            calls: if kind.is_tokens() { 0 } else { event.quantity },
        }
    }

    pub fn add(&mut self, other: &UsageTotals) {
        self.cost_usd += other.cost_usd;
        self.quantity += other.quantity;
        self.events += other.events;
        self.tokens += other.tokens;
        self.calls += other.calls;
    }
}

/// `POST /v1/usage`: up to 100 events.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageBatch {
    pub events: Vec<NewUsageEvent>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    /// Events queued for processing (each counted once per event id).
    pub accepted: usize,
    pub event_ids: Vec<String>,
}

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
        if new.employee_id.is_some_and(|e| e != caller.employee_id) {
            caller.require(crate::roles::Permission::UsageWrite)?;
        }
        match new.validate(Some((caller.org_id, caller.employee_id)), &now) {
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

/// Puts valid events on the usage queue, 10 per SendMessageBatch. A failure fails the
/// whole call: retrying it is safe, events count once per event id.
pub async fn enqueue(state: &AppState, events: &[UsageEvent]) -> Result<()> {
    let url = state.config.usage_queue_url.as_deref().ok_or_else(|| Error::internal("USAGE_QUEUE_URL is not set"))?;
    for chunk in events.chunks(10) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, event)| {
                aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(wire(event).to_string())
                    .build()
                    .map_err(Error::internal)
            })
            .collect::<Result<Vec<_>>>()?;
        let out = state
            .sqs
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| Error::Unavailable(e.into()))?;
        if !out.failed.is_empty() {
            return Err(Error::Unavailable(format!("{} events could not be queued; retry", out.failed.len()).into()));
        }
    }
    Ok(())
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
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Granularity {
    Day,
    Month,
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

/// One rollup item, read.
#[derive(Clone, Debug)]
pub struct Rollup {
    pub id: String,
    pub period: String,
    pub totals: UsageTotals,
}

/// The rollups (dimension, id) an event counts in: the organization, the employee,
/// their team, the resource type, and the agent and agent configuration it came from.
pub fn attribution(event: &UsageEvent, team: Option<TeamId>, agent: Option<(Uuid, Uuid)>) -> Vec<(Dimension, String)> {
    let mut rollups = vec![
        (Dimension::Org, "all".to_string()),
        (Dimension::Employee, event.employee_id.to_string()),
        (Dimension::ResourceType, event.resource_type.as_str().to_string()),
    ];
    rollups.extend(team.map(|t| (Dimension::Team, t.to_string())));
    if let Some((agent, config)) = agent {
        rollups.push((Dimension::Agent, agent.to_string()));
        rollups.push((Dimension::AgentConfig, config.to_string()));
    }
    rollups
}

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
        Ok(new) => match new.clone().validate(None, &crate::time::now()) {
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
    let org = event.org_id;
    let inputs = repo::usage::event_inputs(&state.repo, event).await?;
    // A redelivery is recognised by the read (a failed transaction costs its writes too);
    // the guard in the transaction covers two deliveries racing each other.
    if inputs.duplicate {
        return Ok(Outcome::Duplicate);
    }
    let cap_recorded = inputs.cap_recorded;
    let month = Granularity::Month.period(&event.period_start);
    if !inputs.organization_exists {
        return Ok(Outcome::Rejected("unknown organization".into()));
    }
    let Some(employee) = inputs.employee else {
        return Ok(Outcome::Rejected("unknown employee".into()));
    };
    let config = match inputs.config {
        Some(None) => return Ok(Outcome::Rejected("unknown agent configuration of this employee".into())),
        Some(config) => config,
        None => None,
    };
    let Some(mut subscription) = inputs.subscription else {
        return Ok(Outcome::Rejected("the organization has no subscription".into()));
    };
    let totals = UsageTotals::of(event);
    let rollups = attribution(event, employee.team_id, config.as_ref().map(|c| (c.agent_id, c.id)));
    let now = crate::time::now();
    let (period_start, period_end) = billing_period(&event.period_start);
    for attempt in 1..=PERIOD_ATTEMPTS {
        let mut tx = state.repo.transaction();
        repo::usage::record(&mut tx, event, &now)?;
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
            repo::usage::add_to_current(&mut tx, org, &current, &event.cost_usd);
            may_cross = thresholds_left(subscription.budget_threshold_pct);
        } else if period_start < current {
            repo::usage::add_to_closed(&mut tx, org, (&period_start, &period_end), &event.cost_usd);
        } else {
            let read = (&current, &subscription.billing_period_end, &subscription.current_spending_usd);
            repo::usage::roll_over(&mut tx, org, read, (&period_start, &period_end), &event.cost_usd);
            may_cross = thresholds_left(0);
        }
        match state.repo.transact(tx).await {
            Ok(()) => {
                // The spending is read again once committed (with concurrent events, "read
                // + this event" would underestimate it): every crossing is then seen by the
                // event that completes it.
                if may_cross {
                    let fresh = current_subscription(state, org).await?;
                    crate::domain::subscriptions::record_thresholds(state, org, fresh).await?;
                }
                if period_start >= current && !cap_recorded {
                    check_spend_cap(state, &employee, &month).await?;
                }
                return Ok(Outcome::Applied);
            }
            Err(StoreError::ConditionFailed(repo::usage::DUPLICATE)) => return Ok(Outcome::Duplicate),
            Err(StoreError::ConditionFailed(repo::usage::PERIOD_MOVED)) if attempt < PERIOD_ATTEMPTS => {
                subscription = current_subscription(state, org).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Unavailable("the billing period kept changing; retry".into()))
}

/// Employees' monthly spend caps, resolved from their policies at most once a minute per
/// process (caps change rarely, and resolving one costs a Query and a BatchGetItem), and
/// only in organizations that have a spend cap policy at all (checked at most once a
/// minute with one BatchGetItem of the two scope sets). Held by the [`AppState`].
#[derive(Clone)]
pub struct SpendCapCache(moka::sync::Cache<CapKey, Option<Decimal>>);

/// An employee's cap, or (no employee) whether their organization has any.
type CapKey = (OrgId, Option<EmployeeId>);
const SPEND_CAP_TTL: std::time::Duration = std::time::Duration::from_secs(60);
/// Bounds the cache's memory (a processor sees a few organizations' employees).
const SPEND_CAP_ENTRIES: u64 = 100_000;
/// How long a spend cap marker is kept (past its month, so the month's bundles see it).
const SPEND_CAP_MARKER_DAYS: i64 = 40;

impl Default for SpendCapCache {
    fn default() -> Self {
        Self(moka::sync::Cache::builder().time_to_live(SPEND_CAP_TTL).max_capacity(SPEND_CAP_ENTRIES).build())
    }
}

async fn org_has_spend_caps(state: &AppState, org: OrgId) -> Result<bool> {
    if let Some(any) = state.spend_caps.0.get(&(org, None)) {
        return Ok(any.is_some());
    }
    let scopes = [repo::syncsets::Scope::Org(org), repo::syncsets::Scope::Catalog];
    let items = state.repo.batch_get(&scopes.map(repo::syncsets::Scope::key)).await?;
    let mut any = false;
    for scope in scopes {
        let set = repo::syncsets::find(&items, scope)?;
        any |= set.policies.values().any(|p| p.policy_type == crate::policy::PolicyType::SpendCap);
    }
    state.spend_caps.0.insert((org, None), any.then_some(Decimal::ZERO));
    Ok(any)
}

async fn spend_cap(state: &AppState, employee: &Employee) -> Result<Option<Decimal>> {
    let key = (employee.org_id, Some(employee.id));
    if let Some(cap) = state.spend_caps.0.get(&key) {
        return Ok(cap);
    }
    if !org_has_spend_caps(state, employee.org_id).await? {
        return Ok(None);
    }
    let subject = crate::domain::policies::subject_of(state, employee).await?;
    let cap = subject.resolve(None)?.effective.spend_cap_usd.map(|limit| limit.value);
    state.spend_caps.0.insert(key, cap);
    Ok(cap)
}

/// Records (once a month) that an employee's spending reached their spend cap: an
/// activity entry, a marker in their partition (their sync bundle reports it) and a new
/// version of their sync set.
async fn check_spend_cap(state: &AppState, employee: &Employee, period: &str) -> Result<()> {
    let Some(cap) = spend_cap(state, employee).await? else { return Ok(()) };
    let (org, id) = (employee.org_id, employee.id);
    let spent = repo::usage::employee_month(&state.repo, org, id, period).await?.map(|r| r.totals.cost_usd);
    let Some(spent) = spent.filter(|spent| *spent >= cap) else { return Ok(()) };
    let now = crate::time::now();
    let mut tx = state.repo.transaction();
    repo::usage::mark_cap_reached(&mut tx, org, id, period, Duration::days(SPEND_CAP_MARKER_DAYS), &now);
    repo::syncsets::Change::new(repo::syncsets::Scope::Employee(org, id)).apply(&mut tx, &now);
    let payload = json!({ "employee_id": id, "spend_cap_usd": cap, "spent_usd": spent, "period": period });
    let entry = ActivityEntry::by(org, Actor::Platform, None, EventType::SpendCapReached, payload);
    repo::activity::record(&mut tx, &entry, state.config.activity_retention_days)?;
    match state.repo.transact(tx).await {
        Ok(()) | Err(StoreError::ConditionFailed(repo::usage::CAP_RECORDED)) => Ok(()),
        Err(e) => Err(e.into()),
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
    let org = field("org_id").and_then(|o| o.parse::<Uuid>().ok()).map(OrgId);
    if let Some(org) = org
        && repo::organizations::get(&state.repo, org).await?.is_some()
    {
        let event_id = field("event_id").unwrap_or_default();
        let payload = json!({ "event_id": event_id, "reason": reason });
        let entry = ActivityEntry::by(org, Actor::Platform, None, EventType::UsageRejected, payload);
        let mut tx = state.repo.transaction();
        // One entry per rejected message, however often it is delivered: a guard keyed by
        // the message's hash goes in with it.
        repo::usage::guard_rejection(&mut tx, org, &crate::auth::digest(body), &entry.created_at);
        repo::activity::record(&mut tx, &entry, state.config.activity_retention_days)?;
        match state.repo.transact(tx).await {
            Ok(()) | Err(StoreError::ConditionFailed(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let Some(dlq) = state.config.usage_dlq_url.as_deref() else {
        return Err(Error::internal("USAGE_DLQ_URL is not set"));
    };
    let reason_attribute = aws_sdk_sqs::types::MessageAttributeValue::builder()
        .data_type("String")
        .string_value(reason.chars().take(1000).collect::<String>())
        .build()
        .map_err(Error::internal)?;
    state
        .sqs
        .send_message()
        .queue_url(dlq)
        .message_body(body)
        .message_attributes("rejection_reason", reason_attribute)
        .send()
        .await
        .map_err(|e| Error::Unavailable(e.into()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_event() -> NewUsageEvent {
        serde_json::from_value(json!({
            "v": 1, "event_id": "gw-1", "org_id": Uuid::now_v7(), "employee_id": Uuid::now_v7(),
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
        let (org, employee) = (OrgId(Uuid::now_v7()), EmployeeId(Uuid::now_v7()));
        let valid = event.validate(Some((org, employee)), &Utc::now()).unwrap();
        assert_eq!((valid.org_id, valid.employee_id), (org, employee));
    }
}
