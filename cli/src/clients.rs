//! What `agentctl sync` writes for each agent tool: the files, and in them the entries
//! agentctl manages. Formats follow each client's documentation (summarized in the
//! handbook's CLIENTS.md); the choices are documented in docs/CLI.md.

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

/// Claude Code's tools, each denied by its bare name while agents are paused.
const CLAUDE_TOOLS: [&str; 12] = [
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

    fn claude_user(&self, home: &Path, warnings: &mut Vec<String>) -> Vec<FileSpec> {
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

    /// The models of the models policies' allow list (none without one).
    fn allowed_models(&self) -> Vec<String> {
        self.effective().and_then(|e| e.models.as_deref()).map(|m| values(blocking(m))).unwrap_or_default()
    }

    /// The directories of the filesystem allow list (none without one).
    fn allowed_directories(&self) -> Vec<String> {
        self.effective().map(allowed_directories).unwrap_or_default()
    }

    /// Claude Code's admin tier: a drop-in of the managed settings and the exclusive
    /// server list, in its managed directory `dir`.
    fn claude_system(&self, dir: &Path, warnings: &mut Vec<String>) -> Vec<FileSpec> {
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

    /// Cursor, VS Code, Windsurf: one MCP file each (`key` holds the servers).
    fn editor(
        &self,
        path: PathBuf,
        key: &'static str,
        url_key: &str,
        typed: bool,
        warnings: &mut Vec<String>,
    ) -> FileSpec {
        let entries = self.servers(&|s, w| editor_entry(s, w, url_key, typed), warnings);
        self.spec(path, Format::Json(vec![(vec![key], Op::Entries(entries))]), false)
    }

    fn gemini(&self, path: PathBuf, with_settings: bool, warnings: &mut Vec<String>) -> FileSpec {
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

    /// The `.env` a tool reads at start, holding the telemetry header (private).
    fn env_file(&self, path: PathBuf) -> FileSpec {
        let vars = self
            .desired
            .telemetry
            .map(|w| BTreeMap::from([("OTEL_EXPORTER_OTLP_HEADERS".to_string(), w.headers_variable())]))
            .unwrap_or_default();
        self.spec(path, Format::Env(vars), true)
    }

    fn codex_user(&self, home: &Path, warnings: &mut Vec<String>) -> Vec<FileSpec> {
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
    fn codex_system(&self, requirements: PathBuf) -> Vec<FileSpec> {
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

/// Cursor, VS Code, Windsurf: secrets as `${env:VAR}` (set by sourcing agentctl's
/// 0600 env file); Windsurf names the URL `serverUrl`; VS Code types every entry.
fn editor_entry(s: &Rendered, _: &mut Vec<String>, url_key: &str, typed: bool) -> Option<Value> {
    match &s.launch {
        Launch::Stdio { .. } => stdio_entry(s, typed),
        Launch::Remote { sse, url, headers } => {
            let reference = |field: &str| format!("${{env:{}}}", s.env_var(field));
            let mut entry = json!({ url_key: url.with(reference) });
            if !headers.is_empty() {
                entry["headers"] =
                    json!(headers.iter().map(|(k, v)| (k, v.with(reference))).collect::<BTreeMap<_, _>>());
            }
            if typed {
                entry["type"] = json!(if *sse { "sse" } else { "http" });
            }
            Some(entry)
        }
    }
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
        assert!(CLAUDE_TOOLS.iter().all(|tool| denied.contains(&tool.to_string())), "{denied:?}");
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
