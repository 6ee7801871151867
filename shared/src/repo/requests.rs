//! Approval requests and their approvals, in the organization's partition: the request
//! `REQ#r`, one item per approver's decision `REQ#r#APPROVAL#e` (read together by one
//! Query), and a guard `REQOPEN#e#<subject>` while the request is open, so an employee
//! cannot ask twice for the same thing.
//!
//! Indexes: GSI1 `ORG#o#EMP#e#REQ` / request id lists an employee's requests; GSI2
//! `ORG#o#REQ#PENDING` / request id is the sparse pending queue (the keys are removed
//! when the request is decided). Request ids are UUID v7, so both sort by creation.

use super::Guard;
use crate::Name;
use std::collections::HashMap;

use super::{Expr, QuerySpec, Repository, StoreError, Transaction, from_item, n, s, to_item, with_key};
use crate::ids::{EmployeeId, OrgId, RequestId, TeamId};
use crate::keys;
use crate::pagination::{Page, PageRequest};
use agentctl_wire::requests::{AgentRequest, Approval, RequestStatus, RequestType};

fn item(request: &AgentRequest) -> Result<super::Item, StoreError> {
    let id = request.id.to_string();
    let mut item = with_key(to_item(request)?, &keys::request(request.org_id, request.id), "request");
    item.insert(keys::GSI1PK.into(), s(keys::employee_requests_pk(request.org_id, request.employee_id)));
    item.insert(keys::GSI1SK.into(), s(&id));
    if request.status == RequestStatus::Pending {
        item.insert(keys::GSI2PK.into(), s(keys::pending_requests_pk(request.org_id)));
        item.insert(keys::GSI2SK.into(), s(&id));
    }
    Ok(item)
}

/// A new pending request and its open-request guard (one open request per thing asked).
pub fn create(tx: &mut Transaction, request: &AgentRequest) -> Result<(), StoreError> {
    tx.put_new(item(request)?, Guard::RequestChanged);
    let guard = HashMap::from([("request_id".to_string(), s(request.id.to_string()))]);
    let key = keys::open_request_guard(request.org_id, request.employee_id, &request.wanted);
    tx.put_new(with_key(guard, &key, "request_guard"), Guard::RequestOpen);
    Ok(())
}

/// Writes `after` if the request is still at `read_version`; a decided request also
/// leaves the pending index and drops its guard.
pub fn replace(tx: &mut Transaction, after: &AgentRequest, read_version: u32) -> Result<(), StoreError> {
    let unchanged =
        Expr::new("#version = :read_version").name("#version", "version").value(":read_version", n(read_version));
    tx.put_if(item(after)?, unchanged, Guard::RequestChanged);
    if after.status != RequestStatus::Pending {
        tx.delete(&keys::open_request_guard(after.org_id, after.employee_id, &after.wanted), None, Guard::RequestGuard);
    }
    Ok(())
}

/// One approver's decision; fails with [`Guard::ApproverDecided`] if they decided before.
pub fn record_approval(tx: &mut Transaction, approval: &Approval) -> Result<(), StoreError> {
    let key = keys::request_approval(approval.org_id, approval.request_id, approval.approver_id);
    tx.put_new(with_key(to_item(approval)?, &key, "approval"), Guard::ApproverDecided);
    Ok(())
}

/// The request and its approvals (oldest first), strongly consistent: one Query.
pub async fn get(
    repo: &Repository,
    org: OrgId,
    id: RequestId,
) -> Result<Option<(AgentRequest, Vec<Approval>)>, StoreError> {
    let key = keys::request(org, id);
    let mut items = repo.query_all(QuerySpec::table(key.pk, &key.sk).consistent()).await?.into_iter();
    let Some(first) = items.next() else { return Ok(None) };
    let request: AgentRequest = from_item(first)?;
    let mut approvals: Vec<Approval> = items.map(from_item).collect::<Result<_, _>>()?;
    approvals.sort_by_key(|a| a.created_at);
    Ok(Some((request, approvals)))
}

/// An employee's requests, newest first, optionally of one status.
pub async fn list_for_employee(
    repo: &Repository,
    org: OrgId,
    employee: EmployeeId,
    status: Option<RequestStatus>,
    page: &PageRequest,
) -> Result<Page<AgentRequest>, StoreError> {
    let filter = status
        .map(|status| Expr::new("#status = :status").name("#status", "status").value(":status", s(status.as_str())));
    let spec = QuerySpec { sk_prefix: None, ..QuerySpec::gsi1(keys::employee_requests_pk(org, employee), "") };
    let spec = spec.backwards().filter(filter);
    repo.query(spec, page).await?.try_map(from_item)
}

/// The pending queue, oldest first, narrowed by `filter` (types, team).
/// One page of the organization's pending requests (oldest first, the sparse GSI2) of
/// these types, and of this team's members when a team is given.
pub async fn pending(
    repo: &Repository,
    org: OrgId,
    types: &[RequestType],
    team: Option<TeamId>,
    page: &PageRequest,
) -> Result<Page<AgentRequest>, StoreError> {
    let placeholders: Vec<String> = (0..types.len()).map(|i| format!(":type{i}")).collect();
    let mut filter = Expr::new(format!("request_type IN ({})", placeholders.join(", ")));
    for (placeholder, kind) in placeholders.iter().zip(types) {
        filter = filter.value(placeholder, s(kind.as_str()));
    }
    if let Some(team) = team {
        filter = filter.and_key("team_id = :team").value(":team", s(team.to_string()));
    }
    let spec = QuerySpec { sk_prefix: None, ..QuerySpec::gsi2(keys::pending_requests_pk(org), "") };
    repo.query(spec.filter(Some(filter)), page).await?.try_map(from_item)
}
