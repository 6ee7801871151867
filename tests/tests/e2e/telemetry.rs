//! Usage from the agent tools' OpenTelemetry (OTLP/HTTP, protobuf and JSON): what each
//! tool sends becomes usage once, token-only usage is priced from the organization's
//! price table, cumulative series count as deltas, and telemetry tokens open the OTLP
//! routes only. The bodies are shaped as the pinned tools send them (captured from
//! Claude Code 2.1.197, Codex 0.169.0, Gemini CLI 0.61.0).

use std::str::FromStr;

use agentctl_tests::{TestApp, assert_problem, slug};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use prost::Message;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn attr(key: &str, value: Value) -> Value {
    let value = match value {
        Value::String(s) => json!({ "stringValue": s }),
        Value::Number(n) if n.is_f64() => json!({ "doubleValue": n }),
        Value::Number(n) => json!({ "intValue": n }),
        other => other,
    };
    json!({ "key": key, "value": value })
}

fn nanos(offset_seconds: i64) -> String {
    (chrono::Utc::now().timestamp_nanos_opt().unwrap() + offset_seconds * 1_000_000_000).to_string()
}

fn log_export(service: &str, records: Vec<Value>) -> Value {
    json!({ "resourceLogs": [{
        "resource": { "attributes": [attr("service.name", json!(service))] },
        "scopeLogs": [{ "scope": { "name": service }, "logRecords": records }]
    }] })
}

fn claude_api_request(at: &str, sequence: i64) -> Value {
    json!({ "timeUnixNano": at, "observedTimeUnixNano": at, "body": { "stringValue": "claude_code.api_request" },
        "attributes": [
            attr("session.id", json!("1c648580-e624-4f90-a5b6-729985a126a1")), attr("event.name", json!("api_request")),
            attr("event.sequence", json!(sequence)), attr("model", json!("claude-sonnet-4-5")),
            attr("input_tokens", json!(1200)), attr("output_tokens", json!(300)),
            attr("cache_read_tokens", json!(0)), attr("cache_creation_tokens", json!(0)),
            attr("cost_usd", json!(0.0081)), attr("cost_usd_micros", json!(8100)), attr("duration_ms", json!(22))
        ] })
}

fn codex_completed(at: &str) -> Value {
    // Codex sends its counts as strings, and logs the same event kind without counts too.
    let counts = |with: bool| {
        let mut attributes = vec![
            attr("event.name", json!("codex.sse_event")),
            attr("event.kind", json!("response.completed")),
            attr("conversation.id", json!("01a22de3-22eb-72e0-866c-e43e41fc67f6")),
            attr("model", json!("gpt-5-codex")),
        ];
        if with {
            attributes.extend([
                attr("input_token_count", json!("1000")),
                attr("output_token_count", json!("400")),
                attr("cached_token_count", json!("200")),
                attr("cache_write_token_count", json!("0")),
                attr("reasoning_token_count", json!("100")),
                attr("tool_token_count", json!("1400")),
            ]);
        }
        json!({ "timeUnixNano": at, "observedTimeUnixNano": at, "attributes": attributes })
    };
    log_export("codex_exec", vec![counts(false), counts(true)])
}

/// Gemini CLI's cumulative token metric; its resource carries the command line (and so
/// the prompt).
fn gemini_tokens(start: &str, at: &str, input: i64, output: i64, prompt: &str) -> Value {
    let point = |kind: &str, value: i64| {
        json!({
            "attributes": [attr("session.id", json!("02b0786d")), attr("model", json!("gemini-2.5-pro")), attr("type", json!(kind))],
            "startTimeUnixNano": start, "timeUnixNano": at, "asInt": value.to_string()
        })
    };
    json!({ "resourceMetrics": [{
        "resource": { "attributes": [attr("service.name", json!("gemini-cli")),
            { "key": "process.command_args", "value": { "arrayValue": { "values": [{ "stringValue": "gemini" }, { "stringValue": "-p" }, { "stringValue": prompt }] } } }] },
        "scopeMetrics": [{ "scope": { "name": "gemini-cli" }, "metrics": [
            { "name": "gemini_cli.token.usage", "sum": { "aggregationTemporality": 2, "isMonotonic": true,
              "dataPoints": [point("input", input), point("output", output), point("cache", 100)] } },
            { "name": "gemini_cli.api.request.count", "sum": { "aggregationTemporality": 2, "isMonotonic": true,
              "dataPoints": [{ "attributes": [], "startTimeUnixNano": start, "timeUnixNano": at, "asInt": "1" }] } }
        ] }]
    }] })
}

async fn otlp(app: &TestApp, signal: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    app.call(Method::POST, &format!("/v1/otlp/v1/{signal}"), Some(token), Some(body.clone())).await
}

fn money(value: &Value) -> Decimal {
    Decimal::from_str(value.as_str().expect("money is a string")).unwrap()
}

/// The caller's own usage records of today, by the usage export.
/// The usage records of yesterday and today (a test may run across midnight).
async fn records(app: &TestApp, owner: &str) -> Vec<Value> {
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
    let path = format!("/v1/usage/export?from={from}&to={to}&format=jsonl");
    let response = app.request(Method::GET, &path, Some(owner)).send().await.unwrap();
    let text = response.text().await.unwrap();
    text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn total_cost(records: &[Value]) -> Decimal {
    records.iter().map(|r| money(&r["cost_usd"])).sum()
}

#[tokio::test]
async fn each_tools_requests_count_once_priced() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("otel")).await;
    let (_, token) = app.add_signed_in(&org, "dev@otel.example", "member").await;
    let (status, issued) = app.call(Method::POST, "/v1/me/telemetry-token", Some(&token), None).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let telemetry = issued["token"].as_str().unwrap().to_string();
    assert!(telemetry.starts_with("act_"));

    // Claude Code: one api_request event, sent twice (a retried export).
    let at = nanos(-5);
    let claude = log_export("claude-code", vec![claude_api_request(&at, 1)]);
    for _ in 0..2 {
        let (status, body) = otlp(&app, "logs", &telemetry, &claude).await;
        assert_eq!((status, &body), (StatusCode::OK, &json!({ "partialSuccess": null })));
    }
    // A request too old to count is OTLP's partial success, naming why; the rest counts.
    let old = log_export("claude-code", vec![claude_api_request(&nanos(-500 * 86_400), 2)]);
    let (status, body) = otlp(&app, "logs", &telemetry, &old).await;
    assert_eq!((status, &body["partialSuccess"]["rejectedLogRecords"]), (StatusCode::OK, &json!(1)), "{body}");
    assert!(body["partialSuccess"]["errorMessage"].as_str().unwrap().contains("400 days ago"), "{body}");
    // Codex: a completed response, priced from the list prices (version 0).
    let codex = codex_completed(&nanos(-4));
    for _ in 0..2 {
        assert_eq!(otlp(&app, "logs", &telemetry, &codex).await.0, StatusCode::OK);
    }
    // Gemini CLI: a cumulative series, two points and a redelivery of the first.
    let start = nanos(-60);
    let first = gemini_tokens(&start, &nanos(-3), 900, 250, "SECRET-PROMPT-TEXT");
    let second = gemini_tokens(&start, &nanos(-2), 1500, 400, "SECRET-PROMPT-TEXT");
    for export in [&first, &second, &first] {
        let (status, body) = otlp(&app, "metrics", &telemetry, export).await;
        assert_eq!((status, &body), (StatusCode::OK, &json!({ "partialSuccess": null })));
    }

    let owner = &org.owner_token;
    // Claude: call + input + output (3); Codex: call + input + cache read + output (4);
    // Gemini: input and output, two points each (4).
    app.eventually("every reading is processed", async || records(&app, owner).await.len() == 11).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let records = records(&app, owner).await;
    assert_eq!(records.len(), 11, "redeliveries counted once");
    let of = |client: &str| records.iter().filter(|r| r["metadata"]["client"] == client).cloned().collect::<Vec<_>>();
    let (claude, codex, gemini) = (of("claude-code"), of("codex"), of("gemini-cli"));
    assert_eq!(total_cost(&claude), Decimal::from_str("0.0081").unwrap(), "Claude Code's own cost");
    // 800 input x 1.25 + 200 cached x 0.125 + 400 output x 10, per million.
    assert_eq!(total_cost(&codex), Decimal::from_str("0.005025").unwrap());
    let priced = codex.iter().find(|r| r["metadata"]["token_type"] == "cache_read").unwrap();
    assert_eq!(priced["quantity"], 200);
    assert_eq!(priced["metadata"]["price"], json!({ "version": 0, "model": "gpt-5-codex", "usd_per_mtok": "0.125" }));
    // Gemini: 1500 input x 1.25 + 400 output x 10, per million; cached tokens are part of
    // its input count, not counted again.
    let tokens = |kind: &str| {
        gemini
            .iter()
            .filter(|r| r["metadata"]["token_type"] == kind)
            .map(|r| r["quantity"].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!((tokens("input"), tokens("output"), tokens("cache_read")), (1500, 400, 0));
    assert_eq!(total_cost(&gemini), Decimal::from_str("0.005875").unwrap());
    let all = serde_json::to_string(&records).unwrap();
    assert!(!all.contains("SECRET-PROMPT-TEXT"), "resource attributes (the prompt) are never stored");

    // Everything reached the employee's rollups and the organization's spending.
    let expected = Decimal::from_str("0.0081").unwrap()
        + Decimal::from_str("0.005025").unwrap()
        + Decimal::from_str("0.005875").unwrap();
    assert_eq!(app.spending_of_the_last_two_periods(&org).await, expected);
    let today = chrono::Utc::now().date_naive();
    let range = format!("from={}&to={today}", today.pred_opt().unwrap());
    let (_, by_employee) = app.get(&format!("/v1/usage/breakdown?by=employee&{range}"), owner).await;
    assert_eq!(money(&by_employee["items"][0]["usage"]["cost_usd"]), expected, "{by_employee}");
}

#[tokio::test]
async fn protobuf_exports_are_read_and_answered_in_protobuf() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("otelpb")).await;
    let (_, token) = app.add_signed_in(&org, "dev@otelpb.example", "member").await;
    let start = nanos(-60);
    let export: ExportMetricsServiceRequest =
        serde_json::from_value(gemini_tokens(&start, &nanos(-1), 2000, 0, "p")).unwrap();
    let send = async |body: Vec<u8>, content_type: &str| {
        app.request(Method::POST, "/v1/otlp/v1/metrics", Some(&token))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    };
    let response = send(export.encode_to_vec(), "application/x-protobuf").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/x-protobuf");
    let answer = ExportMetricsServiceResponse::decode(response.bytes().await.unwrap()).unwrap();
    assert_eq!(answer.partial_success, None, "everything counted");

    // Logs too, and what is not OTLP is a 400 / 415 problem.
    let logs: ExportLogsServiceRequest =
        serde_json::from_value(log_export("claude-code", vec![claude_api_request(&nanos(-1), 7)])).unwrap();
    assert_eq!(
        app.request(Method::POST, "/v1/otlp/v1/logs", Some(&token))
            .header("content-type", "application/x-protobuf")
            .body(logs.encode_to_vec())
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // Refusals are OTLP's google.rpc.Status, in the request's encoding (JSON where the
    // request named none OTLP knows).
    let response = send(b"\xff\xff\xff".to_vec(), "application/x-protobuf").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()["content-type"], "application/x-protobuf");
    let refusal: agentctl_shared::http::otlp::Status = prost::Message::decode(response.bytes().await.unwrap()).unwrap();
    assert_eq!(refusal.code, 3, "INVALID_ARGUMENT: {refusal:?}");
    assert!(refusal.message.contains("not an OTLP protobuf body"), "{refusal:?}");
    let (status, body) = agentctl_tests::read(send(b"x".to_vec(), "text/plain").await).await;
    assert_eq!((status, &body["code"]), (StatusCode::UNSUPPORTED_MEDIA_TYPE, &json!(3)), "{body}");

    let owner = &org.owner_token;
    app.eventually("the exports are processed", async || records(&app, owner).await.len() == 4).await;
    let records = records(&app, owner).await;
    // 2000 Gemini input tokens at 1.25 per million, and Claude Code's 0.0081.
    assert_eq!(total_cost(&records), Decimal::from_str("0.0106").unwrap());
}

#[tokio::test]
async fn an_edited_price_table_prices_what_comes_after_and_keeps_its_versions() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("prices")).await;
    let owner = &org.owner_token;
    let (_, token) = app.add_signed_in(&org, "dev@prices.example", "member").await;
    let (status, list) = app.get("/v1/model-prices", owner).await;
    assert_eq!((status, list["version"].as_u64()), (StatusCode::OK, Some(0)));
    assert!(list["models"].as_array().unwrap().iter().any(|m| m["model"] == "gpt-5-codex"));

    let table = |input: &str| {
        json!({ "replaces_version": 0, "models": [{ "model": "gpt-5-codex", "input_usd_per_mtok": input,
        "output_usd_per_mtok": "20", "cache_read_usd_per_mtok": "0.5", "cache_write_usd_per_mtok": "0" }] })
    };
    let (status, saved) = app.call(Method::PUT, "/v1/model-prices", Some(owner), Some(table("2"))).await;
    assert_eq!((status, saved["version"].as_u64()), (StatusCode::OK, Some(1)), "{saved}");
    let (status, body) = app.call(Method::PUT, "/v1/model-prices", Some(owner), Some(table("3"))).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "concurrent_update");
    let (status, body) = app.call(Method::PUT, "/v1/model-prices", Some(&token), Some(table("3"))).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let bad = json!({ "models": [{ "model": "bad model", "input_usd_per_mtok": "-1", "output_usd_per_mtok": "1",
        "cache_read_usd_per_mtok": "0", "cache_write_usd_per_mtok": "0" }] });
    let (status, body) = app.call(Method::PUT, "/v1/model-prices", Some(owner), Some(bad)).await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST, "{status} {body}");
    assert_eq!(app.get("/v1/model-prices/versions/1", owner).await.1["models"][0]["input_usd_per_mtok"], "2");
    assert_eq!(app.get("/v1/model-prices/versions/0", owner).await.1["version"], 0);
    assert_eq!(app.get("/v1/model-prices/versions/9", owner).await.0, StatusCode::NOT_FOUND);
    let other = app.create_org(&slug("prices2")).await;
    assert_eq!(app.get("/v1/model-prices/versions/1", &other.owner_token).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/v1/model-prices", &other.owner_token).await.1["version"], 0, "each organization its own");

    assert_eq!(otlp(&app, "logs", &token, &codex_completed(&nanos(-1))).await.0, StatusCode::OK);
    app.eventually("the export is processed", async || records(&app, owner).await.len() == 4).await;
    let records = records(&app, owner).await;
    // 800 x 2 + 200 x 0.5 + 400 x 20, per million.
    assert_eq!(total_cost(&records), Decimal::from_str("0.0097").unwrap());
    assert!(
        records
            .iter()
            .filter(|r| r["metadata"]["token_type"].is_string())
            .all(|r| r["metadata"]["price"]["version"] == 1)
    );
    let entries = app.activity(&org.id).await;
    assert!(entries.iter().any(|e| e["event_type"] == "prices.updated"));
}

#[tokio::test]
async fn telemetry_tokens_open_the_otlp_routes_only_and_the_organization_can_turn_telemetry_off() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("teltok")).await;
    let (member, token) = app.add_signed_in(&org, "dev@teltok.example", "member").await;
    let (_, issued) = app.call(Method::POST, "/v1/me/telemetry-token", Some(&token), None).await;
    let telemetry = issued["token"].as_str().unwrap();
    let entries = app.activity(&org.id).await;
    let issuance = entries.iter().find(|e| e["event_type"] == "telemetry_token.created").expect("an audit entry");
    assert_eq!((&issuance["employee_id"], &issuance["event_category"]), (&member["id"], &json!("auth")));
    assert!(!issuance.to_string().contains(telemetry), "the token itself is not logged");
    for (method, path) in
        [(Method::GET, "/v1/me"), (Method::GET, "/v1/me/sync"), (Method::POST, "/v1/me/telemetry-token")]
    {
        let (status, body) = app.call(method, path, Some(telemetry), None).await;
        assert_problem(status, &body, StatusCode::FORBIDDEN, "token_rejected");
    }
    let (status, body) = app.post("/v1/otlp/v1/traces", telemetry, json!({ "resourceSpans": [] })).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));

    // Reserved metadata cannot be sent as plain usage.
    let event = json!({ "events": [{ "v": 1, "event_id": "x-1", "resource_type": "llm_tokens_input", "quantity": 5,
        "cost_usd": "0", "period_start": chrono::Utc::now(), "period_end": chrono::Utc::now(), "metadata": { "series": "abc" } }] });
    let (status, body) = app.post("/v1/usage", &token, event).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");

    // Turned off: exports count nothing, and say so.
    let (status, body) = app.patch("/v1/org", &org.owner_token, json!({ "telemetry": "off" })).await;
    assert_eq!((status, &body["telemetry"]), (StatusCode::OK, &json!("off")), "{body}");
    let (status, body) = otlp(&app, "logs", telemetry, &codex_completed(&nanos(-1))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["partialSuccess"]["rejectedLogRecords"], 1, "one completed response: {body}");
    assert!(body["partialSuccess"]["errorMessage"].as_str().unwrap().contains("turned telemetry off"));

    // A deactivated employee's token is refused.
    let path = format!("/v1/employees/{}", member["id"].as_str().unwrap());
    let (status, _) = app.patch(&path, &org.owner_token, json!({ "status": "deactivated" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = otlp(&app, "logs", telemetry, &codex_completed(&nanos(-1))).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "token_rejected");
    let (status, body) = otlp(&app, "logs", "act_unknown", &codex_completed(&nanos(-1))).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "token_rejected");
}

#[tokio::test]
async fn logging_out_ends_the_telemetry_tokens_that_session_asked_for() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("telout")).await;
    let (member, laptop) = app.add_signed_in(&org, "dev@telout.example", "member").await;
    let desktop = app.enroll_and_login(&org, member["id"].as_str().unwrap()).await;
    let issue = async |session: &str| {
        let (status, issued) = app.call(Method::POST, "/v1/me/telemetry-token", Some(session), None).await;
        assert_eq!(status, StatusCode::CREATED, "{issued}");
        issued["token"].as_str().unwrap().to_string()
    };
    // The laptop's sync renewed its token once; tools started before still hold the first.
    let (first, renewed, other) = (issue(&laptop).await, issue(&laptop).await, issue(&desktop).await);
    let export = async |token: &str| app.post("/v1/otlp/v1/logs", token, json!({ "resourceLogs": [] })).await;
    for token in [&first, &renewed, &other] {
        assert_eq!(export(token).await.0, StatusCode::OK);
    }
    let (status, _) = app.delete("/v1/sessions/current", &laptop).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for token in [&first, &renewed] {
        let (status, body) = export(token).await;
        assert_problem(status, &body, StatusCode::FORBIDDEN, "token_rejected");
    }
    assert_eq!(export(&other).await.0, StatusCode::OK, "another session's token is not touched");
}

#[tokio::test]
async fn a_cumulative_series_counts_exactly_its_last_total_however_its_points_race() {
    use agentctl_shared::domain::usage::{Outcome, process_message};
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("series")).await;
    let (employee, _) = app.add_signed_in(&org, "dev@series.example", "member").await;
    let now = chrono::Utc::now();
    // Ten points of one series (running totals 100 ... 1000), each delivered twice, all at
    // once: whatever order they land in, the series adds up to its last total.
    let point = |total: u64| {
        json!({ "v": 1, "event_id": format!("otlp-series-{total}"), "org_id": org.id, "employee_id": employee["id"],
            "resource_type": "llm_tokens_input", "quantity": total, "cost_usd": "0",
            "period_start": now - chrono::Duration::minutes(5), "period_end": now,
            "metadata": { "source": "otlp", "client": "gemini-cli", "model": "gemini-2.5-pro", "token_type": "input",
                "pricing": "table", "series": "s-race" } })
        .to_string()
    };
    let mut pending: Vec<String> = (1..=10).flat_map(|i| [point(i * 100), point(i * 100)]).collect();
    // A message whose series kept moving through its in-process attempts fails and is
    // delivered again, as SQS does after its visibility timeout.
    let mut applied = 0;
    for _ in 0..20 {
        let outcomes = futures::future::join_all(pending.iter().map(|body| process_message(&app.state, body))).await;
        let mut retry = Vec::new();
        for (body, outcome) in pending.iter().zip(outcomes) {
            match outcome {
                Ok(Outcome::Applied) => applied += 1,
                Ok(Outcome::Duplicate) => {}
                Ok(Outcome::Rejected(reason)) => panic!("a point was rejected: {reason}"),
                Err(_) => retry.push(body.clone()),
            }
        }
        pending = retry;
        if pending.is_empty() {
            break;
        }
    }
    assert!(pending.is_empty(), "still failing after 20 deliveries: {pending:?}");
    assert!(applied >= 1);
    let records = records(&app, &org.owner_token).await;
    let tokens: u64 = records.iter().map(|r| r["quantity"].as_u64().unwrap()).sum();
    assert_eq!(tokens, 1000, "{records:?}");
    // 1000 input tokens at 1.25 per million.
    assert_eq!(total_cost(&records), Decimal::from_str("0.00125").unwrap());
}

/// A log record or data point counts whole or is refused whole, with its reason in
/// OTLP's partial success; a body that is not a JSON object is refused.
#[tokio::test]
async fn malformed_readings_are_refused_whole_and_say_why() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("otelbad")).await;
    let (_, token) = app.add_signed_in(&org, "dev@otelbad.example", "member").await;
    let (_, issued) = app.call(Method::POST, "/v1/me/telemetry-token", Some(&token), None).await;
    let telemetry = issued["token"].as_str().unwrap().to_string();

    let with = |key: &str, value: Value, sequence: i64| {
        let mut record = claude_api_request(&nanos(-5), sequence);
        let attributes = record["attributes"].as_array_mut().unwrap();
        attributes.retain(|a| a["key"] != key);
        attributes.push(match value {
            Value::Object(_) => json!({ "key": key, "value": value }),
            value => attr(key, value),
        });
        record
    };
    let bad = [
        with("input_tokens", json!(-500), 1),
        with("input_tokens", json!("NaN"), 2),
        with("input_tokens", json!("many"), 3),
        with("input_tokens", json!("18446744073709551616"), 4),
        with("input_tokens", json!({ "doubleValue": 12.5 }), 5),
        with("cost_usd", json!(-0.5), 6),
        with("cost_usd", json!(5_000_000.0), 7),
        with("output_tokens", json!(i64::MAX), 8),
    ];
    let (status, body) = otlp(&app, "logs", &telemetry, &log_export("claude-code", bad.to_vec())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["partialSuccess"]["rejectedLogRecords"], bad.len(), "{body}");
    assert!(body["partialSuccess"]["errorMessage"].as_str().unwrap().contains("input_tokens"), "{body}");

    let mut codex = codex_completed(&nanos(-4));
    let logged = codex["resourceLogs"][0]["scopeLogs"][0]["logRecords"].as_array_mut().unwrap();
    let attributes = logged[1]["attributes"].as_array_mut().unwrap();
    attributes.retain(|a| a["key"] != "input_token_count");
    attributes.push(attr("input_token_count", json!("-5")));
    let (status, body) = otlp(&app, "logs", &telemetry, &codex).await;
    assert_eq!((status, &body["partialSuccess"]["rejectedLogRecords"]), (StatusCode::OK, &json!(1)), "{body}");

    // One good record among them counts; none of the refused ones lands, in part or whole.
    let good = log_export("claude-code", vec![claude_api_request(&nanos(-3), 9), with("input_tokens", json!(-1), 10)]);
    let (_, body) = otlp(&app, "logs", &telemetry, &good).await;
    assert_eq!(body["partialSuccess"]["rejectedLogRecords"], 1, "{body}");
    app.eventually("the good record is processed", async || records(&app, &org.owner_token).await.len() == 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let landed = records(&app, &org.owner_token).await;
    assert_eq!(landed.len(), 3, "one call, its input and output tokens: {landed:?}");
    assert_eq!(total_cost(&landed), Decimal::from_str("0.0081").unwrap());

    // Refusals are OTLP's own google.rpc.Status, in the request's encoding.
    for body in ["[]", "[[]]", "\"logs\"", "{\"resourceLogs\": [], \"resourceLogs\": []}"] {
        for signal in ["logs", "metrics"] {
            let response = app
                .request(Method::POST, &format!("/v1/otlp/v1/{signal}"), Some(&telemetry))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.headers()["content-type"], "application/json");
            let (status, refusal) = agentctl_tests::read(response).await;
            assert_eq!((status, &refusal["code"]), (StatusCode::BAD_REQUEST, &json!(3)), "{signal}: {body}: {refusal}");
            assert!(refusal["message"].as_str().unwrap().contains("OTLP JSON"), "{refusal}");
        }
    }
    let huge = vec![0u8; 5_300_000];
    for (signal, content_type) in [("traces", "application/x-protobuf"), ("logs", "application/json")] {
        let response = app
            .request(Method::POST, &format!("/v1/otlp/v1/{signal}"), Some(&telemetry))
            .header("content-type", content_type)
            .body(huge.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{signal}");
        assert_eq!(response.headers()["content-type"], content_type, "{signal}");
        let body = response.bytes().await.unwrap();
        let status: agentctl_shared::http::otlp::Status = if content_type == "application/json" {
            let value: Value = serde_json::from_slice(&body).unwrap();
            agentctl_shared::http::otlp::Status {
                code: value["code"].as_i64().unwrap() as i32,
                message: value["message"].as_str().unwrap().into(),
            }
        } else {
            prost::Message::decode(body.as_ref()).unwrap()
        };
        assert_eq!(status.code, 11, "{signal}: {status:?}");
        assert!(status.message.contains("larger than"), "{signal}: {status:?}");
    }
}
