//! SCIM at scale, as an identity provider drives it: BENCH_SCIM_USERS (10,000) Users
//! provisioned 8 at a time, one group of all of them and five of a fifth each, filled by
//! PATCHes of 100 members, then the reads a provider makes (pages at the start and at
//! the end, the key filters, a group with and without its members). Prints Users/s,
//! memberships/s and the DynamoDB requests per SCIM call of each phase (the functions'
//! own: the SCIM function checks its token itself, so those reads are in).
//!
//! Usage: scim-bench; `scripts/bench.sh scim`.

use std::time::Instant;

use agentctl_tests::{TestApp, slug};
use futures::{StreamExt, TryStreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const IN_FLIGHT: usize = 8;
const MEMBERS_PER_PATCH: usize = 100;
const GROUPS: usize = 5;

struct Scim<'a> {
    app: &'a TestApp,
    token: String,
}

impl Scim<'_> {
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Result<(StatusCode, Value), BoxError> {
        let mut request = self.app.request(method, &format!("/scim/v2{path}"), Some(&self.token));
        if let Some(body) = body {
            request = request.header("content-type", "application/scim+json").body(body.to_string());
        }
        Ok(agentctl_tests::read(request.send().await?).await)
    }

    async fn expect(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        status: StatusCode,
    ) -> Result<Value, BoxError> {
        let (got, answer) = self.send(method.clone(), path, body).await?;
        if got != status {
            return Err(format!("{method} {path}: {got} {answer}").into());
        }
        Ok(answer)
    }
}

/// One phase's line: calls, time, rate, DynamoDB requests per call.
fn report(app: &TestApp, phase: &str, calls: usize, units: usize, unit: &str, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    let requests = app.requests.take_requests().len();
    println!(
        "| {phase} | {calls} | {seconds:.1} s | {:.0} {unit}/s | {:.1} |",
        units as f64 / seconds,
        requests as f64 / calls.max(1) as f64
    );
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let users: usize = std::env::var("BENCH_SCIM_USERS").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("scimbench")).await;
    let limit = json!({ "max_employees": users + 1 });
    app.call(Method::PATCH, &format!("/v1/orgs/{}", org.id), Some(&app.platform_key), Some(limit)).await;
    let (_, created) = app.post("/v1/org/scim-tokens", &org.owner_token, json!({ "name": "bench" })).await;
    let scim = Scim { app: &app, token: created["token"].as_str().ok_or("no SCIM token")?.to_string() };

    println!("| phase | SCIM calls | time | rate | DynamoDB requests per call |");
    println!("|---|---|---|---|---|");
    app.requests.take_requests();
    let started = Instant::now();
    let ids: Vec<String> = futures::stream::iter(0..users)
        .map(|n| {
            let scim = &scim;
            async move {
                let email = format!("user{n}@scimbench.example");
                let body = json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                    "userName": email, "externalId": format!("ext-{n}"), "emails": [{ "value": email, "primary": true }],
                    "name": { "givenName": "User", "familyName": n.to_string() },
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": format!("Dept {}", n % 20) },
                });
                let user = scim.expect(Method::POST, "/Users", Some(body), StatusCode::CREATED).await?;
                Ok::<_, BoxError>(user["id"].as_str().unwrap_or_default().to_string())
            }
        })
        .buffered(IN_FLIGHT)
        .try_collect()
        .await?;
    report(&app, "POST /Users (20 departments)", users, users, "Users", started);

    let group =
        |name: String| json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name });
    let everyone = scim.expect(Method::POST, "/Groups", Some(group("Everyone".into())), StatusCode::CREATED).await?;
    let everyone = everyone["id"].as_str().unwrap_or_default().to_string();
    let mut fifths = Vec::new();
    for n in 0..GROUPS {
        let created =
            scim.expect(Method::POST, "/Groups", Some(group(format!("Fifth {n}"))), StatusCode::CREATED).await?;
        fifths.push(created["id"].as_str().unwrap_or_default().to_string());
    }
    app.requests.take_requests();
    let fill = async |group: &str, members: &[String]| -> Result<usize, BoxError> {
        let mut calls = 0;
        for chunk in members.chunks(MEMBERS_PER_PATCH) {
            let value: Vec<Value> = chunk.iter().map(|id| json!({ "value": id })).collect();
            let body = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "add", "path": "members", "value": value }] });
            scim.expect(Method::PATCH, &format!("/Groups/{group}"), Some(body), StatusCode::NO_CONTENT).await?;
            calls += 1;
        }
        Ok(calls)
    };
    let started = Instant::now();
    let calls = fill(&everyone, &ids).await?;
    report(
        &app,
        &format!("PATCH /Groups: one group of {users}, {MEMBERS_PER_PATCH} per call"),
        calls,
        users,
        "memberships",
        started,
    );
    let started = Instant::now();
    let mut calls = 0;
    for (n, group) in fifths.iter().enumerate() {
        let share = users / GROUPS;
        calls += fill(group, &ids[n * share..(n + 1) * share]).await?;
    }
    report(
        &app,
        &format!("PATCH /Groups: {GROUPS} groups of {}", users / GROUPS),
        calls,
        users,
        "memberships",
        started,
    );
    let body = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "remove", "path": format!("members[value eq \"{}\"]", ids[0]) }] });
    let started = Instant::now();
    scim.expect(Method::PATCH, &format!("/Groups/{everyone}"), Some(body), StatusCode::NO_CONTENT).await?;
    report(&app, &format!("PATCH /Groups: one member out of {users}"), 1, 1, "calls", started);

    let reads = [
        ("GET /Users?startIndex=1&count=100", "/Users?startIndex=1&count=100".to_string()),
        ("GET /Users, the last page of 100", format!("/Users?startIndex={}&count=100", users.saturating_sub(99))),
        ("GET /Users?filter=userName eq", "/Users?filter=userName%20eq%20%22user77%40scimbench.example%22".into()),
        ("GET /Users?filter=externalId eq", "/Users?filter=externalId%20eq%20%22ext-77%22".into()),
        ("GET /Groups/{id}?excludedAttributes=members", format!("/Groups/{everyone}?excludedAttributes=members")),
        ("GET /Groups/{id} (every member)", format!("/Groups/{everyone}")),
        ("GET /Groups?excludedAttributes=members", "/Groups?excludedAttributes=members".into()),
    ];
    for (phase, path) in reads {
        let started = Instant::now();
        scim.expect(Method::GET, &path, None, StatusCode::OK).await?;
        report(&app, phase, 1, 1, "calls", started);
    }
    Ok(())
}
