//! The rules of the product. Plain async functions over [`crate::AppState`]: they parse
//! requests into valid values, check permissions and invariants, and write through the
//! repository. Handlers only map HTTP to these calls and back.

pub mod agents;
pub mod analytics;
pub mod assignments;
pub mod audit;
pub mod authorizer;
pub mod catalog;
pub mod configs;
pub mod employees;
pub mod exports;
pub mod fleet;
pub mod groups;
pub mod identity;
pub mod mcp;
pub mod notify;
pub mod organizations;
pub mod policies;
pub mod prices;
pub mod registry;
pub mod requests;
pub mod roles;
pub mod scim;
pub mod sessions;
pub mod subscriptions;
pub mod sync;
pub mod teams;
pub mod telemetry;
pub mod tools;
pub mod usage;
pub mod webhooks;

use serde_json::Value;

use crate::AppState;
use crate::activity::{ActivityEntry, By, EventType};
use crate::ids::OrgId;

/// Adds the activity entry of a change to the change's own transaction, and answers it:
/// the one way an entry is written (the sync recorder's entry, put only once, aside).
pub(crate) fn log(
    state: &AppState,
    tx: &mut crate::repo::Transaction,
    org: OrgId,
    by: impl Into<By>,
    event: EventType,
    payload: Value,
) -> crate::Result<ActivityEntry> {
    let entry = crate::activity::entry(org, by, event, payload);
    crate::repo::activity::record(tx, &entry, state.config.activity_retention_days)?;
    Ok(entry)
}
