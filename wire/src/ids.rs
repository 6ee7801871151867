//! Typed identifiers, so that a team id can never be passed where an employee id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// One installation of agentctl on a device: a random id it keeps in its state (not a
    /// hardware id).
    DeviceId
);

uuid_id!(
    /// An organization (tenant).
    OrgId
);
uuid_id!(
    /// A team inside an organization.
    TeamId
);
uuid_id!(
    /// An employee of an organization.
    EmployeeId
);
uuid_id!(
    /// A login session of an employee.
    SessionId
);
uuid_id!(
    /// An activity log entry.
    ActivityId
);
uuid_id!(
    /// A global role.
    RoleId
);
uuid_id!(
    /// An approval request.
    RequestId
);
uuid_id!(
    /// One approver's decision on a request.
    ApprovalId
);
uuid_id!(
    /// An agent of a catalog (Claude Code, Cursor, ...).
    AgentId
);
uuid_id!(
    /// A tool of the tool catalog.
    ToolId
);
uuid_id!(
    /// An MCP server of a catalog.
    McpServerId
);
uuid_id!(
    /// A category of MCP servers.
    McpCategoryId
);
uuid_id!(
    /// A policy.
    PolicyId
);
uuid_id!(
    /// An employee's configuration of an agent.
    AgentConfigId
);
uuid_id!(
    /// An employee's configuration of an MCP server.
    McpConfigId
);
uuid_id!(
    /// An organization's subscription.
    SubscriptionId
);
uuid_id!(
    /// An agent or MCP server assigned to a whole organization or a team.
    AssignmentId
);

uuid_id!(
    /// A person of an identity provider (issuer, subject) linked to an employee: derived
    /// from the pair, so the same person has the same id.
    IdentityLinkId
);

uuid_id!(
    /// An organization's SCIM token.
    ScimTokenId
);

uuid_id!(
    /// An organization's webhook (an endpoint notified of events).
    WebhookId
);

uuid_id!(
    /// One event's delivery to one webhook (the same through every retry).
    DeliveryId
);
