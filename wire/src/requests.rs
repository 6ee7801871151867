//! The approval workflow: requests for agents, MCP servers and budget, and decisions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{ApprovalId, EmployeeId, OrgId, RequestId, TeamId};
use crate::roles::RoleName;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RequestType {
    /// An agent of the catalog: `request_data` {agent_id, name?, config_override?}.
    NewAgent,
    /// An MCP server of the catalog (approved for the organization or not yet):
    /// `request_data` {server_id, connection_config?}.
    NewMcp,
    /// More monthly budget: `request_data` {amount_usd} (an exact decimal string).
    IncreaseBudget,
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

/// An employee's request (the seed's agent_requests).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentRequest {
    pub id: RequestId,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Approved,
    Rejected,
}

/// One approver's decision on a request (the seed's approvals).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approval {
    pub id: ApprovalId,
    pub org_id: OrgId,
    pub request_id: RequestId,
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
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestView {
    #[serde(flatten)]
    pub request: AgentRequest,
    pub approvals: Vec<Approval>,
}

/// `POST /v1/requests`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    pub request_type: RequestType,
    /// `new_agent`: {agent_id, name?, config_override?}; `new_mcp`: {server_id,
    /// connection_config?}; `increase_budget`: {amount_usd}.
    pub request_data: Value,
    /// Why; required for `increase_budget`.
    pub reason: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Approve,
    Reject,
}

/// `POST /v1/requests/{id}/decisions`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub decision: DecisionKind,
    pub comment: Option<String>,
}

/// `POST /v1/requests/{id}/cancel`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Cancellation {
    pub comment: Option<String>,
}
