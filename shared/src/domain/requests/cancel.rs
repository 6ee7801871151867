//! Withdrawing a pending request.

use super::*;
use crate::AppState;
use crate::activity::EventType;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::ids::RequestId;
use crate::repo;
use crate::roles::Permission;
use crate::validate::Validator;

/// The requester withdraws a pending request.
pub async fn cancel(state: &AppState, caller: &Caller, id: RequestId, body: Cancellation) -> Result<RequestView> {
    let mut v = Validator::new();
    let comment = optional_text(&mut v, "comment", body.comment, COMMENT_MAX);
    let comment = v.finish(|| comment)?;
    until_done(|| async {
        let (request, approvals) =
            repo::requests::get(&state.repo, caller.org_id, id).await?.ok_or(Error::NotFound("request"))?;
        if request.employee_id != caller.employee_id {
            // Deciders who can see it are told why; everyone else learns nothing.
            let decider = decider(state, caller).await?;
            return Err(if caller.can(Permission::RequestsDecide) && decider.decides(&request) {
                Error::Forbidden("only the requester cancels a request; reject it instead".into())
            } else {
                Error::NotFound("request")
            });
        }
        if request.status != RequestStatus::Pending {
            return Err(decided(&request));
        }
        let after = AgentRequest {
            status: RequestStatus::Cancelled,
            version: request.version + 1,
            decided_by: Some(caller.employee_id),
            resolution_comment: comment.clone(),
            resolved_at: Some(crate::time::now()),
            ..request.clone()
        };
        let mut tx = state.repo.transaction();
        repo::requests::replace(&mut tx, &after, request.version)?;
        stage_withdrawal(state, &mut tx, &request).await?;
        let by = caller.principal();
        let payload = event(&after, comment.as_deref());
        crate::domain::log(state, &mut tx, caller.org_id, &by, EventType::RequestCancelled, payload)?;
        match crate::domain::notify::commit(state, tx).await {
            Ok(()) => Ok(Attempt::Done(RequestView { request: after, approvals })),
            Err(e) if worth_retrying(&e) => Ok(Attempt::Retry),
            Err(e) => Err(e.into()),
        }
    })
    .await
}
