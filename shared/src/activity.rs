//! Activity log entries: one per state change, written in the same transaction as the
//! change itself (the types are the wire crate's; the constructors stamp the time here).

use serde_json::Value;

use crate::auth::Principal;
use crate::ids::{ActivityId, EmployeeId, OrgId};

pub use agentctl_wire::activity::{ActivityEntry, Actor, EventType};

/// Who did something, as the activity log records it.
#[derive(Clone, Copy, Debug)]
pub struct By {
    pub actor: Actor,
    /// The employee who acted (absent for the platform operator and provisioning).
    pub employee_id: Option<EmployeeId>,
}

impl By {
    /// SCIM provisioning by the organization's identity provider.
    pub const SCIM: By = By { actor: Actor::Scim, employee_id: None };
}

impl From<&Principal> for By {
    fn from(principal: &Principal) -> Self {
        match principal {
            Principal::Platform => By { actor: Actor::Platform, employee_id: None },
            Principal::Employee(c) => By { actor: Actor::Employee, employee_id: Some(c.employee_id) },
        }
    }
}

/// An entry of what `by` did, now.
pub fn entry(org_id: OrgId, by: impl Into<By>, event_type: EventType, payload: Value) -> ActivityEntry {
    let by = by.into();
    entry_by(org_id, by.actor, by.employee_id, event_type, payload)
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
