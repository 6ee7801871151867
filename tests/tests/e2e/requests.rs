//! The approval workflow: requests, rules from the organization's settings, racing
//! decisions, provisioning in the decision's transaction, isolation.

use agentctl_tests::{Org, TestApp, assert_problem, slug};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// An organization with a team, a requester in it (signed in) and a catalog agent and
/// MCP server (with a credential, not approved for the organization yet).
struct Setup {
    org: Org,
    team: String,
    requester: String,
    requester_token: String,
    agent: String,
    server: String,
}

async fn setup(app: &TestApp) -> Setup {
    let org = app.create_org(&slug("req")).await;
    let t = &org.owner_token;
    let team = id(&app.create_team(&org, "Platform").await);
    let requester = app.add_employee(&org, &format!("dev@{}.example", org.slug), "member", Some(&team)).await;
    let requester_token = app.enroll_and_login(&org, &id(&requester)).await;
    let (status, agent) = app
        .post("/v1/catalog/agents", t, json!({ "name": "Coder", "type": "claude-code", "provider": "anthropic" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let token_schema = json!({ "type": "object", "required": ["token"], "properties": { "token": { "type": "string", "writeOnly": true } } });
    let (status, server) = app
        .post(
            "/v1/catalog/mcp-servers",
            t,
            json!({ "name": "github", "provider": "GitHub", "version": "1", "transport": "http", "url": "https://api.githubcopilot.com/mcp/", "headers": { "Authorization": "Bearer ${token}" }, "connection_schema": token_schema }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{server}");
    Setup { org, team, requester: id(&requester), requester_token, agent: id(&agent), server: id(&server) }
}

/// Signs in a new employee of `role`, in `team`; their token.
async fn decider(app: &TestApp, org: &Org, name: &str, role: &str, team: Option<&str>) -> String {
    let employee = app.add_employee(org, &format!("{name}@{}.example", org.slug), role, team).await;
    app.enroll_and_login(org, &id(&employee)).await
}

async fn file(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, request) = app.post("/v1/requests", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    request
}

async fn decide(app: &TestApp, token: &str, request: &str, decision: &str) -> (StatusCode, Value) {
    app.post(&format!("/v1/requests/{request}/decisions"), token, json!({ "decision": decision })).await
}

#[tokio::test]
async fn requests_are_validated_unique_while_open_and_listed_for_who_decides() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = &s.requester_token;

    // Bad input: every problem named.
    let (status, body) = app
        .post(
            "/v1/requests",
            t,
            json!({ "request_type": "new_agent", "request_data": { "agent_id": uuid::Uuid::now_v7() } }),
        )
        .await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(body["errors"][0]["field"], "request_data.agent_id", "{body}");
    let (status, body) = app
        .post(
            "/v1/requests",
            t,
            json!({ "request_type": "new_agent", "request_data": { "agent_id": s.agent, "extra": 1 } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .post(
            "/v1/requests",
            t,
            json!({ "request_type": "increase_budget", "request_data": { "amount_usd": "-5" }, "reason": "more" }),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("request_data.amount_usd")),
        "{body}"
    );
    let (status, body) = app
        .post("/v1/requests", t, json!({ "request_type": "increase_budget", "request_data": { "amount_usd": "50" } }))
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")),
        "{body}"
    );
    let (status, body) = app.post("/v1/requests", t, json!({ "request_type": "new_pony", "request_data": {} })).await;
    assert!(status.is_client_error() && status != StatusCode::NOT_FOUND, "{status} {body}");

    // One open request per thing.
    let agent_request = file(
        &app,
        t,
        json!({ "request_type": "new_agent", "request_data": { "agent_id": s.agent }, "reason": "to ship faster" }),
    )
    .await;
    assert_eq!(agent_request["status"], "pending");
    assert_eq!(agent_request["requester_name"], format!("Employee dev@{}.example", s.org.slug));
    assert_eq!(agent_request["required_approvals"], json!([["manager", "admin", "owner"]]));
    let (status, body) = app
        .post("/v1/requests", t, json!({ "request_type": "new_agent", "request_data": { "agent_id": s.agent } }))
        .await;
    assert_problem(status, &body, StatusCode::CONFLICT, "duplicate_request");
    let mcp_request =
        file(&app, t, json!({ "request_type": "new_mcp", "request_data": { "server_id": s.server } })).await;
    assert_eq!(mcp_request["required_approvals"], json!([["manager"], ["admin", "owner"]]));
    let budget_request = file(&app, t, json!({ "request_type": "increase_budget", "request_data": { "amount_usd": "250.50" }, "reason": "launch week" })).await;
    assert_eq!(budget_request["request_data"], json!({ "amount_usd": "250.50", "scope": "organization" }));

    // The requester lists their own, newest first.
    let (status, mine) = app.get("/v1/me/requests", t).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let ids: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [id(&budget_request), id(&mcp_request), id(&agent_request)]);

    // The pending queue: oldest first, what each decider decides, filterable, paginated.
    let admin = decider(&app, &s.org, "admin", "admin", None).await;
    let billing = decider(&app, &s.org, "billing", "billing", None).await;
    let manager = decider(&app, &s.org, "lead", "manager", Some(&s.team)).await;
    let elsewhere = id(&app.create_team(&s.org, "Elsewhere").await);
    let other_manager = decider(&app, &s.org, "other-lead", "manager", Some(&elsewhere)).await;
    let queue = async |token: &str, query: &str| {
        let (status, page) = app.get(&format!("/v1/requests/pending{query}"), token).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["request_type"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    app.eventually("the pending index has the requests", async || queue(&admin, "").await.len() == 2).await;
    app.requests.take();
    assert_eq!(queue(&admin, "").await, ["new_agent", "new_mcp"], "admins decide agents and MCP servers");
    assert_eq!(
        app.requests.take(),
        ["GetItem", "Query"],
        "the organization's rules, then one Query on the pending index"
    );
    assert_eq!(queue(&admin, "?request_type=new_mcp").await, ["new_mcp"]);
    assert_eq!(queue(&admin, &format!("?team_id={elsewhere}")).await, Vec::<String>::new());
    assert_eq!(queue(&billing, "").await, ["increase_budget"]);
    assert_eq!(queue(&manager, "").await, ["new_agent", "new_mcp"]);
    assert!(queue(&other_manager, "").await.is_empty(), "another team's manager sees nothing");
    let (status, body) = app.get(&format!("/v1/requests/pending?team_id={}", s.team), &other_manager).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, page) = app.get("/v1/requests/pending?limit=1", &admin).await;
    assert_eq!((status, page["items"].as_array().unwrap().len()), (StatusCode::OK, 1));
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, next) = app.get(&format!("/v1/requests/pending?limit=1&cursor={cursor}"), &admin).await;
    assert_eq!(next["items"][0]["request_type"], "new_mcp");
    let (status, body) = app.get("/v1/requests/pending", &s.requester_token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "members decide nothing: {body}");

    // Reading one: requester and deciders; others get 404.
    let agent_path = format!("/v1/requests/{}", id(&agent_request));
    assert_eq!(app.get(&agent_path, t).await.0, StatusCode::OK);
    assert_eq!(app.get(&agent_path, &manager).await.0, StatusCode::OK);
    assert_eq!(app.get(&agent_path, &other_manager).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&agent_path, &billing).await.0, StatusCode::NOT_FOUND);

    // Cancelled by its requester: decided, out of the queue, and the thing can be asked again.
    let (status, cancelled) =
        app.post(&format!("{agent_path}/cancel"), t, json!({ "comment": "found another way" })).await;
    assert_eq!((status, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{cancelled}");
    let (status, body) = decide(&app, &admin, &id(&agent_request), "approve").await;
    assert_problem(status, &body, StatusCode::CONFLICT, "request_decided");
    let (status, body) = app.post(&format!("{agent_path}/cancel"), &admin, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the requester cancels: {body}");
    app.eventually("the cancelled request leaves the queue", async || queue(&admin, "").await == ["new_mcp"]).await;
    file(&app, t, json!({ "request_type": "new_agent", "request_data": { "agent_id": s.agent } })).await;

    let (_, mine) = app.get("/v1/me/requests?status=cancelled", t).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
}

#[tokio::test]
async fn thirty_racing_decisions_end_in_one_outcome_with_exact_approvals_and_provision_once() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    // 10 managers of the requester's team and 20 admins: new_mcp needs one of each.
    let mut deciders = Vec::new();
    for i in 0..10 {
        deciders.push(decider(&app, &s.org, &format!("lead{i}"), "manager", Some(&s.team)).await);
    }
    for i in 0..20 {
        deciders.push(decider(&app, &s.org, &format!("admin{i}"), "admin", None).await);
    }

    // All approve at once.
    let request = file(
        &app,
        &s.requester_token,
        json!({ "request_type": "new_mcp", "request_data": { "server_id": s.server }, "reason": "PR reviews" }),
    )
    .await;
    let rid = id(&request);
    let results = join_all(deciders.iter().map(|token| decide(&app, token, &rid, "approve"))).await;
    let succeeded = results.iter().filter(|(status, _)| *status == StatusCode::OK).count();
    for (status, body) in &results {
        assert!(
            *status == StatusCode::OK
                || (*status == StatusCode::CONFLICT
                    && ["request_decided", "approval_not_needed"].contains(&body["code"].as_str().unwrap())),
            "{status} {body}"
        );
    }
    let (_, view) = app.get(&format!("/v1/requests/{rid}"), &s.requester_token).await;
    assert_eq!(view["status"], "approved", "{view}");
    assert_eq!(succeeded, 2, "exactly the two approvals needed were accepted");
    assert_eq!(view["approval_count"], 2);
    let approvals = view["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 2);
    let mut roles: Vec<&str> = approvals.iter().map(|a| a["approver_role"].as_str().unwrap()).collect();
    roles.sort();
    assert_eq!(roles, ["admin", "manager"]);
    assert_eq!(view["provisioned"]["server_approved_for_org"], true);
    assert_eq!(view["provisioned"]["awaiting_credentials"], true);
    assert!(view["resolved_at"].is_string());

    // Provisioned once: the org approval, one MCP configuration, in the requester's bundle.
    let configs_path = format!("/v1/employees/{}/mcp-configs", s.requester);
    let (_, configs) = app.get(&configs_path, &s.org.owner_token).await;
    let configs = configs["items"].as_array().unwrap();
    assert_eq!(configs.len(), 1, "{configs:?}");
    assert_eq!(configs[0]["id"], view["provisioned"]["mcp_config_id"]);
    assert_eq!(configs[0]["credentials_set"], false, "awaiting the employee's credentials");
    let (_, server) = app.get(&format!("/v1/catalog/mcp-servers/{}", s.server), &s.org.owner_token).await;
    assert_eq!(server["is_approved"], true, "{server}");
    let (status, bundle) = app.get("/v1/me/sync", &s.requester_token).await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    assert_eq!(bundle["mcp_servers"][0]["server_id"], s.server.as_str(), "{bundle}");

    // Every step is in the activity log, in the documented event shape.
    let activity = app.activity(&s.org.id).await;
    let of = |kind: &str| activity.iter().filter(|e| e["event_type"] == kind).collect::<Vec<_>>();
    assert_eq!(of("request.submitted").len(), 1);
    assert_eq!(of("request.approval_recorded").len(), 1);
    let approved = of("request.approved");
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0]["payload"]["request_id"], rid.as_str());
    assert_eq!(approved[0]["payload"]["status"], "approved");
    assert_eq!(approved[0]["payload"]["approvals"], "2");
    assert_eq!(of("mcp.approved").len(), 1);
    assert_eq!(of("mcp.configured").len(), 1);

    // Mixed approvals and rejections: one outcome, and the records match the answers.
    let agent_request =
        file(&app, &s.requester_token, json!({ "request_type": "new_agent", "request_data": { "agent_id": s.agent } }))
            .await;
    let rid = id(&agent_request);
    let results = join_all(
        deciders
            .iter()
            .enumerate()
            .map(|(i, token)| decide(&app, token, &rid, if i % 3 == 0 { "reject" } else { "approve" })),
    )
    .await;
    let accepted = results.iter().filter(|(status, _)| *status == StatusCode::OK).count();
    let (_, view) = app.get(&format!("/v1/requests/{rid}"), &s.requester_token).await;
    let approvals = view["approvals"].as_array().unwrap();
    assert_eq!(accepted, 1, "one decision settles a one-approval request: {view}");
    assert_eq!(approvals.len(), 1);
    let outcome = view["status"].as_str().unwrap();
    assert!(["approved", "rejected"].contains(&outcome), "{view}");
    assert_eq!(approvals[0]["status"], outcome);
    let (_, configs) = app.get(&format!("/v1/employees/{}/agent-configs", s.requester), &s.org.owner_token).await;
    assert_eq!(configs["items"].as_array().unwrap().len(), usize::from(outcome == "approved"));
}

#[tokio::test]
async fn nobody_decides_their_own_request_and_other_orgs_see_nothing() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let admin_employee = app.add_employee(&s.org, &format!("a@{}.example", s.org.slug), "admin", None).await;
    let admin = app.enroll_and_login(&s.org, &id(&admin_employee)).await;
    let own = file(&app, &admin, json!({ "request_type": "new_agent", "request_data": { "agent_id": s.agent } })).await;
    assert_eq!(own["required_approvals"], json!([["admin", "owner"]]), "no team: an admin stands in for the manager");
    let (status, body) = decide(&app, &admin, &id(&own), "approve").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        app.get("/v1/requests/pending", &admin).await.1["items"].as_array().unwrap().is_empty(),
        "not in their own queue"
    );

    let other = app.create_org(&slug("other")).await;
    let request =
        file(&app, &s.requester_token, json!({ "request_type": "new_agent", "request_data": { "agent_id": s.agent } }))
            .await;
    let path = format!("/v1/requests/{}", id(&request));
    for (status, body) in [
        app.get(&path, &other.owner_token).await,
        decide(&app, &other.owner_token, &id(&request), "approve").await,
        app.post(&format!("{path}/cancel"), &other.owner_token, json!({})).await,
    ] {
        assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");
    }
    assert!(app.get("/v1/requests/pending", &other.owner_token).await.1["items"].as_array().unwrap().is_empty());
    let (_, view) = app.get(&path, &s.requester_token).await;
    assert_eq!((view["status"].as_str(), view["approval_count"].as_u64()), (Some("pending"), Some(0)));

    // The owner decides it; deciding twice is refused.
    let (status, decided) = decide(&app, &s.org.owner_token, &id(&request), "approve").await;
    assert_eq!((status, decided["status"].as_str()), (StatusCode::OK, Some("approved")), "{decided}");
    let (status, body) = decide(&app, &s.org.owner_token, &id(&request), "approve").await;
    assert_problem(status, &body, StatusCode::CONFLICT, "request_decided");
    let (status, bundle) = app.get("/v1/me/sync", &s.requester_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bundle["agents"][0]["agent_id"], s.agent.as_str(), "{bundle}");
}

#[tokio::test]
async fn rules_come_from_settings_and_budget_requests_raise_the_budget() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = &s.org.owner_token;
    let (status, body) =
        app.patch("/v1/org", t, json!({ "settings": { "approval_rules": { "increase_budget": [["boss"]] } } })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("increase_budget"), "{body}");
    let rules = json!({ "approval_rules": { "increase_budget": [["billing"], ["owner"]] } });
    let (status, body) = app.patch("/v1/org", t, json!({ "settings": rules })).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let request = file(&app, &s.requester_token, json!({ "request_type": "increase_budget", "request_data": { "amount_usd": "250.25" }, "reason": "launch week" })).await;
    assert_eq!(request["required_approvals"], json!([["billing"], ["owner"]]));
    let billing = decider(&app, &s.org, "billing", "billing", None).await;
    let admin = decider(&app, &s.org, "admin", "admin", None).await;
    let rid = id(&request);
    let (status, _) = decide(&app, &admin, &rid, "approve").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "admins are not named by these rules");
    let (status, first) = decide(&app, &billing, &rid, "approve").await;
    assert_eq!((status, first["status"].as_str()), (StatusCode::OK, Some("pending")), "{first}");
    let (_, sub) = app.get("/v1/org/subscription", t).await;
    assert_eq!(sub["monthly_budget_usd"], "1000", "not raised before the last approval");
    let (status, done) =
        app.post(&format!("/v1/requests/{rid}/decisions"), t, json!({ "decision": "approve", "comment": "go" })).await;
    assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("approved")), "{done}");
    assert_eq!(done["resolution_comment"], "go");
    let (_, sub) = app.get("/v1/org/subscription", t).await;
    assert_eq!(sub["monthly_budget_usd"], "1250.25", "{sub}");
    assert_eq!(done["provisioned"], json!({ "monthly_budget_usd": "1250.25" }));

    // A rejection settles it at once.
    let request = file(
        &app,
        &s.requester_token,
        json!({ "request_type": "increase_budget", "request_data": { "amount_usd": "1" }, "reason": "again" }),
    )
    .await;
    let (status, rejected) = decide(&app, &billing, &id(&request), "reject").await;
    assert_eq!((status, rejected["status"].as_str()), (StatusCode::OK, Some("rejected")), "{rejected}");
    assert_eq!(rejected["approvals"][0]["status"], "rejected");
    let (_, sub) = app.get("/v1/org/subscription", t).await;
    assert_eq!(sub["monthly_budget_usd"], "1250.25");
}

/// A requested agent exists at once as a pending configuration admins can see (holding no
/// agent slot, not delivered); approval turns that same configuration active, a
/// rejection or cancellation removes it.
#[tokio::test]
async fn a_requested_agent_waits_as_a_pending_configuration_until_decided() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = &s.org.owner_token;
    let configs = format!("/v1/employees/{}/agent-configs", s.requester);
    let ask = json!({ "request_type": "new_agent", "request_data": { "agent_id": s.agent, "name": "My coder" } });
    let request = file(&app, &s.requester_token, ask.clone()).await;
    let (status, waiting) = app.get(&format!("{configs}?status=pending_approval"), t).await;
    assert_eq!(status, StatusCode::OK);
    let items = waiting["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{waiting}");
    assert_eq!(items[0]["id"], request["id"], "the configuration carries the request's id");
    assert_eq!(items[0]["name"], "My coder");
    let (_, bundle) = app.get("/v1/me/sync", &s.requester_token).await;
    assert!(bundle["agents"].as_array().unwrap().is_empty(), "not delivered while pending: {bundle}");
    let (_, employee) = app.get(&format!("/v1/employees/{}", s.requester), t).await;
    assert_eq!(employee["agent_config_count"], 0, "a pending configuration holds no slot");

    let (status, decided) = decide(&app, t, request["id"].as_str().unwrap(), "approve").await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["provisioned"]["agent_config_id"], request["id"]);
    let (_, active) = app.get(&format!("{configs}?status=active"), t).await;
    assert_eq!(active["items"].as_array().unwrap().len(), 1);
    assert_eq!(active["items"][0]["id"], request["id"]);
    let (_, bundle) = app.get("/v1/me/sync", &s.requester_token).await;
    assert_eq!(bundle["agents"][0]["config_id"], request["id"]);

    // Rejected or cancelled: the pending configuration goes, and the agent is free again.
    let (_, other) =
        app.post("/v1/catalog/agents", t, json!({ "name": "Other", "type": "codex", "provider": "openai" })).await;
    let ask = json!({ "request_type": "new_agent", "request_data": { "agent_id": other["id"] } });
    let rejected = file(&app, &s.requester_token, ask.clone()).await;
    let (status, _) = decide(&app, t, rejected["id"].as_str().unwrap(), "reject").await;
    assert_eq!(status, StatusCode::OK);
    let cancelled = file(&app, &s.requester_token, ask).await;
    let (status, _) = app
        .post(&format!("/v1/requests/{}/cancel", cancelled["id"].as_str().unwrap()), &s.requester_token, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, all) = app.get(&configs, t).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1, "only the approved one remains: {all}");
    let (status, _) = app.delete(&format!("/v1/catalog/agents/{}", other["id"].as_str().unwrap()), t).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "no pending configuration holds the agent");
}
