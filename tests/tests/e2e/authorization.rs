//! The authorization matrix: every route x every role (and the platform key) x own or
//! another organization's resource -> the expected status. Expectations are written out
//! here, not derived from the code's role table, so a permission change shows up; and
//! every route of the OpenAPI document must have a row (the rows: `agentctl_tests::routes`).

use std::collections::BTreeSet;

use agentctl_tests::routes::{
    GONE, NOT_FOUND, OK, ROLES, authenticated_routes, cases, file_agent_request, fill, send, targets,
};
use agentctl_tests::{TestApp, slug};

#[test]
fn every_documented_route_has_a_row() {
    let mut covered: BTreeSet<(String, String)> =
        cases().iter().map(|c| (c.method.to_string(), c.route.to_string())).collect();
    covered.insert(("DELETE".into(), "/v1/sessions/current".into()));
    assert_eq!(authenticated_routes(), covered, "the matrix and the API disagree");
}

#[tokio::test]
async fn every_route_for_every_role_in_own_and_other_org() {
    let app = TestApp::spawn_alone(1).await;
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
        let mut own = targets(&app, &org, role).await;
        own.insert("my_request", file_agent_request(&app, &token, &own["agent"]).await);
        for case in cases() {
            let permitted = case.allowed.contains(&role);
            let (status, body) = send(&app, &case, &own, &token).await;
            let expected = if permitted { case.success } else { case.denied };
            if status != expected {
                failures
                    .push(format!("{role} {} {} own: {status} (expected {expected}) {body}", case.method, case.path));
            }
            if case.path.contains('{') && !case.path.contains("{org}") {
                let (status, body) = send(&app, &case, &foreign, &token).await;
                let expected = if permitted { NOT_FOUND } else { case.denied };
                if status != expected {
                    failures.push(format!(
                        "{role} {} {} other org: {status} (expected {expected}) {body}",
                        case.method, case.path
                    ));
                }
            }
        }
        let (status, _) = app.delete("/v1/sessions/current", &token).await;
        if status != GONE {
            failures.push(format!("{role} logout: {status}"));
        }
    }

    let own = targets(&app, &org, "platform").await;
    for case in cases() {
        let (status, body) = send(&app, &case, &own, &app.platform_key).await;
        if status != case.platform {
            failures
                .push(format!("platform {} {}: {status} (expected {}) {body}", case.method, case.path, case.platform));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // None of the cross-org attempts touched the other organization.
    for path in [
        "/v1/teams/{spare_team}",
        "/v1/employees/{deactivated}",
        "/v1/catalog/agents/{spare_agent}",
        "/v1/policies/{spare_policy}",
    ] {
        let (status, _) = app.get(&fill(path, &foreign), &other.owner_token).await;
        assert_eq!(status, OK, "{path} still exists");
    }
    let (_, member) = app.get(&fill("/v1/employees/{member}", &foreign), &other.owner_token).await;
    assert_ne!(member["full_name"], "Renamed");
}
