//! DynamoDB requests per API call, for every route of the OpenAPI document: each row of
//! the authorization matrix (`agentctl_tests::routes`) sent once, as the owner (the
//! platform key for platform routes), against a fresh organization, counting the
//! functions' own requests (the authorizer, a function of its own, adds 2 GetItems to
//! every authenticated call). Prints a markdown table; fails if a route is left out or a
//! call does not succeed.
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
    let token = session["token"].as_str().ok_or("no session token")?;
    let (status, _) = app.delete("/v1/sessions/current", token).await;
    row(&Method::DELETE, "/v1/sessions/current", status, app.requests.take_requests());
    measured.insert(("DELETE".into(), "/v1/sessions/current".into()));

    let missing: Vec<_> = authenticated_routes().difference(&measured).cloned().collect();
    if !missing.is_empty() {
        failures.push(format!("routes not measured: {missing:?}"));
    }
    if failures.is_empty() { Ok(()) } else { Err(failures.join("\n").into()) }
}
