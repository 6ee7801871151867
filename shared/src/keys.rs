//! Every key of the single table, in one place.
//!
//! Tenant isolation starts here: every org-owned item lives under a partition key that
//! begins with `ORG#<org_id>`, and the org id always comes from the authenticated caller.

use crate::ids::{EmployeeId, OrgId, TeamId};

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
pub const GSI2: &str = "GSI2";
pub const GSI2PK: &str = "GSI2PK";
pub const GSI2SK: &str = "GSI2SK";
/// TTL attribute of the table (epoch seconds).
pub const TTL: &str = "expires_at_epoch";
/// Every item names its entity type, so that mixed queries can tell items apart.
pub const ENTITY: &str = "entity";

/// A (partition, sort) key pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }
}

pub fn org_pk(org: OrgId) -> String {
    format!("ORG#{org}")
}

pub fn organization(org: OrgId) -> Key {
    Key::new(org_pk(org), "ORG")
}

/// Partition of the platform-wide organization list (GSI1).
pub const ORG_LIST_PK: &str = "ORGS";

pub fn org_list_sk(org: OrgId) -> String {
    format!("ORG#{org}")
}

/// Guard item that makes an organization slug unique.
pub fn slug_guard(slug: &str) -> Key {
    Key::new(format!("SLUG#{slug}"), "SLUG")
}

pub fn subscription(org: OrgId) -> Key {
    Key::new(org_pk(org), "SUB#CURRENT")
}

pub const TEAM_PREFIX: &str = "TEAM#";

pub fn team(org: OrgId, team: TeamId) -> Key {
    Key::new(org_pk(org), format!("{TEAM_PREFIX}{team}"))
}

/// Guard item that makes a team name unique inside its organization.
pub fn team_name_guard(org: OrgId, lowercase_name: &str) -> Key {
    Key::new(org_pk(org), format!("TEAMNAME#{lowercase_name}"))
}

/// Partition of the global catalog (entries curated by the platform operator).
pub const CATALOG_PK: &str = "CATALOG";

pub const ROLE_PK: &str = "ROLE";

pub fn role(name: &str) -> Key {
    Key::new(ROLE_PK, format!("ROLE#{name}"))
}

pub const EMPLOYEE_PREFIX: &str = "EMP#";

pub fn employee(org: OrgId, employee: EmployeeId) -> Key {
    Key::new(org_pk(org), format!("{EMPLOYEE_PREFIX}{employee}"))
}

/// GSI1 partition of the members of a team.
pub fn team_members_pk(org: OrgId, team: TeamId) -> String {
    format!("ORG#{org}#TEAM#{team}")
}

pub fn team_members_sk(employee: EmployeeId) -> String {
    format!("{EMPLOYEE_PREFIX}{employee}")
}

/// The partition of everything one employee syncs (configs, their own policies).
pub fn employee_partition(org: OrgId, employee: EmployeeId) -> String {
    format!("ORG#{org}#EMP#{employee}")
}

/// Guard item that makes an email unique inside its organization (one person may work
/// in two; no organization can learn whether an address exists in another).
pub fn email_guard(org: OrgId, lowercase_email: &str) -> Key {
    Key::new(org_pk(org), format!("EMAIL#{lowercase_email}"))
}

/// A session, addressed by the SHA-256 of its token.
pub fn session(token_hash: &str) -> Key {
    Key::new(format!("SESSION#{token_hash}"), "SESSION")
}

/// GSI1 partition of an employee's sessions (to list and revoke them).
pub fn employee_sessions_pk(employee: EmployeeId) -> String {
    format!("EMP#{employee}")
}

pub const SESSION_PREFIX: &str = "SESSION#";

/// A one-time enrollment code, addressed by the SHA-256 of the code.
pub fn enrollment_code(code_hash: &str) -> Key {
    Key::new(format!("ENROLL#{code_hash}"), "ENROLL")
}

/// Activity log partition of one month of one organization.
pub fn activity_pk(org: OrgId, year_month: &str) -> String {
    format!("ORG#{org}#ACT#{year_month}")
}

/// GSI1 partition of the activity of one employee (as actor).
pub fn employee_activity_pk(org: OrgId, employee: EmployeeId) -> String {
    format!("ORG#{org}#EMP#{employee}")
}

pub const REQUEST_PREFIX: &str = "REQ#";

/// An approval request; its approvals follow it in the partition (`REQ#r#APPROVAL#e`),
/// so one Query on the `REQ#r` prefix reads both.
pub fn request(org: OrgId, request: uuid::Uuid) -> Key {
    Key::new(org_pk(org), format!("{REQUEST_PREFIX}{request}"))
}

/// One approver's decision on a request (an approver decides once).
pub fn request_approval(org: OrgId, request: uuid::Uuid, approver: EmployeeId) -> Key {
    Key::new(org_pk(org), format!("{REQUEST_PREFIX}{request}#APPROVAL#{approver}"))
}

/// Guard item of an open request: one per employee and thing asked for (`subject`).
pub fn open_request_guard(org: OrgId, employee: EmployeeId, subject: &str) -> Key {
    Key::new(org_pk(org), format!("REQOPEN#{employee}#{subject}"))
}

/// GSI2 partition of the organization's pending requests (sparse: only while pending).
pub fn pending_requests_pk(org: OrgId) -> String {
    format!("ORG#{org}#REQ#PENDING")
}

/// GSI1 partition of one employee's requests.
pub fn employee_requests_pk(org: OrgId, employee: EmployeeId) -> String {
    format!("ORG#{org}#EMP#{employee}#REQ")
}
