//! Organizations, subscription and roles: happy paths, validation, limits, races.

use agentctl_shared::roles::DEFAULTS_VERSION;
use agentctl_tests::{TestApp, assert_problem, slug};
use aws_sdk_dynamodb::types::AttributeValue;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn platform_creates_an_organization_with_subscription_and_owner() {
    let app = TestApp::spawn().await;
    let body = json!({
        "name": "Initech", "slug": "initech", "plan": "enterprise",
        "settings": { "region": "eu" }, "max_employees": 40, "monthly_budget_usd": "12345.678901",
        "owner": { "email": "Peter@Initech.Example", "full_name": "Peter Gibbons" },
    });
    let (status, created) = app.post("/v1/orgs", &app.platform_key, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let org = &created["organization"];
    assert_eq!(org["slug"], "initech");
    assert_eq!(org["plan"], "enterprise");
    assert_eq!(org["settings"], json!({ "region": "eu" }));
    assert_eq!(org["max_employees"], 40);
    assert_eq!(org["max_agents_per_employee"], 10, "enterprise default");
    assert_eq!(org["employee_count"], 1);
    assert_eq!(created["subscription"]["monthly_budget_usd"], "12345.678901");
    assert_eq!(created["subscription"]["current_spending_usd"], "0");
    assert_eq!(created["subscription"]["plan_type"], "enterprise");
    assert_eq!(created["owner"]["email"], "peter@initech.example", "emails are lower-cased");
    assert_eq!(created["owner"]["role"], "owner");

    // The owner logs in with the code and sees their organization.
    let token = app.login(created["owner_enrollment"]["code"].as_str().unwrap()).await;
    let (status, me) = app.get("/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["organization"]["slug"], "initech");
    assert_eq!(me["role"], "owner");
    let (_, own) = app.get("/v1/org", &token).await;
    assert_eq!(own["id"], org["id"]);

    // The platform reads and lists it.
    let id = org["id"].as_str().unwrap();
    let (status, read) = app.get(&format!("/v1/orgs/{id}"), &app.platform_key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["name"], "Initech");
    let (status, list) = app.get("/v1/orgs", &app.platform_key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn organization_validation_errors_are_problem_json() {
    let app = TestApp::spawn().await;
    let key = app.platform_key.clone();
    let bad = json!({
        "name": "", "slug": "Not A Slug", "plan": "pro", "max_employees": 0, "monthly_budget_usd": "-5",
        "settings": [1, 2], "owner": { "email": "nope", "full_name": "x" },
    });
    let (status, body) = app.post("/v1/orgs", &key, bad).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for field in ["name", "slug", "max_employees", "monthly_budget_usd", "settings", "owner.email"] {
        assert!(fields.contains(&field), "{field} missing in {body}");
    }

    // Unknown fields are refused (no mass assignment), naming the field.
    let (status, body) = app
        .post("/v1/orgs", &key, json!({ "name": "a", "slug": "abc", "plan": "pro", "owner": { "email": "a@b.co", "full_name": "A" }, "employee_count": 99 }))
        .await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("employee_count"), "{body}");

    // An unknown plan, a missing field, a number where a decimal string belongs.
    for bad in [
        json!({ "name": "a", "slug": "abc", "plan": "gold", "owner": { "email": "a@b.co", "full_name": "A" } }),
        json!({ "name": "a", "slug": "abc", "plan": "pro" }),
        json!({ "name": "a", "slug": "abc", "plan": "pro", "monthly_budget_usd": 1.5, "owner": { "email": "a@b.co", "full_name": "A" } }),
    ] {
        let (status, body) = app.post("/v1/orgs", &key, bad).await;
        assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    }

    // Malformed JSON is a 400, a non-JSON body a 415; both problem+json.
    let response = app
        .request(Method::POST, "/v1/orgs", Some(&key))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let (status, body) = agentctl_tests::read(response).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let response = app.request(Method::POST, "/v1/orgs", Some(&key)).body("name=x").send().await.unwrap();
    let (status, body) = agentctl_tests::read(response).await;
    assert_problem(status, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");

    // Nothing was stored by any of these.
    let (_, list) = app.get("/v1/orgs", &key).await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn twenty_concurrent_creations_of_one_slug_make_exactly_one_org() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({ "name": "Race", "slug": "race-slug", "plan": "starter",
                "owner": { "email": format!("owner{i}@race.example"), "full_name": "Owner" } });
            app.post("/v1/orgs", &app.platform_key, body).await
        }));
    }
    let mut created = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => created += 1,
            _ => assert_problem(status, &body, StatusCode::CONFLICT, "slug_taken"),
        }
    }
    assert_eq!(created, 1);
    let (_, list) = app.get("/v1/orgs", &app.platform_key).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn organizations_are_paginated_for_the_platform() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        app.create_org(&format!("page-{i}")).await;
    }
    let mut seen = Vec::new();
    let mut path = "/v1/orgs?limit=2".to_string();
    loop {
        let (status, page) = app.get(&path, &app.platform_key).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|o| o["slug"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/orgs?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, ["page-0", "page-1", "page-2", "page-3", "page-4"]);

    for bad in ["limit=0", "limit=101", "cursor=garbage", "limit=abc", "colour=red"] {
        let (status, body) = app.get(&format!("/v1/orgs?{bad}"), &app.platform_key).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {status} {body}"
        );
        assert_eq!(body["status"], status.as_u16());
    }
}

#[tokio::test]
async fn platform_changes_plan_and_limits_within_bounds() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("limits")).await;
    let key = app.platform_key.clone();
    app.add_employee(&org, "one@limits.example", "member", None).await;

    let (status, updated) = app
        .patch(
            &format!("/v1/orgs/{}", org.id),
            &key,
            json!({ "plan": "starter", "max_employees": 3, "max_agents_per_employee": 2 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["plan"], "starter");
    assert_eq!(updated["max_employees"], 3);
    let (_, sub) = app.get("/v1/org/subscription", &org.owner_token).await;
    assert_eq!(sub["plan_type"], "starter", "the subscription follows the plan");

    // Below the current head count (2) is refused.
    let (status, body) = app.patch(&format!("/v1/orgs/{}", org.id), &key, json!({ "max_employees": 1 })).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "limit_below_count");

    // max_employees is enforced: a third employee fits, a fourth does not.
    app.add_employee(&org, "two@limits.example", "member", None).await;
    let (status, body) = app
        .post("/v1/employees", &org.owner_token, json!({ "email": "three@limits.example", "full_name": "Three" }))
        .await;
    assert_problem(status, &body, StatusCode::CONFLICT, "employee_limit_reached");

    let (status, body) =
        app.patch(&format!("/v1/orgs/{}", uuid::Uuid::now_v7()), &key, json!({ "max_employees": 5 })).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn admins_rename_their_org_and_billing_changes_the_budget_exactly() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("budget")).await;
    let (_, billing) = app.add_signed_in(&org, "bill@budget.example", "billing").await;

    let (status, renamed) =
        app.patch("/v1/org", &org.owner_token, json!({ "name": "Renamed", "settings": { "theme": "dark" } })).await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "Renamed");
    assert_eq!(renamed["settings"]["theme"], "dark");
    let (status, body) = app.patch("/v1/org", &org.owner_token, json!({ "plan": "enterprise" })).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");

    let (status, sub) =
        app.patch("/v1/org/subscription", &billing, json!({ "monthly_budget_usd": "1000000000.123456" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "over the bound: {sub}");
    let (status, sub) =
        app.patch("/v1/org/subscription", &billing, json!({ "monthly_budget_usd": "987654321.123456" })).await;
    assert_eq!(status, StatusCode::OK, "{sub}");
    assert_eq!(sub["monthly_budget_usd"], "987654321.123456", "no float rounding");
    let (_, sub) = app.get("/v1/org/subscription", &billing).await;
    assert_eq!(sub["monthly_budget_usd"], "987654321.123456");
    assert_eq!(sub["usage_pct"], "0");
    let (status, body) = app.patch("/v1/org/subscription", &billing, json!({ "current_spending_usd": "0" })).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
}

#[tokio::test]
async fn the_five_roles_are_data_with_permissions() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("roles")).await;
    let (status, roles) = app.get("/v1/roles", &org.owner_token).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = roles.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["owner", "admin", "billing", "manager", "member"]);
    let member = &roles[4];
    assert!(member["permissions"].as_array().unwrap().contains(&json!("org:read")));
    assert!(!member["permissions"].as_array().unwrap().contains(&json!("employees:write")));

    // They are items of the table, not constants: the stored item is what the API serves.
    let stored = app.state.repo.get(&agentctl_shared::keys::role("billing")).await.unwrap().expect("role item");
    assert!(stored.contains_key("permissions"));
}

#[tokio::test]
async fn newer_default_permissions_replace_older_stored_roles() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("upgrade")).await;
    let client = aws_sdk_dynamodb::Client::new(agentctl_tests::sdk().await);
    let store_member = async |version: u32| {
        client
            .update_item()
            .table_name(app.state.repo.table())
            .key("PK", AttributeValue::S("ROLE".into()))
            .key("SK", AttributeValue::S("ROLE#member".into()))
            .update_expression("SET defaults_version = :version, #p = :perms")
            .expression_attribute_names("#p", "permissions")
            .expression_attribute_values(":version", AttributeValue::N(version.to_string()))
            .expression_attribute_values(":perms", AttributeValue::L(vec![AttributeValue::S("org:read".into())]))
            .send()
            .await
            .unwrap();
        app.state.roles.invalidate().await;
    };
    let stored_version = async || {
        let item = app.state.repo.get(&agentctl_shared::keys::role("member")).await.unwrap().unwrap();
        item["defaults_version"].as_n().unwrap().parse::<u32>().unwrap()
    };
    let member_permissions = async || app.get("/v1/roles", &org.owner_token).await.1[4]["permissions"].clone();

    // A role the current defaults wrote is data: served as stored.
    store_member(DEFAULTS_VERSION).await;
    assert_eq!(member_permissions().await, json!(["org:read"]), "the role as stored");

    // A table written by an older version (the member role without catalog:read): this
    // version's defaults are in effect at once, with nothing written (no write at cold
    // start), and written when an organization is next created.
    store_member(1).await;
    assert!(member_permissions().await.as_array().unwrap().contains(&json!("catalog:read")));
    assert_eq!(stored_version().await, 1, "nothing written by reading");
    app.create_org(&slug("upgrade-next")).await;
    assert_eq!(stored_version().await, DEFAULTS_VERSION);
    assert!(member_permissions().await.as_array().unwrap().contains(&json!("catalog:read")));
}
