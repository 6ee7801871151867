//! The server's enforcement table (`agentctl_shared::policy::enforcement`, returned with
//! every policy) checked against what `agentctl sync` writes: each policy type's rules
//! are put into a bundle one part at a time (a deny list, an allow list, ...), and a
//! client's files with the rule are compared with its files without it. A client
//! claimed `enforced` must change for every part, `partial` for some, `none` for none.

use agentctl_shared::policy::PolicyType;
use agentctl_shared::policy::enforcement::{Support, enforcement};
use serde_json::{Value, json};

use crate::bundle::Bundle;
use crate::clients::{Client, Tier};
use crate::render::Rendered;
use crate::sync::client_files;

fn block(value: &str) -> Value {
    json!([{ "value": value, "severity": "block" }])
}

/// Each part of a policy type's rules, as the effective policies the bundle carries.
fn parts(policy_type: PolicyType) -> Vec<Value> {
    match policy_type {
        PolicyType::Filesystem => vec![
            json!({ "filesystem": { "deny": block("/probe/deny") } }),
            json!({ "filesystem": { "allow": block("/probe/allow") } }),
        ],
        PolicyType::Shell => vec![json!({ "shell": block("probe --danger *") })],
        PolicyType::Network => vec![
            json!({ "network": { "deny": block("deny.probe.example") } }),
            json!({ "network": { "allow": block("allow.probe.example") } }),
        ],
        PolicyType::RateLimit => {
            vec![json!({ "rate_limits": [{ "metric": "llm_calls", "window": "hour", "max": 1, "severity": "block" }] })]
        }
        PolicyType::Models => vec![json!({ "models": block("probe-model") })],
        PolicyType::Tools => vec![
            json!({ "tools": { "deny": block("ProbeDenied") } }),
            json!({ "tools": { "allow": block("ProbeAllowed") } }),
            json!({ "tools": { "require_approval": block("ProbeAsked") } }),
        ],
        PolicyType::McpServers => vec![
            json!({ "mcp_servers": { "deny": block("probe-a") } }),
            json!({ "mcp_servers": { "allow": block("probe-b") } }),
        ],
        PolicyType::SpendCap => vec![json!({ "spend_cap_usd": { "value": "1", "severity": "block" } })],
    }
}

/// Effective policies with nothing in them but `part`.
fn effective(part: &Value) -> Value {
    let mut effective = json!({
        "filesystem": { "allow": null, "deny": [] }, "shell": [], "network": { "allow": null, "deny": [] },
        "models": null, "tools": { "allow": null, "deny": [], "require_approval": [] },
        "mcp_servers": { "allow": null, "deny": [] }, "rate_limits": [], "spend_cap_usd": null,
    });
    for (key, value) in part.as_object().unwrap() {
        match value {
            Value::Object(fields) => {
                for (field, v) in fields {
                    effective[key][field] = v.clone();
                }
            }
            other => effective[key] = other.clone(),
        }
    }
    effective
}

/// What `client` gets written (both tiers) from a bundle whose policies hold `part`.
fn written(client: Client, part: &Value) -> String {
    let server = |name: &str| {
        json!({ "name": name, "transport": "stdio", "command": "probe-server", "args": [], "env": {}, "url": null,
            "headers": {}, "connection_config": {}, "credentials": null, "credential_fields": [] })
    };
    let bundle: Bundle = serde_json::from_value(json!({
        "format": 1, "budget": {},
        "agents": [{ "type": client.name(), "settings": {}, "policies": { "effective": effective(part) } }],
        "mcp_servers": [server("probe-a"), server("probe-b")],
    }))
    .unwrap();
    let rendered: Vec<Rendered> = bundle.mcp_servers.iter().map(Rendered::of).collect();
    let (home, root) = (std::path::Path::new("/home/probe"), std::path::Path::new("/"));
    [Tier::User { home }, Tier::System { root }]
        .iter()
        .map(|tier| format!("{:?}", client_files(client, bundle.agents.first(), &rendered, tier, &mut Vec::new())))
        .collect()
}

#[test]
fn enforcement_table_matches_the_files_sync_writes() {
    for policy_type in PolicyType::ALL {
        for cell in enforcement(policy_type).clients {
            let name = serde_json::to_value(cell.client).unwrap();
            let client = Client::parse(name.as_str().unwrap()).expect("the CLI knows every client of the table");
            let without = written(client, &json!({}));
            let effects: Vec<bool> = parts(policy_type).iter().map(|part| written(client, part) != without).collect();
            let holds = match cell.support {
                Support::Enforced => effects.iter().all(|e| *e),
                Support::Partial => effects.iter().any(|e| *e),
                Support::None => !effects.iter().any(|e| *e),
            };
            assert!(
                holds,
                "{policy_type:?} / {}: the table says {:?}, sync's files react to parts {effects:?}",
                client.name(),
                cell.support
            );
        }
    }
}
