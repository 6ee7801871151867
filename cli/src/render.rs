//! An MCP server of the bundle, rendered for local clients: `${field}` placeholders of its
//! launch template are filled from the connection config, while credential fields stay
//! secrets that each client references in its own way (never written in plaintext into
//! a client's configuration).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use agentctl_wire::bundle::BundleMcpServer as McpServer;
use agentctl_wire::catalog::Transport;

/// One piece of a rendered string.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    /// A credential field of the server.
    Secret(String),
}

/// A string of a launch template with its secrets still apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template(Vec<Part>);

impl Template {
    fn parse(raw: &str, server: &McpServer) -> Self {
        let mut parts = Vec::new();
        let mut rest = raw;
        while let Some(start) = rest.find("${") {
            let Some(len) = rest[start + 2..].find('}') else { break };
            let field = &rest[start + 2..start + 2 + len];
            parts.push(Part::Text(rest[..start].to_string()));
            if server.credential_fields.iter().any(|f| f == field) {
                parts.push(Part::Secret(field.to_string()));
            } else {
                let value = match &server.connection_config[field] {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                parts.push(Part::Text(value));
            }
            rest = &rest[start + 3 + len..];
        }
        parts.push(Part::Text(rest.to_string()));
        parts.retain(|p| !matches!(p, Part::Text(t) if t.is_empty()));
        Self(parts)
    }

    pub fn has_secret(&self) -> bool {
        self.0.iter().any(|p| matches!(p, Part::Secret(_)))
    }

    /// The string, each secret written as `reference(field)`.
    pub fn with(&self, reference: impl Fn(&str) -> String) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Secret(field) => reference(field),
            })
            .collect()
    }

    /// The one secret field if the string is `<prefix>${field}` and nothing after it.
    pub fn trailing_secret(&self) -> Option<(&str, &str)> {
        match self.0.as_slice() {
            [Part::Secret(field)] => Some(("", field)),
            [Part::Text(prefix), Part::Secret(field)] => Some((prefix, field)),
            _ => None,
        }
    }
}

/// How a client starts or reaches the server.
#[derive(Debug)]
pub enum Launch {
    Stdio { command: String, args: Vec<Template>, env: BTreeMap<String, Template> },
    Remote { sse: bool, url: Template, headers: BTreeMap<String, Template> },
}

#[derive(Debug)]
pub struct Rendered {
    pub name: String,
    pub launch: Launch,
    /// The credentials, by field (what the secret store keeps).
    credentials: BTreeMap<String, String>,
}

impl Rendered {
    pub fn of(server: &McpServer) -> Self {
        let template = |raw: &String| Template::parse(raw, server);
        let given = &server.launch;
        let launch = match given.transport {
            Transport::Stdio => Launch::Stdio {
                command: given.command.clone().unwrap_or_default(),
                args: given.args.iter().map(template).collect(),
                env: given.env.iter().map(|(k, v)| (k.clone(), template(v))).collect(),
            },
            Transport::Http | Transport::Sse => Launch::Remote {
                sse: given.transport == Transport::Sse,
                url: template(given.url.as_ref().unwrap_or(&String::new())),
                headers: given.headers.iter().map(|(k, v)| (k.clone(), template(v))).collect(),
            },
        };
        let credentials = server
            .credentials
            .as_ref()
            .and_then(Value::as_object)
            .map(|c| {
                c.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect()
            })
            .unwrap_or_default();
        Self { name: server.name.clone(), launch, credentials }
    }

    /// Whether a stdio server needs secrets at launch (then clients start it through
    /// `agentctl mcp-exec`, which adds them from the secret store).
    pub fn stdio_needs_secrets(&self) -> bool {
        match &self.launch {
            Launch::Stdio { args, env, .. } => args.iter().chain(env.values()).any(Template::has_secret),
            Launch::Remote { .. } => false,
        }
    }

    /// The environment variable that carries credential `field` (for clients that read
    /// secrets from their environment): `AGENTCTL_<SERVER>_<FIELD>`.
    pub fn env_var(&self, field: &str) -> String {
        let clean = |s: &str| {
            s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect::<String>()
        };
        format!("AGENTCTL_{}_{}", clean(&self.name), clean(field))
    }

    fn secret(&self, field: &str) -> String {
        self.credentials.get(field).cloned().unwrap_or_default()
    }

    /// The secret store's entry: the launch with every secret filled in.
    pub fn resolved(&self) -> Value {
        let fill = |t: &Template| t.with(|field| self.secret(field));
        match &self.launch {
            Launch::Stdio { command, args, env } => json!({
                "command": command,
                "args": args.iter().map(fill).collect::<Vec<_>>(),
                "env": env.iter().map(|(k, v)| (k.clone(), fill(v))).collect::<BTreeMap<_, _>>(),
            }),
            Launch::Remote { url, headers, .. } => json!({
                "url": fill(url),
                "headers": headers.iter().map(|(k, v)| (k.clone(), fill(v))).collect::<BTreeMap<_, _>>(),
            }),
        }
    }

    /// `VAR=value` for every credential referenced through the environment.
    pub fn env_secrets(&self) -> BTreeMap<String, String> {
        self.credentials.iter().map(|(field, value)| (self.env_var(field), value.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(raw: Value) -> McpServer {
        serde_json::from_value(raw).unwrap()
    }

    #[test]
    fn placeholders_fill_from_the_connection_and_credentials_stay_apart() {
        let s = server(json!({
            "source": "personal", "config_id": uuid::Uuid::now_v7(), "server_id": uuid::Uuid::now_v7(),
            "provider": "GitHub", "status": "ready",
            "sync_token": "t", "name": "git hub", "transport": "http", "command": null, "args": [], "env": {},
            "url": "https://${host}/mcp", "headers": { "Authorization": "Bearer ${token}" },
            "connection_config": { "host": "example.com" }, "credentials": { "token": "t0p" },
            "credential_fields": ["token"]
        }));
        let rendered = Rendered::of(&s);
        let Launch::Remote { url, headers, sse } = &rendered.launch else { panic!("remote") };
        assert!(!sse);
        assert_eq!(url.with(|_| unreachable!()), "https://example.com/mcp");
        assert_eq!(headers["Authorization"].trailing_secret(), Some(("Bearer ", "token")));
        assert_eq!(headers["Authorization"].with(|f| format!("<{f}>")), "Bearer <token>");
        assert_eq!(rendered.env_var("token"), "AGENTCTL_GIT_HUB_TOKEN");
        assert_eq!(rendered.resolved()["headers"]["Authorization"], "Bearer t0p");
        assert!(!rendered.stdio_needs_secrets());
    }
}
