//! What the benchmarks share: the benchmark organization (1,000 employees in 10 teams
//! with 3 agent configurations each, built through the domain logic) and a month of its
//! usage bulk-loaded with the rollups the processor would have written.

pub mod fixture {
    use std::collections::HashMap;
    use std::sync::Arc;

    use agentctl_shared::AppState;
    use agentctl_shared::auth::Caller;
    use agentctl_shared::domain::configs::{self, NewAgentConfig};
    use agentctl_shared::domain::employees::{self, NewEmployee};
    use agentctl_shared::domain::organizations::{self, NewOrganization, NewOwner, Plan};
    use agentctl_shared::domain::teams::{self, NewTeam};
    use agentctl_shared::domain::usage::{self, Granularity, NewUsageEvent, ResourceType, UsageEvent, UsageTotals};
    use agentctl_shared::ids::{AgentConfigId, AgentId, EmployeeId, OrgId, TeamId};
    use agentctl_shared::money::Usd;
    use agentctl_shared::repo::{self, Item};
    use agentctl_shared::roles::RoleName;
    use chrono::{Datelike, Utc};
    use strum::VariantArray;
    use uuid::Uuid;

    pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

    pub fn setting(name: &str, default: usize) -> usize {
        std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    /// A small deterministic generator (the same data on every run).
    pub struct Lcg(pub u64);

    impl Lcg {
        pub fn next(&mut self, bound: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) % bound
        }
    }

    /// An employee with their team and (agent, configuration) pairs.
    pub struct Person {
        pub id: EmployeeId,
        pub team: TeamId,
        pub configs: Vec<(AgentId, AgentConfigId)>,
    }

    pub async fn organization(state: &AppState, employees: usize) -> Result<(OrgId, Vec<Person>), BoxError> {
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
                teams::create(
                    state,
                    &owner,
                    NewTeam { name: format!("Team {i}"), description: None, team_source: None },
                )
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

    pub fn new_agent(name: &str, kind: &str) -> agentctl_shared::domain::agents::NewAgent {
        let body = format!(r#"{{"name":"{name}","type":"{kind}","provider":"Bench"}}"#);
        agentctl_shared::strict_json::from_slice(body.as_bytes()).expect("a valid agent")
    }

    /// The tools and models generated usage names.
    const CLIENTS: [&str; 3] = ["claude-code", "codex", "gemini-cli"];
    const MODELS: [&str; 4] = ["claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5-codex", "gemini-2.5-pro"];

    /// A generated event of this month.
    pub fn generated(
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
            metadata: Some(serde_json::json!({
                "client": CLIENTS[rng.next(CLIENTS.len() as u64) as usize],
                "model": MODELS[rng.next(MODELS.len() as u64) as usize],
            })),
        };
        (usage::validate(new, None, &Utc::now()).expect("a valid event"), person, config)
    }

    pub async fn bulk_load(
        state: &AppState,
        org: OrgId,
        people: &[Person],
        records: usize,
        days: u64,
    ) -> Result<(), BoxError> {
        let mut rng = Lcg(42);
        let mut rollups: HashMap<(usage::Dimension, Granularity, String, String), UsageTotals> = HashMap::new();
        let mut total = Usd::ZERO;
        let mut batch: Vec<Item> = Vec::with_capacity(10_000);
        let mut writers: Vec<tokio::task::JoinHandle<Result<(), repo::StoreError>>> = Vec::new();
        for n in 0..records {
            let (event, person, config) = generated(&mut rng, org, people, n, days, "bulk");
            let totals = UsageTotals::of(&event);
            total += event.cost_usd;
            let attribution =
                usage::attribution(&event, Some(people[person].team), Some(people[person].configs[config]));
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

    pub fn spawn_put(state: &AppState, items: Vec<Item>) -> tokio::task::JoinHandle<Result<(), repo::StoreError>> {
        let repo = state.repo.clone();
        tokio::spawn(async move { repo.batch_put(items).await })
    }
}
