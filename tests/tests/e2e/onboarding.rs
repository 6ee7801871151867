//! A company onboarded the way issues 25 and 27 ask: a thousand people provisioned by the
//! identity provider (SCIM), their teams from its `department`, an "All employees"
//! group that grows past 1,000 one PATCH at a time and an "On-call" group overlapping
//! it, and everything assigned in a handful of actions of an admin in the console (which
//! calls the domain as the API does), whatever the headcount.
//! Every person's bundle is then read, through the same domain function the sync route
//! calls, and the team analytics count the departments.

use std::collections::BTreeSet;

use agentctl_shared::auth::Caller;
use agentctl_shared::domain::sync::{self, Sync};
use agentctl_shared::roles::RoleName;
use agentctl_tests::TestApp;
use futures::{StreamExt, TryStreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// People provisioned before the groups, and hires added one at a time after.
const PEOPLE: usize = 1_000;
const HIRES: usize = 10;
const ON_CALL: usize = 250;
const DEPARTMENTS: [&str; 5] = ["Platform", "Data", "Mobile", "Web", "Security"];
/// SCIM requests in flight at once, as a provider's provisioning runs.
const IN_FLIGHT: usize = 8;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

struct Scim<'a> {
    app: &'a TestApp,
    token: String,
}

impl Scim<'_> {
    async fn send(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        let mut request = self.app.request(method, &format!("/scim/v2{path}"), Some(&self.token));
        if !body.is_null() {
            request = request.header("content-type", "application/scim+json").body(body.to_string());
        }
        agentctl_tests::read(request.send().await.unwrap()).await
    }

    /// A new User in the department `n` falls in; its id.
    async fn hire(&self, n: usize) -> String {
        let email = format!("person{n}@onboard.example");
        let body = json!({
            "schemas": [USER, ENTERPRISE], "userName": email, "externalId": format!("idp-{n}"),
            "emails": [{ "value": email, "primary": true }],
            "name": { "givenName": "Person", "familyName": n.to_string() },
            ENTERPRISE: { "department": DEPARTMENTS[n % DEPARTMENTS.len()] },
        });
        let (status, user) = self.send(Method::POST, "/Users", body).await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        user["id"].as_str().unwrap().to_string()
    }

    async fn group(&self, name: &str) -> String {
        let body = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name });
        let (status, group) = self.send(Method::POST, "/Groups", body).await;
        assert_eq!(status, StatusCode::CREATED, "{group}");
        group["id"].as_str().unwrap().to_string()
    }

    async fn add_members(&self, group: &str, ids: &[String]) {
        let members: Vec<Value> = ids.iter().map(|id| json!({ "value": id })).collect();
        let body = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{ "op": "add", "path": "members", "value": members }] });
        let (status, answer) = self.send(Method::PATCH, &format!("/Groups/{group}"), body).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    }

    async fn group_size(&self, group: &str) -> usize {
        let (_, found) = self.send(Method::GET, &format!("/Groups/{group}?attributes=members"), Value::Null).await;
        found["members"].as_array().map_or(0, Vec::len)
    }
}

/// The admin in the console, every request counted (pages read and forms sent).
struct Admin<'a> {
    browser: crate::console::Browser<'a>,
    csrf: String,
    actions: usize,
}

impl Admin<'_> {
    async fn open(&mut self, path: &str) -> String {
        self.actions += 1;
        let page = self.browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        page.body
    }

    async fn send(&mut self, path: &str, form: &[(&str, &str)]) -> String {
        self.actions += 1;
        let form: Vec<(&str, &str)> = form.iter().copied().chain([("csrf", self.csrf.as_str())]).collect();
        let answer = self.browser.post(path, &form).await;
        assert!(answer.status.is_success(), "{path}: {} {}", answer.status, answer.body);
        answer.body
    }
}

/// The value of the checkbox `name` labelled `label` on a console page.
fn checkbox(page: &str, name: &str, label: &str) -> String {
    let at = page.find(&format!("> {label}<")).unwrap_or_else(|| panic!("no {label:?}"));
    let input = &page[..at];
    let start = input.rfind(&format!(r#"name="{name}" value=""#)).unwrap_or_else(|| panic!("no {name} {label}"));
    input[start..].split('"').nth(3).unwrap().to_string()
}

#[tokio::test]
async fn a_thousand_people_onboard_through_scim_in_a_handful_of_console_actions() {
    let app = TestApp::spawn_alone(0).await;
    // The platform's catalog and the organization (the operator's calls, not the company's).
    let platform = app.platform_key.clone();
    for (name, kind) in [("Claude Code", "claude-code"), ("Codex", "codex"), ("Gemini CLI", "gemini-cli")] {
        let body = json!({ "name": name, "type": kind, "provider": "Vendor" });
        assert_eq!(app.post("/v1/catalog/agents", &platform, body).await.0, StatusCode::CREATED);
    }
    for name in ["GitHub", "Linear", "Sentry", "Notion", "PagerDuty"] {
        let url = format!("https://mcp.{}.example/mcp", name.to_lowercase());
        let body = json!({ "name": name, "provider": name, "version": "1", "transport": "http", "url": url });
        assert_eq!(app.post("/v1/catalog/mcp-servers", &platform, body).await.0, StatusCode::CREATED);
    }
    let org = app.create_org("onboard").await;
    let limit = json!({ "max_employees": PEOPLE + HIRES + 1 });
    let (status, _) = app.call(Method::PATCH, &format!("/v1/orgs/{}", org.id), Some(&platform), Some(limit)).await;
    assert_eq!(status, StatusCode::OK);

    // Console actions 1-2: signing in, a token for the identity provider (shown once).
    let code = app.issue_code(&org, &org.owner_id).await;
    let browser = crate::console::Browser::sign_in(&app, &code).await;
    let csrf = browser.csrf("/console/settings").await;
    let mut admin = Admin { browser, csrf, actions: 1 };
    let made = admin.send("/console/settings/scim-tokens", &[("name", "IdP")]).await;
    let token = format!("acx_{}", crate::console::between(&made, "acx_", "<"));
    let scim = Scim { app: &app, token };

    // The provider provisions everyone, then its groups.
    let people: Vec<String> = futures::stream::iter(0..PEOPLE)
        .map(|n| {
            let scim = &scim;
            async move { Ok::<_, ()>(scim.hire(n).await) }
        })
        .buffered(IN_FLIGHT)
        .try_collect()
        .await
        .unwrap();
    let everyone = scim.group("All employees").await;
    let on_call = scim.group("On-call").await;
    for chunk in people.chunks(100) {
        scim.add_members(&everyone, chunk).await;
    }
    scim.add_members(&on_call, &people[..ON_CALL]).await;

    // Console actions 3-5: the assignment form (the groups, agents and servers to
    // choose from), then everything assigned to the two groups in two submissions.
    let form = admin.open("/console/assignments").await;
    let choose = |group: &str, agents: &[&str], servers: &[&str]| {
        let mut fields = vec![("target", checkbox(&form, "target", group)), ("approve", "yes".to_string())];
        fields.extend(agents.iter().map(|a| ("agent", checkbox(&form, "agent", a))));
        fields.extend(servers.iter().map(|s| ("server", checkbox(&form, "server", s))));
        fields
    };
    let for_everyone = choose("All employees", &["Claude Code", "Codex"], &["GitHub", "Linear", "Sentry", "Notion"]);
    let for_on_call = choose("On-call", &["Gemini CLI"], &["PagerDuty"]);
    for (fields, expected) in [
        (for_everyone, "6 assigned, 0 already were, 0 refused"),
        (for_on_call, "2 assigned, 0 already were, 0 refused"),
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let result = admin.send("/console/assignments", &fields).await;
        assert!(result.contains(expected), "{expected}: {result}");
    }

    // New hires after the assignments: the group passes 1,000 one PATCH each, no admin.
    let mut hires = Vec::new();
    for n in PEOPLE..PEOPLE + HIRES {
        let id = scim.hire(n).await;
        scim.add_members(&everyone, std::slice::from_ref(&id)).await;
        hires.push(id);
    }
    assert_eq!(scim.group_size(&everyone).await, PEOPLE + HIRES);
    assert_eq!(scim.group_size(&on_call).await, ON_CALL, "groups overlap: on-call people stayed in both");
    assert!(admin.actions <= 10, "{} console actions", admin.actions);

    // Every bundle: everyone has what "All employees" got, the on-call people more.
    let org_id = org.id.parse().unwrap();
    let everyone_ids: Vec<String> = people.iter().chain(&hires).cloned().collect();
    let bundles: Vec<(String, Value)> = futures::stream::iter(everyone_ids)
        .map(|id| {
            let (app, caller) = (&app, Caller::acting_as(org_id, id.parse().unwrap(), RoleName::Member));
            async move {
                let Sync::Bundle { bundle, .. } = sync::sync(&app.state, &caller, None, None).await.unwrap() else {
                    unreachable!("no ETag was sent")
                };
                Ok::<_, ()>((id, serde_json::to_value(&bundle).unwrap()))
            }
        })
        .buffered(IN_FLIGHT)
        .try_collect()
        .await
        .unwrap();
    let names = |list: &Value| -> BTreeSet<String> {
        list.as_array().unwrap().iter().map(|item| item["name"].as_str().unwrap().to_string()).collect()
    };
    let set = |names: &[&str]| -> BTreeSet<String> { names.iter().map(|n| n.to_string()).collect() };
    let on_call_people: BTreeSet<&String> = people[..ON_CALL].iter().collect();
    for (id, bundle) in &bundles {
        let (agents, servers) = if on_call_people.contains(id) {
            (set(&["Claude Code", "Codex", "Gemini CLI"]), set(&["GitHub", "Linear", "Sentry", "Notion", "PagerDuty"]))
        } else {
            (set(&["Claude Code", "Codex"]), set(&["GitHub", "Linear", "Sentry", "Notion"]))
        };
        assert_eq!((names(&bundle["agents"]), names(&bundle["mcp_servers"])), (agents, servers), "{id}");
    }

    // The departments are the teams analytics count; the groups decide nobody's team.
    let (status, usage) = app.get("/v1/usage/teams", &org.owner_token).await;
    assert_eq!(status, StatusCode::OK, "{usage}");
    let per_team: Vec<(String, u64)> = usage["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["team_name"].as_str().unwrap().to_string(), t["employee_count"].as_u64().unwrap()))
        .collect();
    let share = ((PEOPLE + HIRES) / DEPARTMENTS.len()) as u64;
    for department in DEPARTMENTS {
        assert!(per_team.contains(&(department.to_string(), share)), "{department}: {per_team:?}");
    }
    assert!(per_team.contains(&("All employees".to_string(), 0)), "{per_team:?}");
}
