//! `agentctl`: the employee CLI. It logs in with an enrollment code, syncs the managed
//! configuration into the local agent tools, reports drift, files requests, and covers
//! the common admin tasks.
//!
//! Exit codes: 0 success; 1 the server refused the request; 2 bad usage; 3 the server
//! cannot be reached (or stayed busy); 4 not logged in, or the session expired or was
//! revoked; 5 a local file is corrupt (it is left as it is); 6 (`status`) managed files
//! changed locally since the last sync.

mod api;
mod apply;
mod clients;
mod connection;
#[cfg(test)]
mod enforcement;
mod files;
mod jsonfile;
mod login;
mod platform;
mod render;
mod service;
mod session;
mod state;
mod sync;
mod telemetry;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::{Value, json};

use crate::api::{Api, CliError};
use agentctl_wire::Name;
use agentctl_wire::bundle::{BundleBudget, Source};
use agentctl_wire::catalog::{AgentSpec, Entry, Kind, McpServerSpec, ToolSpec};
use agentctl_wire::configs::CredentialsUpdate;
use agentctl_wire::employees::Employee;
use agentctl_wire::ids::{EmployeeId, RequestId};
use agentctl_wire::money::Usd;
use agentctl_wire::page::Page;
use agentctl_wire::requests::{
    AgentRequest, AgentWanted, BudgetScope, BudgetWanted, Cancellation, Decision, DecisionKind, McpWanted, NewRequest,
    RequestView, ToolWanted, Wanted,
};
use agentctl_wire::roles::RoleName;
use agentctl_wire::sessions::{EnrollmentCode, Me};
use agentctl_wire::subscriptions::Subscription;
use agentctl_wire::text::is_bidi_control;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::clients::Client;
use crate::session::Session;

#[derive(Parser)]
#[command(name = "agentctl", version, about = "Your organization's AI coding agents, configured for you")]
struct Cli {
    /// Machine-readable output (JSON) instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign this machine in: through your organization's identity provider (--org), or
    /// with an enrollment code from your admin (--code).
    #[command(group(clap::ArgGroup::new("how").required(true).args(["org", "code"])))]
    Login {
        /// The agentctl server, e.g. https://agentctl.example.com (a trailing /v1 is fine)
        #[arg(long)]
        server: String,
        /// Your organization's short name (slug): sign in with its identity provider.
        #[arg(long)]
        org: Option<String>,
        /// A one-time enrollment code instead.
        #[arg(long)]
        code: Option<String>,
        /// Confirm a code in any browser (the device flow) instead of opening one here.
        #[arg(long)]
        no_browser: bool,
        /// Do not sync right after signing in (nor offer background sync).
        #[arg(long)]
        no_sync: bool,
    },
    /// End this machine's session (on the server too).
    Logout,
    /// Who you are logged in as.
    Whoami,
    /// Write your managed agents' configuration into their local files.
    Sync {
        /// Show what would change (a diff) without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// Only these tools (claude-code, cursor, vscode, windsurf, gemini-cli, codex).
        #[arg(long = "client", value_parser = parse_client)]
        clients: Vec<Client>,
        /// Write the admin-enforced tier (/etc/...) instead: run as root or by device management.
        #[arg(long)]
        system: bool,
        /// Wait a random 0 to SECONDS first (scheduled syncs, so machines do not all ask at once).
        #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(0..=3600))]
        jitter: Option<u32>,
    },
    /// Sync in the background: a per-user schedule (systemd timer, launchd agent, Task Scheduler).
    Service {
        #[command(subcommand)]
        task: ServiceCommand,
    },
    /// Local files against the managed state, tools installed, last sync, budget.
    Status {
        /// The admin-enforced tier written by `sync --system`.
        #[arg(long)]
        system: bool,
    },
    /// Ask for an agent, an MCP server or more budget.
    Request {
        #[command(subcommand)]
        what: RequestCommand,
    },
    /// Your requests and their status.
    Requests {
        /// pending, approved, rejected or cancelled.
        #[arg(long)]
        status: Option<String>,
    },
    /// Your MCP servers' credentials.
    Mcp {
        #[command(subcommand)]
        task: McpCommand,
    },
    /// Admin tasks: employees, enrollment codes, approvals, spending.
    Admin {
        #[command(subcommand)]
        task: AdminCommand,
    },
    /// Start an MCP server with its credentials (what synced tool configs run).
    #[command(hide = true)]
    McpExec { name: String },
    /// Print an MCP server's credential headers as JSON (Claude Code's headersHelper).
    #[command(hide = true)]
    McpHeaders { name: String },
    /// Your agent tools' usage telemetry, as sync wires it.
    Telemetry {
        #[command(subcommand)]
        task: TelemetryCommand,
    },
}

#[derive(Subcommand)]
enum ServiceCommand {
    /// Schedule `agentctl sync` every N minutes for this user, with jitter.
    Install {
        /// Minutes between syncs (5 to 1440).
        #[arg(long, default_value_t = 30)]
        every: u32,
        /// Write the scheduler's files only; do not load them (images built by device management).
        #[arg(long)]
        no_start: bool,
    },
    /// Stop and remove the schedule.
    Uninstall,
    /// Whether a schedule is installed, and how often it syncs.
    Status,
}

#[derive(Subcommand)]
enum TelemetryCommand {
    /// Print the headers of the tools' telemetry exports as JSON (Claude Code's
    /// otelHeadersHelper runs this).
    Headers,
}

#[derive(Subcommand)]
enum RequestCommand {
    /// An agent of the catalog, by name or id.
    Agent {
        agent: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// An MCP server of the catalog, by name or id, with the connection settings its
    /// schema requires (asked for at a terminal; otherwise each given with --set).
    Mcp {
        server: String,
        #[arg(long)]
        reason: Option<String>,
        /// A connection setting, key=value (repeatable); credentials are not set here.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
    /// More monthly budget, in USD (an exact decimal such as 250.00): the organization's,
    /// or with --spend-cap your own spend cap for this billing period.
    Budget {
        amount_usd: String,
        #[arg(long)]
        reason: String,
        /// Raise your own spend cap (this billing period) rather than the organization's budget.
        #[arg(long)]
        spend_cap: bool,
    },
    /// The use of a tool that requires approval, with one of your agents (both by name
    /// or id).
    Tool {
        agent: String,
        tool: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Withdraw one of your pending requests.
    Cancel { id: String },
}

#[derive(Subcommand)]
enum McpCommand {
    /// Set or remove your own credentials for an MCP server you synced.
    Credentials {
        #[command(subcommand)]
        action: CredentialsAction,
    },
}

#[derive(Subcommand)]
enum CredentialsAction {
    /// Set them: typed at the terminal without echo, or read from standard input as
    /// `field=value` lines (a bare value when the server has one credential field).
    Set { server: String },
    /// Remove them.
    Clear { server: String },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// The organization's employees.
    Employees,
    /// A one-time enrollment code for an employee (shown once).
    Enroll { employee_id: String },
    /// The requests waiting for your decision, oldest first.
    Pending {
        #[arg(long = "type")]
        request_type: Option<String>,
        #[arg(long)]
        team: Option<String>,
    },
    /// Approve a request.
    Approve {
        id: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reject a request.
    Reject {
        id: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Spending against the monthly budget.
    Spending,
    /// Export raw usage records (finance) or the activity log (audit), as CSV or JSON
    /// Lines, to a file or standard output.
    Export {
        #[arg(value_parser = ["usage", "activity"])]
        what: String,
        /// First day, `YYYY-MM-DD` (UTC).
        #[arg(long)]
        from: String,
        /// Last day, included, `YYYY-MM-DD` (UTC).
        #[arg(long)]
        to: String,
        #[arg(long, value_parser = ["csv", "jsonl"], default_value = "csv")]
        format: String,
        /// Write to this file (created owner-only) rather than standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

fn parse_client(name: &str) -> Result<Client, String> {
    clients::parse(name)
        .ok_or_else(|| format!("unknown client {name:?}: one of {}", Client::CLIENTS.map(Client::as_str).join(", ")))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    api::show_progress(cli.json);
    match run(&cli).await {
        Ok(output) => {
            print(&cli, &output);
            ExitCode::from(output.exit_code)
        }
        Err(e) => {
            eprintln!("agentctl: {}", terminal_safe(&e.to_string()));
            ExitCode::from(e.exit_code())
        }
    }
}

/// What a command reports: text for people, JSON for scripts, and its exit code.
struct Output {
    text: String,
    json: Value,
    exit_code: u8,
}

impl Output {
    fn new(text: impl Into<String>, json: Value) -> Self {
        Self { text: text.into(), json, exit_code: 0 }
    }

    /// An answer of the API: `text` for people, the answer itself for scripts.
    fn answer(text: impl Into<String>, answer: &impl Serialize) -> Self {
        Self::new(text, serde_json::to_value(answer).expect("wire types serialize"))
    }
}

fn print(cli: &Cli, output: &Output) {
    // An export to standard output has written its data already.
    if cli.json && !output.json.is_null() {
        println!("{}", output.json);
    } else if !output.text.is_empty() {
        println!("{}", terminal_safe(&output.text));
    }
}

/// Text as a terminal may show it: control characters other than newline and tab, and
/// bidirectional formatting characters, become visible escapes (`\u{1b}`), so nothing
/// the server or a file holds can move the cursor, recolour, retitle or reorder output.
pub(crate) fn terminal_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// This machine's name as sessions lists show it: the host name, printable characters
/// only, at most 100 of them; none when nothing is left.
fn device_name() -> Option<String> {
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    let name: String = host.chars().filter(|c| !c.is_control() && !is_bidi_control(*c)).take(100).collect();
    Some(name.trim().to_string()).filter(|n| !n.is_empty())
}

async fn api() -> Result<Api, CliError> {
    Ok(Api::with(&Session::fresh().await?))
}

async fn run(cli: &Cli) -> Result<Output, CliError> {
    match &cli.command {
        Command::Login { server, org, code, no_browser, no_sync } => {
            let server = api::server_url(server)?;
            let mut session = match (org, code) {
                (_, Some(code)) => login::with_code(server, code, device_name()).await?,
                (Some(org), None) => {
                    let browser = !no_browser && login::browser_available();
                    login::with_sso(server, org, device_name(), browser).await?
                }
                (None, None) => unreachable!("clap requires one"),
            };
            let me: Me = Api::with(&session).get("/v1/me").await?;
            session.who = Some(describe(&me));
            session.save()?;
            let signed_in = Output::answer(format!("Logged in as {}", describe(&me)), &me);
            if *no_sync {
                return Ok(signed_in);
            }
            Ok(first_sync(signed_in).await)
        }
        Command::Logout => logout().await,
        Command::Whoami => {
            let me: Me = api().await?.get("/v1/me").await?;
            Ok(Output::answer(describe(&me), &me))
        }
        Command::Sync { dry_run, clients, system, jitter } => {
            if let Some(jitter) = jitter.filter(|j| *j > 0) {
                let wait = rand::random_range(0..=u64::from(jitter));
                tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
            }
            let options = sync::Options { dry_run: *dry_run, clients: clients.clone(), system: *system };
            Ok(sync_output(&sync::sync(&options).await?))
        }
        Command::Service { task } => service_command(task),
        Command::Status { system } => Ok(status_output(&sync::status(*system)?, Session::find()?.as_ref())),
        Command::Request { what } => request(what).await,
        Command::Requests { status } => {
            let query: Vec<(&str, &str)> = status.iter().map(|s| ("status", s.as_str())).collect();
            let page: Page<AgentRequest> = api().await?.get_query("/v1/me/requests", &query).await?;
            Ok(Output::answer(request_lines(&page.items), &page))
        }
        Command::Mcp { task: McpCommand::Credentials { action } } => credentials(action).await,
        Command::Admin { task } => admin(task).await,
        Command::McpExec { name } => exec(name),
        Command::McpHeaders { name } => {
            let headers = sync::secret_entry(name)?["headers"].clone();
            Ok(Output::new(headers.to_string(), headers))
        }
        Command::Telemetry { task: TelemetryCommand::Headers } => {
            let headers = telemetry::headers()?;
            Ok(Output::new(headers.to_string(), headers))
        }
    }
}

/// Ends the session on the server (if it can be told) and forgets it here, with the
/// secrets the syncs wrote.
async fn logout() -> Result<Output, CliError> {
    // An expired access token is renewed first, so the server can end the session.
    let session = Session::load()?;
    let session = Session::fresh().await.unwrap_or(session);
    let told = match Api::with(&session).delete("/v1/sessions/current").await {
        // Already over on the server: forget it here all the same.
        Ok(()) | Err(CliError::SessionExpired) => Ok(()),
        Err(e @ CliError::Unreachable { .. }) => Err(e),
        Err(e) => return Err(e),
    };
    Session::forget()?;
    let removed = sync::forget_secrets()?;
    let mut lines = vec!["Logged out".to_string()];
    if !removed.is_empty() {
        let names: Vec<String> = removed.iter().map(|p| p.display().to_string()).collect();
        lines.push(format!("Removed the synced credentials: {}", names.join(", ")));
    }
    if let Err(e) = &told {
        lines.push(format!("The server could not be told ({e}): the session ends there when it expires."));
    }
    let json = json!({ "logged_out": true, "server_told": told.is_ok(), "removed": removed });
    Ok(Output::new(lines.join("\n"), json))
}

fn describe(me: &Me) -> String {
    format!(
        "{} <{}>, {} of {} ({})",
        me.employee.full_name,
        me.employee.email,
        me.role.as_str(),
        me.organization.name,
        me.organization.slug,
    )
}

fn budget_line(budget: Option<&BundleBudget>) -> String {
    match budget {
        Some(b) => {
            let mut line = format!("budget: {}", b.state.as_str());
            if b.threshold_pct > 0 {
                line.push_str(&format!(" ({}% of the monthly budget reached)", b.threshold_pct));
            }
            if b.spend_cap.as_ref().is_some_and(|cap| cap.reached) {
                line.push_str("; your monthly spend cap is reached");
            }
            if let Some(pause) = &b.paused {
                line.push_str(&format!("\nagents paused: {}", terminal_safe(&pause.message)));
            }
            line
        }
        None => "budget: unknown (never synced)".into(),
    }
}

/// What `login` does after signing in: the first sync (a failure is reported, the login
/// stands), then, at a terminal, the offer of background sync unless it is installed.
async fn first_sync(signed_in: Output) -> Output {
    let mut out = signed_in;
    let options = sync::Options { dry_run: false, clients: Vec::new(), system: false };
    let synced = match sync::sync(&options).await {
        Ok(report) => sync_output(&report),
        Err(e) => Output::new(
            format!("warning: the first sync failed ({}); run `agentctl sync`", terminal_safe(&e.to_string())),
            json!({ "status": "failed", "error": e.to_string() }),
        ),
    };
    out.text = format!("{}\n{}", out.text, synced.text);
    out.json["sync"] = synced.json;
    let background = match service::status() {
        Ok(found) if found.installed => None,
        Ok(_) if at_a_terminal() && confirm("Keep your tools in sync in the background, every 30 minutes? [Y/n] ") => {
            Some(service_command(&ServiceCommand::Install { every: 30, no_start: false }))
        }
        _ => Some(Ok(Output::new(
            "Sync again with `agentctl sync`, or in the background with `agentctl service install`.",
            json!({ "installed": false }),
        ))),
    };
    match background {
        Some(Ok(offered)) => {
            out.text = format!("{}\n{}", out.text, offered.text);
            out.json["background_sync"] = offered.json;
        }
        Some(Err(e)) => out.text = format!("{}\nwarning: background sync was not installed ({e})", out.text),
        None => {}
    }
    out
}

/// Whether a person is at the keyboard (standard input and error are a terminal).
fn at_a_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// A yes/no question on standard error; an empty answer is yes, no answer (end of input) no.
fn confirm(question: &str) -> bool {
    eprint!("{question}");
    let mut line = String::new();
    let answered = std::io::stdin().read_line(&mut line).is_ok_and(|read| read > 0);
    answered && matches!(line.trim().to_lowercase().as_str(), "" | "y" | "yes")
}

fn sync_output(report: &sync::Report) -> Output {
    // After a 304 only what the reconciliation changed is worth a line.
    let shown: Vec<&sync::FileOutcome> =
        report.files.iter().filter(|f| !report.not_modified || f.action != "unchanged").collect();
    let mut lines = Vec::new();
    for file in &shown {
        lines.push(format!("{:<12} {:<11} {}", file.client.as_str(), file.action, file.path.display()));
        if let Some(diff) = &file.diff {
            lines.push(diff.trim_end().to_string());
        }
    }
    if report.not_modified && shown.is_empty() {
        lines.push("Up to date: nothing changed on the server, and every managed file is as synced.".into());
    } else if report.not_modified {
        lines.push("Nothing changed on the server; the managed entries changed locally were put back.".into());
    } else if report.files.is_empty() {
        lines.push("No managed agent tools: nothing to write.".into());
    }
    lines.extend(report.conflicts.iter().map(|c| format!("note: {c}")));
    lines.extend(report.warnings.iter().map(|w| format!("warning: {w}")));
    if report.env_secrets {
        lines.push(format!(
            "Credentials for tools that read them from the environment: `source {}` in your shell profile.",
            files::config_dir().map(|d| d.join("secrets.env").display().to_string()).unwrap_or_default()
        ));
    }
    lines.push(budget_line(report.budget.as_ref()));
    let files: Vec<Value> = report
        .files
        .iter()
        .map(|f| json!({ "client": f.client.as_str(), "path": f.path, "action": f.action, "diff": f.diff }))
        .collect();
    let status = if report.not_modified { "not_modified" } else { "synced" };
    Output::new(
        lines.join("\n"),
        json!({ "status": status, "files": files, "conflicts": report.conflicts, "warnings": report.warnings, "budget": report.budget }),
    )
}

/// Exit code of `status` when a managed file changed locally (corrupt files exit 5).
const EXIT_DRIFT: u8 = 6;

fn service_command(task: &ServiceCommand) -> Result<Output, CliError> {
    let shown = |paths: &[std::path::PathBuf]| paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
    match task {
        ServiceCommand::Install { every, no_start } => {
            let schedule = service::Schedule::new(*every)?;
            let done = service::install(schedule, !no_start)?;
            let mut lines: Vec<String> = shown(&done.files).into_iter().map(|f| format!("written     {f}")).collect();
            match &done.not_started {
                None => lines.push(format!(
                    "agentctl sync now runs every {every} minutes (up to {}s later, at random)",
                    schedule.jitter_seconds()
                )),
                Some(why) => {
                    lines.push(format!("not started ({}); to start it:", terminal_safe(why)));
                    lines.extend(done.start.iter().map(|c| format!("  {}", terminal_safe(c))));
                }
            }
            let json = json!({ "files": shown(&done.files), "every_minutes": every,
                "jitter_seconds": schedule.jitter_seconds(), "started": done.not_started.is_none(),
                "not_started": done.not_started });
            Ok(Output::new(lines.join("\n"), json))
        }
        ServiceCommand::Uninstall => {
            let done = service::uninstall()?;
            let mut lines: Vec<String> = shown(&done.files).into_iter().map(|f| format!("removed     {f}")).collect();
            if let Some(why) = &done.not_started {
                lines.push(format!("the scheduler said: {}", terminal_safe(why)));
            }
            lines.push("agentctl no longer syncs in the background".into());
            Ok(Output::new(lines.join("\n"), json!({ "removed": shown(&done.files) })))
        }
        ServiceCommand::Status => {
            let found = service::status()?;
            let line = match (found.installed, found.every_minutes) {
                (true, Some(every)) => format!("background sync: installed, every {every} minutes"),
                (true, None) => "background sync: installed".to_string(),
                (false, _) => "background sync: not installed (`agentctl service install`)".to_string(),
            };
            let json = json!({ "installed": found.installed, "every_minutes": found.every_minutes,
                "files": shown(&found.files) });
            Ok(Output::new(line, json))
        }
    }
}

fn telemetry_line(status: &sync::Status) -> String {
    match (status.telemetry, status.telemetry_expires_at) {
        (Some(true), Some(until)) => format!(
            "telemetry: on (Claude Code, Codex and Gemini CLI report usage to agentctl; token valid until {})",
            until.format("%Y-%m-%d")
        ),
        (Some(true), None) => "telemetry: on, but no token here: run `agentctl sync`".into(),
        (Some(false), _) => "telemetry: off (turned off by your organization)".into(),
        (None, _) => "telemetry: unknown (never synced)".into(),
    }
}

fn status_output(status: &sync::Status, session: Option<&Session>) -> Output {
    let signed_in = match session {
        Some(s) => format!("signed in to {} as {}", s.server, s.who.as_deref().unwrap_or("(run `agentctl whoami`)")),
        None => "not signed in: run `agentctl login --server URL --code CODE`".into(),
    };
    let mut lines = vec![signed_in, format!("last sync: {}", status.synced_at.as_deref().unwrap_or("never"))];
    let (mut drifted, mut corrupt) = (false, false);
    let mut clients = Vec::new();
    for c in &status.clients {
        let installed = if c.installed { "installed" } else { "not found on PATH" };
        let managed =
            if c.files.is_empty() { "not managed".to_string() } else { format!("{} managed file(s)", c.files.len()) };
        lines.push(format!("{:<12} {installed}, {managed}", c.client.as_str()));
        let mut files = Vec::new();
        for (path, check) in &c.files {
            match check {
                Ok(drift) if drift.is_empty() => lines.push(format!("  {path}: as synced")),
                Ok(drift) => {
                    drifted = true;
                    lines.push(format!("  {path}: changed locally: {}", drift.join(", ")));
                }
                Err(reason) => {
                    corrupt = true;
                    lines.push(format!("  {path}: corrupt ({reason}): fix or remove it, then sync"));
                }
            }
            files.push(match check {
                Ok(drift) => json!({ "path": path, "drift": drift }),
                Err(reason) => json!({ "path": path, "corrupt": reason }),
            });
        }
        clients.push(json!({ "client": c.client.as_str(), "installed": c.installed, "files": files }));
    }
    if drifted || corrupt {
        lines.push("`agentctl sync` restores the managed entries.".into());
    }
    lines.push(budget_line(status.budget.as_ref()));
    lines.push(telemetry_line(status));
    lines.extend(sync::rate_limit_lines(&status.rate_limits_exceeded, chrono::Utc::now()));
    let json = json!({
        "server": session.map(|s| &s.server), "signed_in_as": session.and_then(|s| s.who.as_ref()),
        "synced_at": status.synced_at, "budget": status.budget, "clients": clients,
        "telemetry": { "enabled": status.telemetry, "token_expires_at": status.telemetry_expires_at },
        "rate_limits_exceeded": status.rate_limits_exceeded,
        "drifted": drifted, "corrupt": corrupt,
    });
    let exit_code = if corrupt {
        api::EXIT_CORRUPT
    } else if drifted {
        EXIT_DRIFT
    } else {
        0
    };
    Output { text: lines.join("\n"), json, exit_code }
}

/// A catalog entry's id from a name or an id; `kind` is the catalog's path.
async fn catalog_id<S: Kind + DeserializeOwned>(api: &Api, kind: &str, wanted: &str) -> Result<S::Id, CliError> {
    if let Ok(id) = wanted.parse::<uuid::Uuid>() {
        return Ok(id.into());
    }
    Ok(catalog_entry::<S>(api, kind, wanted).await?.id)
}

/// Asks for one connection setting at the terminal.
fn prompt_setting(field: &connection::Field) -> Result<String, CliError> {
    let about = field.description.as_deref().map(|d| format!(" ({})", terminal_safe(d))).unwrap_or_default();
    eprint!("{}{about}: ", terminal_safe(&field.name));
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|e| CliError::Io { path: "stdin".into(), reason: e.to_string() })?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// A catalog entry by name (case-insensitive) or id.
async fn catalog_entry<S: Kind + DeserializeOwned>(api: &Api, kind: &str, wanted: &str) -> Result<Entry<S>, CliError> {
    if let Ok(id) = wanted.parse::<uuid::Uuid>() {
        return api.get(&format!("/v1/catalog/{kind}/{id}")).await;
    }
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "100")];
        query.extend(cursor.as_deref().map(|c| ("cursor", c)));
        let page: Page<Entry<S>> = api.get_query(&format!("/v1/catalog/{kind}"), &query).await?;
        if let Some(entry) = page.items.into_iter().find(|e| e.name.eq_ignore_ascii_case(wanted)) {
            return Ok(entry);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Err(CliError::Refused(format!("no {wanted:?} in the catalog"))),
        }
    }
}

/// An id given on the command line, checked before it becomes part of a URL path.
fn id_arg<T: std::str::FromStr>(kind: &str, id: &str) -> Result<T, CliError> {
    id.parse().map_err(|_| CliError::Usage(format!("{id:?} is not a {kind} id (a UUID)")))
}

async fn request(what: &RequestCommand) -> Result<Output, CliError> {
    let api = api().await?;
    let (wanted, reason) = match what {
        RequestCommand::Agent { agent, reason } => {
            let agent_id = catalog_id::<AgentSpec>(&api, "agents", agent).await?;
            (Wanted::NewAgent(AgentWanted { agent_id, name: None, config_override: None }), reason.clone())
        }
        RequestCommand::Mcp { server, reason, sets } => {
            let entry = catalog_entry::<McpServerSpec>(&api, "mcp-servers", server).await?;
            let mut prompt = prompt_setting;
            let ask: Option<connection::Ask> =
                std::io::IsTerminal::is_terminal(&std::io::stdin()).then_some(&mut prompt);
            let connection_config = connection::settings(&entry.spec.connection_schema, sets, ask)?;
            (Wanted::NewMcp(McpWanted { server_id: entry.id, connection_config }), reason.clone())
        }
        RequestCommand::Tool { agent, tool, reason } => {
            let agent_id = catalog_id::<AgentSpec>(&api, "agents", agent).await?;
            let tool_id = catalog_id::<ToolSpec>(&api, "tools", tool).await?;
            (Wanted::EnableTool(ToolWanted { agent_id, tool_id }), reason.clone())
        }
        RequestCommand::Budget { amount_usd, reason, spend_cap } => {
            let amount_usd =
                Usd::parse(amount_usd).map_err(|e| CliError::Usage(format!("the amount {amount_usd:?} {e}")))?;
            let scope = if *spend_cap { BudgetScope::SpendCap } else { BudgetScope::Organization };
            (Wanted::IncreaseBudget(BudgetWanted { amount_usd, scope }), Some(reason.clone()))
        }
        RequestCommand::Cancel { id } => {
            let id: RequestId = id_arg("request", id)?;
            let cancelled: RequestView =
                api.post(&format!("/v1/requests/{id}/cancel"), &Cancellation::default()).await?;
            return Ok(Output::answer(format!("Cancelled request {id}"), &cancelled));
        }
    };
    let body = NewRequest::asking(&wanted, reason);
    let created: AgentRequest = api.post("/v1/requests", &body).await?;
    let text = format!(
        "Requested ({}). It needs {}. Follow it with `agentctl requests`.",
        created.id,
        deciders(&created.required_approvals)
    );
    Ok(Output::answer(text, &created))
}

/// Sets or removes one's own credentials for a synced MCP server: an assigned server's
/// are one's own (`/v1/me/assignments/..`), a personal configuration's are set on it.
async fn credentials(action: &CredentialsAction) -> Result<Output, CliError> {
    let (CredentialsAction::Set { server } | CredentialsAction::Clear { server }) = action;
    let synced = sync::synced_server(server)?;
    let api = api().await?;
    let path = match synced.source {
        Source::Assignment { assignment_id } => format!("/v1/me/assignments/{assignment_id}/credentials"),
        Source::Personal { config_id } => {
            let me: Me = api.get("/v1/me").await?;
            format!("/v1/employees/{}/mcp-configs/{config_id}/credentials", me.employee.id)
        }
    };
    let name = terminal_safe(&synced.name);
    match action {
        CredentialsAction::Clear { .. } => {
            api.delete(&path).await?;
            Ok(Output::new(format!("Removed your credentials for {name}."), json!({ "server": synced.name })))
        }
        CredentialsAction::Set { .. } => {
            if synced.credential_fields.is_empty() {
                return Err(CliError::Refused(format!("{name} takes no credentials")));
            }
            let credentials = read_credentials(&synced.credential_fields)?;
            api.put(&path, &CredentialsUpdate { credentials }).await?;
            let text = format!("Set your credentials for {name}. Run `agentctl sync` to use them.");
            Ok(Output::new(text, json!({ "server": synced.name })))
        }
    }
}

/// The credential fields' values: asked one by one without echo on a terminal, else read
/// from standard input (`field=value` lines; a bare value for a single field).
fn read_credentials(fields: &[String]) -> Result<Value, CliError> {
    use std::io::{BufRead, IsTerminal};
    let mut values = serde_json::Map::new();
    if std::io::stdin().is_terminal() {
        for field in fields {
            let value = rpassword::prompt_password(format!("{}: ", terminal_safe(field)))
                .map_err(|e| CliError::Usage(format!("reading {field}: {e}")))?;
            values.insert(field.clone(), json!(value));
        }
        return Ok(Value::Object(values));
    }
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| CliError::Usage(format!("reading standard input: {e}")))?;
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let (field, value) = match line.split_once('=') {
            Some((field, value)) if fields.iter().any(|f| f == field) => (field.to_string(), value),
            _ if fields.len() == 1 => (fields[0].clone(), line),
            _ => return Err(CliError::Usage(format!("expected field=value lines, one of: {}", fields.join(", ")))),
        };
        values.insert(field, json!(value));
    }
    if values.is_empty() {
        return Err(CliError::Usage(format!("no credentials given (fields: {})", fields.join(", "))));
    }
    Ok(Value::Object(values))
}

/// Streams an export to `output` (owner-only) or standard output; a terminal gets the
/// data escaped like any server text, a pipe or file gets it as sent.
async fn export(
    api: &Api,
    what: &str,
    from: &str,
    to: &str,
    format: &str,
    output: Option<&std::path::Path>,
) -> Result<Output, CliError> {
    let day = |text: &str, flag: &str| {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| CliError::Usage(format!("--{flag} {text:?} is not a date (YYYY-MM-DD)")))
    };
    let (first, last) = (day(from, "from")?, day(to, "to")?);
    let query: Vec<(&str, String)> = match what {
        "usage" => vec![("from", first.to_string()), ("to", last.to_string()), ("format", format.into())],
        _ => {
            let start = first.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
            let end = last.succ_opt().unwrap_or(last).and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
            vec![("from", start.to_rfc3339()), ("to", end.to_rfc3339()), ("format", format.into())]
        }
    };
    let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let path = format!("/v1/{what}/export");
    match output {
        Some(file) => {
            let mut sink = files::create_private(file)?;
            let bytes = api.download(&path, &query, &mut sink).await?;
            let text = format!("Exported {bytes} bytes of {what} to {}", file.display());
            Ok(Output::new(text, json!({ "output": file, "bytes": bytes })))
        }
        None => {
            let stdout = std::io::stdout();
            let terminal = std::io::IsTerminal::is_terminal(&stdout);
            let mut sink = TerminalSafe::new(stdout.lock(), terminal);
            api.download(&path, &query, &mut sink).await?;
            Ok(Output::new("", Value::Null))
        }
    }
}

/// Standard output that escapes control characters when it is a terminal. Escaping works
/// on whole lines, so a character split between two network chunks is never mangled.
struct TerminalSafe<W: std::io::Write> {
    inner: W,
    escape: bool,
    pending: Vec<u8>,
}

impl<W: std::io::Write> TerminalSafe<W> {
    fn new(inner: W, escape: bool) -> Self {
        Self { inner, escape, pending: Vec::new() }
    }

    fn emit(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(terminal_safe(&String::from_utf8_lossy(bytes)).as_bytes())
    }
}

impl<W: std::io::Write> std::io::Write for TerminalSafe<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if !self.escape {
            return self.inner.write(bytes);
        }
        self.pending.extend_from_slice(bytes);
        if let Some(end) = self.pending.iter().rposition(|b| *b == b'\n') {
            let lines: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&lines)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() {
            self.emit(&rest)?;
        }
        self.inner.flush()
    }
}

/// Who decides a request, from its `required_approvals` (one list of roles per approval
/// needed): "an approval by a manager of your team, an admin or an owner, then ...".
fn deciders(required: &[Vec<RoleName>]) -> String {
    let role = |r: &RoleName| match r {
        RoleName::Manager => "a manager of your team".to_string(),
        RoleName::Admin => "an admin".to_string(),
        RoleName::Owner => "an owner".to_string(),
        other => format!("someone with the {other} role"),
    };
    let steps: Vec<String> = required
        .iter()
        .map(|step| {
            let roles: Vec<String> = step.iter().map(role).collect();
            match roles.split_last() {
                Some((last, [])) => last.clone(),
                Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                None => "?".into(),
            }
        })
        .collect();
    match steps.as_slice() {
        [] => "no approval".into(),
        [one] => format!("an approval by {one}"),
        many => format!("{} approvals: by {}", many.len(), many.join(", then by ")),
    }
}

fn request_lines(items: &[AgentRequest]) -> String {
    let lines: Vec<String> = items
        .iter()
        .map(|r| {
            format!(
                "{}  {:<15} {:<9} {}/{} approvals  {}  {}",
                r.id,
                r.wanted.request_type().as_str(),
                r.status.as_str(),
                r.approval_count,
                r.required_approvals.len(),
                r.requester_name,
                r.reason,
            )
        })
        .collect();
    if lines.is_empty() { "No requests.".into() } else { lines.join("\n") }
}

async fn admin(task: &AdminCommand) -> Result<Output, CliError> {
    let api = api().await?;
    match task {
        AdminCommand::Employees => {
            let page: Page<Employee> = api.get_query("/v1/employees", &[("limit", "100")]).await?;
            let lines: Vec<String> = page
                .items
                .iter()
                .map(|e| {
                    format!("{}  {:<9} {:<11} {} <{}>", e.id, e.role.as_str(), e.status.as_str(), e.full_name, e.email)
                })
                .collect();
            Ok(Output::answer(lines.join("\n"), &page))
        }
        AdminCommand::Enroll { employee_id } => {
            let employee_id: EmployeeId = id_arg("employee", employee_id)?;
            let code: EnrollmentCode =
                api.post(&format!("/v1/employees/{employee_id}/enrollment-codes"), &json!({})).await?;
            let text = format!(
                "Enrollment code (shown once, expires {}): {}\nThe employee runs: agentctl login --server <URL> --code {}",
                code.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                code.code,
                code.code
            );
            Ok(Output::answer(text, &code))
        }
        AdminCommand::Pending { request_type, team } => {
            let mut query = vec![("limit", "100")];
            query.extend(request_type.as_deref().map(|t| ("request_type", t)));
            query.extend(team.as_deref().map(|t| ("team_id", t)));
            let page: Page<AgentRequest> = api.get_query("/v1/requests/pending", &query).await?;
            Ok(Output::answer(request_lines(&page.items), &page))
        }
        AdminCommand::Approve { id, comment } | AdminCommand::Reject { id, comment } => {
            let id: RequestId = id_arg("request", id)?;
            let decision =
                if matches!(task, AdminCommand::Approve { .. }) { DecisionKind::Approve } else { DecisionKind::Reject };
            let body = Decision { decision, comment: comment.clone() };
            let view: RequestView = api.post(&format!("/v1/requests/{id}/decisions"), &body).await?;
            let text = format!(
                "Request {id}: {} ({}/{} approvals)",
                view.request.status.as_str(),
                view.request.approval_count,
                view.request.required_approvals.len()
            );
            Ok(Output::answer(text, &view))
        }
        AdminCommand::Export { what, from, to, format, output } => {
            export(&api, what, from, to, format, output.as_deref()).await
        }
        AdminCommand::Spending => {
            let sub: Subscription = api.get("/v1/org/subscription").await?;
            let text = format!(
                "{} of {} USD spent this period ({}%), budget {}",
                sub.current_spending_usd,
                sub.monthly_budget_usd,
                sub.usage_pct.map_or_else(|| "-".to_string(), |p| p.to_string()),
                sub.budget_state.as_str()
            );
            Ok(Output::answer(text, &sub))
        }
    }
}

/// Replaces this process with the MCP server, its credentials in its arguments and
/// environment (they never touch the tool's configuration file).
fn exec(name: &str) -> Result<Output, CliError> {
    let launch = sync::secret_entry(name)?;
    let command = launch["command"]
        .as_str()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| CliError::Refused(format!("{name} is not a local (stdio) server")))?;
    let args: Vec<&str> = launch["args"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let mut process = std::process::Command::new(command);
    process.args(args);
    for (key, value) in launch["env"].as_object().into_iter().flatten() {
        process.env(key, value.as_str().unwrap_or_default());
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let e = process.exec();
        Err(CliError::Io { path: command.to_string(), reason: e.to_string() })
    }
    #[cfg(not(unix))]
    {
        let status = process.status().map_err(|e| CliError::Io { path: command.to_string(), reason: e.to_string() })?;
        std::process::exit(status.code().unwrap_or(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_terminal_gets_whole_lines_escaped_even_when_a_character_is_split() {
        let mut out = Vec::new();
        let mut sink = TerminalSafe::new(&mut out, true);
        let text = "caf\u{e9}\u{1b}[2J\nnext";
        let bytes = text.as_bytes();
        let split = 4; // inside the two bytes of é
        sink.write_all(&bytes[..split]).unwrap();
        sink.write_all(&bytes[split..]).unwrap();
        sink.flush().unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "caf\u{e9}\\u{1b}[2J\nnext");
        let mut raw = Vec::new();
        TerminalSafe::new(&mut raw, false).write_all(bytes).unwrap();
        assert_eq!(raw, bytes, "a pipe gets the bytes as sent");
    }

    #[test]
    fn server_text_cannot_drive_the_terminal() {
        let hostile = "ok\u{1b}]0;owned\u{7}\u{1b}[2J \u{202e}gnp.exe\r\u{0}\u{9b}";
        let safe = terminal_safe(hostile);
        assert!(!safe.chars().any(|c| c.is_control()), "{safe:?}");
        assert!(safe.contains("\\u{1b}]0;owned\\u{7}") && safe.contains("\\u{202e}"), "{safe}");
        assert_eq!(terminal_safe("two\n\tlines"), "two\n\tlines");
    }

    #[test]
    fn deciders_are_named_by_role() {
        assert_eq!(
            deciders(&[vec![RoleName::Manager, RoleName::Admin, RoleName::Owner]]),
            "an approval by a manager of your team, an admin or an owner"
        );
        assert_eq!(
            deciders(&[vec![RoleName::Manager], vec![RoleName::Admin, RoleName::Owner]]),
            "2 approvals: by a manager of your team, then by an admin or an owner"
        );
    }
}
