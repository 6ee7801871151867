//! Bad input and abuse: every malformed, oversized, deep or mistyped request is
//! answered with its 4xx problem, and none of them stores anything.

use agentctl_tests::{TestApp, assert_problem, slug};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A request and the problem it must get: method, path, content type, body, status, code.
type Case = (Method, &'static str, &'static str, Vec<u8>, StatusCode, &'static str);

/// Sends raw bytes with a content type.
async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let response = app
        .request(method, path, Some(token))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the dev server answers");
    agentctl_tests::read(response).await
}

fn nested(levels: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(levels), "}".repeat(levels))
}

#[tokio::test]
async fn malformed_oversized_and_deep_requests_get_4xx_and_store_nothing() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("abuse")).await;
    let t = org.owner_token.clone();
    let pk = format!("ORG#{}", org.id);
    let before = app.partition(&pk).await.len();
    let activity_before = app.activity(&org.id).await.len();

    let json_body = |text: String| text.into_bytes();
    let cases: Vec<Case> = vec![
        // Not JSON at all, invalid UTF-8, truncated.
        (Method::POST, "/v1/teams", "application/json", b"{\"name\": \"\xff\xfe\"}".to_vec(), StatusCode::BAD_REQUEST, "bad_request"),
        (Method::POST, "/v1/teams", "application/json", b"{\"name\": ".to_vec(), StatusCode::BAD_REQUEST, "bad_request"),
        (Method::POST, "/v1/teams", "text/plain", b"name=x".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        // Nesting beyond the parser's limit, and beyond what storage takes.
        (Method::PATCH, "/v1/org", "application/json", json_body(format!("{{\"settings\":{}}}", nested(200))), StatusCode::BAD_REQUEST, "bad_request"),
        (Method::PATCH, "/v1/org", "application/json", json_body(format!("{{\"settings\":{}}}", nested(40))), StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        (Method::PATCH, "/v1/me", "application/json", json_body(format!("{{\"preferences\":{}}}", nested(20))), StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        (Method::PATCH, "/v1/me", "application/json", json_body(json!({ "preferences": { "a": { "": 1 } } }).to_string()), StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        (Method::POST, "/v1/catalog/tools", "application/json", json_body(json!({ "name": "t", "type": "http", "schema": { "": 1 } }).to_string()), StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        // Unknown and mistyped fields (no mass assignment of server-owned fields).
        (Method::POST, "/v1/teams", "application/json", json_body(json!({ "name": "x", "member_count": 99 }).to_string()), StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        (Method::PATCH, "/v1/org", "application/json", json_body(json!({ "id": "01a2136d-5b1b-77fd-9adf-890578435302" }).to_string()), StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        (Method::POST, "/v1/teams", "application/json", json_body(json!({ "name": 42 }).to_string()), StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        (Method::PATCH, "/v1/org/subscription", "application/json", json_body(json!({ "monthly_budget_usd": "1e400" }).to_string()), StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        // Too big.
        (Method::POST, "/v1/requests", "application/json", json_body(json!({ "request_type": "increase_budget", "request_data": { "amount_usd": "1" }, "reason": "x".repeat(300 * 1024) }).to_string()), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        (Method::POST, "/v1/requests", "application/json", json_body(json!({ "request_type": "increase_budget", "request_data": { "amount_usd": "1" }, "reason": "x".repeat(3000) }).to_string()), StatusCode::UNPROCESSABLE_ENTITY, "validation"),
    ];
    for (method, path, content_type, body, status, code) in cases {
        let (got, problem) = raw(&app, method.clone(), path, &t, content_type, body).await;
        assert_eq!(problem["status"], got.as_u16(), "{method} {path}: not problem+json: {problem}");
        assert_problem(got, &problem, status, code);
    }

    // Page sizes and cursors out of bounds.
    for query in ["limit=100000", "limit=0", "limit=-1", "limit=abc", "cursor=not-a-cursor", "unknown=1"] {
        let (status, problem) = app.get(&format!("/v1/teams?{query}"), &t).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {status} {problem}"
        );
    }

    // Ids that are not ids, and ids of nothing.
    for path in ["/v1/teams/not-a-uuid", "/v1/teams/00000000-0000-0000-0000-000000000000", "/v1/requests/%00"] {
        let (status, _) = app.get(path, &t).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }

    assert_eq!(app.partition(&pk).await.len(), before, "nothing was stored");
    assert_eq!(app.activity(&org.id).await.len(), activity_before, "nothing was logged as a change");
}

/// Sends a JSON text (not a value: duplicate keys survive) and expects a 422 naming `field`.
async fn refused(app: &TestApp, method: Method, path: &str, token: &str, body: &str, field: &str) {
    let (status, problem) = raw(app, method.clone(), path, token, "application/json", body.as_bytes().to_vec()).await;
    assert_problem(status, &problem, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(fields.contains(&field), "{method} {path} {body}: {field} not named in {problem}");
}

#[tokio::test]
async fn hostile_text_loose_json_and_loose_money_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("hostile")).await;
    let t = org.owner_token.clone();
    let agent = r#"{"name":"A","type":"other","provider":"P","llm_provider":"L","llm_model":"M"}"#;

    // Bidi controls and invisible-only names; control characters in free text.
    for (method, path, body, field) in [
        (Method::POST, "/v1/teams", r#"{"name":"evil\u202Etxt.exe"}"#, "name"),
        (Method::POST, "/v1/teams", r#"{"name":"\u200B\u200D\u2060"}"#, "name"),
        (Method::POST, "/v1/teams", r#"{"name":"ok","description":"a\u001b[2Jb"}"#, "description"),
        (Method::POST, "/v1/teams", r#"{"name":"ok","description":"nul\u0000"}"#, "description"),
        (Method::POST, "/v1/employees", r#"{"email":"z@hostile.example","full_name":"\uFEFF "}"#, "full_name"),
        (
            Method::POST,
            "/v1/catalog/agents",
            r#"{"name":"A","type":"other","provider":"\u2066P","llm_model":"m"}"#,
            "provider",
        ),
        (
            Method::POST,
            "/v1/catalog/agents",
            r#"{"name":"A","type":"other","provider":"P","llm_model":"m\u202D"}"#,
            "llm_model",
        ),
        (Method::POST, "/v1/catalog/tools", r#"{"name":"t","type":"http","description":"bell\u0007"}"#, "description"),
        (
            Method::POST,
            "/v1/requests",
            r#"{"request_type":"increase_budget","request_data":{"amount_usd":"5"},"reason":"\u001b]8;;http://x\u0007"}"#,
            "reason",
        ),
    ] {
        refused(&app, method, path, &t, body, field).await;
    }

    // Arrays for objects, at the top and nested; duplicate keys, in merge patches too.
    let (_, created) = app.post("/v1/catalog/agents", &t, serde_json::from_str(agent).unwrap()).await;
    let agent_path = format!("/v1/catalog/agents/{}", created["id"].as_str().unwrap());
    let policy = json!({ "name": "p", "policy_type": "shell", "rules": { "deny": ["rm -rf"] }, "severity": "warn" });
    let (_, policy) = app.post("/v1/policies", &t, policy).await;
    let policy_path = format!("/v1/policies/{}", policy["id"].as_str().unwrap());
    for (method, path, body, field) in [
        (Method::POST, "/v1/teams", r#"["name","desc"]"#, "(body)"),
        (Method::PATCH, "/v1/me", r#"[{"preferences":{}}]"#, "(body)"),
        (Method::POST, "/v1/teams", r#"{"name":"a","name":"b"}"#, "(body)"),
        (Method::PATCH, &agent_path, r#"{"description":"a","description":"b"}"#, "(body)"),
        (Method::PATCH, &policy_path, r#"{"rules":{"deny":["a"],"deny":["b"]}}"#, "rules"),
        (Method::PATCH, "/v1/org/subscription", r#"{"monthly_budget_usd":"1_000"}"#, "monthly_budget_usd"),
    ] {
        refused(&app, method, path, &t, body, field).await;
    }
    let owner = r#"{"name":"X","slug":"hostile-x","plan":"pro","owner":["o@x.example","O"]}"#;
    refused(&app, Method::POST, "/v1/orgs", &app.platform_key, owner, "owner").await;

    // Money is a plain decimal.
    for amount in ["1_000", " 5 ", "+5", ".5", "5.", "1e2"] {
        let body =
            json!({ "request_type": "increase_budget", "request_data": { "amount_usd": amount }, "reason": "r" });
        refused(&app, Method::POST, "/v1/requests", &t, &body.to_string(), "request_data.amount_usd").await;
        let now = chrono::Utc::now();
        let event = json!({ "events": [{ "v": 1, "event_id": "e1", "resource_type": "llm_call", "quantity": 1,
            "cost_usd": amount, "period_start": now, "period_end": now }] });
        refused(&app, Method::POST, "/v1/usage", &t, &event.to_string(), "events[0].cost_usd").await;
    }

    let (_, read) = app.get(&agent_path, &t).await;
    assert_eq!(read["description"], "", "the refused patches changed nothing");
    let (_, teams) = app.get("/v1/teams", &t).await;
    assert_eq!(teams["items"], json!([]), "no team was created");
    let (_, employees) = app.get("/v1/employees", &t).await;
    assert_eq!(employees["items"].as_array().unwrap().len(), 1, "the owner alone");
}
