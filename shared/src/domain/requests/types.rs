//! The approval workflow's wire types.

pub use agentctl_wire::requests::{
    AgentRequest, AgentWanted, Approval, ApprovalStatus, BudgetScope, BudgetWanted, Cancellation, Decision,
    DecisionKind, McpWanted, MyRequestsQuery, NewRequest, PendingQuery, Provisioned, RequestStatus, RequestType,
    RequestView, ToolWanted, Wanted,
};
