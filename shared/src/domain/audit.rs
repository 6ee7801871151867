//! Reading the activity log: by organization, employee (as actor), event type and time
//! range, newest first, paginated. Entries are partitioned by month
//! (`ORG#o#ACT#yyyy-mm`); a range reads its months newest first, one after the other.
//! One employee's entries come from GSI1 (`ORG#o#EMP#e`), a single partition.

use chrono::Duration;

use crate::AppState;
use crate::activity::ActivityEntry;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo;
use crate::roles::Permission;

/// Longest range one request may span (the retention period).
const MAX_RANGE_DAYS: i64 = 400;
const DEFAULT_RANGE_DAYS: i64 = 30;

pub use agentctl_wire::activity::ActivityQuery;

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
