//! Settings beyond the budget: the organization (name, session lifetimes, budget action,
//! telemetry), who approves each kind of request, webhooks (secret shown once, test,
//! rotation, delivery log) and model prices (versions, conflicts); each only for the
//! roles that may.

use agentctl_tests::{TestApp, slug};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::json;

use super::{between, signed_in};

#[tokio::test]
async fn an_owner_sets_the_organization_and_who_approves_what() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("settings")).await;
    let (_, owner) = signed_in(&app, &org, "olga", "owner").await;
    let csrf = owner.csrf("/console/settings").await;
    let page = owner.get("/console/settings").await.body;
    for shown in ["Save the organization", "Who approves requests", "new_mcp", "(defaults)", "Spend caps per person"] {
        assert!(page.contains(shown), "{shown} in {page}");
    }

    let form = |max_hours: &'static str| {
        [
            ("name", "Acme Labs"),
            ("max_hours", max_hours),
            ("idle_minutes", "60"),
            ("budget_action", "pause"),
            ("telemetry", "off"),
        ]
    };
    let bad = owner.post("/console/settings/organization", &[&form("0")[..], &[("csrf", &csrf)]].concat()).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("max_hours must be 1 to 8760"), "{}", bad.body);
    let words = owner.post("/console/settings/organization", &[&form("a day")[..], &[("csrf", &csrf)]].concat()).await;
    assert_eq!(words.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", words.body);
    let saved = owner.post("/console/settings/organization", &[&form("12")[..], &[("csrf", &csrf)]].concat()).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (_, organization) = app.get("/v1/org", &org.owner_token).await;
    assert_eq!(organization["name"], "Acme Labs", "{organization}");
    assert_eq!(organization["sessions"], json!({ "max_hours": 12, "idle_minutes": 60 }), "{organization}");
    assert_eq!(
        (organization["budget_action"].clone(), organization["telemetry"].clone()),
        (json!("pause"), json!("off"))
    );

    // MCP servers approved by an admin alone, in one step; the other types keep theirs.
    let rules = owner
        .post(
            "/console/settings/approval-rules",
            &[("approval.new_mcp.0", "admin"), ("approval.new_mcp.3", "owner"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(rules.status, StatusCode::SEE_OTHER, "{}", rules.body);
    let (_, organization) = app.get("/v1/org", &org.owner_token).await;
    assert_eq!(
        organization["settings"]["approval_rules"],
        json!({ "new_mcp": [["admin"], ["owner"]] }),
        "{organization}"
    );
    let server = json!({ "name": "docs", "provider": "Acme", "version": "1", "transport": "http", "url": "https://docs.example/mcp" });
    let (_, server) = app.post("/v1/catalog/mcp-servers", &org.owner_token, server).await;
    let (_, member) = app.add_signed_in(&org, &format!("mo@{}.example", org.slug), "member").await;
    let ask = json!({ "request_type": "new_mcp", "request_data": { "server_id": server["id"] }, "reason": "docs" });
    let (status, request) = app.post("/v1/requests", &member, ask).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    assert_eq!(request["required_approvals"], json!([["admin"], ["owner"]]), "{request}");
    assert!(!owner.get("/console/settings").await.body.contains("new_mcp <span class=\"muted\"> (defaults)"));

    // Every role's permissions are listed.
    let page = owner.get("/console/settings").await.body;
    assert!(page.contains("Roles and what they may do") && page.contains("owners:manage"), "{page}");

    // Billing sets budgets and prices, not the organization.
    let (_, billing) = signed_in(&app, &org, "bill", "billing").await;
    let page = billing.get("/console/settings").await.body;
    assert!(!page.contains("Save the organization") && !page.contains("Save the approval rules"), "{page}");
    let billing_csrf = billing.csrf("/console/settings").await;
    let denied =
        billing.post("/console/settings/organization", &[&form("12")[..], &[("csrf", &billing_csrf)]].concat()).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
    assert_eq!(billing.get("/console/settings/webhooks").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn webhooks_show_their_secret_once_send_a_test_and_log_deliveries() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("hooks")).await;
    let (_, admin) = signed_in(&app, &org, "alice", "admin").await;
    let csrf = admin.csrf("/console/settings/webhooks").await;

    let refused = admin
        .post(
            "/console/settings/webhooks",
            &[("url", "ftp://example.com/"), ("events", "request.submitted"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let unknown = admin
        .post(
            "/console/settings/webhooks",
            &[("url", "https://hooks.example/"), ("events", "nothing.happened"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.body);

    let made = admin
        .post(
            "/console/settings/webhooks",
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("description", "ops"),
                ("events", "request.submitted"),
                ("events", "budget.spend_cap_reached"),
                ("format", "json"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let secret = format!("whsec_{}", between(&made.body, "whsec_", "<"));
    let (_, hooks) = app.get("/v1/webhooks", &org.owner_token).await;
    let hook = &hooks["items"][0];
    assert_eq!(hook["events"], json!(["request.submitted", "budget.spend_cap_reached"]), "{hook}");
    let page = format!("/console/settings/webhooks/{}", hook["id"].as_str().unwrap());
    assert!(!admin.get(&page).await.body.contains(&secret), "the secret is shown once");

    // Disabled and narrowed from its page.
    let edited = admin
        .post(
            &page,
            &[("url", "http://127.0.0.1:9/hook"), ("events", "request.approved"), ("format", "slack"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let (_, hook) = app.get(&format!("/v1/webhooks/{}", hook["id"].as_str().unwrap()), &org.owner_token).await;
    assert_eq!(
        (hook["enabled"].clone(), hook["format"].clone(), hook["events"].clone()),
        (json!(false), json!("slack"), json!(["request.approved"]))
    );

    // A test is queued and logged; a rotation shows a new secret once.
    let tested = admin.post(&format!("{page}/test"), &[("csrf", &csrf)]).await;
    assert_eq!(tested.status, StatusCode::OK, "{}", tested.body);
    assert!(tested.body.contains("A test event is on its way"), "{}", tested.body);
    app.eventually("the test delivery is logged", async || admin.get(&page).await.body.contains("webhook.tested"))
        .await;
    let rotated = admin.post(&format!("{page}/rotate"), &[("csrf", &csrf)]).await;
    let new_secret = format!("whsec_{}", between(&rotated.body, "whsec_", "<"));
    assert_ne!(new_secret, secret);

    // Another organization's admin finds nothing; deleting ends it.
    let other = app.create_org(&slug("elsewhere")).await;
    let (_, stranger) = signed_in(&app, &other, "eve", "admin").await;
    assert_eq!(stranger.get(&page).await.status, StatusCode::NOT_FOUND);
    let stranger_csrf = stranger.csrf("/console/settings").await;
    assert_eq!(
        stranger.post(&format!("{page}/delete"), &[("csrf", &stranger_csrf)]).await.status,
        StatusCode::NOT_FOUND
    );
    let deleted = admin.post(&format!("{page}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(admin.get(&page).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn model_prices_are_saved_as_versions_and_a_stale_save_is_refused() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("prices")).await;
    let (_, billing) = signed_in(&app, &org, "bill", "billing").await;
    let csrf = billing.csrf("/console/settings/prices").await;
    let page = billing.get("/console/settings/prices").await.body;
    assert!(page.contains("agentctl's list prices") && page.contains("Save as version 1"), "{page}");

    let row = |input: &'static str| {
        [
            ("replaces_version", "0"),
            ("model.0", "acme-coder"),
            ("input.0", input),
            ("output.0", "8"),
            ("cache_read.0", "0.1"),
            ("cache_write.0", "1.25"),
            ("model.1", ""),
            ("input.1", ""),
        ]
    };
    let bad = billing.post("/console/settings/prices", &[&row("-1")[..], &[("csrf", &csrf)]].concat()).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("models[0].input_usd_per_mtok") && bad.body.contains("acme-coder"), "{}", bad.body);
    let saved = billing.post("/console/settings/prices", &[&row("2.5")[..], &[("csrf", &csrf)]].concat()).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.headers[LOCATION], "/console/settings/prices");
    let (_, table) = app.get("/v1/model-prices", &org.owner_token).await;
    assert_eq!(table["version"], 1, "{table}");
    assert_eq!(
        table["models"],
        json!([{ "model": "acme-coder", "input_usd_per_mtok": "2.5", "output_usd_per_mtok": "8", "cache_read_usd_per_mtok": "0.1", "cache_write_usd_per_mtok": "1.25" }])
    );
    // A form read before that save is refused, not written over it.
    let stale = billing.post("/console/settings/prices", &[&row("3")[..], &[("csrf", &csrf)]].concat()).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    // Earlier versions stay readable, not editable.
    let first = billing.get("/console/settings/prices?version=0").await.body;
    assert!(first.contains("not in force") && !first.contains("Save as version"), "{first}");

    // A manager reads the prices usage is priced with, and changes none.
    let (_, manager) = signed_in(&app, &org, "max", "manager").await;
    let read = manager.get("/console/settings/prices").await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(read.body.contains("acme-coder") && !read.body.contains("Save as version"), "{}", read.body);
    let manager_csrf = manager.csrf("/console/settings/prices").await;
    let denied = manager.post("/console/settings/prices", &[&row("3")[..], &[("csrf", &manager_csrf)]].concat()).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
}
