//! Exports for finance and audit: raw usage records and the activity log, as CSV or JSON
//! Lines, streamed page by page.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::activity::EventType;

wire_enum! {
    "snake_case",
    pub enum ExportFormat {
        /// RFC 4180 CSV with a header row (`text/csv`).
        Csv,
        /// One JSON object per line (`application/x-ndjson`).
        Jsonl,
    }
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Jsonl => "application/x-ndjson",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
        }
    }
}

/// `GET /v1/usage/export`: the usage records of whole days (UTC), by the day their usage
/// started.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct UsageExportQuery {
    /// First day (`YYYY-MM-DD`).
    pub from: NaiveDate,
    /// Last day, included (`YYYY-MM-DD`); at most 92 days after `from`.
    pub to: NaiveDate,
    /// `csv` (default) or `jsonl`.
    #[cfg_attr(feature = "openapi", param(inline))]
    pub format: Option<ExportFormat>,
}

/// `GET /v1/activity/export`: the activity log in a time range, oldest first.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ActivityExportQuery {
    /// Start of the range (RFC 3339).
    pub from: DateTime<Utc>,
    /// End of the range (RFC 3339); at most 400 days after `from`.
    pub to: DateTime<Utc>,
    /// Only this event type, e.g. `request.approved`.
    pub event_type: Option<EventType>,
    /// `csv` (default) or `jsonl`.
    #[cfg_attr(feature = "openapi", param(inline))]
    pub format: Option<ExportFormat>,
}
