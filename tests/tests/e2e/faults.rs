//! Faults injected into the AWS clients (devserver::faults): a write either completes or
//! leaves nothing behind, callers get a retryable 503 with Retry-After (never a 500),
//! usage is counted exactly once through lost answers and redeliveries, and the sync
//! bundle is never served half-read.

use agentctl_tests::{TestApp, When, slug};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn assert_retryable(status: StatusCode, body: &Value, retry_after: Option<&str>) {
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "unavailable", "{body}");
    assert_eq!(retry_after, Some("1"), "a 503 says when to retry");
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value, Option<String>) {
    let mut request = app.request(method, path, Some(token));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let (status, body) = agentctl_tests::read(response).await;
    (status, body, retry_after)
}

#[tokio::test]
async fn a_failed_write_leaves_nothing_and_answers_503_with_retry_after() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("faults")).await;
    let t = &org.owner_token;
    let pk = format!("ORG#{}", org.id);
    let before = app.partition(&pk).await.len();

    app.faults.inject("TransactWriteItems", When::BeforeSending, 10);
    let (status, body, retry_after) =
        call(&app, Method::POST, "/v1/teams", t, Some(json!({ "name": "Platform" }))).await;
    assert_retryable(status, &body, retry_after.as_deref());
    let employee = json!({ "email": "e@faults.example", "full_name": "E" });
    let (status, body, retry_after) = call(&app, Method::POST, "/v1/employees", t, Some(employee.clone())).await;
    assert_retryable(status, &body, retry_after.as_deref());
    app.faults.clear();
    assert_eq!(app.partition(&pk).await.len(), before, "nothing of the failed writes was stored");
    assert!(app.partition("EMAIL#e@faults.example").await.is_empty(), "no guard left behind");

    // Retried once the service is back: done once.
    let (status, body, _) = call(&app, Method::POST, "/v1/employees", t, Some(employee)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, org_now) = app.get("/v1/org", t).await;
    assert_eq!(org_now["employee_count"], 2, "the seat was taken once");
}

#[tokio::test]
async fn kms_failures_answer_503_and_keep_no_credentials() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("kmsfault")).await;
    let t = &org.owner_token;
    let schema = json!({ "type": "object", "required": ["token"], "properties": { "token": { "type": "string", "writeOnly": true } } });
    let (_, server) = app
        .post("/v1/catalog/mcp-servers", t, json!({ "name": "gh", "provider": "p", "version": "1", "transport": "http", "url": "https://mcp.example.com/", "headers": { "Authorization": "Bearer ${token}" }, "connection_schema": schema }))
        .await;
    let server_id = server["id"].as_str().unwrap();
    app.call(Method::PUT, &format!("/v1/catalog/mcp-servers/{server_id}/approval"), Some(t), None).await;
    let path = format!("/v1/employees/{}/mcp-configs", org.owner_id);
    let (_, config) = app.post(&path, t, json!({ "server_id": server_id })).await;
    let config_path = format!("{path}/{}", config["id"].as_str().unwrap());

    app.faults.inject("Encrypt", When::BeforeSending, 10);
    let credentials = json!({ "credentials": { "token": "ghp_x" } });
    let (status, body, retry_after) =
        call(&app, Method::PUT, &format!("{config_path}/credentials"), t, Some(credentials.clone())).await;
    assert_retryable(status, &body, retry_after.as_deref());
    app.faults.clear();
    let (_, config) = app.get(&config_path, t).await;
    assert_eq!(config["credentials_set"], false, "{config}");

    // The sync decrypts: a KMS failure there is a 503 too, never a bundle without them.
    let (status, _) = app.call(Method::PUT, &format!("{config_path}/credentials"), Some(t), Some(credentials)).await;
    assert_eq!(status, StatusCode::OK);
    app.faults.inject("Decrypt", When::BeforeSending, 10);
    let (status, body, retry_after) = call(&app, Method::GET, "/v1/me/sync", t, None).await;
    assert_retryable(status, &body, retry_after.as_deref());
    app.faults.clear();
    let (status, bundle) = app.get("/v1/me/sync", t).await;
    assert_eq!((status, bundle["mcp_servers"][0]["credentials"]["token"].as_str()), (StatusCode::OK, Some("ghp_x")));
}

#[tokio::test]
async fn the_sync_bundle_is_never_served_half_read() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("syncfault")).await;
    let t = &org.owner_token;
    for operation in ["Query", "BatchGetItem"] {
        app.faults.inject(operation, When::BeforeSending, 10);
        let (status, body, retry_after) = call(&app, Method::GET, "/v1/me/sync", t, None).await;
        assert_retryable(status, &body, retry_after.as_deref());
        app.faults.clear();
    }
    let (status, _) = app.get("/v1/me/sync", t).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn usage_counts_once_through_lost_answers_refusals_and_redelivery() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("usagefault")).await;
    let t = &org.owner_token;
    // The processor's transactions: some never sent (the message comes back later), some
    // committed with their answer lost (the SDK retries and meets the event guard).
    app.faults.inject("TransactWriteItems", When::BeforeSending, 6);
    app.faults.inject("TransactWriteItems", When::AfterCommit, 6);
    let now = chrono::Utc::now().to_rfc3339();
    let mut expected = Decimal::ZERO;
    let mut events = Vec::new();
    for i in 0..40 {
        let cost = Decimal::new(1234 + i, 4);
        expected += cost;
        events.push(json!({ "v": 1, "event_id": format!("evt-{i}"), "resource_type": "llm_call", "quantity": 1, "cost_usd": cost.to_string(), "period_start": now, "period_end": now }));
    }
    let (status, body) = app.post("/v1/usage", t, json!({ "events": events })).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    app.eventually("every event processed", async || {
        let (_, sub) = app.get("/v1/org/subscription", t).await;
        sub["current_spending_usd"].as_str().and_then(|s| s.parse::<Decimal>().ok()) == Some(expected)
    })
    .await;
    assert_eq!(app.faults.pending(), 0, "every injected fault struck");
    // And stays exact: nothing is counted again later.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let (_, sub) = app.get("/v1/org/subscription", t).await;
    assert_eq!(sub["current_spending_usd"].as_str().unwrap().parse::<Decimal>().unwrap(), expected);
}
