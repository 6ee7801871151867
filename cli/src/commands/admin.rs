//! `agentctl admin ...`: employees, enrollment codes, approvals, spending, exports.

use agentctl_wire::Name;
use serde_json::{Value, json};

use crate::AdminCommand;
use crate::api::{Api, CliError};
use crate::output::{Output, TerminalSafe};
use crate::{files, paths};
use agentctl_wire::employees::Employee;
use agentctl_wire::ids::{EmployeeId, RequestId};
use agentctl_wire::page::Page;
use agentctl_wire::requests::{AgentRequest, Decision, DecisionKind, RequestView};
use agentctl_wire::sessions::EnrollmentCode;
use agentctl_wire::subscriptions::Subscription;

pub async fn admin(task: &AdminCommand) -> Result<Output, CliError> {
    let api = super::api().await?;
    match task {
        AdminCommand::Employees => {
            let page: Page<Employee> = api.get_query(paths::EMPLOYEES, &[("limit", "100")]).await?;
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
            let employee_id: EmployeeId = super::id_arg("employee", employee_id)?;
            let code: EnrollmentCode = api.post(&paths::enrollment_codes(employee_id), &json!({})).await?;
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
            let page: Page<AgentRequest> = api.get_query(paths::PENDING_REQUESTS, &query).await?;
            Ok(Output::answer(super::requests::request_lines(&page.items), &page))
        }
        AdminCommand::Approve { id, comment } | AdminCommand::Reject { id, comment } => {
            let id: RequestId = super::id_arg("request", id)?;
            let decision =
                if matches!(task, AdminCommand::Approve { .. }) { DecisionKind::Approve } else { DecisionKind::Reject };
            let body = Decision { decision, comment: comment.clone() };
            let view: RequestView = api.post(&paths::decisions(id), &body).await?;
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
            let sub: Subscription = api.get(paths::SUBSCRIPTION).await?;
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
    let path = paths::export(what);
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
