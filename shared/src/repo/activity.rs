//! Activity log items. PK `ORG#o#ACT#<yyyy-mm>`, SK `<ts>#<id>` (newest-first by querying
//! backwards), GSI1 `ORG#o#EMP#e` / `<ts>#<id>` for one employee's actions; TTL set.

use super::Guard;
use chrono::{DateTime, Datelike, Duration, Utc};

use super::{Expr, Item, QuerySpec, Repository, StoreError, Transaction, from_item, s, to_attr, to_item, with_key};
use crate::activity::{ActivityEntry, EventType};
use crate::ids::{ActivityId, EmployeeId, OrgId};
use crate::keys;
use crate::pagination::{Page, PageRequest};

/// Which activity entry: enough to read it back ([`get`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActivityRef {
    pub org_id: OrgId,
    pub id: ActivityId,
    pub created_at: DateTime<Utc>,
}

impl ActivityRef {
    fn of(entry: &ActivityEntry) -> Self {
        Self { org_id: entry.org_id, id: entry.id, created_at: entry.created_at }
    }

    fn key(&self) -> crate::keys::Key {
        keys::activity_entry(self.org_id, &self.created_at, self.id)
    }
}

/// Records an entry; one that webhooks are sent is also announced by the transaction.
pub fn record(tx: &mut Transaction, entry: &ActivityEntry, retention_days: i64) -> Result<(), StoreError> {
    tx.put(item(entry, retention_days)?);
    if entry.event_type.notifies() {
        tx.announce(ActivityRef::of(entry));
    }
    Ok(())
}

/// The entry `at` names, if it was committed.
pub async fn get(repo: &Repository, at: &ActivityRef) -> Result<Option<ActivityEntry>, StoreError> {
    repo.get_as(&at.key()).await
}

/// Records an entry whose id and time come from a message that may be delivered again:
/// the second delivery fails with [`Guard::ActivityRecorded`].
pub fn record_once(tx: &mut Transaction, entry: &ActivityEntry, retention_days: i64) -> Result<(), StoreError> {
    tx.put_new(item(entry, retention_days)?, Guard::ActivityRecorded);
    Ok(())
}

fn item(entry: &ActivityEntry, retention_days: i64) -> Result<Item, StoreError> {
    let key = ActivityRef::of(entry).key();
    let sort = key.sk.clone();
    let mut item = with_key(to_item(entry)?, &key, "activity");
    if let Some(employee) = entry.employee_id {
        item.insert(keys::GSI1PK.into(), s(keys::employee_activity_pk(entry.org_id, employee)));
        item.insert(keys::GSI1SK.into(), s(sort));
    }
    let expires = entry.created_at + Duration::days(retention_days);
    item.insert(keys::TTL.into(), super::n(expires.timestamp()));
    Ok(item)
}

/// What a read of the activity log selects.
pub struct ActivityFilter {
    /// Only what this employee did (GSI1, one partition).
    pub employee: Option<EmployeeId>,
    pub event_type: Option<EventType>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// One page of an organization's activity in a range, newest first: the months'
/// partitions read newest first one after the other, or one employee's GSI1 partition.
pub async fn list(
    repo: &Repository,
    org: OrgId,
    filter: &ActivityFilter,
    page: &PageRequest,
) -> Result<Page<ActivityEntry>, StoreError> {
    let (low, high, by_type) = bounds(filter)?;
    let specs: Vec<QuerySpec> = match filter.employee {
        Some(employee) => vec![
            QuerySpec::gsi1(keys::employee_activity_pk(org, employee), "").between(low, high, true).filter(by_type),
        ],
        None => months_backwards(&filter.from, &filter.to)
            .iter()
            .map(|month| {
                QuerySpec::table(keys::activity_pk(org, month), "")
                    .between(low.clone(), high.clone(), true)
                    .filter(by_type.clone())
            })
            .collect(),
    };
    repo.query_chain(&specs, page).await?.try_map(from_item)
}

/// The sort key range of a filter and its event type condition. Sort keys are
/// `<timestamp>#<id>`: the range covers every id at its ends.
fn bounds(filter: &ActivityFilter) -> Result<(String, String, Option<Expr>), StoreError> {
    let by_type = match filter.event_type {
        Some(t) => Some(Expr::new("event_type = :event_type").value(":event_type", to_attr(&t)?)),
        None => None,
    };
    let (low, high) = keys::activity_sk_range(&filter.from, &filter.to);
    Ok((low, high, by_type))
}

/// One page of an organization's activity of one month (`yyyy-mm`) within a range, oldest
/// first (exports read the range's months in order).
pub async fn month_page(
    repo: &Repository,
    org: OrgId,
    month: &str,
    filter: &ActivityFilter,
    page: &PageRequest,
) -> Result<Page<ActivityEntry>, StoreError> {
    let (low, high, by_type) = bounds(filter)?;
    let spec = QuerySpec::table(keys::activity_pk(org, month), "").between(low, high, false).filter(by_type);
    repo.query(spec, page).await?.try_map(from_item)
}

/// The months (`yyyy-mm`) from `from` to `to`, oldest first.
pub fn months(from: &DateTime<Utc>, to: &DateTime<Utc>) -> Vec<String> {
    let mut months = months_backwards(from, to);
    months.reverse();
    months
}

/// The months (`yyyy-mm`) from `to` back to `from`: the partitions of the range.
fn months_backwards(from: &DateTime<Utc>, to: &DateTime<Utc>) -> Vec<String> {
    let mut months = Vec::new();
    let (mut year, mut month) = (to.year(), to.month());
    let end = (from.year(), from.month());
    loop {
        months.push(keys::activity_month(year, month));
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
