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
use agentctl_shared::domain::configs::{self, NewAgentConfig};
use agentctl_shared::domain::employees::{self, NewEmployee};
use agentctl_shared::domain::organizations::{self, NewOrganization, NewOwner, Plan};
use agentctl_shared::domain::teams::{self, NewTeam};
use agentctl_shared::domain::usage::{self, Granularity, NewUsageEvent, ResourceType, UsageEvent, UsageTotals};
use agentctl_shared::ids::{AgentConfigId, AgentId, EmployeeId, OrgId, TeamId};
use agentctl_shared::money::Usd;
use agentctl_shared::repo::{self, Item};
use agentctl_shared::roles::RoleName;
use agentctl_shared::{AppState, Name};
use chrono::{Datelike, Utc};
use devserver::request_log::RequestLog;
use strum::VariantArray;
use uuid::Uuid;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A small deterministic generator (the same data on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

/// An employee with their team and (agent, configuration) pairs.
struct Person {
    id: EmployeeId,
    team: TeamId,
    configs: Vec<(AgentId, AgentConfigId)>,
}

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

async fn organization(state: &AppState, employees: usize) -> Result<(OrgId, Vec<Person>), BoxError> {
    let request = NewOrganization {
        name: "Bench Corp".into(),
        slug: format!("bench-{}", &Uuid::new_v4().simple().to_string()[..12]),
        plan: Plan::Enterprise,
        settings: None,
        max_employees: Some(employees as u32 + 10),
        max_agents_per_employee: Some(5),
        monthly_budget_usd: Some("10000000".into()),
        owner: NewOwner {
            email: format!("owner-{}@bench.example", Uuid::new_v4().simple()),
            full_name: "Owner".into(),
        },
    };
    let created = organizations::create(state, &agentctl_shared::auth::Principal::Platform, request).await?;
    let owner = Caller::acting_as(created.organization.id, created.owner.id, RoleName::Owner);
    let platform = agentctl_shared::auth::Principal::Platform;
    let mut agents = Vec::new();
    for (name, kind) in [("Claude Code", "claude-code"), ("Cursor", "cursor"), ("Codex", "codex")] {
        let new = new_agent(name, kind);
        agents.push(
            agentctl_shared::domain::catalog::create::<agentctl_shared::domain::agents::AgentSpec>(
                state, &platform, new,
            )
            .await?,
        );
    }
    let mut teams_ = Vec::new();
    for i in 0..10 {
        teams_.push(
            teams::create(state, &owner, NewTeam { name: format!("Team {i}"), description: None, team_source: None })
                .await?
                .id,
        );
    }
    let state = Arc::new(state.clone());
    let owner = Arc::new(owner);
    let agents = Arc::new(agents.iter().map(|a| a.id).collect::<Vec<_>>());
    let mut tasks = Vec::new();
    for worker in 0..4 {
        let (state, owner, agents, teams_) = (state.clone(), owner.clone(), agents.clone(), teams_.clone());
        tasks.push(tokio::spawn(async move {
            let mut people = Vec::new();
            for i in (worker..employees).step_by(4) {
                let team = teams_[i % teams_.len()];
                let new = NewEmployee {
                    email: format!("e{i}-{}@bench.example", &owner.org_id.to_string()[..8]),
                    full_name: format!("Employee {i}"),
                    role: None,
                    team_id: Some(team),
                    preferences: None,
                };
                let employee = employees::create(&state, &owner, new).await?;
                let mut configs_ = Vec::new();
                for agent in agents.iter() {
                    let new = NewAgentConfig { agent_id: *agent, name: None, status: None, config_override: None };
                    let config = configs::create_agent_config(&state, &owner, employee.id, new).await?;
                    configs_.push((*agent, config.id));
                }
                people.push(Person { id: employee.id, team, configs: configs_ });
            }
            Ok::<_, agentctl_shared::Error>(people)
        }));
    }
    let mut people = Vec::new();
    for task in tasks {
        people.extend(task.await??);
    }
    Ok((owner.org_id, people))
}

fn new_agent(name: &str, kind: &str) -> agentctl_shared::domain::agents::NewAgent {
    let body = format!(r#"{{"name":"{name}","type":"{kind}","provider":"Bench"}}"#);
    agentctl_shared::strict_json::from_slice(body.as_bytes()).expect("a valid agent")
}

/// A generated event of this month.
fn generated(
    rng: &mut Lcg,
    org: OrgId,
    people: &[Person],
    n: usize,
    days: u64,
    prefix: &str,
) -> (UsageEvent, usize, usize) {
    let person = rng.next(people.len() as u64) as usize;
    let config = rng.next(people[person].configs.len() as u64) as usize;
    let kinds = ResourceType::VARIANTS;
    let resource_type = kinds[rng.next(kinds.len() as u64) as usize];
    let start =
        Utc::now().with_day(1).expect("the first").date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let at = (start + chrono::Duration::seconds(rng.next(days * 86_400) as i64)).min(Utc::now());
    let new = NewUsageEvent {
        v: 1,
        event_id: format!("{prefix}-{n}"),
        org_id: Some(org),
        employee_id: Some(people[person].id),
        agent_config_id: Some(people[person].configs[config].1),
        resource_type,
        quantity: 1 + rng.next(5000),
        cost_usd: format!("0.{:06}", rng.next(1_000_000)),
        period_start: at,
        period_end: at,
        metadata: None,
    };
    (usage::validate(new, None, &Utc::now()).expect("a valid event"), person, config)
}

async fn bulk_load(state: &AppState, org: OrgId, people: &[Person], records: usize, days: u64) -> Result<(), BoxError> {
    let mut rng = Lcg(42);
    let mut rollups: HashMap<(usage::Dimension, Granularity, String, String), UsageTotals> = HashMap::new();
    let mut total = Usd::ZERO;
    let mut batch: Vec<Item> = Vec::with_capacity(10_000);
    let mut writers: Vec<tokio::task::JoinHandle<Result<(), repo::StoreError>>> = Vec::new();
    for n in 0..records {
        let (event, person, config) = generated(&mut rng, org, people, n, days, "bulk");
        let totals = UsageTotals::of(&event);
        total += event.cost_usd;
        let attribution = usage::attribution(&event, Some(people[person].team), Some(people[person].configs[config]));
        for granularity in [Granularity::Day, Granularity::Month] {
            for (dimension, id) in &attribution {
                let key = (*dimension, granularity, granularity.period(&event.period_start), id.clone());
                rollups.entry(key).or_default().add(&totals);
            }
        }
        batch.push(repo::usage::record_item(&event)?);
        if batch.len() == 10_000 {
            writers.push(spawn_put(state, std::mem::take(&mut batch)));
            if writers.len() >= 4 {
                writers.remove(0).await??;
            }
        }
    }
    writers.push(spawn_put(state, batch));
    let rollup_items: Vec<Item> = rollups
        .iter()
        .map(|((dimension, granularity, period, id), totals)| {
            repo::usage::rollup_item(org, (*dimension, *granularity, period, id), totals)
        })
        .collect();
    println!("  {} rollup items", rollup_items.len());
    for chunk in rollup_items.chunks(10_000) {
        writers.push(spawn_put(state, chunk.to_vec()));
    }
    for writer in writers {
        writer.await??;
    }
    // The subscription as the processor would have left it.
    let mut tx = state.repo.transaction();
    let subscription = repo::subscriptions::get(&state.repo, org).await?.expect("a subscription");
    repo::usage::add_to_current(&mut tx, org, &subscription.billing_period_start, total);
    state.repo.transact(tx).await?;
    Ok(())
}

fn spawn_put(state: &AppState, items: Vec<Item>) -> tokio::task::JoinHandle<Result<(), repo::StoreError>> {
    let repo = state.repo.clone();
    tokio::spawn(async move { repo.batch_put(items).await })
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
