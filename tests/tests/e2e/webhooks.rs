//! Webhooks end to end: a receiver on loopback gets requests filed and decided, SCIM
//! deprovisioning, budget thresholds, spend caps and rate-limit breaches, each signed
//! (HMAC-SHA256 over the timestamp and the body) and logged; failing endpoints are
//! retried with backoff and dead-lettered; URLs, events and access are checked.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use agentctl_tests::{Org, TestApp, assert_problem, slug};
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

/// What the receiver got: one POST.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: String,
}

/// An endpoint on loopback that records every POST and answers with `status`.
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (log, answer) = (got.clone(), status.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (log, answer) = (log.clone(), answer.clone());
                async move {
                    log.lock().unwrap().push(Received { headers, body });
                    StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, got, status }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// The JSON bodies received of one event type.
    fn events(&self, event_type: &str) -> Vec<Value> {
        self.received()
            .iter()
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
            .filter(|body| body["type"] == event_type)
            .collect()
    }
}

/// Checks `Agentctl-Signature: t=<unix>,v1=<hex>` against the secret, computed here.
fn assert_signed(received: &Received, secret: &str) {
    let header = received.headers["agentctl-signature"].to_str().unwrap();
    let (t, v1) = header.strip_prefix("t=").and_then(|rest| rest.split_once(",v1=")).expect("t=...,v1=...");
    let age = chrono::Utc::now().timestamp() - t.parse::<i64>().unwrap();
    assert!((0..300).contains(&age), "a fresh timestamp: {header}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", received.body).as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(v1, expected, "the signature is HMAC-SHA256 of \"<t>.<body>\"");
}

async fn create_webhook(app: &TestApp, org: &Org, body: Value) -> (String, String) {
    let (status, created) = app.post("/v1/webhooks", &org.owner_token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    (created["webhook"]["id"].as_str().unwrap().to_string(), secret)
}

async fn deliveries(app: &TestApp, org: &Org, webhook: &str) -> Vec<Value> {
    let (status, page) = app.get(&format!("/v1/webhooks/{webhook}/deliveries"), &org.owner_token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn requests_and_deprovisioning_reach_a_signed_webhook_once_each() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("hooks")).await;
    let t = &org.owner_token;
    let receiver = Receiver::start().await;
    let (webhook, secret) = create_webhook(&app, &org, json!({ "url": receiver.url, "description": "ops" })).await;
    let (status, read) = app.get(&format!("/v1/webhooks/{webhook}"), t).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!read.to_string().contains(&secret), "the secret is shown once: {read}");
    assert_eq!(read["events"].as_array().unwrap().len(), 8, "every notifiable event by default: {read}");

    // A member files two requests; the owner approves one and rejects the other.
    let (member, member_token) = app.add_signed_in(&org, "ada@hooks.example", "member").await;
    let mut requests = Vec::new();
    for name in ["Approved Agent", "Rejected Agent"] {
        let (_, agent) =
            app.post("/v1/catalog/agents", t, json!({ "name": name, "type": "other", "provider": "p" })).await;
        let body =
            json!({ "request_type": "new_agent", "request_data": { "agent_id": agent["id"] }, "reason": "please" });
        let (status, request) = app.post("/v1/requests", &member_token, body).await;
        assert_eq!(status, StatusCode::CREATED, "{request}");
        requests.push(request["id"].as_str().unwrap().to_string());
    }
    for (request, decision) in requests.iter().zip(["approve", "reject"]) {
        let path = format!("/v1/requests/{request}/decisions");
        let (status, body) = app.post(&path, t, json!({ "decision": decision })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // The identity provider deprovisions the member over SCIM.
    let (_, scim) = app.post("/v1/org/scim-tokens", t, json!({ "name": "Okta" })).await;
    let patch = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{ "op": "replace", "path": "active", "value": false }] });
    let response = app
        .request(Method::PATCH, &format!("/scim/v2/Users/{}", member["id"].as_str().unwrap()), scim["token"].as_str())
        .header("content-type", "application/scim+json")
        .body(patch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    app.eventually("five events delivered", async || receiver.received().len() >= 5).await;
    let submitted = receiver.events("request.submitted");
    assert_eq!(submitted.len(), 2, "{:?}", receiver.received());
    assert_eq!(receiver.events("request.approved").len(), 1);
    assert_eq!(receiver.events("request.rejected").len(), 1);
    let deactivated = receiver.events("employee.deactivated");
    assert_eq!(deactivated.len(), 1);
    assert_eq!(deactivated[0]["activity"]["actor"], "scim");
    assert_eq!(deactivated[0]["activity"]["payload"]["employee_id"], member["id"]);
    for received in receiver.received() {
        assert_signed(&received, &secret);
        assert!(!received.body.contains(&secret), "no secret in a payload");
        let body: Value = serde_json::from_str(&received.body).unwrap();
        assert_eq!(received.headers["agentctl-delivery-id"].to_str().unwrap(), body["id"].as_str().unwrap());
        assert_eq!(received.headers["agentctl-event"].to_str().unwrap(), body["type"].as_str().unwrap());
        assert_eq!(received.headers["agentctl-webhook-id"].to_str().unwrap(), webhook);
        assert_eq!(body["org_id"], org.id.as_str());
    }
    let filed: Vec<&Value> = submitted.iter().map(|s| &s["activity"]["payload"]["request_id"]).collect();
    assert!(requests.iter().all(|r| filed.contains(&&json!(r))), "{filed:?}");

    // The delivery log: newest first, each delivered at the first attempt.
    app.eventually("the log records every delivery", async || {
        deliveries(&app, &org, &webhook).await.iter().filter(|d| d["status"] == "delivered").count() == 5
    })
    .await;
    let log = deliveries(&app, &org, &webhook).await;
    assert_eq!(log[0]["event_type"], "employee.deactivated");
    assert!(log.iter().all(|d| d["attempts"] == 1 && d["response_status"] == 200), "{log:?}");
    // Nothing else: what is not notifiable (the catalog entries, the SCIM token) is not sent.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(receiver.received().len(), 5);
}

#[tokio::test]
async fn budgets_spend_caps_and_rate_limits_reach_a_slack_webhook() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("slack")).await;
    let t = &org.owner_token;
    let receiver = Receiver::start().await;
    let events = ["budget.threshold_crossed", "budget.spend_cap_reached", "rate_limit.exceeded"];
    let (webhook, secret) =
        create_webhook(&app, &org, json!({ "url": receiver.url, "format": "slack", "events": events })).await;
    let (employee, token) = app.add_signed_in(&org, "busy@slack.example", "member").await;
    let (status, _) = app.patch("/v1/org/subscription", t, json!({ "monthly_budget_usd": "1" })).await;
    assert_eq!(status, StatusCode::OK);
    let policies = [
        json!({ "name": "Cap", "policy_type": "spend_cap", "rules": { "monthly_usd": "0.50" }, "severity": "block" }),
        json!({ "name": "Calls", "policy_type": "rate_limit", "rules": { "metric": "llm_calls", "max": 2, "per": "hour" }, "severity": "warn" }),
    ];
    for policy in policies {
        let (_, policy) = app.post("/v1/policies", t, policy).await;
        let path = format!("/v1/org/policies/{}", policy["id"].as_str().unwrap());
        let (status, body) = app.call(Method::PUT, &path, Some(t), Some(json!({}))).await;
        assert!(status.is_success(), "{body}");
    }
    // Four calls of $0.30: past the rate limit, the spend cap and 50, 80 and 100% of the budget.
    let now = chrono::Utc::now().to_rfc3339();
    for i in 0..4 {
        let event = json!({ "v": 1, "event_id": format!("call-{i}"), "resource_type": "llm_call", "quantity": 1, "cost_usd": "0.30", "period_start": now, "period_end": now });
        let (status, _) = app.post("/v1/usage", &token, json!({ "events": [event] })).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let texts = async || -> Vec<String> {
        receiver
            .received()
            .iter()
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["text"].as_str().unwrap().to_string())
            .collect()
    };
    app.eventually("a breach, a cap and three thresholds", async || texts().await.len() >= 5).await;
    let texts = texts().await;
    let count = |what: &str| texts.iter().filter(|t| t.contains(what)).count();
    assert_eq!(count("Rate limit exceeded"), 1, "{texts:?}");
    assert_eq!(count("Spend cap reached"), 1, "{texts:?}");
    assert_eq!(count("Budget threshold crossed"), 3, "{texts:?}");
    let employee_id = employee["id"].as_str().unwrap();
    assert!(texts.iter().any(|t| t.contains(&format!("employee_id: {employee_id}"))), "{texts:?}");
    for received in receiver.received() {
        assert_signed(&received, &secret);
    }
    // Every such activity entry was delivered, and only those.
    let entries = app.activity(&org.id).await;
    let notified = entries.iter().filter(|e| events.contains(&e["event_type"].as_str().unwrap())).count();
    assert_eq!(notified, 5);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(deliveries(&app, &org, &webhook).await.len(), 5);
}

#[tokio::test]
async fn failing_endpoints_are_retried_with_backoff_then_dead_lettered() {
    let app = TestApp::spawn_with(|config| {
        config.webhook_retry_base = chrono::Duration::seconds(1);
        config.webhook_max_attempts = 3;
    })
    .await;
    let org = app.create_org(&slug("retry")).await;
    let receiver = Receiver::start().await;
    receiver.status.store(503, Ordering::SeqCst);
    let (webhook, secret) = create_webhook(&app, &org, json!({ "url": receiver.url })).await;

    let (status, test) = app.post(&format!("/v1/webhooks/{webhook}/test"), &org.owner_token, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{test}");
    let failed = async || deliveries(&app, &org, &webhook).await.first().is_some_and(|d| d["status"] == "failed");
    app.eventually("three attempts, then failed", failed).await;
    let log = deliveries(&app, &org, &webhook).await;
    assert_eq!(log.len(), 1);
    let delivery = &log[0];
    assert_eq!(delivery["id"], test["delivery_id"]);
    assert_eq!(delivery["event_type"], "webhook.tested");
    assert_eq!((delivery["attempts"].clone(), delivery["response_status"].clone()), (json!(3), json!(503)));
    let received = receiver.received();
    assert_eq!(received.len(), 3, "max attempts");
    // The same delivery each time (receivers deduplicate by it), freshly signed.
    let ids: Vec<&str> = received.iter().map(|r| r.headers["agentctl-delivery-id"].to_str().unwrap()).collect();
    assert!(ids.iter().all(|id| *id == test["delivery_id"].as_str().unwrap()), "{ids:?}");
    received.iter().for_each(|r| assert_signed(r, &secret));
    // Attempt times grow: ~1 s, then ~2 s apart (timestamps have whole seconds).
    let times: Vec<i64> = received
        .iter()
        .map(|r| {
            let header = r.headers["agentctl-signature"].to_str().unwrap();
            header[2..header.find(',').unwrap()].parse().unwrap()
        })
        .collect();
    assert!(times[1] - times[0] >= 1 && times[2] - times[1] >= 2, "backoff: {times:?}");
    // The exhausted delivery is in the dead-letter queue.
    let sqs = aws_sdk_sqs::Client::new(agentctl_tests::sdk().await);
    let dlq = app.state.config.notification_dlq_url.clone().unwrap();
    let out = sqs.receive_message().queue_url(&dlq).max_number_of_messages(10).send().await.unwrap();
    let bodies: Vec<String> = out.messages.unwrap_or_default().into_iter().filter_map(|m| m.body).collect();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(bodies[0].contains(test["delivery_id"].as_str().unwrap()));

    // The endpoint recovers: a new test is delivered at once; a rotated secret signs it.
    receiver.status.store(204, Ordering::SeqCst);
    let (status, rotated) = app.post(&format!("/v1/webhooks/{webhook}/secret"), &org.owner_token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    app.post(&format!("/v1/webhooks/{webhook}/test"), &org.owner_token, json!({})).await;
    app.eventually("the fourth request", async || receiver.received().len() == 4).await;
    assert_signed(&receiver.received()[3], new_secret);
    // A disabled webhook is sent no event (but still its tests).
    let (status, _) =
        app.patch(&format!("/v1/webhooks/{webhook}"), &org.owner_token, json!({ "enabled": false })).await;
    assert_eq!(status, StatusCode::OK);
    let (ada, _) = app.add_signed_in(&org, "ada@retry.example", "member").await;
    let (status, _) = app
        .patch(
            &format!("/v1/employees/{}", ada["id"].as_str().unwrap()),
            &org.owner_token,
            json!({ "status": "deactivated" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(receiver.received().len(), 4, "nothing to a disabled webhook");
}

#[tokio::test]
async fn webhook_urls_events_limits_and_tenancy_are_checked() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("checks")).await;
    let other = app.create_org(&slug("other")).await;
    let t = &org.owner_token;
    for url in [
        "http://hooks.example.com/x",
        "https://user:pw@hooks.example.com/x",
        "ftp://hooks.example.com/x",
        "http://10.0.0.1/x",
        "not a url",
    ] {
        let (status, body) = app.post("/v1/webhooks", t, json!({ "url": url })).await;
        assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(body["errors"][0]["field"], "url", "{url}: {body}");
    }
    for events in [json!([]), json!(["org.created"]), json!(["webhook.tested"]), json!(["no.such"])] {
        let (status, body) =
            app.post("/v1/webhooks", t, json!({ "url": "https://hooks.example.com/", "events": events })).await;
        assert!(status.is_client_error(), "{events}: {status} {body}");
    }
    let (webhook, _) = create_webhook(&app, &org, json!({ "url": "https://hooks.example.com/a" })).await;
    // Another organization's admins learn nothing of it.
    let path = format!("/v1/webhooks/{webhook}");
    let o = &other.owner_token;
    for (method, route, body) in [
        (Method::GET, path.clone(), None),
        (Method::PATCH, path.clone(), Some(json!({ "enabled": false }))),
        (Method::DELETE, path.clone(), None),
        (Method::POST, format!("{path}/test"), None),
        (Method::POST, format!("{path}/secret"), None),
        (Method::GET, format!("{path}/deliveries"), None),
    ] {
        let (status, body) = app.call(method.clone(), &route, Some(o), body).await;
        assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");
    }
    let (_, listed) = app.get("/v1/webhooks", o).await;
    assert_eq!(listed["items"], json!([]));
    // At most twenty.
    for i in 1..20 {
        create_webhook(&app, &org, json!({ "url": format!("https://hooks.example.com/{i}") })).await;
    }
    let (status, body) = app.post("/v1/webhooks", t, json!({ "url": "https://hooks.example.com/21" })).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "limit_reached");
    // The activity log names the host, never the URL (it may hold a token).
    let entries = app.activity(&org.id).await;
    let created: Vec<&Value> = entries.iter().filter(|e| e["event_type"] == "webhook.created").collect();
    assert_eq!(created.len(), 20);
    assert!(created.iter().all(|e| e["payload"]["host"] == "hooks.example.com" && !e.to_string().contains("/a\"")));
}
