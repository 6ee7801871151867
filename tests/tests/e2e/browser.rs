//! The console in a real headless Chromium (tests/browser/console.py, Playwright for
//! Python pointed at Debian's chromium, axe-core from npm): signing in through the local
//! identity provider, accessibility of every page, a keyboard-only approval that the
//! requester's next sync shows, an MCP server assigned to a group reaching a member's
//! bundle, a policy attached and seen in the effective policy, a budget set and usage
//! moving the overview, sessions ended and their token refused, and the attacks a browser
//! allows (markup and right-to-left names, a cross-site form, another organization's ids). `scripts/test.sh`
//! installs the browser and says where it is (`AGENTCTL_BROWSER_PYTHON`,
//! `AGENTCTL_CHROMIUM`, `AGENTCTL_AXE_JS`).

use agentctl_tests::idp::LocalIdp;
use agentctl_tests::{TestApp, slug};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name}: run the tests with scripts/test.sh"))
}

#[tokio::test]
async fn an_admin_signs_in_through_the_identity_provider_and_approves_with_the_keyboard() {
    let (python, chromium, axe) = (env("AGENTCTL_BROWSER_PYTHON"), env("AGENTCTL_CHROMIUM"), env("AGENTCTL_AXE_JS"));
    let app = TestApp::spawn().await;
    let idp = LocalIdp::start().await;
    let org = app.create_org(&slug("browser")).await;
    let (client_id, client_secret) = idp.register_client(&format!("{}/v1/oauth/callback", app.url)).await;
    let settings = json!({
        "issuer": idp.issuer,
        "client_id": client_id,
        "client_secret": client_secret,
        "allowed_domains": [format!("{}.example", org.slug)],
    });
    let (status, body) =
        app.call(Method::PUT, "/v1/org/identity-provider", Some(&org.owner_token), Some(settings)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let admin = format!("alice@{}.example", org.slug);
    app.add_employee(&org, &admin, "admin", None).await;
    let hostile_name = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let body = json!({ "email": format!("mallory@{}.example", org.slug), "full_name": hostile_name, "role": "member" });
    let (status, created) = app.post("/v1/employees", &org.owner_token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    // A member asks for an agent; their bundle has none yet.
    let (member_employee, member) = app.add_signed_in(&org, &format!("erin@{}.example", org.slug), "member").await;
    let agent = json!({ "name": "Coder", "type": "claude-code", "provider": "anthropic" });
    let (status, agent) = app.post("/v1/catalog/agents", &org.owner_token, agent).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let ask =
        json!({ "request_type": "new_agent", "request_data": { "agent_id": agent["id"] }, "reason": "to write tests" });
    let (status, request) = app.post("/v1/requests", &member, ask).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    // Their sync reports a drifted file (the fleet).
    let report = super::console::posture(&uuid::Uuid::new_v4().to_string(), "0.1.0", 1);
    let response =
        app.request(Method::GET, "/v1/me/sync", Some(&member)).header("agentctl-device", report).send().await;
    let before: serde_json::Value = response.unwrap().json().await.unwrap();
    assert_eq!(before["agents"].as_array().map(Vec::len), Some(0), "{before}");
    let (org_id, erin) = (org.id.parse().unwrap(), member_employee["id"].as_str().unwrap().parse().unwrap());
    app.eventually("the device is recorded", async || {
        !agentctl_shared::repo::fleet::of_employee(&app.state.repo, org_id, erin).await.unwrap().is_empty()
    })
    .await;

    // A group with the member in it and a server to assign to it; a policy to attach; a
    // person whose sessions the browser ends; a right-to-left name; another organization.
    let group = app.create_team(&org, "Reviewers").await;
    let (status, _) = app
        .patch(
            &format!("/v1/employees/{}", member_employee["id"].as_str().unwrap()),
            &org.owner_token,
            json!({ "team_id": group["id"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let server = json!({ "name": "docs-search", "provider": "Acme", "version": "1", "transport": "http", "url": "https://docs.example/mcp" });
    let (status, server) = app.post("/v1/catalog/mcp-servers", &org.owner_token, server).await;
    assert_eq!(status, StatusCode::CREATED, "{server}");
    let policy =
        json!({ "name": "No curl", "policy_type": "shell", "rules": { "deny": ["curl *"] }, "severity": "block" });
    let (status, policy) = app.post("/v1/policies", &org.owner_token, policy).await;
    assert_eq!(status, StatusCode::CREATED, "{policy}");
    let (frank, frank_token) = app.add_signed_in(&org, &format!("frank@{}.example", org.slug), "member").await;
    let rtl_name = "מרים כהן-O'Brien";
    let body = json!({ "email": format!("miriam@{}.example", org.slug), "full_name": rtl_name, "role": "member" });
    let (status, created) = app.post("/v1/employees", &org.owner_token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let other = app.create_org(&slug("elsewhere")).await;

    let config = json!({
        "url": app.url,
        "org": org.slug,
        "login": admin,
        "request_id": request["id"],
        "hostile_name": hostile_name,
        "drifted_person": member_employee["full_name"],
        "member_id": member_employee["id"],
        "member_token": member,
        "group_id": group["id"],
        "server_id": server["id"],
        "policy_id": policy["id"],
        "frank_id": frank["id"],
        "rtl_name": rtl_name,
        "other_person": other.owner_id,
        "chromium": chromium,
        "axe": axe,
        "screenshots": std::env::var("AGENTCTL_CONSOLE_SCREENSHOTS").ok(),
    });
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/console.py");
    let output =
        tokio::process::Command::new(python).arg(script).arg(config.to_string()).output().await.expect("python runs");
    let report = String::from_utf8_lossy(&output.stdout);
    println!("{report}{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && report.contains("\n0 failed"), "the browser run failed:\n{report}");

    // The decision made in the browser reached the requester's next sync.
    let (_, decided) = app.get(&format!("/v1/requests/{}", request["id"].as_str().unwrap()), &org.owner_token).await;
    assert_eq!(decided["status"], "approved", "{decided}");
    assert_eq!(decided["resolution_comment"], "approved from the keyboard", "{decided}");
    let (_, after) = app.get("/v1/me/sync", &member).await;
    assert_eq!(after["agents"].as_array().map(Vec::len), Some(1), "{after}");
    // The server assigned to the group in the browser reached the member's bundle.
    let servers = after["mcp_servers"].as_array().unwrap();
    assert!(servers.iter().any(|s| s["name"] == "docs-search"), "{after}");
    // The sessions ended in the browser refuse their token.
    let (status, _) = app.get("/v1/me", &frank_token).await;
    assert!(status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN, "{status}");
}
