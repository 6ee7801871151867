//! Employee configurations, in the employee's own partition `ORG#o#EMP#e`:
//! agent configs `AGENTCFG#c`, MCP configs `MCPCFG#c`, and the employee's own credentials
//! for assigned servers `ASGCRED#a` (one Query reads everything an employee syncs). The employee item counts agent configs (`agent_config_count`) so
//! that `max_agents_per_employee` holds under concurrent writes. Every write also moves
//! the employee's sync set version (the sync's ETag).

use super::Guard;
use super::syncsets::{Change, Scope};
use super::{Expr, QuerySpec, Repository, StoreError, Transaction, from_item, n, s, to_item, ts, with_key};
use crate::Name;
use crate::ids::{AgentConfigId, AgentId, AssignmentId, EmployeeId, McpConfigId, OrgId, ToolId};
use crate::keys::{self, AGENT_CONFIG_PREFIX as AGENT_PREFIX, Key, MCP_CONFIG_PREFIX as MCP_PREFIX};
use crate::pagination::{Page, PageRequest};
use agentctl_wire::configs::McpConfig;
use agentctl_wire::configs::{AgentConfig, ConfigStatus};
use agentctl_wire::employees::Employee;
use agentctl_wire::policy::PolicyLink;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One of an employee's configurations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigRef {
    Agent(AgentConfigId),
    Mcp(McpConfigId),
}

fn key(org: OrgId, employee: EmployeeId, config: ConfigRef) -> Key {
    match config {
        ConfigRef::Agent(id) => keys::agent_config(org, employee, id),
        ConfigRef::Mcp(id) => keys::mcp_config(org, employee, id),
    }
}

/// Every configuration write changes what the employee's next sync delivers.
fn touch(tx: &mut Transaction, org: OrgId, employee: EmployeeId, at: &crate::time::Timestamp) {
    Change::new(Scope::Employee(org, employee)).apply(tx, at);
}

fn unchanged(updated_at: &crate::time::Timestamp) -> Expr {
    Expr::new("updated_at = :read_at").value(":read_at", ts(updated_at))
}

pub fn create_agent(tx: &mut Transaction, config: &AgentConfig) -> Result<(), StoreError> {
    let key = keys::agent_config(config.org_id, config.employee_id, config.id);
    tx.put_new(with_key(to_item(config)?, &key, "agent_config"), Guard::ConfigChanged);
    touch(tx, config.org_id, config.employee_id, &config.updated_at);
    Ok(())
}

/// How a change of agent configurations moves an employee's counts (and their team's):
/// every configuration whatever its status (`agent_config_total`, the seed's count) and
/// the active ones (`agent_config_count`, what the per-employee limit counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AgentCounts {
    pub total: i32,
    pub active: i32,
}

/// Moves the employee's and their team's agent counts; fails with [`Guard::AgentLimit`]
/// when an activation finds `max` active already (`max` given), and when the employee
/// changed teams since read ([`Guard::ConfigChanged`] without `max`).
pub fn count_agents(tx: &mut Transaction, employee: &Employee, counts: AgentCounts, max: Option<u32>) {
    if counts == AgentCounts::default() {
        return;
    }
    let update = Expr::new("ADD agent_config_count :active, agent_config_total :total")
        .value(":active", n(counts.active))
        .value(":total", n(counts.total));
    let (condition, guard) = match max.filter(|_| counts.active > 0) {
        Some(max) => (
            Expr::new(
                "attribute_exists(PK) AND (attribute_not_exists(agent_config_count) OR agent_config_count < :max)",
            )
            .value(":max", n(max)),
            Guard::AgentLimit,
        ),
        None => (Expr::new("attribute_exists(PK)"), Guard::ConfigChanged),
    };
    tx.update(&keys::employee(employee.org_id, employee.id), update, Some(same_team(condition, employee)), guard);
    if let Some(team) = employee.team_id {
        super::teams::adjust_members(tx, employee.org_id, team, 0, counts);
    }
}

/// Adds "the employee is still in the team read" to a condition.
fn same_team(condition: Expr, employee: &Employee) -> Expr {
    match employee.team_id {
        Some(team) => condition.and_key("team_id = :team").value(":team", s(team.to_string())),
        None => condition
            .and_key("(attribute_not_exists(team_id) OR attribute_type(team_id, :null))")
            .value(":null", s("NULL")),
    }
}

pub async fn get_agent(
    repo: &Repository,
    org: OrgId,
    employee: EmployeeId,
    id: AgentConfigId,
) -> Result<Option<AgentConfig>, StoreError> {
    repo.get_as(&keys::agent_config(org, employee, id)).await
}

/// A filter on configurations' status (none: every status).
fn with_status(spec: QuerySpec, status: Option<ConfigStatus>) -> QuerySpec {
    spec.filter(
        status.map(|status| {
            Expr::new("#status = :status").name("#status", "status").value(":status", s(status.as_str()))
        }),
    )
}

pub async fn list_agents(
    repo: &Repository,
    org: OrgId,
    employee: EmployeeId,
    status: Option<ConfigStatus>,
    page: &PageRequest,
) -> Result<Page<AgentConfig>, StoreError> {
    let spec = with_status(QuerySpec::table(keys::employee_partition(org, employee), AGENT_PREFIX), status);
    repo.query(spec, page).await?.try_map(from_item)
}

pub fn replace_agent(tx: &mut Transaction, after: &AgentConfig, before: &AgentConfig) -> Result<(), StoreError> {
    let key = keys::agent_config(after.org_id, after.employee_id, after.id);
    tx.put_if(with_key(to_item(after)?, &key, "agent_config"), unchanged(&before.updated_at), Guard::ConfigChanged);
    touch(tx, after.org_id, after.employee_id, &after.updated_at);
    Ok(())
}

pub fn delete_agent(tx: &mut Transaction, config: &AgentConfig) {
    tx.delete(
        &keys::agent_config(config.org_id, config.employee_id, config.id),
        Some(unchanged(&config.updated_at)),
        Guard::ConfigChanged,
    );
    touch(tx, config.org_id, config.employee_id, &crate::time::now());
}

pub fn create_mcp(tx: &mut Transaction, stored: &StoredMcpConfig) -> Result<(), StoreError> {
    let c = &stored.config;
    tx.put_new(
        with_key(to_item(stored)?, &keys::mcp_config(c.org_id, c.employee_id, c.id), "mcp_config"),
        Guard::ConfigChanged,
    );
    touch(tx, c.org_id, c.employee_id, &c.updated_at);
    Ok(())
}

pub async fn get_mcp(
    repo: &Repository,
    org: OrgId,
    employee: EmployeeId,
    id: McpConfigId,
) -> Result<Option<StoredMcpConfig>, StoreError> {
    repo.get_as(&keys::mcp_config(org, employee, id)).await
}

pub async fn list_mcp(
    repo: &Repository,
    org: OrgId,
    employee: EmployeeId,
    status: Option<ConfigStatus>,
    page: &PageRequest,
) -> Result<Page<StoredMcpConfig>, StoreError> {
    let spec = with_status(QuerySpec::table(keys::employee_partition(org, employee), MCP_PREFIX), status);
    repo.query(spec, page).await?.try_map(from_item)
}

pub fn replace_mcp(tx: &mut Transaction, after: &StoredMcpConfig, before: &StoredMcpConfig) -> Result<(), StoreError> {
    let c = &after.config;
    let item = with_key(to_item(after)?, &keys::mcp_config(c.org_id, c.employee_id, c.id), "mcp_config");
    tx.put_if(item, unchanged(&before.config.updated_at), Guard::ConfigChanged);
    touch(tx, c.org_id, c.employee_id, &c.updated_at);
    Ok(())
}

pub fn delete_mcp(tx: &mut Transaction, stored: &StoredMcpConfig) {
    let c = &stored.config;
    tx.delete(&keys::mcp_config(c.org_id, c.employee_id, c.id), Some(unchanged(&c.updated_at)), Guard::ConfigChanged);
    touch(tx, c.org_id, c.employee_id, &crate::time::now());
}

/// Everything in an employee's partition, read with one Query.
pub struct Partition {
    pub stamp: super::syncsets::Stamp,
    pub agents: Vec<AgentConfig>,
    pub mcp: Vec<StoredMcpConfig>,
    /// The policies attached to the employee.
    pub policies: Vec<PolicyLink>,
    /// The billing periods (`yyyy-mm`) in which the employee reached their spend cap.
    pub spend_cap_reached: Vec<String>,
    /// The employee's own credentials (ciphertext) for assigned MCP servers.
    pub assignment_credentials: BTreeMap<AssignmentId, String>,
    /// What approved requests raised the employee's spend cap by, per billing period.
    pub spend_cap_raises: BTreeMap<String, agentctl_wire::money::Usd>,
    /// The latest window in which their usage went past each rate limit.
    pub rate_breaches: Vec<super::usage::RateBreach>,
    /// The (agent, tool) uses approved for them (tools that require approval).
    pub tool_grants: BTreeSet<(AgentId, ToolId)>,
    /// The directory groups they belong to.
    pub groups: BTreeSet<crate::ids::TeamId>,
}

pub async fn read_partition(repo: &Repository, org: OrgId, employee: EmployeeId) -> Result<Partition, StoreError> {
    let mut partition = Partition {
        stamp: Default::default(),
        agents: Vec::new(),
        mcp: Vec::new(),
        policies: Vec::new(),
        spend_cap_reached: Vec::new(),
        assignment_credentials: BTreeMap::new(),
        spend_cap_raises: BTreeMap::new(),
        rate_breaches: Vec::new(),
        tool_grants: BTreeSet::new(),
        groups: BTreeSet::new(),
    };
    for item in repo.query_partition(&keys::employee_partition(org, employee)).await? {
        let sk = item.get(keys::SK).and_then(|sk| sk.as_s().ok()).cloned().unwrap_or_default();
        if sk.starts_with(AGENT_PREFIX) {
            partition.agents.push(from_item(item)?);
        } else if sk.starts_with(MCP_PREFIX) {
            partition.mcp.push(from_item(item)?);
        } else if sk.starts_with(super::policies::EMPLOYEE_PREFIX) {
            partition.policies.push(from_item(item)?);
        } else if sk == keys::SYNC_SET_SK {
            partition.stamp = super::syncsets::stamp(&item)?;
        } else if sk.starts_with(keys::ASSIGNMENT_CREDENTIALS_PREFIX) {
            let (assignment, ciphertext) = super::assignments::read_credentials(&item)?;
            partition.assignment_credentials.insert(assignment, ciphertext);
        } else if sk.starts_with(keys::TOOL_GRANT_PREFIX) {
            partition.tool_grants.insert(super::agent_tools::read_grant(&item)?);
        } else if sk.starts_with(keys::GROUP_MEMBERSHIP_PREFIX) {
            partition.groups.insert(super::groups::group_of(&item)?);
        } else if sk.starts_with(keys::RATE_BREACH_PREFIX) {
            partition.rate_breaches.push(from_item(item)?);
        } else if let Some(period) = sk.strip_prefix(keys::SPEND_CAP_RAISE_PREFIX) {
            partition.spend_cap_raises.insert(period.to_string(), super::usage::parse_cap_raise(&item)?);
        } else if let Some(period) = sk.strip_prefix(keys::SPEND_CAP_PREFIX) {
            partition.spend_cap_reached.push(period.to_string());
        }
    }
    Ok(partition)
}

/// Whether anything (configurations, credentials, personal policies) remains in the employee's
/// partition (their content sorts before the sync set and the spend cap markers).
pub async fn partition_in_use(repo: &Repository, org: OrgId, employee: EmployeeId) -> Result<bool, StoreError> {
    let spec = QuerySpec { sk_prefix: None, ..QuerySpec::table(keys::employee_partition(org, employee), "") };
    let first = repo.query(spec, &PageRequest::first(1)).await?.items.into_iter().next();
    let sk = first.as_ref().and_then(|item| item.get(keys::SK)).and_then(|sk| sk.as_s().ok());
    Ok(sk.is_some_and(|sk| {
        [AGENT_PREFIX, keys::ASSIGNMENT_CREDENTIALS_PREFIX, MCP_PREFIX, super::policies::EMPLOYEE_PREFIX]
            .iter()
            .any(|p| sk.starts_with(p))
    }))
}

/// Deletes what stays in an unused employee partition (the sync set), with the employee.
pub fn delete_partition_rest(tx: &mut Transaction, org: OrgId, employee: EmployeeId) {
    tx.delete(&Scope::Employee(org, employee).key(), None, Guard::ConfigChanged);
}

/// Sets `last_sync_at` of a configuration that still exists (an update would otherwise
/// create a stub of a deleted one).
pub fn mark_synced(
    tx: &mut Transaction,
    org: OrgId,
    employee: EmployeeId,
    config: ConfigRef,
    at: &crate::time::Timestamp,
) {
    let update = Expr::set(vec![("last_sync_at", ts(at))]);
    tx.update(&key(org, employee, config), update, Some(Expr::new("attribute_exists(PK)")), Guard::ConfigChanged);
}

/// The stored form: the view plus the ciphertext, which only the sync ever reads.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredMcpConfig {
    #[serde(flatten)]
    pub config: McpConfig,
    pub credentials_encrypted: Option<String>,
}
