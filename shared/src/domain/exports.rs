//! Exports for finance, audit and IT: an organization's raw usage records for a day range,
//! its activity log for a time range and its fleet of devices, as CSV (RFC 4180, with a header row) or JSON Lines.
//! The body is a stream: each page read from DynamoDB (at most 100 items) is encoded and
//! sent before the next is read, so an export is never built in memory. Permissions are
//! checked before the first byte: a refusal is a problem+json like any other.

use std::collections::VecDeque;
use std::pin::Pin;

use axum::body::Bytes;
use chrono::{Duration, NaiveDate};
use futures_util::StreamExt;
use futures_util::stream::{self, Stream};
use serde::Serialize;

use crate::AppState;
use crate::Name;
use crate::activity::ActivityEntry;
use crate::auth::Caller;
use crate::domain::usage::UsageEvent;
use crate::error::{Error, Result};
use crate::ids::OrgId;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::repo;
use crate::roles::Permission;
use agentctl_wire::fleet::Device;

pub use agentctl_wire::exports::{ActivityExportQuery, ExportFormat, UsageExportQuery};

/// The longest usage export (days), and the longest activity export (the retention).
const USAGE_DAYS_MAX: i64 = 92;
const ACTIVITY_DAYS_MAX: i64 = 400;
/// Items read per page.
const PAGE: u32 = 100;

pub type ExportStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>;

/// An export ready to stream.
pub struct Export {
    pub format: ExportFormat,
    /// A file name for `Content-Disposition`.
    pub filename: String,
    pub body: ExportStream,
}

/// What one exported row holds.
trait Row: Serialize {
    const COLUMNS: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
}

impl Row for UsageEvent {
    const COLUMNS: &'static [&'static str] = &[
        "event_id",
        "employee_id",
        "agent_config_id",
        "resource_type",
        "quantity",
        "cost_usd",
        "period_start",
        "period_end",
        "metadata",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.event_id.clone(),
            self.employee_id.to_string(),
            self.agent_config_id.map(|c| c.to_string()).unwrap_or_default(),
            self.resource_type.to_string(),
            self.quantity.to_string(),
            self.cost_usd.to_string(),
            self.period_start.to_rfc3339(),
            self.period_end.to_rfc3339(),
            self.metadata.to_string(),
        ]
    }
}

impl Row for ActivityEntry {
    const COLUMNS: &'static [&'static str] =
        &["id", "created_at", "event_type", "event_category", "actor", "employee_id", "payload"];

    fn cells(&self) -> Vec<String> {
        let event_type = serde_json::to_value(self.event_type).ok().and_then(|v| v.as_str().map(str::to_string));
        vec![
            self.id.to_string(),
            self.created_at.to_rfc3339(),
            event_type.unwrap_or_default(),
            self.event_category.clone(),
            self.actor.to_string(),
            self.employee_id.map(|e| e.to_string()).unwrap_or_default(),
            self.payload.to_string(),
        ]
    }
}

impl Row for Device {
    const COLUMNS: &'static [&'static str] = &[
        "employee_id",
        "device_id",
        "agentctl_version",
        "os",
        "arch",
        "clients",
        "drifted_files",
        "corrupt_files",
        "background_sync",
        "previous_sync",
        "first_seen_at",
        "last_seen_at",
    ];

    fn cells(&self) -> Vec<String> {
        let posture = &self.posture;
        let clients = posture.clients.iter().filter(|c| c.installed).map(|c| {
            let managed = if c.managed { "" } else { " (not managed)" };
            format!("{} {}{managed}", c.client.as_str(), c.version.as_deref().unwrap_or("?"))
        });
        vec![
            self.employee_id.to_string(),
            posture.device_id.to_string(),
            posture.agentctl_version.clone(),
            posture.os.clone(),
            posture.arch.clone(),
            clients.collect::<Vec<_>>().join("; "),
            posture.drifted_files().to_string(),
            posture.corrupt_files().to_string(),
            posture.background_sync.to_string(),
            posture.previous_sync.map(|r| r.as_str().to_string()).unwrap_or_default(),
            self.first_seen_at.to_rfc3339(),
            self.last_seen_at.to_rfc3339(),
        ]
    }
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage
/// return first) is kept as text with a leading `'` (OWASP's advice for CSV injection).
fn inert(cell: String) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell,
    }
}

/// Encodes one page (with the header row first for CSV).
fn encode<T: Row>(format: ExportFormat, rows: &[T], header: bool) -> Result<Bytes> {
    match format {
        ExportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            if header {
                writer.write_record(T::COLUMNS).map_err(Error::internal)?;
            }
            for row in rows {
                writer.write_record(row.cells().into_iter().map(inert)).map_err(Error::internal)?;
            }
            Ok(Bytes::from(writer.into_inner().map_err(|e| Error::internal(e.to_string()))?))
        }
        ExportFormat::Jsonl => {
            let mut out = Vec::new();
            for row in rows {
                serde_json::to_writer(&mut out, row).map_err(Error::internal)?;
                out.push(b'\n');
            }
            Ok(Bytes::from(out))
        }
    }
}

/// Where a paged export stands: the partitions left, the cursor in the first of them.
struct Progress<P> {
    parts: VecDeque<P>,
    cursor: Option<String>,
    header: bool,
}

/// Streams every page of every part, in order: `fetch(part, page)` reads one page.
fn paged<P, T, F, Fut>(format: ExportFormat, parts: Vec<P>, fetch: F) -> ExportStream
where
    P: Clone + Send + Sync + 'static,
    T: Row + Send + 'static,
    F: Fn(P, PageRequest) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send,
{
    let start = Progress { parts: parts.into(), cursor: None, header: format == ExportFormat::Csv };
    Box::pin(stream::try_unfold(start, move |mut at| {
        let fetch = fetch.clone();
        async move {
            let Some(part) = at.parts.front().cloned() else {
                return Ok(None);
            };
            let cursor = at.cursor.take().map(|c| Cursor::decode(&c)).transpose().map_err(Error::internal)?;
            let page = fetch(part, PageRequest { limit: PAGE, cursor }).await?;
            let chunk = encode(format, &page.items, at.header)?;
            at.header = false;
            match page.next_cursor {
                Some(next) => at.cursor = Some(next),
                None => {
                    at.parts.pop_front();
                }
            }
            Ok(Some((chunk, at)))
        }
    }))
}

/// The stream with its first chunk read already: a failure before anything is sent is
/// then an error response, not a broken body.
async fn started(mut body: ExportStream) -> Result<ExportStream> {
    match body.next().await {
        None => Ok(Box::pin(stream::empty())),
        Some(first) => {
            let first = first?;
            Ok(Box::pin(stream::once(async { Ok(first) }).chain(body)))
        }
    }
}

/// The organization's usage records of whole days, by the day their usage started.
pub async fn usage(state: &AppState, caller: &Caller, query: UsageExportQuery) -> Result<Export> {
    // Raw records are finance's: reading usage is not enough (managers read analytics).
    caller.require(Permission::UsageRead)?;
    caller.require(Permission::SubscriptionRead)?;
    if query.from > query.to {
        return Err(Error::invalid("from", "must not be after to"));
    }
    if query.to - query.from >= Duration::days(USAGE_DAYS_MAX) {
        return Err(Error::invalid("to", format!("an export spans at most {USAGE_DAYS_MAX} days")));
    }
    let days: Vec<String> =
        query.from.iter_days().take_while(|day| *day <= query.to).map(|d: NaiveDate| d.to_string()).collect();
    let format = query.format.unwrap_or(ExportFormat::Csv);
    let (state, org) = (state.clone(), caller.org_id);
    let body = paged(format, days, move |day: String, page| {
        let state = state.clone();
        async move { Ok(repo::usage::records_page(&state.repo, org, &day, &page).await?) }
    });
    let filename = format!("usage-{}-{}.{}", query.from, query.to, format.extension());
    Ok(Export { format, filename, body: started(body).await? })
}

/// The organization's activity log in a time range, oldest first.
pub async fn activity(state: &AppState, caller: &Caller, query: ActivityExportQuery) -> Result<Export> {
    caller.require(Permission::ActivityRead)?;
    if query.from > query.to {
        return Err(Error::invalid("from", "must not be after to"));
    }
    if query.to - query.from > Duration::days(ACTIVITY_DAYS_MAX) {
        return Err(Error::invalid("to", format!("an export spans at most {ACTIVITY_DAYS_MAX} days")));
    }
    let format = query.format.unwrap_or(ExportFormat::Csv);
    let filter =
        repo::activity::ActivityFilter { employee: None, event_type: query.event_type, from: query.from, to: query.to };
    let months = repo::activity::months(&filter.from, &filter.to);
    let (state, org): (AppState, OrgId) = (state.clone(), caller.org_id);
    let filter = std::sync::Arc::new(filter);
    let body = paged(format, months, move |month: String, page| {
        let (state, filter) = (state.clone(), filter.clone());
        async move { Ok(repo::activity::month_page(&state.repo, org, &month, &filter, &page).await?) }
    });
    let filename =
        format!("activity-{}-{}.{}", query.from.format("%Y-%m-%d"), query.to.format("%Y-%m-%d"), format.extension());
    Ok(Export { format, filename, body: started(body).await? })
}

/// Every device of the organization's fleet, by person.
pub async fn fleet(state: &AppState, caller: &Caller, format: Option<ExportFormat>) -> Result<Export> {
    caller.require(Permission::EmployeesRead)?;
    let format = format.unwrap_or(ExportFormat::Csv);
    let (state, org) = (state.clone(), caller.org_id);
    let body = paged(format, vec![()], move |(), page| {
        let state = state.clone();
        async move { Ok(repo::fleet::devices(&state.repo, org, &page).await?) }
    });
    Ok(Export { format, filename: format!("fleet.{}", format.extension()), body: started(body).await? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_stay_text_and_quotes_are_rfc_4180() {
        assert_eq!(inert("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        assert_eq!(inert("-1".into()), "'-1");
        assert_eq!(inert("plain".into()), "plain");
        let event: UsageEvent = serde_json::from_value(serde_json::json!({
            "event_id": "=cmd|' /C calc'!A0", "org_id": uuid::Uuid::now_v7(), "employee_id": uuid::Uuid::now_v7(),
            "agent_config_id": null, "resource_type": "llm_call", "quantity": 1, "cost_usd": "0.0000000001",
            "period_start": "2026-11-30T10:00:00Z", "period_end": "2026-11-30T10:00:01Z",
            "metadata": { "model": "a,\"b\"" },
        }))
        .unwrap();
        let csv =
            String::from_utf8(encode(ExportFormat::Csv, std::slice::from_ref(&event), true).unwrap().to_vec()).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next().unwrap(), UsageEvent::COLUMNS.join(","));
        let row = lines.next().unwrap();
        assert!(row.starts_with("'=cmd|' /C calc'!A0,"), "{row}");
        assert!(row.contains(",0.0000000001,"), "money exact: {row}");
        assert!(row.ends_with(r#","{""model"":""a,\""b\""""}""#), "{row}");
        let jsonl = encode(ExportFormat::Jsonl, &[event], false).unwrap();
        assert_eq!(jsonl.iter().filter(|b| **b == b'\n').count(), 1);
    }
}
