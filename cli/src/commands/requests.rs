//! `request ...` and `requests`: asking for agents, MCP servers, tools and budget, and
//! following what was asked.

use agentctl_wire::Name;
use serde::de::DeserializeOwned;

use crate::api::{Api, CliError};
use crate::output::{Output, terminal_safe};
use crate::{RequestCommand, connection, paths};
use agentctl_wire::catalog::{AgentSpec, Entry, Kind, McpServerSpec, ToolSpec};
use agentctl_wire::ids::RequestId;
use agentctl_wire::money::Usd;
use agentctl_wire::page::Page;
use agentctl_wire::requests::{
    AgentRequest, AgentWanted, BudgetScope, BudgetWanted, Cancellation, McpWanted, NewRequest, RequestView, ToolWanted,
    Wanted,
};
use agentctl_wire::roles::RoleName;

pub async fn request(what: &RequestCommand) -> Result<Output, CliError> {
    let api = super::api().await?;
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
            let id: RequestId = super::id_arg("request", id)?;
            let cancelled: RequestView = api.post(&paths::cancel_request(id), &Cancellation::default()).await?;
            return Ok(Output::answer(format!("Cancelled request {id}"), &cancelled));
        }
    };
    let body = NewRequest::asking(&wanted, reason);
    let created: AgentRequest = api.post(paths::REQUESTS, &body).await?;
    let text = format!(
        "Requested ({}). It needs {}. Follow it with `agentctl requests`.",
        created.id,
        deciders(&created.required_approvals)
    );
    Ok(Output::answer(text, &created))
}

/// `agentctl requests`: one's own requests, optionally of one status.
pub async fn list(status: Option<&str>) -> Result<Output, CliError> {
    let query: Vec<(&str, &str)> = status.iter().map(|s| ("status", *s)).collect();
    let page: Page<AgentRequest> = super::api().await?.get_query(paths::MY_REQUESTS, &query).await?;
    Ok(Output::answer(request_lines(&page.items), &page))
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
        return api.get(&paths::catalog_entry(kind, id)).await;
    }
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "100")];
        query.extend(cursor.as_deref().map(|c| ("cursor", c)));
        let page: Page<Entry<S>> = api.get_query(&paths::catalog(kind), &query).await?;
        if let Some(entry) = page.items.into_iter().find(|e| e.name.eq_ignore_ascii_case(wanted)) {
            return Ok(entry);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Err(CliError::Refused(format!("no {wanted:?} in the catalog"))),
        }
    }
}

/// Who decides a request, from its `required_approvals` (one list of roles per approval
/// needed): "an approval by a manager of your team, an admin or an owner, then ...".
pub(crate) fn deciders(required: &[Vec<RoleName>]) -> String {
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

pub(crate) fn request_lines(items: &[AgentRequest]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
