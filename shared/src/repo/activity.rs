//! Activity log items. PK `ORG#o#ACT#<yyyy-mm>`, SK `<ts>#<id>` (newest-first by querying
//! backwards), GSI1 `ORG#o#EMP#e` / `<ts>#<id>` for one employee's actions; TTL set.

use chrono::Duration;

use super::{Item, StoreError, Transaction, s, to_item, with_key};
use crate::activity::ActivityEntry;
use crate::keys::{self, Key};
use crate::time::sortable;

/// The tag of an entry written already (see [`record_once`]).
pub const RECORDED: &str = "activity_recorded";

pub fn record(tx: &mut Transaction, entry: &ActivityEntry, retention_days: i64) -> Result<(), StoreError> {
    tx.put(item(entry, retention_days)?);
    Ok(())
}

/// Records an entry whose id and time come from a message that may be delivered again:
/// the second delivery fails with [`RECORDED`].
pub fn record_once(tx: &mut Transaction, entry: &ActivityEntry, retention_days: i64) -> Result<(), StoreError> {
    tx.put_new(item(entry, retention_days)?, RECORDED);
    Ok(())
}

fn item(entry: &ActivityEntry, retention_days: i64) -> Result<Item, StoreError> {
    let sort = format!("{}#{}", sortable(&entry.created_at), entry.id);
    let key =
        Key { pk: keys::activity_pk(entry.org_id, &entry.created_at.format("%Y-%m").to_string()), sk: sort.clone() };
    let mut item = with_key(to_item(entry)?, &key, "activity");
    if let Some(employee) = entry.employee_id {
        item.insert(keys::GSI1PK.into(), s(keys::employee_activity_pk(entry.org_id, employee)));
        item.insert(keys::GSI1SK.into(), s(sort));
    }
    let expires = entry.created_at + Duration::days(retention_days);
    item.insert(keys::TTL.into(), super::n(expires.timestamp()));
    Ok(item)
}
