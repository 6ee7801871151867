//! The demo catalog: the coding agents people use today and real, published MCP
//! servers with their actual launch commands. Connection fields marked `writeOnly` are
//! credentials (they go to the vault, not into configuration files).

use agentctl_shared::AppState;
use agentctl_shared::auth::Principal;
use agentctl_shared::domain::agents::{AgentSpec, AgentType, NewAgent};
use agentctl_shared::domain::catalog::{self, Entry};
use agentctl_shared::domain::mcp::{McpCategorySpec, McpServerSpec, NewMcpCategory, NewMcpServer, Transport};
use agentctl_shared::domain::tools::{NewTool, ToolSpec, ToolType};
use agentctl_shared::error::Result;
use serde_json::{Value, json};

fn agent(name: &str, agent_type: AgentType, provider: &str, llm: (&str, &str), description: &str) -> NewAgent {
    NewAgent {
        name: name.into(),
        description: Some(description.into()),
        is_public: Some(true),
        agent_type,
        provider: provider.into(),
        default_config: Some(json!({})),
        config_schema: None,
        capabilities: Some(vec!["code-edit".into(), "shell".into(), "mcp".into()]),
        llm_provider: Some(llm.0.into()),
        llm_model: Some(llm.1.into()),
    }
}

fn tool(name: &str, tool_type: ToolType, requires_approval: bool, description: &str) -> NewTool {
    NewTool {
        name: name.into(),
        description: Some(description.into()),
        is_public: Some(true),
        tool_type,
        schema: None,
        requires_approval: Some(requires_approval),
    }
}

struct Server {
    name: &'static str,
    provider: &'static str,
    description: &'static str,
    transport: Transport,
    command: Option<&'static str>,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    url: Option<&'static str>,
    headers: &'static [(&'static str, &'static str)],
    schema: Value,
    category: usize,
}

fn servers() -> Vec<Server> {
    let none = || json!({ "type": "object", "properties": {}, "additionalProperties": false });
    vec![
        Server {
            name: "filesystem",
            provider: "Model Context Protocol",
            description: "Read and write files under one directory",
            transport: Transport::Stdio,
            command: Some("npx"),
            args: &["-y", "@modelcontextprotocol/server-filesystem", "${root}"],
            env: &[],
            url: None,
            headers: &[],
            schema: json!({ "type": "object", "additionalProperties": false, "required": ["root"],
                "properties": { "root": { "type": "string", "description": "Directory the server may access" } } }),
            category: 0,
        },
        Server {
            name: "github",
            provider: "GitHub",
            description: "GitHub's official remote MCP server: repositories, issues, pull requests",
            transport: Transport::Http,
            command: None,
            args: &[],
            env: &[],
            url: Some("https://api.githubcopilot.com/mcp/"),
            headers: &[("Authorization", "Bearer ${token}")],
            schema: json!({ "type": "object", "additionalProperties": false, "required": ["token"],
                "properties": { "token": { "type": "string", "writeOnly": true, "description": "GitHub personal access token" } } }),
            category: 1,
        },
        Server {
            name: "fetch",
            provider: "Model Context Protocol",
            description: "Fetch web pages as markdown",
            transport: Transport::Stdio,
            command: Some("uvx"),
            args: &["mcp-server-fetch"],
            env: &[],
            url: None,
            headers: &[],
            schema: none(),
            category: 2,
        },
        Server {
            name: "git",
            provider: "Model Context Protocol",
            description: "Read and search a local git repository",
            transport: Transport::Stdio,
            command: Some("uvx"),
            args: &["mcp-server-git", "--repository", "${repository}"],
            env: &[],
            url: None,
            headers: &[],
            schema: json!({ "type": "object", "additionalProperties": false, "required": ["repository"],
                "properties": { "repository": { "type": "string", "description": "Path of the repository" } } }),
            category: 1,
        },
        Server {
            name: "memory",
            provider: "Model Context Protocol",
            description: "A knowledge graph the agent remembers across sessions",
            transport: Transport::Stdio,
            command: Some("npx"),
            args: &["-y", "@modelcontextprotocol/server-memory"],
            env: &[("MEMORY_FILE_PATH", "${memory_file_path}")],
            url: None,
            headers: &[],
            schema: json!({ "type": "object", "additionalProperties": false,
                "properties": { "memory_file_path": { "type": "string", "description": "Where the graph is stored" } } }),
            category: 2,
        },
        Server {
            name: "context7",
            provider: "Upstash",
            description: "Up-to-date library documentation for the agent's context",
            transport: Transport::Stdio,
            command: Some("npx"),
            args: &["-y", "@upstash/context7-mcp"],
            env: &[("CONTEXT7_API_KEY", "${api_key}")],
            url: None,
            headers: &[],
            schema: json!({ "type": "object", "additionalProperties": false,
                "properties": { "api_key": { "type": "string", "writeOnly": true, "description": "Optional Context7 API key (higher rate limits)" } } }),
            category: 2,
        },
        Server {
            name: "playwright",
            provider: "Microsoft",
            description: "Drive a browser: navigate, click, fill forms, take snapshots",
            transport: Transport::Stdio,
            command: Some("npx"),
            args: &["@playwright/mcp@latest"],
            env: &[],
            url: None,
            headers: &[],
            schema: none(),
            category: 3,
        },
    ]
}

/// The global demo catalog (written by the platform operator). Returns the MCP servers.
/// What the demo catalog holds, for the demo organization to use.
pub struct Seeded {
    pub agents: Vec<Entry<AgentSpec>>,
    pub servers: Vec<Entry<McpServerSpec>>,
}

pub async fn seed(state: &AppState) -> Result<Seeded> {
    let platform = Principal::Platform;
    let mut agents = Vec::new();
    for new in [
        agent(
            "Claude Code",
            AgentType::ClaudeCode,
            "Anthropic",
            ("anthropic", "claude-sonnet-4-5"),
            "Anthropic's agentic coding CLI",
        ),
        agent("Cursor", AgentType::Cursor, "Anysphere", ("anthropic", "claude-sonnet-4-5"), "AI code editor"),
        agent(
            "VS Code with GitHub Copilot",
            AgentType::Vscode,
            "GitHub",
            ("openai", "gpt-4.1"),
            "Copilot agent mode in VS Code",
        ),
        agent(
            "Windsurf",
            AgentType::Windsurf,
            "Windsurf",
            ("anthropic", "claude-sonnet-4-5"),
            "Agentic IDE with Cascade",
        ),
        agent(
            "Gemini CLI",
            AgentType::GeminiCli,
            "Google",
            ("google", "gemini-2.5-pro"),
            "Google's open-source terminal agent",
        ),
        agent("Codex", AgentType::Codex, "OpenAI", ("openai", "gpt-5-codex"), "OpenAI's coding agent CLI"),
    ] {
        agents.push(catalog::create::<AgentSpec>(state, &platform, new).await?);
    }
    for new in [
        tool("Read files", ToolType::Fs, false, "Read files in the workspace"),
        tool("Edit files", ToolType::Fs, false, "Create and change files in the workspace"),
        tool("Git", ToolType::Git, false, "Inspect and commit with git"),
        tool("Web fetch", ToolType::Http, false, "Fetch URLs"),
        tool("Shell", ToolType::Shell, true, "Run shell commands"),
        tool("Docker", ToolType::Docker, true, "Run containers"),
    ] {
        catalog::create::<ToolSpec>(state, &platform, new).await?;
    }
    let mut categories = Vec::new();
    for (name, description) in [
        ("Filesystem", "Local files"),
        ("Developer tools", "Source control and code hosting"),
        ("Knowledge", "Documentation, web content and memory"),
        ("Browser automation", "Driving a web browser"),
    ] {
        let new = NewMcpCategory { name: name.into(), description: Some(description.into()), is_public: Some(true) };
        categories.push(catalog::create::<McpCategorySpec>(state, &platform, new).await?);
    }
    let mut created = Vec::new();
    for server in servers() {
        let strings = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let new = NewMcpServer {
            name: server.name.into(),
            description: Some(server.description.into()),
            is_public: Some(true),
            provider: server.provider.into(),
            version: "latest".into(),
            transport: server.transport,
            command: server.command.map(Into::into),
            args: Some(server.args.iter().map(|a| a.to_string()).collect()),
            env: Some(strings(server.env)),
            url: server.url.map(Into::into),
            headers: Some(strings(server.headers)),
            connection_schema: Some(server.schema),
            capabilities: Some(vec!["tools".into()]),
            category_id: Some(categories[server.category].id),
        };
        created.push(catalog::create::<McpServerSpec>(state, &platform, new).await?);
    }
    Ok(Seeded { agents, servers: created })
}
