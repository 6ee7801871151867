//! An employee's identity links, for admins: seen with the employee, removed where the
//! person's account at the provider was replaced (a new subject with the same email is
//! refused while the old link stands).

use serde_json::json;

use super::{IdentityLink, LinkView};
use crate::AppState;
use crate::activity::EventType;
use crate::auth::Caller;
use crate::domain::employees;
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{EmployeeId, IdentityLinkId};
use crate::pagination::Page;
use crate::repo::{self, StoreError};
use crate::roles::{Permission, RoleName};

impl IdentityLink {
    /// The link's public id: derived from the person (issuer, subject).
    pub fn id(&self) -> IdentityLinkId {
        IdentityLinkId(uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, self.subject_hash.as_bytes()))
    }

    fn view(&self) -> LinkView {
        LinkView {
            id: self.id(),
            issuer: self.issuer.clone(),
            subject: self.subject.clone(),
            created_at: self.created_at,
        }
    }
}

/// `GET /v1/employees/{id}/identity-links`: every link of the employee (one per issuer).
pub async fn list(state: &AppState, caller: &Caller, employee: EmployeeId) -> Result<Page<LinkView>> {
    caller.require(Permission::EmployeesRead)?;
    employees::find(state, caller.org_id, employee).await?;
    let links = repo::identity::links_of(&state.repo, caller.org_id, employee).await?;
    Ok(Page { items: links.iter().map(IdentityLink::view).collect(), next_cursor: None })
}

/// `DELETE /v1/employees/{id}/identity-links/{link}`: the person signs in as the employee
/// no more; the next verified email of the organization's domains links anew. An
/// owner's links are the owners' to remove.
pub async fn remove(state: &AppState, caller: &Caller, employee: EmployeeId, link: IdentityLinkId) -> Result<()> {
    caller.require(Permission::EmployeesWrite)?;
    let target = employees::find(state, caller.org_id, employee).await?;
    if target.role == RoleName::Owner {
        caller.require(Permission::OwnersManage)?;
    }
    let links = repo::identity::links_of(&state.repo, caller.org_id, employee).await?;
    let link = links.into_iter().find(|l| l.id() == link).ok_or(Error::NotFound("identity link"))?;
    let mut tx = state.repo.transaction();
    repo::identity::delete_link(&mut tx, &link);
    let payload =
        json!({ "employee_id": employee, "link_id": link.id(), "issuer": link.issuer, "subject": link.subject });
    crate::domain::log(state, &mut tx, caller.org_id, &caller.principal(), EventType::IdentityLinkRemoved, payload)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => {
            Error::conflict(ProblemCode::ConcurrentUpdate, "the identity link changed meanwhile; retry")
        }
        e => e.into(),
    })
}
