//! The test harness: every test gets its own app (its own DynamoDB table in the
//! emulator, its own platform key, its own server on a free port), like
//! zero-to-production's `spawn_app`. Requests go over real HTTP through the dev server's
//! authorizer layer and the real AWS SDK clients.

use std::net::SocketAddr;

use agentctl_shared::AppState;
use agentctl_shared::auth::{PLATFORM_KEY_PREFIX, digest, new_secret};
use agentctl_shared::config::Config;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use std::sync::OnceLock;

use tokio::sync::OnceCell;

pub mod idp;
pub mod model_apis;
pub mod routes;

static SDK: OnceCell<aws_config::SdkConfig> = OnceCell::const_new();

/// The emulator kept for this test process, if it asked for one ([`TestApp::spawn_alone`]).
static OWN_EMULATOR: OnceLock<usize> = OnceLock::new();

/// The SDK configuration for the emulator that `scripts/test.sh` started. Where it
/// started several (`AGENTCTL_TEST_ENDPOINTS`), the first `AGENTCTL_TEST_OWN_EMULATORS`
/// are kept for the tests that keep one busy by themselves, one each, and every other
/// test process takes one of the rest by its process id (an emulator is one Python
/// process: requests queue behind a busy test's).
pub async fn sdk() -> &'static aws_config::SdkConfig {
    SDK.get_or_init(|| async {
        assert!(
            std::env::var("AWS_ENDPOINT_URL").is_ok(),
            "AWS_ENDPOINT_URL is not set: run the tests with scripts/test.sh, which starts the emulator"
        );
        let endpoints = std::env::var("AGENTCTL_TEST_ENDPOINTS").unwrap_or_default();
        let endpoints: Vec<&str> = endpoints.split(',').filter(|e| !e.is_empty()).collect();
        let kept: usize = std::env::var("AGENTCTL_TEST_OWN_EMULATORS").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
        let (own, shared) = endpoints.split_at(kept.min(endpoints.len().saturating_sub(1)));
        let chosen = match OWN_EMULATOR.get().and_then(|slot| own.get(*slot)) {
            Some(endpoint) => Some(*endpoint),
            None => shared.get(std::process::id() as usize % shared.len().max(1)).copied(),
        };
        let loader = aws_config::from_env();
        match chosen {
            Some(endpoint) => loader.endpoint_url(endpoint).load().await,
            None => loader.load().await,
        }
    })
    .await
}

pub struct TestApp {
    pub url: String,
    pub platform_key: String,
    pub state: AppState,
    /// Every DynamoDB operation the functions sent (not the authorizer), in order.
    pub requests: RequestLog,
    /// Failures to inject into the DynamoDB and KMS clients of every function.
    pub faults: Faults,
    client: reqwest::Client,
}

pub use devserver::faults::{Faults, When};
pub use devserver::request_log::RequestLog;

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// An app on emulator `slot` of those kept for the tests that keep one busy by
    /// themselves (`AGENTCTL_TEST_OWN_EMULATORS`; `scripts/test.sh` keeps one for the
    /// onboarding of a thousand people and one for the authorization matrix), so that
    /// neither queues behind other tests, nor they behind it. Without such an emulator,
    /// the app shares one like any test.
    pub async fn spawn_alone(slot: usize) -> Self {
        OWN_EMULATOR.set(slot).expect("a test process spawns its first app alone or not");
        Self::spawn().await
    }

    /// An app whose configuration `adjust` may change first (short TTLs and the like).
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        // The functions' logs, where RUST_LOG asks for them (a failing run, read again).
        if std::env::var_os("RUST_LOG").is_some() {
            agentctl_shared::lambda::init_tracing();
        }
        let sdk = sdk().await;
        let table = format!("test-{}", uuid::Uuid::new_v4());
        devserver::provision::ensure_table(&aws_sdk_dynamodb::Client::new(sdk), &table).await.expect("table");
        let kms = aws_sdk_kms::Client::new(sdk);
        let key_id = devserver::provision::ensure_key(&kms, &format!("alias/{table}")).await.expect("kms key");
        let platform_key = new_secret(PLATFORM_KEY_PREFIX);
        let sqs = aws_sdk_sqs::Client::new(sdk);
        let sync = devserver::provision::ensure_queues(&sqs, &format!("{table}-sync")).await.expect("sync queue");
        let usage = devserver::provision::ensure_queues(&sqs, &format!("{table}-usage")).await.expect("usage queue");
        let notifications =
            devserver::provision::ensure_queues(&sqs, &format!("{table}-notify")).await.expect("notification queue");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        // Sync ETags right after a change: tests that check the settling window set it.
        // The local identity provider runs on 127.0.0.1 over http.
        let mut config = Config {
            public_url: Some(url.clone()),
            oidc_allow_private_network: true,
            jwks_min_refresh: chrono::Duration::zero(),
            kms_key_id: Some(key_id),
            sync_queue_url: Some(sync.url),
            usage_queue_url: Some(usage.url),
            usage_dlq_url: Some(usage.dead_letter_url),
            notification_queue_url: Some(notifications.url),
            notification_dlq_url: Some(notifications.dead_letter_url),
            sync_settle: chrono::Duration::zero(),
            ..Config::for_table(&table, Some(digest(&platform_key)))
        };
        adjust(&mut config);
        let requests = RequestLog::default();
        let faults = Faults::default();
        let dynamodb = |counted: bool| {
            let mut builder = aws_sdk_dynamodb::config::Builder::from(sdk).interceptor(faults.clone());
            if counted {
                builder = builder.interceptor(requests.clone());
            }
            aws_sdk_dynamodb::Client::from_conf(builder.build())
        };
        let faulty_kms =
            aws_sdk_kms::Client::from_conf(aws_sdk_kms::config::Builder::from(sdk).interceptor(faults.clone()).build());
        let with_faults = |mut state: AppState| {
            state.vault = agentctl_shared::vault::Vault::new(faulty_kms.clone(), state.config.kms_key_id.clone());
            state
        };
        // The authorizer and the queue consumers are functions of their own, with clients
        // of their own: `requests` counts only the HTTP functions'.
        let uncounted = with_faults(AppState::with_dynamodb(config.clone(), sdk, dynamodb(false)));
        devserver::consumers::spawn(uncounted.clone(), aws_sdk_sqs::Client::new(sdk));
        let state = with_faults(AppState::with_dynamodb(config, sdk, dynamodb(true)));
        let app = devserver::app_with_authorizer(state.clone(), uncounted)
            .into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await.expect("server") });
        Self { url, platform_key, state, requests, faults, client: reqwest::Client::new() }
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let request = self.client.request(method, format!("{}{path}", self.url));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends a request with an optional JSON body; returns status and parsed body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.request(method, path, token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Creates an organization through the platform API and logs its owner in.
    pub async fn create_org(&self, slug: &str) -> Org {
        let body = json!({
            "name": format!("Org {slug}"),
            "slug": slug,
            "plan": "pro",
            "monthly_budget_usd": "1000.00",
            "owner": { "email": format!("owner@{slug}.example"), "full_name": "Owner" },
        });
        let (status, created) = self.post("/v1/orgs", &self.platform_key.clone(), body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let owner_token = self.login(created["owner_enrollment"]["code"].as_str().unwrap()).await;
        Org {
            id: created["organization"]["id"].as_str().unwrap().to_string(),
            slug: slug.to_string(),
            owner_id: created["owner"]["id"].as_str().unwrap().to_string(),
            owner_token,
        }
    }

    /// Exchanges an enrollment code for a session token.
    pub async fn login(&self, code: &str) -> String {
        let (status, session) = self.call(Method::POST, "/v1/sessions", None, Some(json!({ "code": code }))).await;
        assert_eq!(status, StatusCode::CREATED, "{session}");
        session["token"].as_str().unwrap().to_string()
    }

    /// Adds an employee (as the org's owner) and returns it.
    pub async fn add_employee(&self, org: &Org, email: &str, role: &str, team_id: Option<&str>) -> Value {
        let body =
            json!({ "email": email, "full_name": format!("Employee {email}"), "role": role, "team_id": team_id });
        let (status, employee) = self.post("/v1/employees", &org.owner_token, body).await;
        assert_eq!(status, StatusCode::CREATED, "{employee}");
        employee
    }

    /// Adds an employee and logs them in; returns (employee, token).
    pub async fn add_signed_in(&self, org: &Org, email: &str, role: &str) -> (Value, String) {
        let employee = self.add_employee(org, email, role, None).await;
        let token = self.enroll_and_login(org, employee["id"].as_str().unwrap()).await;
        (employee, token)
    }

    /// Issues an enrollment code for an employee (as the org's owner).
    pub async fn issue_code(&self, org: &Org, employee_id: &str) -> String {
        let path = format!("/v1/employees/{employee_id}/enrollment-codes");
        let (status, code) = self.post(&path, &org.owner_token, json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{code}");
        code["code"].as_str().unwrap().to_string()
    }

    pub async fn enroll_and_login(&self, org: &Org, employee_id: &str) -> String {
        let code = self.issue_code(org, employee_id).await;
        self.login(&code).await
    }

    pub async fn create_team(&self, org: &Org, name: &str) -> Value {
        let (status, team) = self.post("/v1/teams", &org.owner_token, json!({ "name": name })).await;
        assert_eq!(status, StatusCode::CREATED, "{team}");
        team
    }

    /// Waits (up to 10 s) until `check` holds, for what queue consumers do in the background.
    pub async fn eventually<F: AsyncFn() -> bool>(&self, what: &str, check: F) {
        for _ in 0..100 {
            if check().await {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{what}: not within 10 s");
    }

    /// Every item of a partition, read straight from the table (outside the request log).
    pub async fn partition(&self, pk: &str) -> Vec<agentctl_shared::repo::Item> {
        let client = aws_sdk_dynamodb::Client::new(sdk().await);
        let repo = agentctl_shared::repo::Repository::new(client, self.state.repo.table());
        repo.query_partition(pk).await.expect("partition query")
    }

    /// The activity entries of an organization of this month and the one before, read
    /// straight from the table: a test that runs across the end of a month (the clock
    /// lanes of `scripts/clock-lanes.sh`) finds what it wrote before midnight.
    pub async fn activity(&self, org_id: &str) -> Vec<Value> {
        let mut items = Vec::new();
        for month in this_and_last_month(agentctl_shared::time::now()) {
            items.extend(self.partition(&format!("ORG#{org_id}#ACT#{month}")).await);
        }
        items.into_iter().map(|item| serde_json::to_value(serde_dynamo_item(item)).unwrap()).collect()
    }
}

impl TestApp {
    /// The organization's spending of the current billing period and of the one before
    /// (its closed-period ledger item, when the period rolled over): what usage of the
    /// last minutes adds up to when a test runs across the end of a month.
    pub async fn spending_of_the_last_two_periods(&self, org: &Org) -> rust_decimal::Decimal {
        let (_, subscription) = self.get("/v1/org/subscription", &org.owner_token).await;
        let current: rust_decimal::Decimal =
            subscription["current_spending_usd"].as_str().expect("spending").parse().expect("a decimal");
        let start: chrono::DateTime<chrono::Utc> =
            subscription["billing_period_start"].as_str().expect("period").parse().expect("a time");
        let previous = (start - chrono::Months::new(1)).format("%Y-%m").to_string();
        let org_id = agentctl_shared::ids::OrgId(org.id.parse().expect("an org id"));
        let closed = self.state.repo.get(&agentctl_shared::keys::closed_period(org_id, &previous)).await.expect("read");
        let earlier = closed.map_or(rust_decimal::Decimal::ZERO, |item| {
            agentctl_shared::repo::money::from_item(&item, "spending").expect("a closed period's spending").amount()
        });
        current + earlier
    }
}

/// The `YYYY-MM` of the month before `now`'s, then of `now`'s.
fn this_and_last_month(now: chrono::DateTime<chrono::Utc>) -> [String; 2] {
    use chrono::Datelike;
    let first_of_month = now.date_naive().with_day(1).expect("every month has a first day");
    let last_month = first_of_month.pred_opt().expect("a day before the first");
    [last_month.format("%Y-%m").to_string(), now.format("%Y-%m").to_string()]
}

/// A DynamoDB item as JSON (strings and numbers as text), for assertions.
fn serde_dynamo_item(item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>) -> Value {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    fn conv(v: &A) -> Value {
        match v {
            A::S(s) | A::N(s) => Value::String(s.clone()),
            A::Bool(b) => Value::Bool(*b),
            A::Null(_) => Value::Null,
            A::M(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), conv(v))).collect()),
            A::L(l) => Value::Array(l.iter().map(conv).collect()),
            _ => Value::Null,
        }
    }
    Value::Object(item.iter().map(|(k, v)| (k.clone(), conv(v))).collect())
}

pub async fn read(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    (status, body)
}

/// An organization created for a test, with its owner signed in.
#[derive(Clone, Debug)]
pub struct Org {
    pub id: String,
    pub slug: String,
    pub owner_id: String,
    pub owner_token: String,
}

/// A unique slug per test run (tests share one emulator, but not tables; slugs are
/// unique per table, so this only keeps them readable).
pub fn slug(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// Asserts a problem+json response with the given status and code.
pub fn assert_problem(status: StatusCode, body: &Value, expected: StatusCode, code: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], expected.as_u16(), "{body}");
    assert!(body["type"].as_str().unwrap_or_default().ends_with(code), "{body}");
}
