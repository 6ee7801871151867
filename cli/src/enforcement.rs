//! The server's enforcement table (`agentctl_shared::policy::enforcement`, returned with
//! every policy) checked against what `agentctl sync` writes: each policy type's rules
//! are put into a bundle one part at a time (a deny list, an allow list, ...), and a
//! client's files with the rule are compared with its files without it. A client
//! claimed `enforced` must change for every part, `partial` for some, `none` for none.

use agentctl_shared::policy::enforcement::enforcement;
use agentctl_wire::Name;
use agentctl_wire::bundle::Bundle;
use agentctl_wire::policy::{PolicyType, Support};
use serde_json::{Value, json};
use strum::VariantArray;

use crate::clients::{self, Client, Tier};
use crate::render::Rendered;
use crate::sync::desired;

fn block(value: &str) -> Value {
    json!([{ "value": value, "severity": "block", "sources": [] }])
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
            vec![json!({ "rate_limits": [
                { "metric": "llm_calls", "per": "hour", "max": 1, "severity": "block", "sources": [] }
            ] })]
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
        PolicyType::SpendCap => vec![json!({ "spend_cap_usd": { "value": "1", "severity": "block", "sources": [] } })],
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
    let id = || uuid::Uuid::now_v7();
    let policies = |effective: Value| {
        json!({ "employee_id": id(), "team_id": null, "agent_id": null, "policies": [], "effective": effective,
            "digest": "probe" })
    };
    let server = |name: &str| {
        json!({ "source": "personal", "config_id": id(), "server_id": id(), "name": name, "provider": "probe",
            "transport": "stdio", "command": "probe-server", "args": [], "env": {}, "url": null, "headers": {},
            "connection_config": {}, "credentials": null, "credential_fields": [], "status": "ready",
            "sync_token": "probe" })
    };
    let bundle: Bundle = serde_json::from_value(json!({
        "format": 1,
        "employee": { "id": id(), "email": "probe@example.com", "full_name": "Probe", "org_id": id(),
            "org_slug": "probe", "team_id": null },
        "budget": { "state": "ok", "threshold_pct": 0, "spend_cap": null },
        "policies": policies(effective(&json!({}))),
        "agents": [{ "source": "personal", "config_id": id(), "name": "probe", "agent_id": id(), "agent_name": "probe",
            "type": client, "provider": "probe", "llm_provider": null, "llm_model": null, "settings": {},
            "status": "active", "last_sync_at": null, "sync_token": "probe", "policies": policies(effective(part)) }],
        "mcp_servers": [server("probe-a"), server("probe-b")],
    }))
    .unwrap();
    let rendered: Vec<Rendered> = bundle.mcp_servers.iter().map(Rendered::of).collect();
    let (home, root) = (std::path::Path::new("/home/probe"), std::path::Path::new("/"));
    [Tier::User { home }, Tier::System { root }]
        .iter()
        .map(|tier| {
            format!(
                "{:?}",
                clients::files(client, tier, &desired(bundle.agents.first(), &rendered, false, None), &mut Vec::new())
            )
        })
        .collect()
}

#[test]
fn enforcement_table_matches_the_files_sync_writes() {
    for &policy_type in PolicyType::VARIANTS {
        for cell in enforcement(policy_type).clients {
            let client = cell.client;
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
                client.as_str(),
                cell.support
            );
        }
    }
}
