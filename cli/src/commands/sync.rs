//! `sync` and `status`.

use agentctl_wire::Name;
use serde_json::{Value, json};

use crate::api::{self, CliError};
use crate::output::{Output, terminal_safe};
use crate::session::Session;
use crate::{files, status, sync};
use agentctl_wire::bundle::BundleBudget;

/// Exit code of `status` when a managed file changed locally (corrupt files exit 5).
const EXIT_DRIFT: u8 = 6;

/// `agentctl sync`, after a random wait of up to `jitter` seconds.
pub async fn sync(options: &sync::Options, jitter: Option<u32>) -> Result<Output, CliError> {
    if let Some(jitter) = jitter.filter(|j| *j > 0) {
        let wait = rand::random_range(0..=u64::from(jitter));
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    }
    Ok(output(&sync::sync(options).await?))
}

/// `agentctl status`.
pub fn status(system: bool) -> Result<Output, CliError> {
    Ok(status_output(&status::status(system)?, Session::find()?.as_ref()))
}

pub fn output(report: &sync::Report) -> Output {
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

fn telemetry_line(status: &status::Status) -> String {
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

fn status_output(status: &status::Status, session: Option<&Session>) -> Output {
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
