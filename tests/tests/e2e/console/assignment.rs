//! One assignment's page: its connection and the organization's credentials in forms made
//! from the server's connection schema (credentials write-only), and who it reaches, who
//! is left out, who still lacks credentials.

use agentctl_tests::{TestApp, slug};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::signed_in;

#[tokio::test]
async fn a_server_assignment_takes_its_connection_and_credentials_from_schema_forms() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("connect")).await;
    let owner = &org.owner_token;
    let team = app.create_team(&org, "Data").await;
    let team_id = team["id"].as_str().unwrap();
    let server = json!({
        "name": "warehouse", "provider": "Acme", "version": "1", "transport": "stdio", "command": "wh",
        "args": ["--org", "${org}", "--region", "${region}"], "env": { "WH_TOKEN": "${token}" },
        "connection_schema": { "type": "object", "required": ["org", "token"], "properties": {
            "org": { "type": "string", "title": "Organization" },
            "region": { "enum": ["eu", "us"] },
            "token": { "type": "string", "writeOnly": true, "description": "an API token" } } },
    });
    let (status, server) = app.post("/v1/catalog/mcp-servers", owner, server).await;
    assert_eq!(status, StatusCode::CREATED, "{server}");
    let approval = format!("/v1/catalog/mcp-servers/{}/approval", server["id"].as_str().unwrap());
    assert_eq!(app.call(Method::PUT, &approval, Some(owner), None).await.0, StatusCode::OK);
    let body = json!({ "target": { "type": "team", "team_id": team_id }, "item": { "type": "mcp_server", "server_id": server["id"], "connection_config": { "org": "first" } } });
    let (status, assignment) = app.post("/v1/assignments", owner, body).await;
    assert_eq!(status, StatusCode::CREATED, "{assignment}");
    let assignment_id = assignment["id"].as_str().unwrap();
    let ada = app.add_employee(&org, &format!("ada@{}.example", org.slug), "member", Some(team_id)).await;
    let bob = app.add_employee(&org, &format!("bob@{}.example", org.slug), "member", Some(team_id)).await;
    let (ada_token, bob_token) = (
        app.enroll_and_login(&org, ada["id"].as_str().unwrap()).await,
        app.enroll_and_login(&org, bob["id"].as_str().unwrap()).await,
    );

    let (_, admin) = signed_in(&app, &org, "alice", "admin").await;
    let page = format!("/console/assignments/{assignment_id}");
    let csrf = admin.csrf(&page).await;
    let shown = admin.get(&page).await.body;
    for part in [
        r#"name="connection.org""#,
        r#"name="connection.region""#,
        r#"name="credentials.token" type="password""#,
        "an API token",
    ] {
        assert!(shown.contains(part), "{part} in {shown}");
    }
    assert_eq!(shown.matches("lacks credentials").count(), 2, "{shown}");

    // The connection: a value outside the schema is refused beside the form.
    let bad = admin
        .post(
            &format!("{page}/connection"),
            &[("connection.org", "acme"), ("connection.region", "mars"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let saved = admin
        .post(
            &format!("{page}/connection"),
            &[("connection.org", "acme"), ("connection.region", "eu"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (_, stored) = app.get(&format!("/v1/assignments/{assignment_id}"), owner).await;
    assert_eq!(stored["item"]["connection_config"], json!({ "org": "acme", "region": "eu" }), "{stored}");
    assert!(admin.get(&page).await.body.contains(r#"value="acme""#));

    // Ada brings her own token; Bob still lacks one.
    let own = format!("/v1/me/assignments/{assignment_id}/credentials");
    let (status, _) =
        app.call(Method::PUT, &own, Some(&ada_token), Some(json!({ "credentials": { "token": "ada-token" } }))).await;
    assert!(status.is_success(), "{status}");
    let shown = admin.get(&page).await.body;
    assert!(shown.contains("their own credentials") && shown.matches("lacks credentials").count() == 1, "{shown}");
    let server_of = |bundle: &Value| bundle["mcp_servers"][0]["status"].clone();
    let (_, bundle) = app.get("/v1/me/sync", &bob_token).await;
    assert_eq!(server_of(&bundle), "needs_credentials", "{bundle}");

    // The organization's token: written, never shown; Bob's next sync is ready.
    let set = admin.post(&format!("{page}/credentials"), &[("credentials.token", "org-s3cret"), ("csrf", &csrf)]).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    let shown = admin.get(&page).await.body;
    assert!(
        shown.contains("set (never shown)") && !shown.contains("org-s3cret") && !shown.contains("lacks credentials"),
        "{shown}"
    );
    let (_, bundle) = app.get("/v1/me/sync", &bob_token).await;
    assert_eq!(server_of(&bundle), "ready", "{bundle}");
    let removed = admin.post(&format!("{page}/credentials/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    let (_, stored) = app.get(&format!("/v1/assignments/{assignment_id}"), owner).await;
    assert_eq!(stored["shared_credentials"], false, "{stored}");

    // Bob left out from here, back to this page.
    let left = admin
        .post(
            &format!("/console/people/{}/assignments/{assignment_id}", bob["id"].as_str().unwrap()),
            &[("excluded", "yes"), ("back", "assignment"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(left.status, StatusCode::SEE_OTHER, "{}", left.body);
    assert_eq!(left.headers[reqwest::header::LOCATION], page.as_str());
    assert!(admin.get(&page).await.body.contains("left out"));

    // Another organization's admin finds nothing; a manager reads without the forms.
    let other = app.create_org(&slug("elsewhere")).await;
    let (_, stranger) = signed_in(&app, &other, "eve", "admin").await;
    assert_eq!(stranger.get(&page).await.status, StatusCode::NOT_FOUND);
    let stranger_csrf = stranger.csrf("/console").await;
    let probe =
        stranger.post(&format!("{page}/credentials"), &[("credentials.token", "x"), ("csrf", &stranger_csrf)]).await;
    assert_eq!(probe.status, StatusCode::NOT_FOUND, "{}", probe.body);
    let (_, manager) = signed_in(&app, &org, "max", "manager").await;
    let read = manager.get(&page).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(!read.body.contains("credentials.token"), "{}", read.body);
}
