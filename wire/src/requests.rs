//! The approval workflow: requests for agents, MCP servers and budget, and decisions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{
    AgentConfigId, AgentId, ApprovalId, EmployeeId, McpConfigId, McpServerId, OrgId, RequestId, TeamId, ToolId,
};
use crate::money::Usd;
use crate::roles::RoleName;

wire_enum! {
    "snake_case",
    pub enum RequestType {
        /// An agent of the catalog: `request_data` {agent_id, name?, config_override?}.
        NewAgent,
        /// An MCP server of the catalog (approved for the organization or not yet):
        /// `request_data` {server_id, connection_config?}.
        NewMcp,
        /// More monthly budget: `request_data` {amount_usd} (an exact decimal string).
        IncreaseBudget,
        /// The use of a tool that requires approval, with one agent: `request_data`
        /// {agent_id, tool_id}.
        EnableTool,
    }
}

wire_enum! {
    "snake_case",
    pub enum RequestStatus {
        Pending,
        Approved,
        Rejected,
        Cancelled,
    }
}

/// What a request asks for, by type: on the wire `request_type` and `request_data`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "request_type", content = "request_data", rename_all = "snake_case")]
pub enum Wanted {
    NewAgent(AgentWanted),
    NewMcp(McpWanted),
    IncreaseBudget(BudgetWanted),
    EnableTool(ToolWanted),
}

impl Wanted {
    pub fn request_type(&self) -> RequestType {
        match self {
            Self::NewAgent(_) => RequestType::NewAgent,
            Self::NewMcp(_) => RequestType::NewMcp,
            Self::IncreaseBudget(_) => RequestType::IncreaseBudget,
            Self::EnableTool(_) => RequestType::EnableTool,
        }
    }
}

/// An agent of the catalog, with the configuration's name and settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentWanted {
    pub agent_id: AgentId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_override: Option<Value>,
}

/// An MCP server of the catalog, with the connection's non-secret settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct McpWanted {
    pub server_id: McpServerId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_config: Option<Value>,
}

/// A tool linked to an agent, whose use needs approval (`requires_approval`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ToolWanted {
    pub agent_id: AgentId,
    pub tool_id: ToolId,
}

/// More monthly budget: the organization's, or the requester's own spend cap.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BudgetWanted {
    /// A plain decimal string, e.g. `"250.00"`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = r"^[0-9]+(\.[0-9]+)?$"))]
    pub amount_usd: Usd,
    /// Whose budget (default: the organization's).
    #[serde(default)]
    pub scope: BudgetScope,
}

wire_enum! {
    "snake_case",
    #[derive(Default)]
    pub enum BudgetScope {
        /// The organization's monthly budget, raised for good.
        #[default]
        Organization,
        /// The requester's own spend cap, raised for the current billing period.
        SpendCap,
    }
}

/// What the final approval of a request provisioned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Provisioned {
    /// `new_agent`: the employee's new agent configuration.
    Agent { agent_config_id: AgentConfigId },
    /// `new_mcp`: the new MCP configuration; whether the approval also approved the
    /// server for the organization; whether the employee still has credentials to set.
    Mcp { mcp_config_id: McpConfigId, server_approved_for_org: bool, awaiting_credentials: bool },
    /// `increase_budget`: the organization's new monthly budget.
    Budget {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        monthly_budget_usd: Usd,
    },
    /// `increase_budget` of a spend cap: the requester's cap for the billing period.
    SpendCap {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        spend_cap_usd: Usd,
        /// The billing period (`yyyy-mm`) it holds for.
        period: String,
    },
    /// `enable_tool`: the requester may use the tool with the agent.
    Tool { agent_id: AgentId, tool_id: ToolId },
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
    /// What is asked for: `request_type` and its `request_data`.
    #[serde(flatten)]
    pub wanted: Wanted,
    pub reason: String,
    pub status: RequestStatus,
    /// The approvals needed, each as the roles that may give it (`manager`: a manager of
    /// the requester's team), from the organization's rules when the request was filed.
    pub required_approvals: Vec<Vec<RoleName>>,
    /// Approvals given so far.
    pub approval_count: u32,
    /// What the final approval provisioned (configuration ids, the new budget).
    pub provisioned: Option<Provisioned>,
    /// Who approved last, rejected or cancelled.
    pub decided_by: Option<EmployeeId>,
    pub resolution_comment: Option<String>,
    /// Changes with every decision. Server-owned.
    pub version: u32,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

wire_enum! {
    "snake_case",
    pub enum ApprovalStatus {
        Approved,
        Rejected,
    }
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

impl NewRequest {
    /// A request for `wanted`, for clients that build one.
    pub fn asking(wanted: &Wanted, reason: Option<String>) -> Self {
        let json = serde_json::to_value(wanted).expect("wire types serialize");
        Self { request_type: wanted.request_type(), request_data: json["request_data"].clone(), reason }
    }
}

wire_enum! {
    "snake_case",
    pub enum DecisionKind {
        Approve,
        Reject,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_read_with_their_data_typed_and_extra_fields_ignored() {
        let agent = AgentId::new();
        let stored = json!({
            "id": RequestId::new(), "org_id": OrgId::new(), "employee_id": EmployeeId::new(),
            "requester_name": "R", "team_id": null, "request_type": "new_agent",
            "request_data": { "agent_id": agent }, "reason": "", "status": "approved",
            "required_approvals": [["admin"]], "approval_count": 1,
            "provisioned": { "agent_config_id": AgentConfigId::new() }, "decided_by": null,
            "resolution_comment": null, "version": 1, "created_at": "2026-11-30T08:00:00Z",
            "resolved_at": null, "PK": "ORG#x", "entity": "request",
        });
        let request: AgentRequest = serde_json::from_value(stored).unwrap();
        assert_eq!(
            request.wanted,
            Wanted::NewAgent(AgentWanted { agent_id: agent, name: None, config_override: None })
        );
        assert!(matches!(request.provisioned, Some(Provisioned::Agent { .. })));
        let written = serde_json::to_value(&request).unwrap();
        assert_eq!(written["request_type"], "new_agent");
        assert_eq!(written["request_data"], json!({ "agent_id": agent }));
    }

    #[test]
    fn a_new_request_carries_the_wanted_thing_as_type_and_data() {
        let wanted = Wanted::IncreaseBudget(BudgetWanted {
            amount_usd: Usd::parse("250.00").unwrap(),
            scope: BudgetScope::Organization,
        });
        let body = serde_json::to_value(NewRequest::asking(&wanted, Some("launch".into()))).unwrap();
        assert_eq!(
            body,
            json!({ "request_type": "increase_budget", "request_data": { "amount_usd": "250.00", "scope": "organization" },
                "reason": "launch" })
        );
    }
}

/// `?request_type=&team_id=` of the pending queue.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PendingQuery {
    pub request_type: Option<RequestType>,
    pub team_id: Option<TeamId>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// `?status=` of one's own requests.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct MyRequestsQuery {
    pub status: Option<RequestStatus>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}
