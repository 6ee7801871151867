//! Timestamps: UTC, RFC 3339, always with microseconds so that strings sort like instants.

use chrono::{DateTime, SecondsFormat, Utc};

pub type Timestamp = DateTime<Utc>;

/// The current instant, truncated to microseconds (what we store).
pub fn now() -> Timestamp {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// Fixed-width RFC 3339 text of an instant: usable in sort keys.
pub fn sortable(ts: &Timestamp) -> String {
    ts.to_rfc3339_opts(SecondsFormat::Micros, true)
}
