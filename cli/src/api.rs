//! The agentctl API as the CLI sees it: JSON over HTTPS, problem+json errors turned into
//! messages a person can act on.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use agentctl_wire::identity::{OAuthError, TokenResponse};
use agentctl_wire::problem::{Problem, ProblemCode};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::paths;
use crate::session::Session;

/// How long a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request may take, unless `AGENTCTL_TIMEOUT_SECS` says otherwise.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts of a request the server answers with 429 or 503 (busy).
const ATTEMPTS: u32 = 4;
/// The longest wait between attempts, whatever `Retry-After` asks.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// Whether network steps show a progress line (a terminal, not `--json`).
static PROGRESS: AtomicBool = AtomicBool::new(false);

/// Shows a progress line on stderr during network steps when it is a terminal and the
/// output is for people.
pub fn show_progress(json_output: bool) {
    PROGRESS.store(!json_output && std::io::stderr().is_terminal(), Ordering::Relaxed);
}

fn progress(line: Option<&str>) {
    if PROGRESS.load(Ordering::Relaxed) {
        match line {
            Some(line) => eprint!("\r\x1b[2K{line}"),
            None => eprint!("\r\x1b[2K"),
        }
    }
}

fn request_timeout() -> Duration {
    std::env::var("AGENTCTL_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s| *s > 0)
        .map_or(REQUEST_TIMEOUT, Duration::from_secs)
}

/// The server's base URL from what a person typed: `https://host`, with or without a
/// trailing `/` or `/v1` (what the dev server prints).
pub fn server_url(raw: &str) -> Result<String, CliError> {
    let usage = || {
        CliError::Usage(format!(
            "--server {raw:?} is not a server URL: give its address with the scheme, e.g. https://agentctl.example.com"
        ))
    };
    let url = reqwest::Url::parse(raw.trim()).map_err(|_| usage())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() || url.query().is_some() {
        return Err(usage());
    }
    let text = url.as_str().trim_end_matches('/');
    Ok(text.strip_suffix("/v1").unwrap_or(text).trim_end_matches('/').to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot reach {server}: {reason}")]
    Unreachable { server: String, reason: String },
    #[error("{0}")]
    Usage(String),
    #[error("not logged in: run `agentctl login --server URL --org SLUG` (or `--code CODE`)")]
    NotLoggedIn,
    #[error("your session has expired or was revoked: run `agentctl login` again")]
    SessionExpired,
    #[error("{0}")]
    Refused(String),
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    #[error("{path} is corrupt ({reason}); it was left untouched: fix or remove it")]
    CorruptFile { path: String, reason: String },
    #[error("cannot write {path}: {reason}")]
    Io { path: String, reason: String },
}

/// Exit code of a corrupt local file (left as it is).
pub const EXIT_CORRUPT: u8 = 5;

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Refused(_) | Self::Protocol(_) | Self::Io { .. } => 1,
            Self::Usage(_) => 2,
            Self::Unreachable { .. } => 3,
            Self::NotLoggedIn | Self::SessionExpired => 4,
            Self::CorruptFile { .. } => EXIT_CORRUPT,
        }
    }
}

pub struct Api {
    server: String,
    token: Option<String>,
    client: reqwest::Client,
}

impl Api {
    pub fn anonymous(server: &str) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(request_timeout())
            .build()
            .expect("the HTTP client builds");
        Self { server: server.to_string(), token: None, client }
    }

    pub fn with(session: &Session) -> Self {
        Self { token: Some(session.token.clone()), ..Self::anonymous(&session.server) }
    }

    /// A GET answered with a `T` (a wire type).
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CliError> {
        self.get_query(path, &[]).await
    }

    /// A GET with query parameters (URL-encoded by reqwest).
    pub async fn get_query<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T, CliError> {
        typed(path, self.send(Method::GET, path, query, None).await?)
    }

    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, CliError> {
        let body = serde_json::to_value(body).expect("wire types serialize");
        typed(path, self.send(Method::POST, path, &[], Some(&body)).await?)
    }

    /// A form POST to one of the OAuth endpoints: the answer, or OAuth's own refusal
    /// (`authorization_pending`, `invalid_grant`, ...).
    pub async fn oauth<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<Result<T, OAuthError>, CliError> {
        let request = self.client.post(format!("{}{path}", self.server)).form(form);
        let response = self.dispatch(request).await?;
        let status = response.status();
        let text = response.text().await.map_err(|e| CliError::Protocol(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_str(&text)
                .map(Ok)
                .map_err(|e| CliError::Protocol(format!("the answer to {path}: {e}")));
        }
        match serde_json::from_str::<OAuthError>(&text) {
            Ok(refusal) => Ok(Err(refusal)),
            Err(_) => Err(CliError::Refused(describe(status, serde_json::from_str(&text).ok().as_ref()))),
        }
    }

    /// Tokens from the token endpoint; a refusal is [`CliError::Refused`] with its reason.
    pub async fn token(&self, form: &[(&str, &str)]) -> Result<TokenResponse, CliError> {
        self.oauth(paths::OAUTH_TOKEN, form).await?.map_err(|refusal| CliError::Refused(oauth_reason(&refusal)))
    }

    /// A PUT whose answer (if any) is not needed.
    pub async fn put(&self, path: &str, body: &impl Serialize) -> Result<(), CliError> {
        let body = serde_json::to_value(body).expect("wire types serialize");
        self.send(Method::PUT, path, &[], Some(&body)).await.map(drop)
    }

    pub async fn delete(&self, path: &str) -> Result<(), CliError> {
        self.send(Method::DELETE, path, &[], None).await.map(drop)
    }

    /// The sync bundle, unless it still has `etag`; `report` is the device's (the fleet).
    pub async fn get_bundle(&self, etag: Option<&str>, report: Option<&str>) -> Result<Fetched, CliError> {
        let mut request = self.request(Method::GET, paths::MY_SYNC, &[], None);
        if let Some(etag) = etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(report) = report {
            request = request.header(agentctl_wire::fleet::POSTURE_HEADER, report);
        }
        let response = self.dispatch(request).await?;
        if response.status() == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        let etag = response.headers().get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_string);
        Ok(Fetched::Body { body: self.read(response).await?, etag })
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> reqwest::RequestBuilder {
        let mut request = self.client.request(method, format!("{}{path}", self.server)).query(query);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request
    }

    /// Sends the request (see [`Api::attempt`]). A session token refused meanwhile may have
    /// been spent by another agentctl renewing the session (its renewal ends the old
    /// token): with the renewed token on disk, the request is sent once more.
    async fn dispatch(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, CliError> {
        let response = self.attempt(request.try_clone().expect("request bodies are buffered")).await?;
        let refused = matches!(response.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
        let Some(sent) = self.token.as_deref().filter(|_| refused) else { return Ok(response) };
        let renewed = Session::find().ok().flatten().filter(|s| s.server == self.server && s.token != sent);
        let Some(renewed) = renewed else { return Ok(response) };
        let Ok(mut again) = request.build() else { return Ok(response) };
        let Ok(bearer) = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", renewed.token)) else {
            return Ok(response);
        };
        again.headers_mut().insert(reqwest::header::AUTHORIZATION, bearer);
        self.attempt(reqwest::RequestBuilder::from_parts(self.client.clone(), again)).await
    }

    /// Sends the request, again after a wait when the server is busy (429, 503: its
    /// `Retry-After`, else a doubling backoff), and gives up with [`CliError::Unreachable`].
    async fn attempt(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, CliError> {
        let unreachable = |reason: String| CliError::Unreachable { server: self.server.clone(), reason };
        for attempt in 1..=ATTEMPTS {
            progress(Some(&format!("Contacting {}…", self.server)));
            let sent = request.try_clone().expect("request bodies are buffered").send().await;
            progress(None);
            let response = sent.map_err(|e| {
                if e.is_timeout() {
                    unreachable(format!("no answer within {} s", request_timeout().as_secs()))
                } else if e.is_connect() {
                    unreachable("the connection failed (is the server running, and the URL right?)".into())
                } else {
                    unreachable(e.to_string())
                }
            })?;
            let status = response.status();
            if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE {
                return Ok(response);
            }
            if attempt == ATTEMPTS {
                return Err(unreachable(format!(
                    "the server is busy ({status}) after {ATTEMPTS} attempts; try again later"
                )));
            }
            let asked = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let wait = asked.unwrap_or(Duration::from_millis(500 * 2u64.pow(attempt - 1))).min(MAX_WAIT);
            progress(Some(&format!("The server is busy ({status}); trying again in {} s…", wait.as_secs().max(1))));
            tokio::time::sleep(wait).await;
        }
        unreachable!("the last attempt returns")
    }

    /// A GET whose body is copied to `sink` as it arrives (exports); the bytes copied.
    pub async fn download(
        &self,
        path: &str,
        query: &[(&str, &str)],
        sink: &mut impl std::io::Write,
    ) -> Result<u64, CliError> {
        // An export may take longer than an API call: its whole transfer gets 10 minutes.
        let request = self.request(Method::GET, path, query, None).timeout(Duration::from_secs(600));
        let mut response = self.dispatch(request).await?;
        if !response.status().is_success() {
            return self.read(response).await.map(|_| 0);
        }
        let mut copied = 0;
        while let Some(chunk) =
            response.chunk().await.map_err(|e| CliError::Protocol(format!("the export broke off: {e}")))?
        {
            sink.write_all(&chunk).map_err(|e| CliError::Io { path: "the export".into(), reason: e.to_string() })?;
            copied += chunk.len() as u64;
        }
        sink.flush().map_err(|e| CliError::Io { path: "the export".into(), reason: e.to_string() })?;
        Ok(copied)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, CliError> {
        let response = self.dispatch(self.request(method, path, query, body)).await?;
        self.read(response).await
    }

    async fn read(&self, response: reqwest::Response) -> Result<Value, CliError> {
        let status = response.status();
        let text = response.text().await.map_err(|e| CliError::Protocol(e.to_string()))?;
        if status.is_success() {
            return if text.is_empty() {
                Ok(Value::Null)
            } else {
                serde_json::from_str(&text).map_err(|e| CliError::Protocol(format!("the answer is not JSON: {e}")))
            };
        }
        // Errors are problem+json, except where a gateway answers first (then the status
        // says enough).
        let problem: Option<Problem> = serde_json::from_str(&text).ok();
        let denied_by_role = problem.as_ref().is_some_and(|p| p.code == ProblemCode::Forbidden);
        match status {
            // A token the authorizer refuses, or none: the session is over.
            StatusCode::UNAUTHORIZED if self.token.is_some() => Err(CliError::SessionExpired),
            StatusCode::FORBIDDEN if self.token.is_some() && !denied_by_role => Err(CliError::SessionExpired),
            _ => Err(CliError::Refused(describe(status, problem.as_ref()))),
        }
    }
}

/// An OAuth refusal as one line.
pub fn oauth_reason(refusal: &OAuthError) -> String {
    refusal.error_description.clone().unwrap_or_else(|| refusal.error.clone())
}

/// A successful answer read as the wire type the API documents for it.
fn typed<T: DeserializeOwned>(path: &str, body: Value) -> Result<T, CliError> {
    serde_json::from_value(body).map_err(|e| CliError::Protocol(format!("the answer to {path}: {e}")))
}

/// A conditional read's outcome.
pub enum Fetched {
    NotModified,
    Body { body: Value, etag: Option<String> },
}

/// A refusal as one line: the problem's detail and the fields at fault.
fn describe(status: StatusCode, problem: Option<&Problem>) -> String {
    let detail = problem.map_or(status.canonical_reason().unwrap_or("error"), |p| p.detail.as_str());
    let fields: Vec<String> =
        problem.into_iter().flat_map(|p| &p.errors).map(|e| format!("{}: {}", e.field, e.message)).collect();
    if fields.is_empty() {
        format!("{detail} ({status})")
    } else {
        format!("{detail} ({status}): {}", fields.join("; "))
    }
}
