//! Codex: its MCP servers, pinned model, sandbox and telemetry in `~/.codex/config.toml`
//! (the telemetry header in `~/.codex/.env`); the admin tier `requirements.toml`'s
//! server allowlist.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{FileSpec, Format, Plan, allowed_directories, blocking, stdio_parts};
use crate::platform::{self, join};
use crate::render::{Launch, Rendered};
use agentctl_wire::policy::Effective;

impl Plan<'_> {
    pub(super) fn codex_user(&self, home: &Path, warnings: &mut Vec<String>) -> Vec<FileSpec> {
        let entries = self.servers(&codex_entry, warnings);
        let mut root_keys = self.settings_pinning("model");
        if let Some(e) = self.effective() {
            root_keys.extend(codex_sandbox(e));
        }
        if self.desired.paused {
            // Codex has no deny-all: the strictest it has is a read-only sandbox, leaving it
            // asks first.
            root_keys.insert("sandbox_mode".into(), json!("read-only"));
            root_keys.insert("approval_policy".into(), json!("on-request"));
        }
        if let Some(wiring) = self.desired.telemetry {
            // Its log events carry each response's token counts (its metrics would count
            // them again); the header comes from ~/.codex/.env.
            let endpoint = format!("{}/v1/logs", wiring.endpoint);
            let exporter = json!({ "otlp-http": { "endpoint": endpoint, "protocol": "binary" } });
            root_keys.insert("otel".into(), json!({ "exporter": exporter }));
        }
        let format = Format::Toml { table: "mcp_servers", entries, root_keys };
        vec![
            self.spec(join(home, platform::CODEX_USER_CONFIG), format, false),
            self.env_file(join(home, platform::CODEX_USER_ENV)),
        ]
    }

    /// The allowlist pins each server's identity (command or URL), not just its name.
    pub(super) fn codex_system(&self, requirements: PathBuf) -> Vec<FileSpec> {
        let identities = self
            .desired
            .servers
            .iter()
            .filter_map(|s| codex_entry(s, &mut Vec::new()).map(|entry| (s.name.clone(), codex_identity(&entry))))
            .collect();
        let format = Format::Toml { table: "mcp_servers", entries: identities, root_keys: BTreeMap::new() };
        vec![self.spec(requirements, format, false)]
    }
}

/// Codex's sandbox and approval settings from filesystem and shell policies (Codex has no
/// per-path or per-command rules, and the pinned Codex accepts only `on-request` and
/// `never` as approval policies): a denied path or command, or an allow list, confines
/// the commands Codex runs to the `workspace-write` sandbox (no writes outside the
/// workspace and the allow list's directories, `writable_roots`), and a denied command also
/// makes leaving the sandbox ask first (`approval_policy = "on-request"`).
fn codex_sandbox(e: &Effective) -> BTreeMap<String, Value> {
    let mut keys = BTreeMap::new();
    let shell = !blocking(&e.shell).is_empty();
    let allowed = allowed_directories(e);
    if shell || !blocking(&e.filesystem.deny).is_empty() || !allowed.is_empty() {
        keys.insert("sandbox_mode".to_string(), json!("workspace-write"));
    }
    if !allowed.is_empty() {
        keys.insert("sandbox_workspace_write".to_string(), json!({ "writable_roots": allowed }));
    }
    if shell {
        keys.insert("approval_policy".to_string(), json!("on-request"));
    }
    keys
}

/// Codex: no SSE; a bearer token by `bearer_token_env_var`, other secret headers by
/// `env_http_headers` (the whole value must be the secret: Codex takes names only).
fn codex_entry(s: &Rendered, warnings: &mut Vec<String>) -> Option<Value> {
    match &s.launch {
        Launch::Stdio { .. } => {
            let (command, args, env) = stdio_parts(s)?;
            let mut entry = json!({ "command": command, "args": args });
            if env.as_object().is_some_and(|e| !e.is_empty()) {
                entry["env"] = env;
            }
            Some(entry)
        }
        Launch::Remote { sse: true, .. } => {
            warnings.push(format!("codex: {} is an SSE server, which Codex does not support; not written", s.name));
            None
        }
        Launch::Remote { sse: false, url, headers } => {
            if url.has_secret() {
                warnings.push(format!("codex: {} has a credential in its URL; not written", s.name));
                return None;
            }
            let mut entry = json!({ "url": url.with(|_| String::new()) });
            let mut plain = BTreeMap::new();
            let mut from_env = BTreeMap::new();
            for (name, value) in headers {
                match (value.has_secret(), value.trailing_secret()) {
                    (false, _) => {
                        plain.insert(name.clone(), value.with(|_| String::new()));
                    }
                    (true, Some(("Bearer ", field))) if name.eq_ignore_ascii_case("authorization") => {
                        entry["bearer_token_env_var"] = json!(s.env_var(field));
                    }
                    (true, Some(("", field))) => {
                        from_env.insert(name.clone(), s.env_var(field));
                    }
                    (true, _) => {
                        warnings
                            .push(format!("codex: {} header {name} mixes text and a credential; not written", s.name));
                        return None;
                    }
                }
            }
            if !plain.is_empty() {
                entry["http_headers"] = json!(plain);
            }
            if !from_env.is_empty() {
                entry["env_http_headers"] = json!(from_env);
            }
            Some(entry)
        }
    }
}

/// A Codex requirements entry: the server's identity (its command or its URL).
fn codex_identity(entry: &Value) -> Value {
    match entry.get("url") {
        Some(url) => json!({ "identity": { "url": url } }),
        None => json!({ "identity": { "command": entry["command"] } }),
    }
}
