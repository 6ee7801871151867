//! The admin console over HTTP, as a browser sends it: its session cookie and what the
//! pages carry (security headers, CSRF tokens, escaping), what each role sees, other
//! organizations' ids, sessions that end. The browser itself drives it in
//! `browser.rs`.

use agentctl_tests::{Org, TestApp, slug};
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode, redirect};
use serde_json::{Value, json};

/// A browser without JavaScript: cookies by hand, redirects not followed.
pub struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookie: Option<String>,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(redirect::Policy::none()).build().unwrap();
        Self { app, client, cookie: None }
    }

    /// Signs in with an enrollment code, keeping the session cookie.
    pub async fn sign_in(app: &'a TestApp, code: &str) -> Self {
        let mut browser = Self::new(app);
        let answer = browser.post("/console/login/code", &[("code", code)]).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.headers[LOCATION], "/console");
        let cookie = answer.headers[SET_COOKIE].to_str().unwrap().to_string();
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        let value = cookie.split(';').next().unwrap().to_string();
        assert!(value.starts_with("agentctl_console=acs_"), "{cookie}");
        browser.cookie = Some(value);
        browser
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let request = match &self.cookie {
            Some(cookie) => request.header(COOKIE, cookie),
            None => request,
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        Answer { status, headers, body: response.text().await.unwrap() }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.client.get(format!("{}{path}", self.app.url))).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let request =
            self.client.post(format!("{}{path}", self.app.url)).form(form).header("sec-fetch-site", "same-origin");
        self.send(request).await
    }

    /// The CSRF token the page at `path` carries.
    pub async fn csrf(&self, path: &str) -> String {
        let page = self.get(path).await;
        let (_, rest) = page.body.split_once(r#"name="csrf" value=""#).expect("a CSRF field");
        rest.split('"').next().unwrap().to_string()
    }
}

/// An organization and a signed-in console browser of one of its people of `role`.
async fn signed_in<'a>(app: &'a TestApp, org: &Org, email: &str, role: &str) -> (Value, Browser<'a>) {
    let employee = app.add_employee(org, &format!("{email}@{}.example", org.slug), role, None).await;
    let code = app.issue_code(org, employee["id"].as_str().unwrap()).await;
    (employee.clone(), Browser::sign_in(app, &code).await)
}

/// A pending budget request filed by a new member; its id.
async fn budget_request(app: &TestApp, org: &Org) -> String {
    let (_, token) = app.add_signed_in(org, &format!("asker-{}@{}.example", slug("a"), org.slug), "member").await;
    let body = json!({ "request_type": "increase_budget", "request_data": { "amount_usd": "1500" }, "reason": "a bigger team" });
    let (status, request) = app.post("/v1/requests", &token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    request["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_owner_signs_in_reads_every_page_and_decides_with_the_csrf_token() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("console")).await;
    let request = budget_request(&app, &org).await;
    // Budget requests are decided by billing or an owner.
    let (admin, browser) = signed_in(&app, &org, "alice", "owner").await;

    for path in [
        "/console",
        "/console/approvals",
        "/console/people",
        "/console/activity",
        &format!("/console/approvals/{request}"),
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        let policy = page.headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
        for directive in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert!(!page.body.contains("style=\""), "{path}: an inline style the policy would block");
        assert_eq!(page.headers[CACHE_CONTROL], "no-store", "{path}");
        assert_eq!(page.headers["x-frame-options"], "DENY", "{path}");
    }
    // The activity page's export link streams the log as CSV.
    let activity = browser.get("/console/activity").await.body;
    let link = format!(
        "/console/activity/export?{}",
        between(&activity, "/console/activity/export?", "\"").replace("&amp;", "&")
    );
    let export = browser.get(&link).await;
    assert_eq!(export.status, StatusCode::OK, "{link}: {}", export.body);
    assert!(export.headers["content-type"].to_str().unwrap().starts_with("text/csv"), "{link}");
    assert!(export.body.contains("request.submitted"), "{}", export.body);
    let overview = browser.get("/console").await.body;
    assert!(overview.contains("Budget this period") && overview.contains("$1000"), "{overview}");
    assert!(overview.contains(&format!("/console/approvals/{request}")), "the pending request is on the overview");

    // The console's session is listed like any other, with its device name.
    let (_, sessions) =
        app.get(&format!("/v1/employees/{}/sessions", admin["id"].as_str().unwrap()), &org.owner_token).await;
    assert_eq!(sessions["items"][0]["device_name"], "Web console", "{sessions}");

    // A decision without the page's token, or from another site, is refused and changes nothing.
    let path = format!("/console/approvals/{request}");
    assert_eq!(browser.post(&path, &[("decision", "approve")]).await.status, StatusCode::FORBIDDEN);
    let csrf = browser.csrf(&path).await;
    let cross_site = browser
        .send(
            browser
                .client
                .post(format!("{}{path}", app.url))
                .form(&[("decision", "approve"), ("csrf", &csrf)])
                .header("sec-fetch-site", "cross-site"),
        )
        .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    let (_, pending) = app.get(&format!("/v1/requests/{request}"), &org.owner_token).await;
    assert_eq!(pending["status"], "pending", "{pending}");

    let decided = browser.post(&path, &[("decision", "approve"), ("comment", "welcome aboard"), ("csrf", &csrf)]).await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
    let (_, approved) = app.get(&format!("/v1/requests/{request}"), &org.owner_token).await;
    assert_eq!(approved["status"], "approved", "{approved}");
    let (_, subscription) = app.get("/v1/org/subscription", &org.owner_token).await;
    assert_eq!(subscription["monthly_budget_usd"], "2500", "the budget grew by the request's amount: {subscription}");
    // Deciding again shows the domain's problem on the page, and no form.
    let again = browser.post(&path, &[("decision", "approve"), ("csrf", &csrf)]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(again.body.contains("role=\"alert\"") && !again.body.contains("name=\"decision\""), "{}", again.body);
}

#[tokio::test]
async fn each_role_sees_only_what_it_may_and_other_orgs_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("roles")).await;
    let other = app.create_org(&slug("other")).await;
    let foreign_request = budget_request(&app, &other).await;
    let (_, member) = signed_in(&app, &org, "erin", "member").await;
    let (_, admin) = signed_in(&app, &org, "alice", "admin").await;

    let overview = member.get("/console").await;
    assert_eq!(overview.status, StatusCode::OK);
    for hidden in ["/console/people", "/console/approvals", "/console/activity", "Budget this period"] {
        assert!(!overview.body.contains(hidden), "a member's overview shows {hidden}");
    }
    for path in ["/console/people", "/console/approvals", "/console/activity"] {
        assert_eq!(member.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(member.get(&format!("/console/people/{}", org.owner_id)).await.status, StatusCode::FORBIDDEN);

    for path in [format!("/console/approvals/{foreign_request}"), format!("/console/people/{}", other.owner_id)] {
        let page = admin.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
        assert!(!page.body.contains(&other.slug), "{path}");
    }
    assert_eq!(admin.get("/console/people/not-an-id").await.status, StatusCode::NOT_FOUND);
    assert_eq!(admin.get("/console/people?status=nonsense").await.status, StatusCode::BAD_REQUEST);
    // Another organization's request cannot be decided from this one.
    let csrf = admin.csrf("/console/approvals").await;
    let path = format!("/console/approvals/{foreign_request}");
    assert_eq!(admin.post(&path, &[("decision", "approve"), ("csrf", &csrf)]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn names_show_as_text_and_ended_sessions_are_sent_to_sign_in() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("escape")).await;
    let body = json!({ "email": format!("x@{}.example", org.slug), "full_name": "<script>alert(1)</script> & \"Bob\"", "role": "member" });
    let (status, hostile) = app.post("/v1/employees", &org.owner_token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{hostile}");
    let (admin_employee, admin) = signed_in(&app, &org, "alice", "admin").await;

    for path in ["/console/people".to_string(), format!("/console/people/{}", hostile["id"].as_str().unwrap())] {
        let page = admin.get(&path).await.body;
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Bob&quot;"), "{path}: {page}");
        assert!(!page.contains("<script>alert"), "{path}");
    }

    // The owner ends every session of the admin: the console's next page is the sign-in.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/v1/employees/{}/sessions", admin_employee["id"].as_str().unwrap()),
            Some(&org.owner_token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status}");
    let page = admin.get("/console").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.headers[LOCATION], "/console/login");

    // Signing out ends the session for the API too.
    let (_, carol) = signed_in(&app, &org, "carol", "admin").await;
    let csrf = carol.csrf("/console").await;
    let out = carol.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.headers[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    let token = carol.cookie.as_deref().unwrap().trim_start_matches("agentctl_console=");
    let (status, _) = app.get("/v1/me", token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A used or unknown code is refused on the sign-in page, with its reason.
    let refused = Browser::new(&app).post("/console/login/code", &[("code", "ace_unknown")]).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert!(refused.body.contains("invalid, used or expired"), "{}", refused.body);
    // The page keeps its single sign-on form working: it sends people on to their provider.
    let policy = refused.headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(!policy.contains("form-action") && policy.contains("script-src 'self'"), "{policy}");
}

/// The console's rows of the authorization matrix: every page as every role, allowed
/// exactly when the role holds the section's permission.
#[tokio::test]
async fn every_page_for_every_role_follows_its_permissions() {
    use agentctl_shared::Name;
    use agentctl_shared::roles::{Permission, RoleName, default_permissions};
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("matrix")).await;
    let request = budget_request(&app, &org).await;
    let pages = [
        ("/console".to_string(), None),
        ("/console/approvals".to_string(), Some(Permission::RequestsDecide)),
        ("/console/people".to_string(), Some(Permission::EmployeesRead)),
        (format!("/console/people/{}", org.owner_id), Some(Permission::EmployeesRead)),
        ("/console/activity".to_string(), Some(Permission::ActivityRead)),
        ("/console/assignments".to_string(), Some(Permission::EmployeesRead)),
        ("/console/catalog".to_string(), Some(Permission::CatalogRead)),
        ("/console/fleet".to_string(), Some(Permission::EmployeesRead)),
        ("/console/usage".to_string(), Some(Permission::UsageRead)),
        ("/console/settings".to_string(), Some(Permission::SubscriptionRead)),
        ("/console/policies".to_string(), Some(Permission::PoliciesRead)),
        ("/console/policies/new?type=shell".to_string(), Some(Permission::PoliciesWrite)),
        ("/console/teams".to_string(), Some(Permission::TeamsRead)),
        ("/console/settings/webhooks".to_string(), Some(Permission::OrgWrite)),
        ("/console/settings/prices".to_string(), Some(Permission::UsageRead)),
    ];
    for role in [RoleName::Owner, RoleName::Admin, RoleName::Billing, RoleName::Manager, RoleName::Member] {
        let (_, browser) = signed_in(&app, &org, &format!("someone-{}", role.as_str()), role.as_str()).await;
        let permissions = default_permissions(role);
        for (path, needs) in &pages {
            let allowed = needs.is_none_or(|p| permissions.contains(&p));
            let expected = if allowed { StatusCode::OK } else { StatusCode::FORBIDDEN };
            assert_eq!(browser.get(path).await.status, expected, "{} {path}", role.as_str());
        }
        // A request is shown to whoever decides it (billing and owners, by default); to
        // anyone else it does not exist.
        let decides = matches!(role, RoleName::Owner | RoleName::Billing);
        let page = browser.get(&format!("/console/approvals/{request}")).await;
        let expected = if decides { StatusCode::OK } else { StatusCode::NOT_FOUND };
        assert_eq!(page.status, expected, "{} a request", role.as_str());
    }
}

/// The words between `start` and the next `end` of a page.
pub fn between<'p>(page: &'p str, start: &str, end: &str) -> &'p str {
    let (_, rest) = page.split_once(start).unwrap_or_else(|| panic!("no {start:?} in {page}"));
    rest.split(end).next().unwrap()
}

#[tokio::test]
async fn an_owner_onboards_the_organization_in_a_handful_of_console_actions() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("onboard")).await;
    let t = &org.owner_token;
    // What the catalog holds already (the platform's global entries, or the organization's).
    let (status, agent) = app
        .post("/v1/catalog/agents", t, json!({ "name": "Coder", "type": "claude-code", "provider": "anthropic" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let server = json!({ "name": "docs", "provider": "Acme", "version": "1", "transport": "http", "url": "https://docs.example/mcp" });
    let (status, server) = app.post("/v1/catalog/mcp-servers", t, server).await;
    assert_eq!(status, StatusCode::CREATED, "{server}");

    // 1: sign in.
    let (_, owner) = signed_in(&app, &org, "olga", "owner").await;
    let csrf = owner.csrf("/console/settings").await;
    // 2: a SCIM token for the identity provider, shown once.
    let made = owner.post("/console/settings/scim-tokens", &[("name", "Okta"), ("csrf", &csrf)]).await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let token = format!("acx_{}", between(&made.body, "acx_", "<"));
    assert!(!owner.get("/console/settings").await.body.contains(&token), "the token is shown once");
    // 3: every agent and server to the whole organization, approving the server.
    let (agent_id, server_id) = (agent["id"].as_str().unwrap(), server["id"].as_str().unwrap());
    let assigned = owner
        .post(
            "/console/assignments",
            &[
                ("target", "organization"),
                ("agent", agent_id),
                ("server", server_id),
                ("approve", "yes"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);
    assert!(assigned.body.contains("2 assigned, 0 already were, 0 refused; 1 server(s) approved"), "{}", assigned.body);
    // Again: nothing new, nothing refused (the form can be sent twice).
    let again =
        owner.post("/console/assignments", &[("target", "organization"), ("agent", agent_id), ("csrf", &csrf)]).await;
    assert!(again.body.contains("0 assigned, 1 already were"), "{}", again.body);

    // The identity provider provisions a new hire, whose first sync has both.
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("nina@{}.example", org.slug),
        "name": { "givenName": "Nina", "familyName": "New" },
        "emails": [{ "value": format!("nina@{}.example", org.slug), "primary": true }],
        "active": true,
    });
    let response = app.request(Method::POST, "/scim/v2/Users", Some(&token)).json(&user).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let (_, people) = app.get("/v1/employees", t).await;
    let nina = people["items"].as_array().unwrap().iter().find(|e| e["full_name"] == "Nina New").expect("provisioned");
    let nina_token = app.enroll_and_login(&org, nina["id"].as_str().unwrap()).await;
    let (_, bundle) = app.get("/v1/me/sync", &nina_token).await;
    assert_eq!(bundle["agents"].as_array().unwrap().len(), 1, "{bundle}");
    assert_eq!(bundle["mcp_servers"].as_array().unwrap().len(), 1, "{bundle}");

    // The assignment is listed and can be removed.
    let page = owner.get("/console/assignments").await.body;
    let remove = format!("/console/assignments/{}/delete", between(&page, "action=\"/console/assignments/", "/delete"));
    assert_eq!(owner.post(&remove, &[("csrf", &csrf)]).await.status, StatusCode::SEE_OTHER);

    // A budget the domain refuses is shown beside its form; a good one is saved.
    let bad = owner.post("/console/settings/budget", &[("monthly_budget_usd", "1e3"), ("csrf", &csrf)]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("monthly_budget_usd"), "{}", bad.body);
    let good = owner.post("/console/settings/budget", &[("monthly_budget_usd", "7500.00"), ("csrf", &csrf)]).await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
    let (_, subscription) = app.get("/v1/org/subscription", t).await;
    assert_eq!(subscription["monthly_budget_usd"], "7500", "{subscription}");
    // An identity provider that cannot be reached is refused with the reason.
    let idp = [
        ("issuer", "https://127.0.0.1:9/"),
        ("client_id", "agentctl"),
        ("client_secret", "s"),
        ("allowed_domains", "acme.example"),
        ("csrf", &csrf),
    ];
    let refused = owner.post("/console/settings/identity-provider", &idp).await;
    assert!(refused.status.is_client_error(), "{}: {}", refused.status, refused.body);
    assert!(refused.body.contains("role=\"alert\""), "{}", refused.body);
}

#[tokio::test]
async fn an_admin_invites_issues_a_code_changes_a_role_and_reads_the_effective_policy() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("people")).await;
    let policy = json!({ "name": "Protect keys", "policy_type": "filesystem", "rules": { "deny": ["~/.ssh/**"] }, "severity": "block" });
    let (status, policy) = app.post("/v1/policies", &org.owner_token, policy).await;
    assert_eq!(status, StatusCode::CREATED, "{policy}");
    let (status, attached) = app
        .call(
            Method::PUT,
            &format!("/v1/org/policies/{}", policy["id"].as_str().unwrap()),
            Some(&org.owner_token),
            Some(json!({})),
        )
        .await;
    assert!(status.is_success(), "{attached}");
    let (_, admin) = signed_in(&app, &org, "alice", "admin").await;
    let csrf = admin.csrf("/console/people").await;

    // Invite: a bad email is shown beside the form; a good one leads to the person's page.
    let email = format!("newbie@{}.example", org.slug);
    let bad = admin
        .post(
            "/console/people",
            &[("email", "not-an-email"), ("full_name", "New Bie"), ("role", "member"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("email"), "{}", bad.body);
    let invited = admin
        .post("/console/people", &[("email", &email), ("full_name", "New Bie"), ("role", "member"), ("csrf", &csrf)])
        .await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.body);
    let person = invited.headers[LOCATION].to_str().unwrap().to_string();

    // A code, shown once, that signs the person in.
    let issued = admin.post(&format!("{person}/enrollment-code"), &[("csrf", &csrf)]).await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
    let code = format!("ace_{}", between(&issued.body, "ace_", "<"));
    assert!(!admin.get(&person).await.body.contains(&code), "the code is shown once");
    let token = app.login(&code).await;
    assert!(!token.is_empty());

    // The effective policy names its source and what each client enforces.
    let page = admin.get(&person).await.body;
    assert!(page.contains("Protect keys") && page.contains("claude-code") && page.contains("enforced"), "{page}");

    // Role and status: an admin may make a manager, not an owner (shown, nothing changed).
    let promoted = admin.post(&person, &[("role", "manager"), ("status", "active"), ("csrf", &csrf)]).await;
    assert_eq!(promoted.status, StatusCode::SEE_OTHER, "{}", promoted.body);
    let owner = admin.post(&person, &[("role", "owner"), ("status", "active"), ("csrf", &csrf)]).await;
    assert_eq!(owner.status, StatusCode::FORBIDDEN, "{}", owner.body);
    assert!(owner.body.contains("role=\"alert\""), "{}", owner.body);
    let id = person.trim_start_matches("/console/people/");
    let (_, employee) = app.get(&format!("/v1/employees/{id}"), &org.owner_token).await;
    assert_eq!(employee["role"], "manager", "{employee}");
    // Suspending ends their sessions at once.
    let suspended = admin.post(&person, &[("role", "manager"), ("status", "suspended"), ("csrf", &csrf)]).await;
    assert_eq!(suspended.status, StatusCode::SEE_OTHER, "{}", suspended.body);
    let (status, _) = app.get("/v1/me", &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn usage_reads_any_range_and_exports_it() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("usage")).await;
    let (_, billing) = signed_in(&app, &org, "bob", "billing").await;
    let today = chrono::Utc::now().date_naive();
    let from = (today - chrono::Duration::days(40)).to_string();
    let page = billing.get(&format!("/console/usage?from={from}&to={today}&by=agent")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("By agent") && page.body.contains("<svg"), "{}", page.body);
    let export = billing.get(&format!("/console/usage/export?from={from}&to={today}&format=csv")).await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.body);
    assert!(export.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(export.body.starts_with("event_id,employee_id,"), "a header row: {}", export.body);
    // A range the domain refuses is a 4xx page, never a 500.
    // Usage a tool reported with its model: the overview and the breakdowns group by both.
    let (_, member) = app.add_signed_in(&org, &format!("mo@{}.example", org.slug), "member").await;
    let now = chrono::Utc::now().to_rfc3339();
    let event = |id: &str, client: &str, model: &str, cost: &str| {
        json!({ "v": 1, "event_id": id, "resource_type": "llm_tokens_output", "quantity": 1000, "cost_usd": cost,
            "period_start": now, "period_end": now, "metadata": { "client": client, "model": model } })
    };
    let batch = json!({ "events": [event("a", "codex", "gpt-5-codex", "0.25"), event("b", "something-else", "<b>odd</b>", "0.5")] });
    let (status, accepted) = app.post("/v1/usage", &member, batch).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    app.eventually("both events are counted", async || billing.get("/console").await.body.contains("$0.75")).await;
    let overview = billing.get("/console").await.body;
    for shown in ["By tool", "codex", "other", "By model", "gpt-5-codex"] {
        assert!(overview.contains(shown), "{shown} in {overview}");
    }
    assert!(!overview.contains("&lt;b&gt;odd"), "an implausible model is not a rollup: {overview}");
    let by_model = billing.get(&format!("/console/usage?from={today}&to={today}&by=model")).await;
    assert!(by_model.body.contains("gpt-5-codex"), "{}", by_model.body);
    let backwards = billing.get(&format!("/console/usage?from={today}&to={from}")).await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", backwards.body);
    assert_eq!(billing.get("/console/usage?from=yesterday").await.status, StatusCode::BAD_REQUEST);
}

/// A device's report as `agentctl sync` sends it (base64url of its JSON).
pub fn posture(device: &str, version: &str, drifted: u32) -> String {
    use base64::Engine;
    let report = json!({
        "device_id": device, "agentctl_version": version, "os": "linux", "arch": "x86_64",
        "clients": [
            { "client": "claude-code", "installed": true, "version": "2.0.14", "managed": true, "drifted_files": drifted, "corrupt_files": 0 },
            { "client": "cursor", "installed": true, "managed": false, "drifted_files": 0, "corrupt_files": 0 },
        ],
        "background_sync": true, "previous_sync": "ok",
    });
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(report.to_string())
}

#[tokio::test]
async fn each_sync_reports_its_device_and_the_fleet_shows_what_needs_attention() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("fleet")).await;
    let (employee, token) = app.add_signed_in(&org, &format!("dev@{}.example", org.slug), "member").await;
    let (_, owner) = signed_in(&app, &org, "olga", "owner").await;
    let device = uuid::Uuid::new_v4().to_string();
    let sync = |header: String, etag: Option<String>| {
        let mut request = app.request(Method::GET, "/v1/me/sync", Some(&token)).header("agentctl-device", header);
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        request.send()
    };

    // A full sync with an old agentctl, two drifted files and Cursor unmanaged.
    let first = sync(posture(&device, "0.0.9", 2), None).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
    app.eventually("the device is recorded", async || owner.get("/console/fleet").await.body.contains("0.0.9")).await;
    let fleet = owner.get("/console/fleet").await.body;
    assert!(fleet.contains("(out of date)") && fleet.contains("cursor") && fleet.contains("Employee dev@"), "{fleet}");
    let drifted = owner.get("/console/fleet?attention=drifted").await.body;
    assert!(drifted.contains("0.0.9"), "{drifted}");
    let person = owner.get(&format!("/console/people/{}", employee["id"].as_str().unwrap())).await.body;
    assert!(person.contains("0.0.9"), "the person's page lists the device: {person}");

    // Nothing changed for the bundle: a 304, and still the new report is recorded.
    if let Some(etag) = etag {
        let again =
            sync(posture(&device, agentctl_shared::domain::fleet::CURRENT_AGENTCTL, 0), Some(etag)).await.unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    } else {
        assert_eq!(
            sync(posture(&device, agentctl_shared::domain::fleet::CURRENT_AGENTCTL, 0), None).await.unwrap().status(),
            StatusCode::OK
        );
    }
    app.eventually("the newer report replaces the older", async || {
        !owner.get("/console/fleet").await.body.contains("0.0.9")
    })
    .await;
    assert!(
        !owner.get("/console/fleet?attention=drifted").await.body.contains("/console/people/"),
        "nothing drifted now"
    );
    assert_eq!(owner.get("/console/fleet?attention=nonsense").await.status, StatusCode::BAD_REQUEST);

    // A malformed report is refused; another organization sees no device.
    let bad = sync("not base64!".into(), None).await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let other = app.create_org(&slug("other")).await;
    let (_, stranger) = signed_in(&app, &other, "sam", "owner").await;
    assert!(!stranger.get("/console/fleet").await.body.contains("/console/people/"));
    assert_eq!(
        stranger.get(&format!("/console/people/{}", employee["id"].as_str().unwrap())).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_admin_imports_a_server_from_the_mcp_registry_and_approves_it() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("registry")).await;
    let (_, admin) = signed_in(&app, &org, "alice", "admin").await;
    let csrf = admin.csrf("/console/catalog").await;
    let server_json = json!({
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json",
        "name": "io.github.acme/weather", "description": "Forecasts", "version": "1.0.2",
        "packages": [{
            "registryType": "npm", "identifier": "@acme/weather-mcp", "version": "1.0.2", "transport": { "type": "stdio" },
            "environmentVariables": [{ "name": "WEATHER_API_KEY", "description": "API key", "isRequired": true, "isSecret": true }]
        }]
    })
    .to_string();
    let imported = admin.post("/console/catalog/import", &[("server_json", &server_json), ("csrf", &csrf)]).await;
    assert_eq!(imported.status, StatusCode::SEE_OTHER, "{}", imported.body);
    let (_, servers) = app.get("/v1/catalog/mcp-servers?scope=org", &org.owner_token).await;
    let server =
        servers["items"].as_array().unwrap().iter().find(|s| s["name"] == "weather").expect("imported").clone();
    assert_eq!(server["command"], "npx", "{server}");
    assert_eq!(server["env"]["WEATHER_API_KEY"], "${weather_api_key}", "{server}");
    assert_eq!(server["requires_credentials"], true, "the secret is a credential: {server}");
    // Importing it again is the catalog's own conflict, shown beside the form.
    let again = admin.post("/console/catalog/import", &[("server_json", &server_json), ("csrf", &csrf)]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let bad = admin.post("/console/catalog/import", &[("server_json", "{\"name\": 1}"), ("csrf", &csrf)]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("server_json"), "{}", bad.body);

    // Approved from the console, it can be assigned; revoked, it is no longer approved.
    let id = server["id"].as_str().unwrap();
    let approved = admin.post(&format!("/console/catalog/mcp-servers/{id}/approve"), &[("csrf", &csrf)]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    let (_, listed) = app.get(&format!("/v1/catalog/mcp-servers/{id}"), &org.owner_token).await;
    assert_eq!(listed["is_approved"], true, "{listed}");
    let revoked = admin.post(&format!("/console/catalog/mcp-servers/{id}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    let (_, listed) = app.get(&format!("/v1/catalog/mcp-servers/{id}"), &org.owner_token).await;
    assert_eq!(listed["is_approved"], false, "{listed}");

    // A member reads the catalog but neither imports nor approves.
    let (_, member) = signed_in(&app, &org, "erin", "member").await;
    let page = member.get("/console/catalog").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/console/catalog/import") && !page.body.contains("/approve"), "{}", page.body);
    let member_csrf = member.csrf("/console/catalog").await;
    let refused = member.post(&format!("/console/catalog/mcp-servers/{id}/approve"), &[("csrf", &member_csrf)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
}

#[tokio::test]
async fn the_identity_provider_opens_a_console_session_and_links_the_person() {
    use agentctl_tests::idp::{LocalIdp, browser, location};
    let app = TestApp::spawn().await;
    let idp = LocalIdp::start().await;
    let org = app.create_org(&slug("sso")).await;
    let (client_id, client_secret) = idp.register_client(&format!("{}/v1/oauth/callback", app.url)).await;
    let settings = json!({ "issuer": idp.issuer, "client_id": client_id, "client_secret": client_secret, "allowed_domains": [format!("{}.example", org.slug)] });
    let (status, body) =
        app.call(Method::PUT, "/v1/org/identity-provider", Some(&org.owner_token), Some(settings)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let email = format!("alice@{}.example", org.slug);
    let alice = app.add_employee(&org, &email, "admin", None).await;

    let http = browser();
    let start = http.get(format!("{}/console/login/sso?org={}", app.url, org.slug)).send().await.unwrap();
    let to_idp = location(&start);
    assert!(to_idp.starts_with(&idp.issuer), "{to_idp}");
    let callback = idp.sign_in(&http, &to_idp, &email).await;
    let back = http.get(&callback).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(back.headers()[LOCATION], "/console");
    let cookie = back.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    assert!(cookie.starts_with("agentctl_console=acs_"), "{cookie}");
    let mut console = Browser::new(&app);
    console.cookie = Some(cookie);

    // The person's page lists the link made at sign-in; removing it is recorded.
    let person = format!("/console/people/{}", alice["id"].as_str().unwrap());
    let page = console.get(&person).await.body;
    assert!(page.contains(&idp.issuer), "{page}");
    let unlink = format!("{person}/identity-links/{}/delete", between(&page, "/identity-links/", "/delete"));
    let csrf = console.csrf(&person).await;
    assert_eq!(console.post(&unlink, &[("csrf", &csrf)]).await.status, StatusCode::SEE_OTHER);
    assert!(!console.get(&person).await.body.contains("Identity provider accounts"));

    // Removing the provider is an owner's: an admin is refused, an owner removes it.
    let removal = "/console/settings/identity-provider/delete";
    assert_eq!(console.post(removal, &[("csrf", &csrf)]).await.status, StatusCode::FORBIDDEN);
    let (_, owner) = signed_in(&app, &org, "olga", "owner").await;
    let owner_csrf = owner.csrf("/console/settings").await;
    assert!(owner.get("/console/settings").await.body.contains("Remove the identity provider"));
    assert_eq!(owner.post(removal, &[("csrf", &owner_csrf)]).await.status, StatusCode::SEE_OTHER);
    let (status, _) = app.get("/v1/org/identity-provider", &org.owner_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An organization without a provider and one that does not exist read the same.
    let plain = app.create_org(&slug("plain")).await;
    let without = Browser::new(&app).get(&format!("/console/login/sso?org={}", plain.slug)).await;
    let unknown = Browser::new(&app).get("/console/login/sso?org=no-such-org").await;
    assert_eq!(without.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (unknown.status, unknown.body.replace("no-such-org", "")),
        (without.status, without.body.replace(&plain.slug, ""))
    );
}

mod assignment;
mod catalog;
mod fleet;
mod people;
mod policies;
mod settings;
