//! The fleet beyond the devices' attention filters: the tools' versions, the people who
//! never synced, the export.

use agentctl_tests::{TestApp, slug};
use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{posture, signed_in};

#[tokio::test]
async fn the_fleet_shows_versions_who_never_synced_and_exports_the_devices() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("fleetx")).await;
    let (synced, token) = app.add_signed_in(&org, &format!("sy@{}.example", org.slug), "member").await;
    let waiting = app.add_employee(&org, &format!("wait@{}.example", org.slug), "member", None).await;
    let (_, owner) = signed_in(&app, &org, "olga", "owner").await;
    let device = uuid::Uuid::new_v4().to_string();
    let sync =
        |header: String| app.request(Method::GET, "/v1/me/sync", Some(&token)).header("agentctl-device", header).send();
    assert_eq!(sync(posture(&device, "0.1.0", 0)).await.unwrap().status(), StatusCode::OK);
    let synced_id = synced["id"].as_str().unwrap().to_string();
    app.eventually("the device is listed", async || owner.get("/console/fleet").await.body.contains(&synced_id)).await;
    let page = owner.get("/console/fleet").await.body;
    assert!(
        page.contains("claude-code 2.0.14") && page.contains("cursor<span class=\"state-warn\"> (not managed)"),
        "{page}"
    );

    // Who never synced: the person waiting, not the one who did.
    let never = owner.get("/console/fleet?view=never_synced").await;
    assert_eq!(never.status, StatusCode::OK, "{}", never.body);
    assert!(never.body.contains(waiting["id"].as_str().unwrap()) && !never.body.contains(&synced_id), "{}", never.body);

    // A tool's version that is no plain version is refused with the report.
    let mut bad: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(posture(&device, "0.1.0", 0)).unwrap(),
    )
    .unwrap();
    bad["clients"][0]["version"] = json!("<script>");
    let bad = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bad.to_string());
    assert_eq!(sync(bad).await.unwrap().status(), StatusCode::BAD_REQUEST);

    // Exported as CSV and JSON Lines, for those who read people.
    let csv = owner.get("/console/fleet/export?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(csv.headers["content-disposition"].to_str().unwrap().contains("fleet.csv"));
    let mut lines = csv.body.lines();
    assert!(lines.next().unwrap().starts_with("employee_id,device_id,agentctl_version"), "{}", csv.body);
    let row = lines.next().unwrap();
    assert!(row.starts_with(&synced_id) && row.contains("claude-code 2.0.14; cursor ? (not managed)"), "{row}");
    let jsonl = owner.get("/console/fleet/export?format=jsonl").await.body;
    let device_row: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(device_row["posture"]["clients"][0]["version"], "2.0.14", "{device_row}");
    let (_, member) = signed_in(&app, &org, "mem", "member").await;
    assert_eq!(member.get("/console/fleet/export?format=csv").await.status, StatusCode::FORBIDDEN);
    let other = app.create_org(&slug("other")).await;
    let (_, stranger) = signed_in(&app, &other, "sam", "owner").await;
    assert!(!stranger.get("/console/fleet/export?format=csv").await.body.contains(&synced_id));
}
