//! Every state change writes an activity entry in the same transaction (the read API
//! comes with a later issue; these tests read the table).

use agentctl_tests::{TestApp, slug};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn every_state_change_leaves_an_activity_entry() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("audit")).await;
    let t = &org.owner_token;
    let team = app.create_team(&org, "Audit").await;
    let team_path = format!("/v1/teams/{}", team["id"].as_str().unwrap());
    app.patch(&team_path, t, json!({ "description": "d" })).await;
    let employee = app.add_employee(&org, "e@audit.example", "member", None).await;
    let employee_path = format!("/v1/employees/{}", employee["id"].as_str().unwrap());
    app.patch(&employee_path, t, json!({ "full_name": "Eve" })).await;
    let token = app.enroll_and_login(&org, employee["id"].as_str().unwrap()).await;
    app.patch("/v1/me", &token, json!({ "preferences": { "x": 1 } })).await;
    app.delete("/v1/sessions/current", &token).await;
    app.patch(&employee_path, t, json!({ "status": "deactivated" })).await;
    app.delete(&employee_path, t).await;
    app.delete(&team_path, t).await;
    app.patch("/v1/org", t, json!({ "name": "Audited" })).await;
    app.patch("/v1/org/subscription", t, json!({ "monthly_budget_usd": "42.5" })).await;
    app.patch(&format!("/v1/orgs/{}", org.id), &app.platform_key, json!({ "plan": "enterprise" })).await;

    let entries = app.activity(&org.id).await;
    let types: Vec<&str> = entries.iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    for expected in [
        "org.created",
        "session.created",
        "team.created",
        "team.updated",
        "employee.created",
        "employee.updated",
        "enrollment.issued",
        "session.revoked",
        "employee.deactivated",
        "employee.deleted",
        "team.deleted",
        "org.updated",
        "subscription.updated",
    ] {
        assert!(types.contains(&expected), "{expected} missing from {types:?}");
    }
    // Who did it is recorded, and the platform is an actor of its own.
    let platform_update = entries.iter().rev().find(|e| e["event_type"] == "org.updated").unwrap();
    assert_eq!(platform_update["actor"], "platform");
    let team_created = entries.iter().find(|e| e["event_type"] == "team.created").unwrap();
    assert_eq!(team_created["employee_id"], org.owner_id.as_str());
    assert_eq!(team_created["event_category"], "directory");
    assert!(team_created["expires_at_epoch"].as_str().is_some(), "entries expire (TTL)");

    // Secrets never reach the log: no enrollment code or session token in any payload.
    let dump = serde_json::to_string(&entries).unwrap();
    assert!(!dump.contains("ace_") && !dump.contains("acs_"), "a secret leaked into activity");
}

#[tokio::test]
async fn a_refused_change_writes_no_activity() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("noaudit")).await;
    let before = app.activity(&org.id).await.len();
    let (status, _) = app.post("/v1/teams", &org.owner_token, json!({ "name": "" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    app.create_team(&org, "Once").await;
    let (status, _) = app.post("/v1/teams", &org.owner_token, json!({ "name": "once" })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) =
        app.call(Method::POST, "/v1/employees", Some(&org.owner_token), Some(json!({ "email": "x" }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.activity(&org.id).await.len(), before + 1, "only the one successful creation");
}

#[tokio::test]
async fn the_activity_log_is_read_newest_first_with_filters() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("auditlog")).await;
    let other = app.create_org(&slug("auditother")).await;
    let t = &org.owner_token;
    let (admin, admin_token) = app.add_signed_in(&org, "admin@auditlog.example", "admin").await;
    for i in 0..4 {
        app.post("/v1/teams", &admin_token, json!({ "name": format!("Team {i}") })).await;
    }
    app.create_team(&other, "Elsewhere").await;

    let (status, page) = app.get("/v1/activity?limit=3", t).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let first = page["items"].as_array().unwrap();
    assert_eq!(first.len(), 3);
    assert_eq!(first[0]["event_type"], "team.created", "newest first");
    let times: Vec<&str> = first.iter().map(|e| e["created_at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    let mut all = first.clone();
    let mut cursor = page["next_cursor"].as_str().map(String::from);
    while let Some(c) = cursor {
        let (_, next) = app.get(&format!("/v1/activity?limit=3&cursor={c}"), t).await;
        all.extend(next["items"].as_array().unwrap().iter().cloned());
        cursor = next["next_cursor"].as_str().map(String::from);
    }
    assert!(all.iter().all(|e| e["org_id"] == org.id.as_str()), "only this organization's entries");
    assert!(all.iter().any(|e| e["event_type"] == "org.created"));

    let (_, teams) = app.get("/v1/activity?event_type=team.created", t).await;
    assert_eq!(teams["items"].as_array().unwrap().len(), 4);
    let admin_id = admin["id"].as_str().unwrap();
    let (_, by_admin) = app.get(&format!("/v1/activity?employee_id={admin_id}"), t).await;
    let types: Vec<&str> =
        by_admin["items"].as_array().unwrap().iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    assert_eq!(types, ["team.created", "team.created", "team.created", "team.created", "session.created"]);
    let future = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, none) = app.get(&format!("/v1/activity?from={future}&to={future}"), t).await;
    assert_eq!(none["items"], json!([]));

    for bad in [
        "event_type=made.up",
        "from=yesterday",
        "from=2026-01-01T00:00:00Z&to=2020-01-01T00:00:00Z",
        "from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
    ] {
        let (status, body) = app.get(&format!("/v1/activity?{bad}"), t).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {status} {body}"
        );
    }
}
