//! `agentctl service`: background sync.

use serde_json::json;

use crate::ServiceCommand;
use crate::api::CliError;
use crate::output::{Output, terminal_safe};
use crate::service;

pub fn run(task: &ServiceCommand) -> Result<Output, CliError> {
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

/// Installs background sync every `every` minutes (started unless `no_start`).
pub fn install(every: u32, no_start: bool) -> Result<Output, CliError> {
    run(&ServiceCommand::Install { every, no_start })
}
