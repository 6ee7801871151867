//! The sync bundle: everything `agentctl sync` needs to write an employee's local agent
//! configuration, in one versioned document.
//!
//! Format version 1:
//! - `agents`: the employee's **active** agent configurations, with the catalog entry's
//!   `default_config` merged with the configuration's `config_override` (RFC 7396) as
//!   `settings`, its `status` and `last_sync_at`, and the effective policies for that
//!   agent;
//! - `mcp_servers`: the employee's **active** MCP configurations of servers **still
//!   approved** for the organization, with the server's name, provider, launch template (`command`,
//!   `args`, `env`, `url`, `headers`, where `${field}` names a connection or credential
//!   field), the `connection_config`, and the decrypted `credentials` — the only place
//!   they ever leave the vault, and only to their owner;
//! - `policies`: the employee's effective policies without an agent;
//! - `budget`: the organization's budget state (`ok`, `warning` past 50 or 80 %,
//!   `exceeded` past 100 %) and the threshold crossed this billing period.
//!
//! Disabled and pending-approval configurations are not delivered.
//!
//! Cost: a full bundle is one Query of the employee's partition (configurations, own
//! policy attachments, the employee's sync stamp) and one BatchGetItem (the employee,
//! the organization, the referenced agents and servers, and the organization's and the
//! platform's sync sets, which hold approvals, policy contents and attachments). The ETag
//! is made of the three sync set versions, so `If-None-Match` is answered by one
//! BatchGetItem of those versions, with a 304 and no writes when they match.
//!
//! A bundle read while a change was committing could pair a new version with an old
//! item (BatchGetItem is not isolated from transactions), so a bundle read less than
//! [`crate::config::Config::sync_settle`] after its newest change gets no ETag: the next
//! sync reads it in full again.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::AppState;
use crate::auth::Caller;
use crate::domain::agents::AgentSpec;
use crate::domain::assignments::{self, Assigned, Assignment, AssignmentTarget};
use crate::domain::catalog::{self, Entry};
use crate::domain::configs::{self, AgentConfig, ConfigStatus, StoredMcpConfig};
use crate::domain::employees::Employee;
use crate::domain::mcp::McpServerSpec;
use crate::domain::organizations::BudgetAction;
use crate::domain::policies::Subject;
use crate::domain::subscriptions::BudgetState;
use crate::domain::teams::Memberships;
use crate::error::{Error, Result};
use crate::ids::{AgentConfigId, AgentId, McpConfigId, OrgId, ToolId};
use crate::money::Usd;
use crate::repo;
use crate::repo::syncsets::{Scope, Stamp, SyncSet};
use crate::time::Timestamp;
use agentctl_wire::fleet::Posture;

mod recorder;
pub use recorder::{SyncRecord, record_message, record_sync};

pub use agentctl_wire::bundle::{
    Bundle, BundleAgent, BundleBudget, BundleEmployee, BundleMcpServer, BundlePause, BundleSpendCap, BundleTelemetry,
    BundleTool, FORMAT_VERSION, PauseReason, RateLimitExceeded, ServerStatus, Source,
};

/// The result of a sync request.
pub enum Sync {
    NotModified {
        etag: String,
    },
    /// `etag` is absent while the newest change is settling (see the module docs).
    Bundle {
        etag: Option<String>,
        bundle: Box<Bundle>,
    },
}

/// The sync sets whose versions make up an employee's ETag.
fn scopes(caller: &Caller) -> [Scope; 3] {
    [Scope::Employee(caller.org_id, caller.employee_id), Scope::Org(caller.org_id), Scope::Catalog]
}

/// The ETag of the versions, in the billing month (spend caps start over each month).
fn etag(caller: &Caller, stamps: &[Stamp; 3]) -> String {
    let versions: Vec<String> = stamps.iter().map(|s| s.version.to_string()).collect();
    let month = crate::time::now().format("%Y-%m");
    let text = format!("{FORMAT_VERSION}:{month}:{}:{}:{}", caller.org_id, caller.employee_id, versions.join(":"));
    format!("\"{}\"", &crate::auth::digest(&text)[..32])
}

fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|tag| tag == etag || tag == "*" || tag.strip_prefix("W/") == Some(etag))
}

/// The caller's bundle, or [`Sync::NotModified`] when `if_none_match` holds its ETag;
/// `device` is what the device reported with the sync (recorded off the request path
/// either way: a 304 stays one read).
pub async fn sync(
    state: &AppState,
    caller: &Caller,
    if_none_match: Option<&str>,
    device: Option<Posture>,
) -> Result<Sync> {
    if let Some(tags) = if_none_match {
        let etag = etag(caller, &repo::bundles::stamps(&state.repo, scopes(caller)).await?);
        if matches(tags, &etag) {
            recorder::enqueue(state, caller, None, device).await?;
            return Ok(Sync::NotModified { etag });
        }
    }
    let (bundle, stamps) = read_bundle(state, caller).await?;
    let settled_before = crate::time::now() - state.config.sync_settle;
    let settled = stamps.iter().all(|s| s.changed_at.is_none_or(|at| at < settled_before));
    recorder::enqueue(state, caller, Some(&bundle), device).await?;
    Ok(Sync::Bundle { etag: settled.then(|| etag(caller, &stamps)), bundle: Box::new(bundle) })
}

/// Reads and assembles the caller's bundle (one Query and one BatchGetItem), with the
/// stamps of the sync sets it reflects.
async fn read_bundle(state: &AppState, caller: &Caller) -> Result<(Bundle, [Stamp; 3])> {
    let (org_id, employee_id) = (caller.org_id, caller.employee_id);
    let partition = repo::configs::read_partition(&state.repo, org_id, employee_id).await?;
    let agent_configs: Vec<&AgentConfig> =
        partition.agents.iter().filter(|c| c.status == ConfigStatus::Active).collect();
    let mcp_configs: Vec<&StoredMcpConfig> =
        partition.mcp.iter().filter(|c| c.config.status == ConfigStatus::Active).collect();
    let agent_refs: Vec<_> = agent_configs.iter().map(|c| (c.agent_org_id, c.agent_id)).collect();
    let server_refs: Vec<_> = mcp_configs.iter().map(|c| (c.config.server_org_id, c.config.server_id)).collect();
    let inputs = repo::bundles::inputs(&state.repo, org_id, employee_id, &agent_refs, &server_refs).await?;

    let employee = inputs.employee.ok_or(Error::NotFound("employee"))?;
    let teams = Memberships { team: employee.team_id, groups: partition.groups.clone() };
    let org = inputs.organization.ok_or(Error::NotFound("organization"))?;
    let threshold_pct = inputs.subscription.map_or(0, |s| s.budget_threshold_pct);
    let stamps = [partition.stamp, inputs.org_set.stamp, inputs.platform_set.stamp];
    let approved = inputs.org_set.approved.clone();

    // Personal configurations first; an assignment of an entry the employee configured
    // themselves gives way to theirs.
    let mut agents: Vec<AgentPlan> = Vec::new();
    for config in agent_configs {
        if let Some(agent) = visible(&inputs.agents, (config.agent_org_id, config.agent_id), org_id) {
            agents.push(AgentPlan {
                source: Source::Personal { config_id: config.id },
                name: config.name.clone(),
                agent,
                config_override: config.config_override.clone(),
                last_sync_at: config.last_sync_at,
                sync_token: config.sync_token.clone(),
                tools: Vec::new(),
            });
        }
    }
    let mut servers: Vec<ServerPlan> = Vec::new();
    for stored in mcp_configs.into_iter().filter(|c| approved.contains(&c.config.server_id)) {
        let reference = (stored.config.server_org_id, stored.config.server_id);
        if let Some(server) = visible(&inputs.servers, reference, org_id) {
            servers.push(ServerPlan {
                source: Source::Personal { config_id: stored.config.id },
                credentials: configs::open_credentials(state, stored).await?,
                server,
                connection_config: stored.config.connection_config.clone(),
                sync_token: stored.config.sync_token.clone(),
            });
        }
    }
    for assignment in reaching(&inputs.org_set, &employee, &teams) {
        let sets = [&inputs.org_set, &inputs.platform_set];
        let set = sets[usize::from(assignment.entry_org_id.is_none())];
        let sync_token = assignment_token(assignment);
        match &assignment.item {
            Assigned::Agent { agent_id, config_override } => {
                let Some(agent) = set.entry::<AgentSpec>(*agent_id)?.filter(|a| sees(a, org_id)) else { continue };
                if agents.iter().any(|a| a.agent.id == agent.id) {
                    continue;
                }
                let sync_token = format!("{sync_token}{}", agent.updated_at.timestamp_micros());
                agents.push(AgentPlan {
                    source: Source::Assignment { assignment_id: assignment.id },
                    name: agent.name.clone(),
                    agent: refreshed(agent),
                    config_override: config_override.clone(),
                    last_sync_at: None,
                    sync_token,
                    tools: Vec::new(),
                });
            }
            Assigned::McpServer { server_id, connection_config } => {
                let Some(server) = set.entry::<McpServerSpec>(*server_id)?.filter(|s| sees(s, org_id)) else {
                    continue;
                };
                if !approved.contains(&server.id) || servers.iter().any(|s| s.server.id == server.id) {
                    continue;
                }
                // Their own credentials first, else the organization's.
                let own = partition.assignment_credentials.get(&assignment.id);
                let credentials = match (own, inputs.org_set.shared_credentials.get(&assignment.id)) {
                    (Some(sealed), _) => {
                        Some(assignments::open_credentials(state, org_id, employee_id, assignment.id, sealed).await?)
                    }
                    (None, Some(sealed)) => {
                        Some(assignments::open_shared_credentials(state, org_id, assignment.id, sealed).await?)
                    }
                    (None, None) => None,
                };
                let sync_token =
                    format!("{sync_token}{}{}", server.updated_at.timestamp_micros(), credentials.is_some());
                servers.push(ServerPlan {
                    source: Source::Assignment { assignment_id: assignment.id },
                    server: refreshed(server),
                    connection_config: connection_config.clone(),
                    credentials,
                    sync_token,
                });
            }
        }
    }

    for plan in &mut agents {
        let sets = [&inputs.org_set, &inputs.platform_set];
        plan.tools = tools_of(plan.agent.id, org_id, sets, &partition.tool_grants);
    }
    let own = partition.policies.iter().map(|link| link.policy_id).collect();
    let subject = Subject::new(&employee, teams, own, inputs.org_set, inputs.platform_set);
    let agents = agents.into_iter().map(|plan| plan.deliver(&subject)).collect::<Result<Vec<_>>>()?;
    let mut servers: Vec<BundleMcpServer> = servers.into_iter().map(ServerPlan::deliver).collect();

    let policies = subject.resolve(None)?;
    let month = crate::time::now().format("%Y-%m").to_string();
    let spend_cap_reached = partition.spend_cap_reached.contains(&month);
    let raise = partition.spend_cap_raises.get(&month).copied().unwrap_or(Usd::ZERO);
    let spend_cap = policies
        .effective
        .spend_cap_usd
        .as_ref()
        .map(|cap| BundleSpendCap { monthly_usd: cap.value + raise, reached: spend_cap_reached });
    let paused = pause(org.budget_action, spend_cap.as_ref(), threshold_pct, &month);
    if paused.is_some() {
        servers.clear();
    }
    let bundle = Bundle {
        format: FORMAT_VERSION,
        employee: BundleEmployee {
            id: employee.id,
            email: employee.email.clone(),
            full_name: employee.full_name.clone(),
            org_id: org.id,
            org_slug: org.slug.clone(),
            team_id: employee.team_id,
        },
        agents,
        mcp_servers: servers,
        budget: BundleBudget { state: BudgetState::of(threshold_pct), threshold_pct, spend_cap, paused },
        rate_limits_exceeded: partition.rate_breaches.clone(),
        policies,
        telemetry: BundleTelemetry { enabled: org.telemetry == crate::domain::organizations::Telemetry::On },
    };
    Ok((bundle, stamps))
}

/// Whether the organization's budget action pauses the employee's managed agents now,
/// and what to tell them.
fn pause(action: BudgetAction, cap: Option<&BundleSpendCap>, threshold_pct: u8, month: &str) -> Option<BundlePause> {
    if action != BudgetAction::Pause {
        return None;
    }
    if let Some(cap) = cap.filter(|cap| cap.reached) {
        let message = format!(
            "Your spend cap of {} USD for {month} is reached: your organization pauses the agents it manages \
             for you until it is raised. Ask for more with `agentctl request budget AMOUNT --spend-cap --reason ...`.",
            cap.monthly_usd
        );
        return Some(BundlePause { reason: PauseReason::SpendCap, message });
    }
    (threshold_pct >= 100).then(|| BundlePause {
        reason: PauseReason::OrganizationBudget,
        message: format!(
            "Your organization's monthly budget for {month} is spent: the agents it manages are paused until the \
             budget is raised. Ask for more with `agentctl request budget AMOUNT --reason ...`."
        ),
    })
}

/// The assignments that reach `employee`, the one that counts for each entry first: a
/// team's before the organization's, a newer before an older.
fn reaching<'a>(org_set: &'a SyncSet, employee: &Employee, teams: &Memberships) -> Vec<&'a Assignment> {
    let mut reaching: Vec<&Assignment> =
        org_set.assignments.values().filter(|a| a.applies_to(employee.id, teams)).collect();
    reaching.sort_by_key(|a| std::cmp::Reverse((matches!(a.target, AssignmentTarget::Team { .. }), a.id)));
    reaching
}

/// The part of an assigned item's sync token that changes with the assignment.
fn assignment_token(assignment: &Assignment) -> String {
    format!("a{}-{}-", assignment.id.0.simple(), assignment.updated_at.timestamp_micros())
}

/// An agent to deliver, wherever it comes from.
struct AgentPlan {
    source: Source<AgentConfigId>,
    name: String,
    agent: Entry<AgentSpec>,
    config_override: Value,
    last_sync_at: Option<Timestamp>,
    sync_token: String,
    tools: Vec<BundleTool>,
}

/// The tools linked to an agent for the organization (the organization's link of a tool
/// wins over the platform's), visible to it, enabled unless they require an approval the
/// employee was not granted.
fn tools_of(
    agent: AgentId,
    org: OrgId,
    [org_set, platform_set]: [&SyncSet; 2],
    grants: &BTreeSet<(AgentId, ToolId)>,
) -> Vec<BundleTool> {
    let mut links: BTreeMap<ToolId, &repo::syncsets::ToolLinkFacts> = BTreeMap::new();
    for set in [platform_set, org_set] {
        links.extend(set.tool_links.iter().filter(|((a, _), _)| *a == agent).map(|((_, tool), link)| (*tool, link)));
    }
    links
        .into_iter()
        .filter_map(|(tool_id, link)| {
            let facts = match link.tool_org_id {
                None => platform_set.tools.get(&tool_id).filter(|t| t.is_public)?,
                Some(owner) if owner == org => org_set.tools.get(&tool_id)?,
                Some(_) => return None,
            };
            Some(BundleTool {
                tool_id,
                name: facts.name.clone(),
                tool_type: facts.tool_type,
                requires_approval: facts.requires_approval,
                enabled: !facts.requires_approval || grants.contains(&(agent, tool_id)),
                config: link.config.clone(),
            })
        })
        .collect()
}

impl AgentPlan {
    /// The agent's defaults merged with the settings, and its effective policies.
    fn deliver(self, subject: &Subject) -> Result<BundleAgent> {
        let mut settings = self.agent.spec.default_config.clone();
        let agent = self.agent;
        json_patch::merge(&mut settings, &self.config_override);
        Ok(BundleAgent {
            source: self.source,
            name: self.name,
            agent_id: agent.id,
            policies: subject.resolve(Some(agent.id))?,
            agent_name: agent.name,
            agent_type: agent.spec.agent_type,
            provider: agent.spec.provider,
            llm_provider: agent.spec.llm_provider,
            llm_model: agent.spec.llm_model,
            settings,
            status: ConfigStatus::Active,
            last_sync_at: self.last_sync_at,
            sync_token: self.sync_token,
            tools: self.tools,
        })
    }
}

/// An MCP server to deliver, with the credentials opened for it.
struct ServerPlan {
    source: Source<McpConfigId>,
    server: Entry<McpServerSpec>,
    connection_config: Value,
    credentials: Option<Value>,
    sync_token: String,
}

impl ServerPlan {
    fn deliver(self) -> BundleMcpServer {
        let (credential_fields, required) = crate::domain::mcp::credential_fields(&self.server.spec.connection_schema);
        let status =
            if required && self.credentials.is_none() { ServerStatus::NeedsCredentials } else { ServerStatus::Ready };
        let spec = self.server.spec;
        BundleMcpServer {
            source: self.source,
            server_id: self.server.id,
            name: self.server.name,
            provider: spec.provider,
            launch: spec.launch,
            connection_config: self.connection_config,
            credentials: self.credentials,
            credential_fields,
            status,
            sync_token: self.sync_token,
        }
    }
}

/// Whether the organization sees a catalog entry.
fn sees<S: catalog::Spec>(entry: &Entry<S>, org: OrgId) -> bool {
    entry.is_public || entry.org_id == Some(org)
}

/// An entry with its derived fields filled.
fn refreshed<S: catalog::Spec>(mut entry: Entry<S>) -> Entry<S> {
    entry.spec.refresh();
    entry
}

/// A catalog entry read for the bundle, if it still exists and the organization sees it.
fn visible<S: catalog::Spec>(
    entries: &[Entry<S>],
    (owner, id): repo::bundles::EntryRef<S>,
    org: OrgId,
) -> Option<Entry<S>> {
    let entry = entries.iter().find(|e| e.id == id && e.org_id == owner)?;
    sees(entry, org).then(|| refreshed(entry.clone()))
}
