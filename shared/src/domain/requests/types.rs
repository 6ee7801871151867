//! The approval workflow's wire types.

use serde::Deserialize;

use crate::ids::TeamId;

pub use agentctl_wire::requests::{
    AgentRequest, AgentWanted, Approval, ApprovalStatus, BudgetWanted, Cancellation, Decision, DecisionKind, McpWanted,
    NewRequest, Provisioned, RequestStatus, RequestType, RequestView, Wanted,
};

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
