//! Policies: typed rules validated on write, attachments at four levels, team overrides,
//! and the effective set with the source of every rule.

use agentctl_tests::{Org, TestApp, assert_problem, slug};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn policy(app: &TestApp, token: &str, name: &str, policy_type: &str, rules: Value, severity: &str) -> String {
    let body = json!({ "name": name, "policy_type": policy_type, "rules": rules, "severity": severity });
    let (status, created) = app.post("/v1/policies", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_string()
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PUT, path, Some(token), Some(body)).await
}

async fn effective(app: &TestApp, org: &Org, employee: &str, agent: Option<&str>) -> Value {
    let path = match agent {
        Some(agent) => format!("/v1/employees/{employee}/effective-policies?agent_id={agent}"),
        None => format!("/v1/employees/{employee}/effective-policies"),
    };
    let (status, body) = app.get(&path, &org.owner_token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn rules_of_the_wrong_shape_and_bad_overrides_are_refused() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("polval")).await;
    let t = &org.owner_token;
    let cases = [
        (
            json!({ "name": "p", "policy_type": "filesystem", "rules": { "deny": ["etc"] }, "severity": "block" }),
            "rules.deny[0]",
        ),
        (json!({ "name": "p", "policy_type": "rate_limit", "rules": { "max": 100 }, "severity": "block" }), "rules"),
        (
            json!({ "name": "p", "policy_type": "network", "rules": { "deny_domains": ["not a domain"] }, "severity": "warn" }),
            "rules.deny_domains[0]",
        ),
        (
            json!({ "name": "p", "policy_type": "shell", "rules": { "deny": ["rm -rf *"], "allow": ["ls"] }, "severity": "block" }),
            "allow",
        ),
        (json!({ "name": "p", "policy_type": "teleport", "rules": {}, "severity": "block" }), "policy_type"),
        (
            json!({ "name": "p", "policy_type": "spend_cap", "rules": { "monthly_usd": 5.5 }, "severity": "loud" }),
            "severity",
        ),
    ];
    for (body, field) in cases {
        let (status, problem) = app.post("/v1/policies", t, body.clone()).await;
        assert_problem(status, &problem, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let named =
            problem["errors"].as_array().unwrap().iter().any(|e| {
                e["field"].as_str().unwrap().contains(field) || e["message"].as_str().unwrap().contains(field)
            });
        assert!(named, "{body}: {field} not named in {problem}");
    }

    let limit = policy(
        &app,
        t,
        "LLM calls",
        "rate_limit",
        json!({ "metric": "llm_calls", "max": 100, "per": "hour" }),
        "block",
    )
    .await;
    let team = app.create_team(&org, "Data").await;
    let team_path = format!("/v1/teams/{}/policies/{limit}", team["id"].as_str().unwrap());
    let (status, problem) = put(&app, &team_path, t, json!({ "overrides": { "domains": ["x.com"] } })).await;
    assert_problem(status, &problem, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(problem["errors"][0]["field"], "overrides.domains", "{problem}");
    let (status, problem) = put(&app, &team_path, t, json!({ "overrides": { "max": 0 } })).await;
    assert_problem(status, &problem, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let (status, problem) =
        put(&app, &format!("/v1/org/policies/{limit}"), t, json!({ "overrides": { "max": 5 } })).await;
    assert_problem(status, &problem, StatusCode::UNPROCESSABLE_ENTITY, "validation");
}

#[tokio::test]
async fn four_levels_combine_into_the_effective_set_with_sources() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("levels")).await;
    let t = &org.owner_token;
    let key = app.platform_key.clone();
    let (_, agent) = app
        .post(
            "/v1/catalog/agents",
            &key,
            json!({ "name": "Claude Code", "type": "claude-code", "provider": "Anthropic" }),
        )
        .await;
    let agent_id = agent["id"].as_str().unwrap();
    let team = app.create_team(&org, "Platform").await;
    let team_id = team["id"].as_str().unwrap();
    let dev = app.add_employee(&org, "dev@levels.example", "member", Some(team_id)).await;
    let dev_id = dev["id"].as_str().unwrap();

    // Platform: every Claude Code user gets "max 100 LLM calls/hour".
    let global_limit = policy(
        &app,
        &key,
        "Claude rate",
        "rate_limit",
        json!({ "metric": "llm_calls", "max": 100, "per": "hour" }),
        "warn",
    )
    .await;
    let (status, body) =
        put(&app, &format!("/v1/catalog/agents/{agent_id}/policies/{global_limit}"), &key, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Organization: no /etc access; Claude Code may not fetch from pastebin.
    let no_etc = policy(&app, t, "No /etc", "filesystem", json!({ "deny": ["/etc/**"] }), "block").await;
    put(&app, &format!("/v1/org/policies/{no_etc}"), t, json!({})).await;
    let no_paste =
        policy(&app, t, "No pastebin", "network", json!({ "deny_domains": ["pastebin.com"] }), "block").await;
    put(&app, &format!("/v1/catalog/agents/{agent_id}/policies/{no_paste}"), t, json!({})).await;
    // Team: a shell deny list. Employee: a tighter rate limit.
    let no_rm = policy(&app, t, "No rm -rf", "shell", json!({ "deny": ["rm -rf *"] }), "block").await;
    put(&app, &format!("/v1/teams/{team_id}/policies/{no_rm}"), t, json!({})).await;
    let tight =
        policy(&app, t, "Tight", "rate_limit", json!({ "metric": "llm_calls", "max": 20, "per": "hour" }), "block")
            .await;
    put(&app, &format!("/v1/employees/{dev_id}/policies/{tight}"), t, json!({})).await;

    let without_agent = effective(&app, &org, dev_id, None).await;
    let levels: Vec<&str> =
        without_agent["policies"].as_array().unwrap().iter().map(|p| p["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["org", "team", "employee"], "{without_agent}");
    let fs_deny = &without_agent["effective"]["filesystem"]["deny"][0];
    assert_eq!(fs_deny["value"], "/etc/**");
    assert_eq!(fs_deny["severity"], "block");
    assert_eq!(fs_deny["sources"][0]["level"], "org");
    assert_eq!(fs_deny["sources"][0]["policy_name"], "No /etc");
    assert_eq!(without_agent["effective"]["shell"][0]["sources"][0]["level"], "team");
    assert_eq!(without_agent["effective"]["rate_limits"][0]["max"], 20);

    let with_agent = effective(&app, &org, dev_id, Some(agent_id)).await;
    assert_eq!(with_agent["policies"].as_array().unwrap().len(), 5);
    assert_eq!(with_agent["effective"]["network"]["deny"][0]["value"], "pastebin.com");
    let limit = &with_agent["effective"]["rate_limits"][0];
    assert_eq!(limit["max"], 20, "the minimum wins");
    assert_eq!(limit["sources"][0]["level"], "employee");
    let applied = with_agent["policies"].as_array().unwrap().iter().find(|p| p["name"] == "Claude rate").unwrap();
    assert_eq!(applied["level"], "agent");
    assert_eq!(
        applied["enforcement"]["mechanisms"],
        json!(["monitored", "gateway"]),
        "a rate limit is counted from usage events; only a gateway could block calls"
    );

    // The member sees their own set, not a colleague's.
    let (_, member) = app.add_signed_in(&org, "m@levels.example", "member").await;
    let (status, _) = app.get(&format!("/v1/employees/{dev_id}/effective-policies"), &member).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, me) = app.get("/v1/me", &member).await;
    let (status, _) =
        app.get(&format!("/v1/employees/{}/effective-policies", me["employee"]["id"].as_str().unwrap()), &member).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn team_overrides_change_only_that_team_and_removing_them_restores_the_org_value() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("override")).await;
    let t = &org.owner_token;
    let data = app.create_team(&org, "Data").await;
    let web = app.create_team(&org, "Web").await;
    let (data_id, web_id) = (data["id"].as_str().unwrap(), web["id"].as_str().unwrap());
    let analyst = app.add_employee(&org, "a@override.example", "member", Some(data_id)).await;
    let designer = app.add_employee(&org, "d@override.example", "member", Some(web_id)).await;
    let (analyst, designer) = (analyst["id"].as_str().unwrap(), designer["id"].as_str().unwrap());
    let limit = policy(
        &app,
        t,
        "LLM calls",
        "rate_limit",
        json!({ "metric": "llm_calls", "max": 100, "per": "hour" }),
        "block",
    )
    .await;
    put(&app, &format!("/v1/org/policies/{limit}"), t, json!({})).await;

    let analyst_before = effective(&app, &org, analyst, None).await;
    let designer_before = effective(&app, &org, designer, None).await;
    assert_eq!(analyst_before["effective"]["rate_limits"][0]["max"], 100);

    let (status, link) =
        put(&app, &format!("/v1/teams/{data_id}/policies/{limit}"), t, json!({ "overrides": { "max": 500 } })).await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let analyst_after = effective(&app, &org, analyst, None).await;
    let limit_after = &analyst_after["effective"]["rate_limits"][0];
    assert_eq!(limit_after["max"], 500, "the team's override applies to its members");
    assert_eq!(limit_after["sources"][0]["level"], "team");
    assert_eq!(limit_after["sources"][0]["overridden"], true);
    assert_ne!(analyst_after["digest"], analyst_before["digest"], "the digest follows the set");
    assert_eq!(
        effective(&app, &org, designer, None).await["digest"],
        designer_before["digest"],
        "other teams unchanged"
    );

    let (status, _) = app.delete(&format!("/v1/teams/{data_id}/policies/{limit}"), t).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let restored = effective(&app, &org, analyst, None).await;
    assert_eq!(restored["effective"]["rate_limits"][0]["max"], 100);
    assert_eq!(restored["digest"], analyst_before["digest"], "removing the override restores the org value");
}

#[tokio::test]
async fn changing_an_agents_policies_changes_every_affected_employee() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("agentpol")).await;
    let t = &org.owner_token;
    let (_, agent) =
        app.post("/v1/catalog/agents", t, json!({ "name": "Codex", "type": "codex", "provider": "OpenAI" })).await;
    let agent_id = agent["id"].as_str().unwrap();
    let a = app.add_employee(&org, "a@agentpol.example", "member", None).await;
    let b = app.add_employee(&org, "b@agentpol.example", "member", None).await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let before = [effective(&app, &org, a, Some(agent_id)).await, effective(&app, &org, b, Some(agent_id)).await];
    let models = policy(&app, t, "Models", "models", json!({ "allowed": ["gpt-5-codex"] }), "block").await;
    put(&app, &format!("/v1/catalog/agents/{agent_id}/policies/{models}"), t, json!({})).await;
    for (employee, before) in [a, b].iter().zip(&before) {
        let after = effective(&app, &org, employee, Some(agent_id)).await;
        assert_ne!(after["digest"], before["digest"]);
        assert_eq!(after["effective"]["models"][0]["value"], "gpt-5-codex");
    }
    // The policy and the agent are in use: neither can be deleted until detached.
    let (status, body) = app.delete(&format!("/v1/policies/{models}"), t).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "entry_in_use");
    let (status, body) = app.delete(&format!("/v1/catalog/agents/{agent_id}"), t).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "entry_in_use");
    app.delete(&format!("/v1/catalog/agents/{agent_id}/policies/{models}"), t).await;
    let (status, _) = app.delete(&format!("/v1/policies/{models}"), t).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Editing an attached policy's rules changes the set too.
    let shell = policy(&app, t, "Shell", "shell", json!({ "deny": ["curl *"] }), "warn").await;
    put(&app, &format!("/v1/org/policies/{shell}"), t, json!({})).await;
    let before = effective(&app, &org, a, None).await;
    let (status, _) =
        app.patch(&format!("/v1/policies/{shell}"), t, json!({ "rules": { "deny": ["curl *", "wget *"] } })).await;
    assert_eq!(status, StatusCode::OK);
    let after = effective(&app, &org, a, None).await;
    assert_ne!(after["digest"], before["digest"]);
    assert_eq!(after["effective"]["shell"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn policies_and_attachments_of_one_org_are_invisible_to_another() {
    let app = TestApp::spawn().await;
    let (a, b) = (app.create_org(&slug("pol-a")).await, app.create_org(&slug("pol-b")).await);
    let secret = policy(&app, &a.owner_token, "A only", "shell", json!({ "deny": ["scp *"] }), "block").await;
    put(&app, &format!("/v1/org/policies/{secret}"), &a.owner_token, json!({})).await;
    let a_employee = app.add_employee(&a, "e@pol-a.example", "member", None).await;

    let (status, body) = app.get(&format!("/v1/policies/{secret}"), &b.owner_token).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = put(&app, &format!("/v1/org/policies/{secret}"), &b.owner_token, json!({})).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (_, listed) = app.get("/v1/policies", &b.owner_token).await;
    assert_eq!(listed["items"], json!([]));
    let (_, links) = app.get("/v1/org/policies", &b.owner_token).await;
    assert_eq!(links, json!([]));
    let (status, _) = app
        .get(&format!("/v1/employees/{}/effective-policies", a_employee["id"].as_str().unwrap()), &b.owner_token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn teams_and_employees_with_policies_are_not_deleted_from_under_them() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("poldel")).await;
    let t = &org.owner_token;
    let team = app.create_team(&org, "Ops").await;
    let team_id = team["id"].as_str().unwrap();
    let employee = app.add_employee(&org, "e@poldel.example", "member", None).await;
    let employee_id = employee["id"].as_str().unwrap();
    let shell = policy(&app, t, "Shell", "shell", json!({ "deny": ["sudo *"] }), "block").await;
    put(&app, &format!("/v1/teams/{team_id}/policies/{shell}"), t, json!({})).await;
    put(&app, &format!("/v1/employees/{employee_id}/policies/{shell}"), t, json!({})).await;

    let (status, body) = app.delete(&format!("/v1/teams/{team_id}"), t).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "team_has_policies");
    app.patch(&format!("/v1/employees/{employee_id}"), t, json!({ "status": "deactivated" })).await;
    let (status, body) = app.delete(&format!("/v1/employees/{employee_id}"), t).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "employee_has_configurations");

    app.delete(&format!("/v1/teams/{team_id}/policies/{shell}"), t).await;
    app.delete(&format!("/v1/employees/{employee_id}/policies/{shell}"), t).await;
    let (status, _) = app.delete(&format!("/v1/teams/{team_id}"), t).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.delete(&format!("/v1/employees/{employee_id}"), t).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, read) = app.get(&format!("/v1/policies/{shell}"), t).await;
    assert_eq!(read["ref_count"], 0, "every attachment released its reference");
}

#[tokio::test]
async fn a_scopes_policies_are_bounded_in_size_with_a_clear_error() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("bounded")).await;
    let t = &org.owner_token;
    let rules = |entries: usize| {
        let deny: Vec<String> = (0..entries).map(|i| format!("/{i:03}/{}", "a".repeat(490))).collect();
        json!({ "deny": deny })
    };
    let policy = |name: String, rules: Value| json!({ "name": name, "policy_type": "filesystem", "rules": rules, "severity": "warn" });

    let (status, body) = app.post("/v1/policies", t, policy("huge".into(), rules(70))).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(body["errors"][0]["field"], "rules", "{body}");

    let mut created = 0;
    let refused = loop {
        let (status, body) = app.post("/v1/policies", t, policy(format!("large {created}"), rules(60))).await;
        if status != StatusCode::CREATED {
            break (status, body);
        }
        created += 1;
        assert!(created < 20, "the scope never filled up");
    };
    assert_problem(refused.0, &refused.1, StatusCode::CONFLICT, "policy_space_exhausted");
    assert_eq!(created, 8, "256 KB hold eight policies of 30 KB");
    // Deleting one makes room again.
    let (_, page) = app.get("/v1/policies?scope=org&limit=1", t).await;
    let (status, _) = app.delete(&format!("/v1/policies/{}", page["items"][0]["id"].as_str().unwrap()), t).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.post("/v1/policies", t, policy("large again".into(), rules(60))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
