//! The usage pipeline: events processed exactly once under redelivery, poison
//! dead-lettered, spending exact, rollups and records agreeing, billing periods rolling
//! over without losing an event.

use std::str::FromStr;

use agentctl_shared::domain::usage::handle_message;
use agentctl_shared::lambda::process_batch;
use agentctl_tests::{Org, TestApp, slug};
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// A small deterministic generator (the same shuffles on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound
    }
}

struct Staff {
    org: Org,
    /// (employee id, agent config id)
    people: Vec<(String, String)>,
}

async fn staff(app: &TestApp, people: usize) -> Staff {
    let org = app.create_org(&slug("usage")).await;
    let t = &org.owner_token;
    let teams = [app.create_team(&org, "Platform").await, app.create_team(&org, "Data").await];
    let (_, agent) = app
        .post("/v1/catalog/agents", t, json!({ "name": "Claude Code", "type": "claude-code", "provider": "Anthropic" }))
        .await;
    let mut staff = Vec::new();
    for i in 0..people {
        let team = teams[i % 2]["id"].as_str();
        let employee = app.add_employee(&org, &format!("dev{i}@usage.example"), "member", team).await;
        let id = employee["id"].as_str().unwrap().to_string();
        let (_, config) =
            app.post(&format!("/v1/employees/{id}/agent-configs"), t, json!({ "agent_id": agent["id"] })).await;
        staff.push((id, config["id"].as_str().unwrap().to_string()));
    }
    Staff { org, people: staff }
}

fn event(staff: &Staff, i: usize, cost: &str, at: &str) -> Value {
    let (employee, config) = &staff.people[i % staff.people.len()];
    let kinds = ["llm_tokens_input", "llm_tokens_output", "llm_call", "api_call", "mcp_call"];
    json!({
        "v": 1, "event_id": format!("evt-{i}"), "org_id": staff.org.id, "employee_id": employee,
        "agent_config_id": config, "resource_type": kinds[i % kinds.len()], "quantity": 100 + i,
        "cost_usd": cost, "period_start": at, "period_end": at, "metadata": { "model": "claude-sonnet-4-5" }
    })
}

/// Delivers messages in batches of 10 through the Lambda handler, `workers` at a time.
async fn deliver(app: &TestApp, bodies: Vec<String>, workers: usize) -> Vec<String> {
    let batches: Vec<Vec<String>> = bodies.chunks(10).map(<[String]>::to_vec).collect();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(batches.into_iter().enumerate().collect::<Vec<_>>()));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (queue, state) = (queue.clone(), app.state.clone());
        tasks.push(tokio::spawn(async move {
            let mut failed = Vec::new();
            loop {
                let Some((n, batch)) = queue.lock().unwrap().pop() else { return failed };
                let mut event = SqsEvent::default();
                event.records = batch
                    .into_iter()
                    .enumerate()
                    .map(|(i, body)| {
                        let mut message = SqsMessage::default();
                        message.message_id = Some(format!("{n}-{i}"));
                        message.body = Some(body);
                        message
                    })
                    .collect();
                let response = process_batch(&state, event, &handle_message).await;
                failed.extend(response.batch_item_failures.into_iter().map(|f| f.item_identifier));
            }
        }));
    }
    let mut failed = Vec::new();
    for task in tasks {
        failed.extend(task.await.unwrap());
    }
    failed
}

fn money(value: &Value) -> Decimal {
    Decimal::from_str(value.as_str().unwrap_or_else(|| panic!("not a money string: {value}"))).unwrap()
}

async fn dead_letters(app: &TestApp) -> usize {
    let sqs = aws_sdk_sqs::Client::new(agentctl_tests::sdk().await);
    let url = app.state.config.usage_dlq_url.clone().unwrap();
    let attribute = aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages;
    let out = sqs.get_queue_attributes().queue_url(url).attribute_names(attribute.clone()).send().await.unwrap();
    out.attributes.unwrap()[&attribute].parse().unwrap()
}

/// Events, each delivered three times in a shuffled order by four workers, with poison
/// among them (scale is the benchmark's: scripts/bench.sh runs 20,000 events).
const EVENTS: usize = 400;

#[tokio::test]
async fn events_delivered_three_times_with_poison_count_exactly_once() {
    let app = TestApp::spawn().await;
    let staff = staff(&app, 6).await;
    assert_eq!(staff.people.len(), 6, "the poison below names person 0 as 5004 % 6 and 5010 % 6");
    let t = &staff.org.owner_token;
    let (_, subscription) = app.get("/v1/org/subscription", t).await;
    let now = chrono::Utc::now().to_rfc3339();
    let at = subscription["billing_period_start"].as_str().unwrap().max(now.as_str()).to_string();

    let mut rng = Lcg(7);
    let mut expected = Decimal::ZERO;
    let mut bodies = Vec::new();
    for i in 0..EVENTS {
        // Amounts with up to 10 decimal places, some large: the sum must be exact.
        let cost = format!("{}.{:010}", rng.next(5) * 1000 + rng.next(10), rng.next(10_000_000_000));
        expected += Decimal::from_str(&cost).unwrap();
        let body = event(&staff, i, &cost, &at).to_string();
        bodies.extend([body.clone(), body.clone(), body]);
    }
    let stranger = uuid::Uuid::now_v7().to_string();
    let poison = [
        "not json".to_string(),
        json!({ "v": 1 }).to_string(),
        event(&staff, 5000, "-1.00", &at).to_string(),
        event(&staff, 5001, "0.12345678901", &at).to_string(),
        event(&staff, 5002, "1.00", &at).to_string().replace(r#""v":1"#, r#""v":2"#),
        event(&staff, 5010, "1.00", &at).to_string().replace(&staff.people[0].0, &stranger),
        event(&staff, 5004, "1.00", &at).to_string().replace(&staff.people[0].1, &stranger),
    ];
    bodies.extend(poison.iter().cloned());
    for i in (1..bodies.len()).rev() {
        bodies.swap(i, rng.next(i + 1));
    }

    let started = std::time::Instant::now();
    let failed = deliver(&app, bodies, 4).await;
    println!("{} messages in {:?}", EVENTS * 3 + poison.len(), started.elapsed());
    assert_eq!(failed, Vec::<String>::new(), "poison is rejected, not retried; nothing else fails");

    let (_, subscription) = app.get("/v1/org/subscription", t).await;
    assert_eq!(money(&subscription["current_spending_usd"]), expected, "spending is exact");
    let month = &at[..7];
    let (status, teams) = app.get(&format!("/v1/usage/teams?from={month}-01&to={}", &at[..10]), t).await;
    assert_eq!(status, StatusCode::OK, "{teams}");
    let by_team: Decimal = teams["items"].as_array().unwrap().iter().map(|t| money(&t["total_cost_usd"])).sum();
    assert_eq!(by_team, expected, "the teams' rollups add up to the spending");
    let (_, daily) = app.get(&format!("/v1/usage/daily?from={}&to={}", &at[..10], &at[..10]), t).await;
    assert_eq!(money(&daily["items"][0]["cost_usd"]), expected);
    assert_eq!(daily["items"][0]["events"], EVENTS);
    assert_eq!(records_total(&app, &staff.org.id, &at[..10]).await, (EVENTS, expected), "the records agree");

    assert_eq!(dead_letters(&app).await, poison.len(), "every poison message is dead-lettered once");
    let rejected = app.activity(&staff.org.id).await;
    let rejected = rejected.iter().filter(|e| e["event_type"] == "usage.rejected").count();
    assert_eq!(rejected, poison.len() - 2, "rejections of the organization's events are on its activity log");

    // The same poison delivered again is dead-lettered again, but recorded once.
    assert!(deliver(&app, poison.to_vec(), 2).await.is_empty());
    let entries = app.activity(&staff.org.id).await;
    assert_eq!(entries.iter().filter(|e| e["event_type"] == "usage.rejected").count(), poison.len() - 2);
}

/// A cost as small as a valid amount goes (10 decimal places) first: every later sum
/// stays exact (the emulator once stored `1E-9` and then failed every addition to it).
#[tokio::test]
async fn the_smallest_cost_first_keeps_every_later_sum_exact() {
    let app = TestApp::spawn().await;
    let staff = staff(&app, 1).await;
    let t = &staff.org.owner_token;
    let (_, subscription) = app.get("/v1/org/subscription", t).await;
    let now = chrono::Utc::now().to_rfc3339();
    let at = subscription["billing_period_start"].as_str().unwrap().max(now.as_str()).to_string();
    for (i, cost) in ["0.000000001", "0.3", "0.2"].into_iter().enumerate() {
        let failed = deliver(&app, vec![event(&staff, i, cost, &at).to_string()], 1).await;
        assert_eq!(failed, Vec::<String>::new(), "the event of {cost} is counted at once");
    }
    let expected = Decimal::from_str("0.500000001").unwrap();
    let (_, subscription) = app.get("/v1/org/subscription", t).await;
    assert_eq!(money(&subscription["current_spending_usd"]), expected);
    let (_, daily) = app.get(&format!("/v1/usage/daily?from={}&to={}", &at[..10], &at[..10]), t).await;
    assert_eq!(money(&daily["items"][0]["cost_usd"]), expected, "{daily}");
    assert_eq!(daily["items"][0]["events"], 3);
    assert_eq!(dead_letters(&app).await, 0);
}

/// (count, sum of cost_usd) of the usage records of one day, read from the table.
async fn records_total(app: &TestApp, org: &str, day: &str) -> (usize, Decimal) {
    let records = app.partition(&format!("ORG#{org}#USAGE#{day}")).await;
    (records.len(), records.iter().map(|r| Decimal::from_str(r["cost_usd"].as_n().unwrap()).unwrap()).sum())
}

#[tokio::test]
async fn team_usage_counts_members_their_agents_and_the_true_cost() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("teams")).await;
    let t = &org.owner_token;
    let (a, b) = (app.create_team(&org, "Alpha").await, app.create_team(&org, "Beta").await);
    let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let (_, agent) =
        app.post("/v1/catalog/agents", t, json!({ "name": "Codex", "type": "codex", "provider": "OpenAI" })).await;
    let mut people = Vec::new();
    for (name, team, configs) in [("a1", Some(a_id), 2), ("a2", Some(a_id), 1), ("b1", Some(b_id), 0), ("x", None, 1)] {
        let employee = app.add_employee(&org, &format!("{name}@teams.example"), "member", team).await;
        let id = employee["id"].as_str().unwrap().to_string();
        let mut config_ids = Vec::new();
        for i in 0..configs {
            let body = json!({ "agent_id": agent["id"], "name": format!("codex {i}") });
            let (_, config) = app.post(&format!("/v1/employees/{id}/agent-configs"), t, body).await;
            config_ids.push(config["id"].as_str().unwrap().to_string());
        }
        people.push((id, config_ids));
    }
    // a1 has two configurations and three events: the seed's join would count each event
    // twice; the rollups count it once.
    let now = chrono::Utc::now().to_rfc3339();
    let mut bodies = Vec::new();
    for (i, (person, cost)) in [(0, "1.50"), (0, "1.50"), (0, "1.50"), (1, "2.25"), (3, "9.00")].into_iter().enumerate()
    {
        let (employee, configs) = &people[person];
        bodies.push(
            json!({ "v": 1, "event_id": format!("t-{i}"), "org_id": org.id, "employee_id": employee,
            "agent_config_id": configs[0], "resource_type": "llm_call", "quantity": 1, "cost_usd": cost,
            "period_start": now, "period_end": now })
            .to_string(),
        );
    }
    assert!(deliver(&app, bodies, 2).await.is_empty());
    // A disabled configuration counts in the seed's total_agents, not among the active.
    let body = json!({ "agent_id": agent["id"], "name": "codex off", "status": "disabled" });
    let (status, disabled) = app.post(&format!("/v1/employees/{}/agent-configs", people[0].0), t, body).await;
    assert_eq!(status, StatusCode::CREATED, "{disabled}");

    let (status, teams) = app.get("/v1/usage/teams", t).await;
    assert_eq!(status, StatusCode::OK, "{teams}");
    let rows: Vec<(String, u64, u64, u64, String)> = teams["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let count = |f: &str| t[f].as_u64().unwrap();
            (
                t["team_name"].as_str().unwrap().into(),
                count("employee_count"),
                count("total_agents"),
                count("active_agents"),
                money(&t["total_cost_usd"]).to_string(),
            )
        })
        .collect();
    assert_eq!(rows, [("Alpha".into(), 2, 4, 3, "6.75".into()), ("Beta".into(), 1, 0, 0, "0".into())]);

    // Moving a member moves their configurations' count; past cost stays with the team it
    // was spent in.
    app.patch(&format!("/v1/employees/{}", people[1].0), t, json!({ "team_id": b_id })).await;
    let counts = async || -> Vec<(u64, u64, u64)> {
        let (_, teams) = app.get("/v1/usage/teams", t).await;
        let count = |team: &Value, f: &str| team[f].as_u64().unwrap();
        let teams = teams["items"].as_array().unwrap().clone();
        teams
            .iter()
            .map(|t| (count(t, "employee_count"), count(t, "total_agents"), count(t, "active_agents")))
            .collect()
    };
    assert_eq!(counts().await, [(1, 3, 2), (2, 1, 1)]);
    // Deleting the disabled configuration takes it out of the total only.
    let path = format!("/v1/employees/{}/agent-configs/{}", people[0].0, disabled["id"].as_str().unwrap());
    assert_eq!(app.delete(&path, t).await.0, StatusCode::NO_CONTENT);
    assert_eq!(counts().await, [(1, 2, 2), (2, 1, 1)]);

    let (_, top) = app.get("/v1/usage/top-spenders?limit=2", t).await;
    let top: Vec<(&str, Decimal)> = top["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap(), money(&l["usage"]["cost_usd"])))
        .collect();
    assert_eq!(
        top,
        [("Employee x@teams.example", Decimal::new(900, 2)), ("Employee a1@teams.example", Decimal::new(450, 2))]
    );
    let (_, page) = app.get("/v1/usage/top-spenders?limit=2", t).await;
    let (_, rest) =
        app.get(&format!("/v1/usage/top-spenders?limit=2&cursor={}", page["next_cursor"].as_str().unwrap()), t).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1, "three spenders, pages of two");
    // The cursor serves that list of that organization only; a bare offset serves none.
    let cursor = page["next_cursor"].as_str().unwrap();
    let (status, _) = app.get(&format!("/v1/usage/breakdown?by=resource_type&cursor={cursor}"), t).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "another list");
    let other = app.create_org(&slug("teams-other")).await;
    let (status, _) = app.get(&format!("/v1/usage/top-spenders?limit=2&cursor={cursor}"), &other.owner_token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "another organization");
    let bare = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, br#"{"~offset":"1"}"#);
    let (status, _) = app.get(&format!("/v1/usage/top-spenders?cursor={bare}"), t).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a bare offset");
    // A month of people or of their configurations is read from the ranking index, a day
    // range from day rollups: the same lines, highest spend first, page after page.
    let today = chrono::Utc::now().date_naive();
    for by in ["employee", "agent_config"] {
        let lines = async |query: &str| -> Vec<(String, String)> {
            let (mut lines, mut cursor) = (Vec::new(), None::<String>);
            loop {
                let next = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
                let (status, page) = app.get(&format!("/v1/usage/breakdown?by={by}&limit=1{query}{next}"), t).await;
                assert_eq!(status, StatusCode::OK, "{page}");
                let line = &page["items"][0];
                lines.push((
                    line["id"].as_str().unwrap().into(),
                    money(&line["usage"]["cost_usd"]).normalize().to_string(),
                ));
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_string()),
                    None => return lines,
                }
            }
        };
        let ranked = lines("").await;
        assert_eq!(ranked.iter().map(|l| l.1.as_str()).collect::<Vec<_>>(), ["9", "4.5", "2.25"], "{by}");
        assert_eq!(ranked, lines(&format!("&from={today}&to={today}")).await, "{by}");
    }
    let (_, by_type) = app.get("/v1/usage/breakdown?by=resource_type", t).await;
    assert_eq!(by_type["items"][0]["id"], "llm_call");
    assert_eq!(by_type["items"][0]["usage"]["calls"], 5);
    let (_, by_agent) = app.get("/v1/usage/breakdown?by=agent", t).await;
    assert_eq!(by_agent["items"][0]["id"], agent["id"]);
    assert_eq!(money(&by_agent["items"][0]["usage"]["cost_usd"]).to_string(), "15.75");

    let (status, body) = app.get("/v1/usage/teams?from=2026-11-05&to=2026-11-01", t).await;
    agentctl_tests::assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let (status, _) = app.get("/v1/usage/breakdown?by=planet", t).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn usage_reported_over_https_is_validated_queued_and_processed() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("https")).await;
    let (employee, token) = app.add_signed_in(&org, "dev@https.example", "member").await;
    let employee_id = employee["id"].as_str().unwrap();
    let now = chrono::Utc::now().to_rfc3339();
    let event = |id: &str, cost: &str| json!({ "v": 1, "event_id": id, "resource_type": "llm_tokens_output", "quantity": 800, "cost_usd": cost, "period_start": now, "period_end": now });

    let (status, body) =
        app.post("/v1/usage", &token, json!({ "events": [event("ok", "0.5"), event("bad id", "x")] })).await;
    agentctl_tests::assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["events[1].event_id", "events[1].cost_usd"]);

    let mut theirs = event("theirs", "1");
    theirs["employee_id"] = json!(org.owner_id);
    let (status, _) = app.post("/v1/usage", &token, json!({ "events": [theirs] })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another employee's usage needs usage:write");

    let batch = json!({ "events": [event("e-1", "0.000125"), event("e-2", "0.5"), event("e-1", "0.000125")] });
    let (status, accepted) = app.post("/v1/usage", &token, batch.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    assert_eq!(accepted["accepted"], 3);
    app.post("/v1/usage", &token, batch).await;

    let spent = async || {
        let (_, subscription) = app.get("/v1/org/subscription", &org.owner_token).await;
        money(&subscription["current_spending_usd"])
    };
    app.eventually("the events are processed", async || spent().await == Decimal::from_str("0.500125").unwrap()).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(spent().await.to_string(), "0.500125", "each event id counts once");
    let (_, breakdown) = app.get("/v1/usage/breakdown?by=employee", &org.owner_token).await;
    assert_eq!(breakdown["items"][0]["id"], employee_id);
    assert_eq!(breakdown["items"][0]["usage"]["tokens"], 1600);
}

#[tokio::test]
async fn the_billing_period_rolls_over_without_losing_an_event() {
    let app = TestApp::spawn().await;
    let staff = staff(&app, 2).await;
    let t = &staff.org.owner_token;
    let (_, subscription) = app.get("/v1/org/subscription", t).await;
    let current: chrono::DateTime<chrono::Utc> =
        subscription["billing_period_start"].as_str().unwrap().parse().unwrap();
    let previous = current - chrono::Months::new(1);
    // The stored subscription is still in last month's period, with 10.00 spent.
    let client = aws_sdk_dynamodb::Client::new(agentctl_tests::sdk().await);
    let s = |v: String| aws_sdk_dynamodb::types::AttributeValue::S(v);
    client
        .update_item()
        .table_name(app.state.repo.table())
        .key("PK", s(format!("ORG#{}", staff.org.id)))
        .key("SK", s("SUB#CURRENT".into()))
        .update_expression("SET billing_period_start = :s, billing_period_end = :e, current_spending_usd = :c")
        .expression_attribute_values(":s", s(previous.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)))
        .expression_attribute_values(":e", s(current.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)))
        .expression_attribute_values(":c", aws_sdk_dynamodb::types::AttributeValue::N("10".into()))
        .send()
        .await
        .unwrap();

    // Late events of last month and the first events of this one, interleaved.
    let late = (previous + chrono::Duration::days(3)).to_rfc3339();
    let fresh = (current + chrono::Duration::minutes(1)).min(chrono::Utc::now()).to_rfc3339();
    let mut bodies = Vec::new();
    for i in 0..20 {
        let (cost, at) = if i % 2 == 0 { ("1.10", &late) } else { ("2.25", &fresh) };
        bodies.push(event(&staff, i, cost, at).to_string());
    }
    assert!(deliver(&app, bodies, 4).await.is_empty());

    let (_, subscription) = app.get("/v1/org/subscription", t).await;
    assert_eq!(
        subscription["billing_period_start"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap(),
        current
    );
    assert_eq!(money(&subscription["current_spending_usd"]), Decimal::new(2250, 2), "this period: its own events only");
    let org = agentctl_shared::ids::OrgId(staff.org.id.parse().unwrap());
    // The closed period's ledger item, as the processor keeps it.
    let key = agentctl_shared::keys::closed_period(org, &previous.format("%Y-%m").to_string());
    let closed = app.state.repo.get(&key).await.unwrap().expect("the closed period is recorded");
    let spending = agentctl_shared::repo::money::from_item(&closed, "spending").unwrap();
    assert_eq!(spending.amount(), Decimal::new(21, 0), "last period: 10.00 plus its ten late events");
}

#[tokio::test]
async fn budget_thresholds_are_recorded_once_and_reach_the_sync_bundle() {
    let app = TestApp::spawn().await;
    let staff = staff(&app, 3).await;
    let t = &staff.org.owner_token;
    let (status, _) = app.patch("/v1/org/subscription", t, json!({ "monthly_budget_usd": "100" })).await;
    assert_eq!(status, StatusCode::OK);
    let token = app.enroll_and_login(&staff.org, &staff.people[0].0).await;
    let sync = async || {
        let response = app.request(reqwest::Method::GET, "/v1/me/sync", Some(&token)).send().await.unwrap();
        let etag = response.headers()["etag"].to_str().unwrap().to_string();
        (etag, response.json::<Value>().await.unwrap()["budget"].clone())
    };
    let (etag_before, budget) = sync().await;
    assert_eq!(budget, json!({ "state": "ok", "threshold_pct": 0, "spend_cap": null, "paused": null }));

    let now = chrono::Utc::now().to_rfc3339();
    let crossed = async || {
        let entries = app.activity(&staff.org.id).await;
        let mut pcts: Vec<String> = entries
            .iter()
            .filter(|e| e["event_type"] == "budget.threshold_crossed")
            .map(|e| e["payload"]["threshold_pct"].to_string())
            .collect();
        pcts.sort();
        pcts
    };
    assert!(deliver(&app, vec![event(&staff, 0, "49.99", &now).to_string()], 1).await.is_empty());
    assert_eq!(crossed().await, Vec::<String>::new());
    // Many small events from several workers cross 50 and 80 %: each is recorded once.
    let bodies: Vec<String> = (1..=40).map(|i| event(&staff, i, "0.80", &now).to_string()).collect();
    assert!(deliver(&app, bodies, 4).await.is_empty());
    let (_, subscription) = app.get("/v1/org/subscription", t).await;
    assert_eq!(money(&subscription["current_spending_usd"]), Decimal::from_str("81.99").unwrap());
    assert_eq!(
        (subscription["budget_state"].as_str(), subscription["over_budget"].as_bool()),
        (Some("warning"), Some(false))
    );
    assert_eq!(crossed().await.len(), 2, "50 and 80 %, once each: {:?}", crossed().await);

    assert!(deliver(&app, vec![event(&staff, 99, "18.01", &now).to_string()], 1).await.is_empty());
    let (_, subscription) = app.get("/v1/org/subscription", t).await;
    assert_eq!(
        (subscription["budget_state"].as_str(), subscription["over_budget"].as_bool()),
        (Some("exceeded"), Some(true))
    );
    assert_eq!(crossed().await.len(), 3);
    let (etag_after, budget) = sync().await;
    assert_eq!(budget, json!({ "state": "exceeded", "threshold_pct": 100, "spend_cap": null, "paused": null }));
    assert_ne!(etag_before, etag_after, "the budget state is part of the bundle");

    // A larger budget puts the organization back under it.
    app.patch("/v1/org/subscription", t, json!({ "monthly_budget_usd": "1000" })).await;
    let (_, budget) = sync().await;
    assert_eq!(budget["state"], "ok");
}

#[tokio::test]
async fn claude_code_telemetry_over_otlp_becomes_usage_once() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("otlp")).await;
    let (_, token) = app.add_signed_in(&org, "dev@otlp.example", "member").await;
    let end = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    let start = end - 60_000_000_000;
    let point = |attributes: Value, value: f64| {
        json!({
            "attributes": attributes, "startTimeUnixNano": start.to_string(), "timeUnixNano": end.to_string(), "asDouble": value
        })
    };
    let attr = |k: &str, v: &str| json!({ "key": k, "value": { "stringValue": v } });
    let export = |temporality: u8| {
        json!({ "resourceMetrics": [{
        "resource": { "attributes": [attr("service.name", "claude-code")] },
        "scopeMetrics": [{ "scope": { "name": "com.anthropic.claude_code" }, "metrics": [
            { "name": "claude_code.cost.usage", "unit": "USD", "sum": { "aggregationTemporality": temporality, "isMonotonic": true,
              "dataPoints": [point(json!([attr("model", "claude-sonnet-4-5")]), 0.0123)] } },
            { "name": "claude_code.token.usage", "unit": "tokens", "sum": { "aggregationTemporality": temporality, "isMonotonic": true,
              "dataPoints": [
                point(json!([attr("model", "claude-sonnet-4-5"), attr("type", "input")]), 1200.0),
                point(json!([attr("model", "claude-sonnet-4-5"), attr("type", "output")]), 350.0),
                point(json!([attr("model", "claude-sonnet-4-5"), attr("type", "cacheRead")]), 0.0)
              ] } },
            { "name": "claude_code.session.count", "unit": "count", "sum": { "aggregationTemporality": temporality, "dataPoints": [point(json!([]), 1.0)] } }
        ] }]
    }] })
    };

    for _ in 0..2 {
        let (status, body) = app.post("/v1/otlp/v1/metrics", &token, export(1)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({ "partialSuccess": null }), "everything counted");
    }
    let t = &org.owner_token;
    // The days of the points, not the current month (the test may run across midnight).
    let day = |nanos: i64| chrono::DateTime::from_timestamp_nanos(nanos).date_naive();
    let path = format!("/v1/usage/breakdown?by=resource_type&from={}&to={}", day(start), day(end));
    let by_type = async || app.get(&path, t).await.1;
    app.eventually("the export is processed", async || by_type().await["items"].as_array().unwrap().len() == 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let lines = by_type().await;
    let quantity = |kind: &str| {
        lines["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == kind)
            .map(|l| l["usage"]["quantity"].as_u64().unwrap())
    };
    assert_eq!(
        (quantity("llm_tokens_input"), quantity("llm_tokens_output"), quantity("llm_call")),
        (Some(1200), Some(350), Some(0))
    );
    assert_eq!(
        app.spending_of_the_last_two_periods(&org).await,
        Decimal::from_str("0.0123").unwrap(),
        "the re-sent export counted once"
    );
}

#[tokio::test]
async fn an_employees_spend_cap_is_recorded_once_and_reaches_their_bundle() {
    let app = TestApp::spawn().await;
    let staff = staff(&app, 2).await;
    let t = &staff.org.owner_token;
    let (capped, _) = &staff.people[0];
    let body =
        json!({ "name": "Cap", "policy_type": "spend_cap", "rules": { "monthly_usd": "5" }, "severity": "block" });
    let (_, policy) = app.post("/v1/policies", t, body).await;
    let path = format!("/v1/employees/{capped}/policies/{}", policy["id"].as_str().unwrap());
    let (status, body) = app.call(reqwest::Method::PUT, &path, Some(t), Some(json!({}))).await;
    assert!(status.is_success(), "{body}");
    let token = app.enroll_and_login(&staff.org, capped).await;
    let spend_cap = async || {
        let (_, bundle) = app.get("/v1/me/sync", &token).await;
        bundle["budget"]["spend_cap"].clone()
    };
    assert_eq!(spend_cap().await, json!({ "monthly_usd": "5", "reached": false }));

    let now = chrono::Utc::now().to_rfc3339();
    // Person 0's events (even numbers) reach the cap at the second one; person 1 has none.
    let bodies: Vec<String> = (0..8).map(|i| event(&staff, i, "3.00", &now).to_string()).collect();
    assert!(deliver(&app, bodies, 2).await.is_empty());
    assert_eq!(spend_cap().await, json!({ "monthly_usd": "5", "reached": true }));
    let entries = app.activity(&staff.org.id).await;
    let reached: Vec<&Value> = entries.iter().filter(|e| e["event_type"] == "budget.spend_cap_reached").collect();
    assert_eq!(reached.len(), 1, "once a month");
    assert_eq!(reached[0]["payload"]["employee_id"], capped.as_str());
}

/// The budget loop: spending past a spend cap (and past the organization's budget) pauses
/// managed agents when the organization says so; an approved `increase_budget` request
/// restores them at the next sync.
#[tokio::test]
async fn the_budget_loop_pauses_agents_and_an_approved_raise_restores_them() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("loop")).await;
    let t = &org.owner_token;
    let (status, updated) = app.patch("/v1/org", t, json!({ "budget_action": "pause" })).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["budget_action"], "pause");
    let (capped, capped_token) = app.add_signed_in(&org, "capped@loop.example", "member").await;
    let (other, other_token) = app.add_signed_in(&org, "other@loop.example", "member").await;
    let (_, billing_token) = app.add_signed_in(&org, "billing@loop.example", "billing").await;
    let capped_id = capped["id"].as_str().unwrap().to_string();

    // Both get an agent and an MCP server; one has a spend cap of 1 USD.
    let (_, agent) = app
        .post("/v1/catalog/agents", t, json!({ "name": "Claude Code", "type": "claude-code", "provider": "Anthropic" }))
        .await;
    let (_, server) = app
        .post("/v1/catalog/mcp-servers", t, json!({ "name": "fetch", "provider": "p", "version": "1", "transport": "stdio", "command": "uvx", "args": ["mcp-server-fetch"] }))
        .await;
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/v1/catalog/mcp-servers/{}/approval", server["id"].as_str().unwrap()),
            Some(t),
            None,
        )
        .await;
    assert!(status.is_success());
    for body in [
        json!({ "target": { "type": "organization" }, "item": { "type": "agent", "agent_id": agent["id"] } }),
        json!({ "target": { "type": "organization" }, "item": { "type": "mcp_server", "server_id": server["id"] } }),
    ] {
        let (status, answer) = app.post("/v1/assignments", t, body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let cap =
        json!({ "name": "Cap", "policy_type": "spend_cap", "rules": { "monthly_usd": "1" }, "severity": "block" });
    let (_, policy) = app.post("/v1/policies", t, cap).await;
    let path = format!("/v1/employees/{capped_id}/policies/{}", policy["id"].as_str().unwrap());
    let (status, _) = app.call(reqwest::Method::PUT, &path, Some(t), Some(json!({}))).await;
    assert!(status.is_success());
    let budget_of = async |token: &str| {
        let (_, bundle) = app.get("/v1/me/sync", token).await;
        bundle
    };
    let before = budget_of(&capped_token).await;
    assert_eq!(before["budget"]["paused"], Value::Null);
    assert_eq!(before["mcp_servers"].as_array().unwrap().len(), 1);

    // Usage past the cap: the capped employee's agents pause, the other's do not.
    let now = chrono::Utc::now().to_rfc3339();
    let usage = |id: &str, cost: &str| json!({ "events": [{ "v": 1, "event_id": id, "resource_type": "llm_call", "quantity": 1, "cost_usd": cost, "period_start": now, "period_end": now }] });
    for (id, cost) in [("c-1", "0.60"), ("c-2", "0.60")] {
        let (status, _) = app.post("/v1/usage", &capped_token, usage(id, cost)).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    app.eventually("the spend cap pauses the capped employee's agents", async || {
        !budget_of(&capped_token).await["budget"]["paused"].is_null()
    })
    .await;
    let paused = budget_of(&capped_token).await;
    assert_eq!(paused["budget"]["paused"]["reason"], "spend_cap");
    assert!(paused["budget"]["paused"]["message"].as_str().unwrap().contains("--spend-cap"));
    assert!(paused["mcp_servers"].as_array().unwrap().is_empty(), "managed servers leave: {paused}");
    assert_eq!(paused["agents"].as_array().unwrap().len(), 1, "the agent stays, to be written paused");
    assert_eq!(budget_of(&other_token).await["budget"]["paused"], Value::Null);

    // The employee asks for more; billing approves; the next sync restores everything.
    let ask = json!({ "request_type": "increase_budget", "request_data": { "amount_usd": "5", "scope": "spend_cap" }, "reason": "release week" });
    let (status, request) = app.post("/v1/requests", &capped_token, ask).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let ask_other = json!({ "request_type": "increase_budget", "request_data": { "amount_usd": "5", "scope": "spend_cap" }, "reason": "no cap" });
    let (status, refused) = app.post("/v1/requests", &other_token, ask_other).await;
    agentctl_tests::assert_problem(status, &refused, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let decide = format!("/v1/requests/{}/decisions", request["id"].as_str().unwrap());
    let (status, decided) = app.post(&decide, &billing_token, json!({ "decision": "approve" })).await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["provisioned"]["spend_cap_usd"], "6", "{decided}");
    let restored = budget_of(&capped_token).await;
    assert_eq!(restored["budget"]["paused"], Value::Null, "{restored}");
    assert_eq!(restored["budget"]["spend_cap"], json!({ "monthly_usd": "6", "reached": false }));
    assert_eq!(restored["mcp_servers"].as_array().unwrap().len(), 1);

    // More usage under the raised cap does not pause again.
    let (status, _) = app.post("/v1/usage", &capped_token, usage("c-3", "0.50")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let spent = async || {
        let (_, subscription) = app.get("/v1/org/subscription", t).await;
        money(&subscription["current_spending_usd"])
    };
    app.eventually("the third event is processed", async || spent().await == Decimal::from_str("1.70").unwrap()).await;
    assert_eq!(budget_of(&capped_token).await["budget"]["paused"], Value::Null);

    // The organization's budget spent: everyone pauses until it is raised.
    let (status, _) = app.patch("/v1/org/subscription", t, json!({ "monthly_budget_usd": "1.5" })).await;
    assert_eq!(status, StatusCode::OK);
    let everyone = budget_of(&other_token).await;
    assert_eq!(everyone["budget"]["paused"]["reason"], "organization_budget", "{everyone}");
    assert!(everyone["mcp_servers"].as_array().unwrap().is_empty());
    let ask =
        json!({ "request_type": "increase_budget", "request_data": { "amount_usd": "10" }, "reason": "quarter end" });
    let (status, request) = app.post("/v1/requests", &other_token, ask).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let decide = format!("/v1/requests/{}/decisions", request["id"].as_str().unwrap());
    let (status, decided) = app.post(&decide, &billing_token, json!({ "decision": "approve" })).await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(budget_of(&other_token).await["budget"]["paused"], Value::Null);
    let _ = other;

    // Notify only: the same spending changes no bundle.
    let (status, _) = app.patch("/v1/org", t, json!({ "budget_action": "notify" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.patch("/v1/org/subscription", t, json!({ "monthly_budget_usd": "1" })).await;
    assert_eq!(status, StatusCode::OK);
    let notified = budget_of(&other_token).await;
    assert_eq!(notified["budget"]["state"], "exceeded");
    assert_eq!(notified["budget"]["paused"], Value::Null);
    assert_eq!(notified["mcp_servers"].as_array().unwrap().len(), 1);
}

/// A rate limit is monitored: usage events count per employee and window exactly once
/// (redeliveries included); going past it is recorded once per window and reaches the
/// employee's bundle.
#[tokio::test]
async fn rate_limits_are_counted_once_and_a_breach_is_recorded_once_per_window() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("rate")).await;
    let t = &org.owner_token;
    let (employee, token) = app.add_signed_in(&org, "busy@rate.example", "member").await;
    let employee_id = employee["id"].as_str().unwrap();
    let limit = json!({ "name": "Calls", "policy_type": "rate_limit", "rules": { "metric": "llm_calls", "max": 3, "per": "hour" }, "severity": "warn" });
    let (_, policy) = app.post("/v1/policies", t, limit).await;
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/v1/org/policies/{}", policy["id"].as_str().unwrap()),
            Some(t),
            Some(json!({})),
        )
        .await;
    assert!(status.is_success());

    let now = chrono::Utc::now().to_rfc3339();
    let call = |id: String, kind: &str| json!({ "v": 1, "event_id": id, "resource_type": kind, "quantity": 1, "cost_usd": "0.01", "period_start": now, "period_end": now });
    // Five calls and some tokens (not calls), each delivered twice.
    let mut events: Vec<Value> = (0..5).map(|i| call(format!("call-{i}"), "llm_call")).collect();
    events.push(call("tokens".into(), "llm_tokens_output"));
    for _ in 0..2 {
        let (status, _) = app.post("/v1/usage", &token, json!({ "events": events })).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let spent = async || {
        let (_, subscription) = app.get("/v1/org/subscription", t).await;
        money(&subscription["current_spending_usd"])
    };
    app.eventually("the events are processed", async || spent().await == Decimal::from_str("0.06").unwrap()).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let counters = app.partition(&format!("ORG#{}#RATE#{employee_id}", org.id)).await;
    assert_eq!(counters.len(), 1, "one window of one metric");
    assert_eq!(counters[0]["count"].as_n().unwrap(), "5", "each call counted once despite redelivery");
    let (_, bundle) = app.get("/v1/me/sync", &token).await;
    let exceeded = bundle["rate_limits_exceeded"].as_array().unwrap();
    assert_eq!(exceeded.len(), 1, "{bundle}");
    assert_eq!(exceeded[0]["metric"], "llm_calls");
    assert_eq!(exceeded[0]["per"], "hour");
    assert_eq!(exceeded[0]["max"], 3);
    assert!(exceeded[0]["count"].as_u64().unwrap() > 3);
    let entries = app.activity(&org.id).await;
    let breaches: Vec<&Value> = entries.iter().filter(|e| e["event_type"] == "rate_limit.exceeded").collect();
    assert_eq!(breaches.len(), 1, "once per window: {breaches:?}");
    assert_eq!(breaches[0]["payload"]["employee_id"], employee_id);
}

/// Finance exports the raw records of a day range and audit the activity log, as CSV or
/// JSON Lines, streamed (no Content-Length: chunk by chunk), permission-checked and
/// limited to the caller's organization.
#[tokio::test]
async fn usage_records_and_the_activity_log_export_as_csv_and_json_lines() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("export")).await;
    let other = app.create_org(&slug("export-other")).await;
    let t = &org.owner_token;
    let (_, token) = app.add_signed_in(&org, "dev@export.example", "member").await;
    let (_, manager) = app.add_signed_in(&org, "lead@export.example", "manager").await;
    let (_, billing) = app.add_signed_in(&org, "money@export.example", "billing").await;
    let today = chrono::Utc::now();
    let yesterday = today - chrono::Duration::days(1);
    // The records as the usage processor writes them (the pipeline is tested above): 101
    // today (more than a page), one yesterday, one of another organization.
    let (_, member) = app.get("/v1/me", &token).await;
    let (_, stranger) = app.add_signed_in(&other, "dev@other.example", "member").await;
    let (_, stranger) = app.get("/v1/me", &stranger).await;
    let record = |i: usize, at: &chrono::DateTime<chrono::Utc>, who: &Value| {
        let event: agentctl_shared::domain::usage::UsageEvent = serde_json::from_value(json!({
            "event_id": format!("x-{i}"), "org_id": who["employee"]["org_id"], "employee_id": who["employee"]["id"],
            "agent_config_id": null, "resource_type": "llm_call", "quantity": 1, "cost_usd": "0.0000000001",
            "period_start": at, "period_end": at, "metadata": { "model": "=1+1" },
        }))
        .unwrap();
        agentctl_shared::repo::usage::record_item(&event).unwrap()
    };
    let mut items: Vec<_> = (0..101).map(|i| record(i, &today, &member)).collect();
    items.push(record(999, &yesterday, &member));
    items.push(record(7, &today, &stranger));
    app.state.repo.batch_put(items).await.unwrap();

    let (from, to) = (yesterday.format("%Y-%m-%d"), today.format("%Y-%m-%d"));
    let download = async |path: String, token: &str| {
        let response = app.request(reqwest::Method::GET, &path, Some(token)).send().await.unwrap();
        let headers = response.headers().clone();
        (response.status(), headers, response.text().await.unwrap())
    };
    let (status, headers, csv) = download(format!("/v1/usage/export?from={from}&to={to}"), &billing).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"usage-"));
    assert!(headers.get("content-length").is_none(), "streamed, not built whole");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("event_id,employee_id,agent_config_id,resource_type,quantity,cost_usd"));
    assert_eq!(lines.len(), 1 + 102, "a header and every record of the two days, none of the other org's");
    assert!(lines[1].starts_with("x-999,"), "the first day first: {}", lines[1]);
    assert!(lines.iter().skip(1).all(|l| l.contains(",0.0000000001,")), "exact money");
    let (status, headers, jsonl) = download(format!("/v1/usage/export?from={to}&to={to}&format=jsonl"), t).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/x-ndjson");
    let records: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 101);
    assert_eq!(records[0]["cost_usd"], "0.0000000001");
    assert_eq!(records[0]["metadata"], json!({ "model": "=1+1" }), "JSON Lines carry values as they are");

    // Managers read analytics, not raw records; members neither; ranges are bounded.
    let (status, _, body) = download(format!("/v1/usage/export?from={from}&to={to}"), &manager).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, _) = download(format!("/v1/usage/export?from={from}&to={to}"), &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = download("/v1/usage/export?from=2026-01-01&to=2026-12-31".into(), t).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _, _) = download(format!("/v1/usage/export?from={to}&to={from}"), t).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = download("/v1/usage/export?from=yesterday&to=today".into(), t).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The activity log: oldest first, filtered by type, admins only.
    let range = format!(
        "from={}&to={}",
        (today - chrono::Duration::hours(1)).to_rfc3339(),
        (today + chrono::Duration::hours(1)).to_rfc3339()
    );
    let range = range.replace('+', "%2B");
    let (status, _, csv) = download(format!("/v1/activity/export?{range}&event_type=employee.created"), t).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "three employees created: {csv}");
    assert!(rows.iter().all(|r| r.contains(",employee.created,directory,")), "{csv}");
    let (status, _, jsonl) = download(format!("/v1/activity/export?{range}&format=jsonl"), t).await;
    assert_eq!(status, StatusCode::OK);
    let entries: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(entries.windows(2).all(|w| w[0]["created_at"].as_str() <= w[1]["created_at"].as_str()), "oldest first");
    assert!(entries.iter().all(|e| e["org_id"] == org.id.as_str()));
    let (status, _, _) = download(format!("/v1/activity/export?{range}"), &billing).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
