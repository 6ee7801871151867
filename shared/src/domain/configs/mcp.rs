//! An employee's MCP server configurations: an approved server with its connection
//! settings (checked against the server's schema, credential fields left out).

use serde_json::{Value, json};

use super::agents::referenced;
use super::*;
use crate::AppState;
use crate::activity::EventType;
use crate::auth::{Caller, Principal};
use crate::domain::catalog::{self, Entry};
use crate::domain::mcp::{McpServerSpec, credential_fields};
use crate::error::{Error, Result};
use crate::ids::{EmployeeId, McpConfigId, OrgId};
use crate::pagination::Page;
use crate::repo::{self, StoreError};
use crate::validate::{self, Validator};

/// The server's connection schema without its credential fields: what
/// `connection_config` must satisfy (credentials come through their own endpoint).
pub(super) fn plain_schema(schema: &Value) -> (Value, Vec<String>) {
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
    crate::domain::log(state, tx, c.org_id, by, EventType::McpConfigured, payload).map(drop)
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

pub(super) async fn stored_mcp(
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

pub(super) async fn write_mcp(
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
