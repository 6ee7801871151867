//! Every route of the API as one row each: the request to send (path with placeholders,
//! body), who may send it and what the others get. The authorization matrix test runs
//! every row as every role; the route-cost benchmark runs each once and counts its
//! DynamoDB requests. [`targets`] creates what the placeholders name.

use std::collections::{BTreeSet, HashMap};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{Org, TestApp, slug};

pub const ROLES: [&str; 5] = ["owner", "admin", "billing", "manager", "member"];
pub const ALL: &[&str] = &ROLES;
pub const ADMINS: &[&str] = &["owner", "admin"];
pub const MONEY: &[&str] = &["owner", "admin", "billing"];
pub const READERS: &[&str] = &["owner", "admin", "billing", "manager"];
pub const POLICY_READERS: &[&str] = &["owner", "admin", "manager"];
pub const OWNERS: &[&str] = &["owner"];
pub const NOBODY: &[&str] = &[];

pub const OK: StatusCode = StatusCode::OK;
pub const CREATED: StatusCode = StatusCode::CREATED;
pub const GONE: StatusCode = StatusCode::NO_CONTENT;
pub const FORBIDDEN: StatusCode = StatusCode::FORBIDDEN;
pub const NOT_FOUND: StatusCode = StatusCode::NOT_FOUND;

/// One row: a route, the request to send, who may, and what the platform key gets.
pub struct Case {
    pub method: Method,
    /// The route as the OpenAPI document names it.
    pub route: &'static str,
    /// The request path, with `{target}` placeholders filled from [`targets`].
    pub path: &'static str,
    /// JSON body; `%unique%` is replaced by a fresh name.
    pub body: Option<&'static str>,
    pub allowed: &'static [&'static str],
    pub success: StatusCode,
    /// What the roles not allowed get: 403, or 404 where the resource is only visible to
    /// those who may act on it.
    pub denied: StatusCode,
    pub platform: StatusCode,
}

#[rustfmt::skip]
pub fn cases() -> Vec<Case> {
    use Method as M;
    let c = |method, route, path, body, allowed, success, platform| Case { method, route, path, body, allowed, success, denied: FORBIDDEN, platform };
    let hidden = |method, route, path, body, allowed, success| Case { method, route, path, body, allowed, success, denied: NOT_FOUND, platform: FORBIDDEN };
    vec![
        c(M::GET, "/v1/org", "/v1/org", None, ALL, OK, FORBIDDEN),
        c(M::PATCH, "/v1/org", "/v1/org", Some(r#"{"settings":{"k":"%unique%"}}"#), ADMINS, OK, FORBIDDEN),
        c(M::GET, "/v1/org/subscription", "/v1/org/subscription", None, MONEY, OK, FORBIDDEN),
        c(M::PATCH, "/v1/org/subscription", "/v1/org/subscription", Some(r#"{"monthly_budget_usd":"10"}"#), MONEY, OK, FORBIDDEN),
        c(M::GET, "/v1/roles", "/v1/roles", None, ALL, OK, FORBIDDEN),
        // Single sign-on settings: readable by all, set by owners (the matrix organization
        // has none, and its issuer cannot be reached: tests/tests/e2e/sso.rs covers success).
        c(M::GET, "/v1/org/identity-provider", "/v1/org/identity-provider", None, ALL, NOT_FOUND, FORBIDDEN),
        c(M::PUT, "/v1/org/identity-provider", "/v1/org/identity-provider", Some(r#"{"issuer":"http://127.0.0.1:9","client_id":"c","client_secret":"s","allowed_domains":["matrix.example"]}"#), OWNERS, StatusCode::UNPROCESSABLE_ENTITY, FORBIDDEN),
        c(M::DELETE, "/v1/org/identity-provider", "/v1/org/identity-provider", None, OWNERS, NOT_FOUND, FORBIDDEN),
        c(M::GET, "/v1/org/scim-tokens", "/v1/org/scim-tokens", None, OWNERS, OK, FORBIDDEN),
        c(M::POST, "/v1/org/scim-tokens", "/v1/org/scim-tokens", Some(r#"{"name":"%unique%"}"#), OWNERS, CREATED, FORBIDDEN),
        c(M::DELETE, "/v1/org/scim-tokens/{token_id}", "/v1/org/scim-tokens/{scim_token}", None, OWNERS, GONE, FORBIDDEN),
        c(M::GET, "/v1/activity", "/v1/activity", None, ADMINS, OK, FORBIDDEN),
        c(M::GET, "/v1/teams", "/v1/teams", None, ALL, OK, FORBIDDEN),
        c(M::POST, "/v1/teams", "/v1/teams", Some(r#"{"name":"%unique%"}"#), ADMINS, CREATED, FORBIDDEN),
        c(M::GET, "/v1/teams/{team_id}", "/v1/teams/{team}", None, ALL, OK, FORBIDDEN),
        c(M::PATCH, "/v1/teams/{team_id}", "/v1/teams/{team}", Some(r#"{"description":"x"}"#), ADMINS, OK, FORBIDDEN),
        c(M::DELETE, "/v1/teams/{team_id}", "/v1/teams/{spare_team}", None, ADMINS, GONE, FORBIDDEN),
        c(M::GET, "/v1/employees", "/v1/employees", None, READERS, OK, FORBIDDEN),
        c(M::POST, "/v1/employees", "/v1/employees", Some(r#"{"email":"%unique%@matrix.example","full_name":"New"}"#), ADMINS, CREATED, FORBIDDEN),
        c(M::GET, "/v1/employees/{employee_id}", "/v1/employees/{member}", None, READERS, OK, FORBIDDEN),
        c(M::PATCH, "/v1/employees/{employee_id}", "/v1/employees/{member}", Some(r#"{"full_name":"Renamed"}"#), ADMINS, OK, FORBIDDEN),
        c(M::POST, "/v1/employees/{employee_id}/enrollment-codes", "/v1/employees/{member}/enrollment-codes", Some("{}"), ADMINS, CREATED, FORBIDDEN),
        c(M::GET, "/v1/employees/{employee_id}/sessions", "/v1/employees/{member}/sessions", None, ADMINS, OK, FORBIDDEN),
        c(M::DELETE, "/v1/employees/{employee_id}/sessions", "/v1/employees/{member}/sessions", None, ADMINS, GONE, FORBIDDEN),
        // The matrix employees signed in with enrollment codes: they have no links.
        c(M::GET, "/v1/employees/{employee_id}/identity-links", "/v1/employees/{member}/identity-links", None, READERS, OK, FORBIDDEN),
        c(M::DELETE, "/v1/employees/{employee_id}/identity-links/{link_id}", "/v1/employees/{member}/identity-links/0194f6a8-52f7-5d51-9a7b-1c0e8a3b2d41", None, ADMINS, NOT_FOUND, FORBIDDEN),
        c(M::DELETE, "/v1/employees/{employee_id}", "/v1/employees/{deactivated}", None, ADMINS, GONE, FORBIDDEN),
        c(M::GET, "/v1/me", "/v1/me", None, ALL, OK, FORBIDDEN),
        c(M::PATCH, "/v1/me", "/v1/me", Some(r#"{"preferences":{"a":1}}"#), ALL, OK, FORBIDDEN),
        c(M::GET, "/v1/me/sessions", "/v1/me/sessions", None, ALL, OK, FORBIDDEN),
        c(M::GET, "/v1/me/sync", "/v1/me/sync", None, ALL, OK, FORBIDDEN),
        // Usage: everyone reports their own; analytics for those who manage money or teams.
        c(M::POST, "/v1/usage", "/v1/usage", Some(r#"{"events":[{"v":1,"event_id":"%unique%","resource_type":"llm_call","quantity":1,"cost_usd":"0.01","period_start":"%now%","period_end":"%now%"}]}"#), ALL, StatusCode::ACCEPTED, FORBIDDEN),
        c(M::POST, "/v1/otlp/v1/metrics", "/v1/otlp/v1/metrics", Some(r#"{"resourceMetrics":[]}"#), ALL, OK, FORBIDDEN),
        c(M::POST, "/v1/otlp/v1/logs", "/v1/otlp/v1/logs", Some(r#"{"resourceLogs":[]}"#), ALL, OK, FORBIDDEN),
        c(M::POST, "/v1/otlp/v1/traces", "/v1/otlp/v1/traces", Some(r#"{"resourceSpans":[]}"#), ALL, OK, FORBIDDEN),
        c(M::POST, "/v1/me/telemetry-token", "/v1/me/telemetry-token", None, ALL, CREATED, FORBIDDEN),
        c(M::GET, "/v1/model-prices", "/v1/model-prices", None, READERS, OK, FORBIDDEN),
        c(M::PUT, "/v1/model-prices", "/v1/model-prices", Some(r#"{"models":[{"model":"m-%unique%","input_usd_per_mtok":"1","output_usd_per_mtok":"2","cache_read_usd_per_mtok":"0.1","cache_write_usd_per_mtok":"0"}]}"#), MONEY, OK, FORBIDDEN),
        c(M::GET, "/v1/model-prices/versions/{version}", "/v1/model-prices/versions/0", None, READERS, OK, FORBIDDEN),
        c(M::GET, "/v1/usage/teams", "/v1/usage/teams", None, READERS, OK, FORBIDDEN),
        c(M::GET, "/v1/usage/breakdown", "/v1/usage/breakdown?by=employee", None, READERS, OK, FORBIDDEN),
        c(M::GET, "/v1/usage/top-spenders", "/v1/usage/top-spenders", None, READERS, OK, FORBIDDEN),
        c(M::GET, "/v1/usage/daily", "/v1/usage/daily", None, READERS, OK, FORBIDDEN),
        c(M::GET, "/v1/usage/export", "/v1/usage/export?from=2026-11-01&to=2026-11-02", None, MONEY, OK, FORBIDDEN),
        c(M::GET, "/v1/activity/export", "/v1/activity/export?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z", None, ADMINS, OK, FORBIDDEN),
        // Platform routes: no role of any organization may use them.
        c(M::GET, "/v1/orgs", "/v1/orgs", None, NOBODY, OK, OK),
        c(M::POST, "/v1/orgs", "/v1/orgs", Some(r#"{"name":"X","slug":"%unique%","plan":"starter","owner":{"email":"o-%unique%@x.example","full_name":"O"}}"#), NOBODY, CREATED, CREATED),
        c(M::GET, "/v1/orgs/{org_id}", "/v1/orgs/{org}", None, NOBODY, OK, OK),
        c(M::PATCH, "/v1/orgs/{org_id}", "/v1/orgs/{org}", Some(r#"{"max_agents_per_employee":4}"#), NOBODY, OK, OK),
        // Catalogs: everyone reads, admins write their org's entries; the platform writes
        // the global catalog and sees no org-private entry.
        c(M::GET, "/v1/catalog/agents", "/v1/catalog/agents", None, ALL, OK, OK),
        c(M::POST, "/v1/catalog/agents", "/v1/catalog/agents", Some(r#"{"name":"%unique%","type":"other","provider":"p"}"#), ADMINS, CREATED, CREATED),
        c(M::GET, "/v1/catalog/agents/{id}", "/v1/catalog/agents/{agent}", None, ALL, OK, NOT_FOUND),
        c(M::PATCH, "/v1/catalog/agents/{id}", "/v1/catalog/agents/{agent}", Some(r#"{"description":"x"}"#), ADMINS, OK, NOT_FOUND),
        c(M::DELETE, "/v1/catalog/agents/{id}", "/v1/catalog/agents/{spare_agent}", None, ADMINS, GONE, NOT_FOUND),
        c(M::GET, "/v1/catalog/tools", "/v1/catalog/tools", None, ALL, OK, OK),
        c(M::POST, "/v1/catalog/tools", "/v1/catalog/tools", Some(r#"{"name":"%unique%","type":"git"}"#), ADMINS, CREATED, CREATED),
        c(M::GET, "/v1/catalog/tools/{id}", "/v1/catalog/tools/{tool}", None, ALL, OK, NOT_FOUND),
        c(M::PATCH, "/v1/catalog/tools/{id}", "/v1/catalog/tools/{tool}", Some(r#"{"description":"x"}"#), ADMINS, OK, NOT_FOUND),
        c(M::DELETE, "/v1/catalog/tools/{id}", "/v1/catalog/tools/{spare_tool}", None, ADMINS, GONE, NOT_FOUND),
        c(M::GET, "/v1/catalog/agents/{id}/tools", "/v1/catalog/agents/{agent}/tools", None, ALL, OK, NOT_FOUND),
        c(M::PUT, "/v1/catalog/agents/{id}/tools/{tool_id}", "/v1/catalog/agents/{agent}/tools/{tool}", Some("{}"), ADMINS, OK, NOT_FOUND),
        c(M::DELETE, "/v1/catalog/agents/{id}/tools/{tool_id}", "/v1/catalog/agents/{agent}/tools/{tool}", None, ADMINS, GONE, NOT_FOUND),
        c(M::GET, "/v1/catalog/mcp-categories", "/v1/catalog/mcp-categories", None, ALL, OK, OK),
        c(M::POST, "/v1/catalog/mcp-categories", "/v1/catalog/mcp-categories", Some(r#"{"name":"%unique%"}"#), ADMINS, CREATED, CREATED),
        c(M::GET, "/v1/catalog/mcp-categories/{id}", "/v1/catalog/mcp-categories/{category}", None, ALL, OK, NOT_FOUND),
        c(M::PATCH, "/v1/catalog/mcp-categories/{id}", "/v1/catalog/mcp-categories/{category}", Some(r#"{"description":"x"}"#), ADMINS, OK, NOT_FOUND),
        c(M::DELETE, "/v1/catalog/mcp-categories/{id}", "/v1/catalog/mcp-categories/{spare_category}", None, ADMINS, GONE, NOT_FOUND),
        c(M::GET, "/v1/catalog/mcp-servers", "/v1/catalog/mcp-servers", None, ALL, OK, OK),
        c(M::POST, "/v1/catalog/mcp-servers", "/v1/catalog/mcp-servers", Some(r#"{"name":"%unique%","provider":"p","version":"1","transport":"stdio","command":"npx"}"#), ADMINS, CREATED, CREATED),
        c(M::GET, "/v1/catalog/mcp-servers/{id}", "/v1/catalog/mcp-servers/{server}", None, ALL, OK, NOT_FOUND),
        c(M::PATCH, "/v1/catalog/mcp-servers/{id}", "/v1/catalog/mcp-servers/{server}", Some(r#"{"description":"x"}"#), ADMINS, OK, NOT_FOUND),
        c(M::PUT, "/v1/catalog/mcp-servers/{id}/approval", "/v1/catalog/mcp-servers/{server}/approval", None, ADMINS, OK, FORBIDDEN),
        c(M::DELETE, "/v1/catalog/mcp-servers/{id}/approval", "/v1/catalog/mcp-servers/{server}/approval", None, ADMINS, GONE, FORBIDDEN),
        c(M::DELETE, "/v1/catalog/mcp-servers/{id}", "/v1/catalog/mcp-servers/{spare_server}", None, ADMINS, GONE, NOT_FOUND),
        // Policies: admins write; owners, admins and managers read.
        c(M::GET, "/v1/policies", "/v1/policies", None, POLICY_READERS, OK, OK),
        c(M::POST, "/v1/policies", "/v1/policies", Some(r#"{"name":"%unique%","policy_type":"shell","rules":{"deny":["rm *"]},"severity":"block"}"#), ADMINS, CREATED, CREATED),
        c(M::GET, "/v1/policies/{id}", "/v1/policies/{policy}", None, POLICY_READERS, OK, NOT_FOUND),
        c(M::PATCH, "/v1/policies/{id}", "/v1/policies/{policy}", Some(r#"{"severity":"warn"}"#), ADMINS, OK, NOT_FOUND),
        c(M::DELETE, "/v1/policies/{id}", "/v1/policies/{spare_policy}", None, ADMINS, GONE, NOT_FOUND),
        c(M::GET, "/v1/catalog/agents/{id}/policies", "/v1/catalog/agents/{agent}/policies", None, POLICY_READERS, OK, NOT_FOUND),
        c(M::PUT, "/v1/catalog/agents/{id}/policies/{policy_id}", "/v1/catalog/agents/{agent}/policies/{policy}", Some("{}"), ADMINS, OK, NOT_FOUND),
        c(M::DELETE, "/v1/catalog/agents/{id}/policies/{policy_id}", "/v1/catalog/agents/{agent}/policies/{policy}", None, ADMINS, GONE, NOT_FOUND),
        c(M::GET, "/v1/org/policies", "/v1/org/policies", None, POLICY_READERS, OK, FORBIDDEN),
        c(M::PUT, "/v1/org/policies/{policy_id}", "/v1/org/policies/{policy}", Some("{}"), ADMINS, OK, FORBIDDEN),
        c(M::DELETE, "/v1/org/policies/{policy_id}", "/v1/org/policies/{policy}", None, ADMINS, GONE, FORBIDDEN),
        c(M::GET, "/v1/teams/{team_id}/policies", "/v1/teams/{team}/policies", None, POLICY_READERS, OK, FORBIDDEN),
        c(M::PUT, "/v1/teams/{team_id}/policies/{policy_id}", "/v1/teams/{team}/policies/{policy}", Some("{}"), ADMINS, OK, FORBIDDEN),
        c(M::DELETE, "/v1/teams/{team_id}/policies/{policy_id}", "/v1/teams/{team}/policies/{policy}", None, ADMINS, GONE, FORBIDDEN),
        c(M::GET, "/v1/employees/{employee_id}/policies", "/v1/employees/{member}/policies", None, POLICY_READERS, OK, FORBIDDEN),
        c(M::PUT, "/v1/employees/{employee_id}/policies/{policy_id}", "/v1/employees/{member}/policies/{policy}", Some("{}"), ADMINS, OK, FORBIDDEN),
        c(M::DELETE, "/v1/employees/{employee_id}/policies/{policy_id}", "/v1/employees/{member}/policies/{policy}", None, ADMINS, GONE, FORBIDDEN),
        c(M::GET, "/v1/employees/{employee_id}/effective-policies", "/v1/employees/{member}/effective-policies", None, POLICY_READERS, OK, FORBIDDEN),
        // Configurations: admins manage them, readers of employees read them.
        c(M::GET, "/v1/employees/{employee_id}/agent-configs", "/v1/employees/{member}/agent-configs", None, READERS, OK, FORBIDDEN),
        c(M::POST, "/v1/employees/{employee_id}/agent-configs", "/v1/employees/{member}/agent-configs", Some(r#"{"agent_id":"%agent%","name":"%unique%"}"#), ADMINS, CREATED, FORBIDDEN),
        c(M::GET, "/v1/employees/{employee_id}/agent-configs/{config_id}", "/v1/employees/{member}/agent-configs/{agent_config}", None, READERS, OK, FORBIDDEN),
        c(M::PATCH, "/v1/employees/{employee_id}/agent-configs/{config_id}", "/v1/employees/{member}/agent-configs/{agent_config}", Some(r#"{"status":"disabled"}"#), ADMINS, OK, FORBIDDEN),
        c(M::DELETE, "/v1/employees/{employee_id}/agent-configs/{config_id}", "/v1/employees/{member}/agent-configs/{agent_config}", None, ADMINS, GONE, FORBIDDEN),
        c(M::GET, "/v1/employees/{employee_id}/mcp-configs", "/v1/employees/{member}/mcp-configs", None, READERS, OK, FORBIDDEN),
        c(M::POST, "/v1/employees/{employee_id}/mcp-configs", "/v1/employees/{member}/mcp-configs", Some(r#"{"server_id":"%config_server%"}"#), ADMINS, CREATED, FORBIDDEN),
        c(M::GET, "/v1/employees/{employee_id}/mcp-configs/{config_id}", "/v1/employees/{member}/mcp-configs/{mcp_config}", None, READERS, OK, FORBIDDEN),
        c(M::PATCH, "/v1/employees/{employee_id}/mcp-configs/{config_id}", "/v1/employees/{member}/mcp-configs/{mcp_config}", Some(r#"{"status":"disabled"}"#), ADMINS, OK, FORBIDDEN),
        c(M::PUT, "/v1/employees/{employee_id}/mcp-configs/{config_id}/credentials", "/v1/employees/{member}/mcp-configs/{mcp_config}/credentials", Some(r#"{"credentials":{"token":"secret-%unique%"}}"#), ADMINS, OK, FORBIDDEN),
        c(M::DELETE, "/v1/employees/{employee_id}/mcp-configs/{config_id}/credentials", "/v1/employees/{member}/mcp-configs/{mcp_config}/credentials", None, ADMINS, OK, FORBIDDEN),
        c(M::DELETE, "/v1/employees/{employee_id}/mcp-configs/{config_id}", "/v1/employees/{member}/mcp-configs/{mcp_config}", None, ADMINS, GONE, FORBIDDEN),
        // Assignments: admins assign, readers of employees read; everyone sets their own
        // credentials for a server assigned to them.
        c(M::GET, "/v1/assignments", "/v1/assignments", None, READERS, OK, FORBIDDEN),
        c(M::POST, "/v1/assignments", "/v1/assignments", Some(r#"{"target":{"type":"organization"},"item":{"type":"agent","agent_id":"%agent%"}}"#), ADMINS, CREATED, FORBIDDEN),
        c(M::POST, "/v1/assignments/bulk", "/v1/assignments/bulk", Some(r#"{"targets":[{"type":"organization"}],"items":[{"type":"agent","agent_id":"%spare_agent%"}]}"#), ADMINS, OK, FORBIDDEN),
        c(M::GET, "/v1/assignments/{assignment_id}", "/v1/assignments/{assignment}", None, READERS, OK, FORBIDDEN),
        c(M::PATCH, "/v1/assignments/{assignment_id}", "/v1/assignments/{assignment}", Some(r#"{"excluded_employee_ids":[]}"#), ADMINS, OK, FORBIDDEN),
        c(M::PUT, "/v1/me/assignments/{assignment_id}/credentials", "/v1/me/assignments/{assignment}/credentials", Some(r#"{"credentials":{"token":"secret-%unique%"}}"#), ALL, GONE, FORBIDDEN),
        c(M::DELETE, "/v1/me/assignments/{assignment_id}/credentials", "/v1/me/assignments/{assignment}/credentials", None, ALL, GONE, FORBIDDEN),
        c(M::PUT, "/v1/assignments/{assignment_id}/credentials", "/v1/assignments/{assignment}/credentials", Some(r#"{"credentials":{"token":"shared-%unique%"}}"#), ADMINS, OK, FORBIDDEN),
        c(M::DELETE, "/v1/assignments/{assignment_id}/credentials", "/v1/assignments/{assignment}/credentials", None, ADMINS, GONE, FORBIDDEN),
        c(M::DELETE, "/v1/assignments/{assignment_id}", "/v1/assignments/{spare_assignment}", None, ADMINS, GONE, FORBIDDEN),
        // Requests: everyone files and cancels their own; deciders (by the default rules, a
        // teamless member's agent request is the admins' and owners') see and decide it.
        c(M::POST, "/v1/requests", "/v1/requests", Some(r#"{"request_type":"increase_budget","request_data":{"amount_usd":"5"},"reason":"%unique%"}"#), ALL, CREATED, FORBIDDEN),
        c(M::GET, "/v1/me/requests", "/v1/me/requests", None, ALL, OK, FORBIDDEN),
        c(M::GET, "/v1/requests/pending", "/v1/requests/pending", None, READERS, OK, FORBIDDEN),
        hidden(M::GET, "/v1/requests/{request_id}", "/v1/requests/{request}", None, ADMINS, OK),
        hidden(M::POST, "/v1/requests/{request_id}/decisions", "/v1/requests/{request}/decisions", Some(r#"{"decision":"approve"}"#), ADMINS, OK),
        c(M::POST, "/v1/requests/{request_id}/cancel", "/v1/requests/{my_request}/cancel", Some("{}"), ALL, OK, FORBIDDEN),
        // Webhooks: admins only, reads included (a URL may hold a token).
        c(M::GET, "/v1/webhooks", "/v1/webhooks", None, ADMINS, OK, FORBIDDEN),
        c(M::POST, "/v1/webhooks", "/v1/webhooks", Some(r#"{"url":"https://hooks.matrix.example/%unique%"}"#), ADMINS, CREATED, FORBIDDEN),
        c(M::GET, "/v1/webhooks/{webhook_id}", "/v1/webhooks/{webhook}", None, ADMINS, OK, FORBIDDEN),
        c(M::PATCH, "/v1/webhooks/{webhook_id}", "/v1/webhooks/{webhook}", Some(r#"{"description":"%unique%"}"#), ADMINS, OK, FORBIDDEN),
        c(M::POST, "/v1/webhooks/{webhook_id}/secret", "/v1/webhooks/{webhook}/secret", None, ADMINS, OK, FORBIDDEN),
        c(M::POST, "/v1/webhooks/{webhook_id}/test", "/v1/webhooks/{webhook}/test", None, ADMINS, StatusCode::ACCEPTED, FORBIDDEN),
        c(M::GET, "/v1/webhooks/{webhook_id}/deliveries", "/v1/webhooks/{webhook}/deliveries", None, ADMINS, OK, FORBIDDEN),
        c(M::DELETE, "/v1/webhooks/{webhook_id}", "/v1/webhooks/{spare_webhook}", None, ADMINS, GONE, FORBIDDEN),
    ]
}

/// Fresh targets in `org`, created by its owner.
pub async fn targets(app: &TestApp, org: &Org, tag: &str) -> HashMap<&'static str, String> {
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();
    let t = &org.owner_token;
    let mut targets = HashMap::new();
    targets.insert("org", org.id.clone());
    targets.insert("now", chrono::Utc::now().to_rfc3339());
    targets.insert("team", id(&app.create_team(org, &format!("team-{tag}")).await));
    targets.insert("spare_team", id(&app.create_team(org, &format!("spare-{tag}")).await));
    let member = app.add_employee(org, &format!("member-{tag}@{}.example", org.slug), "member", None).await;
    targets.insert("member", id(&member));
    let gone = app.add_employee(org, &format!("gone-{tag}@{}.example", org.slug), "member", None).await;
    let (status, _) = app.patch(&format!("/v1/employees/{}", id(&gone)), t, json!({ "status": "deactivated" })).await;
    assert_eq!(status, OK);
    targets.insert("deactivated", id(&gone));
    let (status, scim_token) = app.post("/v1/org/scim-tokens", t, json!({ "name": format!("scim-{tag}") })).await;
    assert_eq!(status, CREATED, "{scim_token}");
    targets.insert("scim_token", id(&scim_token));
    let server =
        |name: String| json!({ "name": name, "provider": "p", "version": "1", "transport": "stdio", "command": "npx" });
    let policy = |name: String| json!({ "name": name, "policy_type": "filesystem", "rules": { "deny": ["/etc/**"] }, "severity": "block" });
    let catalog = [
        ("agent", "/v1/catalog/agents", json!({ "name": format!("agent-{tag}"), "type": "other", "provider": "p" })),
        (
            "spare_agent",
            "/v1/catalog/agents",
            json!({ "name": format!("spare-agent-{tag}"), "type": "other", "provider": "p" }),
        ),
        (
            "requested_agent",
            "/v1/catalog/agents",
            json!({ "name": format!("requested-agent-{tag}"), "type": "other", "provider": "p" }),
        ),
        ("tool", "/v1/catalog/tools", json!({ "name": format!("tool-{tag}"), "type": "git" })),
        ("spare_tool", "/v1/catalog/tools", json!({ "name": format!("spare-tool-{tag}"), "type": "git" })),
        ("category", "/v1/catalog/mcp-categories", json!({ "name": format!("cat-{tag}") })),
        ("spare_category", "/v1/catalog/mcp-categories", json!({ "name": format!("spare-cat-{tag}") })),
        ("server", "/v1/catalog/mcp-servers", server(format!("server-{tag}"))),
        ("spare_server", "/v1/catalog/mcp-servers", server(format!("spare-server-{tag}"))),
        ("policy", "/v1/policies", policy(format!("policy-{tag}"))),
        ("spare_policy", "/v1/policies", policy(format!("spare-policy-{tag}"))),
        ("webhook", "/v1/webhooks", json!({ "url": format!("https://hooks.{tag}.example/") })),
        ("spare_webhook", "/v1/webhooks", json!({ "url": format!("https://spare.{tag}.example/") })),
    ];
    for (name, path, body) in catalog {
        let (status, created) = app.post(path, t, body).await;
        assert_eq!(status, CREATED, "{created}");
        // A webhook's answer holds it with its secret.
        targets.insert(name, id(created.get("webhook").unwrap_or(&created)));
    }
    // An approved server with a credential, and configurations of the member.
    let token_schema = json!({ "type": "object", "required": ["token"], "properties": { "token": { "type": "string", "writeOnly": true } } });
    let (_, server) = app
        .post("/v1/catalog/mcp-servers", t, json!({ "name": format!("config-server-{tag}"), "provider": "p", "version": "1", "transport": "http", "url": "https://mcp.example.com/", "headers": { "Authorization": "Bearer ${token}" }, "connection_schema": token_schema }))
        .await;
    targets.insert("config_server", id(&server));
    let (status, _) =
        app.call(Method::PUT, &format!("/v1/catalog/mcp-servers/{}/approval", id(&server)), Some(t), None).await;
    assert_eq!(status, OK);
    let assignments = [
        ("assignment", json!({ "type": "organization" })),
        ("spare_assignment", json!({ "type": "team", "team_id": targets["team"] })),
    ];
    for (name, target) in assignments {
        let body = json!({ "target": target, "item": { "type": "mcp_server", "server_id": id(&server) } });
        let (status, assignment) = app.post("/v1/assignments", t, body).await;
        assert_eq!(status, CREATED, "{assignment}");
        targets.insert(name, id(&assignment));
    }
    let member_path = format!("/v1/employees/{}", targets["member"]);
    let (status, agent_config) =
        app.post(&format!("{member_path}/agent-configs"), t, json!({ "agent_id": targets["agent"] })).await;
    assert_eq!(status, CREATED, "{agent_config}");
    targets.insert("agent_config", id(&agent_config));
    let (status, mcp_config) =
        app.post(&format!("{member_path}/mcp-configs"), t, json!({ "server_id": id(&server) })).await;
    assert_eq!(status, CREATED, "{mcp_config}");
    targets.insert("mcp_config", id(&mcp_config));
    let member_token = app.enroll_and_login(org, &targets["member"]).await;
    targets.insert("request", file_agent_request(app, &member_token, &targets["agent"]).await);
    targets.insert("my_request", file_agent_request(app, t, &targets["requested_agent"]).await);
    targets
}

/// Files a request for `agent` as the holder of `token`; its id.
pub async fn file_agent_request(app: &TestApp, token: &str, agent: &str) -> String {
    let body = json!({ "request_type": "new_agent", "request_data": { "agent_id": agent }, "reason": "matrix" });
    let (status, request) = app.post("/v1/requests", token, body).await;
    assert_eq!(status, CREATED, "{request}");
    request["id"].as_str().unwrap().to_string()
}

pub fn fill(template: &str, targets: &HashMap<&'static str, String>) -> String {
    template
        .split('/')
        .map(|part| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => targets[name].clone(),
            None => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every (method, route) of the OpenAPI document that takes a credential.
pub fn authenticated_routes() -> BTreeSet<(String, String)> {
    let api = serde_json::to_value(devserver::openapi()).expect("the document is JSON");
    let mut routes = BTreeSet::new();
    for (path, item) in api["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if operation["security"] != json!([{}]) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

/// Sends `case` as the holder of `token`, its placeholders filled from `targets`.
pub async fn send(
    app: &TestApp,
    case: &Case,
    targets: &HashMap<&'static str, String>,
    token: &str,
) -> (StatusCode, Value) {
    let unique = slug("m");
    let body = case.body.map(|b| {
        let filled = targets.iter().fold(b.replace("%unique%", &unique), |b, (k, v)| b.replace(&format!("%{k}%"), v));
        serde_json::from_str(&filled).unwrap()
    });
    app.call(case.method.clone(), &fill(case.path, targets), Some(token), body).await
}
