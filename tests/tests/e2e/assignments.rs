//! Assignments: an agent or MCP server given to the organization or a team reaches every
//! member's bundle with no per-employee call; own configurations take its place;
//! exclusions, team moves, new hires, catalog edits, credentials per member, isolation.

use agentctl_tests::{TestApp, assert_problem, slug};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let (status, created) = app.post(path, token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {created}");
    created
}

fn id(value: &Value) -> &str {
    value["id"].as_str().unwrap()
}

async fn bundle(app: &TestApp, token: &str) -> Value {
    let (status, bundle) = app.get("/v1/me/sync", token).await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    bundle
}

fn named<'a>(list: &'a Value, name: &str) -> Option<&'a Value> {
    list.as_array().unwrap().iter().find(|item| item["name"] == name)
}

struct Setup {
    app: TestApp,
    owner: String,
    team: String,
    agent: String,
    server: String,
}

/// An organization with a team, a private agent with a schema, and an approved server
/// whose token is a required credential.
async fn setup(prefix: &str) -> (Setup, agentctl_tests::Org) {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug(prefix)).await;
    let owner = org.owner_token.clone();
    let team = app.create_team(&org, "Platform").await;
    let agent = created(&app, "/v1/catalog/agents", &owner, json!({
        "name": "Claude Code", "type": "claude-code", "provider": "Anthropic",
        "default_config": { "theme": "dark", "verbose": false },
        "config_schema": { "type": "object", "properties": { "theme": { "enum": ["dark", "light"] }, "verbose": { "type": "boolean" } } },
    }))
    .await;
    let server = created(&app, "/v1/catalog/mcp-servers", &owner, json!({
        "name": "github", "provider": "GitHub", "version": "1", "transport": "stdio", "command": "npx",
        "args": ["-y", "@modelcontextprotocol/server-github", "--org", "${org}"], "env": { "GITHUB_TOKEN": "${token}" },
        "connection_schema": { "type": "object", "required": ["org", "token"], "properties": {
            "org": { "type": "string" }, "token": { "type": "string", "writeOnly": true } } },
    }))
    .await;
    let (status, _) =
        app.call(Method::PUT, &format!("/v1/catalog/mcp-servers/{}/approval", id(&server)), Some(&owner), None).await;
    assert_eq!(status, StatusCode::OK);
    let setup = Setup {
        team: id(&team).to_string(),
        agent: id(&agent).to_string(),
        server: id(&server).to_string(),
        owner,
        app,
    };
    (setup, org)
}

#[tokio::test]
async fn what_is_assigned_reaches_members_who_override_or_are_left_out() {
    let (s, org) = setup("assign").await;
    let app = &s.app;
    let (in_team, in_team_token) = app.add_signed_in(&org, "ada@assign.example", "member").await;
    let (status, _) =
        app.patch(&format!("/v1/employees/{}", id(&in_team)), &s.owner, json!({ "team_id": s.team })).await;
    assert_eq!(status, StatusCode::OK);
    let (outside, outside_token) = app.add_signed_in(&org, "bob@assign.example", "member").await;

    let agent_assignment = created(
        app,
        "/v1/assignments",
        &s.owner,
        json!({
            "target": { "type": "organization" },
            "item": { "type": "agent", "agent_id": s.agent, "config_override": { "theme": "light" } },
        }),
    )
    .await;
    assert_eq!(agent_assignment["name"], "Claude Code");
    let server_assignment = created(
        app,
        "/v1/assignments",
        &s.owner,
        json!({
            "target": { "type": "team", "team_id": s.team },
            "item": { "type": "mcp_server", "server_id": s.server, "connection_config": { "org": "acme" } },
        }),
    )
    .await;

    // The team member gets both; the server waits for their credentials.
    let b = bundle(app, &in_team_token).await;
    let agent = named(&b["agents"], "Claude Code").expect("assigned agent delivered");
    assert_eq!(agent["source"], "assignment");
    assert_eq!(agent["assignment_id"], agent_assignment["id"]);
    assert_eq!(agent["settings"], json!({ "theme": "light", "verbose": false }));
    let server = named(&b["mcp_servers"], "github").expect("team server delivered");
    assert_eq!(server["status"], "needs_credentials");
    assert_eq!(server["connection_config"], json!({ "org": "acme" }));
    assert_eq!(server["credentials"], Value::Null);
    // Outside the team: the organization's agent only.
    let b = bundle(app, &outside_token).await;
    assert!(named(&b["agents"], "Claude Code").is_some());
    assert!(b["mcp_servers"].as_array().unwrap().is_empty(), "{b}");

    // Each member sets their own credentials; nobody else sees them.
    let credentials = format!("/v1/me/assignments/{}/credentials", id(&server_assignment));
    let body = json!({ "credentials": { "token": "ghp_ada" } });
    let (status, _) = app.call(Method::PUT, &credentials, Some(&in_team_token), Some(body.clone())).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, answer) = app.call(Method::PUT, &credentials, Some(&outside_token), Some(body)).await;
    assert_problem(status, &answer, StatusCode::NOT_FOUND, "not_found");
    let (status, answer) =
        app.call(Method::PUT, &credentials, Some(&in_team_token), Some(json!({ "credentials": { "org": "x" } }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "only credential fields: {answer}");
    let b = bundle(app, &in_team_token).await;
    let server = named(&b["mcp_servers"], "github").unwrap();
    assert_eq!(server["status"], "ready");
    assert_eq!(server["credentials"], json!({ "token": "ghp_ada" }));
    let activity = app.activity(&org.id).await;
    let set = activity.iter().find(|e| e["event_type"] == "assignment.credentials_set").expect("recorded");
    assert!(!set.to_string().contains("ghp_ada"), "no secret in the activity log: {set}");

    // An own configuration of the same agent takes the assignment's place.
    let own = format!("/v1/employees/{}/agent-configs", id(&outside));
    created(
        app,
        &own,
        &s.owner,
        json!({ "agent_id": s.agent, "name": "Claude Code", "config_override": { "verbose": true } }),
    )
    .await;
    let b = bundle(app, &outside_token).await;
    let agents: Vec<&Value> = b["agents"].as_array().unwrap().iter().collect();
    assert_eq!(agents.len(), 1, "{b}");
    assert_eq!(agents[0]["source"], "personal");
    assert_eq!(agents[0]["settings"], json!({ "theme": "dark", "verbose": true }));

    // Excluded: the assignment no longer reaches them.
    let path = format!("/v1/assignments/{}", id(&agent_assignment));
    let (status, updated) = app.patch(&path, &s.owner, json!({ "excluded_employee_ids": [id(&in_team)] })).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let b = bundle(app, &in_team_token).await;
    assert!(named(&b["agents"], "Claude Code").is_none(), "{b}");
    assert!(named(&b["mcp_servers"], "github").is_some());

    // Settings are checked against the agent's schema; an unknown employee is refused.
    let (status, answer) = app.patch(&path, &s.owner, json!({ "config_override": { "theme": "neon" } })).await;
    assert_problem(status, &answer, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(answer.to_string().contains("config_override"), "{answer}");
    let (status, answer) = app.patch(&path, &s.owner, json!({ "excluded_employee_ids": [uuid::Uuid::now_v7()] })).await;
    assert_problem(status, &answer, StatusCode::UNPROCESSABLE_ENTITY, "validation");

    // Deleting an assignment takes it out of the next sync, and frees the entry.
    let (status, _) = app.delete(&format!("/v1/assignments/{}", id(&server_assignment)), &s.owner).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let b = bundle(app, &in_team_token).await;
    assert!(named(&b["mcp_servers"], "github").is_none(), "{b}");
    let (status, answer) = app
        .call(Method::PUT, &credentials, Some(&in_team_token), Some(json!({ "credentials": { "token": "x" } })))
        .await;
    assert_problem(status, &answer, StatusCode::NOT_FOUND, "not_found");
    let (status, _) =
        app.call(Method::DELETE, &format!("/v1/catalog/mcp-servers/{}/approval", s.server), Some(&s.owner), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, answer) = app.delete(&format!("/v1/catalog/mcp-servers/{}", s.server), &s.owner).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "an entry no longer assigned can go: {answer}");

    let events: Vec<&str> = activity.iter().filter_map(|e| e["event_type"].as_str()).collect();
    assert!(events.contains(&"assignment.created"), "{events:?}");
}

#[tokio::test]
async fn new_hires_and_team_moves_pick_assignments_up_and_catalog_edits_reach_them() {
    let (s, org) = setup("hires").await;
    let app = &s.app;
    let platform = &app.platform_key;
    let global = created(
        app,
        "/v1/catalog/agents",
        platform,
        json!({
            "name": "Codex", "type": "codex", "provider": "OpenAI", "default_config": { "model": "gpt-5" },
        }),
    )
    .await;
    let targets =
        [(json!({ "type": "organization" }), id(&global)), (json!({ "type": "team", "team_id": s.team }), &s.agent)];
    for (target, agent) in targets {
        let item = json!({ "type": "agent", "agent_id": agent });
        created(app, "/v1/assignments", &s.owner, json!({ "target": target, "item": item })).await;
    }

    // A new hire's first sync has the organization's assignment, nothing per employee.
    let (hire, token) = app.add_signed_in(&org, "new@hires.example", "member").await;
    let first = app.request(Method::GET, "/v1/me/sync", Some(&token)).send().await.unwrap();
    let etag = first.headers().get("etag").map(|e| e.to_str().unwrap().to_string());
    let b: Value = first.json().await.unwrap();
    assert_eq!(named(&b["agents"], "Codex").unwrap()["settings"], json!({ "model": "gpt-5" }));
    assert!(named(&b["agents"], "Claude Code").is_none());

    // Moving into the team changes the bundle (and its ETag).
    let (status, _) = app.patch(&format!("/v1/employees/{}", id(&hire)), &s.owner, json!({ "team_id": s.team })).await;
    assert_eq!(status, StatusCode::OK);
    let mut request = app.request(Method::GET, "/v1/me/sync", Some(&token));
    if let Some(etag) = &etag {
        request = request.header("if-none-match", etag);
    }
    let moved = request.send().await.unwrap();
    assert_eq!(moved.status(), StatusCode::OK, "a team move is a new bundle");
    let b: Value = moved.json().await.unwrap();
    assert!(named(&b["agents"], "Claude Code").is_some(), "{b}");

    // Edits of the assigned entries reach the next sync: the organization's own agent and
    // the platform's.
    let (status, _) = app
        .patch(
            &format!("/v1/catalog/agents/{}", s.agent),
            &s.owner,
            json!({ "default_config": { "theme": "light", "verbose": true } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .patch(
            &format!("/v1/catalog/agents/{}", id(&global)),
            platform,
            json!({ "default_config": { "model": "gpt-5.1" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let b = bundle(app, &token).await;
    assert_eq!(named(&b["agents"], "Claude Code").unwrap()["settings"], json!({ "theme": "light", "verbose": true }));
    assert_eq!(named(&b["agents"], "Codex").unwrap()["settings"], json!({ "model": "gpt-5.1" }));

    // An assigned entry cannot be deleted; a team with assignments is not deleted either.
    let (status, answer) = app.delete(&format!("/v1/catalog/agents/{}", s.agent), &s.owner).await;
    assert_problem(status, &answer, StatusCode::CONFLICT, "entry_in_use");
    let (status, _) = app.patch(&format!("/v1/employees/{}", id(&hire)), &s.owner, json!({ "team_id": null })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = app.delete(&format!("/v1/teams/{}", s.team), &s.owner).await;
    assert_problem(status, &answer, StatusCode::CONFLICT, "team_has_assignments");
}

#[tokio::test]
async fn assignments_are_checked_and_stay_inside_their_organization() {
    let (s, _) = setup("asgcheck").await;
    let app = &s.app;
    let other = app.create_org(&slug("asgother")).await;
    let other_team = app.create_team(&other, "Theirs").await;
    let agent_item = json!({ "type": "agent", "agent_id": s.agent });

    // A duplicate, another organization's team or entry, an unapproved server: refused.
    let body = json!({ "target": { "type": "organization" }, "item": agent_item });
    let first = created(app, "/v1/assignments", &s.owner, body.clone()).await;
    let (status, answer) = app.post("/v1/assignments", &s.owner, body).await;
    assert_problem(status, &answer, StatusCode::CONFLICT, "duplicate_assignment");
    let (status, answer) = app
        .post(
            "/v1/assignments",
            &s.owner,
            json!({ "target": { "type": "team", "team_id": id(&other_team) }, "item": agent_item }),
        )
        .await;
    assert_problem(status, &answer, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(answer.to_string().contains("target.team_id"), "{answer}");
    let (status, answer) = app
        .post(
            "/v1/assignments",
            &other.owner_token,
            json!({ "target": { "type": "organization" }, "item": agent_item }),
        )
        .await;
    assert_problem(status, &answer, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let unapproved = created(
        app,
        "/v1/catalog/mcp-servers",
        &s.owner,
        json!({
            "name": "unapproved", "provider": "p", "version": "1", "transport": "stdio", "command": "npx",
        }),
    )
    .await;
    let (status, answer) = app
        .post("/v1/assignments", &s.owner, json!({ "target": { "type": "organization" }, "item": { "type": "mcp_server", "server_id": id(&unapproved) } }))
        .await;
    assert_problem(status, &answer, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(answer.to_string().contains("not approved"), "{answer}");
    let (status, answer) = app
        .post("/v1/assignments", &s.owner, json!({ "target": { "type": "organization" }, "item": { "type": "mcp_server", "server_id": s.server, "connection_config": { "token": "inline" } } }))
        .await;
    assert_problem(status, &answer, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(
        answer.to_string().contains("item.connection_config.token"),
        "a credential is not a connection field: {answer}"
    );
    let (status, answer) =
        app.post("/v1/assignments", &s.owner, json!({ "target": { "type": "everyone" }, "item": agent_item })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");

    // Another organization's admin sees none of it.
    let path = format!("/v1/assignments/{}", id(&first));
    for (method, body) in
        [(Method::GET, None), (Method::PATCH, Some(json!({ "excluded_employee_ids": [] }))), (Method::DELETE, None)]
    {
        let (status, answer) = app.call(method.clone(), &path, Some(&other.owner_token), body).await;
        assert_problem(status, &answer, StatusCode::NOT_FOUND, "not_found");
    }
    let (status, page) = app.get("/v1/assignments", &other.owner_token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page["items"].as_array().unwrap().is_empty(), "{page}");
    let (status, page) = app.get("/v1/assignments", &s.owner).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    let (status, page) = app.get(&format!("/v1/assignments?team_id={}", s.team), &s.owner).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page["items"].as_array().unwrap().is_empty(), "{page}");
}

/// One call assigns several agents and servers, by id or catalog name, to the
/// organization and several teams, approving the servers asked for; each item and
/// target stands on its own (per-entry results), and the call can be repeated.
#[tokio::test]
async fn one_call_assigns_many_items_to_many_targets_with_a_result_for_each() {
    let (s, org) = setup("bulk").await;
    let app = &s.app;
    let other_team = app.create_team(&org, "Data").await;
    let codex =
        created(app, "/v1/catalog/agents", &s.owner, json!({ "name": "Codex", "type": "codex", "provider": "OpenAI" }))
            .await;
    let linear = created(app, "/v1/catalog/mcp-servers", &s.owner, json!({
        "name": "Linear", "provider": "Linear", "version": "1", "transport": "http", "url": "https://mcp.linear.app/sse" })).await;
    let sentry = created(app, "/v1/catalog/mcp-servers", &s.owner, json!({
        "name": "Sentry", "provider": "Sentry", "version": "1", "transport": "http", "url": "https://mcp.sentry.dev/sse" })).await;
    let body = json!({
        "targets": [{ "type": "organization" }, { "type": "team", "team_id": s.team }, { "type": "team", "team_id": id(&other_team) }],
        "items": [
            { "type": "agent", "name": "claude code", "config_override": { "theme": "light" } },
            { "type": "agent", "agent_id": id(&codex) },
            { "type": "mcp_server", "name": "Linear", "approve": true },
            { "type": "mcp_server", "server_id": id(&sentry) },
            { "type": "agent", "name": "No Such Agent" },
            { "type": "agent", "agent_id": id(&codex), "name": "Codex" },
            { "type": "agent", "name": "Codex", "config_override": { "unknown": 1 } },
        ],
    });
    let (status, answer) = app.post("/v1/assignments/bulk", &s.owner, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["approved_server_ids"], json!([id(&linear)]), "{answer}");
    let results = answer["results"].as_array().unwrap();
    let of = |item: usize| results.iter().filter(move |r| r["item"] == item).collect::<Vec<_>>();
    for item in [0, 1, 2] {
        let outcomes: Vec<&Value> = of(item).iter().map(|r| &r["outcome"]).collect();
        assert_eq!(outcomes, [&json!("created"); 3], "item {item}: {answer}");
    }
    // The unapproved server fails for each target, and says why.
    assert!(of(3).iter().all(|r| r["outcome"] == "failed" && r["problem"]["code"] == "validation"), "{answer}");
    assert_eq!(of(3).len(), 3);
    // A refused item is refused once, for every target.
    for item in [4, 5] {
        let refused = of(item);
        assert_eq!(
            (refused.len(), &refused[0]["target"], &refused[0]["outcome"]),
            (1, &Value::Null, &json!("failed")),
            "{answer}"
        );
        assert_eq!(refused[0]["problem"]["status"], 422, "{answer}");
    }
    // Settings are checked against the agent's schema as a single assignment's are (the
    // agent is assigned already with other settings: the duplicate counts first).
    assert!(of(6).iter().all(|r| r["outcome"] != "created"), "{answer}");

    let (_, listed) = app.get("/v1/assignments?limit=100", &s.owner).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 9, "three items to three targets");
    let approvals: Vec<Value> =
        app.activity(&org.id).await.into_iter().filter(|e| e["event_type"] == "mcp.approved").collect();
    assert_eq!(approvals.len(), 2, "the setup's approval and the bulk call's, each audited");

    // Repeated: nothing twice.
    let (status, again) = app.post("/v1/assignments/bulk", &s.owner, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["approved_server_ids"], json!([]));
    let created_again = again["results"].as_array().unwrap().iter().filter(|r| r["outcome"] == "created").count();
    assert_eq!(created_again, 0, "{again}");
    let (_, listed) = app.get("/v1/assignments?limit=100", &s.owner).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 9);

    // A member of a team gets everything assigned, in the usual sync.
    let (_, member_token) = app.add_signed_in(&org, "dev@bulk.example", "member").await;
    let (_, member) = app.get("/v1/me", &member_token).await;
    let path = format!("/v1/employees/{}", member["employee"]["id"].as_str().unwrap());
    assert_eq!(app.patch(&path, &s.owner, json!({ "team_id": s.team })).await.0, StatusCode::OK);
    let bundle = bundle(app, &member_token).await;
    assert!(
        named(&bundle["agents"], "Claude Code").is_some() && named(&bundle["agents"], "Codex").is_some(),
        "{bundle}"
    );
    assert!(named(&bundle["mcp_servers"], "Linear").is_some(), "{bundle}");

    // Bounds and permissions.
    let (status, _) = app.post("/v1/assignments/bulk", &s.owner, json!({ "targets": [], "items": [] })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = app
        .post(
            "/v1/assignments/bulk",
            &member_token,
            json!({ "targets": [{ "type": "organization" }], "items": [{ "type": "agent", "name": "Codex" }] }),
        )
        .await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
}

/// What one organization assigns takes nothing from another: the global catalog's
/// entries travel in the platform's sync set from their creation, each organization's
/// assignments and own entries in its own set under its own limit. One organization fills
/// its set; another still assigns, and its bundle's ETag never moved meanwhile.
#[tokio::test]
async fn one_organization_filling_its_sync_set_takes_nothing_from_another() {
    let app = TestApp::spawn().await;
    let (full, other) = (app.create_org(&slug("filler")).await, app.create_org(&slug("neighbour")).await);
    let global = created(
        &app,
        "/v1/catalog/agents",
        &app.platform_key,
        json!({ "name": "Codex", "type": "codex", "provider": "OpenAI", "default_config": { "model": "gpt-5" } }),
    )
    .await;
    let (_, token) = app.add_signed_in(&other, &format!("dev@{}.example", other.slug), "member").await;
    let first = app.request(Method::GET, "/v1/me/sync", Some(&token)).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_string();

    let organization = json!({ "type": "organization" });
    let assign = |org_token: String, agent: String| {
        let app = &app;
        let target = organization.clone();
        async move {
            let body = json!({ "target": target, "item": { "type": "agent", "agent_id": agent } });
            app.post("/v1/assignments", &org_token, body).await
        }
    };
    let (status, _) = assign(full.owner_token.clone(), id(&global).to_string()).await;
    assert_eq!(status, StatusCode::CREATED);
    let padding = "x".repeat(30 * 1024);
    let mut refused = None;
    for n in 0..10 {
        let body = json!({ "name": format!("Big {n}"), "type": "other", "provider": "Acme", "default_config": { "notes": padding } });
        let agent = created(&app, "/v1/catalog/agents", &full.owner_token, body).await;
        let (status, answer) = assign(full.owner_token.clone(), id(&agent).to_string()).await;
        if status != StatusCode::CREATED {
            refused = Some((n, status, answer));
            break;
        }
    }
    let (n, status, answer) = refused.expect("the organization's set has a limit");
    assert!((2..=3).contains(&n), "96 KB hold three 30 KB entries at most: refused at {n}");
    assert_problem(status, &answer, StatusCode::CONFLICT, "assignment_space_exhausted");

    // The neighbour's bundle did not move, and it assigns as it always could.
    let unchanged =
        app.request(Method::GET, "/v1/me/sync", Some(&token)).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED, "another organization's assignments change nothing here");
    let own = created(
        &app,
        "/v1/catalog/agents",
        &other.owner_token,
        json!({ "name": "Helper", "type": "other", "provider": "Acme", "default_config": { "notes": padding } }),
    )
    .await;
    for agent in [id(&global), id(&own)] {
        let (status, answer) = assign(other.owner_token.clone(), agent.to_string()).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let b = bundle(&app, &token).await;
    assert_eq!(named(&b["agents"], "Codex").unwrap()["settings"], json!({ "model": "gpt-5" }));
    assert!(named(&b["agents"], "Helper").is_some(), "{b}");
}

/// An assignment of a server that needs credentials may carry one organization credential:
/// every member without their own gets it in their bundle, their own takes its place, it
/// is never shown (answers, lists, activity), and removing it sends members back to
/// `needs_credentials`.
#[tokio::test]
async fn an_organization_credential_serves_every_member_without_their_own() {
    let (s, org) = setup("sharedcred").await;
    let app = &s.app;
    let body = json!({ "target": { "type": "organization" },
        "item": { "type": "mcp_server", "server_id": s.server, "connection_config": { "org": "acme" } } });
    let assignment = created(app, "/v1/assignments", &s.owner, body).await;
    assert_eq!(assignment["shared_credentials"], false);
    let path = format!("/v1/assignments/{}/credentials", id(&assignment));
    let (_, first) = app.add_signed_in(&org, "first@sharedcred.example", "member").await;
    let (_, second) = app.add_signed_in(&org, "second@sharedcred.example", "member").await;
    let server_of = async |token: &str| named(&bundle(app, token).await["mcp_servers"], "github").unwrap().clone();
    assert_eq!(server_of(&first).await["status"], "needs_credentials");

    let secret = json!({ "credentials": { "token": "ghp_the_organization" } });
    let (status, answer) = app.call(Method::PUT, &path, Some(&s.owner), Some(secret.clone())).await;
    assert_eq!((status, answer["shared_credentials"].as_bool()), (StatusCode::OK, Some(true)), "{answer}");
    assert!(!answer.to_string().contains("ghp_the_organization"));
    for read in [format!("/v1/assignments/{}", id(&assignment)), "/v1/assignments".to_string()] {
        let (_, answer) = app.get(&read, &s.owner).await;
        assert!(!answer.to_string().contains("ghp_the_organization"), "{read}: {answer}");
    }
    let activity = app.activity(&org.id).await;
    let set = activity.iter().find(|e| e["event_type"] == "assignment.shared_credentials_set").expect("recorded");
    assert!(!activity.iter().any(|e| e.to_string().contains("ghp_the_organization")), "{set}");
    for token in [&first, &second] {
        let server = server_of(token).await;
        assert_eq!(
            (&server["status"], &server["credentials"]),
            (&json!("ready"), &json!({ "token": "ghp_the_organization" }))
        );
    }

    // A member's own credentials take the organization's place, for them alone.
    let own = format!("/v1/me/assignments/{}/credentials", id(&assignment));
    let mine = json!({ "credentials": { "token": "ghp_second_own" } });
    assert_eq!(app.call(Method::PUT, &own, Some(&second), Some(mine)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(server_of(&second).await["credentials"], json!({ "token": "ghp_second_own" }));
    assert_eq!(server_of(&first).await["credentials"], json!({ "token": "ghp_the_organization" }));

    // Checked like anyone's, for admins only, inside the organization.
    let (status, answer) =
        app.call(Method::PUT, &path, Some(&s.owner), Some(json!({ "credentials": { "org": "x" } }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "only credential fields: {answer}");
    let (status, answer) = app.call(Method::PUT, &path, Some(&first), Some(secret.clone())).await;
    assert_problem(status, &answer, StatusCode::FORBIDDEN, "forbidden");
    let stranger = app.create_org(&slug("stranger")).await;
    let (status, answer) = app.call(Method::PUT, &path, Some(&stranger.owner_token), Some(secret)).await;
    assert_problem(status, &answer, StatusCode::NOT_FOUND, "not_found");

    // Removed: members without their own wait for credentials again.
    assert_eq!(app.call(Method::DELETE, &path, Some(&s.owner), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(server_of(&first).await["status"], "needs_credentials");
    assert_eq!(server_of(&second).await["status"], "ready");
    let (status, answer) = app.call(Method::DELETE, &path, Some(&s.owner), None).await;
    assert_problem(status, &answer, StatusCode::NOT_FOUND, "not_found");
}
