//! `agentctl`: the employee CLI. It logs in with an enrollment code, syncs the managed
//! configuration into the local agent tools, reports drift, files requests, and covers
//! the common admin tasks. This file is the command line's grammar and its dispatch; each
//! command family is a module of `commands`.
//!
//! Exit codes: 0 success; 1 the server refused the request; 2 bad usage; 3 the server
//! cannot be reached (or stayed busy); 4 not logged in, or the session expired or was
//! revoked; 5 a local file is corrupt (it is left as it is); 6 (`status`) managed files
//! changed locally since the last sync.

mod api;
mod apply;
mod clients;
mod commands;
mod connection;
#[cfg(test)]
mod enforcement;
mod files;
mod fleet;
mod jsonfile;
mod login;
mod output;
mod paths;
mod platform;
mod render;
mod secrets;
mod service;
mod session;
mod state;
mod status;
mod sync;
mod telemetry;

use agentctl_wire::Name;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::api::CliError;
use crate::clients::Client;
use crate::commands::session::Login;
use crate::output::{Output, terminal_safe};

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
    // Before any HTTPS client is built; an error would only say a provider is installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    api::show_progress(cli.json);
    match run(&cli).await {
        Ok(output) => {
            output::print(cli.json, &output);
            ExitCode::from(output.exit_code)
        }
        Err(e) => {
            eprintln!("agentctl: {}", terminal_safe(&e.to_string()));
            ExitCode::from(e.exit_code())
        }
    }
}

async fn run(cli: &Cli) -> Result<Output, CliError> {
    match &cli.command {
        Command::Login { server, org, code, no_browser, no_sync } => {
            let how = match (org, code) {
                (_, Some(code)) => Login::Code(code),
                (Some(org), None) => Login::Sso { org, no_browser: *no_browser },
                (None, None) => unreachable!("clap requires one"),
            };
            commands::session::login(server, how, *no_sync).await
        }
        Command::Logout => commands::session::logout().await,
        Command::Whoami => commands::session::whoami().await,
        Command::Sync { dry_run, clients, system, jitter } => {
            let options = sync::Options { dry_run: *dry_run, clients: clients.clone(), system: *system };
            commands::sync::sync(&options, *jitter).await
        }
        Command::Service { task } => commands::service::run(task),
        Command::Status { system } => commands::sync::status(*system),
        Command::Request { what } => commands::requests::request(what).await,
        Command::Requests { status } => commands::requests::list(status.as_deref()).await,
        Command::Mcp { task: McpCommand::Credentials { action } } => commands::mcp::credentials(action).await,
        Command::Admin { task } => commands::admin::admin(task).await,
        Command::McpExec { name } => commands::mcp::exec(name),
        Command::McpHeaders { name } => commands::mcp::headers(name),
        Command::Telemetry { task: TelemetryCommand::Headers } => commands::telemetry_headers(),
    }
}
