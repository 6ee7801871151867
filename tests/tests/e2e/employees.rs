//! Employees: CRUD, unique emails under races, filters, status rules, owner protection.

use std::sync::Arc;

use agentctl_tests::{TestApp, assert_problem, slug};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn employees_crud_and_filters() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("emp")).await;
    let t = &org.owner_token;
    let team = app.create_team(&org, "Platform").await;
    let team_id = team["id"].as_str().unwrap();

    let (status, dave) = app
        .post("/v1/employees", t, json!({ "email": "Dave@Emp.Example", "full_name": "Dave", "team_id": team_id, "preferences": { "editor": "vim" } }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dave}");
    assert_eq!(dave["email"], "dave@emp.example");
    assert_eq!(dave["role"], "member", "default role");
    assert_eq!(dave["status"], "active");
    assert_eq!(dave["preferences"]["editor"], "vim");
    let dave_id = dave["id"].as_str().unwrap();
    app.add_employee(&org, "mia@emp.example", "manager", Some(team_id)).await;
    app.add_employee(&org, "bill@emp.example", "billing", None).await;

    let (_, read) = app.get(&format!("/v1/employees/{dave_id}"), t).await;
    assert_eq!(read["team_id"], team_id);

    let (_, in_team) = app.get(&format!("/v1/employees?team_id={team_id}"), t).await;
    assert_eq!(in_team["items"].as_array().unwrap().len(), 2);
    let (_, managers) = app.get("/v1/employees?role=manager", t).await;
    assert_eq!(managers["items"].as_array().unwrap().len(), 1);
    let (_, all) = app.get("/v1/employees", t).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 4, "owner included");

    let (status, updated) = app
        .patch(
            &format!("/v1/employees/{dave_id}"),
            t,
            json!({ "full_name": "David", "role": "admin", "email": "david@emp.example", "status": "suspended" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["full_name"], "David");
    assert_eq!(updated["role"], "admin");
    assert_eq!(updated["status"], "suspended");
    let (_, suspended) = app.get("/v1/employees?status=suspended", t).await;
    assert_eq!(suspended["items"].as_array().unwrap().len(), 1);

    // The old email is free again, the new one taken.
    app.add_employee(&org, "dave@emp.example", "member", None).await;
    let (status, body) = app.post("/v1/employees", t, json!({ "email": "DAVID@emp.example", "full_name": "X" })).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "email_taken");

    // Delete needs deactivation first.
    let (status, body) = app.delete(&format!("/v1/employees/{dave_id}"), t).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "employee_not_deactivated");
    let (status, _) = app.patch(&format!("/v1/employees/{dave_id}"), t, json!({ "status": "deactivated" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.delete(&format!("/v1/employees/{dave_id}"), t).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&format!("/v1/employees/{dave_id}"), t).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, team) = app.get(&format!("/v1/teams/{team_id}"), t).await;
    assert_eq!(team["member_count"], 1, "the deleted employee left the team");
    app.add_employee(&org, "david@emp.example", "member", None).await;
}

#[tokio::test]
async fn employee_validation_errors() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("empval")).await;
    let t = &org.owner_token;
    let cases = [
        (json!({ "email": "nope", "full_name": "A" }), "email"),
        (json!({ "email": "a@b.co", "full_name": "" }), "full_name"),
        (json!({ "email": "a@b.co", "full_name": "A", "role": "root" }), "role"),
        (json!({ "email": "a@b.co", "full_name": "A", "status": "active" }), "status"),
        (json!({ "email": "a@b.co", "full_name": "A", "preferences": "dark" }), "preferences"),
        (json!({ "email": "a@b.co", "full_name": "A", "team_id": "not-a-uuid" }), "team_id"),
        (json!({ "email": "a@b.co", "full_name": "A", "team_id": uuid::Uuid::now_v7() }), "team_id"),
    ];
    for (body, field) in cases {
        let (status, problem) = app.post("/v1/employees", t, body).await;
        assert_problem(status, &problem, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let named = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == field || e["message"].as_str().unwrap_or_default().contains(field));
        assert!(named, "{field} not named in {problem}");
    }
    let (_, all) = app.get("/v1/employees", t).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1, "nothing stored");
}

#[tokio::test]
async fn twenty_concurrent_creations_of_one_email_make_one_employee_per_organization() {
    let app = Arc::new(TestApp::spawn().await);
    let first = app.create_org(&slug("race-a")).await;
    let second = app.create_org(&slug("race-b")).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let app = app.clone();
        // Half in each organization, in mixed case: emails are unique per organization,
        // and one person may work in two.
        let org = if i % 2 == 0 { first.clone() } else { second.clone() };
        let email = if i % 3 == 0 { "Same.Person@Race.Example" } else { "same.person@race.example" };
        tasks.push(tokio::spawn(async move {
            app.post("/v1/employees", &org.owner_token, json!({ "email": email, "full_name": "Same" })).await
        }));
    }
    let mut created = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        if status == StatusCode::CREATED {
            created += 1;
        } else {
            assert_problem(status, &body, StatusCode::CONFLICT, "email_taken");
        }
    }
    assert_eq!(created, 2, "one in each organization");
    let (_, a) = app.get("/v1/org", &first.owner_token).await;
    let (_, b) = app.get("/v1/org", &second.owner_token).await;
    assert_eq!(a["employee_count"], 2, "the owner and the one winner: seats match");
    assert_eq!(b["employee_count"], 2);
}

#[tokio::test]
async fn no_organization_learns_which_emails_exist_elsewhere() {
    let app = TestApp::spawn().await;
    let (a, b) = (app.create_org(&slug("oracle-a")).await, app.create_org(&slug("oracle-b")).await);
    app.add_employee(&a, "known@oracle.example", "member", None).await;
    let probe = app.add_employee(&b, "probe@oracle.example", "member", None).await;

    // Creating and renaming to an address taken in another organization both succeed,
    // exactly as for an address that exists nowhere.
    let (status, body) =
        app.post("/v1/employees", &b.owner_token, json!({ "email": "KNOWN@oracle.example", "full_name": "K" })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let path = format!("/v1/employees/{}", probe["id"].as_str().unwrap());
    let (status, body) = app.patch(&path, &b.owner_token, json!({ "email": "known@oracle.example" })).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "email_taken");
    let (status, body) = app.patch(&path, &a.owner_token, json!({ "email": "other@oracle.example" })).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (_, a_org) = app.get("/v1/org", &a.owner_token).await;
    assert_eq!(a_org["employee_count"], 2, "organization A is untouched");
}

#[tokio::test]
async fn seats_are_released_by_deactivation_and_retaken_by_reactivation() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("seats")).await;
    let (status, _) =
        app.patch(&format!("/v1/orgs/{}", org.id), &app.platform_key, json!({ "max_employees": 2 })).await;
    assert_eq!(status, StatusCode::OK);
    let a = app.add_employee(&org, "a@seats.example", "member", None).await;
    let a_path = format!("/v1/employees/{}", a["id"].as_str().unwrap());
    let (status, body) =
        app.post("/v1/employees", &org.owner_token, json!({ "email": "b@seats.example", "full_name": "B" })).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "employee_limit_reached");

    app.patch(&a_path, &org.owner_token, json!({ "status": "deactivated" })).await;
    app.add_employee(&org, "b@seats.example", "member", None).await;
    let (status, body) = app.patch(&a_path, &org.owner_token, json!({ "status": "active" })).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "employee_limit_reached");
    let (_, read) = app.get(&a_path, &org.owner_token).await;
    assert_eq!(read["status"], "deactivated", "a refused change changes nothing");
}

#[tokio::test]
async fn owners_are_protected_from_admins_and_nobody_changes_their_own_role() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("owners")).await;
    let (admin, admin_token) = app.add_signed_in(&org, "admin@owners.example", "admin").await;
    let owner_path = format!("/v1/employees/{}", org.owner_id);

    let (status, body) = app
        .post("/v1/employees", &admin_token, json!({ "email": "o2@owners.example", "full_name": "O", "role": "owner" }))
        .await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = app.patch(&owner_path, &admin_token, json!({ "status": "suspended" })).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = app.post(&format!("{owner_path}/enrollment-codes"), &admin_token, json!({})).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let member = app.add_employee(&org, "m@owners.example", "member", None).await;
    let (status, body) = app
        .patch(&format!("/v1/employees/{}", member["id"].as_str().unwrap()), &admin_token, json!({ "role": "owner" }))
        .await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");

    let admin_path = format!("/v1/employees/{}", admin["id"].as_str().unwrap());
    let (status, body) = app.patch(&admin_path, &admin_token, json!({ "role": "member" })).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = app.patch(&owner_path, &org.owner_token, json!({ "status": "deactivated" })).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");

    // The owner may promote.
    let (status, promoted) = app.patch(&admin_path, &org.owner_token, json!({ "role": "owner" })).await;
    assert_eq!(status, StatusCode::OK, "{promoted}");
}

#[tokio::test]
async fn employees_are_paginated_with_filters() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("emppage")).await;
    let team = app.create_team(&org, "Big").await;
    let team_id = team["id"].as_str().unwrap();
    for i in 0..5 {
        app.add_employee(&org, &format!("t{i}@emppage.example"), "member", Some(team_id)).await;
    }
    app.add_employee(&org, "solo@emppage.example", "member", None).await;
    let mut seen = Vec::new();
    let mut path = format!("/v1/employees?team_id={team_id}&limit=2");
    loop {
        let (status, page) = app.get(&path, &org.owner_token).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(page["items"].as_array().unwrap().iter().map(|e| e["email"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/employees?team_id={team_id}&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, (0..5).map(|i| format!("t{i}@emppage.example")).collect::<Vec<_>>());
    // A team-index cursor does not work on the whole-org listing.
    let (_, first) = app.get(&format!("/v1/employees?team_id={team_id}&limit=2"), &org.owner_token).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (status, body) = app.get(&format!("/v1/employees?cursor={cursor}"), &org.owner_token).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn oversized_bodies_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("big")).await;
    let huge = "x".repeat(300 * 1024);
    let (status, body) = app
        .post(
            "/v1/employees",
            &org.owner_token,
            json!({ "email": "big@big.example", "full_name": "Big", "preferences": { "blob": huge } }),
        )
        .await;
    assert_problem(status, &body, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let (status, body) = app
        .post(
            "/v1/employees",
            &org.owner_token,
            json!({ "email": "big@big.example", "full_name": "Big", "preferences": { "blob": "y".repeat(20 * 1024) } }),
        )
        .await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let (_, all) = app.get("/v1/employees", &org.owner_token).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
}
