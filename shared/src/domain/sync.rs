//! The sync bundle: everything `agentctl sync` needs to write an employee's local agent
//! configuration, in one versioned document.
//!
//! Format version 1:
//! - `agents`: the employee's **active** agent configurations, with the catalog entry's
//!   `default_config` merged with the configuration's `config_override` (RFC 7396) as
//!   `settings`, and the effective policies for that agent;
//! - `mcp_servers`: the employee's **active** MCP configurations of servers **still
//!   approved** for the organization, with the server's launch template (`command`,
//!   `args`, `env`, `url`, `headers`, where `${field}` names a connection or credential
//!   field), the `connection_config`, and the decrypted `credentials` — the only place
//!   they ever leave the vault, and only to their owner;
//! - `policies`: the employee's effective policies without an agent.
//!
//! Disabled and pending-approval configurations are not delivered. The ETag is the
//! SHA-256 of the bundle itself, so it changes exactly when the bundle does (a config,
//! a policy at any level, a catalog entry, an approval); `If-None-Match` gets a 304
//! without writes. A 200 records the sync: `last_sync_at` on the delivered
//! configurations and a `config.synced` activity entry.

use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::AppState;
use crate::activity::EventType;
use crate::auth::{Caller, Principal};
use crate::domain::agents::{AgentSpec, AgentType};
use crate::domain::catalog::{self, Entry};
use crate::domain::configs::{self, ConfigStatus};
use crate::domain::mcp::{McpServerSpec, Transport};
use crate::domain::organizations;
use crate::domain::policies::{self, EffectivePolicies};
use crate::error::{Error, Result};
use crate::ids::{EmployeeId, OrgId, TeamId};
use crate::pagination::PageRequest;
use crate::repo;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Bundle {
    /// The bundle format version (see the API docs).
    pub format: u32,
    pub employee: BundleEmployee,
    pub agents: Vec<BundleAgent>,
    pub mcp_servers: Vec<BundleMcpServer>,
    /// The employee's effective policies regardless of agent.
    pub policies: EffectivePolicies,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BundleEmployee {
    pub id: EmployeeId,
    pub email: String,
    pub full_name: String,
    pub org_id: OrgId,
    pub org_slug: String,
    pub team_id: Option<TeamId>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BundleAgent {
    #[schema(value_type = String, format = Uuid)]
    pub config_id: Uuid,
    pub name: String,
    #[schema(value_type = String, format = Uuid)]
    pub agent_id: Uuid,
    pub agent_name: String,
    #[serde(rename = "type")]
    pub agent_type: AgentType,
    pub provider: String,
    pub llm_provider: Option<String>,
    pub llm_model: Option<String>,
    /// `default_config` with `config_override` merged in.
    pub settings: Value,
    pub sync_token: String,
    pub policies: EffectivePolicies,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BundleMcpServer {
    #[schema(value_type = String, format = Uuid)]
    pub config_id: Uuid,
    #[schema(value_type = String, format = Uuid)]
    pub server_id: Uuid,
    /// The catalog name (what policies' MCP allow/deny lists name).
    pub name: String,
    pub transport: Transport,
    pub command: Option<String>,
    pub args: Vec<String>,
    pub env: std::collections::BTreeMap<String, String>,
    pub url: Option<String>,
    pub headers: std::collections::BTreeMap<String, String>,
    pub connection_config: Value,
    /// Decrypted credentials (write-only elsewhere). Absent when none are set.
    pub credentials: Option<Value>,
    /// Names of the credential fields (so clients can keep them out of shared files).
    pub credential_fields: Vec<String>,
    pub sync_token: String,
}

/// The result of a sync request.
pub enum Sync {
    NotModified { etag: String },
    Bundle { etag: String, bundle: Box<Bundle> },
}

/// The caller's bundle; `None`-matching `if_none_match` gives [`Sync::NotModified`].
pub async fn sync(state: &AppState, caller: &Caller, if_none_match: Option<&str>) -> Result<Sync> {
    let subject = policies::subject(state, caller, caller.employee_id).await?;
    let employee = &subject.employee;
    let org = organizations::get(state, caller.org_id).await?;
    let all = PageRequest::max();
    let agent_configs = repo::configs::list_agents(&state.repo, caller.org_id, employee.id, &all).await?.items;
    let mcp_configs = repo::configs::list_mcp(&state.repo, caller.org_id, employee.id, &all).await?.items;
    let approved: Vec<Uuid> =
        repo::mcp::approvals(&state.repo, caller.org_id).await?.into_iter().map(|a| a.server_id).collect();

    let mut agents = Vec::new();
    for config in agent_configs.iter().filter(|c| c.status == ConfigStatus::Active) {
        let agent: Entry<AgentSpec> = match catalog::visible_to(state, Some(caller.org_id), config.agent_id).await {
            Ok(agent) => agent,
            Err(Error::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        let mut settings = agent.spec.default_config.clone();
        catalog::merge_patch(&mut settings, &config.config_override);
        agents.push(BundleAgent {
            config_id: config.id,
            name: config.name.clone(),
            agent_id: agent.id,
            agent_name: agent.name.clone(),
            agent_type: agent.spec.agent_type,
            provider: agent.spec.provider.clone(),
            llm_provider: agent.spec.llm_provider.clone(),
            llm_model: agent.spec.llm_model.clone(),
            settings,
            sync_token: config.sync_token.clone(),
            policies: policies::resolve_for(state, &subject, Some(agent.id)).await?,
        });
    }

    let mut servers = Vec::new();
    for stored in mcp_configs.iter().filter(|c| c.config.status == ConfigStatus::Active) {
        if !approved.contains(&stored.config.server_id) {
            continue;
        }
        let server: Entry<McpServerSpec> =
            match catalog::visible_to(state, Some(caller.org_id), stored.config.server_id).await {
                Ok(server) => server,
                Err(Error::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
        let spec = &server.spec;
        servers.push(BundleMcpServer {
            config_id: stored.config.id,
            server_id: server.id,
            name: server.name.clone(),
            transport: spec.transport,
            command: spec.command.clone(),
            args: spec.args.clone(),
            env: spec.env.clone(),
            url: spec.url.clone(),
            headers: spec.headers.clone(),
            connection_config: stored.config.connection_config.clone(),
            credentials: configs::open_credentials(state, stored).await?,
            credential_fields: crate::domain::mcp::credential_fields(&spec.connection_schema).0,
            sync_token: stored.config.sync_token.clone(),
        });
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
        policies: policies::resolve_for(state, &subject, None).await?,
    };
    let etag = format!("\"{}\"", crate::auth::digest(&serde_json::to_string(&bundle).expect("bundle serializes")));
    if if_none_match.is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*")) {
        return Ok(Sync::NotModified { etag });
    }
    record(state, caller, &bundle).await?;
    Ok(Sync::Bundle { etag, bundle: Box::new(bundle) })
}

/// Marks the delivered configurations synced and logs `config.synced`.
async fn record(state: &AppState, caller: &Caller, bundle: &Bundle) -> Result<()> {
    let now = crate::time::now();
    let delivered: Vec<(&str, Uuid)> = bundle
        .agents
        .iter()
        .map(|a| (repo::configs::AGENT_PREFIX, a.config_id))
        .chain(bundle.mcp_servers.iter().map(|m| (repo::configs::MCP_PREFIX, m.config_id)))
        .collect();
    // Each transaction holds its activity entry too; bundles above ~98 configs span several.
    let chunks: Vec<&[(&str, Uuid)]> =
        if delivered.is_empty() { vec![&[]] } else { delivered.chunks(repo::transaction::MAX_ITEMS - 2).collect() };
    for chunk in chunks {
        let mut tx = state.repo.transaction();
        for (prefix, id) in chunk {
            repo::configs::mark_synced(&mut tx, caller.org_id, caller.employee_id, prefix, *id, &now);
        }
        let payload = json!({
            "employee_id": caller.employee_id,
            "agents": bundle.agents.len(),
            "mcp_servers": bundle.mcp_servers.len(),
        });
        let by = Principal::Employee(caller.clone());
        crate::domain::log(state, &mut tx, caller.org_id, &by, EventType::ConfigSynced, payload)?;
        // A configuration removed meanwhile cancels this chunk's marks; the next sync marks again.
        match state.repo.transact(tx).await {
            Ok(()) | Err(repo::StoreError::ConditionFailed(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
