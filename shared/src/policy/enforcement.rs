//! Who enforces a policy type: the agent's own configuration as `agentctl sync` writes
//! it (per client), a gateway in front of the LLM, or monitoring of usage events.
//! Derived from the type, never claimed by an admin, so nobody believes a rule is
//! enforced where it is only watched. Every cell states what the code does today: the
//! CLI's test `enforcement_table_matches_the_files_sync_writes` writes a bundle with
//! each rule and checks that a client marked `enforced` changes its files for every part
//! of the rule, `partial` for some, `none` for none; `monitored` is claimed only where
//! the usage processor checks the rule.

use std::borrow::Cow;

use agentctl_wire::catalog::AgentType;

use super::PolicyType;

pub use agentctl_wire::policy::{ClientSupport, Enforcement, Mechanism, Support};

pub fn enforcement(policy_type: PolicyType) -> Enforcement {
    use AgentType::*;
    use Support::*;
    let support = |entries: &[(AgentType, Support, &'static str)]| {
        AgentType::CLIENTS
            .iter()
            .map(|client| {
                entries
                    .iter()
                    .find(|(c, _, _)| c == client)
                    .map(|(c, s, how)| ClientSupport { client: *c, support: *s, how: Cow::Borrowed(how) })
                    .unwrap_or(ClientSupport { client: *client, support: None, how: Cow::Borrowed("not expressible") })
            })
            .collect::<Vec<_>>()
    };
    let (mechanisms, clients, note) = match policy_type {
        PolicyType::Filesystem => (
            vec![Mechanism::ClientConfig],
            support(&[
                (
                    ClaudeCode,
                    Partial,
                    "deny list as permissions Read(//path) / Edit(//path) rules; an allow list's directories as permissions.additionalDirectories (beyond the working directory, file tools ask outside them)",
                ),
                (
                    Codex,
                    Partial,
                    "a deny or allow list sets sandbox_mode = workspace-write: no writes outside the workspace and the allow list's directories (sandbox_workspace_write.writable_roots); reading is not limited",
                ),
            ]),
            "Claude Code refuses reading and editing denied paths and works beyond the current directory only in allowed ones; Codex confines writes to the workspace and allowed directories. Allow-list patterns with wildcards other than a trailing /** name no directory and are not written.",
        ),
        PolicyType::Shell => (
            vec![Mechanism::ClientConfig],
            support(&[
                (ClaudeCode, Enforced, "permissions Bash(pattern) rules"),
                (GeminiCli, Enforced, "tools.exclude ShellTool(pattern)"),
                (
                    Codex,
                    Partial,
                    "commands run in the workspace-write sandbox and leaving it asks first (approval_policy = on-request); patterns are not expressible",
                ),
            ]),
            "Only clients with shell rules can refuse a command.",
        ),
        PolicyType::Network => (
            vec![Mechanism::ClientConfig, Mechanism::Gateway],
            support(&[(
                ClaudeCode,
                Partial,
                "deny list as WebFetch(domain:...) deny rules, allow list as allow rules (other fetches ask first): the fetch tool, not shell commands",
            )]),
            "Only Claude Code's fetch tool takes domain rules; complete enforcement needs a network egress gateway.",
        ),
        PolicyType::RateLimit => (
            vec![Mechanism::Monitored, Mechanism::Gateway],
            support(&[]),
            "Monitored from usage events: counted per employee and window, a breach recorded once per window (activity, sync bundle, agentctl status). No client config can cap calls per window: only a gateway blocks them.",
        ),
        PolicyType::Models => (
            vec![Mechanism::ClientConfig, Mechanism::Gateway],
            support(&[(
                ClaudeCode,
                Enforced,
                "availableModels (user settings; binding in the admin tier's managed settings, with enforceAvailableModels)",
            )]),
            "Claude Code offers only the allowed models (binding where written to its admin tier); the other clients cannot restrict the model, and usage is not checked against the list: a gateway enforces it everywhere.",
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
            "Monitored from usage events (recorded once a month when reached); the sync bundle carries it, and an organization whose budget action is pause has sync pause the employee's managed agents.",
        ),
    };
    Enforcement { mechanisms, clients, note: Cow::Borrowed(note) }
}
