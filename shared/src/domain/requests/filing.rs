//! Filing requests and reading them: one's own, one, and the queue of those one decides.

use super::*;
use crate::AppState;
use crate::Name;
use crate::activity::EventType;
use crate::auth::Caller;
use crate::domain::agents::AgentSpec;
use crate::domain::{employees, organizations};
use crate::error::{Error, ProblemCode, Result};
use crate::ids::RequestId;
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo::{self, StoreError};
use crate::roles::{Permission, RoleName};
use crate::validate::Validator;

// --- filing, reading ---------------------------------------------------------------------

pub async fn submit(state: &AppState, caller: &Caller, body: NewRequest) -> Result<AgentRequest> {
    caller.require(Permission::RequestsSubmit)?;
    let mut v = Validator::new();
    let reason = optional_text(&mut v, "reason", body.reason, REASON_MAX);
    if body.request_type == RequestType::IncreaseBudget && reason.as_ref().is_some_and(Option::is_none) {
        v.error("reason", "a budget request needs a reason");
    }
    let reason = v.finish(|| reason)?.unwrap_or_default();
    let wanted = parse_wanted(body.request_type, body.request_data)?;
    let requester = employees::find(state, caller.org_id, caller.employee_id).await?;
    check_wanted(state, caller.org_id, requester.id, &wanted).await?;
    let org = organizations::get(state, caller.org_id).await?;
    let rules = ApprovalRules::from_settings(&org.settings).map_err(Error::internal)?;
    let request = AgentRequest {
        id: RequestId::new(),
        org_id: caller.org_id,
        employee_id: requester.id,
        requester_name: requester.full_name.clone(),
        team_id: requester.team_id,
        wanted,
        reason,
        status: RequestStatus::Pending,
        required_approvals: rules.required(body.request_type, requester.team_id),
        approval_count: 0,
        provisioned: None,
        decided_by: None,
        resolution_comment: None,
        version: 0,
        created_at: crate::time::now(),
        resolved_at: None,
    };
    let mut tx = state.repo.transaction();
    repo::requests::create(&mut tx, &request)?;
    if let Wanted::NewAgent(a) = &request.wanted {
        stage_pending_agent(state, &mut tx, &requester, &request, a).await?;
    }
    let by = caller.principal();
    crate::domain::log(state, &mut tx, caller.org_id, &by, EventType::RequestSubmitted, event(&request, None))?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(repo::Guard::RequestOpen) => Error::conflict(
            ProblemCode::DuplicateRequest,
            format!(
                "you have an open {} request for this already; cancel it or wait for its decision",
                request.wanted.request_type().as_str()
            ),
        ),
        StoreError::ConditionFailed(repo::Guard::ConfigChanged) => {
            Error::conflict(ProblemCode::ConcurrentUpdate, "your team changed meanwhile; retry")
        }
        e => e.into(),
    })?;
    Ok(request)
}

/// Files the configuration an agent request asks for as `pending_approval` (admins see
/// what is waiting in the employee's configurations; it holds no agent slot), under the
/// request's id: the approval turns it active, a rejection or cancellation removes it.
async fn stage_pending_agent(
    state: &AppState,
    tx: &mut repo::Transaction,
    requester: &employees::Employee,
    request: &AgentRequest,
    wanted: &AgentWanted,
) -> Result<()> {
    let agent = agent_of(state, request.org_id, wanted.agent_id)
        .await?
        .ok_or_else(|| Error::invalid("request_data.agent_id", "no such agent in the catalog"))?;
    let status = Some(crate::domain::configs::ConfigStatus::PendingApproval);
    let (name, config_override) = (wanted.name.clone(), wanted.config_override.clone());
    let mut config = crate::domain::configs::new_agent_config(
        request.org_id,
        request.employee_id,
        &agent,
        name,
        status,
        config_override,
    )?;
    config.id = pending_config_id(request);
    repo::configs::create_agent(tx, &config)?;
    repo::configs::count_agents(tx, requester, repo::configs::AgentCounts { total: 1, active: 0 }, None);
    repo::catalog::adjust_refs_at(tx, &repo::catalog::key::<AgentSpec>(agent.org_id, agent.id), 1);
    Ok(())
}

/// The caller's own requests, newest first.
pub async fn list_mine(state: &AppState, caller: &Caller, query: &MyRequestsQuery) -> Result<Page<AgentRequest>> {
    let page = PageRequest::try_from(&PageQuery { limit: query.limit, cursor: query.cursor.clone() })?;
    Ok(repo::requests::list_for_employee(&state.repo, caller.org_id, caller.employee_id, query.status, &page).await?)
}

/// A request, for its requester and for those who decide it; 404 for everyone else.
pub async fn get(state: &AppState, caller: &Caller, id: RequestId) -> Result<RequestView> {
    let (request, approvals) =
        repo::requests::get(&state.repo, caller.org_id, id).await?.ok_or(Error::NotFound("request"))?;
    if request.employee_id != caller.employee_id {
        let decider = decider(state, caller).await?;
        if !caller.can(Permission::RequestsDecide) || !decider.decides(&request) {
            return Err(Error::NotFound("request"));
        }
    }
    Ok(RequestView { request, approvals })
}

/// The pending requests the caller decides, oldest first: one Query on the sparse
/// pending index, narrowed to the types their role decides (and a manager's team).
pub async fn pending(state: &AppState, caller: &Caller, query: &PendingQuery) -> Result<Page<AgentRequest>> {
    caller.require(Permission::RequestsDecide)?;
    let page = PageRequest::try_from(&PageQuery { limit: query.limit, cursor: query.cursor.clone() })?;
    let decider = decider(state, caller).await?;
    let org = organizations::get(state, caller.org_id).await?;
    let rules = ApprovalRules::from_settings(&org.settings).map_err(Error::internal)?;
    let mut types = rules.types_for(decider.role);
    types.retain(|t| query.request_type.is_none_or(|wanted| wanted == *t));
    let team = match (decider.role, query.team_id) {
        (RoleName::Manager, Some(team)) if Some(team) != decider.team => {
            return Err(Error::Forbidden("managers see their own team's requests".into()));
        }
        (RoleName::Manager, _) => decider.team,
        (_, team) => team,
    };
    if types.is_empty() || (decider.role == RoleName::Manager && team.is_none()) {
        return Ok(Page { items: vec![], next_cursor: None });
    }
    let found = repo::requests::pending(&state.repo, caller.org_id, &types, team, &page).await?;
    // The index filter follows today's rules; a request keeps the rules it was filed under.
    let items = found.items.into_iter().filter(|r| decider.decides(r)).collect();
    Ok(Page { items, next_cursor: found.next_cursor })
}
