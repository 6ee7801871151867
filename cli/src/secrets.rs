//! The secret store (0600, beside the session): every MCP server's launch with its
//! credentials filled in, which `agentctl mcp-exec` and `mcp-headers` read so that no
//! credential is written into a tool's own configuration, and an env file for the tools
//! that read credentials from environment variables.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::api::CliError;
use crate::files;
use crate::render::Rendered;

/// The store (JSON) and the env file.
pub fn paths() -> Result<(PathBuf, PathBuf), CliError> {
    let dir = files::config_dir()?;
    Ok((dir.join("secrets.json"), dir.join("secrets.env")))
}

/// The secret store (0600): every server's launch with its credentials filled in, read
/// by `agentctl mcp-exec` / `mcp-headers`, and an env file for tools that read
/// credentials from environment variables.
pub fn write(rendered: &[Rendered]) -> Result<(), CliError> {
    let (json_path, env_path) = paths()?;
    let with_secrets: Vec<&Rendered> = rendered.iter().filter(|s| !s.env_secrets().is_empty()).collect();
    if with_secrets.is_empty() {
        files::remove(&json_path)?;
        return files::remove(&env_path);
    }
    let servers: BTreeMap<&str, Value> = with_secrets.iter().map(|s| (s.name.as_str(), s.resolved())).collect();
    let text = serde_json::to_string_pretty(&json!({ "servers": servers })).expect("JSON serializes");
    files::write(&json_path, &text, true, false)?;
    let mut env = String::from("# Written by agentctl sync: credentials of your MCP servers. Private (0600).\n");
    for server in with_secrets {
        for (var, value) in server.env_secrets() {
            env.push_str(&format!("export {var}='{}'\n", value.replace('\'', r"'\''")));
        }
    }
    files::write(&env_path, &env, true, false)
}

/// The launch (`command`, `args`, `env`) or the `headers` of a server from the secret store.
pub fn entry(name: &str) -> Result<Value, CliError> {
    let (path, _) = paths()?;
    let text = files::read(&path)?
        .ok_or_else(|| CliError::Refused(format!("no credentials synced for {name}: run `agentctl sync`")))?;
    let store: Value = serde_json::from_str(&text)
        .map_err(|e| CliError::CorruptFile { path: path.display().to_string(), reason: e.to_string() })?;
    store["servers"]
        .get(name)
        .cloned()
        .ok_or_else(|| CliError::Refused(format!("no credentials synced for {name}: run `agentctl sync`")))
}
