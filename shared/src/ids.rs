//! Typed identifiers, so that a team id can never be passed where an employee id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
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

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

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
