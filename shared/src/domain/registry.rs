//! Importing an MCP server from the official MCP Registry's `server.json` format: a
//! remote becomes an HTTP or SSE launch template, else the first package a client can
//! launch (npm with `npx`, PyPI with `uvx`, OCI images with `docker run`); declared
//! environment variables and headers become the connection schema (secrets `writeOnly`,
//! so they stay credentials), and the template refers to them as `${field}`. The result
//! is created like any catalog entry, with its validation.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::auth::Principal;
use crate::domain::catalog;
use crate::domain::mcp::{McpServerSpec, NewMcpServer, Transport};
use crate::error::{Error, Result};

/// Largest `server.json` read.
pub const SERVER_JSON_MAX: usize = 64 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServerJson {
    name: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    version: String,
    #[serde(default)]
    packages: Vec<Package>,
    #[serde(default)]
    remotes: Vec<Remote>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    registry_type: String,
    identifier: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    transport: Option<PackageTransport>,
    #[serde(default)]
    package_arguments: Vec<Argument>,
    #[serde(default)]
    environment_variables: Vec<Input>,
}

#[derive(Deserialize)]
struct PackageTransport {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Argument {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    value: Option<String>,
}

#[derive(Deserialize)]
struct Remote {
    #[serde(rename = "type")]
    kind: String,
    url: String,
    #[serde(default)]
    headers: Vec<Input>,
}

/// An environment variable or a header a server declares.
#[derive(Deserialize)]
struct Input {
    name: String,
    /// A fixed value, which may name `variables` as `{name}`.
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    variables: BTreeMap<String, Declared>,
    #[serde(flatten)]
    declared: Declared,
}

/// What a server says of an input (or of a variable a fixed value names).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Declared {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    is_required: bool,
    #[serde(default)]
    is_secret: bool,
    #[serde(default)]
    default: Option<String>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid("server_json", message)
}

/// A connection field's name for an input: lowercase letters, digits and `_`.
fn field_name(input: &str) -> String {
    input.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

/// The connection schema's property of an input.
fn property(declared: &Declared) -> Value {
    let mut property = json!({ "type": "string" });
    if let Some(description) = &declared.description {
        property["description"] = json!(description);
    }
    if declared.is_secret {
        property["writeOnly"] = json!(true);
    }
    if let Some(default) = &declared.default {
        property["default"] = json!(default);
    }
    property
}

/// The inputs as a connection schema, and the template value of each (`${field}`, or its
/// fixed value with `{name}` references turned into `${name}`).
fn connection(inputs: &[Input]) -> (Value, BTreeMap<String, String>) {
    let (mut properties, mut required, mut values) = (Map::new(), Vec::new(), BTreeMap::new());
    let mut field = |name: String, property: Value, is_required: bool| {
        if is_required {
            required.push(json!(name));
        }
        properties.insert(name, property);
    };
    for input in inputs {
        let value = match &input.value {
            Some(fixed) => {
                let template = fixed.replace('{', "${");
                // Each `{name}` is a field: as its variable declares it, else as the input does.
                for name in crate::domain::mcp::placeholders(&template) {
                    let declared = input.variables.get(name).unwrap_or(&input.declared);
                    field(name.to_string(), property(declared), declared.is_required);
                }
                template
            }
            None => {
                let name = field_name(&input.name);
                field(name.clone(), property(&input.declared), input.declared.is_required);
                format!("${{{name}}}")
            }
        };
        values.insert(input.name.clone(), value);
    }
    (json!({ "type": "object", "properties": properties, "required": required }), values)
}

/// The launch command and arguments of a package a client can start.
fn launch(package: &Package) -> Result<(String, Vec<String>)> {
    let identifier = &package.identifier;
    let (command, mut args) = match (package.registry_type.as_str(), &package.version) {
        ("npm", Some(version)) => ("npx", vec!["-y".to_string(), format!("{identifier}@{version}")]),
        ("npm", None) => ("npx", vec!["-y".to_string(), identifier.clone()]),
        ("pypi", Some(version)) => ("uvx", vec![format!("{identifier}=={version}")]),
        ("pypi", None) => ("uvx", vec![identifier.clone()]),
        ("oci", version) => {
            let mut args = vec!["run".to_string(), "-i".into(), "--rm".into()];
            for variable in &package.environment_variables {
                args.extend(["-e".to_string(), variable.name.clone()]);
            }
            args.push(version.as_ref().map_or_else(|| identifier.clone(), |v| format!("{identifier}:{v}")));
            ("docker", args)
        }
        (other, _) => {
            return Err(invalid(format!(
                "packages of registry type {other:?} cannot be launched here; use npm, pypi or oci"
            )));
        }
    };
    for argument in &package.package_arguments {
        match (argument.kind.as_deref(), &argument.name, &argument.value) {
            (Some("named"), Some(name), Some(value)) => args.extend([name.clone(), value.replace('{', "${")]),
            (Some("named"), Some(name), None) => args.push(name.clone()),
            (_, _, Some(value)) => args.push(value.replace('{', "${")),
            _ => {}
        }
    }
    Ok((command.to_string(), args))
}

/// The catalog entry a `server.json` describes.
fn new_server(text: &str) -> Result<NewMcpServer> {
    if text.len() > SERVER_JSON_MAX {
        return Err(invalid(format!("is longer than {SERVER_JSON_MAX} bytes")));
    }
    let server: ServerJson =
        serde_json::from_str(text).map_err(|e| invalid(format!("is not a server.json document: {e}")))?;
    let (namespace, short) = server.name.rsplit_once('/').unwrap_or(("", server.name.as_str()));
    let mut new = NewMcpServer {
        name: server.title.clone().unwrap_or_else(|| short.to_string()),
        description: server.description.clone(),
        is_public: None,
        provider: if namespace.is_empty() { short.to_string() } else { namespace.to_string() },
        version: server.version.clone(),
        transport: Transport::Stdio,
        command: None,
        args: None,
        env: None,
        url: None,
        headers: None,
        connection_schema: None,
        capabilities: None,
        category_id: None,
    };
    if let Some(remote) = server.remotes.first() {
        new.transport = match remote.kind.as_str() {
            "streamable-http" => Transport::Http,
            "sse" => Transport::Sse,
            other => return Err(invalid(format!("remotes of type {other:?} are not supported"))),
        };
        let (schema, headers) = connection(&remote.headers);
        new.url = Some(remote.url.replace('{', "${"));
        new.headers = Some(headers);
        new.connection_schema = Some(schema);
        return Ok(new);
    }
    let package = server
        .packages
        .iter()
        .find(|p| p.transport.as_ref().is_none_or(|t| t.kind == "stdio"))
        .ok_or_else(|| invalid("names no remote and no package launched over stdio"))?;
    let (command, args) = launch(package)?;
    let (schema, env) = connection(&package.environment_variables);
    new.command = Some(command);
    new.args = Some(args);
    new.env = Some(env);
    new.connection_schema = Some(schema);
    Ok(new)
}

/// Creates the catalog entry a `server.json` describes, in the caller's catalog (the
/// global one for the platform operator).
pub async fn import(
    state: &AppState,
    principal: &Principal,
    server_json: &str,
) -> Result<catalog::Entry<McpServerSpec>> {
    catalog::create::<McpServerSpec>(state, principal, new_server(server_json)?).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_becomes_a_launch_template_with_its_secrets_as_credentials() {
        let new = new_server(
            &json!({
                "name": "io.github.acme/weather", "description": "Forecasts", "version": "1.0.2",
                "packages": [{
                    "registryType": "npm", "identifier": "@acme/weather-mcp", "version": "1.0.2",
                    "transport": { "type": "stdio" },
                    "packageArguments": [{ "type": "named", "name": "--units", "value": "metric" }],
                    "environmentVariables": [
                        { "name": "WEATHER_API_KEY", "description": "API key", "isRequired": true, "isSecret": true },
                        { "name": "WEATHER_REGION", "default": "eu" }
                    ]
                }]
            })
            .to_string(),
        )
        .unwrap();
        assert_eq!((new.name.as_str(), new.provider.as_str()), ("weather", "io.github.acme"));
        assert_eq!(new.command.as_deref(), Some("npx"));
        assert_eq!(new.args.unwrap(), ["-y", "@acme/weather-mcp@1.0.2", "--units", "metric"]);
        let env = new.env.unwrap();
        assert_eq!(env["WEATHER_API_KEY"], "${weather_api_key}");
        let schema = new.connection_schema.unwrap();
        assert_eq!(schema["properties"]["weather_api_key"]["writeOnly"], true);
        assert_eq!(schema["required"], json!(["weather_api_key"]));
        assert_eq!(schema["properties"]["weather_region"]["default"], "eu");
    }

    #[test]
    fn a_remote_becomes_an_http_template_and_unsupported_documents_are_refused() {
        let new = new_server(
            &json!({
                "name": "com.example/docs", "version": "2", "title": "Example docs",
                "remotes": [{ "type": "streamable-http", "url": "https://mcp.example.com/mcp",
                    "headers": [{ "name": "Authorization", "value": "Bearer {token}", "isRequired": true,
                        "variables": { "token": { "description": "API token", "isSecret": true, "isRequired": true } } }] }]
            })
            .to_string(),
        )
        .unwrap();
        assert_eq!(new.transport, Transport::Http);
        assert_eq!(new.name, "Example docs");
        assert_eq!(new.headers.unwrap()["Authorization"], "Bearer ${token}");
        let schema = new.connection_schema.unwrap();
        assert_eq!(schema["properties"]["token"]["writeOnly"], true, "{schema}");
        assert_eq!(schema["required"], json!(["token"]));
        for refused in [
            "not json".to_string(),
            json!({ "name": "x/y", "version": "1" }).to_string(),
            json!({ "name": "x/y", "version": "1", "packages": [{ "registryType": "nuget", "identifier": "Y" }] })
                .to_string(),
        ] {
            assert!(matches!(new_server(&refused), Err(Error::Validation(_))), "{refused}");
        }
    }
}
