//! The agentctl API as the CLI sees it: JSON over HTTPS, problem+json errors turned into
//! messages a person can act on.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::session::Session;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot reach {server}: {reason}")]
    Unreachable { server: String, reason: String },
    #[error("not logged in: run `agentctl login --server URL --code CODE`")]
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

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Refused(_) | Self::Protocol(_) | Self::Io { .. } => 1,
            Self::Unreachable { .. } => 3,
            Self::NotLoggedIn | Self::SessionExpired => 4,
            Self::CorruptFile { .. } => 5,
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
        Self { server: server.to_string(), token: None, client: reqwest::Client::new() }
    }

    pub fn with(session: &Session) -> Self {
        Self { token: Some(session.token.clone()), ..Self::anonymous(&session.server) }
    }

    pub async fn get(&self, path: &str) -> Result<Value, CliError> {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, CliError> {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<(), CliError> {
        self.send(Method::DELETE, path, None).await.map(drop)
    }

    /// The sync bundle, unless it still has `etag`.
    pub async fn get_bundle(&self, etag: Option<&str>) -> Result<Fetched, CliError> {
        let mut request = self.request(Method::GET, "/v1/me/sync", None);
        if let Some(etag) = etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        let response = self.dispatch(request).await?;
        if response.status() == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        let etag = response.headers().get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_string);
        Ok(Fetched::Body { body: self.read(response).await?, etag })
    }

    fn request(&self, method: Method, path: &str, body: Option<&Value>) -> reqwest::RequestBuilder {
        let mut request = self.client.request(method, format!("{}{path}", self.server));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request
    }

    async fn dispatch(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, CliError> {
        request.send().await.map_err(|e| CliError::Unreachable { server: self.server.clone(), reason: e.to_string() })
    }

    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, CliError> {
        let response = self.dispatch(self.request(method, path, body)).await?;
        self.read(response).await
    }

    async fn read(&self, response: reqwest::Response) -> Result<Value, CliError> {
        let status = response.status();
        let text = response.text().await.map_err(|e| CliError::Protocol(e.to_string()))?;
        let body: Value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        match status {
            s if s.is_success() => Ok(body),
            // A token the authorizer refuses, or none: the session is over.
            StatusCode::UNAUTHORIZED if self.token.is_some() => Err(CliError::SessionExpired),
            StatusCode::FORBIDDEN if self.token.is_some() && body["code"] != "forbidden" => {
                Err(CliError::SessionExpired)
            }
            _ => Err(CliError::Refused(problem(status, &body))),
        }
    }
}

/// A conditional read's outcome.
pub enum Fetched {
    NotModified,
    Body { body: Value, etag: Option<String> },
}

/// A problem+json answer as one line: its detail and the fields at fault.
fn problem(status: StatusCode, body: &Value) -> String {
    let detail =
        body["detail"].as_str().or(body["title"].as_str()).unwrap_or(status.canonical_reason().unwrap_or("error"));
    let fields: Vec<String> = body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| format!("{}: {}", e["field"].as_str().unwrap_or("?"), e["message"].as_str().unwrap_or("?")))
                .collect()
        })
        .unwrap_or_default();
    if fields.is_empty() {
        format!("{detail} ({status})")
    } else {
        format!("{detail} ({status}): {}", fields.join("; "))
    }
}
