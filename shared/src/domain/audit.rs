//! Reading the activity log: by organization, employee (as actor), event type and time
//! range, newest first, paginated. Entries are partitioned by month
//! (`ORG#o#ACT#yyyy-mm`); a range reads its months newest first, one after the other.
//! One employee's entries come from GSI1 (`ORG#o#EMP#e`), a single partition.

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::Deserialize;

use crate::AppState;
use crate::activity::{ActivityEntry, EventType};
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::ids::EmployeeId;
use crate::keys;
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo::{self, Expr, QuerySpec, s};
use crate::roles::Permission;
use crate::time::sortable;

/// Longest range one request may span (the retention period).
const MAX_RANGE_DAYS: i64 = 400;
const DEFAULT_RANGE_DAYS: i64 = 30;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Only what this employee did.
    pub employee_id: Option<EmployeeId>,
    /// Only this event type, e.g. `employee.deactivated`.
    pub event_type: Option<EventType>,
    /// Start of the range (RFC 3339); default: 30 days before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End of the range (RFC 3339); default: now.
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The months (`yyyy-mm`) from `to` back to `from`.
fn months_backwards(from: &DateTime<Utc>, to: &DateTime<Utc>) -> Vec<String> {
    let mut months = Vec::new();
    let (mut year, mut month) = (to.year(), to.month());
    let end = (from.year(), from.month());
    loop {
        months.push(format!("{year:04}-{month:02}"));
        if (year, month) <= end {
            return months;
        }
        if month == 1 {
            year -= 1;
            month = 12;
        } else {
            month -= 1;
        }
    }
}

pub async fn list(state: &AppState, caller: &Caller, query: ActivityQuery) -> Result<Page<ActivityEntry>> {
    caller.require(Permission::ActivityRead)?;
    let page = PageRequest::try_from(&PageQuery { limit: query.limit, cursor: query.cursor })?;
    let to = query.to.unwrap_or_else(crate::time::now);
    let from = query.from.unwrap_or(to - Duration::days(DEFAULT_RANGE_DAYS));
    if from > to {
        return Err(Error::invalid("from", "must not be after to"));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(Error::invalid("from", format!("the range may span at most {MAX_RANGE_DAYS} days")));
    }
    // Sort keys are `<timestamp>#<id>`: the range covers every id at its ends.
    let (low, high) = (sortable(&from), format!("{}#~", sortable(&to)));
    let filter = query.event_type.map(|t| {
        Expr::new("event_type = :event_type")
            .value(":event_type", s(serde_json::to_value(t).unwrap().as_str().unwrap()))
    });
    let specs: Vec<QuerySpec> = match query.employee_id {
        Some(employee) => {
            vec![
                QuerySpec::gsi1(keys::employee_activity_pk(caller.org_id, employee), "")
                    .between(low, high, true)
                    .filter(filter),
            ]
        }
        None => months_backwards(&from, &to)
            .iter()
            .map(|month| {
                QuerySpec::table(keys::activity_pk(caller.org_id, month), "")
                    .between(low.clone(), high.clone(), true)
                    .filter(filter.clone())
            })
            .collect(),
    };
    Ok(state.repo.query_chain(&specs, &page).await?.try_map(repo::from_item)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn months_run_backwards_across_years() {
        let from = Utc.with_ymd_and_hms(2025, 11, 20, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2026, 2, 3, 0, 0, 0).unwrap();
        assert_eq!(months_backwards(&from, &to), ["2026-02", "2026-01", "2025-12", "2025-11"]);
        assert_eq!(months_backwards(&to, &to), ["2026-02"]);
    }
}
