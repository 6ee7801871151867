//! Reading the activity log: by organization, employee (as actor), event type and time
//! range, newest first, paginated. Entries are partitioned by month
//! (`ORG#o#ACT#yyyy-mm`); a range reads its months newest first, one after the other.
//! One employee's entries come from GSI1 (`ORG#o#EMP#e`), a single partition.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::AppState;
use crate::activity::{ActivityEntry, EventType};
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::ids::EmployeeId;
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo;
use crate::roles::Permission;

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
    let filter = repo::activity::ActivityFilter { employee: query.employee_id, event_type: query.event_type, from, to };
    Ok(repo::activity::list(&state.repo, caller.org_id, &filter, &page).await?)
}
