//! The built `agentctl` binary against the whole app (emulator included), with a
//! temporary HOME.

use std::path::{Path, PathBuf};
use std::process::Output;

use agentctl_tests::{TestApp, slug};

struct Home(PathBuf);

impl Home {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("agentctl-home-{}", slug("h")));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn session_file(&self) -> PathBuf {
        self.0.join(".config/agentctl/session.json")
    }

    /// Runs `agentctl args...` with this HOME (off the test's runtime thread: the app
    /// answers on it).
    async fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[]).await
    }

    async fn run_with(&self, args: &[&str], envs: &[(&str, &Path)]) -> Output {
        let (home, args): (PathBuf, Vec<String>) = (self.0.clone(), args.iter().map(|a| a.to_string()).collect());
        let envs: Vec<(String, PathBuf)> = envs.iter().map(|(k, v)| (k.to_string(), v.to_path_buf())).collect();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_agentctl"))
                .args(&args)
                .env("HOME", &home)
                .env_remove("XDG_CONFIG_HOME")
                .envs(envs)
                .output()
                .expect("agentctl runs")
        })
        .await
        .unwrap()
    }

    /// Runs `agentctl args...` with `input` on its standard input.
    async fn run_input(&self, args: &[&str], input: &str) -> Output {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        self.feed(env!("CARGO_BIN_EXE_agentctl"), args, input).await
    }

    /// Runs `agentctl args...` at a terminal (util-linux's `script` gives it a pseudo
    /// terminal), typing `input`.
    #[cfg(unix)]
    async fn run_at_a_terminal(&self, args: &[&str], input: &str) -> Output {
        let command = std::iter::once(env!("CARGO_BIN_EXE_agentctl"))
            .chain(args.iter().copied())
            .map(|word| format!("'{word}'"))
            .collect::<Vec<_>>()
            .join(" ");
        let args = ["-qec".to_string(), command, "/dev/null".to_string()];
        self.feed("script", args.to_vec(), input).await
    }

    async fn feed(&self, program: &'static str, args: Vec<String>, input: &str) -> Output {
        let (home, input) = (self.0.clone(), input.to_string());
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut child = std::process::Command::new(program)
                .args(&args)
                .env("HOME", &home)
                .env_remove("XDG_CONFIG_HOME")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("agentctl runs");
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap()
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }

    fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn login_whoami_logout_with_clear_errors_and_exit_codes() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("cli")).await;
    let employee = app.add_employee(&org, "dev@cli.example", "member", None).await;
    let code = app.issue_code(&org, employee["id"].as_str().unwrap()).await;
    let home = Home::new();

    let out = home.run(&["whoami"]).await;
    assert_eq!(out.status.code(), Some(4), "not logged in yet: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("agentctl login"));

    let out = home.run(&["login", "--server", &app.url, "--code", "ace_not-a-real-code"]).await;
    assert_eq!(out.status.code(), Some(1), "a refused code: {}", text(&out.stderr));
    assert!(!home.session_file().exists());

    let out = home.run(&["login", "--server", &format!("{}/", app.url), "--code", &code]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "no progress line when stderr is not a terminal");
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("Logged in as Employee dev@cli.example <dev@cli.example>, member of"), "{stdout}");
    assert!(stdout.contains("No managed agent tools") && stdout.contains("agentctl service install"), "{stdout}");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.session_file()).unwrap()).unwrap();
    let token = stored["token"].as_str().unwrap();
    assert!(!stdout.contains(token), "the token is never printed");
    #[cfg(unix)]
    assert_eq!(mode(&home.session_file()), 0o600);

    let out = home.run(&["whoami", "--json"]).await;
    assert_eq!(out.status.code(), Some(0));
    let me: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(me["employee"]["email"], "dev@cli.example");

    let out = home.run(&["logout"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!home.session_file().exists());
    let (status, _) = app.get("/v1/me", token).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN, "the session ended on the server too");

    // A revoked session on disk: the user is told to log in again.
    std::fs::create_dir_all(home.session_file().parent().unwrap()).unwrap();
    std::fs::write(home.session_file(), serde_json::json!({ "server": app.url, "token": token }).to_string()).unwrap();
    let out = home.run(&["whoami"]).await;
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("expired or was revoked"), "{}", text(&out.stderr));

    // A corrupt session file is reported and left as it is.
    std::fs::write(home.session_file(), "{ not json").unwrap();
    let out = home.run(&["whoami"]).await;
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(std::fs::read_to_string(home.session_file()).unwrap(), "{ not json");

    // An unreachable server.
    let out = home.run(&["login", "--server", "http://127.0.0.1:9", "--code", "x"]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("cannot reach http://127.0.0.1:9"));
}

/// A written file with what differs between runs named instead: the server's URL (a free
/// port) and this agentctl's path (the telemetry helper).
fn portable(written: &str, server: &str) -> String {
    written.replace(server, "http://agentctl.test").replace(env!("CARGO_BIN_EXE_agentctl"), "/usr/local/bin/agentctl")
}

/// Compares a written file with `tests/fixtures/<name>` byte for byte
/// (`UPDATE_FIXTURES=1` rewrites the fixtures, to be reviewed in the diff).
fn assert_fixture(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    assert_eq!(actual, expected, "{name} differs from its fixture");
}

const GITHUB_TOKEN: &str = "ghp_secret_value_123";
const DB_PASSWORD: &str = "pw-secret-456";

/// An employee of a fresh organization with one agent of every tool, four MCP servers
/// (stdio; stdio with a secret in its environment; HTTP with a bearer token; SSE) and
/// org-wide policies. Returns the org, the employee's id and an enrollment code.
async fn managed_employee(app: &TestApp) -> (agentctl_tests::Org, String, String) {
    use serde_json::json;
    let org = app.create_org(&slug("sync")).await;
    let t = org.owner_token.clone();
    let id = |v: &serde_json::Value| v["id"].as_str().unwrap().to_string();
    let (status, body) =
        app.patch(&format!("/v1/orgs/{}", org.id), &app.platform_key, json!({ "max_agents_per_employee": 10 })).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let employee = app.add_employee(&org, "dev@sync.example", "member", None).await;
    let employee_id = id(&employee);
    let agents = [
        ("Claude Code", "claude-code", json!({ "model": "opus" })),
        ("Cursor", "cursor", json!({})),
        ("VS Code", "vscode", json!({})),
        ("Windsurf", "windsurf", json!({})),
        ("Gemini CLI", "gemini-cli", json!({})),
        ("Codex", "codex", json!({ "model": "gpt-5-codex" })),
    ];
    // Tools for the clients with rules: git pushes need approval, docker does not.
    let mut tools = Vec::new();
    for (name, kind, requires_approval) in [("git", "git", true), ("docker", "docker", false)] {
        let body = json!({ "name": name, "type": kind, "requires_approval": requires_approval });
        let (status, tool) = app.post("/v1/catalog/tools", &t, body).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{tool}");
        tools.push(id(&tool));
    }
    for (name, kind, default_config) in agents {
        let body = json!({ "name": name, "type": kind, "provider": "p", "default_config": default_config });
        let (status, agent) = app.post("/v1/catalog/agents", &t, body).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{agent}");
        let path = format!("/v1/employees/{employee_id}/agent-configs");
        let (status, config) = app.post(&path, &t, json!({ "agent_id": id(&agent) })).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{config}");
        if matches!(kind, "claude-code" | "gemini-cli") {
            for tool in &tools {
                let link = format!("/v1/catalog/agents/{}/tools/{tool}", id(&agent));
                let body = json!({ "config": { "commands": ["push"] } });
                let (status, linked) = app.call(reqwest::Method::PUT, &link, Some(&t), Some(body)).await;
                assert_eq!(status, reqwest::StatusCode::OK, "{linked}");
            }
        }
    }
    let secret = |field: &str| json!({ "type": "object", "required": [field], "properties": { field: { "type": "string", "writeOnly": true } } });
    let servers = [
        (
            json!({ "name": "files", "provider": "p", "version": "1", "transport": "stdio", "command": "npx",
                "args": ["-y", "@modelcontextprotocol/server-filesystem", "${root}"],
                "connection_schema": { "type": "object", "required": ["root"], "properties": { "root": { "type": "string" } } } }),
            json!({ "root": "/srv/code" }),
            None,
        ),
        (
            json!({ "name": "db", "provider": "p", "version": "1", "transport": "stdio", "command": "uvx",
                "args": ["mcp-db"], "env": { "DB_PASSWORD": "${password}" }, "connection_schema": secret("password") }),
            json!({}),
            Some(json!({ "password": DB_PASSWORD })),
        ),
        (
            json!({ "name": "github", "provider": "GitHub", "version": "1", "transport": "http",
                "url": "https://api.githubcopilot.com/mcp/", "headers": { "Authorization": "Bearer ${token}" },
                "connection_schema": secret("token") }),
            json!({}),
            Some(json!({ "token": GITHUB_TOKEN })),
        ),
        (
            json!({ "name": "events", "provider": "p", "version": "1", "transport": "sse", "url": "https://events.example.com/sse" }),
            json!({}),
            None,
        ),
    ];
    for (server, connection, credentials) in servers {
        let (status, server) = app.post("/v1/catalog/mcp-servers", &t, server).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{server}");
        let approval = format!("/v1/catalog/mcp-servers/{}/approval", id(&server));
        assert_eq!(app.call(reqwest::Method::PUT, &approval, Some(&t), None).await.0, reqwest::StatusCode::OK);
        let path = format!("/v1/employees/{employee_id}/mcp-configs");
        let body = json!({ "server_id": id(&server), "connection_config": connection });
        let (status, config) = app.post(&path, &t, body).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{config}");
        if let Some(credentials) = credentials {
            let path = format!("{path}/{}/credentials", id(&config));
            let response =
                app.call(reqwest::Method::PUT, &path, Some(&t), Some(json!({ "credentials": credentials }))).await;
            assert_eq!(response.0, reqwest::StatusCode::OK, "{}", response.1);
        }
    }
    let policies = [
        json!({ "name": "no-secrets", "policy_type": "filesystem", "rules": { "deny": ["/etc/**", "~/.ssh/**"] }, "severity": "block" }),
        json!({ "name": "docs-sites", "policy_type": "network", "rules": { "allow_domains": ["docs.rs"] }, "severity": "block" }),
        json!({ "name": "models", "policy_type": "models", "rules": { "allowed": ["sonnet", "opus"] }, "severity": "block" }),
        json!({ "name": "work-here", "policy_type": "filesystem", "rules": { "allow": ["/srv/code/**", "/tmp/*.log"] }, "severity": "block" }),
        json!({ "name": "no-wipe", "policy_type": "shell", "rules": { "deny": ["rm -rf *"] }, "severity": "block" }),
        json!({ "name": "no-paste", "policy_type": "network", "rules": { "deny_domains": ["pastebin.com"] }, "severity": "warn" }),
    ];
    for policy in policies {
        let (status, created) = app.post("/v1/policies", &t, policy).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{created}");
        let attach = format!("/v1/org/policies/{}", id(&created));
        let (status, body) = app.call(reqwest::Method::PUT, &attach, Some(&t), Some(json!({}))).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    }
    let code = app.issue_code(&org, &employee_id).await;
    (org, employee_id, code)
}

const USER_FILES: [(&str, &str); 7] = [
    (".claude.json", "claude.json"),
    (".claude/settings.json", "claude-settings.json"),
    (".cursor/mcp.json", "cursor-mcp.json"),
    (".config/Code/User/mcp.json", "vscode-mcp.json"),
    (".codeium/windsurf/mcp_config.json", "windsurf-mcp_config.json"),
    (".gemini/settings.json", "gemini-settings.json"),
    (".codex/config.toml", "codex-config.toml"),
];

#[tokio::test]
async fn sync_writes_every_tool_merging_with_the_users_files_and_keeps_secrets_out() {
    let app = TestApp::spawn().await;
    let (org, employee_id, code) = managed_employee(&app).await;
    let home = Home::new();
    // What the user had before: their own servers, settings and rules stay.
    home.write(".claude.json", "{\n  \"numStartups\": 3,\n  \"mcpServers\": {\n    \"mine\": {\n      \"type\": \"stdio\",\n      \"command\": \"my-server\"\n    }\n  }\n}\n");
    home.write(".claude/settings.json", "{\n  \"permissions\": {\n    \"deny\": [\"Bash(curl *)\"]\n  }\n}\n");
    home.write(
        ".cursor/mcp.json",
        "{\n  // my own servers\n  \"mcpServers\": {\n    \"local\": { \"command\": \"local-mcp\" }\n  }\n}\n",
    );
    home.write(
        ".codex/config.toml",
        "# my Codex settings\napproval_policy = \"on-request\"\n\n[mcp_servers.mine]\ncommand = \"my-server\"\n",
    );
    let out = home.run(&["login", "--server", &app.url, "--code", &code, "--no-sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // A dry run shows the diff and writes nothing.
    let before = home.read(".claude.json");
    let out = home.run(&["sync", "--dry-run"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("would write") && stdout.contains("+    \"github\": {"), "{stdout}");
    assert_eq!(home.read(".claude.json"), before);
    assert!(!home.path(".gemini/settings.json").exists());

    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("source ") && stdout.contains("secrets.env"), "{stdout}");
    let held: serde_json::Value = serde_json::from_str(&home.read(".config/agentctl/telemetry.json")).unwrap();
    let telemetry_token = held["token"].as_str().unwrap().to_string();
    for (file, fixture) in USER_FILES {
        let written = home.read(file);
        assert_fixture(fixture, &portable(&written, &app.url));
        for secret in [GITHUB_TOKEN, DB_PASSWORD, &telemetry_token] {
            assert!(!written.contains(secret), "{file} holds a secret");
        }
    }
    // The telemetry header is in the .env files Codex and Gemini CLI read, private.
    for env in [".codex/.env", ".gemini/.env"] {
        let expected = format!("OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20{telemetry_token}\n");
        assert!(home.read(env).ends_with(&expected), "{env}: {}", home.read(env));
        #[cfg(unix)]
        assert_eq!(mode(&home.path(env)), 0o600, "{env}");
    }
    #[cfg(unix)]
    assert_eq!(mode(&home.path(".config/agentctl/telemetry.json")), 0o600);
    assert_eq!(home.read(".claude.json.agentctl-backup"), before, "the previous file is kept");
    #[cfg(unix)]
    {
        assert_eq!(mode(&home.path(".claude.json")), 0o600);
        assert_eq!(mode(&home.path(".config/agentctl/secrets.json")), 0o600);
        assert_eq!(mode(&home.path(".config/agentctl/secrets.env")), 0o600);
    }
    assert!(
        home.read(".config/agentctl/secrets.env").contains(&format!("export AGENTCTL_GITHUB_TOKEN='{GITHUB_TOKEN}'"))
    );

    // What synced tools run for their secrets.
    let out = home.run(&["mcp-headers", "github"]).await;
    assert_eq!(text(&out.stdout).trim(), format!(r#"{{"Authorization":"Bearer {GITHUB_TOKEN}"}}"#));

    // Nothing changed on the server: nothing to do.
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("Up to date"), "{}", text(&out.stdout));

    // Status: who, where, as synced (exit 0); a local edit of a managed entry is drift
    // (exit 6), which the next sync restores although the server answers 304.
    let out = home.run(&["status", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cursor = status["clients"].as_array().unwrap().iter().find(|c| c["client"] == "cursor").unwrap().clone();
    assert_eq!(cursor["files"][0]["drift"], serde_json::json!([]), "{status}");
    assert_eq!(status["budget"]["state"], "ok");
    assert_eq!(status["server"], app.url.as_str());
    assert!(status["signed_in_as"].as_str().unwrap().contains("dev@sync.example"), "{status}");
    let synced_cursor = home.read(".cursor/mcp.json");
    let edited = synced_cursor.replace("https://events.example.com/sse", "https://evil.example.com/sse");
    home.write(".cursor/mcp.json", &edited);
    let out = home.run(&["status"]).await;
    assert_eq!(out.status.code(), Some(6), "drift is a documented exit code");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("changed locally: mcpServers.events: edited"), "{stdout}");
    assert!(stdout.starts_with(&format!("signed in to {} as Employee dev@sync.example", app.url)), "{stdout}");
    let claude_settings = home.read(".claude/settings.json");
    home.write(".claude/settings.json", &claude_settings.replace(", \"Bash(git push:*)\"", ""));
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("cursor       restored") && stdout.contains("claude-code  restored"), "{stdout}");
    assert_eq!(home.read(".cursor/mcp.json"), synced_cursor, "the managed entry is back");
    assert_eq!(home.read(".claude/settings.json"), claude_settings, "the removed rule is back");
    let out = home.run(&["status"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // That sync reported the device with the drift it found (the fleet), and the next
    // one, which found none, reported again.
    let (org_id, employee): (agentctl_shared::ids::OrgId, agentctl_shared::ids::EmployeeId) =
        (org.id.parse().unwrap(), employee_id.parse().unwrap());
    let devices = async || agentctl_shared::repo::fleet::of_employee(&app.state.repo, org_id, employee).await.unwrap();
    app.eventually("the drift is reported", async || devices().await.iter().any(|d| d.posture.drifted_files() == 2))
        .await;
    let reported = devices().await;
    assert_eq!(reported.len(), 1, "one device");
    let posture = &reported[0].posture;
    assert_eq!(posture.agentctl_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(posture.os, std::env::consts::OS);
    assert_eq!(posture.previous_sync, Some(agentctl_wire::fleet::SyncResult::Ok));
    assert!(posture.clients.iter().any(|c| c.client == agentctl_wire::catalog::AgentType::Cursor && c.managed));
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    app.eventually("the restored state is reported", async || devices().await[0].posture.drifted_files() == 0).await;

    // A corrupt file is reported by status (exit 5) and by a 304 sync, and left as it is.
    let claude_json = home.read(".claude.json");
    home.write(".claude.json", "{ broken");
    let out = home.run(&["status"]).await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains(".claude.json: corrupt"), "{}", text(&out.stdout));
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert_eq!(home.read(".claude.json"), "{ broken");
    home.write(".claude.json", &claude_json);
    home.write(".cursor/mcp.json", &edited);

    // The admin removes a server: it leaves every file; the user's entries stay.
    let t = &org.owner_token;
    let (_, configs) = app.get(&format!("/v1/employees/{employee_id}/mcp-configs"), t).await;
    let github = configs["items"].as_array().unwrap().iter().find(|c| c["server_name"] == "github").unwrap();
    let path = format!("/v1/employees/{employee_id}/mcp-configs/{}", github["id"].as_str().unwrap());
    assert_eq!(app.delete(&path, t).await.0, reqwest::StatusCode::NO_CONTENT);
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for (file, _) in USER_FILES {
        assert!(!home.read(file).contains("githubcopilot"), "{file} still has the removed server");
    }
    assert!(home.read(".claude.json").contains("\"mine\"") && home.read(".claude.json").contains("\"numStartups\": 3"));
    assert!(home.read(".cursor/mcp.json").contains("// my own servers"));
    assert!(home.read(".codex/config.toml").contains("[mcp_servers.mine]"));
    assert!(home.read(".cursor/mcp.json").contains("https://events.example.com/sse"), "the managed state is restored");
    assert!(!home.read(".config/agentctl/secrets.env").contains(GITHUB_TOKEN));

    // A corrupt file is reported and left as it is; --client limits the tools.
    home.write(".gemini/settings.json", "{ not json");
    let out = home.run(&["sync", "--client", "gemini-cli"]).await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert_eq!(home.read(".gemini/settings.json"), "{ not json");
    let out = home.run(&["sync", "--client", "cursor"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = home.run(&["sync", "--client", "nope"]).await;
    assert_eq!(out.status.code(), Some(2));

    // Logging out takes the telemetry token out of the tools' .env files too (agentctl
    // created them: they go).
    let out = home.run(&["logout"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for gone in [".codex/.env", ".gemini/.env", ".config/agentctl/telemetry.json"] {
        assert!(!home.path(gone).exists(), "{gone} is left after logout");
    }
    // And the server no longer takes it from whatever copy a tool still holds.
    let (status, _) = app.post("/v1/otlp/v1/logs", &telemetry_token, serde_json::json!({ "resourceLogs": [] })).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sync_system_writes_the_admin_enforced_tier() {
    let app = TestApp::spawn().await;
    let (_, _, code) = managed_employee(&app).await;
    let home = Home::new();
    let root = home.path("system-root");
    let out = home.run(&["login", "--server", &app.url, "--code", &code, "--no-sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = home.run_with(&["sync", "--system"], &[("AGENTCTL_SYSTEM_ROOT", &root)]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for (file, fixture) in [
        ("etc/claude-code/managed-settings.d/agentctl.json", "system-claude-managed-settings.json"),
        ("etc/claude-code/managed-mcp.json", "system-claude-managed-mcp.json"),
        ("etc/gemini-cli/settings.json", "system-gemini-settings.json"),
        ("etc/codex/requirements.toml", "system-codex-requirements.toml"),
    ] {
        let written = std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_fixture(fixture, &portable(&written, &app.url));
        assert!(!written.contains(GITHUB_TOKEN) && !written.contains(DB_PASSWORD), "{file} holds a secret");
    }
    assert!(!home.path(".claude.json").exists(), "the user tier is untouched");
}

/// Where scripts/test.sh installed the real clients from npm (`AGENTCTL_CLIENTS_BIN`); the
/// tests that run them say they are skipped without it.
fn clients_bin() -> Option<PathBuf> {
    let bin = std::env::var_os("AGENTCTL_CLIENTS_BIN").map(PathBuf::from);
    if bin.is_none() {
        println!("skipped: AGENTCTL_CLIENTS_BIN is not set (scripts/test.sh installs the clients with npm)");
    }
    bin
}

/// The real Codex enforces the admin tier's requirements.toml: with the system files sync
/// wrote laid over /etc (a private mount namespace, a read-only overlay: the machine's /etc
/// is untouched), `codex mcp list` shows the synced servers enabled and a server the user
/// added themselves disabled by the requirements.
#[tokio::test]
async fn codex_disables_servers_the_synced_requirements_do_not_allow() {
    let Some(bin) = clients_bin() else { return };
    let app = TestApp::spawn().await;
    let (_, _, code) = managed_employee(&app).await;
    let home = Home::new();
    let root = home.path("system-root");
    home.write(".codex/config.toml", "[mcp_servers.mine]\ncommand = \"my-server\"\n");
    let out = home.run(&["login", "--server", &app.url, "--code", &code, "--no-sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for args in [&["sync"][..], &["sync", "--system"]] {
        let out = home.run_with(args, &[("AGENTCTL_SYSTEM_ROOT", &root)]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let script = format!(
        "mount -t overlay agentctl-etc -o lowerdir={}:/etc /etc && exec '{}' mcp list",
        root.join("etc").display(),
        bin.join("codex").display()
    );
    let (home_dir, cwd) = (home.0.clone(), home.0.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("unshare")
            .args(["--mount", "sh", "-c", &script])
            .current_dir(cwd)
            .env("HOME", home_dir)
            .output()
            .expect("unshare (util-linux) runs")
    })
    .await
    .unwrap();
    let listed = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "a private mount namespace needs root (CI runs as root):\n{listed}");
    let status = |name: &str| {
        let line = listed.lines().find(|l| l.split_whitespace().next() == Some(name));
        line.unwrap_or_else(|| panic!("codex mcp list lacks {name}:\n{listed}")).to_string()
    };
    assert!(status("mine").contains("disabled: requirements"), "{listed}");
    for synced in ["db", "files", "github"] {
        let line = status(synced);
        assert!(line.contains("enabled") && !line.contains("disabled"), "{line}\n{listed}");
    }
}

/// The real tools, installed from npm by scripts/test.sh (`AGENTCTL_CLIENTS_BIN`), read
/// what `agentctl sync` wrote: each one's own listing command shows the managed servers
/// next to the user's own.
#[tokio::test]
async fn the_real_clients_list_what_sync_wrote() {
    let Some(bin) = clients_bin() else { return };
    let app = TestApp::spawn().await;
    let (_, _, code) = managed_employee(&app).await;
    let home = Home::new();
    home.write(".claude.json", r#"{"mcpServers":{"mine":{"type":"stdio","command":"my-server"}}}"#);
    home.write(".codex/config.toml", "[mcp_servers.mine]\ncommand = \"my-server\"\n");
    let out = home.run(&["login", "--server", &app.url, "--code", &code, "--no-sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let listing = |tool: &'static str, args: &'static [&'static str]| {
        let (bin, home) = (bin.join(tool), home.0.clone());
        tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new(&bin)
                .args(args)
                .env("HOME", &home)
                .env_remove("XDG_CONFIG_HOME")
                .output()
                .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
            // Some tools list on stderr.
            let listed = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert!(out.status.success(), "{tool}: {listed}");
            listed
        })
    };
    let claude = listing("claude", &["mcp", "list"]).await.unwrap();
    for line in [
        "mine: my-server",
        "db: agentctl mcp-exec db",
        "events: https://events.example.com/sse (SSE)",
        "files: npx -y @modelcontextprotocol/server-filesystem /srv/code",
        "github: https://api.githubcopilot.com/mcp/ (HTTP)",
    ] {
        assert!(claude.contains(line), "claude mcp list lacks {line:?}:\n{claude}");
    }
    let gemini = listing("gemini", &["mcp", "list"]).await.unwrap();
    for line in [
        "db: agentctl mcp-exec db (stdio)",
        "events: https://events.example.com/sse",
        "files: npx -y @modelcontextprotocol/server-filesystem /srv/code (stdio)",
        "github: https://api.githubcopilot.com/mcp/ (http)",
    ] {
        assert!(gemini.contains(line), "gemini mcp list lacks {line:?}:\n{gemini}");
    }
    let codex = listing("codex", &["mcp", "list"]).await.unwrap();
    let rows: Vec<Vec<&str>> = codex.lines().map(|l| l.split_whitespace().collect()).collect();
    let row = |name: &str| {
        rows.iter()
            .find(|r| r.first() == Some(&name))
            .unwrap_or_else(|| panic!("codex mcp list lacks {name}:\n{codex}"))
    };
    assert_eq!(row("mine")[1], "my-server");
    assert_eq!(row("db")[1..4], ["agentctl", "mcp-exec", "db"]);
    assert_eq!(row("github")[1..3], ["https://api.githubcopilot.com/mcp/", "AGENTCTL_GITHUB_TOKEN"]);
    assert!(!codex.contains("events"), "Codex has no SSE: not written:\n{codex}");
}

/// `claude doctor` (under a pseudo-terminal: it is interactive) reports settings files it
/// finds invalid; it finds none in what sync wrote, permission rules of policies and tools
/// included, while it does flag a broken project settings file beside them.
#[tokio::test]
async fn claude_doctor_finds_the_settings_sync_wrote_valid() {
    let Some(bin) = clients_bin() else { return };
    let app = TestApp::spawn().await;
    let (org, _, code) = managed_employee(&app).await;
    let home = Home::new();
    let out = home.run(&["login", "--server", &app.url, "--code", &code, "--no-sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The employee asks to push with git from Claude Code; the owner approves.
    let out = home.run(&["sync"]).await;
    assert!(text(&out.stdout).contains("tool git of Claude Code needs an approval"), "{}", text(&out.stdout));
    let out = home.run(&["request", "tool", "Claude Code", "git", "--reason", "release"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let request = text(&out.stdout).split(['(', ')']).nth(1).unwrap().to_string();
    let decision = serde_json::json!({ "decision": "approve" });
    let (status, body) = app.post(&format!("/v1/requests/{request}/decisions"), &org.owner_token, decision).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.0.join(".claude/settings.json")).unwrap()).unwrap();
    assert!(settings["permissions"]["ask"].as_array().unwrap().contains(&"Bash(git push:*)".into()), "{settings}");
    assert!(settings["permissions"]["deny"].as_array().unwrap().contains(&"Read(//etc/**)".into()), "{settings}");

    let project = home.0.join("project");
    std::fs::create_dir_all(project.join(".claude")).unwrap();
    std::fs::write(project.join(".claude/settings.json"), r#"{"permissions":{"deny":["Broken(("]}}"#).unwrap();
    let report = claude_doctor(&bin.join("claude"), &home.0, &project).await;
    assert!(report.contains("Invalid settings"), "the control is flagged:\n{report}");
    assert!(report.contains(&project.join(".claude/settings.json").display().to_string()), "{report}");
    let user_settings = home.0.join(".claude/settings.json").display().to_string();
    assert!(!report.contains(&user_settings), "what sync wrote is valid:\n{report}");
}

/// What `claude doctor` shows, as plain text: run under `script` for a terminal, read
/// until it offers to close (it then waits for a key), escape sequences taken out.
async fn claude_doctor(claude: &Path, home: &Path, cwd: &Path) -> String {
    use tokio::io::AsyncReadExt;
    let command = format!("stty cols 250; exec '{}' doctor", claude.display());
    let mut child = tokio::process::Command::new("script")
        .args(["-qfc", &command, "/dev/null"])
        .current_dir(cwd)
        .env("HOME", home)
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("script (util-linux) runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut raw = Vec::new();
    let read = async {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&chunk[..n]);
            if plain(&raw).contains("to close") {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(60), read).await;
    let _ = child.kill().await;
    plain(&raw)
}

/// Terminal output without its escape sequences, words separated by single spaces.
fn plain(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-letter; other escapes: ESC and one character.
            if chars.next_if_eq(&'[').is_some() {
                while chars.next().is_some_and(|c| !c.is_ascii_alphabetic() && c != '~') {}
            } else {
                chars.next();
            }
            out.push(' ');
        } else {
            out.push(if c.is_control() { ' ' } else { c });
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn requests_and_admin_tasks_from_the_cli() {
    use serde_json::json;
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("cli-req")).await;
    let t = &org.owner_token;
    let (status, agent) = app
        .post("/v1/catalog/agents", t, json!({ "name": "Coder", "type": "claude-code", "provider": "anthropic" }))
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{agent}");
    let member = app.add_employee(&org, "dev@req.example", "member", None).await;
    let admin = app.add_employee(&org, "admin@req.example", "admin", None).await;
    let (dev, boss) = (Home::new(), Home::new());
    for (home, employee) in [(&dev, &member), (&boss, &admin)] {
        let code = app.issue_code(&org, employee["id"].as_str().unwrap()).await;
        let out = home.run(&["login", "--server", &app.url, "--code", &code, "--no-sync"]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }

    // The employee asks by catalog name, and for budget.
    let out = dev.run(&["request", "mcp", "no-such-server"]).await;
    assert_eq!(out.status.code(), Some(1));
    // A server whose schema requires connection settings: named with --set when not at a
    // terminal (credentials are not asked for here), typed by the schema.
    let schema = json!({ "type": "object", "required": ["host", "port", "password"], "properties": {
        "host": { "type": "string" }, "port": { "type": "integer" }, "password": { "type": "string", "writeOnly": true } } });
    let server = json!({ "name": "warehouse", "provider": "p", "version": "1", "transport": "stdio", "command": "uvx",
        "args": ["mcp-db", "${host}", "${port}"], "env": { "PASSWORD": "${password}" }, "connection_schema": schema });
    let (status, created) = app.post("/v1/catalog/mcp-servers", t, server).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{created}");
    let out = dev.run(&["request", "mcp", "warehouse", "--set", "host=db.internal"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--set port=..."), "{}", text(&out.stderr));
    let out = dev.run(&["request", "mcp", "warehouse", "--set", "host=db.internal", "--set", "password=x"]).await;
    assert!(text(&out.stderr).contains("password is a credential"), "{}", text(&out.stderr));
    let args = ["request", "mcp", "warehouse", "--set", "host=db.internal", "--set", "port=5432", "--json"];
    let out = dev.run(&args).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let asked: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(asked["request_data"]["connection_config"], json!({ "host": "db.internal", "port": 5432 }), "{asked}");
    let out = dev.run(&["request", "cancel", asked["id"].as_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = dev.run(&["request", "budget", "5", "--reason", "tokens"]).await;
    assert!(
        text(&out.stdout).contains("It needs an approval by someone with the billing role or an owner."),
        "{}",
        text(&out.stdout)
    );
    let out = dev.run(&["request", "cancel", text(&out.stdout).split(['(', ')']).nth(1).unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = dev.run(&["request", "agent", "coder", "--reason", "to ship faster", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let request: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rid = request["id"].as_str().unwrap().to_string();
    let out = dev.run(&["request", "agent", "coder"]).await;
    assert_eq!(out.status.code(), Some(1), "a duplicate is refused");
    assert!(text(&out.stderr).contains("open new_agent request"), "{}", text(&out.stderr));
    let out = dev.run(&["request", "budget", "100.00", "--reason", "launch", "--json"]).await;
    let budget: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = dev.run(&["request", "cancel", budget["id"].as_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = dev.run(&["requests"]).await;
    let listed = text(&out.stdout);
    assert!(listed.contains("increase_budget cancelled") && listed.contains("new_agent       pending"), "{listed}");
    let out = dev.run(&["request", "agent", "no-such-agent"]).await;
    assert_eq!(out.status.code(), Some(1));

    // The admin decides from the CLI; the employee's next sync writes the new agent.
    let out = boss.run(&["admin", "pending"]).await;
    assert!(text(&out.stdout).contains(&rid), "{}", text(&out.stdout));
    let out = dev.run(&["admin", "pending"]).await;
    assert_eq!(out.status.code(), Some(1), "members decide nothing");
    let out = boss.run(&["admin", "approve", &rid, "--comment", "go"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("approved (1/1 approvals)"), "{}", text(&out.stdout));
    let out = dev.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("claude-code  written"), "{}", text(&out.stdout));

    let out = boss.run(&["admin", "employees"]).await;
    assert!(text(&out.stdout).contains("dev@req.example"), "{}", text(&out.stdout));
    let out = boss.run(&["admin", "enroll", member["id"].as_str().unwrap()]).await;
    assert!(text(&out.stdout).contains("agentctl login --server <URL> --code ace_"), "{}", text(&out.stdout));
    let out = boss.run(&["admin", "spending"]).await;
    assert!(text(&out.stdout).starts_with("0 of 1000 USD spent this period"), "{}", text(&out.stdout));

    // Exports: to a file (owner-only) or standard output; members may not.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let file = boss.path("activity.csv");
    let out = boss
        .run(&["admin", "export", "activity", "--from", &today, "--to", &today, "--output", file.to_str().unwrap()])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("Exported "), "{}", text(&out.stdout));
    let exported = std::fs::read_to_string(&file).unwrap();
    assert!(exported.starts_with("id,created_at,event_type,event_category,actor,employee_id,payload"), "{exported}");
    assert!(exported.contains(",request.approved,approval,"), "{exported}");
    assert_eq!(mode(&file), 0o600);
    let out = boss.run(&["admin", "export", "usage", "--from", &today, "--to", &today, "--format", "jsonl"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "no usage yet, and nothing else on standard output: {}", text(&out.stdout));
    let out = dev.run(&["admin", "export", "usage", "--from", &today, "--to", &today]).await;
    assert_eq!(out.status.code(), Some(1), "members export nothing");
    let out = boss.run(&["admin", "export", "usage", "--from", "yesterday", "--to", &today]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[tokio::test]
async fn removing_agents_removes_their_entries_and_the_containers_and_files_sync_created() {
    let app = TestApp::spawn().await;
    let (org, employee_id, code) = managed_employee(&app).await;
    let home = Home::new();
    home.write(".claude/settings.json", "{\n  \"theme\": \"dark\"\n}\n");
    // Login ends with the first sync, and says how to keep syncing (no terminal: no offer).
    let out = home.run(&["login", "--server", &app.url, "--code", &code, "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["employee"]["id"], employee_id.as_str(), "{answer}");
    assert_eq!(
        (&answer["sync"]["status"], &answer["background_sync"]["installed"]),
        (&serde_json::json!("synced"), &serde_json::json!(false))
    );
    assert!(home.path(".gemini/settings.json").exists());
    let out = home.run(&["sync"]).await;
    assert!(text(&out.stdout).starts_with("Up to date"), "{}", text(&out.stdout));

    let t = &org.owner_token;
    let (_, configs) = app.get(&format!("/v1/employees/{employee_id}/agent-configs"), t).await;
    for config in configs["items"].as_array().unwrap() {
        if ["Claude Code", "Gemini CLI", "Codex"].contains(&config["name"].as_str().unwrap()) {
            let path = format!("/v1/employees/{employee_id}/agent-configs/{}", config["id"].as_str().unwrap());
            assert_eq!(app.delete(&path, t).await.0, reqwest::StatusCode::NO_CONTENT);
        }
    }
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for line in ["gemini-cli   removed", "codex        removed", "claude-code  removed"] {
        assert!(stdout.contains(line), "{line:?} missing:\n{stdout}");
    }
    assert!(!home.path(".gemini/settings.json").exists(), "agentctl created it: it goes");
    assert!(!home.path(".codex/config.toml").exists());
    assert!(!home.path(".claude.json").exists());
    // The user's own file stays, without the empty containers agentctl made in it.
    assert_eq!(home.read(".claude/settings.json"), "{\n  \"theme\": \"dark\"\n}\n");
    assert!(stdout.contains("claude-code  written     ") && stdout.contains(".claude/settings.json"), "{stdout}");
}

/// A server on loopback that accepts connections and then does `answer` with each.
fn fake_server(answer: fn(std::net::TcpStream)) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::thread::spawn(move || answer(stream));
        }
    });
    (url, count)
}

#[tokio::test]
async fn servers_that_hang_or_stay_busy_end_in_a_clear_exit_3() {
    let home = Home::new();
    let one_second = [("AGENTCTL_TIMEOUT_SECS", Path::new("1"))];
    let (silent, _) = fake_server(|stream| {
        std::thread::sleep(std::time::Duration::from_secs(30));
        drop(stream);
    });
    let started = std::time::Instant::now();
    let out = home.run_with(&["login", "--server", &silent, "--code", "x"], &one_second).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no answer within 1 s"), "{}", text(&out.stderr));
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "it gave up on time");

    let (busy, requests) = fake_server(|mut stream| {
        use std::io::{Read, Write};
        let mut buffer = [0u8; 4096];
        let _ = stream.read(&mut buffer);
        let _ = stream.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    });
    let out = home.run_with(&["login", "--server", &busy, "--code", "x"], &one_second).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("busy (503 Service Unavailable) after 4 attempts"), "{}", text(&out.stderr));
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 4, "retried, honouring Retry-After: 0");
}

#[tokio::test]
async fn login_takes_the_url_the_dev_server_prints_and_logout_works_offline() {
    let app = TestApp::spawn().await;
    let (_, _, code) = managed_employee(&app).await;
    let home = Home::new();
    for bad in ["127.0.0.1:8080", "localhost", "ftp://example.com", "not a url"] {
        let out = home.run(&["login", "--server", bad, "--code", &code]).await;
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("with the scheme"), "{}", text(&out.stderr));
    }
    let out = home.run(&["login", "--server", &format!("{}/v1/", app.url), "--code", &code]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.session_file()).unwrap()).unwrap();
    assert_eq!(session["server"], app.url.as_str());
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(home.path(".config/agentctl/secrets.json").exists() && home.path(".config/agentctl/secrets.env").exists());

    // The server is gone: logout still forgets the session and the secrets, and says so.
    let offline = session.to_string().replace(&app.url, "http://127.0.0.1:9");
    std::fs::write(home.session_file(), offline).unwrap();
    let out = home.run(&["logout"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("could not be told") && stdout.contains("secrets.env"), "{stdout}");
    assert!(!home.session_file().exists());
    for file in ["secrets.json", "secrets.env", "bundle.json"] {
        assert!(!home.path(&format!(".config/agentctl/{file}")).exists(), "{file} is left");
    }
}

/// `agentctl login` running in the background, its stderr lines arriving on a channel
/// (it prints where to sign in, then waits for the browser side).
struct Running {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Running {
    fn start(home: &Home, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_agentctl"))
            .args(args)
            .env("HOME", &home.0)
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("BROWSER")
            .envs(envs.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let (sender, lines) = std::sync::mpsc::channel();
        let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in std::io::BufRead::lines(stderr).map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        Self { child, lines }
    }

    /// The first URL it printed that starts with `prefix` (waiting without blocking the
    /// runtime: the app answers agentctl on it).
    async fn url(&self, prefix: &str) -> String {
        for _ in 0..400 {
            while let Ok(line) = self.lines.try_recv() {
                if let Some(at) = line.find(prefix) {
                    return line[at..].split([' ', ')']).next().unwrap().to_string();
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("agentctl printed no {prefix} link within 20 s");
    }

    async fn finish(mut self) -> Output {
        tokio::task::spawn_blocking(move || {
            let status = self.child.wait().unwrap();
            let mut stdout = Vec::new();
            std::io::Read::read_to_end(self.child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
            let stderr: Vec<String> = self.lines.try_iter().collect();
            Output { status, stdout, stderr: stderr.join("\n").into_bytes() }
        })
        .await
        .unwrap()
    }
}

/// The organization signs in through the local identity provider.
async fn with_sso(app: &TestApp, slug: &str) -> (agentctl_tests::Org, agentctl_tests::idp::LocalIdp) {
    let org = app.create_org(slug).await;
    let idp = agentctl_tests::idp::LocalIdp::start().await;
    let (client_id, secret) = idp.register_client(&format!("{}/v1/oauth/callback", app.url)).await;
    let body = serde_json::json!({ "issuer": idp.issuer, "client_id": client_id, "client_secret": secret, "allowed_domains": [format!("{slug}.example")] });
    let (status, body) =
        app.call(reqwest::Method::PUT, "/v1/org/identity-provider", Some(&org.owner_token), Some(body)).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    (org, idp)
}

#[tokio::test]
async fn login_with_the_device_flow_then_sync_renews_the_session_silently() {
    // Access tokens shorter than the CLI's renewal margin: every command renews first.
    let app = TestApp::spawn_with(|c| c.access_token_ttl = chrono::Duration::minutes(1)).await;
    let slug = slug("dflow");
    let (org, idp) = with_sso(&app, &slug).await;
    app.add_employee(&org, &format!("dev@{slug}.example"), "member", None).await;
    let home = Home::new();

    let login = Running::start(&home, &["login", "--server", &app.url, "--org", &slug, "--no-browser"], &[]);
    let link = login.url(&format!("{}/v1/oauth/device?user_code=", app.url)).await;
    let browser = agentctl_tests::idp::browser();
    let code = agentctl_tests::idp::param(&link, "user_code").unwrap();
    let page = browser.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&code), "the page shows the code the terminal shows");
    let form = [("user_code", code.as_str()), ("action", "approve")];
    let to_idp = agentctl_tests::idp::location(
        &browser.post(format!("{}/v1/oauth/device", app.url)).form(&form).send().await.unwrap(),
    );
    let callback = idp.sign_in(&browser, &to_idp, &format!("dev@{slug}.example")).await;
    assert_eq!(browser.get(&callback).send().await.unwrap().status(), reqwest::StatusCode::OK);
    let out = login.finish().await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with(&format!("Logged in as Employee dev@{slug}.example")),
        "{}",
        text(&out.stdout)
    );

    let before: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.session_file()).unwrap()).unwrap();
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.session_file()).unwrap()).unwrap();
    assert_ne!(before["refresh_token"], after["refresh_token"], "renewed before the token ran out");
    let (status, _) = app.get("/v1/me", before["token"].as_str().unwrap()).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN, "the old access token is spent");
    #[cfg(unix)]
    assert_eq!(mode(&home.session_file()), 0o600);

    // Several commands at once renew one after the other, never spending a token twice.
    let runs = futures::future::join_all((0..3).map(|_| home.run(&["whoami"]))).await;
    assert!(
        runs.iter().all(|o| o.status.code() == Some(0)),
        "{:?}",
        runs.iter().map(|o| text(&o.stderr)).collect::<Vec<_>>()
    );
    let out = home.run(&["logout"]).await;
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test]
async fn login_through_a_browser_on_this_machine_uses_a_loopback_redirect() {
    let app = TestApp::spawn().await;
    let slug = slug("lflow");
    let (org, idp) = with_sso(&app, &slug).await;
    app.add_employee(&org, &format!("dev@{slug}.example"), "member", None).await;
    let home = Home::new();

    // `true` stands in for the browser: the test follows the printed link itself.
    let login = Running::start(&home, &["login", "--server", &app.url, "--org", &slug], &[("BROWSER", "true")]);
    let link = login.url(&format!("{}/v1/oauth/authorize?", app.url)).await;
    let browser = agentctl_tests::idp::browser();
    let to_idp = agentctl_tests::idp::location(&browser.get(&link).send().await.unwrap());
    let callback = idp.sign_in(&browser, &to_idp, &format!("dev@{slug}.example")).await;
    let loopback = agentctl_tests::idp::location(&browser.get(&callback).send().await.unwrap());
    assert!(loopback.starts_with("http://127.0.0.1:"), "{loopback}");
    let page = browser.get(&loopback).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("return to your terminal"));
    let out = login.finish().await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = home.run(&["whoami", "--json"]).await;
    let me: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(me["employee"]["email"], format!("dev@{slug}.example"));

    // An organization without single sign-on says so.
    let out = home.run(&["login", "--server", &app.url, "--org", "no-such-org", "--no-browser"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("single sign-on is not configured"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn the_budget_loop_from_the_cli_pauses_then_restores_the_agents() {
    use serde_json::json;
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("cli-loop")).await;
    let t = &org.owner_token;
    let (status, _) = app.patch("/v1/org", t, json!({ "budget_action": "pause" })).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let (_, agent) = app
        .post("/v1/catalog/agents", t, json!({ "name": "Coder", "type": "claude-code", "provider": "anthropic" }))
        .await;
    let body = json!({ "target": { "type": "organization" }, "item": { "type": "agent", "agent_id": agent["id"] } });
    assert_eq!(app.post("/v1/assignments", t, body).await.0, reqwest::StatusCode::CREATED);
    let member = app.add_employee(&org, "dev@loop.example", "member", None).await;
    let member_id = member["id"].as_str().unwrap();
    let cap =
        json!({ "name": "Cap", "policy_type": "spend_cap", "rules": { "monthly_usd": "1" }, "severity": "block" });
    let (_, policy) = app.post("/v1/policies", t, cap).await;
    let attach = format!("/v1/employees/{member_id}/policies/{}", policy["id"].as_str().unwrap());
    assert!(app.call(reqwest::Method::PUT, &attach, Some(t), Some(json!({}))).await.0.is_success());
    let (dev, boss) = (Home::new(), Home::new());
    let billing = app.add_employee(&org, "billing@loop.example", "billing", None).await;
    for (home, employee) in [(&dev, member_id), (&boss, billing["id"].as_str().unwrap())] {
        let code = app.issue_code(&org, employee).await;
        let out = home.run(&["login", "--server", &app.url, "--code", &code]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let out = dev.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!dev.read(".claude/settings.json").contains("\"Bash\""));

    // Usage past the cap (reported by the tool's telemetry; here straight to the API).
    let api_token = app.enroll_and_login(&org, member_id).await;
    let now = chrono::Utc::now().to_rfc3339();
    let events = json!({ "events": [{ "v": 1, "event_id": "loop-1", "resource_type": "llm_call", "quantity": 1, "cost_usd": "1.25", "period_start": now, "period_end": now }] });
    assert_eq!(app.post("/v1/usage", &api_token, events).await.0, reqwest::StatusCode::ACCEPTED);
    app.eventually("the cap is reached", async || {
        let (_, bundle) = app.get("/v1/me/sync", &api_token).await;
        !bundle["budget"]["paused"].is_null()
    })
    .await;
    let out = dev.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(said.contains("agents paused: Your spend cap of 1 USD"), "{said}");
    let settings = dev.read(".claude/settings.json");
    assert!(settings.contains("\"Bash\"") && settings.contains("\"WebFetch\""), "deny-all written: {settings}");
    let out = dev.run(&["status"]).await;
    assert!(text(&out.stdout).contains("agents paused"), "{}", text(&out.stdout));

    // The employee asks from the CLI, billing approves from the CLI, sync restores.
    let out = dev.run(&["request", "budget", "5", "--spend-cap", "--reason", "release week", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let request: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = boss.run(&["admin", "approve", request["id"].as_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = dev.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("agents paused"), "{}", text(&out.stdout));
    assert!(!dev.read(".claude/settings.json").contains("\"Bash\""), "the deny-all rule is gone");
}

#[tokio::test]
async fn an_assigned_server_waits_for_the_employees_own_credentials_set_from_the_cli() {
    use serde_json::json;
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("cli-asg")).await;
    let t = &org.owner_token;
    let (_, agent) = app
        .post("/v1/catalog/agents", t, json!({ "name": "Coder", "type": "claude-code", "provider": "anthropic" }))
        .await;
    let (_, server) = app
        .post("/v1/catalog/mcp-servers", t, json!({
            "name": "github", "provider": "GitHub", "version": "1", "transport": "stdio", "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-github"], "env": { "GITHUB_TOKEN": "${token}" },
            "connection_schema": { "type": "object", "required": ["token"], "properties": { "token": { "type": "string", "writeOnly": true } } },
        }))
        .await;
    let approval = format!("/v1/catalog/mcp-servers/{}/approval", server["id"].as_str().unwrap());
    assert_eq!(app.call(reqwest::Method::PUT, &approval, Some(t), None).await.0, reqwest::StatusCode::OK);
    for item in [
        json!({ "type": "agent", "agent_id": agent["id"] }),
        json!({ "type": "mcp_server", "server_id": server["id"] }),
    ] {
        let (status, body) =
            app.post("/v1/assignments", t, json!({ "target": { "type": "organization" }, "item": item })).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    }
    let member = app.add_employee(&org, "dev@asg.example", "member", None).await;
    let home = Home::new();
    let code = app.issue_code(&org, member["id"].as_str().unwrap()).await;
    assert_eq!(home.run(&["login", "--server", &app.url, "--code", &code]).await.status.code(), Some(0));

    // Assigned, but waiting for the member's own token: not written, and they are told how.
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(said.contains("agentctl mcp credentials set github"), "{said}");
    assert!(!home.read(".claude.json").contains("github"), "not configured without credentials");

    let out = home.run_input(&["mcp", "credentials", "set", "nope"], "x").await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = home.run_input(&["mcp", "credentials", "set", "github"], "token=ghp_mine\n").await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("ghp_mine"), "never echoed");
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(home.read(".claude.json").contains("\"github\""), "written once the credentials are set");
    assert!(!home.read(".claude.json").contains("ghp_mine"), "the secret stays in the secret store");
    assert!(home.read(".config/agentctl/secrets.json").contains("ghp_mine"));

    let out = home.run(&["mcp", "credentials", "clear", "github"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = home.run(&["sync"]).await;
    assert!(!home.read(".claude.json").contains("\"github\""), "{}", text(&out.stdout));
}

/// The real Claude Code, Codex and Gemini CLI, each run non-interactively against the
/// stand-in model APIs in a HOME that `agentctl sync` wired for telemetry: what each
/// tool exports by itself reaches agentctl and becomes that employee's and team's usage,
/// priced (Claude Code's own cost; Codex's and Gemini CLI's tokens from the list prices).
#[tokio::test]
async fn the_real_clients_report_their_usage_through_the_wiring_sync_wrote() {
    use agentctl_tests::model_apis;
    use agentctl_wire::money::Usd;
    use serde_json::json;
    let Some(bin) = clients_bin() else { return };
    let app = TestApp::spawn().await;
    let models = model_apis::start().await;
    let org = app.create_org(&slug("otel")).await;
    let t = &org.owner_token;
    let team = app.create_team(&org, "Platform").await;
    let employee = app.add_employee(&org, "dev@otel.example", "member", team["id"].as_str()).await;
    let employee_id = employee["id"].as_str().unwrap().to_string();
    for (name, kind) in [("Claude Code", "claude-code"), ("Codex", "codex"), ("Gemini CLI", "gemini-cli")] {
        let (_, agent) =
            app.post("/v1/catalog/agents", t, json!({ "name": name, "type": kind, "provider": "p" })).await;
        let path = format!("/v1/employees/{employee_id}/agent-configs");
        let (status, config) = app.post(&path, t, json!({ "agent_id": agent["id"] })).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{config}");
    }
    let code = app.issue_code(&org, &employee_id).await;
    let home = Home::new();
    // The developer's own set-up: each tool pointed at the stand-in for its model API.
    home.write(
        ".codex/config.toml",
        &format!(
            "model = \"{}\"\nmodel_provider = \"standin\"\n\n[model_providers.standin]\nname = \"standin\"\nbase_url = \"{models}/v1\"\nwire_api = \"responses\"\nenv_key = \"STANDIN_KEY\"\n",
            model_apis::OPENAI_MODEL
        ),
    );
    let gemini_settings = json!({ "security": { "auth": { "selectedType": "gemini-api-key" } }, "model": { "name": model_apis::GEMINI_MODEL } });
    home.write(".gemini/settings.json", &gemini_settings.to_string());
    let out = home.run(&["login", "--server", &app.url, "--code", &code]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = home.run(&["status"]).await;
    assert!(text(&out.stdout).contains("telemetry: on"), "{}", text(&out.stdout));

    let run = |tool: &'static str, args: Vec<String>| {
        let (bin, home, models) = (bin.join(tool), home.0.clone(), models.clone());
        tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new(&bin)
                .args(&args)
                .current_dir(&home)
                .env("HOME", &home)
                .env_remove("XDG_CONFIG_HOME")
                .envs([
                    ("ANTHROPIC_BASE_URL", models.as_str()),
                    ("ANTHROPIC_API_KEY", "standin"),
                    ("DISABLE_AUTOUPDATER", "1"),
                    ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
                    ("STANDIN_KEY", "standin"),
                    ("GOOGLE_GEMINI_BASE_URL", models.as_str()),
                    ("GEMINI_API_KEY", "standin"),
                    ("GEMINI_CLI_TRUST_WORKSPACE", "true"),
                ])
                .output()
                .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
            let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert!(out.status.success() && said.contains("Hello."), "{tool}: {said}");
            assert!(!said.contains("404") && !said.contains("403"), "{tool} reported a refused export: {said}");
        })
    };
    let prompt = || "say hello".to_string();
    run("claude", vec!["-p".into(), prompt(), "--model".into(), model_apis::ANTHROPIC_MODEL.into()]).await.unwrap();
    run("codex", vec!["exec".into(), "--skip-git-repo-check".into(), prompt()]).await.unwrap();
    run("gemini", vec!["-p".into(), prompt()]).await.unwrap();

    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today.to_string(), today.succ_opt().unwrap().to_string());
    let records = async || {
        let path = format!("/v1/usage/export?from={from}&to={to}&format=jsonl");
        let response = app.request(reqwest::Method::GET, &path, Some(t)).send().await.unwrap();
        let text = response.text().await.unwrap();
        text.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()).collect::<Vec<_>>()
    };
    let clients = async || {
        let records = records().await;
        ["claude-code", "codex", "gemini-cli"].map(|c| records.iter().any(|r| r["metadata"]["client"] == c))
    };
    app.eventually("every tool's usage arrives", async || clients().await == [true; 3]).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let records = records().await;
    let dec = |s: &str| Usd::parse(s).unwrap().normalize();
    let cost = |client: &str| {
        let of = records.iter().filter(|r| r["metadata"]["client"] == client);
        of.map(|r| dec(r["cost_usd"].as_str().unwrap())).sum::<Usd>().normalize()
    };
    let tokens = |client: &str, kind: &str| {
        let of = records.iter().filter(|r| r["metadata"]["client"] == client && r["metadata"]["token_type"] == kind);
        of.map(|r| r["quantity"].as_u64().unwrap()).sum::<u64>()
    };
    assert!(records.iter().all(|r| r["employee_id"] == employee_id.as_str()), "as the employee");
    // Claude Code: its own price of 1200 input and 300 output tokens of Sonnet 4.5.
    assert_eq!((tokens("claude-code", "input"), tokens("claude-code", "output")), model_apis::ANTHROPIC_TOKENS);
    assert_eq!(cost("claude-code"), dec("0.0081"));
    // Codex: 800 fresh + 200 cached input, 400 output, from the list prices.
    assert_eq!((tokens("codex", "input"), tokens("codex", "cache_read"), tokens("codex", "output")), (800, 200, 400));
    assert_eq!(cost("codex"), dec("0.005025"));
    // Gemini CLI: its cumulative 900 input (cached included) and 250 output tokens.
    assert_eq!((tokens("gemini-cli", "input"), tokens("gemini-cli", "output")), (900, 250));
    assert_eq!(cost("gemini-cli"), dec("0.003625"));
    let total = dec("0.0081") + dec("0.005025") + dec("0.003625");
    let (_, teams) = app.get(&format!("/v1/usage/teams?from={from}&to={to}"), t).await;
    let platform = teams["items"].as_array().unwrap().iter().find(|team| team["team_name"] == "Platform").unwrap();
    assert_eq!(dec(platform["total_cost_usd"].as_str().unwrap()), total, "{teams}");
    let (_, by_employee) = app.get(&format!("/v1/usage/breakdown?by=employee&from={from}&to={to}"), t).await;
    assert_eq!(by_employee["items"][0]["id"], employee_id.as_str());
    assert_eq!(dec(by_employee["items"][0]["usage"]["cost_usd"].as_str().unwrap()), total);
    let stored = serde_json::to_string(&records).unwrap();
    assert!(!stored.contains("say hello"), "no prompt is stored");

    // Turned off by the organization: the next sync takes the wiring out again.
    let (status, _) = app.patch("/v1/org", t, json!({ "telemetry": "off" })).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let out = home.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for file in [".claude/settings.json", ".codex/config.toml", ".gemini/settings.json"] {
        // Claude Code's settings file was agentctl's alone: it goes with the last entry.
        let written = std::fs::read_to_string(home.path(file)).unwrap_or_default();
        assert!(!written.contains("otlp") && !written.contains("otel"), "{file}: {written}");
    }
    assert!(home.read(".gemini/settings.json").contains("gemini-api-key"), "the user's own settings stay");
    for gone in [".codex/.env", ".gemini/.env", ".config/agentctl/telemetry.json"] {
        assert!(!home.path(gone).exists(), "{gone} is removed");
    }
    let out = home.run(&["status"]).await;
    assert!(text(&out.stdout).contains("telemetry: off"), "{}", text(&out.stdout));
}

/// Background sync on Linux: `service install` writes a systemd user timer and service
/// (checked by `systemd-analyze verify` where it is installed), the service's own
/// command line syncs (then takes the 304 path), `status` reads the schedule back and
/// `uninstall` removes it.
#[tokio::test]
async fn background_sync_is_a_systemd_user_timer_running_sync() {
    use serde_json::json;
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("svc")).await;
    let employee = app.add_employee(&org, "dev@svc.example", "member", None).await;
    let employee_id = employee["id"].as_str().unwrap();
    let (_, agent) = app
        .post("/v1/catalog/agents", &org.owner_token, json!({ "name": "CC", "type": "claude-code", "provider": "p" }))
        .await;
    let path = format!("/v1/employees/{employee_id}/agent-configs");
    assert_eq!(
        app.post(&path, &org.owner_token, json!({ "agent_id": agent["id"] })).await.0,
        reqwest::StatusCode::CREATED
    );
    let code = app.issue_code(&org, employee_id).await;
    let home = Home::new();
    // At a terminal, login syncs and offers background sync; yes installs it.
    let out = home.run_at_a_terminal(&["login", "--server", &app.url, "--code", &code], "y\n").await;
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("in the background, every 30 minutes? [Y/n]"), "{said}");
    assert!(home.read(".config/systemd/user/agentctl-sync.timer").contains("OnUnitActiveSec=30min\n"), "{said}");
    assert!(home.path(".claude.json").exists(), "the first sync ran: {said}");

    let out = home.run(&["service", "install", "--every", "4"]).await;
    assert_eq!(out.status.code(), Some(2), "bounded: {}", text(&out.stderr));
    let out = home.run(&["service", "install", "--every", "15", "--no-start"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("systemctl --user enable --now agentctl-sync.timer"), "{}", text(&out.stdout));
    let (service, timer) = (".config/systemd/user/agentctl-sync.service", ".config/systemd/user/agentctl-sync.timer");
    let unit = home.read(service);
    assert!(home.read(timer).contains("OnUnitActiveSec=15min\nRandomizedDelaySec=180s\n"), "{}", home.read(timer));
    if let Ok(verify) = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .args([home.path(service), home.path(timer)])
        .output()
    {
        let said = format!("{}{}", text(&verify.stdout), text(&verify.stderr));
        assert!(verify.status.success(), "systemd-analyze verify: {said}");
    }

    // What the timer runs: the service's command line, as systemd would split it.
    let exec = unit.lines().find_map(|l| l.strip_prefix("ExecStart=")).unwrap().to_string();
    let words: Vec<&str> = exec.split(' ').collect();
    assert_eq!(words, [env!("CARGO_BIN_EXE_agentctl"), "sync"]);
    let out = home.run(&words[1..]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(home.path(".claude/settings.json").exists() || home.path(".claude.json").exists());
    let out = home.run(&words[1..]).await;
    assert!(text(&out.stdout).starts_with("Up to date"), "the next run takes the 304 path: {}", text(&out.stdout));
    let out = home.run(&["sync", "--jitter", "1"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let out = home.run(&["service", "status"]).await;
    assert_eq!(text(&out.stdout).trim(), "background sync: installed, every 15 minutes");
    let out = home.run(&["service", "uninstall"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!home.path(service).exists() && !home.path(timer).exists());
    let out = home.run(&["service", "status"]).await;
    assert!(text(&out.stdout).contains("not installed"), "{}", text(&out.stdout));
}
