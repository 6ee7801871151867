//! `login`, `logout`, `whoami`.

use agentctl_wire::Name;
use serde_json::json;

use crate::api::{self, Api, CliError};
use crate::output::{Output, terminal_safe};
use crate::session::Session;
use crate::{login, paths, service, sync};
use agentctl_wire::sessions::Me;
use agentctl_wire::text::is_bidi_control;

/// `agentctl login`: signs this machine in, then (unless `no_sync`) runs the first sync.
pub async fn login(server: &str, how: Login<'_>, no_sync: bool) -> Result<Output, CliError> {
    let server = api::server_url(server)?;
    let mut session = match how {
        Login::Code(code) => login::with_code(server, code, device_name()).await?,
        Login::Sso { org, no_browser } => {
            let browser = !no_browser && login::browser_available();
            login::with_sso(server, org, device_name(), browser).await?
        }
    };
    let me: Me = Api::with(&session).get(paths::ME).await?;
    session.who = Some(describe(&me));
    session.save()?;
    let signed_in = Output::answer(format!("Logged in as {}", describe(&me)), &me);
    if no_sync {
        return Ok(signed_in);
    }
    Ok(first_sync(signed_in).await)
}

/// How `login` signs in.
pub enum Login<'a> {
    /// An admin's enrollment code.
    Code(&'a str),
    /// The organization's identity provider.
    Sso { org: &'a str, no_browser: bool },
}

/// `agentctl whoami`.
pub async fn whoami() -> Result<Output, CliError> {
    let me: Me = super::api().await?.get(paths::ME).await?;
    Ok(Output::answer(describe(&me), &me))
}

/// Ends the session on the server (if it can be told) and forgets it here, with the
/// secrets the syncs wrote.
pub async fn logout() -> Result<Output, CliError> {
    // An expired access token is renewed first, so the server can end the session.
    let session = Session::load()?;
    let session = Session::fresh().await.unwrap_or(session);
    let told = match Api::with(&session).delete(paths::CURRENT_SESSION).await {
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

/// What `login` does after signing in: the first sync (a failure is reported, the login
/// stands), then, at a terminal, the offer of background sync unless it is installed.
async fn first_sync(signed_in: Output) -> Output {
    let mut out = signed_in;
    let options = sync::Options { dry_run: false, clients: Vec::new(), system: false };
    let synced = match sync::sync(&options).await {
        Ok(report) => super::sync::output(&report),
        Err(e) => Output::new(
            format!("warning: the first sync failed ({}); run `agentctl sync`", terminal_safe(&e.to_string())),
            json!({ "status": "failed", "error": e.to_string() }),
        ),
    };
    out.text = format!("{}\n{}", out.text, synced.text);
    out.json["sync"] = synced.json;
    let background = match service::status() {
        Ok(found) if found.installed => None,
        Ok(_)
            if super::at_a_terminal()
                && super::confirm("Keep your tools in sync in the background, every 30 minutes? [Y/n] ") =>
        {
            Some(super::service::install(30, false))
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

/// This machine's name as sessions lists show it: the host name, printable characters
/// only, at most 100 of them; none when nothing is left.
fn device_name() -> Option<String> {
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    let name: String = host.chars().filter(|c| !c.is_control() && !is_bidi_control(*c)).take(100).collect();
    Some(name.trim().to_string()).filter(|n| !n.is_empty())
}
