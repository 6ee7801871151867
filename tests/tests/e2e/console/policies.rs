//! The policy editor: a form per policy type, problems beside their fields, attachments
//! to the organization, teams (with overrides) and agents, what a reader may not change.

use agentctl_tests::{TestApp, slug};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::json;

use super::signed_in;

#[tokio::test]
async fn an_admin_writes_attaches_overrides_and_deletes_a_policy() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("policies")).await;
    let team = app.create_team(&org, "Platform").await;
    let team_id = team["id"].as_str().unwrap();
    let member = app.add_employee(&org, &format!("dev@{}.example", org.slug), "member", Some(team_id)).await;
    let member_id = member["id"].as_str().unwrap();
    let (_, admin) = signed_in(&app, &org, "alice", "admin").await;
    let csrf = admin.csrf("/console/policies").await;

    // Each type has its own fields.
    let form = admin.get("/console/policies/new?type=rate_limit").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    for field in [r#"name="rules.metric""#, r#"name="rules.max""#, r#"name="rules.per""#, "llm_calls"] {
        assert!(form.body.contains(field), "{field} in {}", form.body);
    }
    assert!(!form.body.contains(r#"name="rules.deny""#));
    assert_eq!(admin.get("/console/policies/new?type=nonsense").await.status, StatusCode::BAD_REQUEST);

    // A problem is shown beside its field, the form keeps what was typed.
    let refused = admin
        .post(
            "/console/policies",
            &[
                ("csrf", &csrf),
                ("policy_type", "filesystem"),
                ("name", "Keys"),
                ("severity", "block"),
                ("rules.deny", "~/.ssh/**\nbad\u{202e}path"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains(r#"class="field-problem""#), "{}", refused.body);
    assert!(refused.body.contains("~/.ssh/**"), "{}", refused.body);
    let count = admin
        .post(
            "/console/policies",
            &[
                ("csrf", &csrf),
                ("policy_type", "rate_limit"),
                ("name", "Calls"),
                ("rules.metric", "llm_calls"),
                ("rules.max", "many"),
                ("rules.per", "hour"),
            ],
        )
        .await;
    assert_eq!(count.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", count.body);
    assert!(count.body.contains("a whole number"), "{}", count.body);

    // Created from lines, one entry each.
    let created = admin
        .post(
            "/console/policies",
            &[
                ("csrf", &csrf),
                ("policy_type", "filesystem"),
                ("name", "Keys"),
                ("description", "No agent reads keys"),
                ("severity", "block"),
                ("rules.allow", ""),
                ("rules.deny", "~/.ssh/**\r\n /etc/** \n\n"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let page = created.headers[LOCATION].to_str().unwrap().to_string();
    let id = page.trim_start_matches("/console/policies/").to_string();
    let (_, policy) = app.get(&format!("/v1/policies/{id}"), &org.owner_token).await;
    assert_eq!(policy["rules"], json!({ "allow": [], "deny": ["~/.ssh/**", "/etc/**"] }), "{policy}");
    let shown = admin.get(&page).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(shown.body.contains("Who enforces it") && shown.body.contains("claude-code"), "{}", shown.body);

    // The organization, then the team with an override its members get instead.
    let whole = admin.post(&format!("{page}/attach"), &[("csrf", &csrf), ("level", "org")]).await;
    assert_eq!(whole.status, StatusCode::SEE_OTHER, "{}", whole.body);
    let (_, org_links) = app.get("/v1/org/policies", &org.owner_token).await;
    assert!(org_links.to_string().contains(&id), "{org_links}");
    let bad_override = admin
        .post(
            &format!("{page}/attach"),
            &[("csrf", &csrf), ("level", "team"), ("team_id", team_id), ("rules.deny", "\u{7}")],
        )
        .await;
    assert_eq!(bad_override.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad_override.body);
    assert!(bad_override.body.contains(r#"class="field-problem""#), "{}", bad_override.body);
    let overridden = admin
        .post(
            &format!("{page}/attach"),
            &[
                ("csrf", &csrf),
                ("level", "team"),
                ("team_id", team_id),
                ("rules.allow", ""),
                ("rules.deny", "/tmp/secrets/**"),
            ],
        )
        .await;
    assert_eq!(overridden.status, StatusCode::SEE_OTHER, "{}", overridden.body);
    let (_, effective) = app.get(&format!("/v1/employees/{member_id}/effective-policies"), &org.owner_token).await;
    let applied = &effective["policies"][0];
    assert_eq!(applied["level"], "team", "{effective}");
    assert_eq!(applied["overridden"], true, "{effective}");
    assert_eq!(applied["rules"]["deny"], json!(["/tmp/secrets/**"]), "{effective}");
    let shown = admin.get(&page).await.body;
    assert!(shown.contains("Platform") && shown.contains("/tmp/secrets/**"), "{shown}");

    // Edited: the whole rules replaced, the severity changed.
    let edited = admin
        .post(
            &page,
            &[
                ("csrf", &csrf),
                ("policy_type", "filesystem"),
                ("name", "Keys"),
                ("severity", "warn"),
                ("rules.deny", "~/.aws/**"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let (_, policy) = app.get(&format!("/v1/policies/{id}"), &org.owner_token).await;
    assert_eq!((policy["severity"].clone(), policy["rules"]["deny"].clone()), (json!("warn"), json!(["~/.aws/**"])));

    // A manager reads it, changes nothing.
    let (_, manager) = signed_in(&app, &org, "bob", "manager").await;
    let read = manager.get(&page).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(!read.body.contains("Attach to the team") && !read.body.contains("Save the policy"), "{}", read.body);
    let manager_csrf = manager.csrf(&page).await;
    let denied = manager.post(&format!("{page}/attach"), &[("csrf", &manager_csrf), ("level", "org")]).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);

    // Another organization does not see it.
    let other = app.create_org(&slug("elsewhere")).await;
    let (_, stranger) = signed_in(&app, &other, "eve", "owner").await;
    assert_eq!(stranger.get(&page).await.status, StatusCode::NOT_FOUND);
    let stranger_csrf = stranger.csrf("/console/policies").await;
    let probe = stranger.post(&format!("{page}/delete"), &[("csrf", &stranger_csrf)]).await;
    assert_eq!(probe.status, StatusCode::NOT_FOUND, "{}", probe.body);

    // Attached, it cannot be deleted (said beside the form); detached, it can.
    let kept = admin.post(&format!("{page}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(kept.status, StatusCode::CONFLICT, "{}", kept.body);
    for (level, target) in [("org", ""), ("team", team_id)] {
        let detached =
            admin.post(&format!("{page}/detach"), &[("csrf", &csrf), ("level", level), ("target_id", target)]).await;
        assert_eq!(detached.status, StatusCode::SEE_OTHER, "{level}: {}", detached.body);
    }
    let (_, effective) = app.get(&format!("/v1/employees/{member_id}/effective-policies"), &org.owner_token).await;
    assert_eq!(effective["policies"], json!([]), "{effective}");
    let deleted = admin.post(&format!("{page}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    let (status, _) = app.get(&format!("/v1/policies/{id}"), &org.owner_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
