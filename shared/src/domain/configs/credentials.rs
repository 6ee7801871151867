//! MCP credentials: write-only, sealed by the vault under the configuration they belong
//! to, opened only for the sync bundle of their owner.

use serde_json::{Map, Value, json};

use super::mcp::{stored_mcp, write_mcp};
use super::*;
use crate::AppState;
use crate::activity::EventType;
use crate::auth::Caller;
use crate::domain::catalog::{self, Entry};
use crate::domain::employees;
use crate::domain::mcp::{McpServerSpec, credential_fields};
use crate::error::{Error, Result};
use crate::ids::{EmployeeId, McpConfigId};
use crate::roles::Permission;
use crate::validate::FieldError;
use crate::vault::Owner;

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
