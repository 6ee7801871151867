//! The local stack's demo data: seeded through the domain logic, usable end to end.

use agentctl_tests::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_demo_developer_can_log_in_and_sync_a_full_bundle() {
    let app = TestApp::spawn().await;
    let demo = devserver::seed::demo(&app.state).await.expect("seeded").expect("a new demo org");
    assert!(devserver::seed::demo(&app.state).await.expect("second run").is_none(), "seeding twice is a no-op");

    let (status, admin) = app.get("/v1/me", &demo.admin_token).await;
    assert_eq!(status, StatusCode::OK, "{admin}");
    let (status, session) =
        app.call(Method::POST, "/v1/sessions", None, Some(json!({ "code": demo.member_code }))).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().unwrap();

    let (status, bundle) = app.get("/v1/me/sync", token).await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    assert_eq!(bundle["employee"]["email"], demo.member_email);
    let agents: Vec<&str> =
        bundle["agents"].as_array().unwrap().iter().map(|a| a["agent_name"].as_str().unwrap()).collect();
    assert_eq!(agents, ["Claude Code", "Codex"]);
    let servers = bundle["mcp_servers"].as_array().unwrap();
    assert_eq!(servers.len(), 3);
    let github = servers.iter().find(|s| s["name"] == "github").unwrap();
    assert_eq!(github["credentials"], json!({ "token": "ghp_demo_not_a_real_token" }));
    let denied = bundle["policies"]["effective"].to_string();
    assert!(denied.contains("~/.ssh/**") && denied.contains("git push --force"), "org and team policies: {denied}");

    // The admin's queue holds the demo's open agent and MCP requests, oldest first.
    let (status, queue) = app.get("/v1/requests/pending", &demo.admin_token).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let waiting: Vec<&str> =
        queue["items"].as_array().unwrap().iter().map(|r| r["request_type"].as_str().unwrap()).collect();
    assert_eq!(waiting, ["new_mcp", "new_agent"], "{queue}");
}
