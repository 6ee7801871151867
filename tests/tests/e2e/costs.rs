//! What requests cost in DynamoDB operations, counted by an SDK interceptor on the
//! functions' own client (the authorizer, a function of its own, is not counted).

use agentctl_tests::{TestApp, slug};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> String {
    let (status, created) = app.post(path, token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {created}");
    created["id"].as_str().unwrap().to_string()
}

async fn put(app: &TestApp, path: &str, token: &str) {
    let (status, body) = app.call(Method::PUT, path, Some(token), Some(json!({}))).await;
    assert!(status.is_success(), "{path}: {status} {body}");
}

#[tokio::test]
async fn a_full_sync_is_one_query_and_one_batch_get_and_a_304_one_batch_get_whatever_is_assigned() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("costs")).await;
    let t = &org.owner_token;
    let platform = &app.platform_key;
    let team = app.create_team(&org, "Platform").await;
    let team_id = team["id"].as_str().unwrap();
    let employee = app.add_employee(&org, "dev@costs.example", "member", Some(team_id)).await;
    let employee_id = employee["id"].as_str().unwrap();
    let token = app.enroll_and_login(&org, employee_id).await;
    let configs = format!("/v1/employees/{employee_id}");

    // Policies at every level: organization, team, employee, agent (platform and org).
    let policy = |name: &str, pattern: &str| json!({ "name": name, "policy_type": "filesystem", "rules": { "deny": [pattern] }, "severity": "block" });
    let global_policy = created(&app, "/v1/policies", platform, policy("No secrets", "~/.ssh/**")).await;
    let org_policy = created(&app, "/v1/policies", t, policy("No /etc", "/etc/**")).await;
    put(&app, &format!("/v1/org/policies/{org_policy}"), t).await;
    put(&app, &format!("/v1/teams/{team_id}/policies/{global_policy}"), t).await;
    put(&app, &format!("/v1/employees/{employee_id}/policies/{org_policy}"), t).await;

    // Five agents (global and private), each in a configuration.
    for i in 0..5 {
        let (path, token) = if i % 2 == 0 { ("/v1/catalog/agents", platform) } else { ("/v1/catalog/agents", t) };
        let agent = created(&app, path, token, json!({ "name": format!("Agent {i}"), "type": "claude-code", "provider": "Anthropic", "default_config": { "n": i } })).await;
        if i == 0 {
            put(&app, &format!("/v1/catalog/agents/{agent}/policies/{global_policy}"), platform).await;
        }
        if i == 1 {
            put(&app, &format!("/v1/catalog/agents/{agent}/policies/{org_policy}"), t).await;
        }
        created(&app, &format!("{configs}/agent-configs"), t, json!({ "agent_id": agent })).await;
    }
    // Ten approved MCP servers, each in a configuration with credentials.
    let schema = json!({ "type": "object", "properties": { "token": { "type": "string", "writeOnly": true } } });
    for i in 0..10 {
        let server = created(&app, "/v1/catalog/mcp-servers", platform, json!({ "name": format!("server-{i}"), "provider": "MCP", "version": "1", "transport": "stdio", "command": "npx", "args": ["-y", format!("server-{i}")], "env": { "TOKEN": "${token}" }, "connection_schema": schema })).await;
        put(&app, &format!("/v1/catalog/mcp-servers/{server}/approval"), t).await;
        let config = created(&app, &format!("{configs}/mcp-configs"), t, json!({ "server_id": server })).await;
        put_credentials(&app, &format!("{configs}/mcp-configs/{config}/credentials"), &token, i).await;
    }
    // Assignments to the organization and the team: three agents (global and private) and
    // four servers, one with the employee's own credentials.
    let org_wide = json!({ "type": "organization" });
    let to_team = json!({ "type": "team", "team_id": team_id });
    for i in 0..3 {
        let owner = if i == 0 { platform } else { t };
        let agent = created(&app, "/v1/catalog/agents", owner, json!({ "name": format!("Assigned {i}"), "type": "codex", "provider": "OpenAI", "default_config": { "n": i } })).await;
        let target = if i == 2 { &to_team } else { &org_wide };
        created(
            &app,
            "/v1/assignments",
            t,
            json!({ "target": target, "item": { "type": "agent", "agent_id": agent } }),
        )
        .await;
    }
    for i in 0..4 {
        let server = created(&app, "/v1/catalog/mcp-servers", platform, json!({ "name": format!("assigned-server-{i}"), "provider": "MCP", "version": "1", "transport": "stdio", "command": "npx", "env": { "TOKEN": "${token}" }, "connection_schema": schema })).await;
        put(&app, &format!("/v1/catalog/mcp-servers/{server}/approval"), t).await;
        let target = if i % 2 == 0 { &to_team } else { &org_wide };
        let assignment = created(
            &app,
            "/v1/assignments",
            t,
            json!({ "target": target, "item": { "type": "mcp_server", "server_id": server } }),
        )
        .await;
        if i == 0 {
            put_credentials(&app, &format!("/v1/me/assignments/{assignment}/credentials"), &token, 99).await;
        }
    }

    app.requests.take();
    let response = app.request(Method::GET, "/v1/me/sync", Some(&token)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let bundle: Value = response.json().await.unwrap();
    let full = app.requests.take();
    assert_eq!(bundle["agents"].as_array().unwrap().len(), 5 + 3, "{bundle}");
    assert_eq!(bundle["mcp_servers"].as_array().unwrap().len(), 10 + 4, "{bundle}");
    let own_credentials = bundle["mcp_servers"].as_array().unwrap().iter().find(|s| s["name"] == "assigned-server-0");
    assert_eq!(own_credentials.unwrap()["credentials"], json!({ "token": "secret-99" }));
    assert_eq!(bundle["mcp_servers"][3]["credentials"], json!({ "token": "secret-3" }));
    let applied = bundle["agents"][0]["policies"]["policies"].as_array().unwrap().len();
    assert_eq!(applied, 4, "organization, team, employee and the platform's agent policy: {bundle}");

    let response =
        app.request(Method::GET, "/v1/me/sync", Some(&token)).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    let unchanged = app.requests.take();

    println!("full sync (5 agents, 10 MCP servers, 4 policy levels, 7 assignments): {full:?}");
    println!("304 sync: {unchanged:?}");
    // Recording the sync is the sync recorder's work, off the request path.
    assert_eq!(full, ["Query", "BatchGetItem"]);
    assert_eq!(unchanged, ["BatchGetItem"], "a 304 is one request and writes nothing");
}

async fn put_credentials(app: &TestApp, path: &str, token: &str, i: usize) {
    let body = json!({ "credentials": { "token": format!("secret-{i}") } });
    let (status, answer) = app.call(Method::PUT, path, Some(token), Some(body)).await;
    assert!(status.is_success(), "{path}: {status} {answer}");
}

#[tokio::test]
async fn no_request_path_scans() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("scans")).await;
    let t = &org.owner_token;
    let team = app.create_team(&org, "Platform").await;
    let employee = app.add_employee(&org, "dev@scans.example", "member", team["id"].as_str()).await;
    let employee_id = employee["id"].as_str().unwrap();
    for path in [
        "/v1/employees",
        "/v1/teams",
        "/v1/catalog/agents",
        "/v1/catalog/mcp-servers?approved=true",
        "/v1/policies",
        "/v1/activity",
        "/v1/org/subscription",
        &format!("/v1/employees/{employee_id}/effective-policies"),
        &format!("/v1/employees/{employee_id}/agent-configs"),
    ] {
        let (status, body) = app.get(path, t).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let all = app.requests.take();
    assert!(!all.is_empty());
    assert!(!all.iter().any(|op| op == "Scan"), "a request path scanned: {all:?}");
}
