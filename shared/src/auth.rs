//! Who is calling: a [`Principal`] (the platform operator, or an employee as a
//! [`Caller`] with their role's permissions). The authorizer decides it
//! (`domain::authorizer`); it travels to the handlers as the authorizer context
//! ([`Principal::to_context`] / [`Principal::from_context`]), read by the `http::extract`
//! extractors.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::Name;
use crate::activity::{Actor, By};
use crate::ids::{EmployeeId, OrgId, SessionId};
use agentctl_wire::roles::{Permission, RoleName};

pub use crate::secrets::{
    AUTHORIZATION_CODE_PREFIX, DEVICE_CODE_PREFIX, ENROLLMENT_CODE_PREFIX, PLATFORM_KEY_PREFIX, REFRESH_TOKEN_PREFIX,
    SCIM_TOKEN_PREFIX, SESSION_TOKEN_PREFIX, TELEMETRY_TOKEN_PREFIX, WEBHOOK_SECRET_PREFIX, digest, hex, new_secret,
};

/// A caller without the permission an operation needs (403, `shared::Error::Forbidden`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(pub String);

/// An authenticated employee: everything a handler needs to scope and check a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub org_id: OrgId,
    pub employee_id: EmployeeId,
    pub session_id: SessionId,
    pub role: RoleName,
    pub permissions: BTreeSet<Permission>,
}

impl Caller {
    /// The caller as the principal domain functions and activity entries take.
    pub fn principal(&self) -> Principal {
        Principal::Employee(self.clone())
    }

    /// An employee acting with their role's default permissions outside a session (the
    /// demo seed, benchmarks).
    pub fn acting_as(org_id: OrgId, employee_id: EmployeeId, role: RoleName) -> Self {
        Self {
            org_id,
            employee_id,
            session_id: SessionId::new(),
            role,
            permissions: crate::roles::default_permissions(role),
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    pub fn require(&self, permission: Permission) -> Result<(), Forbidden> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(Forbidden(format!("the {} role lacks the {} permission", self.role, permission.as_str())))
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The platform operator (platform key).
    Platform,
    Employee(Caller),
}

impl Principal {
    /// The catalog scope this principal acts in, once it holds `permission`: the global
    /// catalog (`None`) for the platform operator, its organization for an employee.
    pub fn scope(&self, permission: Permission) -> Result<Option<OrgId>, Forbidden> {
        match self {
            Principal::Platform => Ok(None),
            Principal::Employee(caller) => {
                caller.require(permission)?;
                Ok(Some(caller.org_id))
            }
        }
    }

    /// Succeeds for the platform operator only (operations on tenants themselves).
    pub fn require_platform(&self) -> Result<(), Forbidden> {
        match self {
            Principal::Platform => Ok(()),
            Principal::Employee(_) => Err(Forbidden("this is the platform operator's operation".into())),
        }
    }

    /// The authorizer context (API Gateway allows strings, numbers and booleans only).
    pub fn to_context(&self) -> HashMap<String, Value> {
        match self {
            Principal::Platform => HashMap::from([("principal".into(), "platform".into())]),
            Principal::Employee(c) => HashMap::from([
                ("principal".into(), "employee".into()),
                ("org_id".into(), c.org_id.to_string().into()),
                ("employee_id".into(), c.employee_id.to_string().into()),
                ("session_id".into(), c.session_id.to_string().into()),
                ("role".into(), c.role.as_str().into()),
                ("permissions".into(), c.permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" ").into()),
            ]),
        }
    }

    pub fn from_context(context: &HashMap<String, Value>) -> Option<Self> {
        let text = |k: &str| context.get(k).and_then(Value::as_str);
        match text("principal")? {
            "platform" => Some(Principal::Platform),
            "employee" => Some(Principal::Employee(Caller {
                org_id: text("org_id")?.parse().ok()?,
                employee_id: text("employee_id")?.parse().ok()?,
                session_id: text("session_id")?.parse().ok()?,
                role: text("role")?.parse().ok()?,
                permissions: text("permissions")?
                    .split_whitespace()
                    .filter_map(|p| p.parse::<Permission>().ok())
                    .collect(),
            })),
            _ => None,
        }
    }
}

/// The bearer token of an `Authorization` header value.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let value = header?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// What the activity log records of who acted.
impl From<&Principal> for By {
    fn from(principal: &Principal) -> Self {
        match principal {
            Principal::Platform => By { actor: Actor::Platform, employee_id: None },
            Principal::Employee(c) => By::employee(c.employee_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_parsed() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer   abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn secrets_are_random_and_digests_stable() {
        let a = new_secret(SESSION_TOKEN_PREFIX);
        assert!(a.starts_with(SESSION_TOKEN_PREFIX));
        assert_eq!(a.len(), SESSION_TOKEN_PREFIX.len() + 43);
        assert_ne!(a, new_secret(SESSION_TOKEN_PREFIX));
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn context_round_trips() {
        let caller = Principal::Employee(Caller {
            org_id: OrgId::new(),
            employee_id: EmployeeId::new(),
            session_id: SessionId::new(),
            role: RoleName::Manager,
            permissions: crate::roles::default_permissions(RoleName::Manager),
        });
        assert_eq!(Principal::from_context(&caller.to_context()), Some(caller));
        assert_eq!(Principal::from_context(&Principal::Platform.to_context()), Some(Principal::Platform));
        assert_eq!(Principal::from_context(&HashMap::new()), None);
    }
}
