//! OTLP/HTTP metrics (JSON encoding) from Claude Code's telemetry, turned into usage
//! events. Claude Code exports, with `CLAUDE_CODE_ENABLE_TELEMETRY=1`:
//!
//! - `claude_code.cost.usage` (USD, attribute `model`) -> `llm_call` events carrying the
//!   cost (quantity 0: the metric does not count calls);
//! - `claude_code.token.usage` (tokens, attributes `type` = input, output, cacheRead,
//!   cacheCreation and `model`) -> `llm_tokens_output` for output, `llm_tokens_input`
//!   for the others (the kind is kept in the metadata).
//!
//! Other metrics are ignored. Only delta temporality is accepted (Claude Code's default;
//! `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta`): cumulative sums would need
//! the previous value of every series. Each data point becomes an event whose id is a
//! hash of the employee, metric, attributes and time window, so a re-sent export counts
//! once. The employee is the caller (their session token in
//! `OTEL_EXPORTER_OTLP_HEADERS`).

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Caller;
use crate::domain::usage::{self, NewUsageEvent, ResourceType, UsageEvent};
use crate::error::{Error, Result};
use crate::validate::FieldError;

const COST: &str = "claude_code.cost.usage";
const TOKENS: &str = "claude_code.token.usage";
/// OTLP's AggregationTemporality: 1 delta, 2 cumulative.
const DELTA: i64 = 1;
/// Data points one export may carry.
const MAX_POINTS: usize = 1000;

/// An `ExportMetricsServiceRequest` in OTLP's JSON encoding (the fields used here).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportMetrics {
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub resource_metrics: Vec<ResourceMetrics>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceMetrics {
    #[serde(default)]
    scope_metrics: Vec<ScopeMetrics>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScopeMetrics {
    #[serde(default)]
    metrics: Vec<Metric>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metric {
    name: String,
    sum: Option<Sum>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sum {
    #[serde(default)]
    data_points: Vec<DataPoint>,
    /// A number, or its enum name in some encoders.
    #[serde(default)]
    aggregation_temporality: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DataPoint {
    #[serde(default)]
    attributes: Vec<KeyValue>,
    /// Nanoseconds since the epoch; int64 values are strings in OTLP/JSON.
    start_time_unix_nano: Value,
    time_unix_nano: Value,
    as_double: Option<f64>,
    as_int: Option<Value>,
}

#[derive(Debug, Deserialize, Serialize)]
struct KeyValue {
    key: String,
    value: Value,
}

/// What `POST /v1/otlp/v1/metrics` answers (OTLP's ExportMetricsServiceResponse).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportResult {
    #[schema(value_type = Object)]
    pub partial_success: Value,
}

fn attribute<'a>(point: &'a DataPoint, key: &str) -> Option<&'a str> {
    point.attributes.iter().find(|a| a.key == key).and_then(|a| a.value.get("stringValue")).and_then(Value::as_str)
}

fn nanos(value: &Value) -> Option<DateTime<Utc>> {
    let nanos: i64 = match value {
        Value::String(text) => text.parse().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    Some(DateTime::from_timestamp_nanos(nanos))
}

fn is_delta(temporality: &Value) -> bool {
    temporality.as_i64() == Some(DELTA) || temporality.as_str() == Some("AGGREGATION_TEMPORALITY_DELTA")
}

/// The value of a point as an exact decimal (a double's shortest representation).
fn value(point: &DataPoint) -> Option<Decimal> {
    match (&point.as_double, &point.as_int) {
        (Some(double), _) => Decimal::from_str(&double.to_string()).ok(),
        (None, Some(Value::String(text))) => Decimal::from_str(text).ok(),
        (None, Some(Value::Number(n))) => n.as_i64().map(Decimal::from),
        _ => None,
    }
}

/// Turns an export into usage events of the caller and queues them.
pub async fn export(state: &AppState, caller: &Caller, request: ExportMetrics) -> Result<ExportResult> {
    let now = crate::time::now();
    let mut events: Vec<UsageEvent> = Vec::new();
    let mut errors = Vec::new();
    let mut points = 0;
    for metric in request.resource_metrics.iter().flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics) {
        let (Some(sum), true) = (&metric.sum, [COST, TOKENS].contains(&metric.name.as_str())) else { continue };
        if !is_delta(&sum.aggregation_temporality) {
            return Err(Error::invalid(
                &format!("{}.sum.aggregationTemporality", metric.name),
                "must be delta: set OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta",
            ));
        }
        for point in &sum.data_points {
            points += 1;
            if points > MAX_POINTS {
                return Err(Error::invalid("resourceMetrics", format!("at most {MAX_POINTS} data points per export")));
            }
            let field = |name: &str| format!("{}.dataPoints[{}].{name}", metric.name, points - 1);
            let (Some(start), Some(end), Some(amount)) =
                (nanos(&point.start_time_unix_nano), nanos(&point.time_unix_nano), value(point))
            else {
                errors.push(FieldError { field: field("value"), message: "needs start, time and a value".into() });
                continue;
            };
            if amount.is_zero() {
                continue;
            }
            let model = attribute(point, "model").unwrap_or("unknown");
            let (resource_type, quantity, cost, kind) = if metric.name == COST {
                (ResourceType::LlmCall, 0, amount.round_dp(6), None)
            } else {
                let kind = attribute(point, "type").unwrap_or("input");
                let resource =
                    if kind == "output" { ResourceType::LlmTokensOutput } else { ResourceType::LlmTokensInput };
                let tokens = amount.round().try_into().unwrap_or(0u64);
                (resource, tokens, Decimal::ZERO, Some(kind))
            };
            let series = serde_json::to_string(&point.attributes).unwrap_or_default();
            let identity = format!("{}|{}|{series}|{start}|{end}", caller.employee_id, metric.name);
            let new = NewUsageEvent {
                v: usage::FORMAT_VERSION,
                event_id: format!("otlp-{}", &crate::auth::digest(&identity)[..40]),
                org_id: Some(caller.org_id),
                employee_id: Some(caller.employee_id),
                agent_config_id: None,
                resource_type,
                quantity,
                cost_usd: cost.to_string(),
                period_start: start,
                period_end: end,
                metadata: Some(json!({ "source": "otlp", "metric": metric.name, "model": model, "token_type": kind })),
            };
            match usage::validate(new, None, &now) {
                Ok(event) => events.push(event),
                Err(Error::Validation(found)) => {
                    errors.extend(found.into_iter().map(|e| FieldError { field: field(&e.field), message: e.message }))
                }
                Err(e) => return Err(e),
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    usage::enqueue(state, &events).await?;
    Ok(ExportResult { partial_success: json!({}) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_become_their_shortest_exact_decimal() {
        let point = |v: f64| DataPoint {
            attributes: vec![],
            start_time_unix_nano: json!("1"),
            time_unix_nano: json!("2"),
            as_double: Some(v),
            as_int: None,
        };
        assert_eq!(value(&point(0.1)).unwrap().to_string(), "0.1");
        assert_eq!(value(&point(0.0123)).unwrap().to_string(), "0.0123");
        assert_eq!(nanos(&json!("1764064800000000000")).unwrap().to_rfc3339(), "2025-11-25T10:00:00+00:00");
        assert!(is_delta(&json!(1)) && is_delta(&json!("AGGREGATION_TEMPORALITY_DELTA")) && !is_delta(&json!(2)));
    }
}
