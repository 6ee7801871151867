//! Employee configurations: the agents (from the catalog) and MCP servers (approved for
//! the organization) an employee uses, with their settings. Every edit issues a new
//! `sync_token`. MCP credentials are write-only: set through their own endpoint,
//! encrypted by the [`crate::vault`], never returned by this API.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::AppState;
use crate::activity::EventType;
use crate::auth::{Caller, Principal};
use crate::domain::agents::AgentSpec;
use crate::domain::catalog::{self, Entry};
use crate::domain::mcp::{McpServerSpec, credential_fields};
use crate::domain::{employees, organizations};
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{AgentConfigId, EmployeeId, McpConfigId, OrgId};
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo::configs::AgentCounts;
use crate::repo::{self, StoreError};
use crate::roles::Permission;
use crate::validate::{self, FieldError, Validator};
use crate::vault::Owner;

pub use agentctl_wire::configs::{
    AgentConfig, AgentConfigPatch, ConfigQuery, ConfigStatus, CredentialsUpdate, ListedAgentConfig, ListedMcpConfig,
    McpConfig, McpConfigPatch, NewAgentConfig, NewMcpConfig,
};

/// The page a configuration list asks for.
fn page_of(query: &ConfigQuery) -> Result<PageRequest> {
    PageRequest::try_from(&PageQuery { limit: query.limit, cursor: query.cursor.clone() })
}

fn new_sync_token() -> String {
    Uuid::new_v4().simple().to_string()
}

/// Configurations are the employee's own to read; admins (employees:read/write) manage
/// everyone's.
async fn employee_for(
    state: &AppState,
    caller: &Caller,
    employee: EmployeeId,
    write: bool,
) -> Result<employees::Employee> {
    if employee != caller.employee_id || write {
        caller.require(if write { Permission::EmployeesWrite } else { Permission::EmployeesRead })?;
    }
    employees::find(state, caller.org_id, employee).await
}

/// Validates `instance` against `schema`; errors are reported under `field`.
fn schema_errors(schema: &Value, instance: &Value, field: &str) -> Vec<FieldError> {
    match jsonschema::validator_for(schema) {
        Err(e) => vec![FieldError { field: field.into(), message: format!("the schema cannot be used: {e}") }],
        Ok(validator) => validator
            .iter_errors(instance)
            .map(|e| {
                let path = e.instance_path().to_string();
                let at = path.trim_start_matches('/').replace('/', ".");
                FieldError {
                    field: if at.is_empty() { field.into() } else { format!("{field}.{at}") },
                    message: e.to_string(),
                }
            })
            .collect(),
    }
}

fn stale() -> Error {
    Error::conflict(ProblemCode::ConcurrentUpdate, "the configuration changed while this request ran; retry")
}

// --- agent configurations ---------------------------------------------------------------

/// Checks settings over an agent's defaults (errors under `field`).
pub(crate) fn check_override(
    v: &mut Validator,
    agent: &Entry<AgentSpec>,
    field: &str,
    config_override: Value,
) -> Option<Value> {
    let config_override = v.check(field, config_override, validate::json_object(32 * 1024))?;
    if let Some(schema) = &agent.spec.config_schema {
        let mut merged = agent.spec.default_config.clone();
        json_patch::merge(&mut merged, &config_override);
        for e in schema_errors(schema, &merged, field) {
            v.error(&e.field, e.message);
        }
    }
    Some(config_override)
}

/// A new agent configuration of `employee_id`, validated against the agent's schema.
pub fn new_agent_config(
    org: OrgId,
    employee_id: EmployeeId,
    agent: &Entry<AgentSpec>,
    name: Option<String>,
    status: Option<ConfigStatus>,
    config_override: Option<Value>,
) -> Result<AgentConfig> {
    let mut v = Validator::new();
    let name = v.check("name", name.unwrap_or_else(|| agent.name.clone()), validate::name(100));
    let config_override =
        check_override(&mut v, agent, "config_override", config_override.unwrap_or_else(|| json!({})));
    let (name, config_override) = v.finish(|| Some((name?, config_override?)))?;
    let now = crate::time::now();
    Ok(AgentConfig {
        id: AgentConfigId::new(),
        org_id: org,
        employee_id,
        agent_id: agent.id,
        agent_org_id: agent.org_id,
        name,
        status: status.unwrap_or(ConfigStatus::Active),
        config_override,
        sync_token: new_sync_token(),
        last_sync_at: None,
        created_at: now,
        updated_at: now,
    })
}

/// Adds a new agent configuration to `tx`: the item, the employee's (and team's) agent
/// count, the activity entry. The agent's `ref_count` is the caller's to adjust (a
/// transaction writes an item once, and callers may reference the entry otherwise too).
pub(crate) fn stage_agent_config(
    state: &AppState,
    tx: &mut repo::Transaction,
    by: &Principal,
    employee: &employees::Employee,
    max_agents: u32,
    config: &AgentConfig,
    agent_name: &str,
) -> Result<()> {
    repo::configs::create_agent(tx, config)?;
    // The limit counts active configurations only (a pending or disabled one holds no slot).
    let active = i32::from(config.status == ConfigStatus::Active);
    repo::configs::count_agents(tx, employee, AgentCounts { total: 1, active }, Some(max_agents));
    let payload =
        json!({ "employee_id": employee.id, "config_id": config.id, "agent_id": config.agent_id, "agent": agent_name });
    crate::domain::log(state, tx, config.org_id, by, EventType::AgentInstalled, payload)
}

/// Takes a slot when a configuration becomes active and gives it back when it stops
/// being active; returns the organization's limit (0 when not read).
pub(crate) async fn stage_activation(
    state: &AppState,
    tx: &mut repo::Transaction,
    employee: &employees::Employee,
    before: &AgentConfig,
    after: &AgentConfig,
) -> Result<u32> {
    let (was, is) = (before.status == ConfigStatus::Active, after.status == ConfigStatus::Active);
    if is && !was {
        let max = organizations::get(state, employee.org_id).await?.max_agents_per_employee;
        repo::configs::count_agents(tx, employee, AgentCounts { total: 0, active: 1 }, Some(max));
        return Ok(max);
    }
    if was && !is {
        repo::configs::count_agents(tx, employee, AgentCounts { total: 0, active: -1 }, None);
    }
    Ok(0)
}

/// The error of a transaction that staged an agent configuration.
pub(crate) fn agent_config_error(e: StoreError, employee: &employees::Employee, max_agents: u32) -> Error {
    match e {
        StoreError::ConditionFailed(repo::Guard::AgentLimit) if employee.agent_config_count + 1 >= max_agents => {
            Error::conflict(
                ProblemCode::AgentLimitReached,
                format!("the employee has the organization's maximum of {max_agents} agents"),
            )
        }
        StoreError::ConditionFailed(_) => stale(),
        e => e.into(),
    }
}

pub async fn create_agent_config(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    request: NewAgentConfig,
) -> Result<AgentConfig> {
    let employee = employee_for(state, caller, employee_id, true).await?;
    let org = organizations::get(state, caller.org_id).await?;
    let agent = match catalog::visible_to::<AgentSpec>(state, Some(caller.org_id), request.agent_id).await {
        Ok(agent) => agent,
        Err(Error::NotFound(_)) => return Err(Error::invalid("agent_id", "no such agent in the catalog")),
        Err(e) => return Err(e),
    };
    let config =
        new_agent_config(caller.org_id, employee_id, &agent, request.name, request.status, request.config_override)?;
    let mut tx = state.repo.transaction();
    stage_agent_config(
        state,
        &mut tx,
        &caller.principal(),
        &employee,
        org.max_agents_per_employee,
        &config,
        &agent.name,
    )?;
    repo::catalog::adjust_refs_at(&mut tx, &repo::catalog::key::<AgentSpec>(agent.org_id, agent.id), 1);
    crate::domain::notify::commit(state, tx)
        .await
        .map_err(|e| agent_config_error(e, &employee, org.max_agents_per_employee))?;
    Ok(config)
}

/// The catalog entry `id` a configuration references, among those read. A referenced
/// entry is never deleted (agents count their configurations, servers their approvals),
/// so a missing one is corrupt data.
fn referenced<S: catalog::Spec>(entries: &[Entry<S>], id: S::Id, config: impl std::fmt::Display) -> Result<&Entry<S>> {
    entries
        .iter()
        .find(|e| e.id == id)
        .ok_or_else(|| Error::internal(format!("the {} {id} of configuration {config} is missing", S::KIND)))
}

/// One page of an employee's agent configurations, each with its catalog agent's name,
/// type and provider (one Query and one BatchGetItem).
pub async fn list_agent_configs(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    query: &ConfigQuery,
) -> Result<Page<ListedAgentConfig>> {
    employee_for(state, caller, employee_id, false).await?;
    let page =
        repo::configs::list_agents(&state.repo, caller.org_id, employee_id, query.status, &page_of(query)?).await?;
    let agents =
        repo::catalog::get_many::<AgentSpec>(&state.repo, page.items.iter().map(|c| (c.agent_org_id, c.agent_id)))
            .await?;
    page.try_map(|config| {
        let agent = referenced(&agents, config.agent_id, config.id)?;
        Ok(ListedAgentConfig {
            agent_name: agent.name.clone(),
            agent_type: agent.spec.agent_type,
            provider: agent.spec.provider.clone(),
            config,
        })
    })
}

pub async fn get_agent_config(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    id: AgentConfigId,
) -> Result<AgentConfig> {
    employee_for(state, caller, employee_id, false).await?;
    repo::configs::get_agent(&state.repo, caller.org_id, employee_id, id).await?.ok_or(Error::NotFound("agent_config"))
}

pub async fn update_agent_config(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    id: AgentConfigId,
    patch: AgentConfigPatch,
) -> Result<AgentConfig> {
    let employee = employee_for(state, caller, employee_id, true).await?;
    let before = repo::configs::get_agent(&state.repo, caller.org_id, employee_id, id)
        .await?
        .ok_or(Error::NotFound("agent_config"))?;
    let agent = catalog::visible_to::<AgentSpec>(state, Some(caller.org_id), before.agent_id).await?;
    let mut v = Validator::new();
    let name = v.check_opt("name", patch.name, validate::name(100));
    let config_override = match patch.config_override {
        Some(o) => check_override(&mut v, &agent, "config_override", o).map(Some),
        None => Some(None),
    };
    let (name, config_override) = v.finish(|| Some((name?, config_override?)))?;
    let after = AgentConfig {
        name: name.unwrap_or(before.name.clone()),
        status: patch.status.unwrap_or(before.status),
        config_override: config_override.unwrap_or(before.config_override.clone()),
        sync_token: new_sync_token(),
        updated_at: crate::time::now(),
        ..before.clone()
    };
    let mut tx = state.repo.transaction();
    repo::configs::replace_agent(&mut tx, &after, &before)?;
    let max_agents = stage_activation(state, &mut tx, &employee, &before, &after).await?;
    let payload = json!({ "employee_id": employee_id, "config_id": id, "status": after.status });
    crate::domain::log(state, &mut tx, caller.org_id, &caller.principal(), EventType::AgentUpdated, payload)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| agent_config_error(e, &employee, max_agents))?;
    Ok(after)
}

pub async fn delete_agent_config(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    id: AgentConfigId,
) -> Result<()> {
    let employee = employee_for(state, caller, employee_id, true).await?;
    let config = repo::configs::get_agent(&state.repo, caller.org_id, employee_id, id)
        .await?
        .ok_or(Error::NotFound("agent_config"))?;
    let mut tx = state.repo.transaction();
    repo::configs::delete_agent(&mut tx, &config);
    let active = i32::from(config.status == ConfigStatus::Active);
    repo::configs::count_agents(&mut tx, &employee, AgentCounts { total: -1, active: -active }, None);
    repo::catalog::adjust_refs_at(&mut tx, &repo::catalog::key::<AgentSpec>(config.agent_org_id, config.agent_id), -1);
    let payload = json!({ "employee_id": employee_id, "config_id": id, "agent_id": config.agent_id });
    crate::domain::log(state, &mut tx, caller.org_id, &caller.principal(), EventType::AgentRemoved, payload)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => stale(),
        e => e.into(),
    })
}

// --- MCP configurations ------------------------------------------------------------------

/// The server's connection schema without its credential fields: what
/// `connection_config` must satisfy (credentials come through their own endpoint).
fn plain_schema(schema: &Value) -> (Value, Vec<String>) {
    let (secret, _) = credential_fields(schema);
    let mut plain = schema.clone();
    // `get_mut`, not indexing: indexing a missing key would insert a null into the schema.
    if let Some(properties) = plain.get_mut("properties").and_then(Value::as_object_mut) {
        for field in &secret {
            properties.remove(field);
        }
    }
    if let Some(required) = plain.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|r| r.as_str().is_none_or(|r| !secret.iter().any(|s| s == r)));
    }
    (plain, secret)
}

/// Checks an MCP server's connection without its credentials (errors under `field`).
pub(crate) fn check_connection(
    v: &mut Validator,
    server: &Entry<McpServerSpec>,
    field: &str,
    connection: Value,
) -> Option<Value> {
    let connection = v.check(field, connection, validate::json_object(16 * 1024))?;
    let (plain, secret) = plain_schema(&server.spec.connection_schema);
    let mut ok = true;
    for secret_field in secret.iter().filter(|f| connection.get(f.as_str()).is_some()) {
        v.error(&format!("{field}.{secret_field}"), "is a credential: set it through the credentials endpoint");
        ok = false;
    }
    for e in schema_errors(&plain, &connection, field) {
        v.error(&e.field, e.message);
        ok = false;
    }
    ok.then_some(connection)
}

/// The stored form: the view plus the ciphertext, which only the sync ever reads.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredMcpConfig {
    #[serde(flatten)]
    pub config: McpConfig,
    pub credentials_encrypted: Option<String>,
}

/// A new MCP configuration of `employee_id` (without credentials), its connection
/// validated against the server's schema.
pub fn new_mcp_config(
    org: OrgId,
    employee_id: EmployeeId,
    server: &Entry<McpServerSpec>,
    status: Option<ConfigStatus>,
    connection_config: Option<Value>,
) -> Result<StoredMcpConfig> {
    let mut v = Validator::new();
    let connection =
        check_connection(&mut v, server, "connection_config", connection_config.unwrap_or_else(|| json!({})));
    let connection = v.finish(|| connection)?;
    let now = crate::time::now();
    Ok(StoredMcpConfig {
        config: McpConfig {
            id: McpConfigId::new(),
            org_id: org,
            employee_id,
            server_id: server.id,
            server_org_id: server.org_id,
            server_name: server.name.clone(),
            status: status.unwrap_or(ConfigStatus::Active),
            connection_config: connection,
            credentials_set: false,
            credentials_rotated_at: None,
            sync_token: new_sync_token(),
            last_sync_at: None,
            created_at: now,
            updated_at: now,
        },
        credentials_encrypted: None,
    })
}

/// Adds a new MCP configuration to `tx` with its activity entry. Unless the same
/// transaction approves the server (`approved_here`), it also requires the organization's
/// approval to stand. The server's `ref_count` is the caller's to adjust.
pub(crate) fn stage_mcp_config(
    state: &AppState,
    tx: &mut repo::Transaction,
    by: &Principal,
    stored: &StoredMcpConfig,
    approved_here: bool,
) -> Result<()> {
    let c = &stored.config;
    repo::configs::create_mcp(tx, stored)?;
    if !approved_here {
        repo::mcp::require_approval(tx, c.org_id, c.server_id);
    }
    let payload =
        json!({ "employee_id": c.employee_id, "config_id": c.id, "server_id": c.server_id, "server": c.server_name });
    crate::domain::log(state, tx, c.org_id, by, EventType::McpConfigured, payload)
}

pub async fn create_mcp_config(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    request: NewMcpConfig,
) -> Result<McpConfig> {
    employee_for(state, caller, employee_id, true).await?;
    let server = match catalog::visible_to::<McpServerSpec>(state, Some(caller.org_id), request.server_id).await {
        Ok(server) => server,
        Err(Error::NotFound(_)) => return Err(Error::invalid("server_id", "no such MCP server in the catalog")),
        Err(e) => return Err(e),
    };
    let stored = new_mcp_config(caller.org_id, employee_id, &server, request.status, request.connection_config)?;
    let mut tx = state.repo.transaction();
    stage_mcp_config(state, &mut tx, &caller.principal(), &stored, false)?;
    repo::catalog::adjust_refs_at(&mut tx, &repo::catalog::key::<McpServerSpec>(server.org_id, server.id), 1);
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(repo::Guard::McpNotApproved) => {
            Error::invalid("server_id", "the MCP server is not approved for this organization")
        }
        StoreError::ConditionFailed(_) => stale(),
        e => e.into(),
    })?;
    Ok(stored.config)
}

async fn stored_mcp(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    id: McpConfigId,
) -> Result<StoredMcpConfig> {
    repo::configs::get_mcp(&state.repo, caller.org_id, employee_id, id).await?.ok_or(Error::NotFound("mcp_config"))
}

/// One page of an employee's MCP configurations, each with its server's provider (one
/// Query and one BatchGetItem).
pub async fn list_mcp_configs(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    query: &ConfigQuery,
) -> Result<Page<ListedMcpConfig>> {
    employee_for(state, caller, employee_id, false).await?;
    let page = repo::configs::list_mcp(&state.repo, caller.org_id, employee_id, query.status, &page_of(query)?).await?;
    let refs = page.items.iter().map(|s| (s.config.server_org_id, s.config.server_id));
    let servers = repo::catalog::get_many::<McpServerSpec>(&state.repo, refs).await?;
    page.try_map(|stored| {
        let server = referenced(&servers, stored.config.server_id, stored.config.id)?;
        Ok(ListedMcpConfig { provider: server.spec.provider.clone(), config: stored.config })
    })
}

pub async fn get_mcp_config(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    id: McpConfigId,
) -> Result<McpConfig> {
    employee_for(state, caller, employee_id, false).await?;
    Ok(stored_mcp(state, caller, employee_id, id).await?.config)
}

async fn write_mcp(
    state: &AppState,
    caller: &Caller,
    before: &StoredMcpConfig,
    after: StoredMcpConfig,
    event: EventType,
) -> Result<McpConfig> {
    let mut tx = state.repo.transaction();
    repo::configs::replace_mcp(&mut tx, &after, before)?;
    // Never the credentials themselves: only that they changed.
    let payload =
        json!({ "employee_id": after.config.employee_id, "config_id": after.config.id, "status": after.config.status });
    crate::domain::log(state, &mut tx, caller.org_id, &caller.principal(), event, payload)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => stale(),
        e => e.into(),
    })?;
    Ok(after.config)
}

pub async fn update_mcp_config(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    id: McpConfigId,
    patch: McpConfigPatch,
) -> Result<McpConfig> {
    employee_for(state, caller, employee_id, true).await?;
    let before = stored_mcp(state, caller, employee_id, id).await?;
    let server = catalog::visible_to::<McpServerSpec>(state, Some(caller.org_id), before.config.server_id).await?;
    let mut v = Validator::new();
    let connection = match patch.connection_config {
        Some(c) => check_connection(&mut v, &server, "connection_config", c).map(Some),
        None => Some(None),
    };
    let connection = v.finish(|| connection)?;
    let mut after = before.clone();
    after.config.status = patch.status.unwrap_or(before.config.status);
    if let Some(connection) = connection {
        after.config.connection_config = connection;
    }
    after.config.sync_token = new_sync_token();
    after.config.updated_at = crate::time::now();
    write_mcp(state, caller, &before, after, EventType::McpUpdated).await
}

pub async fn delete_mcp_config(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    id: McpConfigId,
) -> Result<()> {
    employee_for(state, caller, employee_id, true).await?;
    let config = stored_mcp(state, caller, employee_id, id).await?;
    let mut tx = state.repo.transaction();
    repo::configs::delete_mcp(&mut tx, &config);
    repo::catalog::adjust_refs_at(
        &mut tx,
        &repo::catalog::key::<McpServerSpec>(config.config.server_org_id, config.config.server_id),
        -1,
    );
    let payload = json!({ "employee_id": employee_id, "config_id": id, "server_id": config.config.server_id });
    crate::domain::log(state, &mut tx, caller.org_id, &caller.principal(), EventType::McpRemoved, payload)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => stale(),
        e => e.into(),
    })
}

/// Credentials are the employee's own to set, or an admin's (employees:write).
fn require_credential_rights(caller: &Caller, employee_id: EmployeeId) -> Result<()> {
    if employee_id != caller.employee_id {
        caller.require(Permission::EmployeesWrite)?;
    }
    Ok(())
}

pub(crate) fn check_credentials(server: &Entry<McpServerSpec>, credentials: &Value) -> Result<()> {
    let Some(given) = credentials.as_object() else {
        return Err(Error::invalid("credentials", "must be a JSON object"));
    };
    let schema = &server.spec.connection_schema;
    let (secret, _) = credential_fields(schema);
    if secret.is_empty() {
        return Err(Error::invalid("credentials", "this MCP server takes no credentials"));
    }
    let mut errors: Vec<FieldError> = given
        .keys()
        .filter(|k| !secret.contains(k))
        .map(|k| FieldError {
            field: format!("credentials.{k}"),
            message: format!("is not a credential of this server (it has: {})", secret.join(", ")),
        })
        .collect();
    let required: Vec<&str> =
        schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let mut properties = Map::new();
    for field in &secret {
        properties.insert(field.clone(), schema["properties"][field].clone());
    }
    let only_secrets = json!({
        "type": "object",
        "properties": properties,
        "required": secret.iter().filter(|f| required.contains(&f.as_str())).collect::<Vec<_>>(),
    });
    // Report where a value is wrong, never the value itself.
    errors.extend(
        schema_errors(&only_secrets, credentials, "credentials")
            .into_iter()
            .map(|e| FieldError { message: "is missing or of the wrong type".into(), ..e }),
    );
    if errors.is_empty() { Ok(()) } else { Err(Error::Validation(errors)) }
}

/// Sets or rotates an MCP configuration's credentials (encrypted, write-only).
pub async fn set_credentials(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    id: McpConfigId,
    request: CredentialsUpdate,
) -> Result<McpConfig> {
    require_credential_rights(caller, employee_id)?;
    employees::find(state, caller.org_id, employee_id).await?;
    let before = stored_mcp(state, caller, employee_id, id).await?;
    let server = catalog::visible_to::<McpServerSpec>(state, Some(caller.org_id), before.config.server_id).await?;
    check_credentials(&server, &request.credentials)?;
    let owner = Owner::McpConfig { org_id: caller.org_id, employee_id, config_id: id };
    let ciphertext = state.vault.seal(&owner, &request.credentials).await.map_err(Error::from)?;
    let now = crate::time::now();
    let mut after = before.clone();
    after.credentials_encrypted = Some(ciphertext);
    after.config.credentials_set = true;
    after.config.credentials_rotated_at = Some(now);
    after.config.sync_token = new_sync_token();
    after.config.updated_at = now;
    write_mcp(state, caller, &before, after, EventType::McpCredentialsRotated).await
}

/// Removes an MCP configuration's credentials.
pub async fn clear_credentials(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    id: McpConfigId,
) -> Result<McpConfig> {
    require_credential_rights(caller, employee_id)?;
    employees::find(state, caller.org_id, employee_id).await?;
    let before = stored_mcp(state, caller, employee_id, id).await?;
    if !before.config.credentials_set {
        return Err(Error::NotFound("credentials"));
    }
    let now = crate::time::now();
    let mut after = before.clone();
    after.credentials_encrypted = None;
    after.config.credentials_set = false;
    after.config.sync_token = new_sync_token();
    after.config.updated_at = now;
    write_mcp(state, caller, &before, after, EventType::McpCredentialsRemoved).await
}

/// Decrypts a configuration's credentials: for the owning employee's sync only.
pub async fn open_credentials(state: &AppState, stored: &StoredMcpConfig) -> Result<Option<Value>> {
    let Some(ciphertext) = &stored.credentials_encrypted else { return Ok(None) };
    let owner = Owner::McpConfig {
        org_id: stored.config.org_id,
        employee_id: stored.config.employee_id,
        config_id: stored.config.id,
    };
    state.vault.open(&owner, ciphertext).await.map(Some).map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_schema_drops_credentials_and_adds_nothing() {
        let schema = json!({ "type": "object", "properties": { "token": { "type": "string", "writeOnly": true }, "org": { "type": "string" } } });
        let (plain, secret) = plain_schema(&schema);
        assert_eq!(secret, ["token"]);
        assert_eq!(plain, json!({ "type": "object", "properties": { "org": { "type": "string" } } }));
        let required =
            json!({ "type": "object", "required": ["token", "org"], "properties": { "token": { "writeOnly": true } } });
        assert_eq!(plain_schema(&required).0["required"], json!(["org"]));
    }
}
