//! A person's and a team's pages: what reaches the person (assignments through the
//! organization, their team or a group; who is left out; who lacks credentials), the
//! policies attached to them alone, what the directory manages shown read-only.

use agentctl_tests::{TestApp, slug};
use reqwest::header::LOCATION;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::signed_in;

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let (status, created) = app.post(path, token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {created}");
    created
}

#[tokio::test]
async fn a_person_shows_what_reaches_them_and_is_left_out_or_given_a_policy() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("reach")).await;
    let owner = &org.owner_token;
    let (_, admin) = signed_in(&app, &org, "alice", "admin").await;
    let csrf = admin.csrf("/console/teams").await;

    // A team made in the console; its name is unique.
    let made = admin.post("/console/teams", &[("csrf", &csrf), ("name", "Data"), ("description", "analytics")]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let team_page = made.headers[LOCATION].to_str().unwrap().to_string();
    let team = team_page.trim_start_matches("/console/teams/").to_string();
    let twice = admin.post("/console/teams", &[("csrf", &csrf), ("name", "data")]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert!(twice.body.contains("role=\"alert\""), "{}", twice.body);

    // A person moved into it from their page.
    let person = app.add_employee(&org, &format!("dana@{}.example", org.slug), "member", None).await;
    let person_id = person["id"].as_str().unwrap();
    let page = format!("/console/people/{person_id}");
    let moved =
        admin.post(&page, &[("csrf", &csrf), ("role", "member"), ("status", "active"), ("team_id", &team)]).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    let (_, employee) = app.get(&format!("/v1/employees/{person_id}"), owner).await;
    assert_eq!(employee["team_id"], team.as_str(), "{employee}");

    // A server whose token each person gives, to the team; an agent to everyone.
    let server = created(&app, "/v1/catalog/mcp-servers", owner, json!({
        "name": "warehouse", "provider": "Acme", "version": "1", "transport": "stdio", "command": "wh",
        "env": { "WH_TOKEN": "${token}" },
        "connection_schema": { "type": "object", "required": ["token"], "properties": { "token": { "type": "string", "writeOnly": true } } },
    }))
    .await;
    let server_id = server["id"].as_str().unwrap();
    let (status, _) =
        app.call(Method::PUT, &format!("/v1/catalog/mcp-servers/{server_id}/approval"), Some(owner), None).await;
    assert_eq!(status, StatusCode::OK);
    let agent = created(
        &app,
        "/v1/catalog/agents",
        owner,
        json!({ "name": "Coder", "type": "claude-code", "provider": "anthropic" }),
    )
    .await;
    let to_team = created(
        &app,
        "/v1/assignments",
        owner,
        json!({
            "target": { "type": "team", "team_id": team }, "item": { "type": "mcp_server", "server_id": server_id },
        }),
    )
    .await;
    created(
        &app,
        "/v1/assignments",
        owner,
        json!({
            "target": { "type": "organization" }, "item": { "type": "agent", "agent_id": agent["id"] },
        }),
    )
    .await;

    let shown = admin.get(&page).await.body;
    assert!(shown.contains("warehouse") && shown.contains("waits for their credentials"), "{shown}");
    assert!(shown.contains("Coder") && shown.contains("the organization") && shown.contains("team Data"), "{shown}");
    let team_shown = admin.get(&team_page).await.body;
    assert!(team_shown.contains("warehouse") && team_shown.contains("dana@"), "{team_shown}");

    // Left out of the team's server: their bundle loses it; taken back, it returns.
    let assignment = format!("{page}/assignments/{}", to_team["id"].as_str().unwrap());
    let token = app.enroll_and_login(&org, person_id).await;
    let servers = |bundle: &Value| bundle["mcp_servers"].as_array().unwrap().len();
    let (_, bundle) = app.get("/v1/me/sync", &token).await;
    assert_eq!(servers(&bundle), 1, "{bundle}");
    let out = admin.post(&assignment, &[("csrf", &csrf), ("excluded", "yes")]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.body);
    let (_, bundle) = app.get("/v1/me/sync", &token).await;
    assert_eq!(servers(&bundle), 0, "{bundle}");
    assert!(admin.get(&page).await.body.contains("left out"));
    let back = admin.post(&assignment, &[("csrf", &csrf), ("excluded", "no")]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let (_, bundle) = app.get("/v1/me/sync", &token).await;
    assert_eq!(servers(&bundle), 1, "{bundle}");
    assert_eq!(
        admin.post(&assignment, &[("csrf", &csrf), ("excluded", "maybe")]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // A policy attached to them alone reaches their effective policy; detached, it is gone.
    let policy = created(
        &app,
        "/v1/policies",
        owner,
        json!({
            "name": "No curl", "policy_type": "shell", "rules": { "deny": ["curl *"] }, "severity": "block",
        }),
    )
    .await;
    let policy_id = policy["id"].as_str().unwrap();
    let attached = admin.post(&format!("{page}/policies"), &[("csrf", &csrf), ("policy_id", policy_id)]).await;
    assert_eq!(attached.status, StatusCode::SEE_OTHER, "{}", attached.body);
    let (_, effective) = app.get(&format!("/v1/employees/{person_id}/effective-policies"), owner).await;
    assert_eq!(effective["policies"][0]["level"], "employee", "{effective}");
    assert!(admin.get(&page).await.body.contains("Policies attached to them"));
    let detached = admin.post(&format!("{page}/policies/{policy_id}/detach"), &[("csrf", &csrf)]).await;
    assert_eq!(detached.status, StatusCode::SEE_OTHER, "{}", detached.body);
    let (_, effective) = app.get(&format!("/v1/employees/{person_id}/effective-policies"), owner).await;
    assert_eq!(effective["policies"], json!([]), "{effective}");

    // Another organization's admin reaches none of it.
    let other = app.create_org(&slug("away")).await;
    let (_, stranger) = signed_in(&app, &other, "eve", "admin").await;
    let stranger_csrf = stranger.csrf("/console/teams").await;
    assert_eq!(stranger.get(&team_page).await.status, StatusCode::NOT_FOUND);
    let probe = stranger.post(&assignment, &[("csrf", &stranger_csrf), ("excluded", "yes")]).await;
    assert_eq!(probe.status, StatusCode::NOT_FOUND, "{}", probe.body);
    let probe = stranger.post(&format!("{page}/policies"), &[("csrf", &stranger_csrf), ("policy_id", policy_id)]).await;
    assert_eq!(probe.status, StatusCode::NOT_FOUND, "{}", probe.body);

    // A team with nobody left in it is deleted from its page.
    let emptied =
        admin.post(&page, &[("csrf", &csrf), ("role", "member"), ("status", "active"), ("team_id", "")]).await;
    assert_eq!(emptied.status, StatusCode::SEE_OTHER, "{}", emptied.body);
    let (status, _) = app.delete(&format!("/v1/assignments/{}", to_team["id"].as_str().unwrap()), owner).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let deleted = admin.post(&format!("{team_page}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert_eq!(admin.get(&team_page).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn what_the_directory_manages_is_shown_with_its_source_and_not_offered_for_change() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("directory")).await;
    let (status, made) = app.post("/v1/org/scim-tokens", &org.owner_token, json!({ "name": "Okta" })).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let token = made["token"].as_str().unwrap();
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": format!("sam@{}.example", org.slug), "externalId": "00u-sam",
        "name": { "givenName": "Sam", "familyName": "Synced" }, "active": true,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "Research" },
    });
    let response = app.request(Method::POST, "/scim/v2/Users", Some(token)).json(&user).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let sam: Value = response.json().await.unwrap();
    let group = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Reviewers", "externalId": "00g-rev",
        "members": [{ "value": sam["id"] }] });
    let response = app.request(Method::POST, "/scim/v2/Groups", Some(token)).json(&group).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let reviewers: Value = response.json().await.unwrap();

    let (_, admin) = signed_in(&app, &org, "alice", "admin").await;
    let page = admin.get(&format!("/console/people/{}", sam["id"].as_str().unwrap())).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for shown in ["from the directory", "00u-sam", "Research", "Reviewers", "change there, not here"] {
        assert!(page.body.contains(shown), "{shown} in {}", page.body);
    }
    assert!(!page.body.contains(r#"name="status""#), "the directory decides the status");
    let group_page = admin.get(&format!("/console/teams/{}", reviewers["id"].as_str().unwrap())).await;
    assert!(group_page.body.contains("00g-rev") && !group_page.body.contains("Save the team"), "{}", group_page.body);

    // Someone SCIM never touched keeps every field editable.
    let (local, _) = signed_in(&app, &org, "lou", "member").await;
    let page = admin.get(&format!("/console/people/{}", local["id"].as_str().unwrap())).await;
    assert!(page.body.contains(r#"name="status""#) && !page.body.contains("from the directory"), "{}", page.body);
}

#[tokio::test]
async fn a_persons_own_configurations_are_added_and_removed_and_the_person_deleted() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("own")).await;
    let owner = &org.owner_token;
    let agent = created(
        &app,
        "/v1/catalog/agents",
        owner,
        json!({
            "name": "Coder", "type": "claude-code", "provider": "anthropic",
            "config_schema": { "type": "object", "properties": { "theme": { "enum": ["dark", "light"] } } },
        }),
    )
    .await;
    let server = created(
        &app,
        "/v1/catalog/mcp-servers",
        owner,
        json!({
            "name": "docs", "provider": "Acme", "version": "1", "transport": "http", "url": "https://docs.example/mcp",
        }),
    )
    .await;
    let approval = format!("/v1/catalog/mcp-servers/{}/approval", server["id"].as_str().unwrap());
    assert_eq!(app.call(Method::PUT, &approval, Some(owner), None).await.0, StatusCode::OK);
    let person = app.add_employee(&org, &format!("pat@{}.example", org.slug), "member", None).await;
    let person_id = person["id"].as_str().unwrap();
    let page = format!("/console/people/{person_id}");
    let (_, admin) = signed_in(&app, &org, "alice", "admin").await;
    let csrf = admin.csrf(&page).await;

    // Settings outside the agent's schema are refused beside the form; valid ones kept.
    let agent_id = agent["id"].as_str().unwrap();
    let bad = admin
        .post(
            &format!("{page}/agent-configs"),
            &[("agent_id", agent_id), ("config_override", r#"{"theme": "pink"}"#), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let added = admin
        .post(
            &format!("{page}/agent-configs"),
            &[("agent_id", agent_id), ("config_override", r#"{"theme": "light"}"#), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let server_id = server["id"].as_str().unwrap();
    let added = admin
        .post(&format!("{page}/mcp-configs"), &[("server_id", server_id), ("connection_config", ""), ("csrf", &csrf)])
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let shown = admin.get(&page).await.body;
    assert!(
        shown.contains("Their own configurations")
            && shown.contains("&quot;theme&quot;:&quot;light&quot;")
            && shown.contains("MCP server docs"),
        "{shown}"
    );
    let token = app.enroll_and_login(&org, person_id).await;
    let (_, bundle) = app.get("/v1/me/sync", &token).await;
    assert_eq!(
        (bundle["agents"].as_array().unwrap().len(), bundle["mcp_servers"].as_array().unwrap().len()),
        (1, 1),
        "{bundle}"
    );

    // Removed one by one.
    let (_, configs) = app.get(&format!("/v1/employees/{person_id}/agent-configs"), owner).await;
    let config = configs["items"][0]["id"].as_str().unwrap();
    let removed = admin.post(&format!("{page}/agent-configs/{config}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    let (_, configs) = app.get(&format!("/v1/employees/{person_id}/mcp-configs"), owner).await;
    let config = configs["items"][0]["id"].as_str().unwrap();
    assert_eq!(
        admin.post(&format!("{page}/mcp-configs/{config}/delete"), &[("csrf", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    let (_, bundle) = app.get("/v1/me/sync", &token).await;
    assert_eq!(bundle["agents"], json!([]), "{bundle}");

    // Another organization's admin reaches none of it; the person is then deleted.
    let other = app.create_org(&slug("away")).await;
    let (_, stranger) = signed_in(&app, &other, "eve", "admin").await;
    let stranger_csrf = stranger.csrf("/console").await;
    let probe =
        stranger.post(&format!("{page}/agent-configs"), &[("agent_id", agent_id), ("csrf", &stranger_csrf)]).await;
    assert_eq!(probe.status, StatusCode::NOT_FOUND, "{}", probe.body);
    assert_eq!(
        stranger.post(&format!("{page}/delete"), &[("csrf", &stranger_csrf)]).await.status,
        StatusCode::NOT_FOUND
    );
    let active = admin.post(&format!("{page}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(active.status, StatusCode::CONFLICT, "deactivated first: {}", active.body);
    assert!(active.body.contains("deactivate the employee"), "{}", active.body);
    let deactivated =
        admin.post(&page, &[("role", "member"), ("status", "deactivated"), ("team_id", ""), ("csrf", &csrf)]).await;
    assert_eq!(deactivated.status, StatusCode::SEE_OTHER, "{}", deactivated.body);
    let deleted = admin.post(&format!("{page}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert_eq!(admin.get(&page).await.status, StatusCode::NOT_FOUND);
}
