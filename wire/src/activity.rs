//! The activity log (audit trail): one entry per state change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{ActivityId, EmployeeId, OrgId};

/// Every event type, with the category it is filed under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventType {
    #[serde(rename = "org.created")]
    OrgCreated,
    #[serde(rename = "org.updated")]
    OrgUpdated,
    #[serde(rename = "subscription.updated")]
    SubscriptionUpdated,
    /// A new version of the model price table was saved.
    #[serde(rename = "prices.updated")]
    PricesUpdated,
    #[serde(rename = "team.created")]
    TeamCreated,
    #[serde(rename = "team.updated")]
    TeamUpdated,
    #[serde(rename = "team.deleted")]
    TeamDeleted,
    /// Directory (SCIM) members joined a group; the payload lists them.
    #[serde(rename = "team.members_added")]
    TeamMembersAdded,
    /// Directory (SCIM) members left a group; the payload lists them.
    #[serde(rename = "team.members_removed")]
    TeamMembersRemoved,
    #[serde(rename = "employee.created")]
    EmployeeCreated,
    #[serde(rename = "employee.updated")]
    EmployeeUpdated,
    #[serde(rename = "employee.deactivated")]
    EmployeeDeactivated,
    #[serde(rename = "employee.deleted")]
    EmployeeDeleted,
    #[serde(rename = "enrollment.issued")]
    EnrollmentIssued,
    #[serde(rename = "session.created")]
    SessionCreated,
    #[serde(rename = "session.revoked")]
    SessionRevoked,
    /// A session's tokens were renewed with its refresh token.
    #[serde(rename = "session.refreshed")]
    SessionRefreshed,
    /// Someone the identity provider vouched for was not let in (reason in the payload).
    #[serde(rename = "sign_in.refused")]
    SignInRefused,
    #[serde(rename = "identity_provider.configured")]
    IdentityProviderConfigured,
    #[serde(rename = "identity_provider.removed")]
    IdentityProviderRemoved,
    /// An admin removed a person's link to an employee.
    #[serde(rename = "identity_link.removed")]
    IdentityLinkRemoved,
    #[serde(rename = "scim_token.created")]
    ScimTokenCreated,
    #[serde(rename = "scim_token.deleted")]
    ScimTokenDeleted,
    /// An employee's CLI was given a token for their tools' telemetry exports.
    #[serde(rename = "telemetry_token.created")]
    TelemetryTokenCreated,
    #[serde(rename = "catalog.created")]
    CatalogCreated,
    #[serde(rename = "catalog.updated")]
    CatalogUpdated,
    #[serde(rename = "catalog.deleted")]
    CatalogDeleted,
    #[serde(rename = "mcp.approved")]
    McpApproved,
    #[serde(rename = "mcp.revoked")]
    McpRevoked,
    #[serde(rename = "policy.attached")]
    PolicyAttached,
    #[serde(rename = "policy.detached")]
    PolicyDetached,
    #[serde(rename = "agent.installed")]
    AgentInstalled,
    #[serde(rename = "agent.updated")]
    AgentUpdated,
    #[serde(rename = "agent.removed")]
    AgentRemoved,
    #[serde(rename = "mcp.configured")]
    McpConfigured,
    #[serde(rename = "mcp.updated")]
    McpUpdated,
    #[serde(rename = "mcp.removed")]
    McpRemoved,
    #[serde(rename = "mcp.credentials_rotated")]
    McpCredentialsRotated,
    #[serde(rename = "mcp.credentials_removed")]
    McpCredentialsRemoved,
    #[serde(rename = "config.synced")]
    ConfigSynced,
    /// An agent or MCP server assigned to an organization or team (or the assignment changed).
    #[serde(rename = "assignment.created")]
    AssignmentCreated,
    #[serde(rename = "assignment.updated")]
    AssignmentUpdated,
    #[serde(rename = "assignment.deleted")]
    AssignmentDeleted,
    /// An employee set (or removed) their own credentials for an assigned MCP server.
    #[serde(rename = "assignment.credentials_set")]
    AssignmentCredentialsSet,
    #[serde(rename = "assignment.credentials_removed")]
    AssignmentCredentialsRemoved,
    /// An admin set (or removed) the organization's credentials of an MCP server assignment.
    #[serde(rename = "assignment.shared_credentials_set")]
    AssignmentSharedCredentialsSet,
    #[serde(rename = "assignment.shared_credentials_removed")]
    AssignmentSharedCredentialsRemoved,
    /// A usage event that can never be applied (its reason in the payload).
    #[serde(rename = "usage.rejected")]
    UsageRejected,
    /// Spending crossed 50, 80 or 100% of the monthly budget (once per period each).
    #[serde(rename = "budget.threshold_crossed")]
    BudgetThresholdCrossed,
    /// An employee's spending reached their policies' monthly spend cap (once a month).
    #[serde(rename = "budget.spend_cap_reached")]
    SpendCapReached,
    /// An employee's usage went past a rate limit of their policies (once per window).
    #[serde(rename = "rate_limit.exceeded")]
    RateLimitExceeded,
    /// An employee filed a request (agent, MCP server, budget).
    #[serde(rename = "request.submitted")]
    RequestSubmitted,
    /// An approver approved a request that needs more approvals.
    #[serde(rename = "request.approval_recorded")]
    RequestApprovalRecorded,
    /// The last approval needed: the request is approved and what it asked is provisioned.
    #[serde(rename = "request.approved")]
    RequestApproved,
    #[serde(rename = "request.rejected")]
    RequestRejected,
    #[serde(rename = "request.cancelled")]
    RequestCancelled,
    #[serde(rename = "webhook.created")]
    WebhookCreated,
    #[serde(rename = "webhook.updated")]
    WebhookUpdated,
    #[serde(rename = "webhook.deleted")]
    WebhookDeleted,
    #[serde(rename = "webhook.secret_rotated")]
    WebhookSecretRotated,
    /// An admin asked for a test delivery to a webhook (sent to that webhook only).
    #[serde(rename = "webhook.tested")]
    WebhookTested,
}

impl EventType {
    pub fn category(self) -> &'static str {
        use EventType::*;
        match self {
            OrgCreated | OrgUpdated | SubscriptionUpdated | PricesUpdated => "organization",
            TeamCreated | TeamUpdated | TeamDeleted | TeamMembersAdded | TeamMembersRemoved | EmployeeCreated
            | EmployeeUpdated | EmployeeDeactivated | EmployeeDeleted => "directory",
            EnrollmentIssued
            | SessionCreated
            | SessionRevoked
            | SessionRefreshed
            | SignInRefused
            | IdentityProviderConfigured
            | IdentityProviderRemoved
            | IdentityLinkRemoved
            | ScimTokenCreated
            | ScimTokenDeleted
            | TelemetryTokenCreated => "auth",
            CatalogCreated | CatalogUpdated | CatalogDeleted | McpApproved | McpRevoked => "catalog",
            PolicyAttached | PolicyDetached => "policy",
            AgentInstalled
            | AgentUpdated
            | AgentRemoved
            | McpConfigured
            | McpUpdated
            | McpRemoved
            | McpCredentialsRotated
            | McpCredentialsRemoved
            | ConfigSynced
            | AssignmentCreated
            | AssignmentUpdated
            | AssignmentDeleted
            | AssignmentCredentialsSet
            | AssignmentCredentialsRemoved
            | AssignmentSharedCredentialsSet
            | AssignmentSharedCredentialsRemoved => "config",
            UsageRejected | BudgetThresholdCrossed | SpendCapReached | RateLimitExceeded => "usage",
            RequestSubmitted | RequestApprovalRecorded | RequestApproved | RequestRejected | RequestCancelled => {
                "approval"
            }
            WebhookCreated | WebhookUpdated | WebhookDeleted | WebhookSecretRotated | WebhookTested => "notification",
        }
    }

    /// The events webhooks can be sent: requests filed and decided, budget thresholds,
    /// spend caps, rate-limit breaches and deprovisioning (SCIM's or an admin's).
    pub const NOTIFIABLE: [EventType; 9] = [
        EventType::RequestSubmitted,
        EventType::RequestApproved,
        EventType::RequestRejected,
        EventType::BudgetThresholdCrossed,
        EventType::SpendCapReached,
        EventType::RateLimitExceeded,
        EventType::EmployeeDeactivated,
        EventType::EmployeeDeleted,
        EventType::WebhookTested,
    ];

    /// Whether webhooks are sent this event ([`Self::NOTIFIABLE`]).
    pub fn notifies(self) -> bool {
        Self::NOTIFIABLE.contains(&self)
    }
}

wire_enum! {
    "snake_case",
    /// Who did it.
    pub enum Actor {
        Platform,
        Employee,
        /// The organization's identity provider (people created or refused at sign-in).
        IdentityProvider,
        /// SCIM provisioning (the identity provider's directory, with a SCIM token).
        Scim,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityEntry {
    pub id: ActivityId,
    pub org_id: OrgId,
    pub actor: Actor,
    /// The employee who caused the event (absent for the platform operator).
    pub employee_id: Option<EmployeeId>,
    pub event_type: EventType,
    pub event_category: String,
    /// What changed. Never holds secrets.
    pub payload: Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ActivityQuery {
    /// Only what this employee did.
    pub employee_id: Option<EmployeeId>,
    /// Only this event type, e.g. `employee.deactivated`.
    pub event_type: Option<EventType>,
    /// Start of the range (RFC 3339); default: 30 days before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End of the range (RFC 3339); default: now.
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
