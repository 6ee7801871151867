//! Employee configurations: the agents (from the catalog) and MCP servers (approved for
//! the organization) an employee uses, with their settings. Every edit issues a new
//! `sync_token`. MCP credentials are write-only: set through their own endpoint,
//! encrypted by the [`crate::vault`], never returned by this API.

use serde_json::Value;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::domain::employees;
use crate::error::{Error, ProblemCode, Result};
use crate::ids::EmployeeId;
use crate::pagination::{PageQuery, PageRequest};
use crate::roles::Permission;
use crate::validate::FieldError;

pub use crate::repo::configs::StoredMcpConfig;
pub use agentctl_wire::configs::{
    AgentConfig, AgentConfigPatch, ConfigQuery, ConfigStatus, CredentialsUpdate, ListedAgentConfig, ListedMcpConfig,
    McpConfig, McpConfigPatch, NewAgentConfig, NewMcpConfig,
};

mod agents;
mod credentials;
mod mcp;

pub use agents::*;
pub use credentials::*;
pub use mcp::*;

/// The page a configuration list asks for.
fn page_of(query: &ConfigQuery) -> Result<PageRequest> {
    Ok(PageRequest::try_from(&PageQuery { limit: query.limit, cursor: query.cursor.clone() })?)
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

#[cfg(test)]
mod tests {
    use super::mcp::plain_schema;
    use serde_json::json;

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
