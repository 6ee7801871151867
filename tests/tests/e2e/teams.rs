//! Teams: CRUD inside the caller's organization, unique names, pagination, emptiness.

use agentctl_tests::{TestApp, assert_problem, slug};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn teams_crud() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("teams")).await;
    let t = &org.owner_token;

    let (status, team) = app.post("/v1/teams", t, json!({ "name": " Platform ", "description": "Infra" })).await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    assert_eq!(team["name"], "Platform", "names are trimmed");
    assert_eq!(team["member_count"], 0);
    let id = team["id"].as_str().unwrap();

    let (status, read) = app.get(&format!("/v1/teams/{id}"), t).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["description"], "Infra");

    let (status, renamed) = app.patch(&format!("/v1/teams/{id}"), t, json!({ "name": "Platform Eng" })).await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "Platform Eng");
    assert_eq!(renamed["description"], "Infra");

    // The old name is free again, the new one taken (case-insensitively).
    let (status, _) = app.post("/v1/teams", t, json!({ "name": "platform" })).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app.post("/v1/teams", t, json!({ "name": "PLATFORM ENG" })).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "team_name_taken");

    let (status, _) = app.delete(&format!("/v1/teams/{id}"), t).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&format!("/v1/teams/{id}"), t).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, _) = app.post("/v1/teams", t, json!({ "name": "Platform Eng" })).await;
    assert_eq!(status, StatusCode::CREATED, "a deleted team's name is free");
}

#[tokio::test]
async fn team_validation_and_unknown_ids() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("teamval")).await;
    let t = &org.owner_token;
    for bad in [
        json!({ "name": "" }),
        json!({ "name": "x".repeat(101) }),
        json!({ "name": "a", "member_count": 5 }),
        json!({}),
    ] {
        let (status, body) = app.post("/v1/teams", t, bad.clone()).await;
        assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    }
    for id in ["not-a-uuid", &uuid::Uuid::now_v7().to_string()] {
        let (status, body) = app.get(&format!("/v1/teams/{id}"), t).await;
        assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test]
async fn teams_are_paginated_and_scoped_to_the_org() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("tpage")).await;
    let other = app.create_org(&slug("tother")).await;
    for i in 0..7 {
        app.create_team(&org, &format!("Team {i}")).await;
    }
    app.create_team(&other, "Elsewhere").await;

    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/teams?limit=3&cursor={c}"),
            None => "/v1/teams?limit=3".to_string(),
        };
        let (status, page) = app.get(&path, &org.owner_token).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        names.extend(page["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert!(pages >= 3);
    names.sort();
    assert_eq!(names, (0..7).map(|i| format!("Team {i}")).collect::<Vec<_>>());

    // A cursor from one org's listing is useless in another's.
    let (_, page) = app.get("/v1/teams?limit=2", &other.owner_token).await;
    assert!(page["next_cursor"].is_null());
    let (_, first) = app.get("/v1/teams?limit=3", &org.owner_token).await;
    let foreign = first["next_cursor"].as_str().unwrap();
    let (status, body) = app.get(&format!("/v1/teams?cursor={foreign}"), &other.owner_token).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn a_team_with_members_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("tmembers")).await;
    let team = app.create_team(&org, "Data").await;
    let team_id = team["id"].as_str().unwrap();
    let member = app.add_employee(&org, "m@tmembers.example", "member", Some(team_id)).await;

    let (_, read) = app.get(&format!("/v1/teams/{team_id}"), &org.owner_token).await;
    assert_eq!(read["member_count"], 1);
    let (status, body) = app.delete(&format!("/v1/teams/{team_id}"), &org.owner_token).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "team_not_empty");

    // Moving the member out empties the team.
    let (status, _) = app
        .patch(
            &format!("/v1/employees/{}", member["id"].as_str().unwrap()),
            &org.owner_token,
            json!({ "team_id": null }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, read) = app.get(&format!("/v1/teams/{team_id}"), &org.owner_token).await;
    assert_eq!(read["member_count"], 0);
    let (status, _) = app.delete(&format!("/v1/teams/{team_id}"), &org.owner_token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
