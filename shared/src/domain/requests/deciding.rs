//! Decisions: conditional on the request's version, re-read and retried when another
//! decision committed first.

use crate::Name;
use std::future::Future;
use std::time::Duration;

use super::*;
use crate::AppState;
use crate::activity::EventType;
use crate::auth::Caller;
use crate::domain::{configs, employees, organizations};
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{ApprovalId, RequestId};
use crate::repo::{self, StoreError};
use crate::roles::Permission;
use crate::validate::Validator;

// --- deciding ----------------------------------------------------------------------------

/// One try of a read-check-write: done, or read again (someone else committed first).
pub(super) enum Attempt<T> {
    Done(T),
    Retry,
}

/// Runs `attempt` until it is done, backing off a little between tries.
pub(super) async fn until_done<T, F, Fut>(mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Attempt<T>>>,
{
    for round in 0..MAX_ATTEMPTS {
        if let Attempt::Done(value) = attempt().await? {
            return Ok(value);
        }
        tokio::time::sleep(Duration::from_millis(5 * (round as u64 + 1))).await;
    }
    Err(Error::conflict(ProblemCode::ConcurrentUpdate, "the request kept changing while this decision ran; retry"))
}

/// Whether a failed transaction of a decision is worth a fresh read: a concurrent
/// decision, a conflicting transaction, or something provisioning read that moved.
pub(super) fn worth_retrying(e: &StoreError) -> bool {
    matches!(e, StoreError::Throttled(_))
        || matches!(e, StoreError::ConditionFailed(tag) if *tag != repo::Guard::ApproverDecided)
}

pub(super) fn decided(request: &AgentRequest) -> Error {
    Error::conflict(ProblemCode::RequestDecided, format!("the request is {} already", request.status.as_str()))
}

pub(super) fn cannot_provision(detail: impl Into<String>) -> Error {
    Error::conflict(ProblemCode::CannotProvision, detail)
}

/// Approves or rejects a request. Approval by the last approver needed provisions what
/// was asked for in the same transaction; any rejection rejects.
/// Like reading, deciding is for those the rules name: anyone else gets 404.
pub async fn decide(state: &AppState, caller: &Caller, id: RequestId, body: Decision) -> Result<RequestView> {
    let mut v = Validator::new();
    let comment = optional_text(&mut v, "comment", body.comment, COMMENT_MAX);
    let comment = v.finish(|| comment)?;
    let decider = decider(state, caller).await?;
    until_done(|| decide_once(state, caller, decider, id, body.decision, comment.clone())).await
}

pub(super) async fn decide_once(
    state: &AppState,
    caller: &Caller,
    decider: Decider,
    id: RequestId,
    kind: DecisionKind,
    comment: Option<String>,
) -> Result<Attempt<RequestView>> {
    let (request, mut approvals) =
        repo::requests::get(&state.repo, caller.org_id, id).await?.ok_or(Error::NotFound("request"))?;
    if request.employee_id == caller.employee_id {
        return Err(Error::Forbidden("nobody decides their own request".into()));
    }
    if !caller.can(Permission::RequestsDecide) || !decider.decides(&request) {
        return Err(Error::NotFound("request"));
    }
    if request.status != RequestStatus::Pending {
        return Err(decided(&request));
    }
    if approvals.iter().any(|a| a.approver_id == caller.employee_id) {
        return Err(Error::conflict(ProblemCode::AlreadyDecided, "you decided this request already"));
    }
    let now = crate::time::now();
    let step = match kind {
        DecisionKind::Reject => None,
        DecisionKind::Approve => Some(decider.open_step(&request, &approvals).ok_or_else(|| {
            Error::conflict(
                ProblemCode::ApprovalNotNeeded,
                "the approvals your role can give are given; others must decide",
            )
        })?),
    };
    let approval = Approval {
        id: ApprovalId::new(),
        org_id: caller.org_id,
        request_id: request.id,
        approver_id: caller.employee_id,
        approver_role: caller.role,
        status: if step.is_some() { ApprovalStatus::Approved } else { ApprovalStatus::Rejected },
        step: step.map(|i| i as u32),
        comment: comment.clone(),
        created_at: now,
        resolved_at: now,
    };
    let mut after = AgentRequest { version: request.version + 1, ..request.clone() };
    let mut tx = state.repo.transaction();
    let event_type = match step {
        None => {
            after.status = RequestStatus::Rejected;
            stage_withdrawal(state, &mut tx, &request).await?;
            EventType::RequestRejected
        }
        Some(_) => {
            after.approval_count += 1;
            if (after.approval_count as usize) < request.required_approvals.len() {
                EventType::RequestApprovalRecorded
            } else {
                after.status = RequestStatus::Approved;
                after.provisioned = Some(provision(state, &mut tx, caller, &request).await?);
                EventType::RequestApproved
            }
        }
    };
    if after.status != RequestStatus::Pending {
        after.decided_by = Some(caller.employee_id);
        after.resolution_comment = comment.clone();
        after.resolved_at = Some(now);
    }
    repo::requests::record_approval(&mut tx, &approval)?;
    repo::requests::replace(&mut tx, &after, request.version)?;
    let by = caller.principal();
    crate::domain::log(state, &mut tx, caller.org_id, &by, event_type, event(&after, comment.as_deref()))?;
    match crate::domain::notify::commit(state, tx).await {
        Ok(()) => {
            approvals.push(approval);
            Ok(Attempt::Done(RequestView { request: after, approvals }))
        }
        Err(StoreError::ConditionFailed(repo::Guard::ApproverDecided)) => {
            Err(Error::conflict(ProblemCode::AlreadyDecided, "you decided this request already"))
        }
        Err(StoreError::ConditionFailed(repo::Guard::AgentLimit)) if after.provisioned.is_some() => {
            // At the limit: no retry will fit the agent in. Otherwise the team moved.
            let requester = employees::find(state, caller.org_id, request.employee_id).await?;
            let max = organizations::get(state, caller.org_id).await?.max_agents_per_employee;
            match configs::agent_config_error(StoreError::ConditionFailed(repo::Guard::AgentLimit), &requester, max) {
                e @ Error::Conflict { code: ProblemCode::AgentLimitReached, .. } => Err(e),
                _ => Ok(Attempt::Retry),
            }
        }
        Err(e) if worth_retrying(&e) => Ok(Attempt::Retry),
        Err(e) => Err(e.into()),
    }
}
