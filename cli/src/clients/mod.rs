//! What `agentctl sync` writes for each agent tool: the files, and in them the entries
//! agentctl manages. Formats follow each client's documentation (summarized in the
//! handbook's CLIENTS.md); the choices are documented in docs/CLI.md. This module is the
//! plan all clients share; each client's files and entries are its own module.

mod claude;
mod codex;
mod editors;
mod gemini;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::platform::{self, Os, join};
use crate::render::{Launch, Rendered, Template};
use crate::telemetry::Wiring;
use agentctl_wire::bundle::{BundleAgent as Agent, BundleTool};
use agentctl_wire::catalog::ToolType;
use agentctl_wire::policy::{Effective, Entry, Severity};

/// The agent tools agentctl configures: the catalog's agent types but `other`.
pub use agentctl_wire::catalog::AgentType as Client;

/// Parses a client's name (`claude-code`, ...) as the catalog writes it.
pub fn parse(name: &str) -> Option<Client> {
    name.parse().ok().filter(|client| Client::CLIENTS.contains(client))
}

/// The tool's command: found on PATH means installed.
pub fn command(client: Client) -> Option<&'static str> {
    match client {
        Client::ClaudeCode => Some("claude"),
        Client::Cursor => Some("cursor"),
        Client::Vscode => Some("code"),
        Client::Windsurf => Some("windsurf"),
        Client::GeminiCli => Some("gemini"),
        Client::Codex => Some("codex"),
        Client::Other => None,
    }
}

/// An edit of one managed part of a file.
#[derive(Debug)]
pub enum Op {
    /// Keys of the object at the path (servers, settings): agentctl's keys only.
    Entries(BTreeMap<String, Value>),
    /// Strings of the list at the path (permission rules): agentctl's strings only.
    Strings(Vec<String>),
}

#[derive(Debug)]
pub enum Format {
    /// JSON or JSONC, edited in place; each op at its path of keys.
    Json(Vec<(Vec<&'static str>, Op)>),
    /// TOML, edited in place: `[mcp_servers.NAME]` tables (`entries`) and top-level keys.
    Toml { table: &'static str, entries: BTreeMap<String, Value>, root_keys: BTreeMap<String, Value> },
    /// A file agentctl owns entirely (admin-tier drop-ins).
    Whole(Value),
    /// A `.env` file (`KEY=value` lines), edited in place: agentctl's variables only.
    Env(BTreeMap<String, String>),
}

/// One file to write for one client.
#[derive(Debug)]
pub struct FileSpec {
    pub client: Client,
    pub path: PathBuf,
    pub format: Format,
    /// Created with mode 0600 (its tool keeps private state in it).
    pub private: bool,
}

/// What the organization manages for one client: its agent's settings and policies and
/// the MCP servers those policies allow (`None`: the agent was removed).
pub struct Desired<'a> {
    pub agent: Option<&'a Agent>,
    pub servers: Vec<&'a Rendered>,
    /// The organization's budget action pauses the managed agents: clients that can
    /// refuse every tool are told to.
    pub paused: bool,
    /// Where the tool's usage telemetry goes (`None`: the organization has it off).
    pub telemetry: Option<&'a Wiring>,
}

/// Where the tier's files go: the user's home, or (`--system`) the admin-managed paths
/// under `root` (`/` outside tests).
pub enum Tier<'a> {
    User { home: &'a Path },
    System { root: &'a Path },
}

/// The command clients run to get secrets from the agentctl secret store.
const EXEC: &str = "agentctl";

/// The files `client` gets in `tier` for what the organization manages for it, on this OS.
pub fn files(client: Client, tier: &Tier, desired: &Desired, warnings: &mut Vec<String>) -> Vec<FileSpec> {
    files_on(Os::CURRENT, client, tier, desired, warnings)
}

/// [`files`] on `os` (its own locations, [`crate::platform`]).
pub fn files_on(os: Os, client: Client, tier: &Tier, desired: &Desired, warnings: &mut Vec<String>) -> Vec<FileSpec> {
    let plan = Plan { client, desired };
    let paths = os.paths();
    match (client, tier) {
        (Client::ClaudeCode, Tier::User { home }) => plan.claude_user(home, warnings),
        (Client::ClaudeCode, Tier::System { root }) => {
            plan.claude_system(&join(root, paths.claude_managed_dir), warnings)
        }
        (Client::Cursor, Tier::User { home }) => {
            vec![plan.editor(join(home, platform::CURSOR_USER_MCP), "mcpServers", "url", false, warnings)]
        }
        (Client::Vscode, Tier::User { home }) => {
            vec![plan.editor(join(home, paths.vscode_user_mcp), "servers", "url", true, warnings)]
        }
        (Client::Windsurf, Tier::User { home }) => {
            vec![plan.editor(join(home, platform::WINDSURF_USER_MCP), "mcpServers", "serverUrl", false, warnings)]
        }
        (Client::GeminiCli, Tier::User { home }) => vec![
            plan.gemini(join(home, platform::GEMINI_USER_SETTINGS), true, warnings),
            plan.env_file(join(home, platform::GEMINI_USER_ENV)),
        ],
        (Client::GeminiCli, Tier::System { root }) => {
            vec![plan.gemini(join(root, paths.gemini_system_settings), false, warnings)]
        }
        (Client::Codex, Tier::User { home }) => plan.codex_user(home, warnings),
        (Client::Codex, Tier::System { root }) => match paths.codex_requirements {
            Some(requirements) => plan.codex_system(join(root, requirements)),
            None => {
                warnings.push(
                    "Codex's admin tier (requirements.toml) has no known location on this OS: not written".into(),
                );
                vec![]
            }
        },
        // Editors have no admin tier agentctl can write (their policies are the org's MDM).
        (Client::Cursor | Client::Vscode | Client::Windsurf, Tier::System { .. }) | (Client::Other, _) => vec![],
    }
}

/// One client's files being planned.
struct Plan<'a> {
    client: Client,
    desired: &'a Desired<'a>,
}

type EntryFn<'f> = &'f dyn Fn(&Rendered, &mut Vec<String>) -> Option<Value>;

impl Plan<'_> {
    fn spec(&self, path: PathBuf, format: Format, private: bool) -> FileSpec {
        FileSpec { client: self.client, path, format, private }
    }

    /// The agent's linked tools.
    fn tools(&self) -> &[BundleTool] {
        self.desired.agent.map_or(&[], |a| a.tools.as_slice())
    }

    fn effective(&self) -> Option<&Effective> {
        self.desired.agent.map(|a| &a.policies.effective)
    }

    fn settings(&self) -> BTreeMap<String, Value> {
        self.desired.agent.map(|a| settings_of(&a.settings)).unwrap_or_default()
    }

    /// The settings with the catalog's model (`llm_model`) pinned under `key`, unless the
    /// settings name one themselves (an admin's override is the more specific choice).
    fn settings_pinning(&self, key: &str) -> BTreeMap<String, Value> {
        let mut settings = self.settings();
        if let Some(model) = self.pinned_model() {
            settings.entry(key.to_string()).or_insert_with(|| json!(model));
        }
        settings
    }

    fn pinned_model(&self) -> Option<&str> {
        self.desired.agent.and_then(|a| a.llm_model.as_deref())
    }

    /// The allowed servers as this client's entries, by name.
    fn servers(&self, entry: EntryFn, warnings: &mut Vec<String>) -> BTreeMap<String, Value> {
        self.desired.servers.iter().filter_map(|s| entry(s, warnings).map(|v| (s.name.clone(), v))).collect()
    }

    /// The models of the models policies' allow list (none without one).
    fn allowed_models(&self) -> Vec<String> {
        self.effective().and_then(|e| e.models.as_deref()).map(|m| values(blocking(m))).unwrap_or_default()
    }

    /// The directories of the filesystem allow list (none without one).
    fn allowed_directories(&self) -> Vec<String> {
        self.effective().map(allowed_directories).unwrap_or_default()
    }

    /// The `.env` a tool reads at start, holding the telemetry header (private).
    fn env_file(&self, path: PathBuf) -> FileSpec {
        let vars = self
            .desired
            .telemetry
            .map(|w| BTreeMap::from([("OTEL_EXPORTER_OTLP_HEADERS".to_string(), w.headers_variable())]))
            .unwrap_or_default();
        self.spec(path, Format::Env(vars), true)
    }
}

/// The agent's settings as top-level keys (objects of objects are written whole).
fn settings_of(settings: &Value) -> BTreeMap<String, Value> {
    settings.as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
}

fn values<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Vec<String> {
    entries.into_iter().map(|e| e.value.clone()).collect()
}

/// The entries that bind: `block` and `warn` (an `info` rule is only recorded).
fn blocking(entries: &[Entry]) -> Vec<&Entry> {
    entries.iter().filter(|e| e.severity != Severity::Info).collect()
}

/// The directories a filesystem allow list names (`/srv/code/**` and `/srv/code/*` name
/// `/srv/code`): where Claude Code may work beyond the current directory
/// (`additionalDirectories`) and where Codex's sandbox may write beyond the workspace
/// (`writable_roots`). A pattern with other wildcards names no directory and is left out.
fn allowed_directories(e: &Effective) -> Vec<String> {
    let Some(allow) = &e.filesystem.allow else { return Vec::new() };
    let directory = |pattern: &str| {
        let dir = pattern.trim_end_matches("/**").trim_end_matches("/*");
        (!dir.is_empty() && !dir.contains(['*', '?', '[', '{'])).then(|| dir.to_string())
    };
    blocking(allow).into_iter().filter_map(|entry| directory(&entry.value)).collect()
}

/// What a linked tool lets an agent do, as clients' rules can name it: commands (of a
/// program, narrowed to the link's `config.commands`), web fetches (narrowed to
/// `config.domains`), file writes, web searches. Browser, database and other tools reach
/// agents through MCP servers, which MCP policies govern.
enum Reach {
    /// Command prefixes; none: every command.
    Commands(Vec<String>),
    /// Domains; none: every fetch.
    Fetches(Vec<String>),
    FileWrites,
    WebSearch,
    Unnamed,
}

/// A config value the rules may quote: plain text without the brackets and quotes that
/// rule syntaxes use (anything else in `commands`/`domains` is ignored).
fn quotable(value: &Value) -> Option<String> {
    let text = value.as_str()?.trim();
    let plain = !text.is_empty()
        && text.len() <= 200
        && !text.chars().any(|c| c.is_control() || matches!(c, '(' | ')' | '"' | '\\' | '*'));
    plain.then(|| text.to_string())
}

fn reach(tool: &BundleTool) -> Reach {
    let listed = |key: &str| -> Vec<String> {
        tool.config
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(quotable).collect())
            .unwrap_or_default()
    };
    let under = |program: &str| {
        let commands = listed("commands");
        if commands.is_empty() {
            return vec![program.to_string()];
        }
        commands.iter().map(|c| format!("{program} {c}")).collect()
    };
    match tool.tool_type {
        ToolType::Shell => Reach::Commands(listed("commands")),
        ToolType::Git => Reach::Commands(under("git")),
        ToolType::Docker => Reach::Commands(under("docker")),
        ToolType::Http => Reach::Fetches(listed("domains")),
        ToolType::Fs => Reach::FileWrites,
        ToolType::Search => Reach::WebSearch,
        ToolType::Browser | ToolType::Database | ToolType::Other => Reach::Unnamed,
    }
}

fn stdio_parts(s: &Rendered) -> Option<(Value, Value, Value)> {
    let Launch::Stdio { command, args, env } = &s.launch else { return None };
    if s.stdio_needs_secrets() {
        // The secret store starts the server with its secrets (never written here).
        return Some((json!(EXEC), json!(["mcp-exec", s.name]), json!({})));
    }
    let plain = |t: &Template| t.with(|_| unreachable!("no secrets"));
    let env: BTreeMap<&String, String> = env.iter().map(|(k, v)| (k, plain(v))).collect();
    Some((json!(command), json!(args.iter().map(plain).collect::<Vec<_>>()), json!(env)))
}

fn stdio_entry(s: &Rendered, typed: bool) -> Option<Value> {
    let (command, args, env) = stdio_parts(s)?;
    let mut entry = json!({ "command": command, "args": args });
    if env.as_object().is_some_and(|e| !e.is_empty()) {
        entry["env"] = env;
    }
    if typed {
        entry["type"] = json!("stdio");
    }
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(client: Client, llm_model: Option<&str>, settings: Value) -> Agent {
        let id = uuid::Uuid::now_v7();
        serde_json::from_value(json!({
            "source": "personal", "config_id": id, "name": "a", "agent_id": id, "agent_name": "a", "type": client,
            "provider": "p", "llm_provider": "p", "llm_model": llm_model, "settings": settings, "status": "active",
            "last_sync_at": null, "sync_token": "t",
            "policies": { "employee_id": id, "team_id": null, "agent_id": null, "policies": [], "digest": "d",
                "effective": { "filesystem": { "allow": null, "deny": [] }, "shell": [],
                    "network": { "allow": null, "deny": [] }, "tools": { "allow": null, "deny": [], "require_approval": [] },
                    "mcp_servers": { "allow": null, "deny": [] }, "models": null,
                    "rate_limits": [], "spend_cap_usd": null } },
        }))
        .unwrap()
    }

    /// The entries the client's user-tier files set at `path` (JSON) or at the root (TOML,
    /// `.env`).
    fn written(client: Client, agent: &Agent, path: &[&str]) -> BTreeMap<String, Value> {
        written_with(client, agent, None, path)
    }

    fn written_with(
        client: Client,
        agent: &Agent,
        telemetry: Option<&Wiring>,
        path: &[&str],
    ) -> BTreeMap<String, Value> {
        let desired = Desired { agent: Some(agent), servers: vec![], paused: false, telemetry };
        let home = Path::new("/home/probe");
        let mut found = BTreeMap::new();
        for spec in files(client, &Tier::User { home }, &desired, &mut vec![]) {
            match spec.format {
                Format::Json(ops) => {
                    for (at, op) in ops {
                        if let (true, Op::Entries(entries)) = (at == path, op) {
                            found.extend(entries);
                        }
                    }
                }
                Format::Toml { root_keys, .. } => found.extend(root_keys),
                Format::Env(vars) => found.extend(vars.into_iter().map(|(k, v)| (k, json!(v)))),
                Format::Whole(_) => {}
            }
        }
        found
    }

    /// The strings the client's user-tier files list at `path` while paused.
    fn listed_when_paused(client: Client, path: &[&str]) -> Vec<String> {
        listed(client, &agent(client, None, json!({})), true, path)
    }

    /// The strings the client's user-tier files list at `path`.
    fn listed(client: Client, agent: &Agent, paused: bool, path: &[&str]) -> Vec<String> {
        let desired = Desired { agent: Some(agent), servers: vec![], paused, telemetry: None };
        let mut found = Vec::new();
        for spec in files(client, &Tier::User { home: Path::new("/home/probe") }, &desired, &mut vec![]) {
            if let Format::Json(ops) = spec.format {
                for (at, op) in ops {
                    if let (true, Op::Strings(strings)) = (at == path, op) {
                        found.extend(strings);
                    }
                }
            }
        }
        found
    }

    #[test]
    fn each_os_gets_its_own_locations() {
        let agent = agent(Client::ClaudeCode, None, json!({}));
        let desired = Desired { agent: Some(&agent), servers: vec![], paused: false, telemetry: None };
        let (home, root) = (Path::new("/Users/probe"), Path::new("/"));
        let paths = |os, client, tier: &Tier, warnings: &mut Vec<String>| -> Vec<PathBuf> {
            files_on(os, client, tier, &desired, warnings).into_iter().map(|spec| spec.path).collect()
        };
        let vscode = paths(Os::Macos, Client::Vscode, &Tier::User { home }, &mut vec![]);
        assert_eq!(vscode, [home.join("Library/Application Support/Code/User/mcp.json")]);
        let claude = paths(Os::Macos, Client::ClaudeCode, &Tier::System { root }, &mut vec![]);
        let managed = root.join("Library/Application Support/ClaudeCode");
        assert_eq!(claude, [managed.join("managed-settings.d/agentctl.json"), managed.join("managed-mcp.json")]);
        let gemini = paths(Os::Windows, Client::GeminiCli, &Tier::System { root }, &mut vec![]);
        assert_eq!(gemini, [root.join("ProgramData/gemini-cli/settings.json")]);
        let mut warnings = Vec::new();
        assert!(paths(Os::Windows, Client::Codex, &Tier::System { root }, &mut warnings).is_empty());
        assert!(warnings[0].contains("no known location"), "{warnings:?}");
        assert_eq!(
            paths(Os::Linux, Client::Codex, &Tier::System { root }, &mut vec![]),
            [root.join("etc/codex/requirements.toml")]
        );
    }

    #[test]
    fn linked_tools_are_asked_for_when_they_need_approval_and_denied_until_granted() {
        let tool = |name: &str, kind: &str, requires_approval: bool, enabled: bool, config: Value| {
            json!({ "tool_id": uuid::Uuid::now_v7(), "name": name, "type": kind,
                "requires_approval": requires_approval, "enabled": enabled, "config": config })
        };
        let with_tools = |client| {
            let mut agent = agent(client, None, json!({}));
            agent.tools = serde_json::from_value(json!([
                tool("git", "git", false, true, json!({ "commands": ["push"] })),
                tool("docker", "docker", true, true, json!({ "commands": ["run", "bad) Bash(rm", 7] })),
                tool("shell", "shell", true, false, json!({})),
                tool("fetch", "http", true, false, json!({ "domains": ["api.example.com"] })),
                tool("db", "database", true, false, json!({})),
            ]))
            .unwrap();
            agent
        };
        let claude = with_tools(Client::ClaudeCode);
        let ask = listed(Client::ClaudeCode, &claude, false, &["permissions", "ask"]);
        assert_eq!(ask, ["Bash(docker run:*)"], "approved, asked before each use; unsafe config ignored");
        let deny = listed(Client::ClaudeCode, &claude, false, &["permissions", "deny"]);
        assert_eq!(deny, ["Bash", "WebFetch(domain:api.example.com)"], "not approved yet");
        let gemini = with_tools(Client::GeminiCli);
        let excluded = listed(Client::GeminiCli, &gemini, false, &["tools", "exclude"]);
        assert_eq!(excluded, ["run_shell_command", "web_fetch"]);
    }

    #[test]
    fn paused_agents_are_refused_every_tool_where_the_client_can_say_so() {
        let denied = listed_when_paused(Client::ClaudeCode, &["permissions", "deny"]);
        assert!(claude::CLAUDE_TOOLS.iter().all(|tool| denied.contains(&tool.to_string())), "{denied:?}");
        let excluded = listed_when_paused(Client::GeminiCli, &["tools", "exclude"]);
        assert!(excluded.contains(&"run_shell_command".to_string()), "{excluded:?}");
        let codex = agent(Client::Codex, None, json!({}));
        let desired = Desired { agent: Some(&codex), servers: vec![], paused: true, telemetry: None };
        let spec = files(Client::Codex, &Tier::User { home: Path::new("/h") }, &desired, &mut vec![]).remove(0);
        let Format::Toml { root_keys, .. } = spec.format else { panic!("TOML") };
        assert_eq!(root_keys["sandbox_mode"], "read-only");
        assert_eq!(root_keys["approval_policy"], "on-request");
        // Not paused: nothing of that.
        assert!(!written(Client::Codex, &codex, &[]).contains_key("sandbox_mode"));
    }

    #[test]
    fn the_catalog_model_is_pinned_where_each_client_reads_it() {
        let pinned = |client| agent(client, Some("pinned-model"), json!({}));
        assert_eq!(written(Client::ClaudeCode, &pinned(Client::ClaudeCode), &[])["model"], "pinned-model");
        assert_eq!(written(Client::Codex, &pinned(Client::Codex), &[])["model"], "pinned-model");
        assert_eq!(written(Client::GeminiCli, &pinned(Client::GeminiCli), &["model"])["name"], "pinned-model");
        // An admin's setting of the model wins over the catalog's.
        let chosen = agent(Client::ClaudeCode, Some("pinned-model"), json!({ "model": "chosen" }));
        assert_eq!(written(Client::ClaudeCode, &chosen, &[])["model"], "chosen");
        let unpinned = agent(Client::Codex, None, json!({}));
        assert!(!written(Client::Codex, &unpinned, &[]).contains_key("model"));
    }

    #[test]
    fn telemetry_is_wired_without_a_token_in_any_settings_file() {
        let wiring = Wiring {
            endpoint: "https://agentctl.example/v1/otlp".into(),
            helper: "/usr/local/bin/agentctl telemetry headers".into(),
            token: "act_secret".into(),
        };
        let claude = agent(Client::ClaudeCode, None, json!({ "env": { "FOO": "bar" } }));
        let env = written_with(Client::ClaudeCode, &claude, Some(&wiring), &["env"]);
        assert_eq!(env["OTEL_EXPORTER_OTLP_ENDPOINT"], "https://agentctl.example/v1/otlp");
        assert_eq!((&env["OTEL_LOGS_EXPORTER"], &env["OTEL_METRICS_EXPORTER"]), (&json!("otlp"), &json!("none")));
        assert_eq!(env["FOO"], "bar", "the agent's own env is kept beside it");
        let root = written_with(Client::ClaudeCode, &claude, Some(&wiring), &[]);
        assert_eq!(root["otelHeadersHelper"], "/usr/local/bin/agentctl telemetry headers");
        assert!(!root.contains_key("env"));

        let codex = agent(Client::Codex, None, json!({}));
        let written = written_with(Client::Codex, &codex, Some(&wiring), &[]);
        assert_eq!(written["otel"]["exporter"]["otlp-http"]["endpoint"], "https://agentctl.example/v1/otlp/v1/logs");
        assert_eq!(written["OTEL_EXPORTER_OTLP_HEADERS"], "Authorization=Bearer%20act_secret", "in ~/.codex/.env");
        let gemini = agent(Client::GeminiCli, None, json!({}));
        let telemetry = written_with(Client::GeminiCli, &gemini, Some(&wiring), &["telemetry"]);
        assert_eq!((&telemetry["otlpEndpoint"], &telemetry["logPrompts"]), (&json!(wiring.endpoint), &json!(false)));

        for client in [Client::ClaudeCode, Client::Codex, Client::GeminiCli] {
            let desired = Desired { agent: Some(&claude), servers: vec![], paused: false, telemetry: Some(&wiring) };
            for spec in files(client, &Tier::User { home: Path::new("/h") }, &desired, &mut vec![]) {
                let holds_token = format!("{:?}", spec.format).contains("act_secret");
                assert_eq!(holds_token, spec.path.ends_with(".env"), "{}", spec.path.display());
                assert!(!holds_token || spec.private, "a file holding the token is private");
            }
            let off = Desired { telemetry: None, ..desired };
            let specs = format!("{:?}", files(client, &Tier::User { home: Path::new("/h") }, &off, &mut vec![]));
            assert!(!specs.contains("otlp") && !specs.contains("OTEL_"), "telemetry off: no wiring");
        }
    }
}
