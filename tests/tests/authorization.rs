//! The authorization matrix: every route x every role (and the platform key) x own or
//! another organization's resource -> the expected status. Expectations are written out
//! here, not derived from the code's role table, so a permission change shows up.

use agentctl_tests::{Org, TestApp, slug};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ROLES: [&str; 5] = ["owner", "admin", "billing", "manager", "member"];
const ALL: &[&str] = &ROLES;
const ADMINS: &[&str] = &["owner", "admin"];
const MONEY: &[&str] = &["owner", "admin", "billing"];
const READERS: &[&str] = &["owner", "admin", "billing", "manager"];

/// Ids a case can address: fresh ones in the caller's org, fixed ones in another org.
struct Targets {
    team: String,
    spare_team: String,
    member: String,
    deactivated: String,
    unique: String,
}

struct Case {
    method: Method,
    path: fn(&Targets) -> String,
    body: fn(&Targets) -> Option<Value>,
    allowed: &'static [&'static str],
    success: StatusCode,
    /// The path names a resource, so another org's id must answer 404.
    scoped: bool,
}

fn cases() -> Vec<Case> {
    use Method as M;
    let none: fn(&Targets) -> Option<Value> = |_| None;
    vec![
        Case {
            method: M::GET,
            path: |_| "/v1/org".into(),
            body: none,
            allowed: ALL,
            success: StatusCode::OK,
            scoped: false,
        },
        Case {
            method: M::PATCH,
            path: |_| "/v1/org".into(),
            body: |t| Some(json!({ "settings": { "k": t.unique } })),
            allowed: ADMINS,
            success: StatusCode::OK,
            scoped: false,
        },
        Case {
            method: M::GET,
            path: |_| "/v1/org/subscription".into(),
            body: none,
            allowed: MONEY,
            success: StatusCode::OK,
            scoped: false,
        },
        Case {
            method: M::PATCH,
            path: |_| "/v1/org/subscription".into(),
            body: |_| Some(json!({ "monthly_budget_usd": "10" })),
            allowed: MONEY,
            success: StatusCode::OK,
            scoped: false,
        },
        Case {
            method: M::GET,
            path: |_| "/v1/roles".into(),
            body: none,
            allowed: ALL,
            success: StatusCode::OK,
            scoped: false,
        },
        Case {
            method: M::GET,
            path: |_| "/v1/teams".into(),
            body: none,
            allowed: ALL,
            success: StatusCode::OK,
            scoped: false,
        },
        Case {
            method: M::POST,
            path: |_| "/v1/teams".into(),
            body: |t| Some(json!({ "name": t.unique })),
            allowed: ADMINS,
            success: StatusCode::CREATED,
            scoped: false,
        },
        Case {
            method: M::GET,
            path: |t| format!("/v1/teams/{}", t.team),
            body: none,
            allowed: ALL,
            success: StatusCode::OK,
            scoped: true,
        },
        Case {
            method: M::PATCH,
            path: |t| format!("/v1/teams/{}", t.team),
            body: |_| Some(json!({ "description": "x" })),
            allowed: ADMINS,
            success: StatusCode::OK,
            scoped: true,
        },
        Case {
            method: M::DELETE,
            path: |t| format!("/v1/teams/{}", t.spare_team),
            body: none,
            allowed: ADMINS,
            success: StatusCode::NO_CONTENT,
            scoped: true,
        },
        Case {
            method: M::GET,
            path: |_| "/v1/employees".into(),
            body: none,
            allowed: READERS,
            success: StatusCode::OK,
            scoped: false,
        },
        Case {
            method: M::POST,
            path: |_| "/v1/employees".into(),
            body: |t| Some(json!({ "email": format!("{}@matrix.example", t.unique), "full_name": "New" })),
            allowed: ADMINS,
            success: StatusCode::CREATED,
            scoped: false,
        },
        Case {
            method: M::GET,
            path: |t| format!("/v1/employees/{}", t.member),
            body: none,
            allowed: READERS,
            success: StatusCode::OK,
            scoped: true,
        },
        Case {
            method: M::PATCH,
            path: |t| format!("/v1/employees/{}", t.member),
            body: |_| Some(json!({ "full_name": "Renamed" })),
            allowed: ADMINS,
            success: StatusCode::OK,
            scoped: true,
        },
        Case {
            method: M::POST,
            path: |t| format!("/v1/employees/{}/enrollment-codes", t.member),
            body: |_| Some(json!({})),
            allowed: ADMINS,
            success: StatusCode::CREATED,
            scoped: true,
        },
        Case {
            method: M::DELETE,
            path: |t| format!("/v1/employees/{}", t.deactivated),
            body: none,
            allowed: ADMINS,
            success: StatusCode::NO_CONTENT,
            scoped: true,
        },
        Case {
            method: M::GET,
            path: |_| "/v1/me".into(),
            body: none,
            allowed: ALL,
            success: StatusCode::OK,
            scoped: false,
        },
        Case {
            method: M::PATCH,
            path: |_| "/v1/me".into(),
            body: |_| Some(json!({ "preferences": { "a": 1 } })),
            allowed: ALL,
            success: StatusCode::OK,
            scoped: false,
        },
        // Platform routes: no role of any organization may use them.
        Case {
            method: M::GET,
            path: |_| "/v1/orgs".into(),
            body: none,
            allowed: &[],
            success: StatusCode::OK,
            scoped: false,
        },
        Case {
            method: M::POST,
            path: |_| "/v1/orgs".into(),
            body: |t| {
                Some(
                    json!({ "name": "X", "slug": t.unique, "plan": "starter", "owner": { "email": format!("o-{}@x.example", t.unique), "full_name": "O" } }),
                )
            },
            allowed: &[],
            success: StatusCode::CREATED,
            scoped: false,
        },
    ]
}

async fn targets(app: &TestApp, org: &Org, tag: &str) -> Targets {
    let team = app.create_team(org, &format!("team-{tag}")).await;
    let spare = app.create_team(org, &format!("spare-{tag}")).await;
    let member = app.add_employee(org, &format!("member-{tag}@{}.example", org.slug), "member", None).await;
    let gone = app.add_employee(org, &format!("gone-{tag}@{}.example", org.slug), "member", None).await;
    let gone_id = gone["id"].as_str().unwrap().to_string();
    let (status, _) =
        app.patch(&format!("/v1/employees/{gone_id}"), &org.owner_token, json!({ "status": "deactivated" })).await;
    assert_eq!(status, StatusCode::OK);
    Targets {
        team: team["id"].as_str().unwrap().into(),
        spare_team: spare["id"].as_str().unwrap().into(),
        member: member["id"].as_str().unwrap().into(),
        deactivated: gone_id,
        unique: slug(tag),
    }
}

#[tokio::test]
async fn every_route_for_every_role_in_own_and_other_org() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("matrix")).await;
    let other = app.create_org(&slug("elsewhere")).await;
    let foreign = targets(&app, &other, "foreign").await;

    let mut failures = Vec::new();
    for role in ROLES {
        // A session of its own for the owner too: the loop ends by logging it out.
        let token = if role == "owner" {
            app.enroll_and_login(&org, &org.owner_id).await
        } else {
            app.add_signed_in(&org, &format!("{role}@{}.example", org.slug), role).await.1
        };
        let own = targets(&app, &org, role).await;
        for case in cases() {
            let permitted = case.allowed.contains(&role);
            let (status, body) =
                app.call(case.method.clone(), &(case.path)(&own), Some(&token), (case.body)(&own)).await;
            let expected = if permitted { case.success } else { StatusCode::FORBIDDEN };
            if status != expected {
                failures.push(format!(
                    "{role} {} {} own: {status} (expected {expected}) {body}",
                    case.method,
                    (case.path)(&own)
                ));
            }
            if case.scoped {
                let (status, body) =
                    app.call(case.method.clone(), &(case.path)(&foreign), Some(&token), (case.body)(&foreign)).await;
                let expected = if permitted { StatusCode::NOT_FOUND } else { StatusCode::FORBIDDEN };
                if status != expected {
                    failures.push(format!("{role} {} other org: {status} (expected {expected}) {body}", case.method));
                }
            }
        }
        // Logout last: it revokes the token the loop used.
        let (status, _) = app.delete("/v1/sessions/current", &token).await;
        if status != StatusCode::NO_CONTENT {
            failures.push(format!("{role} logout: {status}"));
        }
    }

    // The platform key: platform routes only.
    let own = targets(&app, &org, "platform").await;
    for case in cases() {
        let (status, _) =
            app.call(case.method.clone(), &(case.path)(&own), Some(&app.platform_key), (case.body)(&own)).await;
        let expected = if case.allowed.is_empty() { case.success } else { StatusCode::FORBIDDEN };
        if status != expected {
            failures.push(format!("platform {} {}: {status} (expected {expected})", case.method, (case.path)(&own)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // None of the cross-org attempts touched the other organization.
    for path in [format!("/v1/teams/{}", foreign.spare_team), format!("/v1/employees/{}", foreign.deactivated)] {
        let (status, _) = app.get(&path, &other.owner_token).await;
        assert_eq!(status, StatusCode::OK, "{path} still exists");
    }
    let (_, member) = app.get(&format!("/v1/employees/{}", foreign.member), &other.owner_token).await;
    assert_ne!(member["full_name"], "Renamed");
}
