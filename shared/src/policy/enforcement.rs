//! Who can enforce a policy type: the agent's own configuration (per client), a
//! gateway in front of the LLM, or only monitoring of usage events. Derived from the
//! type, never claimed by an admin, so nobody believes a rule is enforced where it is
//! only watched. Sources: the clients' documentation (handbook CLIENTS.md).

use serde::Serialize;

use super::PolicyType;

/// The local agent tools agentctl configures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Client {
    ClaudeCode,
    Cursor,
    Vscode,
    Windsurf,
    GeminiCli,
    Codex,
}

impl Client {
    pub const ALL: [Client; 6] =
        [Client::ClaudeCode, Client::Cursor, Client::Vscode, Client::Windsurf, Client::GeminiCli, Client::Codex];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mechanism {
    /// Written into the client's configuration, which refuses what the rule forbids.
    ClientConfig,
    /// Needs a gateway between the client and the LLM provider.
    Gateway,
    /// Checked against usage events after the fact; acted on at the next sync.
    Monitored,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Support {
    /// The client enforces the rule (binding when written to its admin-managed tier).
    Enforced,
    /// The client covers part of the rule (e.g. only its own fetch tool, not shell commands).
    Partial,
    /// The client cannot express the rule.
    None,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClientSupport {
    pub client: Client,
    pub support: Support,
    /// How, in the client's own terms.
    pub how: &'static str,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Enforcement {
    /// Where the rule is enforced, strongest first.
    pub mechanisms: Vec<Mechanism>,
    pub clients: Vec<ClientSupport>,
    pub note: &'static str,
}

pub fn enforcement(policy_type: PolicyType) -> Enforcement {
    use Client::*;
    use Support::*;
    let support = |entries: &[(Client, Support, &'static str)]| {
        Client::ALL
            .iter()
            .map(|client| {
                entries
                    .iter()
                    .find(|(c, _, _)| c == client)
                    .map(|(c, s, how)| ClientSupport { client: *c, support: *s, how })
                    .unwrap_or(ClientSupport { client: *client, support: None, how: "not expressible" })
            })
            .collect::<Vec<_>>()
    };
    let (mechanisms, clients, note) = match policy_type {
        PolicyType::Filesystem => (
            vec![Mechanism::ClientConfig, Mechanism::Monitored],
            support(&[
                (ClaudeCode, Enforced, "permissions Read(//path) / Edit(//path) rules"),
                (Vscode, Enforced, "per-server sandbox.filesystem.denyRead / denyWrite"),
                (Codex, Partial, "sandbox_mode = workspace-write limits writes"),
            ]),
            "Enforced by clients that support it; elsewhere only monitored.",
        ),
        PolicyType::Shell => (
            vec![Mechanism::ClientConfig],
            support(&[
                (ClaudeCode, Enforced, "permissions Bash(pattern) rules"),
                (GeminiCli, Enforced, "tools.exclude ShellTool(pattern)"),
            ]),
            "Only clients with shell rules can refuse a command.",
        ),
        PolicyType::Network => (
            vec![Mechanism::ClientConfig, Mechanism::Gateway],
            support(&[
                (ClaudeCode, Partial, "WebFetch(domain:...) rules cover the fetch tool, not shell commands"),
                (Vscode, Enforced, "per-server sandbox.network.deniedDomains"),
            ]),
            "Complete enforcement needs a network egress gateway.",
        ),
        PolicyType::RateLimit => (
            vec![Mechanism::Gateway, Mechanism::Monitored],
            support(&[]),
            "No client config can cap calls per hour: a gateway enforces it, usage monitoring detects it.",
        ),
        PolicyType::Models => (
            vec![Mechanism::Gateway, Mechanism::Monitored],
            support(&[(ClaudeCode, Partial, "model setting in managed settings pins the default model")]),
            "A gateway enforces the model list; otherwise usage events reveal other models.",
        ),
        PolicyType::Tools => (
            vec![Mechanism::ClientConfig],
            support(&[
                (ClaudeCode, Enforced, "permissions allow / ask / deny by tool name"),
                (GeminiCli, Enforced, "tools.exclude and per-server includeTools / excludeTools"),
                (Codex, Partial, "per-server enabled_tools / disabled_tools for MCP tools"),
            ]),
            "Enforced by the clients that name tools in their permissions.",
        ),
        PolicyType::McpServers => (
            vec![Mechanism::ClientConfig],
            support(&[
                (ClaudeCode, Enforced, "managed-mcp.json and allowedMcpServers / deniedMcpServers (admin tier)"),
                (GeminiCli, Enforced, "mcp.allowed / mcp.excluded"),
                (Codex, Enforced, "requirements.toml MCP allowlist (admin tier)"),
                (Cursor, Partial, "agentctl sync writes only allowed servers; the user can add others"),
                (Vscode, Partial, "agentctl sync writes only allowed servers; the user can add others"),
                (Windsurf, Partial, "agentctl sync writes only allowed servers; the user can add others"),
            ]),
            "Binding only where written to the client's admin-managed tier (agentctl sync --system).",
        ),
        PolicyType::SpendCap => (
            vec![Mechanism::Monitored],
            support(&[]),
            "Monitored from usage events; the sync bundle carries the budget state for clients and gateways.",
        ),
    };
    Enforcement { mechanisms, clients, note }
}
