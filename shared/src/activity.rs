//! Activity log entries: one per state change, written in the same transaction as the
//! change itself (the types are the wire crate's; the constructors stamp the time here).

use serde_json::Value;

use crate::auth::Principal;
use crate::ids::{ActivityId, EmployeeId, OrgId};

pub use agentctl_wire::activity::{ActivityEntry, Actor, EventType};

/// An entry of what `by` did, now.
pub fn entry(org_id: OrgId, by: &Principal, event_type: EventType, payload: Value) -> ActivityEntry {
    let (actor, employee_id) = match by {
        Principal::Platform => (Actor::Platform, None),
        Principal::Employee(c) => (Actor::Employee, Some(c.employee_id)),
    };
    entry_by(org_id, actor, employee_id, event_type, payload)
}

/// An entry of what `actor` (and `employee_id`) did, now.
pub fn entry_by(
    org_id: OrgId,
    actor: Actor,
    employee_id: Option<EmployeeId>,
    event_type: EventType,
    payload: Value,
) -> ActivityEntry {
    ActivityEntry {
        id: ActivityId::new(),
        org_id,
        actor,
        employee_id,
        event_type,
        event_category: event_type.category().to_string(),
        payload,
        created_at: crate::time::now(),
    }
}
