//! Every key of the single table, in one place.
//!
//! Tenant isolation starts here: every org-owned item lives under a partition key that
//! begins with `ORG#<org_id>`, and the org id always comes from the authenticated caller.

use crate::ids::{
    AgentConfigId, AgentId, AssignmentId, DeliveryId, EmployeeId, McpConfigId, McpServerId, OrgId, PolicyId, RequestId,
    SessionId, TeamId, ToolId, WebhookId,
};

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
    Key::new(org_pk(org), format!("{}{}", employee_identity_links_prefix(employee), crate::auth::digest(issuer)))
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

/// GSI1 partition of an organization's SCIM tokens.
pub fn scim_tokens_pk(org: OrgId) -> String {
    format!("ORG#{org}#SCIMTOKENS")
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

/// An activity entry: its month's partition, sorted by time and id.
pub fn activity_entry(org: OrgId, year_month: &str, sort: &str) -> Key {
    Key::new(activity_pk(org, year_month), sort)
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

/// Guard of a usage event: put only if absent (exactly-once per organization and id).
pub fn usage_event_guard(org: OrgId, event_id: &str) -> Key {
    Key::new(format!("{}#USAGEEVT#{event_id}", org_pk(org)), "EVENT")
}

/// Guard of a rejected usage message, by the hash of its body.
pub fn usage_rejection_guard(org: OrgId, body_hash: &str) -> Key {
    Key::new(format!("{}#USAGEREJ#{body_hash}", org_pk(org)), "REJECTED")
}

/// A usage record: its day's partition, sorted by period start and event id.
pub fn usage_record(org: OrgId, day: &str, period_start_sortable: &str, event_id: &str) -> Key {
    Key::new(format!("{}#USAGE#{day}", org_pk(org)), format!("{period_start_sortable}#{event_id}"))
}

/// The organization's price table in force (model prices for token-only usage).
pub fn price_table(org: OrgId) -> Key {
    Key::new(org_pk(org), "PRICES#CURRENT")
}

/// Every saved version of the price table, by zero-padded version number.
pub fn price_table_version(org: OrgId, version: u32) -> Key {
    Key::new(format!("{}#PRICES", org_pk(org)), format!("V#{version:010}"))
}

/// A telemetry token, by its hash.
pub fn telemetry_token(token_hash: &str) -> Key {
    Key::new(format!("TELTOKEN#{token_hash}"), "TELTOKEN")
}

/// The telemetry tokens issued within a session (ended with it), by session id.
pub fn session_telemetry_tokens(session: SessionId) -> Key {
    Key::new(format!("TELSESSION#{session}"), "TELTOKENS")
}

/// Where a cumulative telemetry series stands (its last value), by the series' hash.
pub fn telemetry_series(org: OrgId, series: &str) -> Key {
    Key::new(format!("{}#OTELSERIES#{series}", org_pk(org)), "SERIES")
}

/// The partition of one dimension's rollups (`ORG`, `TEAM`, `EMP`, `AGENT`, `CFG`, `RES`).
pub fn rollup_pk(org: OrgId, dimension: &str) -> String {
    format!("{}#ROLLUP#{dimension}", org_pk(org))
}

/// The sort key of a rollup: `<day|month>#<period>#<id>`.
pub fn rollup_sk(granularity: &str, period: &str, id: &str) -> String {
    format!("{granularity}#{period}#{id}")
}

pub fn rollup(org: OrgId, dimension: &str, granularity: &str, period: &str, id: &str) -> Key {
    Key::new(rollup_pk(org, dimension), rollup_sk(granularity, period, id))
}

/// The spending of a closed billing period (`yyyy-mm`).
pub fn closed_period(org: OrgId, year_month: &str) -> Key {
    Key::new(org_pk(org), format!("SUB#{year_month}"))
}

/// Sorts after everything else of an employee's partition, so it never blocks deleting it.
pub const SPEND_CAP_PREFIX: &str = "~SPENDCAP#";

pub const SPEND_CAP_RAISE_PREFIX: &str = "~CAPRAISE#";

/// What approved requests raised an employee's spend cap by in a month.
pub fn spend_cap_raise(org: OrgId, employee: EmployeeId, year_month: &str) -> Key {
    Key::new(employee_partition(org, employee), format!("{SPEND_CAP_RAISE_PREFIX}{year_month}"))
}

/// A counter of one employee's usage of a metric in one window (rate limits): in a
/// partition of their own, not the one a sync reads.
pub fn rate_counter(org: OrgId, employee: EmployeeId, metric: &str, per: &str, window_start: &str) -> Key {
    Key::new(format!("ORG#{org}#RATE#{employee}"), format!("{metric}#{per}#{window_start}"))
}

pub const RATE_BREACH_PREFIX: &str = "~RATEBREACH#";

/// The latest window in which an employee's usage went past a rate limit.
pub fn rate_breach(org: OrgId, employee: EmployeeId, metric: &str, per: &str) -> Key {
    Key::new(employee_partition(org, employee), format!("{RATE_BREACH_PREFIX}{metric}#{per}"))
}

pub const ASSIGNMENT_PREFIX: &str = "ASSIGN#";

pub fn assignment(org: OrgId, assignment: AssignmentId) -> Key {
    Key::new(org_pk(org), format!("{ASSIGNMENT_PREFIX}{assignment}"))
}

/// Guard item: one assignment of a catalog entry (`entry`: kind and id) per target.
pub fn assignment_guard(org: OrgId, target: &str, entry: &str) -> Key {
    Key::new(org_pk(org), format!("ASSIGNED#{target}#{entry}"))
}

/// An employee's own credentials for an assigned MCP server: in their partition, so the
/// sync's one Query reads them.
pub const TOOL_GRANT_PREFIX: &str = "TOOLGRANT#";

/// An employee's approved use of a tool that requires approval, with one agent: in their
/// partition, so the sync's Query reads it.
pub fn tool_grant(org: OrgId, employee: EmployeeId, agent: AgentId, tool: ToolId) -> Key {
    Key::new(employee_partition(org, employee), format!("{TOOL_GRANT_PREFIX}{agent}#{tool}"))
}

pub const ASSIGNMENT_CREDENTIALS_PREFIX: &str = "ASGCRED#";

pub fn assignment_credentials(org: OrgId, employee: EmployeeId, assignment: AssignmentId) -> Key {
    Key::new(employee_partition(org, employee), format!("{ASSIGNMENT_CREDENTIALS_PREFIX}{assignment}"))
}

/// The marker of an employee's spend cap reached in a month.
pub fn spend_cap_marker(org: OrgId, employee: EmployeeId, year_month: &str) -> Key {
    Key::new(employee_partition(org, employee), format!("{SPEND_CAP_PREFIX}{year_month}"))
}

/// The partition of a catalog scope: the platform's (`None`) or an organization's.
pub fn catalog_partition(owner: Option<OrgId>) -> String {
    owner.map_or_else(|| CATALOG_PK.to_string(), org_pk)
}

/// A catalog entry of the kind whose sort keys start with `prefix` (`AGENT#`, ...).
pub fn catalog_entry(owner: Option<OrgId>, prefix: &str, id: uuid::Uuid) -> Key {
    Key::new(catalog_partition(owner), format!("{prefix}{id}"))
}

/// Guard item that makes a catalog name unique in its scope.
pub fn catalog_name_guard(owner: Option<OrgId>, name_prefix: &str, lowercase_name: &str) -> Key {
    Key::new(catalog_partition(owner), format!("{name_prefix}{lowercase_name}"))
}

pub const AGENT_CONFIG_PREFIX: &str = "AGENTCFG#";
pub const MCP_CONFIG_PREFIX: &str = "MCPCFG#";

pub fn agent_config(org: OrgId, employee: EmployeeId, id: AgentConfigId) -> Key {
    Key::new(employee_partition(org, employee), format!("{AGENT_CONFIG_PREFIX}{id}"))
}

pub fn mcp_config(org: OrgId, employee: EmployeeId, id: McpConfigId) -> Key {
    Key::new(employee_partition(org, employee), format!("{MCP_CONFIG_PREFIX}{id}"))
}

pub const MCP_APPROVAL_PREFIX: &str = "MCPAPPROVAL#";

/// An organization's approval of an MCP server.
pub fn mcp_approval(org: OrgId, server: McpServerId) -> Key {
    Key::new(org_pk(org), format!("{MCP_APPROVAL_PREFIX}{server}"))
}

/// Sort key prefix of one agent's tool links.
pub fn agent_tools_prefix(agent: AgentId) -> String {
    format!("AGENTTOOL#{agent}#")
}

/// A tool linked to an agent, in the linking scope's partition.
pub fn agent_tool(owner: Option<OrgId>, agent: AgentId, tool: ToolId) -> Key {
    Key::new(catalog_partition(owner), format!("{}{tool}", agent_tools_prefix(agent)))
}

/// Sort key prefixes of policy attachments: to an agent, the organization, a team (in
/// the organization's or the platform's partition), an employee (in theirs).
pub fn agent_policies_prefix(agent: AgentId) -> String {
    format!("AGENTPOL#{agent}#")
}

pub const ORG_POLICIES_PREFIX: &str = "ORGPOL#";

pub fn team_policies_prefix(team: TeamId) -> String {
    format!("TEAMPOL#{team}#")
}

pub const EMPLOYEE_POLICIES_PREFIX: &str = "POLICY#";

/// A policy attachment: the partition and prefix of its target, and the policy.
pub fn policy_link(partition: String, prefix: &str, policy: PolicyId) -> Key {
    Key::new(partition, format!("{prefix}{policy}"))
}

/// The sort key of a scope's sync set (in the platform's, an organization's or an
/// employee's partition).
pub const SYNC_SET_SK: &str = "SYNCSET";

pub fn sync_set(partition: String) -> Key {
    Key::new(partition, SYNC_SET_SK)
}
