//! The usage pipeline benchmark (docs/BENCHMARKS.md). Against the emulator
//! (`AWS_ENDPOINT_URL`, see scripts/bench.sh), it
//!
//! 1. builds an organization of `BENCH_EMPLOYEES` (1,000) employees in 10 teams with 3
//!    agent configurations each, through the domain logic;
//! 2. bulk-loads `BENCH_RECORDS` (1,000,000) usage records of this month and their
//!    rollups (BatchWriteItem; the processor is too slow against the emulator for that
//!    many), attributed exactly as the processor attributes them;
//! 3. runs `BENCH_SAMPLE` (20,000) events through the usage processor, 4 at a time, and
//!    reports events/s, DynamoDB requests and write units per event;
//! 4. runs the month's team analytics and reports items read and latency.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agentctl_shared::auth::Caller;
use agentctl_shared::config::Config;
use agentctl_shared::domain::analytics::{self, RangeQuery};
use agentctl_shared::domain::usage::{self, Granularity};
use agentctl_shared::ids::OrgId;
use agentctl_shared::repo;
use agentctl_shared::roles::RoleName;
use agentctl_shared::{AppState, Name};
use chrono::{Datelike, Utc};
use devserver::request_log::RequestLog;
use uuid::Uuid;

use agentctl_bench::fixture::{BoxError, Lcg, Person, bulk_load, generated, organization, setting};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (employees, records, sample) =
        (setting("BENCH_EMPLOYEES", 1000), setting("BENCH_RECORDS", 1_000_000), setting("BENCH_SAMPLE", 20_000));
    let sdk = aws_config::load_from_env().await;
    let table = format!("bench-{}", Uuid::new_v4());
    devserver::provision::ensure_table(&aws_sdk_dynamodb::Client::new(&sdk), &table).await?;
    let usage_queues = devserver::provision::ensure_queues(&aws_sdk_sqs::Client::new(&sdk), &table).await?;
    let log = RequestLog::default();
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(log.clone()).build(),
    );
    let config = Config { usage_dlq_url: Some(usage_queues.dead_letter_url), ..Config::for_table(&table, None) };
    let state = AppState::with_dynamodb(config, &sdk, dynamodb);
    println!(
        "usage benchmark: {employees} employees, {records} bulk records, {sample} processed events; table {table}"
    );

    let started = Instant::now();
    let (org, people) = organization(&state, employees).await?;
    println!("organization built in {:.1?}", started.elapsed());

    let started = Instant::now();
    let month_start = Utc::now().with_day(1).expect("the first").date_naive();
    let days = Utc::now().date_naive().signed_duration_since(month_start).num_days() as u64 + 1;
    bulk_load(&state, org, &people, records, days).await?;
    println!("{records} records and their rollups bulk-loaded in {:.1?}", started.elapsed());

    log.take_requests();
    let started = Instant::now();
    process_sample(&state, org, &people, sample).await?;
    let elapsed = started.elapsed();
    let requests = log.take_requests();
    let mut by_operation: HashMap<String, (usize, usize)> = HashMap::new();
    for request in &requests {
        let entry = by_operation.entry(request.operation.clone()).or_default();
        entry.0 += 1;
        entry.1 += request.items;
    }
    let written: usize = requests.iter().filter(|r| r.operation == "TransactWriteItems").map(|r| r.items).sum();
    println!();
    println!(
        "processor: {sample} events in {elapsed:.1?} = {:.0} events/s (4 workers)",
        sample as f64 / elapsed.as_secs_f64()
    );
    println!("  DynamoDB requests per event: {:.2}", requests.len() as f64 / sample as f64);
    let mut operations: Vec<_> = by_operation.into_iter().collect();
    operations.sort();
    for (operation, (count, items)) in operations {
        println!(
            "    {operation:<20} {:.2} requests, {:.2} items per event",
            count as f64 / sample as f64,
            items as f64 / sample as f64
        );
    }
    println!(
        "  write units per event: {:.1} (transactional writes cost 2 WCU per item of up to 1 KB; {:.1} items each)",
        2.0 * written as f64 / sample as f64,
        written as f64 / sample as f64
    );

    let caller = Caller::acting_as(org, people[0].id, RoleName::Owner);
    let month_end = (month_start + chrono::Months::new(1)).pred_opt().expect("a day before");
    let query = RangeQuery { from: Some(month_start), to: Some(month_end), limit: Some(100), cursor: None };
    let month = month_start.format("%Y-%m").to_string();
    let rollups = repo::usage::rollups(&state.repo, org, usage::Dimension::Team, Granularity::Month, (&month, &month))
        .await?
        .len();
    let mut latencies = Vec::new();
    let mut queries = 0;
    for _ in 0..20 {
        log.take_requests();
        let started = Instant::now();
        let page = analytics::teams(&state, &caller, &query).await?;
        latencies.push(started.elapsed());
        assert_eq!(page.items.len(), 10);
        let requests = log.take_requests();
        assert!(requests.iter().all(|r| r.operation == "Query"), "{requests:?}");
        queries = requests.len();
    }
    latencies.sort();
    println!();
    println!(
        "team analytics, one month: {} items read (10 teams, {rollups} month rollups) in {queries} Queries; latency median {:.1?}, max {:.1?} (20 runs)",
        10 + rollups,
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    Ok(())
}

async fn process_sample(state: &AppState, org: OrgId, people: &[Person], sample: usize) -> Result<(), BoxError> {
    let mut rng = Lcg(7);
    let bodies: Vec<String> = (0..sample)
        .map(|n| {
            let (event, _, _) = generated(&mut rng, org, people, n, 1, "live");
            format!(
                r#"{{"v":1,"event_id":"{}","org_id":"{}","employee_id":"{}","agent_config_id":"{}","resource_type":"{}","quantity":{},"cost_usd":"{}","period_start":"{}","period_end":"{}"}}"#,
                event.event_id,
                event.org_id,
                event.employee_id,
                event.agent_config_id.expect("a config"),
                event.resource_type.as_str(),
                event.quantity,
                event.cost_usd,
                event.period_start.to_rfc3339(),
                event.period_end.to_rfc3339()
            )
        })
        .collect();
    let queue = Arc::new(std::sync::Mutex::new(bodies));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (queue, state) = (queue.clone(), state.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let Some(body) = queue.lock().expect("queue").pop() else { return Ok::<_, agentctl_shared::Error>(()) };
                // Duplicate happens when the SDK retried a transaction that had committed
                // (moto ignores its ClientRequestToken): still counted once.
                let outcome = usage::process_message(&state, &body).await?;
                assert!(matches!(outcome, usage::Outcome::Applied | usage::Outcome::Duplicate), "{outcome:?}: {body}");
            }
        }));
    }
    let progress = tokio::spawn({
        let queue = queue.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_secs(30)).await;
                println!("  {} events left", queue.lock().expect("queue").len());
            }
        }
    });
    for worker in workers {
        worker.await??;
    }
    progress.abort();
    Ok(())
}
