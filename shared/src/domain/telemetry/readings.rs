//! Which metrics and log events of which tool count, and how they become [`Reading`]s.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::{AggregationTemporality, NumberDataPoint, metric, number_data_point};
use rust_decimal::Decimal;

use super::{Read, Reading};
use crate::domain::prices::TokenKind;
use crate::domain::usage::ResourceType;
use crate::money::Usd;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client {
    ClaudeCode,
    Codex,
    GeminiCli,
}

impl Client {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClaudeCode => "claude-code",
            Self::Codex => "codex",
            Self::GeminiCli => "gemini-cli",
        }
    }
}

/// What a counted metric measures.
enum Measure {
    /// US dollars.
    Cost,
    /// Tokens, by the value of the `type`-like attribute; types not listed are not
    /// counted (Gemini CLI's `cache` tokens are part of its `input` count).
    Tokens { attribute: &'static str, kinds: &'static [(&'static str, TokenKind)] },
}

struct MetricRule {
    name: &'static str,
    client: Client,
    measure: Measure,
    /// Tokens priced from the price table (the tool reports no cost).
    priced: bool,
}

const METRICS: &[MetricRule] = &[
    MetricRule { name: "claude_code.cost.usage", client: Client::ClaudeCode, measure: Measure::Cost, priced: false },
    MetricRule {
        name: "claude_code.token.usage",
        client: Client::ClaudeCode,
        measure: Measure::Tokens {
            attribute: "type",
            kinds: &[
                ("input", TokenKind::Input),
                ("output", TokenKind::Output),
                ("cacheRead", TokenKind::CacheRead),
                ("cacheCreation", TokenKind::CacheWrite),
            ],
        },
        priced: false,
    },
    MetricRule {
        name: "gemini_cli.token.usage",
        client: Client::GeminiCli,
        measure: Measure::Tokens {
            attribute: "type",
            kinds: &[
                ("input", TokenKind::Input),
                ("output", TokenKind::Output),
                ("thought", TokenKind::Output),
                ("tool", TokenKind::Input),
            ],
        },
        priced: true,
    },
];

fn resource_of(kind: TokenKind) -> ResourceType {
    if kind == TokenKind::Output { ResourceType::LlmTokensOutput } else { ResourceType::LlmTokensInput }
}

fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attributes.iter().find(|a| a.key == key).and_then(|a| a.value.as_ref()).and_then(|v| v.value.as_ref())
}

fn text<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attribute(attributes, key)? {
        any_value::Value::StringValue(text) => Some(text),
        _ => None,
    }
}

/// A count attribute of `event`: 0 when absent; when present, a whole non-negative
/// number of 64 bits (exporters send ints as ints, strings or doubles), or the record is
/// refused whole.
fn count(attributes: &[KeyValue], key: &str, event: &str) -> Result<u64, String> {
    let Some(value) = attribute(attributes, key) else { return Ok(0) };
    let count = match value {
        any_value::Value::IntValue(n) => u64::try_from(*n).ok(),
        any_value::Value::StringValue(text) => text.parse().ok(),
        any_value::Value::DoubleValue(d) => exact(*d).filter(|d| d.fract().is_zero()).and_then(|d| d.try_into().ok()),
        _ => None,
    };
    count.ok_or_else(|| format!("{event}: {key} is not a whole non-negative count"))
}

/// An amount attribute of `event` in US dollars: 0 when absent; when present, a finite
/// non-negative number, or the record is refused whole.
fn amount(attributes: &[KeyValue], key: &str, event: &str) -> Result<Decimal, String> {
    let Some(value) = attribute(attributes, key) else { return Ok(Decimal::ZERO) };
    let amount = match value {
        any_value::Value::DoubleValue(d) => exact(*d),
        any_value::Value::IntValue(n) => u64::try_from(*n).ok().map(Decimal::from),
        any_value::Value::StringValue(text) => Decimal::from_str(text).ok().filter(|d| !d.is_sign_negative()),
        _ => None,
    };
    amount.ok_or_else(|| format!("{event}: {key} is not a non-negative amount"))
}

/// A double as the exact decimal of its shortest representation; refused if negative
/// or not finite.
fn exact(value: f64) -> Option<Decimal> {
    (value.is_finite() && value >= 0.0).then(|| Decimal::from_str(&value.to_string()).ok()).flatten()
}

fn time(nanos: u64) -> Option<DateTime<Utc>> {
    i64::try_from(nanos).ok().filter(|n| *n > 0).map(DateTime::from_timestamp_nanos)
}

/// A stable text of attributes (the identity of a series or an event).
fn fingerprint(attributes: &[KeyValue]) -> String {
    serde_json::to_string(attributes).unwrap_or_default()
}

pub fn from_metrics(request: &ExportMetricsServiceRequest) -> Read {
    let mut read = Read::default();
    let metrics = request.resource_metrics.iter().flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics);
    for metric in metrics {
        let Some(rule) = METRICS.iter().find(|r| r.name == metric.name) else { continue };
        let Some(metric::Data::Sum(sum)) = &metric.data else {
            read.reject(format!("{}: a sum was expected", metric.name));
            continue;
        };
        let cumulative = match AggregationTemporality::try_from(sum.aggregation_temporality) {
            Ok(AggregationTemporality::Delta) => false,
            Ok(AggregationTemporality::Cumulative) => true,
            _ => {
                read.reject(format!("{}: unknown aggregation temporality", metric.name));
                continue;
            }
        };
        for point in &sum.data_points {
            match point_reading(rule, cumulative, point, read.items) {
                Ok(Some(reading)) => {
                    read.readings.push(reading);
                    read.items += 1;
                }
                Ok(None) => {}
                Err(why) => read.reject(format!("{}: {why}", metric.name)),
            }
        }
    }
    read
}

fn point_reading(
    rule: &MetricRule,
    cumulative: bool,
    point: &NumberDataPoint,
    item: usize,
) -> Result<Option<Reading>, String> {
    let value = match point.value {
        Some(number_data_point::Value::AsDouble(d)) => exact(d),
        Some(number_data_point::Value::AsInt(n)) => u64::try_from(n).ok().map(Decimal::from),
        None => None,
    }
    .ok_or("a data point needs a non-negative value")?;
    let end = time(point.time_unix_nano).ok_or("a data point needs its time")?;
    let start = time(point.start_time_unix_nano).unwrap_or(end).min(end);
    let model = text(&point.attributes, "model").unwrap_or("unknown").to_string();
    let (resource, quantity, cost, token_kind) = match rule.measure {
        Measure::Cost => (ResourceType::LlmCall, 0, Usd::new(value.round_dp(10).normalize()), None),
        Measure::Tokens { attribute, kinds } => {
            let Some(kind) = text(&point.attributes, attribute)
                .and_then(|name| kinds.iter().find(|(known, _)| *known == name))
                .map(|(_, kind)| *kind)
            else {
                return Ok(None);
            };
            let tokens = value.round().try_into().map_err(|_| "the token count is out of range")?;
            (resource_of(kind), tokens, Usd::ZERO, Some(kind))
        }
    };
    // A delta of zero counts nothing; a cumulative zero starts its series.
    if quantity == 0 && cost.is_zero() {
        return Ok(None);
    }
    let series_id = format!("{}|{}|{}", rule.name, fingerprint(&point.attributes), point.start_time_unix_nano);
    let identity = format!("{series_id}|{}", point.time_unix_nano);
    let series = cumulative.then_some(series_id);
    Ok(Some(Reading {
        identity,
        item,
        client: rule.client,
        resource,
        quantity,
        cost,
        model,
        token_kind,
        priced: rule.priced,
        series,
        start,
        end,
    }))
}

/// A request's readings from one log event: the call, then its tokens by kind.
struct Request<'a> {
    client: Client,
    record: &'a LogRecord,
    cost: Usd,
    tokens: Vec<(TokenKind, u64)>,
    priced: bool,
}

pub fn from_logs(request: &ExportLogsServiceRequest) -> Read {
    let mut read = Read::default();
    let records = request.resource_logs.iter().flat_map(|r| &r.scope_logs).flat_map(|s| &s.log_records);
    for record in records {
        match log_request(record) {
            Ok(Some(request)) => {
                read.readings.extend(request_readings(request, read.items));
                read.items += 1;
            }
            Ok(None) => {}
            Err(why) => read.reject(why),
        }
    }
    read
}

fn log_request(record: &LogRecord) -> Result<Option<Request<'_>>, String> {
    let attributes = &record.attributes;
    let body = match record.body.as_ref().and_then(|b: &AnyValue| b.value.as_ref()) {
        Some(any_value::Value::StringValue(body)) => body.as_str(),
        _ => "",
    };
    if body == "claude_code.api_request" {
        let token = |key: &str| count(attributes, key, body);
        let cost = amount(attributes, "cost_usd", body)?;
        let tokens = vec![
            (TokenKind::Input, token("input_tokens")?),
            (TokenKind::CacheRead, token("cache_read_tokens")?),
            (TokenKind::CacheWrite, token("cache_creation_tokens")?),
            (TokenKind::Output, token("output_tokens")?),
        ];
        let cost = Usd::new(cost.round_dp(10).normalize());
        return Ok(Some(Request { client: Client::ClaudeCode, record, cost, tokens, priced: false }));
    }
    let completed = text(attributes, "event.name") == Some("codex.sse_event")
        && text(attributes, "event.kind") == Some("response.completed")
        && attribute(attributes, "input_token_count").is_some();
    if completed {
        // Codex's input count includes the cached and cache-written tokens; its output
        // count includes reasoning.
        let token = |key: &str| count(attributes, key, "codex.sse_event");
        let (cached, written) = (token("cached_token_count")?, token("cache_write_token_count")?);
        let tokens = vec![
            (TokenKind::Input, token("input_token_count")?.saturating_sub(cached).saturating_sub(written)),
            (TokenKind::CacheRead, cached),
            (TokenKind::CacheWrite, written),
            (TokenKind::Output, token("output_token_count")?),
        ];
        return Ok(Some(Request { client: Client::Codex, record, cost: Usd::ZERO, tokens, priced: true }));
    }
    Ok(None)
}

fn request_readings(request: Request<'_>, item: usize) -> Vec<Reading> {
    let record = request.record;
    let at = time(record.time_unix_nano).or(time(record.observed_time_unix_nano)).unwrap_or_else(crate::time::now);
    let model = text(&record.attributes, "model").unwrap_or("unknown").to_string();
    let identity = format!(
        "{}|{}|{}",
        request.client.as_str(),
        record.time_unix_nano.max(record.observed_time_unix_nano),
        fingerprint(&record.attributes)
    );
    let reading = |suffix: &str, resource, quantity, cost, token_kind| Reading {
        identity: format!("{identity}|{suffix}"),
        item,
        client: request.client,
        resource,
        quantity,
        cost,
        model: model.clone(),
        token_kind,
        priced: request.priced && token_kind.is_some(),
        series: None,
        start: at,
        end: at,
    };
    let call = reading("call", ResourceType::LlmCall, 1, request.cost, None);
    let tokens = request
        .tokens
        .iter()
        .filter(|(_, tokens)| *tokens > 0)
        .map(|&(kind, tokens)| reading(kind.as_str(), resource_of(kind), tokens, Usd::ZERO, Some(kind)));
    std::iter::once(call).chain(tokens).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn gemini_cumulative_tokens_become_priced_series_readings() {
        let export = json!({ "resourceMetrics": [{ "scopeMetrics": [{ "metrics": [
            { "name": "gemini_cli.token.usage", "sum": { "aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [
                { "attributes": [{ "key": "model", "value": { "stringValue": "gemini-2.5-pro" } },
                                 { "key": "type", "value": { "stringValue": "input" } }],
                  "startTimeUnixNano": "1796066208650000000", "timeUnixNano": "1796066208655000000", "asInt": "900" },
                { "attributes": [{ "key": "type", "value": { "stringValue": "cache" } }],
                  "startTimeUnixNano": "1796066208650000000", "timeUnixNano": "1796066208655000000", "asInt": 100 }
            ] } }
        ] }] }] });
        let request: ExportMetricsServiceRequest = serde_json::from_value(export).unwrap();
        let read = from_metrics(&request);
        assert_eq!(read.rejected, 0, "{:?}", read.errors);
        assert_eq!(read.readings.len(), 1, "cache tokens are part of the input count");
        let reading = &read.readings[0];
        assert_eq!((reading.quantity, reading.priced, reading.token_kind), (900, true, Some(TokenKind::Input)));
        assert!(reading.series.is_some());
    }
}
