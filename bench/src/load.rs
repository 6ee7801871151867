//! A bounded load test of the dev server (every function's routes in one process, the
//! authorizer in front, the emulator behind), on localhost: throughput and latency
//! percentiles for syncs with and without an ETag, admin reads and usage ingest, and the
//! DynamoDB requests per call of each (route by route: `route-costs`).
//!
//! Usage: load-bench [REQUESTS] [CONCURRENCY] (defaults 400 and 8); `scripts/bench.sh load`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agentctl_shared::AppState;
use agentctl_shared::auth::{PLATFORM_KEY_PREFIX, digest, new_secret};
use agentctl_shared::config::Config;
use devserver::request_log::RequestLog;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

struct Server {
    url: String,
    http: reqwest::Client,
    requests: RequestLog,
}

impl Server {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), BoxError> {
        let mut request = self.http.request(method, format!("{}{path}", self.url)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }
}

/// Runs `total` requests made by `make(i)` over `concurrency` workers: throughput and
/// latency percentiles, and the functions' DynamoDB requests per call.
async fn scenario<F, Fut>(
    server: &Server,
    name: &str,
    total: usize,
    concurrency: usize,
    make: F,
) -> Result<(), BoxError>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<StatusCode, BoxError>> + Send,
{
    server.requests.take();
    let make = Arc::new(make);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (make, next) = (make.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, BoxError>(latencies);
                }
                let t = Instant::now();
                let status = make(i).await?;
                if !status.is_success() && status != StatusCode::NOT_MODIFIED {
                    return Err(format!("request {i} answered {status}").into());
                }
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for worker in workers {
        latencies.extend(worker.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct =
        |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64() * 1000.0;
    let dynamodb = server.requests.take().len() as f64 / total as f64;
    println!(
        "{name:<28} {total:>6} {:>9.0}/s {:>8.1}ms {:>8.1}ms {:>10.2}",
        total as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        dynamodb
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let total: usize = std::env::args().nth(1).map(|v| v.parse()).transpose()?.unwrap_or(400);
    let concurrency: usize = std::env::args().nth(2).map(|v| v.parse()).transpose()?.unwrap_or(8);
    let sdk = aws_config::load_from_env().await;
    let table = format!("load-{}", uuid::Uuid::new_v4());
    devserver::provision::ensure_table(&aws_sdk_dynamodb::Client::new(&sdk), &table).await?;
    let key_id = devserver::provision::ensure_key(&aws_sdk_kms::Client::new(&sdk), &format!("alias/{table}")).await?;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let usage = devserver::provision::ensure_queues(&sqs, &format!("{table}-usage")).await?;
    let sync = devserver::provision::ensure_queues(&sqs, &format!("{table}-sync")).await?;
    let config = Config {
        kms_key_id: Some(key_id),
        sync_queue_url: Some(sync.url),
        usage_queue_url: Some(usage.url),
        usage_dlq_url: Some(usage.dead_letter_url),
        sync_settle: chrono::Duration::zero(),
        ..Config::for_table(&table, Some(digest(&new_secret(PLATFORM_KEY_PREFIX))))
    };
    let requests = RequestLog::default();
    let counted = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(requests.clone()).build(),
    );
    let state = AppState::with_dynamodb(config.clone(), &sdk, counted);
    // No queue consumers: they would compete with the API for the emulator (the usage
    // benchmark measures processing); here usage ingest is the enqueueing.
    let authorizer = AppState::new(config, &sdk);
    let demo = devserver::seed::demo(&state).await?.ok_or("a fresh table holds no demo")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = devserver::app_with_authorizer(state, authorizer).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let server = Arc::new(Server { url, http: reqwest::Client::new(), requests });

    let (status, session) =
        server.call(Method::POST, "/v1/sessions", "", Some(&json!({ "code": demo.member_code }))).await?;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let developer = session["token"].as_str().ok_or("no token")?.to_string();
    let admin = demo.admin_token.clone();

    println!(
        "load test of the dev server: {total} requests per scenario, {concurrency} concurrent clients, release build, emulator-backed"
    );
    println!("{:<28} {:>6} {:>11} {:>10} {:>10} {:>10}", "scenario", "calls", "throughput", "p50", "p99", "DDB/call");
    let s = server.clone();
    let token = developer.clone();
    scenario(&server, "sync, full bundle", total, concurrency, move |_| {
        let (s, token) = (s.clone(), token.clone());
        async move {
            let response = s.http.get(format!("{}/v1/me/sync", s.url)).bearer_auth(&token).send().await?;
            Ok(response.status())
        }
    })
    .await?;
    let etag = server
        .http
        .get(format!("{}/v1/me/sync", server.url))
        .bearer_auth(&developer)
        .send()
        .await?
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .ok_or("no ETag")?
        .to_string();
    let (s, token) = (server.clone(), developer.clone());
    scenario(&server, "sync, If-None-Match (304)", total, concurrency, move |_| {
        let (s, token, etag) = (s.clone(), token.clone(), etag.clone());
        async move {
            let response = s
                .http
                .get(format!("{}/v1/me/sync", s.url))
                .bearer_auth(&token)
                .header("if-none-match", etag)
                .send()
                .await?;
            Ok(response.status())
        }
    })
    .await?;
    let reads =
        ["/v1/employees", "/v1/teams", "/v1/org/subscription", "/v1/requests/pending", "/v1/catalog/mcp-servers"];
    let (s, token) = (server.clone(), admin.clone());
    scenario(&server, "admin reads (5 routes)", total, concurrency, move |i| {
        let (s, token) = (s.clone(), token.clone());
        async move { Ok(s.call(Method::GET, reads[i % reads.len()], &token, None).await?.0) }
    })
    .await?;
    let (s, token) = (server.clone(), developer.clone());
    let now = chrono::Utc::now().to_rfc3339();
    scenario(&server, "usage ingest (10 events)", total, concurrency, move |i| {
        let (s, token, now) = (s.clone(), token.clone(), now.clone());
        async move {
            let events: Vec<Value> = (0..10)
                .map(|j| json!({ "v": 1, "event_id": format!("load-{i}-{j}"), "resource_type": "llm_call", "quantity": 1, "cost_usd": "0.0123", "period_start": now, "period_end": now }))
                .collect();
            Ok(s.call(Method::POST, "/v1/usage", &token, Some(&json!({ "events": events }))).await?.0)
        }
    })
    .await?;

    Ok(())
}
