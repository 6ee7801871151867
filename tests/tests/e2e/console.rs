//! The admin console over HTTP, as a browser sends it: its session cookie and what the
//! pages carry (security headers, CSRF tokens, escaping), what each role sees, other
//! organizations' ids, sessions that end. The browser itself drives it in
//! `browser.rs`.

use agentctl_tests::{Org, TestApp, slug};
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode, redirect};
use serde_json::{Value, json};

/// A browser without JavaScript: cookies by hand, redirects not followed.
struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookie: Option<String>,
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(redirect::Policy::none()).build().unwrap();
        Self { app, client, cookie: None }
    }

    /// Signs in with an enrollment code, keeping the session cookie.
    async fn sign_in(app: &'a TestApp, code: &str) -> Self {
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

    async fn get(&self, path: &str) -> Answer {
        self.send(self.client.get(format!("{}{path}", self.app.url))).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let request =
            self.client.post(format!("{}{path}", self.app.url)).form(form).header("sec-fetch-site", "same-origin");
        self.send(request).await
    }

    /// The CSRF token the page at `path` carries.
    async fn csrf(&self, path: &str) -> String {
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
