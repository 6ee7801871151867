//! The approval workflow: employees ask for an agent, an MCP server or more budget; the
//! approvers the organization's rules name decide; the last approval provisions what
//! was asked for in the same transaction.
//!
//! Who decides is data: `settings.approval_rules` of the organization lists, per request
//! type, the approvals needed, each as the roles that may give it (`manager` meaning a
//! manager of the requester's team). A request keeps the rules it was filed under.
//! Decisions are conditional writes on the request's `version`: racing approvers each
//! re-read and get a consistent answer, and every approval is counted exactly once.

use std::collections::BTreeMap;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::AppState;
use crate::activity::EventType;
use crate::auth::{Caller, Principal};
use crate::domain::agents::AgentSpec;
use crate::domain::catalog::{self, Entry};
use crate::domain::mcp::{self, McpServerSpec, credential_fields};
use crate::domain::{configs, employees, organizations, subscriptions};
use crate::error::{Error, Result};
use crate::ids::{EmployeeId, OrgId, TeamId};
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo::{self, StoreError};
use crate::roles::{Permission, RoleName};
use crate::validate::{self, FieldError, Validator};

/// The organization setting that holds the approval rules.
pub const RULES_SETTING: &str = "approval_rules";
/// At most this many approvals per request type.
const MAX_STEPS: usize = 5;
const REASON_MAX: usize = 2000;
const COMMENT_MAX: usize = 2000;
/// Re-reads after a concurrent change before giving up (each retry follows a commit by
/// someone else, and a request sees at most `MAX_STEPS` + 1 commits).
const MAX_ATTEMPTS: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestType {
    /// An agent of the catalog: `request_data` {agent_id, name?, config_override?}.
    NewAgent,
    /// An MCP server of the catalog (approved for the organization or not yet):
    /// `request_data` {server_id, connection_config?}.
    NewMcp,
    /// More monthly budget: `request_data` {amount_usd} (an exact decimal string).
    IncreaseBudget,
}

impl RequestType {
    pub const ALL: [RequestType; 3] = [Self::NewAgent, Self::NewMcp, Self::IncreaseBudget];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewAgent => "new_agent",
            Self::NewMcp => "new_mcp",
            Self::IncreaseBudget => "increase_budget",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }
}

/// An employee's request (the seed's agent_requests).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentRequest {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub org_id: OrgId,
    /// The requester.
    pub employee_id: EmployeeId,
    /// The requester's name when they filed it.
    pub requester_name: String,
    /// The requester's team when they filed it.
    pub team_id: Option<TeamId>,
    pub request_type: RequestType,
    /// What is asked for; its shape depends on `request_type`.
    pub request_data: Value,
    pub reason: String,
    pub status: RequestStatus,
    /// The approvals needed, each as the roles that may give it (`manager`: a manager of
    /// the requester's team), from the organization's rules when the request was filed.
    pub required_approvals: Vec<Vec<RoleName>>,
    /// Approvals given so far.
    pub approval_count: u32,
    /// What the final approval provisioned (configuration ids, the new budget).
    pub provisioned: Option<Value>,
    /// Who approved last, rejected or cancelled.
    pub decided_by: Option<EmployeeId>,
    pub resolution_comment: Option<String>,
    /// Changes with every decision. Server-owned.
    pub version: u32,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Approved,
    Rejected,
}

/// One approver's decision on a request (the seed's approvals).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Approval {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub org_id: OrgId,
    #[schema(value_type = String, format = Uuid)]
    pub request_id: Uuid,
    pub approver_id: EmployeeId,
    pub approver_role: RoleName,
    pub status: ApprovalStatus,
    /// Which of the request's `required_approvals` an approval gives.
    pub step: Option<u32>,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: DateTime<Utc>,
}

/// A request with its decisions so far.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RequestView {
    #[serde(flatten)]
    pub request: AgentRequest,
    pub approvals: Vec<Approval>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    pub request_type: RequestType,
    /// `new_agent`: {agent_id, name?, config_override?}; `new_mcp`: {server_id,
    /// connection_config?}; `increase_budget`: {amount_usd}.
    pub request_data: Value,
    /// Why; required for `increase_budget`.
    pub reason: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Approve,
    Reject,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub decision: DecisionKind,
    pub comment: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancellation {
    pub comment: Option<String>,
}

/// `?request_type=&team_id=` of the pending queue.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PendingQuery {
    pub request_type: Option<RequestType>,
    pub team_id: Option<TeamId>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// `?status=` of one's own requests.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MyRequestsQuery {
    pub status: Option<RequestStatus>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

// --- what can be asked for ---------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentWanted {
    agent_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config_override: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct McpWanted {
    server_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    connection_config: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetWanted {
    #[serde(deserialize_with = "crate::money::plain")]
    amount_usd: Decimal,
}

/// A request's data, parsed by type.
enum Wanted {
    Agent(AgentWanted),
    Mcp(McpWanted),
    Budget(BudgetWanted),
}

impl Wanted {
    fn parse(kind: RequestType, data: Value) -> Result<Self> {
        fn read<T: serde::de::DeserializeOwned>(data: Value) -> Result<T> {
            crate::strict_json::from_value(&data, "request_data")
        }
        Ok(match kind {
            RequestType::NewAgent => Self::Agent(read(data)?),
            RequestType::NewMcp => Self::Mcp(read(data)?),
            RequestType::IncreaseBudget => Self::Budget(read(data)?),
        })
    }

    /// What the open-request guard is keyed on: one open request per thing.
    fn subject(&self) -> String {
        match self {
            Self::Agent(a) => format!("agent#{}", a.agent_id),
            Self::Mcp(m) => format!("mcp#{}", m.server_id),
            Self::Budget(_) => "budget".into(),
        }
    }

    fn to_value(&self) -> Result<Value> {
        match self {
            Self::Agent(a) => serde_json::to_value(a),
            Self::Mcp(m) => serde_json::to_value(m),
            Self::Budget(b) => serde_json::to_value(b),
        }
        .map_err(Error::internal)
    }
}

/// Errors of a validation done for `request_data`, reported under it.
fn under_request_data(e: Error) -> Error {
    match e {
        Error::Validation(errors) => Error::Validation(
            errors
                .into_iter()
                .map(|FieldError { field, message }| FieldError { field: format!("request_data.{field}"), message })
                .collect(),
        ),
        e => e,
    }
}

async fn agent_of(state: &AppState, org: OrgId, id: Uuid) -> Result<Option<Entry<AgentSpec>>> {
    match catalog::visible_to::<AgentSpec>(state, Some(org), id).await {
        Ok(agent) => Ok(Some(agent)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn server_of(state: &AppState, org: OrgId, id: Uuid) -> Result<Option<Entry<McpServerSpec>>> {
    match catalog::visible_to::<McpServerSpec>(state, Some(org), id).await {
        Ok(server) => Ok(Some(server)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

fn parse_amount(amount: Decimal) -> std::result::Result<Decimal, String> {
    if amount <= Decimal::ZERO {
        return Err("must be positive".into());
    }
    subscriptions::check_budget(amount)
}

/// Checks that what is asked for exists and is valid (again at approval: the catalog
/// may have changed in between).
async fn check_wanted(state: &AppState, org: OrgId, requester: EmployeeId, wanted: &Wanted) -> Result<()> {
    match wanted {
        Wanted::Agent(a) => {
            let agent = agent_of(state, org, a.agent_id)
                .await?
                .ok_or_else(|| Error::invalid("request_data.agent_id", "no such agent in the catalog"))?;
            configs::new_agent_config(org, requester, &agent, a.name.clone(), None, a.config_override.clone())
                .map_err(under_request_data)?;
        }
        Wanted::Mcp(m) => {
            let server = server_of(state, org, m.server_id)
                .await?
                .ok_or_else(|| Error::invalid("request_data.server_id", "no such MCP server in the catalog"))?;
            configs::new_mcp_config(org, requester, &server, None, m.connection_config.clone())
                .map_err(under_request_data)?;
        }
        Wanted::Budget(b) => {
            parse_amount(b.amount_usd).map_err(|message| Error::invalid("request_data.amount_usd", message))?;
        }
    }
    Ok(())
}

// --- who decides -------------------------------------------------------------------------

/// Per request type, the approvals needed, each as the roles that may give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalRules(BTreeMap<RequestType, Vec<Vec<RoleName>>>);

impl ApprovalRules {
    /// A team's manager or an admin adds an agent; an MCP server needs the team's
    /// manager and an admin; budget is billing's (or the owner's) call.
    pub fn defaults() -> Self {
        use RoleName::*;
        Self(BTreeMap::from([
            (RequestType::NewAgent, vec![vec![Manager, Admin, Owner]]),
            (RequestType::NewMcp, vec![vec![Manager], vec![Admin, Owner]]),
            (RequestType::IncreaseBudget, vec![vec![Billing, Owner]]),
        ]))
    }

    /// The rules of an organization's settings: `approval_rules` maps request types to
    /// lists of role lists, e.g. `{"new_mcp": [["manager"], ["admin", "owner"]]}`.
    /// Types left out keep their defaults.
    pub fn from_settings(settings: &Value) -> std::result::Result<Self, String> {
        let mut rules = Self::defaults();
        let Some(raw) = settings.get(RULES_SETTING) else { return Ok(rules) };
        let raw = raw.as_object().ok_or_else(|| format!("{RULES_SETTING} must be an object"))?;
        for (kind, steps) in raw {
            let at = format!("{RULES_SETTING}.{kind}");
            let kind = RequestType::ALL.into_iter().find(|t| t.as_str() == kind).ok_or_else(|| {
                format!("{at}: unknown request type (one of {})", RequestType::ALL.map(RequestType::as_str).join(", "))
            })?;
            let steps = steps
                .as_array()
                .filter(|s| (1..=MAX_STEPS).contains(&s.len()))
                .ok_or_else(|| format!("{at} must list 1 to {MAX_STEPS} approvals, each a list of roles"))?;
            let mut parsed = Vec::with_capacity(steps.len());
            for (i, step) in steps.iter().enumerate() {
                let roles = step
                    .as_array()
                    .filter(|r| !r.is_empty())
                    .ok_or_else(|| format!("{at}[{i}] must be a non-empty list of roles"))?;
                let mut step_roles = Vec::with_capacity(roles.len());
                for role in roles {
                    let role = role
                        .as_str()
                        .ok_or_else(|| format!("{at}[{i}]: roles are strings"))
                        .and_then(|r| RoleName::from_str(r).map_err(|e| format!("{at}[{i}]: {r:?} {e}")))?;
                    if !step_roles.contains(&role) {
                        step_roles.push(role);
                    }
                }
                parsed.push(step_roles);
            }
            rules.0.insert(kind, parsed);
        }
        Ok(rules)
    }

    /// The approvals a request of `kind` by someone in `team` needs. Without a team there
    /// is no team manager: an admin gives the approval a manager would.
    fn required(&self, kind: RequestType, team: Option<TeamId>) -> Vec<Vec<RoleName>> {
        let mut steps = self.0.get(&kind).cloned().unwrap_or_default();
        if team.is_none() {
            for step in &mut steps {
                if let Some(i) = step.iter().position(|r| *r == RoleName::Manager) {
                    step.remove(i);
                    if !step.contains(&RoleName::Admin) {
                        step.push(RoleName::Admin);
                    }
                }
            }
        }
        steps
    }

    /// The request types someone of `role` may decide.
    fn types_for(&self, role: RoleName) -> Vec<RequestType> {
        self.0.iter().filter(|(_, steps)| steps.iter().any(|s| s.contains(&role))).map(|(t, _)| *t).collect()
    }
}

/// A decider as the rules see them: their role, and the team they manage (managers).
#[derive(Clone, Copy, Debug)]
struct Decider {
    id: EmployeeId,
    role: RoleName,
    team: Option<TeamId>,
}

impl Decider {
    async fn of(state: &AppState, caller: &Caller) -> Result<Self> {
        let team = match caller.role {
            RoleName::Manager => employees::find(state, caller.org_id, caller.employee_id).await?.team_id,
            _ => None,
        };
        Ok(Self { id: caller.employee_id, role: caller.role, team })
    }

    /// Whether they may give an approval of `roles` on `request`.
    fn fits(&self, roles: &[RoleName], request: &AgentRequest) -> bool {
        roles.contains(&self.role)
            && (self.role != RoleName::Manager || (self.team.is_some() && self.team == request.team_id))
    }

    /// Whether the request is theirs to decide at all (and so to see).
    fn decides(&self, request: &AgentRequest) -> bool {
        request.employee_id != self.id && request.required_approvals.iter().any(|step| self.fits(step, request))
    }

    /// The first required approval they can give that nobody gave yet.
    fn open_step(&self, request: &AgentRequest, approvals: &[Approval]) -> Option<usize> {
        let given =
            |i: usize| approvals.iter().any(|a| a.status == ApprovalStatus::Approved && a.step == Some(i as u32));
        request.required_approvals.iter().enumerate().position(|(i, step)| !given(i) && self.fits(step, request))
    }
}

/// The shape of every request event (activity entries of category `approval`), as an
/// organization would route it to chat or email. Documented in docs/ARCHITECTURE.md.
fn event(request: &AgentRequest, comment: Option<&str>) -> Value {
    json!({
        "request_id": request.id,
        "request_type": request.request_type,
        "requester_id": request.employee_id,
        "requester_name": request.requester_name,
        "team_id": request.team_id,
        "status": request.status,
        "approvals": request.approval_count,
        "required": request.required_approvals.len(),
        "decided_by": request.decided_by,
        "comment": comment,
    })
}

fn optional_text(v: &mut Validator, field: &str, value: Option<String>, max: usize) -> Option<Option<String>> {
    v.check_opt(field, value, validate::text(max)).map(|t| t.filter(|t| !t.trim().is_empty()))
}

// --- filing, reading ---------------------------------------------------------------------

pub async fn submit(state: &AppState, caller: &Caller, body: NewRequest) -> Result<AgentRequest> {
    caller.require(Permission::RequestsSubmit)?;
    let mut v = Validator::new();
    let reason = optional_text(&mut v, "reason", body.reason, REASON_MAX);
    if body.request_type == RequestType::IncreaseBudget && reason.as_ref().is_some_and(Option::is_none) {
        v.error("reason", "a budget request needs a reason");
    }
    let reason = v.finish(|| reason)?.unwrap_or_default();
    let wanted = Wanted::parse(body.request_type, body.request_data)?;
    let requester = employees::find(state, caller.org_id, caller.employee_id).await?;
    check_wanted(state, caller.org_id, requester.id, &wanted).await?;
    let org = organizations::get(state, caller.org_id).await?;
    let rules = ApprovalRules::from_settings(&org.settings).map_err(Error::internal)?;
    let request = AgentRequest {
        id: Uuid::now_v7(),
        org_id: caller.org_id,
        employee_id: requester.id,
        requester_name: requester.full_name.clone(),
        team_id: requester.team_id,
        request_type: body.request_type,
        request_data: wanted.to_value()?,
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
    repo::requests::create(&mut tx, &request, &wanted.subject())?;
    let by = Principal::Employee(caller.clone());
    crate::domain::log(state, &mut tx, caller.org_id, &by, EventType::RequestSubmitted, event(&request, None))?;
    state.repo.transact(tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(repo::requests::OPEN_ALREADY) => Error::conflict(
            "duplicate_request",
            format!(
                "you have an open {} request for this already; cancel it or wait for its decision",
                request.request_type.as_str()
            ),
        ),
        e => e.into(),
    })?;
    Ok(request)
}

/// The caller's own requests, newest first.
pub async fn list_mine(state: &AppState, caller: &Caller, query: &MyRequestsQuery) -> Result<Page<AgentRequest>> {
    let page = PageRequest::try_from(&PageQuery { limit: query.limit, cursor: query.cursor.clone() })?;
    Ok(repo::requests::list_for_employee(&state.repo, caller.org_id, caller.employee_id, query.status, &page).await?)
}

/// A request, for its requester and for those who decide it; 404 for everyone else.
pub async fn get(state: &AppState, caller: &Caller, id: Uuid) -> Result<RequestView> {
    let (request, approvals) =
        repo::requests::get(&state.repo, caller.org_id, id).await?.ok_or(Error::NotFound("request"))?;
    if request.employee_id != caller.employee_id {
        let decider = Decider::of(state, caller).await?;
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
    let decider = Decider::of(state, caller).await?;
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

// --- deciding ----------------------------------------------------------------------------

/// One try of a read-check-write: done, or read again (someone else committed first).
enum Attempt<T> {
    Done(T),
    Retry,
}

/// Runs `attempt` until it is done, backing off a little between tries.
async fn until_done<T, F, Fut>(mut attempt: F) -> Result<T>
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
    Err(Error::conflict("concurrent_update", "the request kept changing while this decision ran; retry"))
}

/// Whether a failed transaction of a decision is worth a fresh read: a concurrent
/// decision, a conflicting transaction, or something provisioning read that moved.
fn worth_retrying(e: &StoreError) -> bool {
    matches!(e, StoreError::Throttled(_))
        || matches!(e, StoreError::ConditionFailed(tag) if *tag != repo::requests::DECIDED_ALREADY)
}

fn decided(request: &AgentRequest) -> Error {
    Error::conflict("request_decided", format!("the request is {} already", request.status.as_str()))
}

fn cannot_provision(detail: impl Into<String>) -> Error {
    Error::conflict("cannot_provision", detail)
}

/// Approves or rejects a request. Approval by the last approver needed provisions what
/// was asked for in the same transaction; any rejection rejects.
/// Like reading, deciding is for those the rules name: anyone else gets 404.
pub async fn decide(state: &AppState, caller: &Caller, id: Uuid, body: Decision) -> Result<RequestView> {
    let mut v = Validator::new();
    let comment = optional_text(&mut v, "comment", body.comment, COMMENT_MAX);
    let comment = v.finish(|| comment)?;
    let decider = Decider::of(state, caller).await?;
    until_done(|| decide_once(state, caller, decider, id, body.decision, comment.clone())).await
}

async fn decide_once(
    state: &AppState,
    caller: &Caller,
    decider: Decider,
    id: Uuid,
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
        return Err(Error::conflict("already_decided", "you decided this request already"));
    }
    let now = crate::time::now();
    let step = match kind {
        DecisionKind::Reject => None,
        DecisionKind::Approve => Some(decider.open_step(&request, &approvals).ok_or_else(|| {
            Error::conflict("approval_not_needed", "the approvals your role can give are given; others must decide")
        })?),
    };
    let approval = Approval {
        id: Uuid::now_v7(),
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
    let wanted = Wanted::parse(request.request_type, request.request_data.clone()).map_err(Error::internal)?;
    let mut tx = state.repo.transaction();
    let event_type = match step {
        None => {
            after.status = RequestStatus::Rejected;
            EventType::RequestRejected
        }
        Some(_) => {
            after.approval_count += 1;
            if (after.approval_count as usize) < request.required_approvals.len() {
                EventType::RequestApprovalRecorded
            } else {
                after.status = RequestStatus::Approved;
                after.provisioned = Some(provision(state, &mut tx, caller, &request, &wanted).await?);
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
    repo::requests::replace(&mut tx, &after, request.version, &wanted.subject())?;
    let by = Principal::Employee(caller.clone());
    crate::domain::log(state, &mut tx, caller.org_id, &by, event_type, event(&after, comment.as_deref()))?;
    match state.repo.transact(tx).await {
        Ok(()) => {
            approvals.push(approval);
            Ok(Attempt::Done(RequestView { request: after, approvals }))
        }
        Err(StoreError::ConditionFailed(repo::requests::DECIDED_ALREADY)) => {
            Err(Error::conflict("already_decided", "you decided this request already"))
        }
        Err(StoreError::ConditionFailed(repo::configs::AGENT_LIMIT)) if after.provisioned.is_some() => {
            // At the limit: no retry will fit the agent in. Otherwise the team moved.
            let requester = employees::find(state, caller.org_id, request.employee_id).await?;
            let max = organizations::get(state, caller.org_id).await?.max_agents_per_employee;
            match configs::agent_config_error(StoreError::ConditionFailed(repo::configs::AGENT_LIMIT), &requester, max)
            {
                e @ Error::Conflict { code: "agent_limit_reached", .. } => Err(e),
                _ => Ok(Attempt::Retry),
            }
        }
        Err(e) if worth_retrying(&e) => Ok(Attempt::Retry),
        Err(e) => Err(e.into()),
    }
}

/// Stages what an approved request asked for into `tx`; returns what it provisioned.
/// Anything that no longer holds (the agent left the catalog, the requester left) is a
/// conflict: the request stays pending and the approver may reject it.
async fn provision(
    state: &AppState,
    tx: &mut repo::Transaction,
    approver: &Caller,
    request: &AgentRequest,
    wanted: &Wanted,
) -> Result<Value> {
    let org = approver.org_id;
    let by = Principal::Employee(approver.clone());
    let requester = employees::find(state, org, request.employee_id).await?;
    if requester.status != employees::EmployeeStatus::Active {
        return Err(cannot_provision("the requester is no longer active; reject the request"));
    }
    let invalid_now = |e: Error| match e {
        Error::Validation(errors) => cannot_provision(format!(
            "the request no longer fits the catalog ({}); reject it",
            errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
        )),
        e => e,
    };
    match wanted {
        Wanted::Agent(a) => {
            let agent = agent_of(state, org, a.agent_id)
                .await?
                .ok_or_else(|| cannot_provision("the agent is no longer in the catalog; reject the request"))?;
            let max = organizations::get(state, org).await?.max_agents_per_employee;
            let config =
                configs::new_agent_config(org, requester.id, &agent, a.name.clone(), None, a.config_override.clone())
                    .map_err(invalid_now)?;
            configs::stage_agent_config(state, tx, &by, &requester, max, &config, &agent.name)?;
            repo::catalog::adjust_refs_at(tx, &repo::catalog::key::<AgentSpec>(agent.org_id, agent.id), 1);
            Ok(json!({ "agent_config_id": config.id }))
        }
        Wanted::Mcp(m) => {
            let server = server_of(state, org, m.server_id)
                .await?
                .ok_or_else(|| cannot_provision("the MCP server is no longer in the catalog; reject the request"))?;
            let config = configs::new_mcp_config(org, requester.id, &server, None, m.connection_config.clone())
                .map_err(invalid_now)?;
            let approve_here = repo::mcp::approval(&state.repo, org, server.id).await?.is_none();
            if approve_here {
                mcp::stage_approval(state, tx, approver, &server)?;
            }
            configs::stage_mcp_config(state, tx, &by, &config, approve_here)?;
            let refs = if approve_here { 2 } else { 1 };
            repo::catalog::adjust_refs_at(tx, &repo::catalog::key::<McpServerSpec>(server.org_id, server.id), refs);
            let awaiting_credentials = credential_fields(&server.spec.connection_schema).1;
            Ok(json!({
                "mcp_config_id": config.config.id,
                "server_approved_for_org": approve_here,
                "awaiting_credentials": awaiting_credentials,
            }))
        }
        Wanted::Budget(b) => {
            let before = repo::subscriptions::get(&state.repo, org).await?.ok_or(Error::NotFound("subscription"))?;
            let budget = subscriptions::check_budget(before.monthly_budget_usd + b.amount_usd)
                .map_err(|message| cannot_provision(format!("the raised budget {message}")))?;
            subscriptions::stage_budget(state, tx, &by, &before, budget)?;
            Ok(json!({ "monthly_budget_usd": budget }))
        }
    }
}

/// The requester withdraws a pending request.
pub async fn cancel(state: &AppState, caller: &Caller, id: Uuid, body: Cancellation) -> Result<RequestView> {
    let mut v = Validator::new();
    let comment = optional_text(&mut v, "comment", body.comment, COMMENT_MAX);
    let comment = v.finish(|| comment)?;
    until_done(|| async {
        let (request, approvals) =
            repo::requests::get(&state.repo, caller.org_id, id).await?.ok_or(Error::NotFound("request"))?;
        if request.employee_id != caller.employee_id {
            // Deciders who can see it are told why; everyone else learns nothing.
            let decider = Decider::of(state, caller).await?;
            return Err(if caller.can(Permission::RequestsDecide) && decider.decides(&request) {
                Error::Forbidden("only the requester cancels a request; reject it instead".into())
            } else {
                Error::NotFound("request")
            });
        }
        if request.status != RequestStatus::Pending {
            return Err(decided(&request));
        }
        let wanted = Wanted::parse(request.request_type, request.request_data.clone()).map_err(Error::internal)?;
        let after = AgentRequest {
            status: RequestStatus::Cancelled,
            version: request.version + 1,
            decided_by: Some(caller.employee_id),
            resolution_comment: comment.clone(),
            resolved_at: Some(crate::time::now()),
            ..request.clone()
        };
        let mut tx = state.repo.transaction();
        repo::requests::replace(&mut tx, &after, request.version, &wanted.subject())?;
        let by = Principal::Employee(caller.clone());
        let payload = event(&after, comment.as_deref());
        crate::domain::log(state, &mut tx, caller.org_id, &by, EventType::RequestCancelled, payload)?;
        match state.repo.transact(tx).await {
            Ok(()) => Ok(Attempt::Done(RequestView { request: after, approvals })),
            Err(e) if worth_retrying(&e) => Ok(Attempt::Retry),
            Err(e) => Err(e.into()),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(team: Option<TeamId>, required: Vec<Vec<RoleName>>) -> AgentRequest {
        AgentRequest {
            id: Uuid::now_v7(),
            org_id: OrgId::new(),
            employee_id: EmployeeId::new(),
            requester_name: "R".into(),
            team_id: team,
            request_type: RequestType::NewMcp,
            request_data: json!({}),
            reason: String::new(),
            status: RequestStatus::Pending,
            required_approvals: required,
            approval_count: 0,
            provisioned: None,
            decided_by: None,
            resolution_comment: None,
            version: 0,
            created_at: Utc::now(),
            resolved_at: None,
        }
    }

    fn approved(step: u32) -> Approval {
        let now = Utc::now();
        Approval {
            id: Uuid::now_v7(),
            org_id: OrgId::new(),
            request_id: Uuid::now_v7(),
            approver_id: EmployeeId::new(),
            approver_role: RoleName::Admin,
            status: ApprovalStatus::Approved,
            step: Some(step),
            comment: None,
            created_at: now,
            resolved_at: now,
        }
    }

    #[test]
    fn settings_override_defaults_per_type_and_are_checked() {
        let rules =
            ApprovalRules::from_settings(&json!({ "approval_rules": { "new_agent": [["admin"], ["billing"]] } }))
                .unwrap();
        assert_eq!(rules.0[&RequestType::NewAgent], vec![vec![RoleName::Admin], vec![RoleName::Billing]]);
        assert_eq!(rules.0[&RequestType::NewMcp], ApprovalRules::defaults().0[&RequestType::NewMcp]);
        for bad in [
            json!({ "approval_rules": [] }),
            json!({ "approval_rules": { "new_pony": [["admin"]] } }),
            json!({ "approval_rules": { "new_agent": [] } }),
            json!({ "approval_rules": { "new_agent": [[]] } }),
            json!({ "approval_rules": { "new_agent": [["boss"]] } }),
            json!({ "approval_rules": { "new_agent": [["admin"], ["admin"], ["admin"], ["admin"], ["admin"], ["admin"]] } }),
        ] {
            assert!(ApprovalRules::from_settings(&bad).is_err(), "{bad}");
        }
        assert_eq!(ApprovalRules::from_settings(&json!({})).unwrap(), ApprovalRules::defaults());
    }

    #[test]
    fn without_a_team_an_admin_stands_in_for_the_manager() {
        let rules = ApprovalRules::defaults();
        assert_eq!(
            rules.required(RequestType::NewMcp, None),
            vec![vec![RoleName::Admin], vec![RoleName::Admin, RoleName::Owner]]
        );
        assert_eq!(rules.required(RequestType::NewMcp, Some(TeamId::new()))[0], vec![RoleName::Manager]);
    }

    #[test]
    fn managers_decide_for_their_own_team_only() {
        let team = TeamId::new();
        let r = request(Some(team), vec![vec![RoleName::Manager], vec![RoleName::Admin]]);
        let manager = |team| Decider { id: EmployeeId::new(), role: RoleName::Manager, team };
        assert!(manager(Some(team)).decides(&r));
        assert!(!manager(Some(TeamId::new())).decides(&r));
        assert!(!manager(None).decides(&r));
        let billing = Decider { id: EmployeeId::new(), role: RoleName::Billing, team: None };
        assert!(!billing.decides(&r));
        let requester = Decider { id: r.employee_id, role: RoleName::Admin, team: None };
        assert!(!requester.decides(&r));
    }

    #[test]
    fn an_approval_fills_the_first_open_step_of_the_role() {
        let r = request(None, vec![vec![RoleName::Admin], vec![RoleName::Admin, RoleName::Owner]]);
        let admin = Decider { id: EmployeeId::new(), role: RoleName::Admin, team: None };
        assert_eq!(admin.open_step(&r, &[]), Some(0));
        assert_eq!(admin.open_step(&r, &[approved(0)]), Some(1));
        assert_eq!(admin.open_step(&r, &[approved(0), approved(1)]), None);
        let owner = Decider { id: EmployeeId::new(), role: RoleName::Owner, team: None };
        assert_eq!(owner.open_step(&r, &[]), Some(1));
        assert_eq!(owner.open_step(&r, &[approved(1)]), None);
    }
}
