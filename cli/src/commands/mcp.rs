//! `mcp credentials`, and what synced tool configurations run: `mcp-exec` (a local
//! server with its credentials) and `mcp-headers` (a remote one's credential headers).

use serde_json::{Value, json};

use crate::CredentialsAction;
use crate::api::CliError;
use crate::output::{Output, terminal_safe};
use crate::{paths, secrets, sync};
use agentctl_wire::bundle::Source;
use agentctl_wire::configs::CredentialsUpdate;
use agentctl_wire::sessions::Me;

/// Sets or removes one's own credentials for a synced MCP server: an assigned server's
/// are one's own (`/v1/me/assignments/..`), a personal configuration's are set on it.
pub async fn credentials(action: &CredentialsAction) -> Result<Output, CliError> {
    let (CredentialsAction::Set { server } | CredentialsAction::Clear { server }) = action;
    let synced = sync::synced_server(server)?;
    let api = super::api().await?;
    let path = match synced.source {
        Source::Assignment { assignment_id } => paths::my_assignment_credentials(assignment_id),
        Source::Personal { config_id } => {
            let me: Me = api.get(paths::ME).await?;
            paths::config_credentials(me.employee.id, config_id)
        }
    };
    let name = terminal_safe(&synced.name);
    match action {
        CredentialsAction::Clear { .. } => {
            api.delete(&path).await?;
            Ok(Output::new(format!("Removed your credentials for {name}."), json!({ "server": synced.name })))
        }
        CredentialsAction::Set { .. } => {
            if synced.credential_fields.is_empty() {
                return Err(CliError::Refused(format!("{name} takes no credentials")));
            }
            let credentials = read_credentials(&synced.credential_fields)?;
            api.put(&path, &CredentialsUpdate { credentials }).await?;
            let text = format!("Set your credentials for {name}. Run `agentctl sync` to use them.");
            Ok(Output::new(text, json!({ "server": synced.name })))
        }
    }
}

/// The credential fields' values: asked one by one without echo on a terminal, else read
/// from standard input (`field=value` lines; a bare value for a single field).
fn read_credentials(fields: &[String]) -> Result<Value, CliError> {
    use std::io::{BufRead, IsTerminal};
    let mut values = serde_json::Map::new();
    if std::io::stdin().is_terminal() {
        for field in fields {
            let value = rpassword::prompt_password(format!("{}: ", terminal_safe(field)))
                .map_err(|e| CliError::Usage(format!("reading {field}: {e}")))?;
            values.insert(field.clone(), json!(value));
        }
        return Ok(Value::Object(values));
    }
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| CliError::Usage(format!("reading standard input: {e}")))?;
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let (field, value) = match line.split_once('=') {
            Some((field, value)) if fields.iter().any(|f| f == field) => (field.to_string(), value),
            _ if fields.len() == 1 => (fields[0].clone(), line),
            _ => return Err(CliError::Usage(format!("expected field=value lines, one of: {}", fields.join(", ")))),
        };
        values.insert(field, json!(value));
    }
    if values.is_empty() {
        return Err(CliError::Usage(format!("no credentials given (fields: {})", fields.join(", "))));
    }
    Ok(Value::Object(values))
}

/// Replaces this process with the MCP server, its credentials in its arguments and
/// environment (they never touch the tool's configuration file).
pub fn exec(name: &str) -> Result<Output, CliError> {
    let launch = secrets::entry(name)?;
    let command = launch["command"]
        .as_str()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| CliError::Refused(format!("{name} is not a local (stdio) server")))?;
    let args: Vec<&str> = launch["args"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let mut process = std::process::Command::new(command);
    process.args(args);
    for (key, value) in launch["env"].as_object().into_iter().flatten() {
        process.env(key, value.as_str().unwrap_or_default());
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let e = process.exec();
        Err(CliError::Io { path: command.to_string(), reason: e.to_string() })
    }
    #[cfg(not(unix))]
    {
        let status = process.status().map_err(|e| CliError::Io { path: command.to_string(), reason: e.to_string() })?;
        std::process::exit(status.code().unwrap_or(1));
    }
}

/// The credential headers of a synced remote server, as JSON (Claude Code's headersHelper).
pub fn headers(name: &str) -> Result<Output, CliError> {
    let headers = secrets::entry(name)?["headers"].clone();
    Ok(Output::new(headers.to_string(), headers))
}
