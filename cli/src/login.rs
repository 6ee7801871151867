//! Signing this machine in: through the organization's identity provider (a browser on
//! this machine: a loopback redirect with PKCE, RFC 8252; otherwise the device flow,
//! RFC 8628: a code to confirm in any browser), or with an admin's enrollment code.

use std::time::Duration;

use agentctl_wire::identity::{CLI_CLIENT_ID, DEVICE_CODE_GRANT, DeviceAuthorization, TokenResponse};
use agentctl_wire::sessions::{NewSession, SessionRequest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::api::{Api, CliError, oauth_reason};
use crate::output::terminal_safe;
use crate::paths;
use crate::session::Session;

/// How long the browser side of a sign-in may take.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(300);

pub async fn with_code(server: String, code: &str, device_name: Option<String>) -> Result<Session, CliError> {
    let request = SessionRequest { code: code.to_string(), device_name };
    let created: NewSession = Api::anonymous(&server).post(paths::SESSIONS, &request).await?;
    Ok(Session {
        server,
        token: created.token,
        refresh_token: Some(created.refresh_token),
        expires_at: Some(created.session.expires_at),
        who: None,
    })
}

/// Single sign-on: the loopback flow when a browser can be opened here, else the device flow.
pub async fn with_sso(
    server: String,
    org: &str,
    device_name: Option<String>,
    browser: bool,
) -> Result<Session, CliError> {
    let api = Api::anonymous(&server);
    let tokens = if browser {
        loopback(&api, &server, org, device_name.as_deref()).await?
    } else {
        device(&api, org, device_name.as_deref()).await?
    };
    Ok(Session::from_tokens(server, tokens))
}

/// Whether a browser can likely be opened on this machine.
pub fn browser_available() -> bool {
    cfg!(any(target_os = "macos", target_os = "windows"))
        || ["BROWSER", "DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()))
}

/// 256 random bits, URL-safe (a PKCE verifier, a `state`).
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

async fn device(api: &Api, org: &str, device_name: Option<&str>) -> Result<TokenResponse, CliError> {
    let form = [("client_id", CLI_CLIENT_ID), ("org", org)];
    let grant: DeviceAuthorization =
        api.oauth(paths::OAUTH_DEVICE_AUTHORIZATION, &form).await?.map_err(|r| CliError::Refused(oauth_reason(&r)))?;
    // The server's words reach the terminal escaped, like everything else it sends.
    let (uri, code, complete) = (
        terminal_safe(&grant.verification_uri),
        terminal_safe(&grant.user_code),
        terminal_safe(&grant.verification_uri_complete),
    );
    eprintln!("To sign in, open {uri} in a browser and confirm the code {code}");
    eprintln!("(or open {complete})");
    let mut interval = Duration::from_secs(grant.interval.max(1) as u64);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(grant.expires_in.max(1) as u64);
    let mut poll = vec![
        ("grant_type", DEVICE_CODE_GRANT),
        ("client_id", CLI_CLIENT_ID),
        ("device_code", grant.device_code.as_str()),
    ];
    if let Some(name) = device_name {
        poll.push(("device_name", name));
    }
    loop {
        tokio::time::sleep(interval).await;
        match api.oauth::<TokenResponse>(paths::OAUTH_TOKEN, &poll).await? {
            Ok(tokens) => return Ok(tokens),
            Err(refusal) => match refusal.error.as_str() {
                "authorization_pending" => {}
                "slow_down" => interval += Duration::from_secs(5),
                "expired_token" => {
                    return Err(CliError::Refused(
                        "the code expired before the sign-in finished; run agentctl login again".into(),
                    ));
                }
                _ => return Err(CliError::Refused(oauth_reason(&refusal))),
            },
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(CliError::Refused(
                "the code expired before the sign-in finished; run agentctl login again".into(),
            ));
        }
    }
}

async fn loopback(api: &Api, server: &str, org: &str, device_name: Option<&str>) -> Result<TokenResponse, CliError> {
    let io = |e: std::io::Error| CliError::Io { path: "127.0.0.1".into(), reason: e.to_string() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(io)?;
    let redirect_uri = format!("http://127.0.0.1:{}/callback", listener.local_addr().map_err(io)?.port());
    let verifier = random_token();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random_token();
    let mut url = reqwest::Url::parse(&format!("{server}{}", paths::OAUTH_AUTHORIZE))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", CLI_CLIENT_ID),
        ("redirect_uri", &redirect_uri),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("state", &state),
        ("org", org),
    ]);
    eprintln!("Opening your browser to sign in. If it does not open, visit:\n{url}");
    open_browser(url.as_str());
    let answer = tokio::time::timeout(BROWSER_TIMEOUT, receive_redirect(&listener))
        .await
        .map_err(|_| CliError::Refused("the browser sign-in did not finish within 5 minutes".into()))??;
    let param = |name: &str| answer.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    if param("state").as_deref() != Some(state.as_str()) {
        return Err(CliError::Refused("the browser came back from another sign-in; run agentctl login again".into()));
    }
    if let Some(error) = param("error") {
        return Err(CliError::Refused(param("error_description").unwrap_or(error)));
    }
    let code = param("code").ok_or_else(|| CliError::Protocol("the sign-in came back without a code".into()))?;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", CLI_CLIENT_ID),
        ("code", code.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    if let Some(name) = device_name {
        form.push(("device_name", name));
    }
    api.token(&form).await
}

/// Opens `url` with `$BROWSER`, else the system's opener; a failure only leaves the
/// printed link to follow.
fn open_browser(url: &str) {
    let command = std::env::var("BROWSER").ok().filter(|b| !b.is_empty()).unwrap_or_else(|| {
        if cfg!(target_os = "macos") {
            "open".into()
        } else if cfg!(target_os = "windows") {
            "explorer".into()
        } else {
            "xdg-open".into()
        }
    });
    let opened = std::process::Command::new(&command)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if opened.is_err() {
        eprintln!("({command} could not be started: open the link yourself)");
    }
}

/// Waits for the browser's request to the loopback redirect URI; answers it with a page
/// saying where to look next, and returns the URL it asked for.
async fn receive_redirect(listener: &tokio::net::TcpListener) -> Result<reqwest::Url, CliError> {
    let io = |e: std::io::Error| CliError::Io { path: "127.0.0.1".into(), reason: e.to_string() };
    loop {
        let (mut stream, _) = listener.accept().await.map_err(io)?;
        let mut buffer = vec![0u8; 8192];
        let read = stream.read(&mut buffer).await.map_err(io)?;
        let request = String::from_utf8_lossy(&buffer[..read]);
        let target =
            request.lines().next().and_then(|line| line.strip_prefix("GET ")).and_then(|rest| rest.split(' ').next());
        let Some(target) = target.filter(|t| t.starts_with("/callback")) else {
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
            continue;
        };
        let body = "<!doctype html><title>agentctl</title><p>Sign-in finished. You can close this tab and return to your terminal.</p>";
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        return reqwest::Url::parse(&format!("http://127.0.0.1{target}"))
            .map_err(|e| CliError::Protocol(e.to_string()));
    }
}
