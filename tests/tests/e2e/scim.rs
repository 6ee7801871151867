//! SCIM 2.0 provisioning: tokens, Users and Groups as identity providers send them
//! (Okta, Microsoft Entra), deprovisioning that ends access at once, tenant isolation,
//! seat limits, and the conformance checker scim2-tester against the whole surface.

use agentctl_tests::{Org, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A SCIM token of the organization (created by its owner).
async fn scim_token(app: &TestApp, org: &Org) -> String {
    let (status, created) = app.post("/v1/org/scim-tokens", &org.owner_token, json!({ "name": "Okta" })).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["base_url"], format!("{}/scim/v2", app.url));
    created["token"].as_str().unwrap().to_string()
}

async fn scim(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = app.request(method, &format!("/scim/v2{path}"), Some(token));
    if let Some(body) = body {
        request = request.header("content-type", "application/scim+json").body(body.to_string());
    }
    let response = request.send().await.unwrap();
    if response.status() != StatusCode::NO_CONTENT {
        assert_eq!(response.headers()["content-type"], "application/scim+json", "{path}");
    }
    agentctl_tests::read(response).await
}

#[tokio::test]
async fn scim2_tester_finds_no_error() {
    let python =
        std::env::var("AGENTCTL_SCIM_PYTHON").expect("AGENTCTL_SCIM_PYTHON: run the tests with scripts/test.sh");
    let app = TestApp::spawn().await;
    let org = app.create_org("conformance").await;
    let token = scim_token(&app, &org).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/scim_conformance.py");
    let base = format!("{}/scim/v2", app.url);
    let output = tokio::process::Command::new(python).arg(script).arg(&base).arg(&token).output().await.unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    println!("{report}{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "scim2-tester reported errors:\n{report}");
    assert!(report.contains(" passed, 0 failed"), "{report}");
}

fn user(user_name: &str, email: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": format!("ext-{user_name}"),
        "name": { "givenName": "Ada", "familyName": "Lovelace" },
        "emails": [{ "value": email, "type": "work", "primary": true }],
        "active": true,
    })
}

fn patch(operations: Value) -> Value {
    json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations })
}

#[tokio::test]
async fn tokens_are_owners_only_shown_once_and_bound_to_their_organization() {
    let app = TestApp::spawn().await;
    let org = app.create_org("scimtok").await;
    let (_, admin) = app.add_signed_in(&org, "admin@scimtok.example", "admin").await;
    let (status, _) = app.post("/v1/org/scim-tokens", &admin, json!({ "name": "x" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "owners only");
    let token = scim_token(&app, &org).await;
    let (status, listed) = app.get("/v1/org/scim-tokens", &org.owner_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(&token), "never shown again");

    // Rotation: a second token works alongside; deleting the first stops it at once.
    let second = scim_token(&app, &org).await;
    for t in [&token, &second] {
        let (status, _) = scim(&app, Method::GET, "/Users", t, None).await;
        assert_eq!(status, StatusCode::OK);
    }
    let first_id = listed[0]["id"].as_str().unwrap();
    let (status, _) = app.delete(&format!("/v1/org/scim-tokens/{first_id}"), &org.owner_token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, error) = scim(&app, Method::GET, "/Users", &token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
    assert_eq!(error["status"], "401");
    for bad in ["", "acx_forged", "acs_a-session-token", &org.owner_token] {
        let (status, _) = scim(&app, Method::GET, "/Users", bad, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
    }

    // Another organization's token reads and writes nothing of this one.
    let (status, mine) = scim(&app, Method::POST, "/Users", &second, Some(user("ada", "ada@scimtok.example"))).await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    let other = app.create_org("scimother").await;
    let foreign = scim_token(&app, &other).await;
    let path = format!("/Users/{}", mine["id"].as_str().unwrap());
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(user("ada", "ada@scimtok.example"))),
        (Method::PATCH, Some(patch(json!([{ "op": "replace", "path": "active", "value": false }])))),
        (Method::DELETE, None),
    ] {
        let (status, _) = scim(&app, method.clone(), &path, &foreign, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
    }
    let (_, listed) = scim(&app, Method::GET, "/Users?filter=userName%20eq%20%22ada%22", &foreign, None).await;
    assert_eq!(listed["totalResults"], 0);
    // The same address may be provisioned in another organization (no uniqueness oracle).
    let (status, _) = scim(&app, Method::POST, "/Users", &foreign, Some(user("ada", "ada@scimtok.example"))).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn users_follow_okta_and_entra_and_deprovisioning_ends_access_at_once() {
    let app = TestApp::spawn().await;
    let org = app.create_org("scimusers").await;
    let token = scim_token(&app, &org).await;
    let (status, created) =
        scim(&app, Method::POST, "/Users", &token, Some(user("ada@scimusers.example", "ada@scimusers.example"))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["displayName"], Value::Null, "not sent, not invented");
    let (status, employee) = app.get(&format!("/v1/employees/{id}"), &org.owner_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (employee["email"].as_str(), employee["full_name"].as_str(), employee["role"].as_str()),
        (Some("ada@scimusers.example"), Some("Ada Lovelace"), Some("member"))
    );

    // Duplicates are SCIM uniqueness errors.
    let (status, error) =
        scim(&app, Method::POST, "/Users", &token, Some(user("ada@scimusers.example", "other@scimusers.example")))
            .await;
    assert_eq!((status, error["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")));
    // Filters the big providers send; unsupported ones are invalidFilter.
    for filter in [
        "userName eq \"ADA@scimusers.example\"",
        "externalId eq \"ext-ada@scimusers.example\"",
        "emails.value eq \"ada@scimusers.example\"",
    ] {
        let (_, found) = scim(&app, Method::GET, &format!("/Users?filter={}", urlencode(filter)), &token, None).await;
        assert_eq!(found["totalResults"], 1, "{filter}: {found}");
        assert_eq!(found["Resources"][0]["id"], id.as_str());
    }
    let (status, error) =
        scim(&app, Method::GET, &format!("/Users?filter={}", urlencode("userName gt \"a\"")), &token, None).await;
    assert_eq!((status, error["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidFilter")));
    // Existing employees (the owner) are Users too: userName is their email.
    let (_, owner) = scim(
        &app,
        Method::GET,
        &format!("/Users?filter={}", urlencode("userName eq \"owner@scimusers.example\"")),
        &token,
        None,
    )
    .await;
    assert_eq!(owner["totalResults"], 1);
    // Paging is 1-based.
    let (_, page) = scim(&app, Method::GET, "/Users?startIndex=2&count=1", &token, None).await;
    assert_eq!(
        (page["totalResults"].as_u64(), page["startIndex"].as_u64(), page["itemsPerPage"].as_u64()),
        (Some(2), Some(2), Some(1))
    );

    // Okta updates with PUT.
    let mut okta = user("ada@scimusers.example", "ada.l@scimusers.example");
    okta["name"]["familyName"] = json!("King");
    let (status, replaced) = scim(&app, Method::PUT, &format!("/Users/{id}"), &token, Some(okta)).await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    let (_, employee) = app.get(&format!("/v1/employees/{id}"), &org.owner_token).await;
    assert_eq!(
        (employee["email"].as_str(), employee["full_name"].as_str()),
        (Some("ada.l@scimusers.example"), Some("Ada King"))
    );

    // The employee signs in; Entra deactivates with a capitalised op and a string.
    let code = app.issue_code(&org, &id).await;
    let session = app.login(&code).await;
    let (status, _) = app.get("/v1/me", &session).await;
    assert_eq!(status, StatusCode::OK);
    let entra = patch(json!([{ "op": "Replace", "path": "active", "value": "False" }]));
    let (status, patched) = scim(&app, Method::PATCH, &format!("/Users/{id}"), &token, Some(entra)).await;
    assert_eq!((status, patched["active"].clone()), (StatusCode::OK, json!(false)), "{patched}");
    let (status, _) = app.get("/v1/me", &session).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "access ends on the next request");
    let (_, employee) = app.get(&format!("/v1/employees/{id}"), &org.owner_token).await;
    assert_eq!(employee["status"], "deactivated");
    let (_, org_now) = app.get("/v1/org", &org.owner_token).await;
    assert_eq!(org_now["employee_count"], 1, "the seat is free again");

    // Entra reactivates; DELETE deprovisions (history kept, the User gone for SCIM).
    let (status, _) = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(patch(json!([{ "op": "Replace", "path": "active", "value": "True" }]))),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = scim(&app, Method::DELETE, &format!("/Users/{id}"), &token, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = scim(&app, Method::GET, &format!("/Users/{id}"), &token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, employee) = app.get(&format!("/v1/employees/{id}"), &org.owner_token).await;
    assert_eq!(employee["status"], "deactivated");
    // Provisioned again: the same employee comes back.
    let (status, again) =
        scim(&app, Method::POST, "/Users", &token, Some(user("ada@scimusers.example", "ada.l@scimusers.example")))
            .await;
    assert_eq!((status, again["id"].as_str()), (StatusCode::CREATED, Some(id.as_str())));
    let changes: Vec<Value> = app.activity(&org.id).await.into_iter().filter(|e| e["actor"] == "scim").collect();
    assert!(changes.iter().any(|e| e["event_type"] == "employee.deactivated"), "SCIM changes are audited");
}

#[tokio::test]
async fn seat_limits_apply_to_provisioning() {
    let app = TestApp::spawn().await;
    let org = app.create_org("scimseats").await;
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/v1/orgs/{}", org.id),
            Some(&app.platform_key),
            Some(json!({ "max_employees": 2 })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let token = scim_token(&app, &org).await;
    let (status, _) = scim(&app, Method::POST, "/Users", &token, Some(user("a", "a@scimseats.example"))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, error) = scim(&app, Method::POST, "/Users", &token, Some(user("b", "b@scimseats.example"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert!(error["detail"].as_str().unwrap().contains("seat"), "{error}");
}

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A group's member ids as SCIM lists them, sorted.
async fn group_members(app: &TestApp, token: &str, group: &str) -> Vec<String> {
    let (status, g) = scim(app, Method::GET, &format!("/Groups/{group}"), token, None).await;
    assert_eq!(status, StatusCode::OK, "{g}");
    let mut members: Vec<String> =
        g["members"].as_array().unwrap().iter().map(|m| m["value"].as_str().unwrap().to_string()).collect();
    members.sort();
    members
}

async fn team_of(app: &TestApp, org: &Org, employee: &str) -> Value {
    app.get(&format!("/v1/employees/{employee}"), &org.owner_token).await.1["team_id"].clone()
}

#[tokio::test]
async fn groups_overlap_and_members_change_by_every_patch_form() {
    let app = TestApp::spawn().await;
    let org = app.create_org("scimgroups").await;
    let token = scim_token(&app, &org).await;
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        let (_, created) =
            scim(&app, Method::POST, "/Users", &token, Some(user(name, &format!("{name}@scimgroups.example")))).await;
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let body =
        json!({ "schemas": [GROUP], "displayName": "Platform", "externalId": "g-1", "members": [{ "value": ids[0] }] });
    let (status, group) = scim(&app, Method::POST, "/Groups", &token, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    assert_eq!(group["members"][0]["value"], ids[0].as_str());
    let gid = group["id"].as_str().unwrap().to_string();
    // A group is a team that decides nobody's team unless an admin says so.
    let (_, team) = app.get(&format!("/v1/teams/{gid}"), &org.owner_token).await;
    assert_eq!((team["name"].as_str(), team["team_source"].as_bool()), (Some("Platform"), Some(false)));
    assert_eq!(team_of(&app, &org, &ids[0]).await, Value::Null);

    let path = format!("/Groups/{gid}");
    let add = patch(json!([{ "op": "Add", "path": "members", "value": [{ "value": ids[1] }, { "value": ids[2] }] }]));
    let (status, body) = scim(&app, Method::PATCH, &path, &token, Some(add)).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(group_members(&app, &token, &gid).await, sorted(ids.clone()));
    let remove = patch(json!([{ "op": "remove", "path": format!("members[value eq \"{}\"]", ids[0]) }]));
    assert_eq!(scim(&app, Method::PATCH, &path, &token, Some(remove)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(group_members(&app, &token, &gid).await, sorted(ids[1..].to_vec()));
    // Entra's forms: a removal by value beside a rename; Okta's: a value object.
    let entra = patch(
        json!([{ "op": "Remove", "path": "members", "value": [{ "value": ids[1] }] }, { "op": "Replace", "path": "displayName", "value": "Platform Eng" }]),
    );
    assert_eq!(scim(&app, Method::PATCH, &path, &token, Some(entra)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(group_members(&app, &token, &gid).await, vec![ids[2].clone()]);
    let okta = patch(json!([{ "op": "replace", "value": { "id": gid, "displayName": "Platform Engineering" } }]));
    assert_eq!(scim(&app, Method::PATCH, &path, &token, Some(okta)).await.0, StatusCode::NO_CONTENT);
    let filter = urlencode("displayName eq \"platform engineering\"");
    let (_, found) =
        scim(&app, Method::GET, &format!("/Groups?filter={filter}&excludedAttributes=members"), &token, None).await;
    assert_eq!((found["totalResults"].as_u64(), found["Resources"][0]["id"].as_str()), (Some(1), Some(gid.as_str())));
    assert!(found["Resources"][0].get("members").is_none(), "members excluded: {found}");
    let (_, found) =
        scim(&app, Method::GET, &format!("/Groups?filter={}", urlencode("externalId eq \"g-1\"")), &token, None).await;
    assert_eq!(found["Resources"][0]["members"][0]["value"], ids[2].as_str());

    // A second group leaves the first as it is: groups overlap.
    let body = json!({ "schemas": [GROUP], "displayName": "Data", "members": [{ "value": ids[2] }] });
    let (_, data) = scim(&app, Method::POST, "/Groups", &token, Some(body)).await;
    let data_id = data["id"].as_str().unwrap().to_string();
    assert_eq!(group_members(&app, &token, &gid).await, vec![ids[2].clone()]);
    assert_eq!(group_members(&app, &token, &data_id).await, vec![ids[2].clone()]);
    // A member of another organization is refused.
    let foreign = json!([{ "op": "add", "path": "members", "value": [{ "value": org.id }] }]);
    let (status, error) = scim(&app, Method::PATCH, &path, &token, Some(patch(foreign))).await;
    assert_eq!((status, error["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")));

    // A group an admin marks as a team's source gives its members that team, and takes
    // it back when they leave.
    let (status, marked) =
        app.patch(&format!("/v1/teams/{data_id}"), &org.owner_token, json!({ "team_source": true })).await;
    assert_eq!((status, marked["team_source"].as_bool()), (StatusCode::OK, Some(true)), "{marked}");
    let add_a = patch(json!([{ "op": "add", "path": "members", "value": [{ "value": ids[0] }] }]));
    scim(&app, Method::PATCH, &format!("/Groups/{data_id}"), &token, Some(add_a)).await;
    assert_eq!(team_of(&app, &org, &ids[0]).await, data_id.as_str());
    let (_, team) = app.get(&format!("/v1/teams/{data_id}"), &org.owner_token).await;
    assert_eq!((team["member_count"].as_u64(), team["group_size"].as_u64()), (Some(1), Some(2)), "{team}");
    let remove_a = patch(json!([{ "op": "remove", "path": "members", "value": [{ "value": ids[0] }] }]));
    scim(&app, Method::PATCH, &format!("/Groups/{data_id}"), &token, Some(remove_a)).await;
    assert_eq!(team_of(&app, &org, &ids[0]).await, Value::Null);

    // The enterprise extension's department is the team (created when none has its name),
    // and follows a PATCH of the extension's attribute by its URN path.
    let mut research = user("d", "d@scimgroups.example");
    research["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]);
    research[ENTERPRISE] = json!({ "department": "Research" });
    let (status, d) = scim(&app, Method::POST, "/Users", &token, Some(research)).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d[ENTERPRISE]["department"], "Research");
    let d_id = d["id"].as_str().unwrap().to_string();
    let (_, teams) = app.get("/v1/teams", &org.owner_token).await;
    let research_team = teams["items"].as_array().unwrap().iter().find(|t| t["name"] == "Research").unwrap().clone();
    assert_eq!(team_of(&app, &org, &d_id).await, research_team["id"]);
    let moved =
        patch(json!([{ "op": "Add", "path": format!("{ENTERPRISE}:department"), "value": "Platform Engineering" }]));
    let (status, d) = scim(&app, Method::PATCH, &format!("/Users/{d_id}"), &token, Some(moved)).await;
    assert_eq!((status, d[ENTERPRISE]["department"].as_str()), (StatusCode::OK, Some("Platform Engineering")), "{d}");
    assert_eq!(team_of(&app, &org, &d_id).await, gid.as_str());

    // Deleting a group leaves the others; a User SCIM deletes leaves every group.
    assert_eq!(scim(&app, Method::DELETE, &format!("/Groups/{data_id}"), &token, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(group_members(&app, &token, &gid).await, vec![ids[2].clone()]);
    assert_eq!(scim(&app, Method::DELETE, &format!("/Users/{}", ids[2]), &token, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(group_members(&app, &token, &gid).await, Vec::<String>::new());
    let (_, team) = app.get(&format!("/v1/teams/{gid}"), &org.owner_token).await;
    assert_eq!(team["group_size"], 0, "{team}");
    // The same member twice in one request joins once.
    let twice = patch(json!([{ "op": "add", "path": "members", "value": [{ "value": ids[0] }, { "value": ids[0] }] }]));
    assert_eq!(scim(&app, Method::PATCH, &path, &token, Some(twice)).await.0, StatusCode::NO_CONTENT);
    let (_, team) = app.get(&format!("/v1/teams/{gid}"), &org.owner_token).await;
    assert_eq!(team["group_size"], 1, "{team}");
    let changes: Vec<Value> =
        app.activity(&org.id).await.into_iter().filter(|e| e["event_type"] == "team.members_removed").collect();
    assert!(changes.iter().any(|e| e["payload"]["employee_ids"] == json!([ids[2]])), "{changes:?}");
}

/// RFC 7643 §4.1.1: `userName` is unique among all the organization's Users, the
/// employees SCIM never wrote included (their `userName` is their email), whichever side
/// comes first; a created resource is where `Location` says (RFC 7644 §3.3).
#[tokio::test]
async fn user_names_are_unique_across_every_employee_and_creations_say_where() {
    let app = TestApp::spawn().await;
    let org = app.create_org("scimuniq").await;
    let token = scim_token(&app, &org).await;
    let owner = "owner@scimuniq.example";

    let (status, problem) = scim(&app, Method::POST, "/Users", &token, Some(user(owner, "ada@scimuniq.example"))).await;
    assert_eq!((status, problem["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")), "{problem}");

    let response = app
        .request(Method::POST, "/scim/v2/Users", Some(&token))
        .header("content-type", "application/scim+json")
        .body(user("ada", "ada@scimuniq.example").to_string())
        .send()
        .await
        .unwrap();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_string());
    let (status, ada) = agentctl_tests::read(response).await;
    assert_eq!(status, StatusCode::CREATED, "{ada}");
    assert_eq!(location.as_deref(), ada["meta"]["location"].as_str(), "Location is the new User's");
    assert!(location.unwrap().ends_with(&format!("/scim/v2/Users/{}", ada["id"].as_str().unwrap())));
    let response = app
        .request(Method::POST, "/scim/v2/Groups", Some(&token))
        .header("content-type", "application/scim+json")
        .body(json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Eng" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.headers()["location"].to_str().unwrap().contains("/scim/v2/Groups/"));

    let ada_path = format!("/Users/{}", ada["id"].as_str().unwrap());
    let rename = patch(json!([{ "op": "replace", "path": "userName", "value": owner.to_uppercase() }]));
    let (status, problem) = scim(&app, Method::PATCH, &ada_path, &token, Some(rename)).await;
    assert_eq!((status, problem["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")), "{problem}");
    let (status, problem) = scim(&app, Method::PUT, &ada_path, &token, Some(user(owner, "ada@scimuniq.example"))).await;
    assert_eq!((status, problem["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")), "{problem}");
    let filter = format!("/Users?filter={}", urlencode(&format!("userName eq \"{owner}\"")));
    let (_, found) = scim(&app, Method::GET, &filter, &token, None).await;
    assert_eq!(found["totalResults"], 1, "{found}");

    // The other way round: an employee whose email is a User's userName.
    let body = json!({ "email": "ada@scimuniq.example", "full_name": "Ada" });
    let (status, _) = app.post("/v1/employees", &org.owner_token, body).await;
    assert_eq!(status, StatusCode::CONFLICT, "ada's email is hers");
    let (status, problem) =
        app.post("/v1/employees", &org.owner_token, json!({ "email": "ada", "full_name": "Not Ada" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not an email: {problem}");
    let (_, bob) = scim(&app, Method::POST, "/Users", &token, Some(user("bob.handle", "bob@scimuniq.example"))).await;
    let (status, problem) = app
        .patch(&format!("/v1/employees/{}", org.owner_id), &org.owner_token, json!({ "email": "bob.handle@x.example" }))
        .await;
    assert_eq!(status, StatusCode::OK, "an unrelated address: {problem}");
    let (status, _) =
        scim(&app, Method::POST, "/Users", &token, Some(user("bob.handle@x.example", "b2@scimuniq.example"))).await;
    assert_eq!(status, StatusCode::CONFLICT, "the owner's new email is their userName now");
    assert_eq!(bob["userName"], "bob.handle");
}

/// SCIM never leaves an organization without an active owner.
#[tokio::test]
async fn the_last_active_owner_is_neither_deactivated_nor_deleted_by_scim() {
    let app = TestApp::spawn().await;
    let org = app.create_org("scimowner").await;
    let token = scim_token(&app, &org).await;
    let owner_path = format!("/Users/{}", org.owner_id);
    let deactivate = patch(json!([{ "op": "replace", "path": "active", "value": false }]));
    let (status, problem) = scim(&app, Method::PATCH, &owner_path, &token, Some(deactivate.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("last active owner"), "{problem}");
    let (status, _) = scim(&app, Method::DELETE, &owner_path, &token, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, owner) = app.get(&format!("/v1/employees/{}", org.owner_id), &org.owner_token).await;
    assert_eq!(owner["status"], "active");

    // With a second owner, either may go (but not both).
    let second = app.add_employee(&org, "second@scimowner.example", "owner", None).await;
    let second_path = format!("/Users/{}", second["id"].as_str().unwrap());
    let (first, other) = tokio::join!(
        scim(&app, Method::PATCH, &owner_path, &token, Some(deactivate.clone())),
        scim(&app, Method::DELETE, &second_path, &token, None),
    );
    let succeeded = [first.0 == StatusCode::OK, other.0 == StatusCode::NO_CONTENT];
    assert_eq!(succeeded.iter().filter(|s| **s).count(), 1, "exactly one of two owners leaves: {first:?} {other:?}");
    let (_, first_now) = scim(&app, Method::GET, &owner_path, &token, None).await;
    let (second_status, _) = scim(&app, Method::GET, &second_path, &token, None).await;
    let active = [first_now["active"] == true, second_status == StatusCode::OK];
    assert_eq!(active.iter().filter(|a| **a).count(), 1, "one active owner remains: {first_now}");
}

/// Bodies are SCIM's media types (RFC 7644 §3.1), resources name their core schema
/// (RFC 7643 §3), and a body over the limit is refused as a SCIM error like any other.
#[tokio::test]
async fn bodies_are_scim_resources_of_scim_media_types_within_the_limit() {
    let app = TestApp::spawn().await;
    let org = app.create_org("scimbody").await;
    let token = scim_token(&app, &org).await;
    let send = async |method: Method, path: &str, content_type: &str, body: String| {
        let response = app
            .request(method, &format!("/scim/v2{path}"), Some(&token))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-type"], "application/scim+json", "{path}");
        agentctl_tests::read(response).await
    };
    let ada = user("ada@scimbody.example", "ada@scimbody.example").to_string();
    for content_type in ["text/plain", "application/x-www-form-urlencoded", ""] {
        let (status, error) = send(Method::POST, "/Users", content_type, ada.clone()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}: {error}");
    }
    let (_, listed) = scim(&app, Method::GET, "/Users", &token, None).await;
    assert_eq!(listed["totalResults"], 1, "only the owner: nothing was created");
    let (status, created) = send(Method::POST, "/Users", "application/json; charset=utf-8", ada).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let group_schema_only =
        json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "bob@scimbody.example" });
    let (status, error) = scim(&app, Method::POST, "/Users", &token, Some(group_schema_only.clone())).await;
    assert_eq!((status, error["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")), "{error}");
    let no_schemas = json!({ "userName": "bob@scimbody.example" });
    let (status, _) = scim(&app, Method::POST, "/Users", &token, Some(no_schemas)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    let (status, _) = scim(&app, Method::PUT, &path, &token, Some(group_schema_only)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let user_schema_group = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "displayName": "Eng" });
    let (status, _) = scim(&app, Method::POST, "/Groups", &token, Some(user_schema_group)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let lowercase = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:group"], "displayName": "Eng" });
    let (status, group) = scim(&app, Method::POST, "/Groups", &token, Some(lowercase)).await;
    assert_eq!(status, StatusCode::CREATED, "URNs compare case-insensitively: {group}");

    let mut huge = user("huge@scimbody.example", "huge@scimbody.example");
    huge["displayName"] = json!("x".repeat(1_100_000));
    let (status, error) = send(Method::POST, "/Users", "application/scim+json", huge.to_string()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{error}");
    assert_eq!(error["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
}

fn urlencode(text: &str) -> String {
    reqwest::Url::parse_with_params("http://x/", [("f", text)]).unwrap().query().unwrap()[2..].to_string()
}

/// Users are listed in DynamoDB's order (oldest first) with the count kept on the
/// organization: SCIM-deleted ones are left out of pages, counts and key lookups, and
/// come back when provisioned again; employees an admin added are Users by their email.
#[tokio::test]
async fn users_are_paged_counted_and_found_by_key_without_the_deleted() {
    let app = TestApp::spawn().await;
    let org = app.create_org("scimpages").await;
    let token = scim_token(&app, &org).await;
    let (_, owner) = app.get("/v1/me", &org.owner_token).await;
    let mut ids = vec![owner["employee"]["id"].as_str().unwrap().to_string()];
    for n in 0..7 {
        let email = format!("p{n}@scimpages.example");
        let (status, created) = scim(&app, Method::POST, "/Users", &token, Some(user(&email, &email))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    let admin_added = app.add_employee(&org, "walkin@scimpages.example", "member", None).await;
    ids.push(admin_added["id"].as_str().unwrap().to_string());
    for gone in [&ids[2], &ids[5]] {
        assert_eq!(scim(&app, Method::DELETE, &format!("/Users/{gone}"), &token, None).await.0, StatusCode::NO_CONTENT);
    }
    let listed: Vec<String> = ids.iter().filter(|id| **id != ids[2] && **id != ids[5]).cloned().collect();

    let mut seen = Vec::new();
    for start in [1, 4, 7] {
        let (_, page) = scim(&app, Method::GET, &format!("/Users?startIndex={start}&count=3"), &token, None).await;
        assert_eq!((page["totalResults"].as_u64(), page["startIndex"].as_u64()), (Some(7), Some(start)), "{page}");
        seen.extend(page["Resources"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_string()));
    }
    assert_eq!(seen, listed, "every User once, oldest first, the deleted left out");
    let (_, beyond) = scim(&app, Method::GET, "/Users?startIndex=50&count=3", &token, None).await;
    assert_eq!((beyond["totalResults"].as_u64(), beyond["itemsPerPage"].as_u64()), (Some(7), Some(0)));
    let (_, counted) = scim(&app, Method::GET, "/Users?count=0", &token, None).await;
    assert_eq!((counted["totalResults"].as_u64(), counted["itemsPerPage"].as_u64()), (Some(7), Some(0)));

    let find = |filter: String| {
        let (app, token) = (&app, &token);
        async move {
            let (status, found) =
                scim(app, Method::GET, &format!("/Users?filter={}", urlencode(&filter)), token, None).await;
            assert_eq!(status, StatusCode::OK, "{filter}: {found}");
            found["Resources"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_string()).collect()
        }
    };
    let found: Vec<String> = find("externalId eq \"ext-p3@scimpages.example\"".into()).await;
    assert_eq!(found, vec![ids[4].clone()]);
    let found: Vec<String> = find("externalId eq \"ext-p1@scimpages.example\"".into()).await;
    assert_eq!(found, Vec::<String>::new(), "SCIM deleted p1");
    let found: Vec<String> = find("userName eq \"WALKIN@scimpages.example\"".into()).await;
    assert_eq!(found, vec![ids[8].clone()], "named by their email");
    let found: Vec<String> = find(format!("id eq \"{}\"", ids[5])).await;
    assert_eq!(found, Vec::<String>::new());
    let found: Vec<String> = find("userName sw \"p\" and name.familyName eq \"Lovelace\"".into()).await;
    assert_eq!(found, listed[1..listed.len() - 1].to_vec(), "a filter no key answers reads every User");

    // Provisioned again, p1 is counted and listed where it always was.
    let email = "p1@scimpages.example";
    assert_eq!(scim(&app, Method::POST, "/Users", &token, Some(user(email, email))).await.0, StatusCode::CREATED);
    let (_, all) = scim(&app, Method::GET, "/Users", &token, None).await;
    assert_eq!(all["totalResults"], 8);
    assert_eq!(all["Resources"][2]["id"], ids[2].as_str());
    // An admin deletes p4 for good (deactivated by SCIM's delete): the counts follow.
    let (status, _) = app.delete(&format!("/v1/employees/{}", ids[5]), &org.owner_token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, all) = scim(&app, Method::GET, "/Users?count=1", &token, None).await;
    assert_eq!(all["totalResults"], 8);
    let (_, org_now) = app.get("/v1/org", &org.owner_token).await;
    assert_eq!((org_now["employee_total"].as_u64(), org_now["employee_count"].as_u64()), (Some(8), Some(8)));
}
