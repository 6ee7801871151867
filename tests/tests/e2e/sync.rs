//! The sync bundle: what is delivered, decrypted credentials for their owner only, and an
//! ETag that changes exactly when the bundle does.

use agentctl_tests::{Org, TestApp, slug};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn sync(app: &TestApp, token: &str, etag: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let mut request = app.request(Method::GET, "/v1/me/sync", Some(token));
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let etag = response.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
    let (status, body) = agentctl_tests::read(response).await;
    (status, etag, body)
}

struct Setup {
    org: Org,
    agent_id: String,
    server_id: String,
    team_id: String,
    employee_id: String,
    token: String,
}

async fn setup(app: &TestApp) -> Setup {
    let org = app.create_org(&slug("sync")).await;
    let t = &org.owner_token;
    let (_, agent) = app
        .post("/v1/catalog/agents", &app.platform_key, json!({ "name": "Claude Code", "type": "claude-code", "provider": "Anthropic", "default_config": { "model": "sonnet", "theme": "dark" } }))
        .await;
    let schema = json!({ "type": "object", "required": ["token"], "properties": { "token": { "type": "string", "writeOnly": true }, "org": { "type": "string" } } });
    let (_, server) = app
        .post("/v1/catalog/mcp-servers", &app.platform_key, json!({ "name": "github", "provider": "GitHub", "version": "1", "transport": "http", "url": "https://api.githubcopilot.com/mcp/", "headers": { "Authorization": "Bearer ${token}" }, "connection_schema": schema }))
        .await;
    let server_id = server["id"].as_str().unwrap().to_string();
    app.call(Method::PUT, &format!("/v1/catalog/mcp-servers/{server_id}/approval"), Some(t), None).await;
    let team = app.create_team(&org, "Platform").await;
    let team_id = team["id"].as_str().unwrap().to_string();
    let employee = app.add_employee(&org, "dev@sync.example", "member", Some(&team_id)).await;
    let employee_id = employee["id"].as_str().unwrap().to_string();
    let token = app.enroll_and_login(&org, &employee_id).await;
    Setup { org, agent_id: agent["id"].as_str().unwrap().to_string(), server_id, team_id, employee_id, token }
}

#[tokio::test]
async fn the_bundle_holds_active_configs_merged_settings_and_own_credentials() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = &s.org.owner_token;
    let base = format!("/v1/employees/{}", s.employee_id);
    app.post(
        &format!("{base}/agent-configs"),
        t,
        json!({ "agent_id": s.agent_id, "config_override": { "model": "opus" } }),
    )
    .await;
    app.post(
        &format!("{base}/agent-configs"),
        t,
        json!({ "agent_id": s.agent_id, "name": "waiting", "status": "pending_approval" }),
    )
    .await;
    let (_, mcp) = app
        .post(
            &format!("{base}/mcp-configs"),
            t,
            json!({ "server_id": s.server_id, "connection_config": { "org": "acme" } }),
        )
        .await;
    let mcp_path = format!("{base}/mcp-configs/{}", mcp["id"].as_str().unwrap());
    app.call(
        Method::PUT,
        &format!("{mcp_path}/credentials"),
        Some(&s.token),
        Some(json!({ "credentials": { "token": "ghp_secret" } })),
    )
    .await;

    let (status, etag, bundle) = sync(&app, &s.token, None).await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    assert!(etag.is_some());
    assert_eq!(bundle["format"], 1);
    assert_eq!(bundle["employee"]["team_id"], s.team_id.as_str());
    let agents = bundle["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 1, "pending configs are not delivered");
    assert_eq!(agents[0]["settings"], json!({ "model": "opus", "theme": "dark" }));
    assert_eq!(agents[0]["type"], "claude-code");
    assert_eq!(agents[0]["status"], "active");
    assert!(agents[0]["last_sync_at"].is_null(), "never synced before");
    let server = &bundle["mcp_servers"][0];
    assert!(server["provider"].is_string(), "{server}");
    assert_eq!(server["credentials"], json!({ "token": "ghp_secret" }), "decrypted for their owner");
    assert_eq!(server["headers"]["Authorization"], "Bearer ${token}");
    assert_eq!(server["credential_fields"], json!(["token"]));
    assert_eq!(server["connection_config"], json!({ "org": "acme" }));

    // The sync is recorded (by the sync recorder, from the queue); the admin still never
    // sees the credentials.
    app.eventually("last_sync_at set", async || app.get(&mcp_path, t).await.1["last_sync_at"].is_string()).await;
    let (_, config) = app.get(&mcp_path, t).await;
    assert!(!config.to_string().contains("ghp_secret"));
    let (_, synced) = app.get("/v1/activity?event_type=config.synced", t).await;
    let synced = synced["items"].as_array().unwrap();
    assert_eq!(synced.len(), 1);
    assert_eq!(synced[0]["payload"], json!({ "employee_id": s.employee_id, "agents": 1, "mcp_servers": 1 }));
    assert_eq!(synced[0]["employee_id"], s.employee_id.as_str());
    let (_, again) = app.call(Method::GET, "/v1/me/sync", Some(&s.token), None).await;
    assert!(again["agents"][0]["last_sync_at"].is_string(), "the recorded sync shows in the next bundle: {again}");

    // Another employee's bundle has none of it.
    let (_, colleague) = app.add_signed_in(&s.org, "other@sync.example", "member").await;
    let (_, _, theirs) = sync(&app, &colleague, None).await;
    assert_eq!(theirs["agents"], json!([]));
    assert!(!theirs.to_string().contains("ghp_secret"));
}

#[tokio::test]
async fn the_etag_changes_exactly_when_the_bundle_does() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = &s.org.owner_token;
    let base = format!("/v1/employees/{}", s.employee_id);
    let (_, config) = app.post(&format!("{base}/agent-configs"), t, json!({ "agent_id": s.agent_id })).await;
    let (_, mcp) = app.post(&format!("{base}/mcp-configs"), t, json!({ "server_id": s.server_id })).await;
    let (_, other_team) = app.post("/v1/teams", t, json!({ "name": "Other" })).await;

    let (_, first, _) = sync(&app, &s.token, None).await;
    let first = first.unwrap();
    let (status, same, body) = sync(&app, &s.token, Some(&first)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED, "{body}");
    assert_eq!(same.as_deref(), Some(first.as_str()));
    let synced = async || app.activity(&s.org.id).await.iter().filter(|e| e["event_type"] == "config.synced").count();
    app.eventually("the first sync recorded", async || synced().await == 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(synced().await, 1, "a 304 records nothing");

    // Each of these changes the bundle, hence the ETag.
    let shell = {
        let (_, p) = app.post("/v1/policies", t, json!({ "name": "No rm", "policy_type": "shell", "rules": { "deny": ["rm -rf *"] }, "severity": "block" })).await;
        p["id"].as_str().unwrap().to_string()
    };
    let global = {
        let body = json!({ "name": "No keys", "policy_type": "filesystem", "rules": { "deny": ["~/.ssh/**"] }, "severity": "warn" });
        let (_, p) = app.post("/v1/policies", &app.platform_key, body).await;
        p["id"].as_str().unwrap().to_string()
    };
    let platform = app.platform_key.clone();
    let changes: Vec<(&str, Method, String, Option<Value>)> = vec![
        (
            "config edit",
            Method::PATCH,
            format!("{base}/agent-configs/{}", config["id"].as_str().unwrap()),
            Some(json!({ "config_override": { "model": "opus" } })),
        ),
        ("team policy", Method::PUT, format!("/v1/teams/{}/policies/{shell}", s.team_id), Some(json!({}))),
        ("org policy", Method::PUT, format!("/v1/org/policies/{shell}"), Some(json!({}))),
        (
            "policy content",
            Method::PATCH,
            format!("/v1/policies/{shell}"),
            Some(json!({ "rules": { "deny": ["rm -rf /"] } })),
        ),
        ("employee policy", Method::PUT, format!("{base}/policies/{global}"), Some(json!({}))),
        (
            "platform agent policy",
            Method::PUT,
            format!("/v1/catalog/agents/{}/policies/{global}", s.agent_id),
            Some(json!({})),
        ),
        (
            "global policy content",
            Method::PATCH,
            format!("/v1/policies/{global}"),
            Some(json!({ "severity": "block" })),
        ),
        ("team change", Method::PATCH, base.clone(), Some(json!({ "team_id": other_team["id"] }))),
        (
            "credentials",
            Method::PUT,
            format!("{base}/mcp-configs/{}/credentials", mcp["id"].as_str().unwrap()),
            Some(json!({ "credentials": { "token": "ghp_rotated" } })),
        ),
        (
            "server entry",
            Method::PATCH,
            format!("/v1/catalog/mcp-servers/{}", s.server_id),
            Some(json!({ "description": "GitHub's server" })),
        ),
        (
            "catalog entry",
            Method::PATCH,
            format!("/v1/catalog/agents/{}", s.agent_id),
            Some(json!({ "default_config": { "theme": "light" } })),
        ),
        ("approval revoked", Method::DELETE, format!("/v1/catalog/mcp-servers/{}/approval", s.server_id), None),
    ];
    let mut etag = first;
    for (what, method, path, body) in changes {
        let by_platform = what.starts_with("platform") || what.starts_with("global") || what.ends_with("entry");
        let token = if by_platform { platform.clone() } else { t.clone() };
        let (status, answer) = app.call(method, &path, Some(&token), body).await;
        assert!(status.is_success(), "{what}: {status} {answer}");
        let (status, next, bundle) = sync(&app, &s.token, Some(&etag)).await;
        assert_eq!(status, StatusCode::OK, "{what} must change the bundle");
        let next = next.unwrap();
        assert_ne!(next, etag, "{what}");
        if what == "approval revoked" {
            assert_eq!(bundle["mcp_servers"], json!([]), "a revoked server is no longer delivered");
        }
        etag = next;
    }

    // What the bundle does not hold leaves the ETag alone.
    let (status, _) =
        app.call(Method::PATCH, "/v1/me", Some(&s.token), Some(json!({ "preferences": { "editor": "vim" } }))).await;
    assert!(status.is_success());
    app.post("/v1/catalog/tools", t, json!({ "name": "grep", "type": "builtin" })).await;
    let (status, _, _) = sync(&app, &s.token, Some(&etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn a_bundle_read_right_after_a_change_gets_no_etag_until_it_settles() {
    let app = TestApp::spawn_with(|config| config.sync_settle = chrono::Duration::seconds(60)).await;
    let s = setup(&app).await;
    let (status, etag, _) = sync(&app, &s.token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(etag, None, "the organization approved the server seconds ago");
    // A client without an ETag asks in full again, and gets a full bundle.
    let (status, _, bundle) = sync(&app, &s.token, None).await;
    assert_eq!((status, bundle["format"].as_u64()), (StatusCode::OK, Some(1)));
}

/// A sync record of a minute ago (whole seconds, as the API prints them back).
fn record(s: &Setup, agent_configs: &[&str], id: &str) -> String {
    json!({
        "v": 1,
        "id": id,
        "org_id": s.org.id,
        "employee_id": s.employee_id,
        "agent_config_ids": agent_configs,
        "mcp_config_ids": [],
        "synced_at": a_minute_ago(),
    })
    .to_string()
}

fn a_minute_ago() -> String {
    let at = chrono::Utc::now() - chrono::Duration::minutes(1);
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[tokio::test]
async fn the_recorder_writes_once_per_sync_skips_deleted_configs_and_refuses_garbage() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = &s.org.owner_token;
    let base = format!("/v1/employees/{}", s.employee_id);
    let (_, kept) = app.post(&format!("{base}/agent-configs"), t, json!({ "agent_id": s.agent_id })).await;
    let kept = kept["id"].as_str().unwrap();
    let (_, gone) =
        app.post(&format!("{base}/agent-configs"), t, json!({ "agent_id": s.agent_id, "name": "gone" })).await;
    let gone = gone["id"].as_str().unwrap();
    app.delete(&format!("{base}/agent-configs/{gone}"), t).await;

    // A record naming a deleted configuration, delivered twice.
    let message = record(&s, &[kept, gone], &uuid::Uuid::now_v7().to_string());
    for _ in 0..2 {
        agentctl_shared::domain::sync::record_message(&app.state, &message).await.expect("recorded");
    }
    let (_, config) = app.get(&format!("{base}/agent-configs/{kept}"), t).await;
    let synced_at: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(&message).unwrap()["synced_at"].clone();
    assert_eq!(config["last_sync_at"], synced_at);
    let (status, _) = app.get(&format!("{base}/agent-configs/{gone}"), t).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "marking a deleted configuration must not recreate it");
    let entries = app.activity(&s.org.id).await;
    assert_eq!(entries.iter().filter(|e| e["event_type"] == "config.synced").count(), 1, "redelivery writes nothing");

    // Poison fails (the queue retries it, then dead-letters it).
    for garbage in ["not json", r#"{"v": 2}"#, &record(&s, &[kept], "x").replace(r#""v":1"#, r#""v":9"#)] {
        assert!(agentctl_shared::domain::sync::record_message(&app.state, garbage).await.is_err(), "{garbage}");
    }
}

#[tokio::test]
async fn a_batch_reports_only_its_failed_messages() {
    use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let message = |id: &str, body: String| {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.into());
        m.body = Some(body);
        m
    };
    let mut event = SqsEvent::default();
    event.records =
        vec![message("good", record(&s, &[], &uuid::Uuid::now_v7().to_string())), message("poison", "{}".into())];
    let handle = agentctl_shared::domain::sync::record_message;
    let response = agentctl_shared::lambda::process_batch(&app.state, event, &handle).await;
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, ["poison"]);
    assert_eq!(app.activity(&s.org.id).await.iter().filter(|e| e["event_type"] == "config.synced").count(), 1);
}

#[tokio::test]
async fn suspended_employees_and_disabled_configs_get_nothing() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = &s.org.owner_token;
    let base = format!("/v1/employees/{}", s.employee_id);
    app.post(&format!("{base}/agent-configs"), t, json!({ "agent_id": s.agent_id, "status": "disabled" })).await;
    let (_, _, bundle) = sync(&app, &s.token, None).await;
    assert_eq!(bundle["agents"], json!([]), "disabled configurations are not delivered");

    app.patch(&base, t, json!({ "status": "suspended" })).await;
    let response = app.request(Method::GET, "/v1/me/sync", Some(&s.token)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "a suspended employee gets no bundle");
    app.patch(&base, t, json!({ "status": "active" })).await;
    let response = app.request(Method::GET, "/v1/me/sync", Some(&s.token)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "suspension ended the session for good");
    let token = app.enroll_and_login(&s.org, &s.employee_id).await;
    let (status, _, _) = sync(&app, &token, None).await;
    assert_eq!(status, StatusCode::OK, "reactivated, signed in again");
    app.patch(&base, t, json!({ "status": "deactivated" })).await;
    let response = app.request(Method::GET, "/v1/me/sync", Some(&token)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "a deactivated employee gets no bundle");
}

/// Tools linked to an agent reach the bundle with the link's config; one that requires
/// approval is not enabled until the employee's `enable_tool` request is approved.
#[tokio::test]
async fn linked_tools_reach_the_bundle_and_an_approval_enables_one() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = &s.org.owner_token;
    let base = format!("/v1/employees/{}", s.employee_id);
    let (status, _) = app.post(&format!("{base}/agent-configs"), t, json!({ "agent_id": s.agent_id })).await;
    assert_eq!(status, StatusCode::CREATED);
    let mut tools = Vec::new();
    for (name, kind, requires_approval) in [("git", "git", false), ("docker", "docker", true)] {
        let body = json!({ "name": name, "type": kind, "requires_approval": requires_approval });
        let (status, tool) = app.post("/v1/catalog/tools", t, body).await;
        assert_eq!(status, StatusCode::CREATED, "{tool}");
        tools.push(tool["id"].as_str().unwrap().to_string());
    }
    let (_, etag, _) = sync(&app, &s.token, None).await;
    let link = |tool: &str| format!("/v1/catalog/agents/{}/tools/{tool}", s.agent_id);
    let (status, _) =
        app.call(Method::PUT, &link(&tools[0]), Some(t), Some(json!({ "config": { "commands": ["status"] } }))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.call(Method::PUT, &link(&tools[1]), Some(t), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, bundle) = sync(&app, &s.token, etag.as_deref()).await;
    assert_eq!(status, StatusCode::OK, "linking a tool changes the bundle");
    let listed = |bundle: &Value| bundle["agents"][0]["tools"].as_array().unwrap().clone();
    let by_name = |bundle: &Value, name: &str| listed(bundle).into_iter().find(|t| t["name"] == name).unwrap();
    assert_eq!(listed(&bundle).len(), 2, "{bundle}");
    let git = by_name(&bundle, "git");
    assert_eq!((git["enabled"].clone(), git["config"].clone()), (json!(true), json!({ "commands": ["status"] })));
    let docker = by_name(&bundle, "docker");
    assert_eq!((docker["enabled"].clone(), docker["requires_approval"].clone()), (json!(false), json!(true)));

    // Asking for a tool that needs no approval, or one not linked, is refused.
    let ask = |tool: &str| json!({ "request_type": "enable_tool", "request_data": { "agent_id": s.agent_id, "tool_id": tool }, "reason": "builds" });
    let (status, body) = app.post("/v1/requests", &s.token, ask(&tools[0])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, unlinked) = app
        .post("/v1/catalog/tools", t, json!({ "name": "kubectl", "type": "shell", "requires_approval": true }))
        .await;
    let (status, body) = app.post("/v1/requests", &s.token, ask(unlinked["id"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, request) = app.post("/v1/requests", &s.token, ask(&tools[1])).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let path = format!("/v1/requests/{}/decisions", request["id"].as_str().unwrap());
    let (status, decided) = app.post(&path, t, json!({ "decision": "approve" })).await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["provisioned"]["tool_id"], tools[1].as_str(), "{decided}");

    let (_, _, bundle) = sync(&app, &s.token, None).await;
    assert_eq!(by_name(&bundle, "docker")["enabled"], true, "{bundle}");
    let (status, body) = app.post("/v1/requests", &s.token, ask(&tools[1])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "granted already: {body}");
    // Renaming a tool and unlinking one reach the bundle too.
    let (status, _) = app.patch(&format!("/v1/catalog/tools/{}", tools[1]), t, json!({ "name": "containers" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.delete(&link(&tools[0]), t).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, bundle) = sync(&app, &s.token, None).await;
    let names: Vec<Value> = listed(&bundle).iter().map(|t| t["name"].clone()).collect();
    assert_eq!(names, [json!("containers")]);
}
