//! Every key of the single table, in one place.
//!
//! Tenant isolation starts here: every org-owned item lives under a partition key that
//! begins with `ORG#<org_id>`, and the org id always comes from the authenticated caller.

use chrono::{DateTime, Utc};

use crate::ids::{
    ActivityId, DeliveryId, DeviceId, EmployeeId, OrgId, RequestId, ScimTokenId, SessionId, TeamId, WebhookId,
};

use crate::time::sortable;
use agentctl_wire::requests::{BudgetScope, Wanted};

mod catalog;
mod usage;

pub use catalog::*;
pub use usage::*;

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
pub const GSI2: &str = "GSI2";
pub const GSI2PK: &str = "GSI2PK";
pub const GSI2SK: &str = "GSI2SK";
/// The ranking index: a partition per ranked list, sorted by a Number (spend).
pub const GSI3: &str = "GSI3";
pub const GSI3PK: &str = "GSI3PK";
pub const GSI3SK: &str = "GSI3SK";
/// The key attributes of the table and its indexes that are Numbers (all others are
/// strings): what the table is created with and how a cursor restores a key.
pub const NUMBER_KEYS: [&str; 1] = [GSI3SK];
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

/// GSI1 sort-key prefix of the organization list.
pub const ORG_LIST_PREFIX: &str = "ORG#";

pub fn org_list_sk(org: OrgId) -> String {
    format!("{ORG_LIST_PREFIX}{org}")
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

pub const ROLE_PREFIX: &str = "ROLE#";

pub fn role(name: &str) -> Key {
    Key::new(ROLE_PK, format!("{ROLE_PREFIX}{name}"))
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

/// GSI1 partition of the members of a directory group (SCIM Group), whatever their team.
pub fn group_members_pk(org: OrgId, team: TeamId) -> String {
    format!("ORG#{org}#GROUP#{team}")
}

/// An employee's membership of a directory group: in their partition, so the sync's one
/// Query reads the groups that reach them. Sorts after the partition's content (see
/// `repo::configs::partition_in_use`).
pub const GROUP_MEMBERSHIP_PREFIX: &str = "~GROUP#";

pub fn group_membership(org: OrgId, employee: EmployeeId, team: TeamId) -> Key {
    Key::new(employee_partition(org, employee), format!("{GROUP_MEMBERSHIP_PREFIX}{team}"))
}

/// The partition of everything one employee syncs (configs, their own policies).
pub fn employee_partition(org: OrgId, employee: EmployeeId) -> String {
    format!("ORG#{org}#EMP#{employee}")
}

/// The partition of an organization's fleet: one item per device, sorted by employee.
pub fn fleet_pk(org: OrgId) -> String {
    format!("ORG#{org}#FLEET")
}

/// Sort-key prefix of one employee's devices in the fleet partition.
pub fn employee_devices_prefix(employee: EmployeeId) -> String {
    format!("DEVICE#{employee}#")
}

pub fn device(org: OrgId, employee: EmployeeId, device: DeviceId) -> Key {
    Key::new(fleet_pk(org), format!("{}{device}", employee_devices_prefix(employee)))
}

/// Sort-key prefix of every device of the fleet partition.
pub const DEVICE_PREFIX: &str = "DEVICE#";

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

/// GSI1 sort key of a session under its employee.
pub fn employee_session_sk(session: SessionId) -> String {
    format!("{SESSION_PREFIX}{session}")
}

/// A one-time enrollment code, addressed by the SHA-256 of the code.
pub fn enrollment_code(code_hash: &str) -> Key {
    Key::new(format!("ENROLL#{code_hash}"), "ENROLL")
}

/// An organization's identity provider (single sign-on).
pub fn identity_provider(org: OrgId) -> Key {
    Key::new(org_pk(org), "IDP")
}

/// The employee a person of the identity provider is, by SHA-256 of (issuer, subject).
pub fn identity_link(org: OrgId, subject_hash: &str) -> Key {
    Key::new(org_pk(org), format!("IDENT#{subject_hash}"))
}

/// The links of one employee, one per issuer: what a sign-in by email checks first.
pub fn employee_identity_links_prefix(employee: EmployeeId) -> String {
    format!("IDENTOF#{employee}#")
}

/// An employee's link to a person of `issuer`, by SHA-256 of the issuer.
pub fn employee_identity_link(org: OrgId, employee: EmployeeId, issuer: &str) -> Key {
    Key::new(org_pk(org), format!("{}{}", employee_identity_links_prefix(employee), crate::secrets::digest(issuer)))
}

/// A sign-in waiting for the identity provider to send the person back, by SHA-256 of
/// the `state` sent there.
pub fn sign_in(state_hash: &str) -> Key {
    Key::new(format!("SIGNIN#{state_hash}"), "SIGNIN")
}

/// An authorization code agentctl issued to one of its clients, by SHA-256 of the code.
pub fn authorization_code(code_hash: &str) -> Key {
    Key::new(format!("AUTHCODE#{code_hash}"), "AUTHCODE")
}

/// A device authorization (RFC 8628), by SHA-256 of its device code.
pub fn device_grant(device_code_hash: &str) -> Key {
    Key::new(format!("DEVICE#{device_code_hash}"), "DEVICE")
}

/// The device authorization a user code names (unique while it lives).
pub fn user_code(user_code: &str) -> Key {
    Key::new(format!("USERCODE#{user_code}"), "USERCODE")
}

/// A refresh token, by SHA-256 of the token; kept after use to notice reuse.
pub fn refresh_token(token_hash: &str) -> Key {
    Key::new(format!("REFRESH#{token_hash}"), "REFRESH")
}

/// A SCIM token, by the SHA-256 of the token.
pub fn scim_token(token_hash: &str) -> Key {
    Key::new(format!("SCIMTOKEN#{token_hash}"), "SCIMTOKEN")
}

/// GSI1 sort-key prefix of an organization's SCIM tokens (`TOKEN#<created>#<id>`).
pub const SCIM_TOKEN_INDEX_PREFIX: &str = "TOKEN#";

/// GSI1 partition of an organization's SCIM tokens.
pub fn scim_tokens_pk(org: OrgId) -> String {
    format!("ORG#{org}#SCIMTOKENS")
}

/// GSI1 sort key of a SCIM token: its creation time, then its id.
pub fn scim_token_index_sk(created_at: &DateTime<Utc>, token: ScimTokenId) -> String {
    format!("{SCIM_TOKEN_INDEX_PREFIX}{}#{token}", sortable(created_at))
}

pub const SCIM_USER_PREFIX: &str = "SCIMUSER#";

/// What SCIM said of an employee beyond the employee itself.
pub fn scim_user(org: OrgId, employee: EmployeeId) -> Key {
    Key::new(org_pk(org), format!("{SCIM_USER_PREFIX}{employee}"))
}

/// Guard item that makes a SCIM `userName` unique inside its organization.
pub fn scim_user_name_guard(org: OrgId, lowercase_user_name: &str) -> Key {
    Key::new(org_pk(org), format!("SCIMNAME#{lowercase_user_name}"))
}

/// GSI1 partition of the Users SCIM gave an `externalId` (exact, as SCIM compares it).
pub fn scim_users_by_external_id_pk(org: OrgId, external_id: &str) -> String {
    format!("ORG#{org}#SCIMUSEREXT#{external_id}")
}

pub const SCIM_GROUP_PREFIX: &str = "SCIMGROUP#";

/// What SCIM said of a team beyond the team itself (its `externalId`).
pub fn scim_group(org: OrgId, team: TeamId) -> Key {
    Key::new(org_pk(org), format!("{SCIM_GROUP_PREFIX}{team}"))
}

/// GSI1 partition of the groups SCIM gave an `externalId` (exact, as SCIM compares it).
pub fn scim_groups_by_external_id_pk(org: OrgId, external_id: &str) -> String {
    format!("ORG#{org}#SCIMGROUPEXT#{external_id}")
}

pub const WEBHOOK_PREFIX: &str = "WEBHOOK#";

/// An organization's webhook (its sealed secret beside the settings).
pub fn webhook(org: OrgId, webhook: WebhookId) -> Key {
    Key::new(org_pk(org), format!("{WEBHOOK_PREFIX}{webhook}"))
}

pub const DELIVERY_PREFIX: &str = "DELIVERY#";

/// The delivery log of one webhook: its own partition, ids time-ordered (v7).
pub fn webhook_deliveries_pk(org: OrgId, webhook: WebhookId) -> String {
    format!("ORG#{org}#WEBHOOK#{webhook}")
}

/// One delivery of an event to a webhook.
pub fn webhook_delivery(org: OrgId, webhook: WebhookId, delivery: DeliveryId) -> Key {
    Key::new(webhook_deliveries_pk(org, webhook), format!("{DELIVERY_PREFIX}{delivery}"))
}

/// Activity log partition of one month of one organization.
pub fn activity_pk(org: OrgId, year_month: &str) -> String {
    format!("ORG#{org}#ACT#{year_month}")
}

/// The month (`yyyy-mm`) that names an activity partition.
pub fn activity_month(year: i32, month: u32) -> String {
    format!("{year:04}-{month:02}")
}

/// The sort keys from `from` to `to` in an activity partition (every id at both ends).
pub fn activity_sk_range(from: &DateTime<Utc>, to: &DateTime<Utc>) -> (String, String) {
    (sortable(from), format!("{}#~", sortable(to)))
}

/// An activity entry: its month's partition, sorted by time and id.
pub fn activity_entry(org: OrgId, created_at: &DateTime<Utc>, id: ActivityId) -> Key {
    let year_month = created_at.format("%Y-%m").to_string();
    Key::new(activity_pk(org, &year_month), format!("{}#{id}", sortable(created_at)))
}

/// GSI1 partition of the activity of one employee (as actor).
pub fn employee_activity_pk(org: OrgId, employee: EmployeeId) -> String {
    format!("ORG#{org}#EMP#{employee}")
}

pub const REQUEST_PREFIX: &str = "REQ#";

/// An approval request; its approvals follow it in the partition (`REQ#r#APPROVAL#e`),
/// so one Query on the `REQ#r` prefix reads both.
pub fn request(org: OrgId, request: RequestId) -> Key {
    Key::new(org_pk(org), format!("{REQUEST_PREFIX}{request}"))
}

/// One approver's decision on a request (an approver decides once).
pub fn request_approval(org: OrgId, request: RequestId, approver: EmployeeId) -> Key {
    Key::new(org_pk(org), format!("{REQUEST_PREFIX}{request}#APPROVAL#{approver}"))
}

/// Guard item of an open request: one per employee and thing asked for.
pub fn open_request_guard(org: OrgId, employee: EmployeeId, wanted: &Wanted) -> Key {
    let subject = match wanted {
        Wanted::NewAgent(a) => format!("agent#{}", a.agent_id),
        Wanted::NewMcp(m) => format!("mcp#{}", m.server_id),
        Wanted::IncreaseBudget(b) => match b.scope {
            BudgetScope::Organization => "budget".into(),
            BudgetScope::SpendCap => "spend_cap".into(),
        },
        Wanted::EnableTool(t) => format!("tool#{}#{}", t.agent_id, t.tool_id),
    };
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
