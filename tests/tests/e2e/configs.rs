//! Employee configurations and the KMS credential vault.

use agentctl_shared::vault::Owner;
use agentctl_tests::{Org, TestApp, assert_problem, slug};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn server(app: &TestApp, org: &Org, name: &str, schema: Value) -> String {
    let body = json!({ "name": name, "provider": "p", "version": "1", "transport": "stdio", "command": "npx",
        "args": ["server", "${root}"], "connection_schema": schema });
    let (status, created) = app.post("/v1/catalog/mcp-servers", &org.owner_token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_string()
}

fn schema() -> Value {
    json!({ "type": "object", "additionalProperties": false, "required": ["root", "token"], "properties": {
        "root": { "type": "string", "minLength": 1 },
        "depth": { "type": "integer", "minimum": 1 },
        "token": { "type": "string", "writeOnly": true }
    } })
}

#[tokio::test]
async fn agent_configs_are_validated_limited_and_versioned() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("agentcfg")).await;
    let t = &org.owner_token;
    app.patch(&format!("/v1/orgs/{}", org.id), &app.platform_key, json!({ "max_agents_per_employee": 2 })).await;
    let body = json!({ "name": "Claude Code", "type": "claude-code", "provider": "Anthropic",
        "default_config": { "model": "sonnet" },
        "config_schema": { "type": "object", "properties": { "model": { "enum": ["sonnet", "opus"] } } } });
    let (_, agent) = app.post("/v1/catalog/agents", &app.platform_key, body).await;
    let agent_id = agent["id"].as_str().unwrap();
    let employee = app.add_employee(&org, "dev@agentcfg.example", "member", None).await;
    let base = format!("/v1/employees/{}/agent-configs", employee["id"].as_str().unwrap());

    let (status, problem) =
        app.post(&base, t, json!({ "agent_id": agent_id, "config_override": { "model": "gpt" } })).await;
    assert_problem(status, &problem, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(problem["errors"][0]["field"], "config_override.model", "{problem}");
    let (status, problem) = app.post(&base, t, json!({ "agent_id": uuid::Uuid::now_v7() })).await;
    assert_problem(status, &problem, StatusCode::UNPROCESSABLE_ENTITY, "validation");

    let (status, config) =
        app.post(&base, t, json!({ "agent_id": agent_id, "config_override": { "model": "opus" } })).await;
    assert_eq!(status, StatusCode::CREATED, "{config}");
    assert_eq!(config["name"], "Claude Code");
    assert_eq!(config["status"], "active");
    let path = format!("{base}/{}", config["id"].as_str().unwrap());
    let (status, edited) = app.patch(&path, t, json!({ "status": "disabled" })).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_ne!(edited["sync_token"], config["sync_token"], "every edit issues a new sync token");
    assert_eq!(edited["config_override"], json!({ "model": "opus" }));

    // The limit (2) counts active configurations: the disabled one holds no slot.
    app.post(&base, t, json!({ "agent_id": agent_id, "name": "second" })).await;
    let (status, third) = app.post(&base, t, json!({ "agent_id": agent_id, "name": "third" })).await;
    assert_eq!(status, StatusCode::CREATED, "a disabled configuration frees its slot: {third}");
    let (status, problem) = app.post(&base, t, json!({ "agent_id": agent_id, "name": "fourth" })).await;
    assert_problem(status, &problem, StatusCode::CONFLICT, "agent_limit_reached");
    let (status, problem) = app.patch(&path, t, json!({ "status": "active" })).await;
    assert_problem(status, &problem, StatusCode::CONFLICT, "agent_limit_reached");
    let (status, parked) =
        app.post(&base, t, json!({ "agent_id": agent_id, "name": "parked", "status": "disabled" })).await;
    assert_eq!(status, StatusCode::CREATED, "a disabled configuration needs no slot: {parked}");
    let (status, problem) = app.delete(&format!("/v1/catalog/agents/{agent_id}"), &app.platform_key).await;
    assert_problem(status, &problem, StatusCode::CONFLICT, "entry_in_use");
    for gone in [&path, &format!("{base}/{}", parked["id"].as_str().unwrap())] {
        let (status, _) = app.delete(gone, t).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (_, listed) = app.get(&base, t).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);

    // Lowering the limit below use keeps what is active (grandfathered); nothing more
    // turns active until the count is under the new limit.
    let (status, _) =
        app.patch(&format!("/v1/orgs/{}", org.id), &app.platform_key, json!({ "max_agents_per_employee": 1 })).await;
    assert_eq!(status, StatusCode::OK);
    let (_, still) = app.get(&format!("{base}?status=active"), t).await;
    assert_eq!(still["items"].as_array().unwrap().len(), 2, "grandfathered");
    let second = listed["items"][0]["id"].as_str().unwrap();
    let (status, _) = app.patch(&format!("{base}/{second}"), t, json!({ "status": "disabled" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = app.patch(&format!("{base}/{second}"), t, json!({ "status": "active" })).await;
    assert_problem(status, &problem, StatusCode::CONFLICT, "agent_limit_reached");
    let (status, _) =
        app.patch(&format!("/v1/orgs/{}", org.id), &app.platform_key, json!({ "max_agents_per_employee": 2 })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.patch(&format!("{base}/{second}"), t, json!({ "status": "active" })).await;
    assert_eq!(status, StatusCode::OK);

    // The seed's query in one call: active configurations with their agent's type and
    // provider.
    app.patch(&format!("{base}/{}", listed["items"][0]["id"].as_str().unwrap()), t, json!({ "status": "disabled" }))
        .await;
    let (status, active) = app.get(&format!("{base}?status=active"), t).await;
    assert_eq!(status, StatusCode::OK, "{active}");
    let items = active["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{active}");
    assert_eq!(items[0]["status"], "active");
    assert_eq!(
        (&items[0]["agent_name"], &items[0]["agent_type"], &items[0]["provider"]),
        (&json!("Claude Code"), &json!("claude-code"), &json!("Anthropic"))
    );
    assert!(items[0].get("last_sync_at").is_some(), "{active}");
    let (_, disabled) = app.get(&format!("{base}?status=disabled"), t).await;
    assert_eq!(disabled["items"].as_array().unwrap().len(), 1);
    let (status, _) = app.get(&format!("{base}?status=gone"), t).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let types: Vec<String> =
        app.activity(&org.id).await.iter().map(|e| e["event_type"].as_str().unwrap().to_string()).collect();
    for expected in ["agent.installed", "agent.updated", "agent.removed"] {
        assert!(types.iter().any(|t| t == expected), "{expected} missing");
    }
}

#[tokio::test]
async fn mcp_configs_need_approval_and_valid_connections() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("mcpcfg")).await;
    let t = &org.owner_token;
    let server_id = server(&app, &org, "files", schema()).await;
    let employee = app.add_employee(&org, "dev@mcpcfg.example", "member", None).await;
    let base = format!("/v1/employees/{}/mcp-configs", employee["id"].as_str().unwrap());

    let (status, problem) =
        app.post(&base, t, json!({ "server_id": server_id, "connection_config": { "root": "/work" } })).await;
    assert_problem(status, &problem, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("not approved"), "{problem}");
    app.call(Method::PUT, &format!("/v1/catalog/mcp-servers/{server_id}/approval"), Some(t), None).await;

    for (connection, field) in [
        (json!({}), "connection_config"),
        (json!({ "root": "/w", "depth": 0 }), "connection_config.depth"),
        (json!({ "root": "/w", "token": "leak" }), "connection_config.token"),
        (json!({ "root": "/w", "colour": "red" }), "connection_config"),
    ] {
        let (status, problem) =
            app.post(&base, t, json!({ "server_id": server_id, "connection_config": connection })).await;
        assert_problem(status, &problem, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert!(problem["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{field}: {problem}");
    }
    let (status, config) = app
        .post(&base, t, json!({ "server_id": server_id, "connection_config": { "root": "/work", "depth": 2 } }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{config}");
    assert_eq!(config["credentials_set"], false);
    assert_eq!(config["server_name"], "files");

    // The seed's sync query: active configurations with the server's name and provider.
    let (status, active) = app.get(&format!("{base}?status=active"), t).await;
    assert_eq!(status, StatusCode::OK, "{active}");
    assert_eq!((&active["items"][0]["server_name"], &active["items"][0]["provider"]), (&json!("files"), &json!("p")));
    assert!(active["items"][0].get("sync_token").is_some());
    let (_, pending) = app.get(&format!("{base}?status=pending_approval"), t).await;
    assert_eq!(pending["items"], json!([]));
}

#[tokio::test]
async fn credentials_are_write_only_encrypted_and_bound_to_their_config() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("vault")).await;
    let t = &org.owner_token;
    let server_id = server(&app, &org, "files", schema()).await;
    app.call(Method::PUT, &format!("/v1/catalog/mcp-servers/{server_id}/approval"), Some(t), None).await;
    let (employee, employee_token) = app.add_signed_in(&org, "dev@vault.example", "member").await;
    let employee_id = employee["id"].as_str().unwrap();
    let base = format!("/v1/employees/{employee_id}/mcp-configs");
    let (_, first) = app.post(&base, t, json!({ "server_id": server_id, "connection_config": { "root": "/a" } })).await;
    let (_, second) =
        app.post(&base, t, json!({ "server_id": server_id, "connection_config": { "root": "/b" } })).await;
    let first_path = format!("{base}/{}", first["id"].as_str().unwrap());

    let secret = "ghp_TopSecretValue123";
    for (credentials, field) in [
        (json!({ "root": "/x" }), "credentials.root"),
        (json!({ "token": 5 }), "credentials.token"),
        (json!("x"), "credentials"),
    ] {
        let (status, problem) = app
            .call(
                Method::PUT,
                &format!("{first_path}/credentials"),
                Some(t),
                Some(json!({ "credentials": credentials })),
            )
            .await;
        assert_problem(status, &problem, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert!(problem["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{field}: {problem}");
    }
    // The employee sets their own token; the answer says only that it is set.
    let (status, set) = app
        .call(
            Method::PUT,
            &format!("{first_path}/credentials"),
            Some(&employee_token),
            Some(json!({ "credentials": { "token": secret } })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["credentials_set"], true);
    assert!(set["credentials_rotated_at"].is_string());
    assert_ne!(set["sync_token"], first["sync_token"]);
    for (path, token) in
        [(first_path.clone(), t.clone()), (base.clone(), t.clone()), (first_path.clone(), employee_token.clone())]
    {
        let (_, body) = app.get(&path, &token).await;
        let text = body.to_string();
        assert!(!text.contains(secret) && !text.contains("credentials_encrypted"), "{text}");
    }
    let activity = serde_json::to_string(&app.activity(&org.id).await).unwrap();
    assert!(activity.contains("mcp.credentials_rotated") && !activity.contains(secret));

    // Stored encrypted: not in the item, decryptable only under its own context.
    let stored = agentctl_shared::repo::configs::get_mcp(
        &app.state.repo,
        org.id.parse().unwrap(),
        employee_id.parse().unwrap(),
        first["id"].as_str().unwrap().parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let ciphertext = stored.credentials_encrypted.clone().expect("ciphertext stored");
    assert!(!ciphertext.contains(secret));
    let opened = agentctl_shared::domain::configs::open_credentials(&app.state, &stored).await.unwrap();
    assert_eq!(opened, Some(json!({ "token": secret })));
    let org_id = org.id.parse().unwrap();
    let elsewhere = Owner::McpConfig {
        org_id,
        employee_id: employee_id.parse().unwrap(),
        config_id: second["id"].as_str().unwrap().parse().unwrap(),
    };
    assert!(
        app.state.vault.open(&elsewhere, &ciphertext).await.is_err(),
        "a ciphertext moved to another config does not decrypt"
    );
    let other_employee = Owner::McpConfig {
        org_id,
        employee_id: agentctl_shared::ids::EmployeeId::new(),
        config_id: first["id"].as_str().unwrap().parse().unwrap(),
    };
    assert!(
        app.state.vault.open(&Owner::IdentityProvider { org_id }, &ciphertext).await.is_err(),
        "nor as another kind of secret"
    );
    assert!(app.state.vault.open(&other_employee, &ciphertext).await.is_err());

    // A colleague may neither read nor set them; an admin may clear them.
    let (_, colleague) = app.add_signed_in(&org, "other@vault.example", "member").await;
    let (status, _) = app.get(&first_path, &colleague).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("{first_path}/credentials"),
            Some(&colleague),
            Some(json!({ "credentials": { "token": "x" } })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, cleared) = app.delete(&format!("{first_path}/credentials"), t).await;
    assert_eq!(status, StatusCode::OK, "{cleared}");
    assert_eq!(cleared["credentials_set"], false);
}
