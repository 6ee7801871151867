//! Gemini CLI: its MCP servers, settings, excluded tools and telemetry in
//! `~/.gemini/settings.json` (the telemetry header in `~/.gemini/.env`); the admin tier
//! its system settings.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::{FileSpec, Format, Op, Plan, Reach, blocking, reach, stdio_entry, values};
use crate::render::{Launch, Rendered};
use crate::telemetry::Wiring;
use agentctl_wire::policy::Effective;

/// Gemini CLI's built-in tools, excluded while agents are paused.
const GEMINI_TOOLS: [&str; 11] = [
    "glob",
    "google_web_search",
    "list_directory",
    "read_file",
    "read_many_files",
    "replace",
    "run_shell_command",
    "save_memory",
    "search_file_content",
    "web_fetch",
    "write_file",
];

impl Plan<'_> {
    pub(super) fn gemini(&self, path: PathBuf, with_settings: bool, warnings: &mut Vec<String>) -> FileSpec {
        let effective = self.effective();
        let mut ops = vec![(vec!["mcpServers"], Op::Entries(self.servers(&gemini_entry, warnings)))];
        if with_settings {
            let settings = self.settings();
            // `model` is an object of Gemini's settings: only its `name` is agentctl's.
            if let Some(model) = self.pinned_model().filter(|_| !settings.contains_key("model")) {
                ops.push((vec!["model"], Op::Entries(BTreeMap::from([("name".to_string(), json!(model))]))));
            }
            ops.push((vec![], Op::Entries(settings)));
        }
        let mut excluded_tools = effective.map(gemini_excluded_tools).unwrap_or_default();
        // Gemini has no ask rule of its own making (it confirms shell commands and edits
        // unless told not to): a tool the employee may not use yet is excluded.
        excluded_tools.extend(self.tools().iter().filter(|t| !t.enabled).flat_map(|t| gemini_tool_rules(&reach(t))));
        if self.desired.paused {
            excluded_tools.extend(GEMINI_TOOLS.map(String::from));
        }
        ops.push((vec!["tools", "exclude"], Op::Strings(excluded_tools)));
        let excluded = effective.map(|e| values(blocking(&e.mcp_servers.deny))).unwrap_or_default();
        ops.push((vec!["mcp", "excluded"], Op::Strings(excluded)));
        let allowed = effective.and_then(|e| e.mcp_servers.allow.as_deref().map(values)).unwrap_or_default();
        ops.push((vec!["mcp", "allowed"], Op::Strings(allowed)));
        let telemetry = self.desired.telemetry.map(gemini_telemetry).unwrap_or_default();
        ops.push((vec!["telemetry"], Op::Entries(telemetry)));
        self.spec(path, Format::Json(ops), false)
    }
}

/// Gemini CLI's `telemetry` settings: its token metrics to agentctl over OTLP/HTTP, no
/// prompts in its logs.
fn gemini_telemetry(wiring: &Wiring) -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("enabled".to_string(), json!(true)),
        ("target".to_string(), json!("local")),
        ("otlpEndpoint".to_string(), json!(wiring.endpoint)),
        ("otlpProtocol".to_string(), json!("http")),
        ("logPrompts".to_string(), json!(false)),
    ])
}

fn gemini_tool_rules(reach: &Reach) -> Vec<String> {
    match reach {
        Reach::Commands(commands) if commands.is_empty() => vec!["run_shell_command".into()],
        Reach::Commands(commands) => commands.iter().map(|c| format!("run_shell_command({c})")).collect(),
        // Gemini's fetch tool takes no domain rule: it is excluded whole.
        Reach::Fetches(_) => vec!["web_fetch".into()],
        Reach::FileWrites => vec!["write_file".into(), "replace".into()],
        Reach::WebSearch => vec!["google_web_search".into()],
        Reach::Unnamed => Vec::new(),
    }
}

fn gemini_excluded_tools(e: &Effective) -> Vec<String> {
    let shell = blocking(&e.shell).into_iter().map(|s| format!("ShellTool({})", s.value));
    shell.chain(blocking(&e.tools.deny).into_iter().map(|t| t.value.clone())).collect()
}

/// Gemini CLI: streamable HTTP is `httpUrl`, SSE `url`; settings expand `${VAR}`.
fn gemini_entry(s: &Rendered, _: &mut Vec<String>) -> Option<Value> {
    match &s.launch {
        Launch::Stdio { .. } => stdio_entry(s, false),
        Launch::Remote { sse, url, headers } => {
            let reference = |field: &str| format!("${{{}}}", s.env_var(field));
            let mut entry = json!({ if *sse { "url" } else { "httpUrl" }: url.with(reference) });
            if !headers.is_empty() {
                entry["headers"] =
                    json!(headers.iter().map(|(k, v)| (k, v.with(reference))).collect::<BTreeMap<_, _>>());
            }
            Some(entry)
        }
    }
}
