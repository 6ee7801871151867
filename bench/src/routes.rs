//! DynamoDB requests per API call, for every route of the OpenAPI document: each row of
//! the authorization matrix (`agentctl_tests::routes`) sent once, as the owner (the
//! platform key for platform routes), against a fresh organization, counting the
//! functions' own requests (the authorizer, a function of its own, adds 2 GetItems to
//! every authenticated call). Prints a markdown table; fails if a route is left out or a
//! call does not succeed. Then the public routes outside the matrix: signing in and out,
//! a refresh, and SCIM as an identity provider calls it (Users with a department, groups,
//! filters, pages, a membership PATCH of 1 and of 40 members).
//!
//! Usage: route-costs; `scripts/bench.sh routes`.

use std::collections::{BTreeMap, BTreeSet};

use agentctl_tests::routes::{authenticated_routes, cases, send, targets};
use agentctl_tests::{TestApp, slug};
use devserver::request_log::Request;
use reqwest::{Method, StatusCode};
use serde_json::json;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `Query 2, TransactWriteItems 1 (3 items)`: requests by operation, and the items they
/// carried where one request carried several.
fn summarize(requests: Vec<Request>) -> String {
    let mut by_operation: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for request in requests {
        let entry = by_operation.entry(request.operation).or_default();
        entry.0 += 1;
        entry.1 += request.items;
    }
    if by_operation.is_empty() {
        return "none".to_string();
    }
    by_operation
        .iter()
        .map(|(operation, (count, items))| {
            if items > count { format!("{operation} {count} ({items} items)") } else { format!("{operation} {count}") }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn row(method: &Method, route: &str, status: StatusCode, requests: Vec<Request>) {
    println!("| {method} {route} | {} | {} |", status.as_u16(), summarize(requests));
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("costs")).await;
    let targets = targets(&app, &org, "costs").await;

    println!("| route | status | DynamoDB requests |");
    println!("|---|---|---|");
    let mut measured = BTreeSet::new();
    let mut failures = Vec::new();
    for case in cases() {
        let (token, expected) = if case.allowed.contains(&"owner") {
            (org.owner_token.as_str(), case.success)
        } else {
            (app.platform_key.as_str(), case.platform)
        };
        app.requests.take_requests();
        let (status, body) = send(&app, &case, &targets, token).await;
        row(&case.method, case.route, status, app.requests.take_requests());
        if status != expected {
            failures.push(format!("{} {}: {status} (expected {expected}) {body}", case.method, case.route));
        }
        measured.insert((case.method.to_string(), case.route.to_string()));
    }

    // Signing in and out, outside the matrix: a fresh session of the owner.
    let code = app.issue_code(&org, &org.owner_id).await;
    app.requests.take_requests();
    let (status, session) = app.call(Method::POST, "/v1/sessions", None, Some(json!({ "code": code }))).await;
    row(&Method::POST, "/v1/sessions", status, app.requests.take_requests());
    let refresh = session["refresh_token"].as_str().ok_or("no refresh token")?;
    let form = [("grant_type", "refresh_token"), ("client_id", "agentctl-cli"), ("refresh_token", refresh)];
    app.requests.take_requests();
    let response = app.request(Method::POST, "/v1/oauth/token", None).form(&form).send().await?;
    let (status, renewed) = agentctl_tests::read(response).await;
    row(&Method::POST, "/v1/oauth/token (refresh_token)", status, app.requests.take_requests());
    expect(&mut failures, "POST /v1/oauth/token", status, StatusCode::OK);
    let token = renewed["access_token"].as_str().ok_or("no access token")?;
    let (status, _) = app.delete("/v1/sessions/current", token).await;
    row(&Method::DELETE, "/v1/sessions/current", status, app.requests.take_requests());
    measured.insert(("DELETE".into(), "/v1/sessions/current".into()));

    scim_rows(&app, &org, &mut failures).await?;

    let missing: Vec<_> = authenticated_routes().difference(&measured).cloned().collect();
    if !missing.is_empty() {
        failures.push(format!("routes not measured: {missing:?}"));
    }
    if failures.is_empty() { Ok(()) } else { Err(failures.join("\n").into()) }
}

fn expect(failures: &mut Vec<String>, what: &str, status: StatusCode, expected: StatusCode) {
    if status != expected {
        failures.push(format!("{what}: {status} (expected {expected})"));
    }
}

/// SCIM's calls as a provider makes them, each measured (its token is checked by the
/// function itself: those reads are in the counts).
async fn scim_rows(app: &TestApp, org: &agentctl_tests::Org, failures: &mut Vec<String>) -> Result<(), BoxError> {
    let (_, created) = app.post("/v1/org/scim-tokens", &org.owner_token, json!({ "name": "bench" })).await;
    let token = created["token"].as_str().ok_or("no SCIM token")?.to_string();
    let call =
        async |method: Method, label: &str, path: String, body: Option<serde_json::Value>, expected: StatusCode| {
            let mut request = app.request(method.clone(), &format!("/scim/v2{path}"), Some(&token));
            if let Some(body) = body {
                request = request.header("content-type", "application/scim+json").body(body.to_string());
            }
            app.requests.take_requests();
            let (status, answer) = agentctl_tests::read(request.send().await.expect("the dev server answers")).await;
            row(&method, &format!("/scim/v2{label}"), status, app.requests.take_requests());
            (status == expected)
                .then_some(answer)
                .ok_or_else(|| format!("{method} {label}: {status} (expected {expected})"))
        };
    let user = |n: usize| {
        let email = format!("scim{n}@costs.example");
        json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": email, "externalId": format!("ext-{n}"), "emails": [{ "value": email, "primary": true }],
            "name": { "givenName": "Scim", "familyName": n.to_string() },
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "Research" } })
    };
    let patch = |operations: serde_json::Value| json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations });
    let result: Result<(), String> = async {
        call(Method::GET, "/ServiceProviderConfig", "/ServiceProviderConfig".into(), None, StatusCode::OK).await?;
        let mut ids = Vec::new();
        for (n, label) in [(0, "/Users (a new department)"), (1, "/Users (its department exists)")] {
            let created = call(Method::POST, label, "/Users".into(), Some(user(n)), StatusCode::CREATED).await?;
            ids.push(created["id"].as_str().unwrap_or_default().to_string());
        }
        for n in 2..=40 {
            let request = app.request(Method::POST, "/scim/v2/Users", Some(&token));
            let request = request.header("content-type", "application/scim+json").body(user(n).to_string());
            let (_, created) = agentctl_tests::read(request.send().await.expect("the dev server answers")).await;
            ids.push(created["id"].as_str().unwrap_or_default().to_string());
        }
        let id = &ids[0];
        call(Method::GET, "/Users/{id}", format!("/Users/{id}"), None, StatusCode::OK).await?;
        let by_name = "?filter=userName%20eq%20%22scim1%40costs.example%22";
        call(Method::GET, "/Users?filter=userName eq", format!("/Users{by_name}"), None, StatusCode::OK).await?;
        let by_external = "?filter=externalId%20eq%20%22ext-2%22";
        call(Method::GET, "/Users?filter=externalId eq", format!("/Users{by_external}"), None, StatusCode::OK).await?;
        call(
            Method::GET,
            "/Users?startIndex=1&count=100",
            "/Users?startIndex=1&count=100".into(),
            None,
            StatusCode::OK,
        )
        .await?;
        call(
            Method::GET,
            "/Users?startIndex=31&count=10",
            "/Users?startIndex=31&count=10".into(),
            None,
            StatusCode::OK,
        )
        .await?;
        call(Method::PUT, "/Users/{id}", format!("/Users/{id}"), Some(user(0)), StatusCode::OK).await?;
        let off = patch(json!([{ "op": "replace", "path": "active", "value": false }]));
        call(Method::PATCH, "/Users/{id} (active false)", format!("/Users/{id}"), Some(off), StatusCode::OK).await?;
        let body = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Everyone" });
        let group = call(Method::POST, "/Groups", "/Groups".into(), Some(body), StatusCode::CREATED).await?;
        let gid = group["id"].as_str().unwrap_or_default().to_string();
        let members = |ids: &[String]| ids.iter().map(|id| json!({ "value": id })).collect::<Vec<_>>();
        let one = patch(json!([{ "op": "add", "path": "members", "value": members(&ids[1..2]) }]));
        call(Method::PATCH, "/Groups/{id} (add 1 member)", format!("/Groups/{gid}"), Some(one), StatusCode::NO_CONTENT)
            .await?;
        let forty = patch(json!([{ "op": "add", "path": "members", "value": members(&ids[1..]) }]));
        call(
            Method::PATCH,
            "/Groups/{id} (add 40 members, 1 in)",
            format!("/Groups/{gid}"),
            Some(forty),
            StatusCode::NO_CONTENT,
        )
        .await?;
        let excluded = format!("/Groups/{gid}?excludedAttributes=members");
        call(Method::GET, "/Groups/{id}?excludedAttributes=members", excluded, None, StatusCode::OK).await?;
        call(Method::GET, "/Groups/{id} (40 members)", format!("/Groups/{gid}"), None, StatusCode::OK).await?;
        let by_name = "/Groups?filter=displayName%20eq%20%22Everyone%22&excludedAttributes=members";
        call(Method::GET, "/Groups?filter=displayName eq", by_name.into(), None, StatusCode::OK).await?;
        let gone = patch(json!([{ "op": "remove", "path": format!("members[value eq \"{}\"]", ids[1]) }]));
        call(
            Method::PATCH,
            "/Groups/{id} (remove 1 member)",
            format!("/Groups/{gid}"),
            Some(gone),
            StatusCode::NO_CONTENT,
        )
        .await?;
        call(Method::DELETE, "/Users/{id}", format!("/Users/{}", ids[2]), None, StatusCode::NO_CONTENT).await?;
        call(Method::DELETE, "/Groups/{id} (39 members)", format!("/Groups/{gid}"), None, StatusCode::NO_CONTENT)
            .await?;
        Ok(())
    }
    .await;
    if let Err(failure) = result {
        failures.push(failure);
    }
    Ok(())
}
