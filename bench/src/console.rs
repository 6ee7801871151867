//! The console's pages for the benchmark organization (docs/BENCHMARKS.md, "Console"):
//! 1,000 employees in 10 teams with 3 agent configurations each, a month of usage
//! (`BENCH_RECORDS`, 100,000, bulk-loaded with its rollups), a device each in the fleet,
//! policies and assignments for the organization. Each page is rendered by the dev server
//! (release build, emulator behind) `BENCH_RUNS` (20) times one after the other, after
//! three to warm up; prints p50, p95 and the slowest render, and DynamoDB requests per
//! render.
//!
//! Usage: `scripts/bench.sh console`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use agentctl_bench::fixture::{BoxError, bulk_load, organization, setting};
use agentctl_shared::AppState;
use agentctl_shared::auth::{Caller, PLATFORM_KEY_PREFIX, digest, new_secret};
use agentctl_shared::config::Config;
use agentctl_shared::domain::assignments::{self, NewAssignment};
use agentctl_shared::domain::catalog;
use agentctl_shared::domain::employees::{self, NewEmployee};
use agentctl_shared::domain::policies::{self, AttachRequest, NewPolicy, PolicySpec, Target};
use agentctl_shared::domain::sessions;
use agentctl_shared::repo;
use agentctl_shared::roles::RoleName;
use agentctl_wire::fleet::{ClientPosture, Posture, SyncResult};
use agentctl_wire::ids::DeviceId;
use chrono::{Datelike, Utc};
use devserver::request_log::RequestLog;
use futures::StreamExt;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (employees, records, runs) =
        (setting("BENCH_EMPLOYEES", 1000), setting("BENCH_RECORDS", 100_000), setting("BENCH_RUNS", 20));
    let sdk = aws_config::load_from_env().await;
    let table = format!("console-{}", uuid::Uuid::new_v4());
    devserver::provision::ensure_table(&aws_sdk_dynamodb::Client::new(&sdk), &table).await?;
    let key_id = devserver::provision::ensure_key(&aws_sdk_kms::Client::new(&sdk), &format!("alias/{table}")).await?;
    let config = Config {
        kms_key_id: Some(key_id),
        ..Config::for_table(&table, Some(digest(&new_secret(PLATFORM_KEY_PREFIX))))
    };
    let requests = RequestLog::default();
    let counted = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(requests.clone()).build(),
    );
    let state = AppState::with_dynamodb(config.clone(), &sdk, counted);
    println!("console benchmark: {employees} employees, {records} usage records this month; table {table}");

    let started = Instant::now();
    let (org, people) = organization(&state, employees).await?;
    let acting = Caller::acting_as(org, people[0].id, RoleName::Owner);
    let new_owner = NewEmployee {
        email: "console-owner@bench.example".into(),
        full_name: "Console Owner".into(),
        role: Some(RoleName::Owner),
        team_id: None,
        preferences: None,
    };
    let owner = employees::create(&state, &acting, new_owner).await?;
    let owner = Caller::acting_as(org, owner.id, RoleName::Owner);
    let month_start = Utc::now().with_day(1).expect("the first").date_naive();
    let days = Utc::now().date_naive().signed_duration_since(month_start).num_days() as u64 + 1;
    bulk_load(&state, org, &people, records, days).await?;
    furnish(&state, &owner, &people).await?;
    println!("organization, usage, fleet, policies and assignments ready in {:.1?}", started.elapsed());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let authorizer = AppState::new(config, &sdk);
    let app =
        devserver::app_with_authorizer(state.clone(), authorizer).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let code = sessions::issue_enrollment(&state, &owner, owner.employee_id).await?.code;
    let signed = http.post(format!("{url}/console/login/code")).form(&[("code", code.as_str())]).send().await?;
    if signed.headers().get(LOCATION).is_none() {
        return Err(format!("signing in answered {}", signed.status()).into());
    }
    let cookie = signed.headers()[SET_COOKIE].to_str()?.split(';').next().unwrap_or_default().to_string();

    let person = people[people.len() / 2].id;
    let team = people[0].team;
    let pages = [
        "/console".to_string(),
        "/console/approvals".into(),
        "/console/people".into(),
        format!("/console/people/{person}"),
        "/console/teams".into(),
        format!("/console/teams/{team}"),
        "/console/assignments".into(),
        "/console/catalog".into(),
        "/console/policies".into(),
        "/console/fleet".into(),
        "/console/fleet?view=never_synced".into(),
        "/console/usage".into(),
        "/console/activity".into(),
        "/console/settings".into(),
    ];
    println!("{runs} renders per page after 3 to warm up, one at a time; release build, emulator-backed");
    println!("{:<36} {:>9} {:>9} {:>9} {:>9}", "page", "p50", "p95", "slowest", "DDB/page");
    for path in &pages {
        let render = async || -> Result<Duration, BoxError> {
            let started = Instant::now();
            let response = http.get(format!("{url}{path}")).header(COOKIE, &cookie).send().await?;
            let status = response.status();
            response.bytes().await?;
            if !status.is_success() {
                return Err(format!("{path} answered {status}").into());
            }
            Ok(started.elapsed())
        };
        for _ in 0..3 {
            render().await?;
        }
        requests.take();
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            times.push(render().await?);
        }
        let dynamodb = requests.take().len() as f64 / runs as f64;
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let at = |p: f64| ms(times[((times.len() as f64 * p) as usize).min(times.len() - 1)]);
        println!(
            "{path:<36} {:>7.1}ms {:>7.1}ms {:>7.1}ms {dynamodb:>9.1}",
            at(0.5),
            at(0.95),
            ms(*times.last().expect("a render"))
        );
    }
    Ok(())
}

/// What an organization in use has beyond its people and usage: a device each in the
/// fleet, policies attached to it, its agents assigned to everyone.
async fn furnish(state: &AppState, owner: &Caller, people: &[agentctl_bench::fixture::Person]) -> Result<(), BoxError> {
    let client = |client, installed, managed| ClientPosture {
        client,
        installed,
        version: installed.then(|| "2.0.14".to_string()),
        managed,
        drifted_files: 0,
        corrupt_files: 0,
    };
    let reports = futures::stream::iter(people.iter().enumerate().map(|(i, person)| {
        let posture = Posture {
            device_id: DeviceId::new(),
            agentctl_version: "0.1.0".into(),
            os: "linux".into(),
            arch: "x86_64".into(),
            clients: vec![
                client(agentctl_wire::catalog::AgentType::ClaudeCode, true, true),
                client(agentctl_wire::catalog::AgentType::Cursor, i % 3 == 0, false),
            ],
            background_sync: i % 2 == 0,
            previous_sync: Some(SyncResult::Ok),
        };
        let (repo, org, id) = (state.repo.clone(), owner.org_id, person.id);
        async move { repo::fleet::report(&repo, org, id, &posture, &Utc::now()).await }
    }));
    let reported: Vec<_> = reports.buffer_unordered(8).collect().await;
    reported.into_iter().collect::<Result<Vec<_>, _>>()?;
    let principal = owner.principal();
    for (name, deny) in [("No secrets", "~/.ssh/**"), ("No cloud keys", "~/.aws/**"), ("No etc", "/etc/**")] {
        let new = NewPolicy {
            name: name.into(),
            description: None,
            is_public: None,
            policy_type: agentctl_wire::policy::PolicyType::Filesystem,
            rules: json!({ "deny": [deny] }),
            severity: agentctl_wire::policy::Severity::Block,
        };
        let policy = catalog::create::<PolicySpec>(state, &principal, new).await?;
        policies::attach(state, &principal, Target::Org, policy.id, AttachRequest::default()).await?;
    }
    let mut agents: Vec<_> = people[0].configs.iter().map(|(agent, _)| *agent).collect();
    agents.dedup();
    for agent in agents {
        let body = json!({ "target": { "type": "organization" }, "item": { "type": "agent", "agent_id": agent } });
        let new: NewAssignment = serde_json::from_value(body)?;
        assignments::create(state, owner, new).await?;
    }
    Ok(())
}
