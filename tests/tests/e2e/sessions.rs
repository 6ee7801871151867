//! Enrollment, login, logout, me, and what the authorizer rejects.

use agentctl_tests::{TestApp, assert_problem, slug};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn enrollment_code_is_exchanged_once_for_a_session() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("login")).await;
    let member = app.add_employee(&org, "m@login.example", "member", None).await;
    let id = member["id"].as_str().unwrap();
    let code = app.issue_code(&org, id).await;
    assert!(code.starts_with("ace_"));

    let (status, session) = app.call(Method::POST, "/v1/sessions", None, Some(json!({ "code": code }))).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().unwrap();
    assert!(token.starts_with("acs_") && token.len() == 47, "256-bit token");
    assert_eq!(session["session"]["ip_address"], "127.0.0.1");
    assert!(session["session"]["expires_at"].is_string());
    assert!(session["employee"]["last_login_at"].is_string());

    // Stored only as its SHA-256: the token itself appears nowhere in the table.
    let stored =
        app.state.repo.get(&agentctl_shared::keys::session(&agentctl_shared::auth::digest(token))).await.unwrap();
    let stored = format!("{:?}", stored.expect("session item"));
    assert!(!stored.contains(token));

    let (status, me) = app.get("/v1/me", token).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["employee"]["id"], id);
    assert_eq!(me["organization"]["id"], org.id);
    assert_eq!(me["role"], "member");

    // The code is single-use.
    let (status, body) = app.call(Method::POST, "/v1/sessions", None, Some(json!({ "code": code }))).await;
    assert_problem(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn concurrent_exchanges_of_one_code_yield_one_session() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let org = app.create_org(&slug("codes")).await;
    let member = app.add_employee(&org, "m@codes.example", "member", None).await;
    let code = app.issue_code(&org, member["id"].as_str().unwrap()).await;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (app, code) = (app.clone(), code.clone());
            tokio::spawn(
                async move { app.call(Method::POST, "/v1/sessions", None, Some(json!({ "code": code }))).await.0 },
            )
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::CREATED => created += 1,
            other => assert_eq!(other, StatusCode::UNAUTHORIZED),
        }
    }
    assert_eq!(created, 1);
}

#[tokio::test]
async fn logout_revokes_only_the_current_session() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("logout")).await;
    let (member, first) = app.add_signed_in(&org, "m@logout.example", "member").await;
    let second = app.enroll_and_login(&org, member["id"].as_str().unwrap()).await;

    let (status, _) = app.delete("/v1/sessions/current", &first).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get("/v1/me", &first).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "token_rejected");
    let (status, _) = app.get("/v1/me", &second).await;
    assert_eq!(status, StatusCode::OK, "the other session lives on");
}

#[tokio::test]
async fn deactivation_revokes_every_session_and_suspension_blocks_login() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("deact")).await;
    let (member, first) = app.add_signed_in(&org, "m@deact.example", "member").await;
    let id = member["id"].as_str().unwrap();
    let second = app.enroll_and_login(&org, id).await;
    let path = format!("/v1/employees/{id}");

    let (status, _) = app.patch(&path, &org.owner_token, json!({ "status": "suspended" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get("/v1/me", &first).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "suspended employees are locked out");
    let (status, body) = app.post(&format!("{path}/enrollment-codes"), &org.owner_token, json!({})).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "employee_not_active");

    app.patch(&path, &org.owner_token, json!({ "status": "deactivated" })).await;
    app.patch(&path, &org.owner_token, json!({ "status": "active" })).await;
    for token in [&first, &second] {
        let (status, _) = app.get("/v1/me", token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "revoked by the deactivation, even after reactivation");
    }
    let fresh = app.enroll_and_login(&org, id).await;
    let (status, _) = app.get("/v1/me", &fresh).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn suspension_ends_every_session_for_good() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("suspend")).await;
    let (member, token) = app.add_signed_in(&org, "m@suspend.example", "member").await;
    let id = member["id"].as_str().unwrap();
    let path = format!("/v1/employees/{id}");

    let (status, _) = app.patch(&path, &org.owner_token, json!({ "status": "suspended" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.patch(&path, &org.owner_token, json!({ "status": "active" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.get("/v1/me", &token).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "token_rejected");

    let (_, activity) = app.get("/v1/activity?event_type=session.revoked", &org.owner_token).await;
    assert_eq!(activity["items"][0]["payload"]["reason"], "suspended", "{activity}");

    // A session whose own revocation was lost (the employee item's stamp alone was
    // written) is still refused: the authorizer compares it with sessions_revoked_at.
    let client = aws_sdk_dynamodb::Client::new(agentctl_tests::sdk().await);
    let key = agentctl_shared::keys::session(&agentctl_shared::auth::digest(&token));
    client
        .update_item()
        .table_name(app.state.repo.table())
        .key("PK", aws_sdk_dynamodb::types::AttributeValue::S(key.pk))
        .key("SK", aws_sdk_dynamodb::types::AttributeValue::S(key.sk))
        .update_expression("REMOVE revoked_at")
        .send()
        .await
        .unwrap();
    let (status, body) = app.get("/v1/me", &token).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "token_rejected");

    let fresh = app.enroll_and_login(&org, id).await;
    let (status, _) = app.get("/v1/me", &fresh).await;
    assert_eq!(status, StatusCode::OK, "coming back takes a new sign-in");
}

#[tokio::test]
async fn expired_sessions_and_codes_are_rejected() {
    let app = TestApp::spawn_with(|config| {
        config.session_ttl = chrono::Duration::seconds(1);
    })
    .await;
    let org = app.create_org(&slug("expiry")).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let (status, body) = app.get("/v1/me", &org.owner_token).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "token_rejected");

    let app = TestApp::spawn_with(|config| config.enrollment_ttl = chrono::Duration::seconds(-1)).await;
    let body = json!({ "name": "E", "slug": "expired", "plan": "starter", "owner": { "email": "o@expired.example", "full_name": "O" } });
    let (_, created) = app.post("/v1/orgs", &app.platform_key, body).await;
    let code = created["owner_enrollment"]["code"].as_str().unwrap();
    let (status, body) = app.call(Method::POST, "/v1/sessions", None, Some(json!({ "code": code }))).await;
    assert_problem(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn the_authorizer_rejects_what_it_should() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("authz")).await;
    let (status, body) = app.call(Method::GET, "/v1/me", None, None).await;
    assert_problem(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    let oversized = "x".repeat(5000);
    let well_formed_forgery = "acs_forged0000000000000000000000000000000000000";
    for token in ["acs_forged", well_formed_forgery, "garbage", "acp_not-the-platform-key", "", &oversized] {
        let response = app
            .request(Method::GET, "/v1/me", None)
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        let (status, _) = agentctl_tests::read(response).await;
        assert!(status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED, "{token:.20}: {status}");
    }
    let response = app
        .request(Method::GET, "/v1/me", None)
        .header("authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "another scheme: {}", response.status());
    // The platform key opens no employee route, a session token no platform route.
    let (status, body) = app.get("/v1/me", &app.platform_key).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = app.get("/v1/orgs", &org.owner_token).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    // Bad bodies to the public login route are problems too.
    let (status, body) = app.call(Method::POST, "/v1/sessions", None, Some(json!({ "code": "nope" }))).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let (status, body) = app.call(Method::POST, "/v1/sessions", None, Some(json!({ "token": "x" }))).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
}

#[tokio::test]
async fn employees_update_their_own_preferences() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("prefs")).await;
    let (_, token) = app.add_signed_in(&org, "m@prefs.example", "member").await;
    let (status, me) = app.patch("/v1/me", &token, json!({ "preferences": { "theme": "dark", "n": 3 } })).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["preferences"], json!({ "theme": "dark", "n": 3 }));
    let (status, body) = app.patch("/v1/me", &token, json!({ "preferences": [] })).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let (status, body) = app.patch("/v1/me", &token, json!({ "role": "owner" })).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
}

/// Logs in with a fresh code as `device`; the token.
async fn login_as(app: &TestApp, org: &agentctl_tests::Org, employee: &str, device: &str) -> String {
    let code = app.issue_code(org, employee).await;
    let body = json!({ "code": code, "device_name": device });
    let (status, session) = app.call(Method::POST, "/v1/sessions", None, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert_eq!(session["session"]["device_name"], device);
    session["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn sessions_are_listed_with_device_address_and_last_use_and_admins_end_them_at_once() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("devices")).await;
    let member = app.add_employee(&org, "m@devices.example", "member", None).await;
    let id = member["id"].as_str().unwrap();
    let laptop = login_as(&app, &org, id, "laptop").await;
    let desktop = login_as(&app, &org, id, "desktop").await;

    // The employee sees their own sessions, newest first; using one records its last use.
    let (status, mine) = app.get("/v1/me/sessions", &laptop).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let devices: Vec<&str> =
        mine["items"].as_array().unwrap().iter().map(|s| s["device_name"].as_str().unwrap()).collect();
    assert_eq!(devices, ["desktop", "laptop"]);
    let laptop_session = &mine["items"][1];
    assert_eq!(laptop_session["ip_address"], "127.0.0.1");
    assert!(laptop_session["last_used_at"].is_string(), "{laptop_session}");
    assert!(mine["items"][0]["last_used_at"].is_null(), "the desktop has not made a request yet");
    assert!(!mine.to_string().contains("acs_"), "no token in a session list");

    // Admins see them; a member may not look at someone else's.
    let path = format!("/v1/employees/{id}/sessions");
    let (status, listed) = app.get(&path, &org.owner_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    let (_, peer) = app.add_signed_in(&org, "peer@devices.example", "member").await;
    let (status, body) = app.get(&path, &peer).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");

    // Ending them all: both tokens are refused at once, with one activity entry.
    let (status, _) = app.delete(&path, &org.owner_token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for token in [&laptop, &desktop] {
        let (status, _) = app.get("/v1/me", token).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (_, listed) = app.get(&path, &org.owner_token).await;
    assert_eq!(listed["items"], json!([]));
    let (_, activity) = app.get("/v1/activity?event_type=session.revoked", &org.owner_token).await;
    let entry = activity["items"].as_array().unwrap().iter().find(|e| e["payload"]["employee_id"] == id).unwrap();
    assert_eq!(entry["payload"]["reason"], "admin");
    assert_eq!(entry["payload"]["sessions"], 2);

    // Signing in again works: the new session is theirs.
    let phone = login_as(&app, &org, id, "phone").await;
    let (status, mine) = app.get("/v1/me/sessions", &phone).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_owners_sessions_are_the_owners_to_end_and_device_names_are_checked() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("ownersessions")).await;
    let (_, admin) = app.add_signed_in(&org, "a@ownersessions.example", "admin").await;
    let path = format!("/v1/employees/{}/sessions", org.owner_id);
    let (status, body) = app.delete(&path, &admin).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, _) = app.get("/v1/me", &org.owner_token).await;
    assert_eq!(status, StatusCode::OK, "the owner's session lives on");

    let member = app.add_employee(&org, "m@ownersessions.example", "member", None).await;
    let code = app.issue_code(&org, member["id"].as_str().unwrap()).await;
    let body = json!({ "code": code, "device_name": "evil\u{1b}[2J" });
    let (status, body) = app.call(Method::POST, "/v1/sessions", None, Some(body)).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(body["errors"][0]["field"], "device_name");
}

#[tokio::test]
async fn sessions_last_as_long_as_the_organization_says_and_end_when_idle() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("lifetimes")).await;
    for bad in [json!({ "max_hours": 0 }), json!({ "max_hours": 24, "idle_minutes": 5 }), json!({ "max_hours": 9000 })]
    {
        let (status, body) = app.patch("/v1/org", &org.owner_token, json!({ "sessions": bad })).await;
        assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(body["errors"][0]["field"], "sessions");
    }
    let lifetimes = json!({ "max_hours": 8, "idle_minutes": 30 });
    let (status, updated) = app.patch("/v1/org", &org.owner_token, json!({ "sessions": lifetimes })).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["sessions"], lifetimes);

    // A session started now follows the new rules.
    let member = app.add_employee(&org, "m@lifetimes.example", "member", None).await;
    let code = app.issue_code(&org, member["id"].as_str().unwrap()).await;
    let (_, created) = app.call(Method::POST, "/v1/sessions", None, Some(json!({ "code": code }))).await;
    let session = &created["session"];
    assert_eq!(session["idle_minutes"], 30);
    let started: chrono::DateTime<chrono::Utc> = session["created_at"].as_str().unwrap().parse().unwrap();
    let ends: chrono::DateTime<chrono::Utc> = session["ends_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(ends - started, chrono::Duration::hours(8));
    // Its access token lasts the deployment's access token lifetime; refreshes renew it.
    let expires: chrono::DateTime<chrono::Utc> = session["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires - started, chrono::Duration::hours(1));
    let token = created["token"].as_str().unwrap();
    let (status, _) = app.get("/v1/me", token).await;
    assert_eq!(status, StatusCode::OK);

    // The refresh token of a code's session renews it within the same end.
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", "agentctl-cli"),
        ("refresh_token", created["refresh_token"].as_str().unwrap()),
    ];
    let response = app.request(Method::POST, "/v1/oauth/token", None).form(&form).send().await.unwrap();
    let (status, renewed) = agentctl_tests::read(response).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let token = renewed["access_token"].as_str().unwrap();
    let (_, sessions) = app.get("/v1/me/sessions", token).await;
    assert_eq!(sessions["items"][0]["id"], session["id"], "the same session");
    assert_eq!(sessions["items"][0]["ends_at"], session["ends_at"]);

    // Half an hour without a request ends it (the last use, moved back in storage).
    let key = agentctl_shared::keys::session(&agentctl_shared::auth::digest(token));
    let long_ago = agentctl_shared::time::sortable(&(chrono::Utc::now() - chrono::Duration::minutes(31)));
    let mut item = app.state.repo.get(&key).await.unwrap().unwrap();
    item.insert("last_used_at".into(), aws_sdk_dynamodb::types::AttributeValue::S(long_ago));
    let mut tx = app.state.repo.transaction();
    tx.put(item);
    app.state.repo.transact(tx).await.unwrap();
    let (status, body) = app.get("/v1/me", token).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "token_rejected");
}
