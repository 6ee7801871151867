//! RFC 9457 problem details, as every error of the API is answered
//! (`application/problem+json`).

use serde::{Deserialize, Serialize};

wire_enum! {
    "snake_case",
    /// A problem's stable, machine-readable code (also the last segment of its `type`).
    pub enum ProblemCode {
        // 4xx and 5xx of any request.
        /// 422: fields are invalid (`errors` lists them).
        Validation,
        BadRequest,
        UnsupportedMediaType,
        PayloadTooLarge,
        NotFound,
        Unauthenticated,
        Forbidden,
        /// 403 of the local stand-in for API Gateway's authorizer: the token is refused.
        TokenRejected,
        /// 503: retry after `Retry-After`.
        Unavailable,
        Internal,

        // 409: the request conflicts with the current state.
        /// Something changed while the request ran: retry.
        ConcurrentUpdate,
        NameTaken,
        TeamNameTaken,
        SlugTaken,
        EmailTaken,
        TeamNotEmpty,
        TeamHasPolicies,
        /// Assignments target the team: delete them first.
        TeamHasAssignments,
        EntryInUse,
        ReferenceMissing,
        PolicySpaceExhausted,
        /// The organization's assignments (with the catalog entries they deliver) fill the
        /// space a sync reads in one item.
        AssignmentSpaceExhausted,
        /// The same agent or MCP server is assigned to that target already.
        DuplicateAssignment,
        EmployeeLimitReached,
        LimitBelowCount,
        EmployeeNotActive,
        EmployeeNotDeactivated,
        EmployeeHasConfigurations,
        AgentLimitReached,
        DuplicateRequest,
        RequestDecided,
        AlreadyDecided,
        ApprovalNotNeeded,
        CannotProvision,
        /// An organization keeps a bounded number of something (SCIM tokens).
        LimitReached,
        /// A SCIM `userName` belongs to another user of the organization.
        UserNameTaken,
        /// The change would leave the organization without an active owner.
        LastOwner,

        /// A code this client does not know (from a newer server).
        #[serde(other)]
        #[strum(disabled)]
        Unknown,
    }
}

/// One problem with one field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// JSON pointer-like path of the field, e.g. `email` or `settings.theme`.
    pub field: String,
    pub message: String,
}

/// An `application/problem+json` body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// Stable URI of the problem type (`urn:agentctl:problem:<code>`).
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, also the last segment of `type`.
    pub code: ProblemCode,
    /// Field errors of a validation problem.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::*;
    use crate::Name;

    #[test]
    fn codes_are_their_serde_names_and_unknown_ones_still_read() {
        for &code in ProblemCode::VARIANTS.iter().filter(|c| **c != ProblemCode::Unknown) {
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::json!(code.as_str()));
            assert_eq!(code.as_str().parse::<ProblemCode>(), Ok(code));
        }
        let newer: ProblemCode = serde_json::from_value(serde_json::json!("a_future_code")).unwrap();
        assert_eq!(newer, ProblemCode::Unknown);
    }
}
