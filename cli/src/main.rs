//! `agentctl`: the employee CLI. This slice: `login`, `logout`, `whoami`.
//!
//! Exit codes: 0 success; 1 the server refused the request; 2 bad usage; 3 the server
//! cannot be reached; 4 not logged in, or the session expired or was revoked; 5 a local
//! file is corrupt (it is left as it is).

mod api;
mod session;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::Value;

use crate::api::{Api, CliError};
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
    /// Exchange an enrollment code from your admin for a session on this machine.
    Login {
        /// The agentctl API, e.g. https://agentctl.example.com
        #[arg(long)]
        server: String,
        /// The one-time enrollment code.
        #[arg(long)]
        code: String,
    },
    /// End this machine's session (on the server too).
    Logout,
    /// Who you are logged in as.
    Whoami,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli).await {
        Ok(output) => {
            print(&cli, &output);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("agentctl: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// What a command reports: text for people, JSON for scripts.
struct Output {
    text: String,
    json: Value,
}

fn print(cli: &Cli, output: &Output) {
    if cli.json {
        println!("{}", output.json);
    } else if !output.text.is_empty() {
        println!("{}", output.text);
    }
}

async fn run(cli: &Cli) -> Result<Output, CliError> {
    match &cli.command {
        Command::Login { server, code } => {
            let server = server.trim_end_matches('/').to_string();
            let created = Api::anonymous(&server).post("/v1/sessions", &serde_json::json!({ "code": code })).await?;
            let token = created["token"].as_str().ok_or_else(|| CliError::Protocol("no token in the answer".into()))?;
            let session = Session { server, token: token.to_string() };
            session.save()?;
            let me = Api::with(&session).get("/v1/me").await?;
            Ok(Output { text: format!("Logged in as {}", describe(&me)), json: me })
        }
        Command::Logout => {
            let session = Session::load()?;
            match Api::with(&session).delete("/v1/sessions/current").await {
                // Already over on the server: forget it here all the same.
                Ok(()) | Err(CliError::SessionExpired) => {}
                Err(e) => return Err(e),
            }
            Session::forget()?;
            Ok(Output { text: "Logged out".into(), json: serde_json::json!({ "logged_out": true }) })
        }
        Command::Whoami => {
            let me = Api::with(&Session::load()?).get("/v1/me").await?;
            Ok(Output { text: describe(&me), json: me })
        }
    }
}

fn describe(me: &Value) -> String {
    format!(
        "{} <{}>, {} of {} ({})",
        me["employee"]["full_name"].as_str().unwrap_or("?"),
        me["employee"]["email"].as_str().unwrap_or("?"),
        me["role"].as_str().unwrap_or("?"),
        me["organization"]["name"].as_str().unwrap_or("?"),
        me["organization"]["slug"].as_str().unwrap_or("?"),
    )
}
