//! Who enforces a policy type: the agent's own configuration as `agentctl sync` writes
//! it (per client), a gateway in front of the LLM, or monitoring of usage events.
//! Derived from the type, never claimed by an admin, so nobody believes a rule is
//! enforced where it is only watched. Every cell states what the code does today: the
//! CLI's test `enforcement_table_matches_the_files_sync_writes` writes a bundle with
//! each rule and checks that a client marked `enforced` changes its files for every part
//! of the rule, `partial` for some, `none` for none; `monitored` is claimed only where
//! the usage processor checks the rule.

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
            vec![Mechanism::ClientConfig],
            support(&[(ClaudeCode, Partial, "deny list as permissions Read(//path) / Edit(//path) rules")]),
            "Claude Code refuses reading and editing denied paths; allow lists are not written to any client.",
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
            support(&[(
                ClaudeCode,
                Partial,
                "deny list as WebFetch(domain:...) rules: the fetch tool, not shell commands",
            )]),
            "Allow lists are not written to any client; complete enforcement needs a network egress gateway.",
        ),
        PolicyType::RateLimit => (
            vec![Mechanism::Gateway],
            support(&[]),
            "No client config can cap calls per hour and agentctl does not count calls per window yet: only a gateway enforces it.",
        ),
        PolicyType::Models => (
            vec![Mechanism::Gateway],
            support(&[]),
            "Not written to any client and not checked against usage yet: only a gateway enforces a model list.",
        ),
        PolicyType::Tools => (
            vec![Mechanism::ClientConfig],
            support(&[
                (ClaudeCode, Enforced, "permissions allow / ask / deny by tool name"),
                (GeminiCli, Partial, "deny list as tools.exclude; allow and approval lists are not expressible"),
            ]),
            "Enforced by the clients that name tools in their permissions.",
        ),
        PolicyType::McpServers => (
            vec![Mechanism::ClientConfig],
            support(&[
                (
                    ClaudeCode,
                    Enforced,
                    "only allowed servers written; allowedMcpServers / deniedMcpServers (admin tier)",
                ),
                (GeminiCli, Enforced, "only allowed servers written; mcp.allowed / mcp.excluded"),
                (Codex, Enforced, "only allowed servers written; requirements.toml MCP allowlist (admin tier)"),
                (Cursor, Partial, "agentctl sync writes only allowed servers; the user can add others"),
                (Vscode, Partial, "agentctl sync writes only allowed servers; the user can add others"),
                (Windsurf, Partial, "agentctl sync writes only allowed servers; the user can add others"),
            ]),
            "Binding only where written to the client's admin-managed tier (agentctl sync --system).",
        ),
        PolicyType::SpendCap => (
            vec![Mechanism::Monitored],
            support(&[]),
            "Monitored from usage events (recorded once a month when reached); the sync bundle carries it for clients and gateways.",
        ),
    };
    Enforcement { mechanisms, clients, note }
}
