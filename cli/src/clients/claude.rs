//! Claude Code: its MCP servers in `~/.claude.json`, its settings, permission rules and
//! telemetry in `~/.claude/settings.json`; the admin tier a managed-settings drop-in and
//! the exclusive `managed-mcp.json`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::{EXEC, FileSpec, Format, Op, Plan, Reach, blocking, reach, stdio_entry, values};
use crate::platform::{self, join};
use crate::render::{Launch, Rendered, Template};
use crate::telemetry::Wiring;
use agentctl_wire::policy::{Effective, Entry, Severity};

/// Claude Code's tools, each denied by its bare name while agents are paused.
pub(super) const CLAUDE_TOOLS: [&str; 12] = [
    "Bash",
    "Edit",
    "Glob",
    "Grep",
    "MultiEdit",
    "NotebookEdit",
    "Read",
    "Task",
    "TodoWrite",
    "WebFetch",
    "WebSearch",
    "Write",
];

impl Plan<'_> {
    /// Claude Code's permission rules, every tool denied while paused.
    fn claude_rules(&self) -> ClaudeRules {
        let mut rules = self.effective().map(claude_rules).unwrap_or_default();
        for tool in self.tools() {
            let named = claude_tool_rules(&reach(tool));
            match (tool.enabled, tool.requires_approval) {
                (false, _) => rules.deny.extend(named),
                (true, true) => rules.ask.extend(named),
                (true, false) => {}
            }
        }
        if self.desired.paused {
            rules.deny.extend(CLAUDE_TOOLS.map(String::from));
            rules.deny.dedup();
        }
        rules
    }

    /// Claude Code's settings and its `env`: the agent's, with the telemetry wiring.
    fn claude_settings(&self) -> (BTreeMap<String, Value>, BTreeMap<String, Value>) {
        let mut settings = self.settings_pinning("model");
        let mut env: BTreeMap<String, Value> = match settings.remove("env") {
            Some(Value::Object(vars)) => vars.into_iter().collect(),
            _ => BTreeMap::new(),
        };
        if let Some(wiring) = self.desired.telemetry {
            env.extend(claude_telemetry_env(wiring));
            settings.insert("otelHeadersHelper".into(), json!(wiring.helper));
        }
        (settings, env)
    }

    pub(super) fn claude_user(&self, home: &Path, warnings: &mut Vec<String>) -> Vec<FileSpec> {
        let rules = self.claude_rules();
        let (settings, env) = self.claude_settings();
        vec![
            self.spec(
                join(home, platform::CLAUDE_USER_STATE),
                Format::Json(vec![(vec!["mcpServers"], Op::Entries(self.servers(&claude_entry, warnings)))]),
                true,
            ),
            self.spec(
                join(home, platform::CLAUDE_USER_SETTINGS),
                Format::Json(vec![
                    (vec![], Op::Entries(settings)),
                    (vec!["env"], Op::Entries(env)),
                    (vec!["permissions", "allow"], Op::Strings(rules.allow)),
                    (vec!["permissions", "ask"], Op::Strings(rules.ask)),
                    (vec!["permissions", "deny"], Op::Strings(rules.deny)),
                    (vec!["permissions", "additionalDirectories"], Op::Strings(self.allowed_directories())),
                    (vec!["availableModels"], Op::Strings(self.allowed_models())),
                ]),
                false,
            ),
        ]
    }

    /// Claude Code's admin tier: a drop-in of the managed settings and the exclusive
    /// server list, in its managed directory `dir`.
    pub(super) fn claude_system(&self, dir: &Path, warnings: &mut Vec<String>) -> Vec<FileSpec> {
        let rules = self.claude_rules();
        let mut permissions = serde_json::Map::new();
        let directories = self.allowed_directories();
        for (kind, list) in
            [("allow", rules.allow), ("ask", rules.ask), ("deny", rules.deny), ("additionalDirectories", directories)]
        {
            if !list.is_empty() {
                permissions.insert(kind.into(), json!(list));
            }
        }
        let mut managed = json!({ "permissions": permissions });
        if let Some(model) = self.pinned_model() {
            managed["model"] = json!(model);
        }
        if let Some(wiring) = self.desired.telemetry {
            // Managed settings win over the user's: the wiring cannot be switched off.
            managed["env"] = json!(claude_telemetry_env(wiring));
            managed["otelHeadersHelper"] = json!(wiring.helper);
        }
        let models = self.allowed_models();
        if !models.is_empty() {
            // Claude Code's model picker offers these only, and its default follows them.
            managed["availableModels"] = json!(models);
            managed["enforceAvailableModels"] = json!(true);
        }
        if let Some(e) = self.effective() {
            let names = |entries: Vec<String>| {
                entries.into_iter().map(|name| json!({ "serverName": name })).collect::<Vec<_>>()
            };
            if let Some(allow) = &e.mcp_servers.allow {
                managed["allowedMcpServers"] = json!(names(values(allow)));
            }
            let denied = values(blocking(&e.mcp_servers.deny));
            if !denied.is_empty() {
                managed["deniedMcpServers"] = json!(names(denied));
            }
        }
        vec![
            self.spec(dir.join("managed-settings.d/agentctl.json"), Format::Whole(managed), false),
            self.spec(
                dir.join("managed-mcp.json"),
                Format::Whole(json!({ "mcpServers": self.servers(&claude_entry, warnings) })),
                false,
            ),
        ]
    }
}

/// Claude Code's telemetry variables: its per-request events to agentctl (its metrics
/// would count the same requests twice), headers from `otelHeadersHelper`.
fn claude_telemetry_env(wiring: &Wiring) -> BTreeMap<String, Value> {
    [
        ("CLAUDE_CODE_ENABLE_TELEMETRY", "1"),
        ("OTEL_LOGS_EXPORTER", "otlp"),
        ("OTEL_METRICS_EXPORTER", "none"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", wiring.endpoint.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), json!(v)))
    .collect()
}

#[derive(Debug, Default)]
struct ClaudeRules {
    allow: Vec<String>,
    ask: Vec<String>,
    deny: Vec<String>,
}

/// Claude Code permission rules. A path rule needs `//` to be absolute (`/etc/**` would be
/// relative to the settings file); `warn` severity becomes `ask`.
fn claude_rules(e: &Effective) -> ClaudeRules {
    let mut rules = ClaudeRules::default();
    let mut add = |entry: &Entry, rule: String| match entry.severity {
        Severity::Block => rules.deny.push(rule),
        Severity::Warn => rules.ask.push(rule),
        Severity::Info => {}
    };
    for entry in &e.filesystem.deny {
        let path = if entry.value.starts_with('/') { format!("/{}", entry.value) } else { entry.value.clone() };
        add(entry, format!("Read({path})"));
        add(entry, format!("Edit({path})"));
    }
    for entry in &e.shell {
        add(entry, format!("Bash({})", entry.value));
    }
    for entry in &e.network.deny {
        add(entry, format!("WebFetch(domain:{})", entry.value));
    }
    // An allow list pre-approves its domains; other fetches ask first, as Claude Code
    // does by default (a deny rule would override every allow rule).
    if let Some(allow) = &e.network.allow {
        rules.allow.extend(blocking(allow).into_iter().map(|entry| format!("WebFetch(domain:{})", entry.value)));
    }
    for entry in &e.tools.deny {
        add(entry, entry.value.clone());
    }
    for entry in &e.mcp_servers.deny {
        add(entry, format!("mcp__{}", entry.value));
    }
    rules.ask.extend(e.tools.require_approval.iter().map(|t| t.value.clone()));
    if let Some(allow) = &e.tools.allow {
        rules.allow.extend(allow.iter().map(|t| t.value.clone()));
    }
    for list in [&mut rules.allow, &mut rules.ask, &mut rules.deny] {
        list.dedup();
    }
    rules
}

fn claude_tool_rules(reach: &Reach) -> Vec<String> {
    match reach {
        Reach::Commands(commands) if commands.is_empty() => vec!["Bash".into()],
        Reach::Commands(commands) => commands.iter().map(|c| format!("Bash({c}:*)")).collect(),
        Reach::Fetches(domains) if domains.is_empty() => vec!["WebFetch".into()],
        Reach::Fetches(domains) => domains.iter().map(|d| format!("WebFetch(domain:{d})")).collect(),
        Reach::FileWrites => vec!["Edit".into(), "Write".into()],
        Reach::WebSearch => vec!["WebSearch".into()],
        Reach::Unnamed => Vec::new(),
    }
}

/// Claude Code: `type` is required with `url`; secret headers come from `headersHelper`.
fn claude_entry(s: &Rendered, warnings: &mut Vec<String>) -> Option<Value> {
    match &s.launch {
        Launch::Stdio { .. } => stdio_entry(s, true),
        Launch::Remote { sse, url, headers } => {
            if url.has_secret() {
                warnings.push(format!("claude-code: {} has a credential in its URL; not written", s.name));
                return None;
            }
            let plain: BTreeMap<&String, String> =
                headers.iter().filter(|(_, v)| !v.has_secret()).map(|(k, v)| (k, v.with(|_| String::new()))).collect();
            let mut entry = json!({ "type": if *sse { "sse" } else { "http" }, "url": url.with(|_| String::new()) });
            if !plain.is_empty() {
                entry["headers"] = json!(plain);
            }
            if headers.values().any(Template::has_secret) {
                entry["headersHelper"] = json!(format!("{EXEC} mcp-headers {}", s.name));
            }
            Some(entry)
        }
    }
}
