//! Catalogs: global and org-private scopes, visibility, uniqueness per scope, filters,
//! merge patches, references, and per-organization MCP approval.

use agentctl_tests::{TestApp, assert_problem, slug};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn agent(name: &str, agent_type: &str) -> Value {
    json!({ "name": name, "type": agent_type, "provider": "Acme AI", "llm_provider": "anthropic", "llm_model": "claude-sonnet-4-5" })
}

fn names(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn global_and_private_entries_are_seen_by_the_right_orgs() {
    let app = TestApp::spawn().await;
    let (a, b) = (app.create_org(&slug("cat-a")).await, app.create_org(&slug("cat-b")).await);
    let key = app.platform_key.clone();

    let (status, global) = app.post("/v1/catalog/agents", &key, agent("Claude Code", "claude-code")).await;
    assert_eq!(status, StatusCode::CREATED, "{global}");
    assert_eq!(global["scope"], "global");
    let (status, hidden) = app
        .post(
            "/v1/catalog/agents",
            &key,
            json!({ "name": "Beta Agent", "type": "other", "provider": "X", "is_public": false }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hidden}");
    let (status, private) = app.post("/v1/catalog/agents", &a.owner_token, agent("In-house Agent", "other")).await;
    assert_eq!(status, StatusCode::CREATED, "{private}");
    assert_eq!(private["scope"], "org");
    assert_eq!(private["org_id"], a.id.as_str());

    let (_, seen_by_a) = app.get("/v1/catalog/agents", &a.owner_token).await;
    assert_eq!(names(&seen_by_a), ["In-house Agent", "Claude Code"], "own entries first, hidden global ones absent");
    let (_, seen_by_b) = app.get("/v1/catalog/agents", &b.owner_token).await;
    assert_eq!(names(&seen_by_b), ["Claude Code"]);
    let (_, seen_by_platform) = app.get("/v1/catalog/agents", &key).await;
    assert_eq!(names(&seen_by_platform), ["Claude Code", "Beta Agent"], "the platform sees no org's entries");

    let private_path = format!("/v1/catalog/agents/{}", private["id"].as_str().unwrap());
    let hidden_path = format!("/v1/catalog/agents/{}", hidden["id"].as_str().unwrap());
    for (path, token) in [(&private_path, &b.owner_token), (&hidden_path, &a.owner_token), (&private_path, &key)] {
        let (status, body) = app.get(path, token).await;
        assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");
    }
    let (status, body) = app.patch(&private_path, &b.owner_token, json!({ "description": "mine now" })).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = app.delete(&private_path, &b.owner_token).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");

    // A global entry is read-only to organizations.
    let global_path = format!("/v1/catalog/agents/{}", global["id"].as_str().unwrap());
    let (status, body) = app.patch(&global_path, &a.owner_token, json!({ "description": "x" })).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");

    // Making the hidden entry public shows it to every org.
    let (status, _) = app.patch(&hidden_path, &key, json!({ "is_public": true })).await;
    assert_eq!(status, StatusCode::OK);
    let (_, seen_by_b) = app.get("/v1/catalog/agents?scope=global", &b.owner_token).await;
    assert_eq!(names(&seen_by_b), ["Claude Code", "Beta Agent"]);
}

#[tokio::test]
async fn names_are_unique_per_scope_and_filters_apply() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("uniq")).await;
    let key = app.platform_key.clone();
    app.post("/v1/catalog/agents", &key, agent("Cursor", "cursor")).await;
    let (status, body) = app.post("/v1/catalog/agents", &key, agent("CURSOR", "cursor")).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "name_taken");
    let (status, _) = app.post("/v1/catalog/agents", &org.owner_token, agent("Cursor", "cursor")).await;
    assert_eq!(status, StatusCode::CREATED, "another scope may reuse the name");
    app.post(
        "/v1/catalog/agents",
        &org.owner_token,
        json!({ "name": "Gemini", "type": "gemini-cli", "provider": "Google" }),
    )
    .await;

    let (_, cursors) = app.get("/v1/catalog/agents?type=cursor", &org.owner_token).await;
    assert_eq!(cursors["items"].as_array().unwrap().len(), 2);
    let (_, google) = app.get("/v1/catalog/agents?provider=Google", &org.owner_token).await;
    assert_eq!(names(&google), ["Gemini"]);
    let (_, own) = app.get("/v1/catalog/agents?scope=org&type=cursor", &org.owner_token).await;
    assert_eq!(own["items"][0]["scope"], "org");
    let (status, body) =
        app.get("/v1/catalog/agents?category_id=00000000-0000-0000-0000-000000000000", &org.owner_token).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn lists_page_across_both_scopes() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("pages")).await;
    for i in 0..3 {
        app.post("/v1/catalog/tools", &app.platform_key, json!({ "name": format!("global {i}"), "type": "git" })).await;
        app.post("/v1/catalog/tools", &org.owner_token, json!({ "name": format!("own {i}"), "type": "fs" })).await;
    }
    let mut seen = Vec::new();
    let mut path = "/v1/catalog/tools?limit=2".to_string();
    loop {
        let (status, page) = app.get(&path, &org.owner_token).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/catalog/tools?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["own 0", "own 1", "own 2", "global 0", "global 1", "global 2"]);
}

#[tokio::test]
async fn entries_are_validated_and_patched() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("valid")).await;
    let t = &org.owner_token;
    let bad = [
        ("/v1/catalog/agents", json!({ "name": "A", "type": "emacs", "provider": "x" }), "type"),
        (
            "/v1/catalog/agents",
            json!({ "name": "A", "type": "other", "provider": "x", "default_config": [1] }),
            "default_config",
        ),
        (
            "/v1/catalog/agents",
            json!({ "name": "A", "type": "other", "provider": "x", "config_schema": { "type": "nope" } }),
            "config_schema",
        ),
        (
            "/v1/catalog/agents",
            json!({ "name": "A", "type": "other", "provider": "x", "config_schema": { "type": "object", "required": ["model"] } }),
            "default_config",
        ),
        ("/v1/catalog/tools", json!({ "name": "T", "type": "fs", "schema": { "properties": 5 } }), "schema"),
        ("/v1/catalog/tools", json!({ "name": "", "type": "fs" }), "name"),
        (
            "/v1/catalog/mcp-servers",
            json!({ "name": "S", "provider": "p", "version": "1", "transport": "stdio" }),
            "command",
        ),
        (
            "/v1/catalog/mcp-servers",
            json!({ "name": "S", "provider": "p", "version": "1", "transport": "http", "url": "ftp://x" }),
            "url",
        ),
        (
            "/v1/catalog/mcp-servers",
            json!({ "name": "S", "provider": "p", "version": "1", "transport": "stdio", "command": "npx", "args": ["${missing}"] }),
            "connection_schema",
        ),
        (
            "/v1/catalog/mcp-servers",
            json!({ "name": "S", "provider": "p", "version": "1", "transport": "stdio", "command": "npx", "connection_schema": { "type": 3 } }),
            "connection_schema",
        ),
        (
            "/v1/catalog/mcp-servers",
            json!({ "name": "S", "provider": "p", "version": "1", "transport": "stdio", "command": "npx", "category_id": uuid::Uuid::now_v7() }),
            "category_id",
        ),
    ];
    for (path, body, field) in bad {
        let (status, problem) = app.post(path, t, body.clone()).await;
        assert_problem(status, &problem, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let named = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == field || e["message"].as_str().unwrap().contains(field));
        assert!(named, "{body}: {field} not named in {problem}");
    }

    let (_, created) = app
        .post("/v1/catalog/agents", t, json!({ "name": "Mine", "type": "other", "provider": "x", "default_config": { "a": 1, "b": 2 }, "llm_model": "m1" }))
        .await;
    let path = format!("/v1/catalog/agents/{}", created["id"].as_str().unwrap());
    let (status, patched) = app
        .patch(&path, t, json!({ "default_config": { "b": null, "c": 3 }, "llm_model": null, "name": "Renamed" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["default_config"], json!({ "a": 1, "c": 3 }), "merge patch semantics");
    assert_eq!(patched["llm_model"], Value::Null);
    assert_eq!(patched["name"], "Renamed");
    assert_eq!(patched["provider"], "x", "untouched fields stay");
    for bad in [json!({ "type": "vim" }), json!({ "ref_count": 5 }), json!([1])] {
        let (status, body) = app.patch(&path, t, bad).await;
        assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    }
    let (status, _) = app.delete(&path, t).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&path, t).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn mcp_servers_reference_categories_and_are_approved_per_org() {
    let app = TestApp::spawn().await;
    let (a, b) = (app.create_org(&slug("mcp-a")).await, app.create_org(&slug("mcp-b")).await);
    let key = app.platform_key.clone();
    let (_, category) = app.post("/v1/catalog/mcp-categories", &key, json!({ "name": "Developer tools" })).await;
    let category_path = format!("/v1/catalog/mcp-categories/{}", category["id"].as_str().unwrap());
    let github = json!({
        "name": "github", "provider": "GitHub", "version": "1.0", "transport": "http",
        "url": "https://api.githubcopilot.com/mcp/", "headers": { "Authorization": "Bearer ${token}" },
        "connection_schema": { "type": "object", "required": ["token"], "properties": { "token": { "type": "string", "writeOnly": true } } },
        "category_id": category["id"],
    });
    let (status, server) = app.post("/v1/catalog/mcp-servers", &key, github).await;
    assert_eq!(status, StatusCode::CREATED, "{server}");
    assert_eq!(server["requires_credentials"], true, "derived from the write-only required field");
    let server_path = format!("/v1/catalog/mcp-servers/{}", server["id"].as_str().unwrap());

    // The category is in use: it cannot go.
    let (_, read) = app.get(&category_path, &key).await;
    assert_eq!(read["ref_count"], 1);
    let (status, body) = app.delete(&category_path, &key).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "entry_in_use");

    // Approval is per organization.
    let (status, approval) =
        app.call(reqwest::Method::PUT, &format!("{server_path}/approval"), Some(&a.owner_token), None).await;
    assert_eq!(status, StatusCode::OK, "{approval}");
    let (status, again) =
        app.call(reqwest::Method::PUT, &format!("{server_path}/approval"), Some(&a.owner_token), None).await;
    assert_eq!(status, StatusCode::OK, "approving twice is harmless");
    assert_eq!(again["approved_at"], approval["approved_at"]);
    let (_, seen_by_a) = app.get(&server_path, &a.owner_token).await;
    assert_eq!(seen_by_a["is_approved"], true);
    let (_, seen_by_b) = app.get(&server_path, &b.owner_token).await;
    assert_eq!(seen_by_b["is_approved"], false);
    // A's approval counts on the global entry, but B learns nothing of it: no
    // organization reads a global entry's count (the platform operator does).
    assert!(seen_by_b.get("ref_count").is_none(), "{seen_by_b}");
    let (_, listed_by_b) = app.get("/v1/catalog/mcp-servers", &b.owner_token).await;
    assert!(listed_by_b["items"].as_array().unwrap().iter().all(|e| e.get("ref_count").is_none()), "{listed_by_b}");
    let (_, seen_by_platform) = app.get(&server_path, &key).await;
    assert_eq!(seen_by_platform["ref_count"], 1, "the operator sees every reference");
    let (_, approved_for_b) = app.get("/v1/catalog/mcp-servers?approved=true", &b.owner_token).await;
    assert_eq!(approved_for_b["items"], json!([]));
    let (_, approved_for_a) = app.get("/v1/catalog/mcp-servers?approved=true", &a.owner_token).await;
    assert_eq!(names(&approved_for_a), ["github"]);

    // A member may not approve; an approved server cannot be deleted; revoking frees it.
    let (_, member) = app.add_signed_in(&b, "m@mcp-b.example", "member").await;
    let (status, body) = app.call(reqwest::Method::PUT, &format!("{server_path}/approval"), Some(&member), None).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = app.delete(&server_path, &key).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "entry_in_use");
    let (status, _) = app.delete(&format!("{server_path}/approval"), &a.owner_token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.delete(&format!("{server_path}/approval"), &a.owner_token).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, _) = app.delete(&server_path, &key).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.delete(&category_path, &key).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "no longer referenced");

    let types: Vec<String> =
        app.activity(&a.id).await.iter().map(|e| e["event_type"].as_str().unwrap().to_string()).collect();
    assert!(types.contains(&"mcp.approved".to_string()) && types.contains(&"mcp.revoked".to_string()), "{types:?}");
}

#[tokio::test]
async fn org_private_approvals_and_entries_stay_inside_the_org() {
    let app = TestApp::spawn().await;
    let (a, b) = (app.create_org(&slug("iso-a")).await, app.create_org(&slug("iso-b")).await);
    let (status, server) = app
        .post("/v1/catalog/mcp-servers", &a.owner_token, json!({ "name": "internal-db", "provider": "Acme", "version": "2", "transport": "stdio", "command": "acme-db-mcp" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{server}");
    let path = format!("/v1/catalog/mcp-servers/{}/approval", server["id"].as_str().unwrap());
    let (status, body) = app.call(reqwest::Method::PUT, &path, Some(&b.owner_token), None).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, _) = app.call(reqwest::Method::PUT, &path, Some(&a.owner_token), None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, seen_by_b) = app.get("/v1/catalog/mcp-servers", &b.owner_token).await;
    assert_eq!(seen_by_b["items"], json!([]));
}

#[tokio::test]
async fn tools_are_linked_to_agents_with_per_link_config() {
    let app = TestApp::spawn().await;
    let (a, b) = (app.create_org(&slug("tools-a")).await, app.create_org(&slug("tools-b")).await);
    let key = app.platform_key.clone();
    let (_, agent) = app.post("/v1/catalog/agents", &key, agent("Claude Code", "claude-code")).await;
    let (_, shell) = app
        .post("/v1/catalog/tools", &key, json!({ "name": "Shell", "type": "shell", "requires_approval": true }))
        .await;
    let (_, git) =
        app.post("/v1/catalog/tools", &a.owner_token, json!({ "name": "Internal git", "type": "git" })).await;
    let agent_path = format!("/v1/catalog/agents/{}", agent["id"].as_str().unwrap());
    let put = |path: String, token: String, body: Value| {
        let app = &app;
        async move { app.call(reqwest::Method::PUT, &path, Some(&token), Some(body)).await }
    };

    let (status, link) = put(
        format!("{agent_path}/tools/{}", shell["id"].as_str().unwrap()),
        key.clone(),
        json!({ "config": { "allowed": ["git *"] } }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let (status, link) =
        put(format!("{agent_path}/tools/{}", git["id"].as_str().unwrap()), a.owner_token.clone(), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let (status, body) =
        put(format!("{agent_path}/tools/{}", git["id"].as_str().unwrap()), b.owner_token.clone(), json!({})).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = put(
        format!("{agent_path}/tools/{}", shell["id"].as_str().unwrap()),
        a.owner_token.clone(),
        json!({ "config": [1] }),
    )
    .await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");

    let (_, seen_by_a) = app.get(&format!("{agent_path}/tools"), &a.owner_token).await;
    let linked: Vec<&str> = seen_by_a.as_array().unwrap().iter().map(|l| l["tool_name"].as_str().unwrap()).collect();
    assert_eq!(linked, ["Internal git", "Shell"]);
    let (_, seen_by_b) = app.get(&format!("{agent_path}/tools"), &b.owner_token).await;
    assert_eq!(seen_by_b.as_array().unwrap().len(), 1, "B sees the platform's link only");
    assert_eq!(seen_by_b[0]["config"], json!({ "allowed": ["git *"] }));

    let (status, body) =
        app.delete(&format!("/v1/catalog/tools/{}", git["id"].as_str().unwrap()), &a.owner_token).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "entry_in_use");
    let (status, _) = app.delete(&format!("{agent_path}/tools/{}", git["id"].as_str().unwrap()), &a.owner_token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.delete(&format!("/v1/catalog/tools/{}", git["id"].as_str().unwrap()), &a.owner_token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn mcp_servers_filter_by_category_and_provider() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("mcpfilter")).await;
    let key = app.platform_key.clone();
    let (_, docs) = app.post("/v1/catalog/mcp-categories", &key, json!({ "name": "Docs" })).await;
    for (name, provider, category) in [("context7", "Upstash", Some(&docs["id"])), ("fetch", "MCP", None)] {
        let body = json!({ "name": name, "provider": provider, "version": "1", "transport": "stdio", "command": "npx", "category_id": category });
        let (status, created) = app.post("/v1/catalog/mcp-servers", &key, body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
    let (_, by_category) = app
        .get(&format!("/v1/catalog/mcp-servers?category_id={}", docs["id"].as_str().unwrap()), &org.owner_token)
        .await;
    assert_eq!(names(&by_category), ["context7"]);
    let (_, by_provider) = app.get("/v1/catalog/mcp-servers?provider=MCP", &org.owner_token).await;
    assert_eq!(names(&by_provider), ["fetch"]);
    let (_, unapproved) = app.get("/v1/catalog/mcp-servers?approved=false", &org.owner_token).await;
    assert_eq!(unapproved["items"].as_array().unwrap().len(), 2);
}
