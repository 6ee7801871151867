//! The catalog editor: agents, MCP servers, tools and categories created, edited and
//! deleted from forms the domain validates like API bodies; tools linked to agents; the
//! platform's entries read-only; other organizations' entries not found.

use agentctl_tests::{TestApp, slug};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::json;

use super::signed_in;

#[tokio::test]
async fn an_admin_writes_every_kind_of_catalog_entry() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("catalog")).await;
    let owner = &org.owner_token;
    let (_, admin) = signed_in(&app, &org, "alice", "admin").await;
    let csrf = admin.csrf("/console/catalog").await;
    for kind in ["mcp-servers", "agents", "tools", "categories"] {
        let list = admin.get(&format!("/console/catalog?kind={kind}")).await;
        assert_eq!(list.status, StatusCode::OK, "{kind}: {}", list.body);
        let form = admin.get(&format!("/console/catalog/{kind}/new")).await;
        assert_eq!(form.status, StatusCode::OK, "{kind}: {}", form.body);
    }

    // An agent: JSON that does not parse is named beside its field, then created.
    let agent = |config: &'static str| {
        [
            ("name", "Reviewer"),
            ("description", "reviews"),
            ("type", "claude-code"),
            ("provider", "Anthropic"),
            ("default_config", config),
            ("config_schema", ""),
            ("capabilities", "review\nexplain"),
            ("llm_provider", ""),
            ("llm_model", "claude-sonnet-4-5"),
        ]
    };
    let bad = admin.post("/console/catalog/agents", &[&agent("{theme: dark}")[..], &[("csrf", &csrf)]].concat()).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("is not JSON") && bad.body.contains("field-problem"), "{}", bad.body);
    assert!(bad.body.contains("{theme: dark}"), "what was typed is kept: {}", bad.body);
    let made =
        admin.post("/console/catalog/agents", &[&agent(r#"{"theme": "dark"}"#)[..], &[("csrf", &csrf)]].concat()).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let agent_page = made.headers[LOCATION].to_str().unwrap().to_string();
    let agent_id = agent_page.rsplit('/').next().unwrap().to_string();
    let (_, stored) = app.get(&format!("/v1/catalog/agents/{agent_id}"), owner).await;
    assert_eq!(
        (stored["default_config"].clone(), stored["capabilities"].clone()),
        (json!({ "theme": "dark" }), json!(["review", "explain"]))
    );
    assert_eq!(stored["llm_model"], "claude-sonnet-4-5", "{stored}");

    // Edited: a field emptied is removed.
    let mut edited = agent(r#"{"theme": "light"}"#);
    edited[8] = ("llm_model", "");
    let saved = admin.post(&agent_page, &[&edited[..], &[("csrf", &csrf)]].concat()).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (_, stored) = app.get(&format!("/v1/catalog/agents/{agent_id}"), owner).await;
    assert_eq!(
        (stored["default_config"].clone(), stored["llm_model"].clone()),
        (json!({ "theme": "light" }), json!(null)),
        "{stored}"
    );

    // A tool that needs approval, linked to the agent with its configuration.
    let tool = admin
        .post(
            "/console/catalog/tools",
            &[("name", "deploy"), ("type", "shell"), ("schema", ""), ("requires_approval", "yes"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(tool.status, StatusCode::SEE_OTHER, "{}", tool.body);
    let tool_id = tool.headers[LOCATION].to_str().unwrap().rsplit('/').next().unwrap().to_string();
    let (_, stored) = app.get(&format!("/v1/catalog/tools/{tool_id}"), owner).await;
    assert_eq!(stored["requires_approval"], true, "{stored}");
    let bad_link =
        admin.post(&format!("{agent_page}/tools"), &[("tool_id", &tool_id), ("config", "[1,"), ("csrf", &csrf)]).await;
    assert_eq!(bad_link.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad_link.body);
    let linked = admin
        .post(
            &format!("{agent_page}/tools"),
            &[("tool_id", &tool_id), ("config", r#"{"env": "staging"}"#), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.body);
    let (_, tools) = app.get(&format!("/v1/catalog/agents/{agent_id}/tools"), owner).await;
    assert_eq!(tools[0]["config"], json!({ "env": "staging" }), "{tools}");
    assert!(admin.get(&agent_page).await.body.contains("staging"));

    // A category, and a server filed under it whose token is a credential.
    let category = admin
        .post("/console/catalog/categories", &[("name", "Data"), ("description", "warehouses"), ("csrf", &csrf)])
        .await;
    assert_eq!(category.status, StatusCode::SEE_OTHER, "{}", category.body);
    let category_page = category.headers[LOCATION].to_str().unwrap().to_string();
    let category_id = category_page.rsplit('/').next().unwrap().to_string();
    let server = |env: &'static str| {
        vec![
            ("name", "warehouse"),
            ("provider", "Acme"),
            ("version", "2"),
            ("transport", "stdio"),
            ("command", "wh"),
            ("args", "--read-only"),
            ("env", env),
            ("url", ""),
            ("headers", ""),
            (
                "connection_schema",
                r#"{"type": "object", "required": ["token"], "properties": {"token": {"type": "string", "writeOnly": true}}}"#,
            ),
            ("capabilities", ""),
        ]
    };
    let mut with_category = server("WH_TOKEN ${token}");
    with_category.push(("category_id", &category_id));
    with_category.push(("csrf", &csrf));
    let bad = admin.post("/console/catalog/mcp-servers", &with_category).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("NAME=value"), "{}", bad.body);
    with_category[6] = ("env", "WH_TOKEN=${token}");
    let made = admin.post("/console/catalog/mcp-servers", &with_category).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let server_page = made.headers[LOCATION].to_str().unwrap().to_string();
    let server_id = server_page.rsplit('/').next().unwrap().to_string();
    let (_, stored) = app.get(&format!("/v1/catalog/mcp-servers/{server_id}"), owner).await;
    assert_eq!(
        (stored["requires_credentials"].clone(), stored["category_id"].clone()),
        (json!(true), json!(category_id)),
        "{stored}"
    );
    assert_eq!(stored["env"], json!({ "WH_TOKEN": "${token}" }), "{stored}");

    // Referenced, the category stays (said on its page); unreferenced, it goes.
    let kept = admin.post(&format!("{category_page}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(kept.status, StatusCode::CONFLICT, "{}", kept.body);
    assert_eq!(admin.post(&format!("{server_page}/delete"), &[("csrf", &csrf)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(admin.post(&format!("{category_page}/delete"), &[("csrf", &csrf)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(admin.get(&category_page).await.status, StatusCode::NOT_FOUND);

    // The platform's entries are read-only here.
    let global = json!({ "name": "Global coder", "type": "codex", "provider": "OpenAI", "is_public": true });
    let (status, global) = app.post("/v1/catalog/agents", &app.platform_key, global).await;
    assert_eq!(status, StatusCode::CREATED, "{global}");
    let global_page = format!("/console/catalog/agents/{}", global["id"].as_str().unwrap());
    let shown = admin.get(&global_page).await;
    assert!(
        shown.body.contains("the platform (read-only here)") && !shown.body.contains("Save the agent"),
        "{}",
        shown.body
    );
    let refused = admin.post(&global_page, &[&agent("{}")[..], &[("csrf", &csrf)]].concat()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    // A manager reads, writes nothing; another organization finds nothing.
    let (_, manager) = signed_in(&app, &org, "max", "manager").await;
    assert!(!manager.get("/console/catalog?kind=agents").await.body.contains("Add to the catalog"));
    let manager_csrf = manager.csrf("/console/catalog").await;
    let denied =
        manager.post("/console/catalog/tools", &[("name", "x"), ("type", "shell"), ("csrf", &manager_csrf)]).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
    let other = app.create_org(&slug("elsewhere")).await;
    let (_, stranger) = signed_in(&app, &other, "eve", "owner").await;
    assert_eq!(stranger.get(&agent_page).await.status, StatusCode::NOT_FOUND);
    let stranger_csrf = stranger.csrf("/console/catalog").await;
    assert_eq!(
        stranger.post(&format!("{agent_page}/delete"), &[("csrf", &stranger_csrf)]).await.status,
        StatusCode::NOT_FOUND
    );
}
