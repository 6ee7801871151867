//! Usage from the agent tools' own OpenTelemetry, sent over OTLP/HTTP (protobuf or JSON)
//! by each tool as `agentctl sync` wired it (docs/CLI.md), authenticated as the employee.
//!
//! What counts, per tool ([`readings`] holds the rules):
//!
//! - Claude Code: each `claude_code.api_request` log event is one request: an `llm_call`
//!   carrying the cost Claude Code computed, plus its input, cache and output tokens.
//!   Its `claude_code.cost.usage` and `claude_code.token.usage` metrics are counted too
//!   (for set-ups that export metrics only): a tool should export one or the other, as
//!   sync wires it (events only), or the same requests count twice.
//! - Codex: each `codex.sse_event` log event of kind `response.completed` is one request
//!   with token counts and no cost: the tokens are priced from the organization's price
//!   table ([`crate::domain::prices`]).
//! - Gemini CLI: the `gemini_cli.token.usage` metric, by token type, priced likewise.
//!   It is cumulative: each series (tool session, model, token type) is turned into
//!   deltas by the usage processor, exactly once per series (its running total is kept).
//!
//! Everything else a tool sends (other metrics and events, traces, resource attributes
//! such as Gemini CLI's `process.command_args`, which holds the prompt) is read past and
//! never stored: a usage record keeps the tool, model, token kind and the figures.
//! Each reading becomes a usage event whose id hashes the employee and the reading's
//! identity (the event's attributes and time, or the metric point's series and window),
//! so an export sent again counts once. Readings that cannot be counted (no time, a
//! negative value, too old) are answered as OTLP's partial success, not an error.

mod readings;
pub mod token;

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsPartialSuccess;
pub use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsPartialSuccess;
pub use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::auth::Caller;
use crate::domain::prices::TokenKind;
use crate::domain::usage::{self, NewUsageEvent, ResourceType, UsageEvent};
use crate::error::{Error, Result};
use crate::money::Usd;

pub use readings::Client;
pub use token::TelemetryToken;

/// Largest OTLP body accepted (Gemini CLI's log exports carry its system prompt).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Usage readings one export may carry.
const MAX_READINGS: usize = 2000;
/// Metadata keys of telemetry events the usage processor acts on; reserved elsewhere.
pub const PRICING_KEY: &str = "pricing";
pub const SERIES_KEY: &str = "series";

/// How an OTLP body is encoded (the response is encoded alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    pub const PROTOBUF: &'static str = "application/x-protobuf";

    /// From the request's media type (`Content-Type` without parameters, lowercase).
    pub fn of(media_type: &str) -> Result<Self> {
        match media_type {
            Self::PROTOBUF => Ok(Self::Protobuf),
            "application/json" => Ok(Self::Json),
            _ => Err(Error::UnsupportedMediaType("OTLP: application/x-protobuf or application/json")),
        }
    }

    /// Decodes a request body.
    pub fn decode<T: prost::Message + Default + serde::de::DeserializeOwned>(self, body: &[u8]) -> Result<T> {
        match self {
            Self::Protobuf => T::decode(body).map_err(|e| Error::BadRequest(format!("not an OTLP protobuf body: {e}"))),
            // Strictly, as every other body: an object (not an array filling it by
            // position), no duplicate keys.
            Self::Json => crate::strict_json::from_slice(body).map_err(|e| match e {
                Error::Validation(fields) => {
                    let why: Vec<String> = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
                    Error::BadRequest(format!("not OTLP JSON: {}", why.join("; ")))
                }
                Error::BadRequest(why) => Error::BadRequest(format!("not OTLP JSON: {why}")),
                e => e,
            }),
        }
    }
}

/// One usage figure read from telemetry, before it becomes a usage event.
#[derive(Debug, PartialEq)]
pub struct Reading {
    /// Unique per reading of an employee (hashed into the event id).
    pub identity: String,
    /// The data point or log record it was read from (its index in the export).
    pub item: usize,
    pub client: Client,
    pub resource: ResourceType,
    pub quantity: u64,
    /// The cost the tool reported (zero when it reports none).
    pub cost: Usd,
    pub model: String,
    pub token_kind: Option<TokenKind>,
    /// Priced from the organization's price table by the usage processor.
    pub priced: bool,
    /// A cumulative series: `quantity` is its running total.
    pub series: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What was read from one export: readings, and how many data points or log records
/// were refused and why (OTLP counts those, not readings).
#[derive(Debug, Default)]
pub struct Read {
    pub readings: Vec<Reading>,
    /// The data points or log records that gave readings.
    pub items: usize,
    pub rejected: i64,
    pub errors: Vec<String>,
}

impl Read {
    fn reject(&mut self, why: String) {
        self.rejected += 1;
        if self.errors.len() < 5 {
            self.errors.push(why);
        }
    }

    fn message(&self) -> String {
        self.errors.join("; ")
    }
}

/// `POST /v1/otlp/v1/metrics`.
pub async fn export_metrics(
    state: &AppState,
    caller: &Caller,
    request: ExportMetricsServiceRequest,
) -> Result<ExportMetricsServiceResponse> {
    let read = readings::from_metrics(&request);
    let read = count(state, caller, read).await?;
    Ok(ExportMetricsServiceResponse {
        partial_success: (read.rejected > 0).then(|| ExportMetricsPartialSuccess {
            rejected_data_points: read.rejected,
            error_message: read.message(),
        }),
    })
}

/// `POST /v1/otlp/v1/logs`.
pub async fn export_logs(
    state: &AppState,
    caller: &Caller,
    request: ExportLogsServiceRequest,
) -> Result<ExportLogsServiceResponse> {
    let read = readings::from_logs(&request);
    let read = count(state, caller, read).await?;
    Ok(ExportLogsServiceResponse {
        partial_success: (read.rejected > 0)
            .then(|| ExportLogsPartialSuccess { rejected_log_records: read.rejected, error_message: read.message() }),
    })
}

/// Turns readings into the caller's usage events and queues them; the organization may
/// have turned telemetry off, and then nothing counts.
async fn count(state: &AppState, caller: &Caller, mut read: Read) -> Result<Read> {
    if read.readings.is_empty() {
        return Ok(read);
    }
    if read.readings.len() > MAX_READINGS {
        return Err(Error::invalid("body", format!("at most {MAX_READINGS} usage readings per export")));
    }
    let org = crate::domain::organizations::get(state, caller.org_id).await?;
    if org.telemetry == crate::domain::organizations::Telemetry::Off {
        let errors = vec!["the organization has turned telemetry off".to_string()];
        return Ok(Read { rejected: read.items as i64, errors, ..Read::default() });
    }
    let now = crate::time::now();
    let mut valid = Vec::with_capacity(read.readings.len());
    let mut refused = std::collections::BTreeSet::new();
    for reading in std::mem::take(&mut read.readings) {
        match usage::validate(new_event(caller, &reading), None, &now) {
            Ok(event) => valid.push((reading.item, event)),
            Err(Error::Validation(errors)) if refused.insert(reading.item) => {
                let why: Vec<String> = errors.iter().map(|e| format!("{} {}", e.field, e.message)).collect();
                read.reject(format!("{} reading: {}", reading.client.as_str(), why.join(", ")));
            }
            Err(Error::Validation(_)) => {}
            Err(e) => return Err(e),
        }
    }
    // A data point or log record counts whole or not at all: none of the readings of a
    // refused one is queued.
    let events: Vec<UsageEvent> =
        valid.into_iter().filter(|(item, _)| !refused.contains(item)).map(|(_, event)| event).collect();
    usage::enqueue(state, &events).await?;
    Ok(read)
}

fn new_event(caller: &Caller, reading: &Reading) -> NewUsageEvent {
    let identity = format!("{}|{}", caller.employee_id, reading.identity);
    let mut metadata = Map::new();
    metadata.insert("source".into(), json!("otlp"));
    metadata.insert("client".into(), json!(reading.client.as_str()));
    metadata.insert("model".into(), json!(reading.model));
    if let Some(kind) = reading.token_kind {
        metadata.insert("token_type".into(), json!(kind.as_str()));
    }
    if reading.priced {
        metadata.insert(PRICING_KEY.into(), json!("table"));
    }
    if let Some(series) = &reading.series {
        let series = crate::auth::digest(&format!("{}|{series}", caller.employee_id));
        metadata.insert(SERIES_KEY.into(), json!(series[..40]));
    }
    NewUsageEvent {
        v: usage::FORMAT_VERSION,
        event_id: format!("otlp-{}", &crate::auth::digest(&identity)[..40]),
        org_id: Some(caller.org_id),
        employee_id: Some(caller.employee_id),
        agent_config_id: None,
        resource_type: reading.resource,
        quantity: reading.quantity,
        cost_usd: reading.cost.to_string(),
        period_start: reading.start,
        period_end: reading.end,
        metadata: Some(Value::Object(metadata)),
    }
}

/// The directives a telemetry event carries for the usage processor.
#[derive(Debug, Default, PartialEq)]
pub struct Directives {
    /// Price the tokens from the table (by `model` and `token_type`).
    pub priced: Option<(String, TokenKind)>,
    /// The cumulative series the quantity is a running total of.
    pub series: Option<String>,
}

impl Directives {
    pub fn of(event: &UsageEvent) -> Self {
        let text = |key: &str| event.metadata.get(key).and_then(Value::as_str);
        let priced = (text(PRICING_KEY) == Some("table"))
            .then(|| Some((text("model")?.to_string(), TokenKind::parse(text("token_type")?)?)))
            .flatten();
        Self { priced, series: text(SERIES_KEY).map(str::to_string) }
    }
}
