//! `agentctl sync`: the bundle into each managed tool's files (their credentials into the
//! secret store, `secrets`), reconciled with the last bundle on a 304.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use agentctl_wire::fleet::SyncResult;
use serde_json::Value;

use crate::api::{Api, CliError, Fetched};
use crate::apply::{self, Planned};
use crate::clients::{self, Client, Desired, Format, Tier};
use crate::output::terminal_safe;
use crate::render::Rendered;
use crate::secrets;
use crate::session::Session;
use crate::state::State;
use crate::telemetry::{self, Wiring};
use crate::{files, fleet};
use agentctl_wire::Name;
use agentctl_wire::bundle::{
    Bundle, BundleAgent as Agent, BundleBudget, FORMAT_VERSION, RateLimitExceeded, ServerStatus,
};

pub struct Options {
    pub dry_run: bool,
    /// Only these clients (all when empty).
    pub clients: Vec<Client>,
    pub system: bool,
}

/// What one file went through.
pub struct FileOutcome {
    pub client: Client,
    pub path: PathBuf,
    /// `written`, `restored` (a 304's reconciliation put back what the last bundle asked
    /// for), `unchanged`, `removed` (or `would write`, ... in a dry run).
    pub action: &'static str,
    /// A unified diff (dry runs).
    pub diff: Option<String>,
}

pub struct Report {
    /// The server had nothing new (304): the files were reconciled with the last bundle.
    pub not_modified: bool,
    pub files: Vec<FileOutcome>,
    pub conflicts: Vec<String>,
    pub warnings: Vec<String>,
    pub budget: Option<BundleBudget>,
    /// Whether secrets are referenced through environment variables (the env file must
    /// be sourced by the shell that starts those tools).
    pub env_secrets: bool,
}

/// The last bundle fetched (0600: it holds credentials, like the secret store): what a
/// sync reconciles the files with when the server answers 304.
fn last_bundle_path() -> Result<PathBuf, CliError> {
    Ok(files::config_dir()?.join("bundle.json"))
}

fn last_bundle() -> Result<Option<Value>, CliError> {
    let path = last_bundle_path()?;
    let Some(text) = files::read(&path)? else { return Ok(None) };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| CliError::CorruptFile { path: path.display().to_string(), reason: e.to_string() })
}

/// The bundle to apply: a new one from the server, or on 304 the last one kept here
/// (read again from the server only if it is gone), and whether it is new.
async fn fetch(
    api: &Api,
    known: Option<&str>,
    report: Option<&str>,
) -> Result<(Value, Option<String>, bool), CliError> {
    if let Fetched::Body { body, etag } = api.get_bundle(known, report).await? {
        return Ok((body, etag, true));
    }
    if let Some(kept) = last_bundle()? {
        return Ok((kept, known.map(str::to_string), false));
    }
    match api.get_bundle(None, None).await? {
        Fetched::Body { body, etag } => Ok((body, etag, true)),
        Fetched::NotModified => Err(CliError::Protocol("304 without If-None-Match".into())),
    }
}

/// Fetches the bundle (or, on 304, takes the last one) and makes every managed file
/// hold what it asks for: a sync always reconciles, so local edits and removals of
/// managed entries are restored even when nothing changed on the server.
pub async fn sync(options: &Options) -> Result<Report, CliError> {
    let session = Session::fresh().await?;
    let mut state = State::load(options.system)?;
    let complete = options.clients.is_empty() && !options.dry_run;
    let known = if complete { state.etag.clone() } else { None };
    // The report is the fleet's, not the sync's: a file it cannot read leaves it out.
    let device =
        if options.dry_run { None } else { fleet::due(&mut state, options.system, chrono::Utc::now()).unwrap_or(None) };
    let sent = fetch(&Api::with(&session), known.as_deref(), device.as_ref().map(|(header, _)| header.as_str())).await;
    let (body, etag, fresh) = match sent {
        Ok(fetched) => fetched,
        Err(e) => {
            // The next report says so.
            if !options.dry_run {
                state.previous_sync = Some(SyncResult::Failed);
                state.save(options.system)?;
            }
            return Err(e);
        }
    };
    let mut bundle = read_bundle(&body)?;
    let mut waiting = hold_back_servers_needing_credentials(&mut bundle);
    if let Some(pause) = &bundle.budget.paused {
        waiting.insert(0, format!("agents paused: {}", terminal_safe(&pause.message)));
    }
    waiting.extend(rate_limit_lines(&bundle.rate_limits_exceeded, chrono::Utc::now()));
    waiting.extend(tool_approval_lines(&bundle));
    let rendered: Vec<Rendered> = bundle.mcp_servers.iter().map(Rendered::of).collect();
    let wiring = telemetry::prepare(&session, bundle.telemetry.enabled, options.dry_run).await?;
    let (home, root) = (files::home()?, files::system_root());
    let tier = if options.system { Tier::System { root: &root } } else { Tier::User { home: &home } };

    let mut report = Report {
        not_modified: !fresh,
        files: vec![],
        conflicts: vec![],
        warnings: waiting,
        budget: Some(bundle.budget.clone()),
        env_secrets: rendered.iter().any(|s| !s.env_secrets().is_empty()),
    };
    let planned = plan(options, &bundle, &rendered, wiring.as_ref(), &tier, &state, &mut report)?;
    for (spec, before, plan) in planned {
        report.files.push(carry_out(spec, before, plan, options.dry_run, fresh, &mut state)?);
    }
    if options.dry_run {
        return Ok(report);
    }
    secrets::write(&rendered)?;
    if fresh {
        files::write(&last_bundle_path()?, &body.to_string(), true, false)?;
    }
    if complete {
        state.etag = etag;
    }
    state.synced_at = Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    state.budget = report.budget.clone();
    state.rate_limits_exceeded = bundle.rate_limits_exceeded.clone();
    state.telemetry = Some(bundle.telemetry.enabled);
    state.previous_sync = Some(SyncResult::Ok);
    if let Some((_, reported)) = device {
        state.reported = Some(reported);
    }
    state.save(options.system)?;
    Ok(report)
}

/// The rate limits still exceeded at `now` (their window has not ended), one line each.
pub fn rate_limit_lines(exceeded: &[RateLimitExceeded], now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
    exceeded
        .iter()
        .filter(|e| e.window_end > now)
        .map(|e| {
            format!(
                "rate limit exceeded: {} {} this {} (limit {}), until {} (monitored: your organization is told)",
                e.count,
                e.metric.as_str().replace('_', " "),
                e.per.as_str(),
                e.max,
                e.window_end.format("%Y-%m-%d %H:%M UTC"),
            )
        })
        .collect()
}

/// The linked tools the employee may not use until a request is approved, one line each.
fn tool_approval_lines(bundle: &Bundle) -> Vec<String> {
    bundle
        .agents
        .iter()
        .flat_map(|agent| agent.tools.iter().filter(|t| !t.enabled).map(move |t| (agent, t)))
        .map(|(agent, tool)| {
            let (agent, tool) = (terminal_safe(&agent.agent_name), terminal_safe(&tool.name));
            format!(
                "tool {tool} of {agent} needs an approval and is denied until then: \
                 `agentctl request tool {agent:?} {tool:?} --reason ...`"
            )
        })
        .collect()
}

/// Takes the MCP servers that cannot start yet (a required credential unset) out of the
/// bundle, and says which they are: a client would only fail to start them.
fn hold_back_servers_needing_credentials(bundle: &mut Bundle) -> Vec<String> {
    let (ready, waiting): (Vec<_>, Vec<_>) =
        bundle.mcp_servers.drain(..).partition(|server| server.status == ServerStatus::Ready);
    bundle.mcp_servers = ready;
    waiting
        .iter()
        .map(|server| {
            let name = terminal_safe(&server.name);
            format!(
                "MCP server {name} needs credentials ({}): set yours with `agentctl mcp credentials set {name}`; \
                 it is not configured until then",
                server.credential_fields.join(", ")
            )
        })
        .collect()
}

/// An MCP server of the last bundle synced, by name (servers waiting for credentials
/// included).
pub fn synced_server(name: &str) -> Result<agentctl_wire::bundle::BundleMcpServer, CliError> {
    let Some(body) = last_bundle()? else {
        return Err(CliError::Refused("nothing synced yet: run `agentctl sync` first".into()));
    };
    let bundle = read_bundle(&body)?;
    bundle.mcp_servers.into_iter().find(|s| s.name == name).ok_or_else(|| {
        CliError::Refused(format!("no MCP server named {} in your last sync: run `agentctl sync`", terminal_safe(name)))
    })
}

/// The bundle of a body, once its format is this agentctl's (a newer bundle may not read
/// as this one).
fn read_bundle(body: &Value) -> Result<Bundle, CliError> {
    let format = body.get("format").and_then(Value::as_u64).unwrap_or_default();
    if format != u64::from(FORMAT_VERSION) {
        return Err(CliError::Protocol(format!(
            "sync bundle format {format} is not the one this agentctl understands ({FORMAT_VERSION}): update agentctl"
        )));
    }
    serde_json::from_value(body.clone()).map_err(|e| CliError::Protocol(format!("the sync bundle: {e}")))
}

/// One file's plan: its spec, what it holds now, what it will hold.
type FilePlan = (clients::FileSpec, Option<String>, Planned);

/// What every selected client's files become; conflicts and warnings go to the report.
fn plan(
    options: &Options,
    bundle: &Bundle,
    rendered: &[Rendered],
    telemetry: Option<&Wiring>,
    tier: &Tier,
    state: &State,
    report: &mut Report,
) -> Result<Vec<FilePlan>, CliError> {
    let mut planned = Vec::new();
    for client in Client::CLIENTS {
        if !options.clients.is_empty() && !options.clients.contains(&client) {
            continue;
        }
        let agent = bundle.agents.iter().find(|a| a.agent_type == client);
        let had_files = state.files.values().any(|f| f.client == client.as_str());
        if agent.is_none() && !had_files {
            continue;
        }
        let paused = bundle.budget.paused.is_some();
        let desired = desired(agent, rendered, paused, telemetry);
        for spec in clients::files(client, tier, &desired, &mut report.warnings) {
            let key = spec.path.display().to_string();
            let before = files::read(&spec.path)?;
            let previous = state.files.get(&key);
            if agent.is_none() && matches!(spec.format, Format::Whole(_)) && previous.is_none() {
                continue;
            }
            let plan = apply::plan(&spec, before.as_deref(), previous, agent.is_none())?;
            report.conflicts.extend(plan.conflicts.iter().map(|c| format!("{key}: {c} is yours, left as it is")));
            planned.push((spec, before, plan));
        }
    }
    Ok(planned)
}

/// Writes (or in a dry run, diffs) one planned file and records it in the state.
fn carry_out(
    spec: clients::FileSpec,
    before: Option<String>,
    plan: Planned,
    dry_run: bool,
    fresh: bool,
    state: &mut State,
) -> Result<FileOutcome, CliError> {
    let key = spec.path.display().to_string();
    let unchanged = plan.after == before;
    let action = match (&plan.after, unchanged, dry_run) {
        (_, true, _) => "unchanged",
        (Some(_), false, false) if !fresh => "restored",
        (Some(_), false, false) => "written",
        (Some(_), false, true) => "would write",
        (None, false, false) => "removed",
        (None, false, true) => "would remove",
    };
    let diff = (dry_run && !unchanged).then(|| {
        let (old, new) = (before.as_deref().unwrap_or(""), plan.after.as_deref().unwrap_or(""));
        similar::TextDiff::from_lines(old, new).unified_diff().header(&key, &key).to_string()
    });
    if !dry_run && !unchanged {
        match &plan.after {
            Some(text) => files::write(&spec.path, text, spec.private, true)?,
            None => files::remove(&spec.path)?,
        }
    }
    if plan.state.parts.is_empty() {
        state.files.remove(&key);
    } else {
        state.files.insert(key, plan.state);
    }
    Ok(FileOutcome { client: spec.client, path: spec.path, action, diff })
}

/// What the organization manages for one client: its agent's settings and policies, the
/// MCP servers those policies allow and the telemetry wiring (`agent` absent: the
/// organization removed it, and nothing is managed; `paused`: the organization's budget
/// action pauses the managed agents).
pub fn desired<'a>(
    agent: Option<&'a Agent>,
    rendered: &'a [Rendered],
    paused: bool,
    telemetry: Option<&'a Wiring>,
) -> Desired<'a> {
    let servers = match agent {
        Some(agent) => rendered.iter().filter(|s| agent.policies.effective.allows_server(&s.name)).collect(),
        None => vec![],
    };
    Desired { agent, servers, paused, telemetry: agent.and(telemetry) }
}

/// Removes the secret store, the env file and the telemetry token, here and from the
/// tools' `.env` files (logout); returns the files removed or cleaned.
pub fn forget_secrets() -> Result<Vec<PathBuf>, CliError> {
    let (json_path, env_path) = secrets::paths()?;
    let mut removed = Vec::new();
    for path in [json_path, env_path, last_bundle_path()?, telemetry::path()?] {
        if path.exists() {
            files::remove(&path)?;
            removed.push(path);
        }
    }
    // The `.env` files sync wrote hold the telemetry token: agentctl's lines go.
    let mut state = State::load(false)?;
    let env_files: Vec<(String, String)> = state
        .files
        .iter()
        .filter(|(path, _)| Path::new(path).file_name().is_some_and(|n| n == ".env"))
        .map(|(path, file)| (path.clone(), file.client.clone()))
        .collect();
    for (path, client) in env_files {
        let Some(client) = clients::parse(&client) else { continue };
        let spec = clients::FileSpec {
            client,
            path: PathBuf::from(&path),
            format: Format::Env(BTreeMap::new()),
            private: true,
        };
        let before = files::read(&spec.path)?;
        let plan = apply::plan(&spec, before.as_deref(), state.files.get(&path), true)?;
        removed.push(spec.path.clone());
        carry_out(spec, before, plan, false, true, &mut state)?;
    }
    state.save(false)?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn servers_waiting_for_credentials_are_held_back_and_named() {
        let id = || uuid::Uuid::now_v7();
        let server = |name: &str, status: &str| {
            json!({ "source": "assignment", "assignment_id": id(), "server_id": id(), "name": name,
                "provider": "p", "transport": "stdio", "command": "npx", "args": [], "env": {}, "url": null,
                "headers": {}, "connection_config": {}, "credentials": null, "credential_fields": ["token"],
                "status": status, "sync_token": "t" })
        };
        let mut bundle: Bundle = serde_json::from_value(json!({
            "format": 1,
            "employee": { "id": id(), "email": "e@x.example", "full_name": "E", "org_id": id(), "org_slug": "x",
                "team_id": null },
            "budget": { "state": "ok", "threshold_pct": 0, "spend_cap": null },
            "policies": { "employee_id": id(), "team_id": null, "agent_id": null, "policies": [], "digest": "d",
                "effective": { "filesystem": { "allow": null, "deny": [] }, "shell": [],
                    "network": { "allow": null, "deny": [] }, "models": null,
                    "tools": { "allow": null, "deny": [], "require_approval": [] },
                    "mcp_servers": { "allow": null, "deny": [] }, "rate_limits": [], "spend_cap_usd": null } },
            "agents": [],
            "mcp_servers": [server("ready-one", "ready"), server("github\u{1b}[2J", "needs_credentials")],
        }))
        .unwrap();
        let warnings = hold_back_servers_needing_credentials(&mut bundle);
        assert_eq!(bundle.mcp_servers.len(), 1);
        assert!(bundle.rate_limits_exceeded.is_empty(), "a bundle without the field reads as none");
        assert_eq!(bundle.mcp_servers[0].name, "ready-one");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("needs credentials (token)"), "{warnings:?}");
        assert!(warnings[0].contains("agentctl mcp credentials set github"), "{warnings:?}");
        assert!(!warnings[0].contains('\u{1b}'), "server text reaches the terminal escaped: {warnings:?}");
    }

    #[test]
    fn exceeded_rate_limits_are_told_until_their_window_ends() {
        let at = |t: &str| t.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        let exceeded: Vec<RateLimitExceeded> = serde_json::from_value(json!([{
            "metric": "llm_calls", "per": "hour", "max": 100, "count": 101,
            "window_start": "2026-11-30T14:00:00Z", "window_end": "2026-11-30T15:00:00Z" }]))
        .unwrap();
        let lines = rate_limit_lines(&exceeded, at("2026-11-30T14:30:00Z"));
        assert_eq!(
            lines,
            [
                "rate limit exceeded: 101 llm calls this hour (limit 100), until 2026-11-30 15:00 UTC (monitored: your organization is told)"
            ]
        );
        assert!(rate_limit_lines(&exceeded, at("2026-11-30T15:00:00Z")).is_empty());
    }
}
