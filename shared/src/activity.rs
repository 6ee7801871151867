//! Activity log entries: one per state change, written in the same transaction as the
//! change itself (the types are the wire crate's; the constructors stamp the time here).

use serde_json::Value;

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
    /// The platform itself (the usage pipeline, the limits).
    pub const PLATFORM: By = By { actor: Actor::Platform, employee_id: None };

    /// An employee acting for themself (a sync, a session).
    pub fn employee(employee_id: EmployeeId) -> By {
        By { actor: Actor::Employee, employee_id: Some(employee_id) }
    }
}

/// An entry of what `by` did, now (written by `domain::log`).
pub fn entry(org_id: OrgId, by: impl Into<By>, event_type: EventType, payload: Value) -> ActivityEntry {
    let By { actor, employee_id } = by.into();
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
