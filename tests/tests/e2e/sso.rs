//! Single sign-on against a real OpenID Provider (npm `oidc-provider`): the identity
//! provider settings, the loopback (PKCE) and device flows of the CLI, refresh token
//! rotation, people resolved by subject, email and just in time, and the attacks the
//! flows must refuse.

use agentctl_shared::domain::identity::signin::s256;
use agentctl_shared::oidc::{Expected, Oidc};
use agentctl_tests::idp::{LocalIdp, browser, location, param};
use agentctl_tests::{Org, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const VERIFIER: &str = "the-cli-s-pkce-verifier-of-at-least-43-characters";
const LOOPBACK: &str = "http://127.0.0.1:53682/callback";

/// Registers agentctl at the provider and configures the organization to use it.
async fn configure(app: &TestApp, org: &Org, idp: &LocalIdp, extra: Value) -> (String, String) {
    let client = idp.register_client(&format!("{}/v1/oauth/callback", app.url)).await;
    let mut body = json!({
        "issuer": idp.issuer,
        "client_id": client.0,
        "client_secret": client.1,
        "allowed_domains": [format!("{}.example", org.slug)],
    });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let (status, settings) =
        app.call(Method::PUT, "/v1/org/identity-provider", Some(&org.owner_token), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    client
}

/// The CLI's loopback sign-in up to the code agentctl sends back: the URL the browser
/// ends on.
async fn loopback_redirect(app: &TestApp, idp: &LocalIdp, slug: &str, login: &str) -> String {
    let browser = browser();
    let mut url = reqwest::Url::parse(&format!("{}/v1/oauth/authorize", app.url)).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", "agentctl-cli"),
        ("redirect_uri", LOOPBACK),
        ("code_challenge", &s256(VERIFIER)),
        ("code_challenge_method", "S256"),
        ("state", "cli-state"),
        ("org", slug),
    ]);
    let to_idp = location(&browser.get(url).send().await.unwrap());
    assert!(to_idp.starts_with(&idp.issuer), "{to_idp}");
    let callback = idp.sign_in(&browser, &to_idp, login).await;
    assert!(callback.starts_with(&format!("{}/v1/oauth/callback", app.url)), "{callback}");
    let back = location(&browser.get(&callback).send().await.unwrap());
    assert!(back.starts_with(LOOPBACK), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some("cli-state"));
    back
}

async fn token(app: &TestApp, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = app.request(Method::POST, "/v1/oauth/token", None).form(form).send().await.unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    agentctl_tests::read(response).await
}

/// The whole loopback sign-in: tokens.
async fn sign_in(app: &TestApp, idp: &LocalIdp, slug: &str, login: &str) -> Value {
    let back = loopback_redirect(app, idp, slug, login).await;
    let code = param(&back, "code").unwrap_or_else(|| panic!("no code: {back}"));
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", "agentctl-cli"),
        ("code", &code),
        ("redirect_uri", LOOPBACK),
        ("code_verifier", VERIFIER),
        ("device_name", "laptop"),
    ];
    let (status, tokens) = token(app, &form).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens
}

#[tokio::test]
async fn an_owner_configures_the_identity_provider_and_its_secret_stays_hidden() {
    let app = TestApp::spawn().await;
    let org = app.create_org("idpcfg").await;
    let idp = LocalIdp::start().await;
    let (_, admin) = app.add_signed_in(&org, "admin@idpcfg.example", "admin").await;
    let body =
        json!({ "issuer": idp.issuer, "client_id": "c", "client_secret": "s", "allowed_domains": ["idpcfg.example"] });
    let (status, _) = app.call(Method::PUT, "/v1/org/identity-provider", Some(&admin), Some(body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins lack owners:manage");
    let (status, _) = app.get("/v1/org/identity-provider", &org.owner_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (client_id, secret) = configure(&app, &org, &idp, json!({})).await;
    let (status, settings) = app.get("/v1/org/identity-provider", &admin).await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["client_id"], client_id.as_str());
    assert_eq!(settings["redirect_uri"], format!("{}/v1/oauth/callback", app.url));
    assert!(!settings.to_string().contains(&secret), "the secret is write-only");
    let stored = app.partition(&format!("ORG#{}", org.id)).await;
    let item = stored.iter().find(|i| i["SK"].as_s().is_ok_and(|sk| sk == "IDP")).unwrap();
    assert!(!format!("{item:?}").contains(&secret), "the secret is stored encrypted");

    // Changed without the secret: the stored one is kept (sign-in still works).
    let body = json!({ "issuer": idp.issuer, "client_id": client_id, "allowed_domains": ["idpcfg.example"] });
    let (status, _) = app.call(Method::PUT, "/v1/org/identity-provider", Some(&org.owner_token), Some(body)).await;
    assert_eq!(status, StatusCode::OK);
    let tokens = sign_in(&app, &idp, "idpcfg", "owner@idpcfg.example").await;
    assert!(tokens["access_token"].as_str().unwrap().starts_with("acs_"));

    // Unreachable, private-looking or foreign issuers are refused with a reason.
    for issuer in ["http://127.0.0.1:9", "ftp://idp.example", &format!("{}/other", idp.issuer)] {
        let body =
            json!({ "issuer": issuer, "client_id": "c", "client_secret": "s", "allowed_domains": ["idpcfg.example"] });
        let (status, problem) =
            app.call(Method::PUT, "/v1/org/identity-provider", Some(&org.owner_token), Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{issuer}: {problem}");
        assert_eq!(problem["errors"][0]["field"], "issuer", "{problem}");
    }

    // Another organization sees none of it.
    let other = app.create_org("idpother").await;
    let (status, _) = app.get("/v1/org/identity-provider", &other.owner_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = app.delete("/v1/org/identity-provider", &org.owner_token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let types: Vec<Value> = app.activity(&org.id).await.iter().map(|e| e["event_type"].clone()).collect();
    assert!(
        types.contains(&json!("identity_provider.configured")) && types.contains(&json!("identity_provider.removed"))
    );
}

#[tokio::test]
async fn the_cli_signs_in_through_the_loopback_and_refresh_tokens_rotate() {
    let app = TestApp::spawn().await;
    let org = app.create_org("loop").await;
    let idp = LocalIdp::start().await;
    configure(&app, &org, &idp, json!({})).await;
    let employee = app.add_employee(&org, "dev@loop.example", "member", None).await;

    let tokens = sign_in(&app, &idp, "loop", "dev@loop.example").await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].as_i64().unwrap() > 0);
    let access = tokens["access_token"].as_str().unwrap();
    let (status, me) = app.get("/v1/me", access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["employee"]["id"], employee["id"], "linked by verified email");
    let (_, sessions) = app.get("/v1/me/sessions", access).await;
    assert_eq!(sessions["items"][0]["device_name"], "laptop");
    let (status, telemetry) = app.call(reqwest::Method::POST, "/v1/me/telemetry-token", Some(access), None).await;
    assert_eq!(status, StatusCode::CREATED);
    let telemetry = telemetry["token"].as_str().unwrap();
    let export = async || app.post("/v1/otlp/v1/logs", telemetry, json!({ "resourceLogs": [] })).await.0;

    // Rotation: the new pair works, the old access token is gone.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, renewed) =
        token(&app, &[("grant_type", "refresh_token"), ("client_id", "agentctl-cli"), ("refresh_token", refresh)])
            .await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_ne!(renewed["refresh_token"], tokens["refresh_token"]);
    let (status, _) = app.get("/v1/me", access).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the replaced access token is refused");
    let new_access = renewed["access_token"].as_str().unwrap();
    let (status, _) = app.get("/v1/me", new_access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(export().await, StatusCode::OK, "the session's telemetry token outlives a rotation");

    // Reuse of the old refresh token: the whole session ends, the new tokens with it.
    let (status, refused) =
        token(&app, &[("grant_type", "refresh_token"), ("client_id", "agentctl-cli"), ("refresh_token", refresh)])
            .await;
    assert_eq!((status, refused["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{refused}");
    let (status, _) = app.get("/v1/me", new_access).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the family is revoked");
    assert_eq!(export().await, StatusCode::FORBIDDEN, "and the telemetry tokens it asked for");
    let newest = renewed["refresh_token"].as_str().unwrap();
    let (status, _) =
        token(&app, &[("grant_type", "refresh_token"), ("client_id", "agentctl-cli"), ("refresh_token", newest)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let reasons: Vec<Value> = app.activity(&org.id).await.iter().map(|e| e["payload"]["reason"].clone()).collect();
    assert!(reasons.contains(&json!("refresh_token_reused")));

    // The same person signs in again by subject (linked), and a code works once only.
    let back = loopback_redirect(&app, &idp, "loop", "dev@loop.example").await;
    let code = param(&back, "code").unwrap();
    let wrong = [
        ("grant_type", "authorization_code"),
        ("client_id", "agentctl-cli"),
        ("code", &code),
        ("redirect_uri", LOOPBACK),
        ("code_verifier", "another-verifier-that-does-not-match-the-challenge"),
    ];
    let (status, refused) = token(&app, &wrong).await;
    assert_eq!((status, refused["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "PKCE");
    let right = [
        ("grant_type", "authorization_code"),
        ("client_id", "agentctl-cli"),
        ("code", &code),
        ("redirect_uri", LOOPBACK),
        ("code_verifier", VERIFIER),
    ];
    let (status, _) = token(&app, &right).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = token(&app, &right).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a code is used once");
}

#[tokio::test]
async fn deactivating_an_employee_ends_access_and_refresh_at_once() {
    let app = TestApp::spawn().await;
    let org = app.create_org("leaver").await;
    let idp = LocalIdp::start().await;
    configure(&app, &org, &idp, json!({})).await;
    let employee = app.add_employee(&org, "gone@leaver.example", "member", None).await;
    let tokens = sign_in(&app, &idp, "leaver", "gone@leaver.example").await;
    let path = format!("/v1/employees/{}", employee["id"].as_str().unwrap());
    let (status, _) = app.patch(&path, &org.owner_token, json!({ "status": "deactivated" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get("/v1/me", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", "agentctl-cli"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
    ];
    let (status, body) = token(&app, &refresh).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    // Nor can they sign in again.
    let back = loopback_redirect(&app, &idp, "leaver", "gone@leaver.example").await;
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
}

#[tokio::test]
async fn people_are_created_just_in_time_with_mapped_team_and_role_or_refused() {
    let app = TestApp::spawn().await;
    let org = app.create_org("jit").await;
    let idp = LocalIdp::start().await;
    let team = app.create_team(&org, "Platform").await;
    let extra = json!({
        "extra_scopes": ["groups"],
        "team_mappings": [{ "group": "platform-eng", "team_id": team["id"] }],
        "role_mappings": [{ "claim": "groups", "value": "agent-admins", "role": "admin" }],
    });
    configure(&app, &org, &idp, extra.clone()).await;

    // Not provisioned and no just-in-time creation: refused, and the refusal is logged.
    let back = loopback_redirect(&app, &idp, "jit", "new@jit.example").await;
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert!(param(&back, "error_description").unwrap().contains("not an employee"));
    let refused: Vec<Value> =
        app.activity(&org.id).await.into_iter().filter(|e| e["event_type"] == "sign_in.refused").collect();
    assert_eq!(refused[0]["payload"]["reason"], "not_provisioned");

    let mut extra = extra;
    extra["just_in_time"] = json!(true);
    configure(&app, &org, &idp, extra).await;
    idp.set_account("new-sub", json!({ "email": "New@jit.example", "email_verified": true, "name": "New Person", "groups": ["platform-eng", "agent-admins"] })).await;
    let tokens = sign_in(&app, &idp, "jit", "new-sub").await;
    let (_, me) = app.get("/v1/me", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(me["employee"]["email"], "new@jit.example");
    assert_eq!(me["employee"]["full_name"], "New Person");
    assert_eq!(me["employee"]["team_id"], team["id"]);
    assert_eq!(me["role"], "admin");
    let (_, team_now) = app.get(&format!("/v1/teams/{}", team["id"].as_str().unwrap()), &org.owner_token).await;
    assert_eq!(team_now["member_count"], 1, "{team_now}");

    // An unverified email, or one of a domain the organization does not allow, is refused.
    idp.set_account("unverified", json!({ "email": "someone@jit.example", "email_verified": false })).await;
    let back = loopback_redirect(&app, &idp, "jit", "unverified").await;
    assert!(param(&back, "error_description").unwrap().contains("does not vouch"), "{back}");
    let back = loopback_redirect(&app, &idp, "jit", "outsider@elsewhere.example").await;
    assert!(param(&back, "error_description").unwrap().contains("domain"), "{back}");
    let back = loopback_redirect(&app, &idp, "jit", "outsider@elsewhere.example").await;
    assert_eq!(param(&back, "code"), None);
}

#[tokio::test]
async fn the_device_flow_signs_a_terminal_in_after_the_browser_confirms() {
    let app = TestApp::spawn().await;
    let org = app.create_org("device").await;
    let idp = LocalIdp::start().await;
    configure(&app, &org, &idp, json!({})).await;
    app.add_employee(&org, "dev@device.example", "member", None).await;

    let start = |slug: &'static str| {
        let request = app.request(Method::POST, "/v1/oauth/device_authorization", None);
        async move {
            agentctl_tests::read(request.form(&[("client_id", "agentctl-cli"), ("org", slug)]).send().await.unwrap())
                .await
        }
    };
    // Unknown organizations and organizations without SSO answer alike.
    let (status, unknown) = start("no-such-org").await;
    assert_eq!((status, unknown["error"].as_str()), (StatusCode::BAD_REQUEST, Some("access_denied")));
    let (status, grant) = start("device").await;
    assert_eq!(status, StatusCode::OK, "{grant}");
    assert_eq!(grant["interval"], 5);
    let device_code = grant["device_code"].as_str().unwrap().to_string();
    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", "agentctl-cli"),
        ("device_code", device_code.as_str()),
    ];
    let (status, pending) = token(&app, &poll).await;
    assert_eq!((status, pending["error"].as_str()), (StatusCode::BAD_REQUEST, Some("authorization_pending")));
    let (_, fast) = token(&app, &poll).await;
    assert_eq!(fast["error"], "slow_down", "polled again at once");

    // The person opens the link, sees the organization and the code, and continues.
    let browser = browser();
    let page = browser.get(grant["verification_uri_complete"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let page = page.text().await.unwrap();
    assert!(page.contains("Org device") && page.contains(grant["user_code"].as_str().unwrap()), "{page}");
    let form = [("user_code", grant["user_code"].as_str().unwrap()), ("action", "approve")];
    let to_idp = location(&browser.post(format!("{}/v1/oauth/device", app.url)).form(&form).send().await.unwrap());
    let callback = idp.sign_in(&browser, &to_idp, "dev@device.example").await;
    let done = browser.get(&callback).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap().contains("Return to your terminal"));

    // The terminal's next poll (after the interval) gets the tokens, once.
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    let (status, tokens) = token(&app, &poll).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let (status, _) = app.get("/v1/me", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = token(&app, &poll).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a device code is used once");

    // "This was not me" denies the terminal.
    let (_, grant) = start("device").await;
    let form = [("user_code", grant["user_code"].as_str().unwrap()), ("action", "deny")];
    let response = browser.post(format!("{}/v1/oauth/device", app.url)).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", "agentctl-cli"),
        ("device_code", grant["device_code"].as_str().unwrap()),
    ];
    let (_, denied) = token(&app, &poll).await;
    assert_eq!(denied["error"], "access_denied");

    // An unknown code shows the form again with an error, never another organization.
    let page = browser
        .get(format!("{}/v1/oauth/device?user_code=BBBB-BBBB", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("unknown or has expired"), "{page}");
}

#[tokio::test]
async fn replayed_foreign_or_mixed_up_callbacks_are_refused() {
    let app = TestApp::spawn().await;
    let org = app.create_org("replay").await;
    let idp = LocalIdp::start().await;
    configure(&app, &org, &idp, json!({})).await;
    app.add_employee(&org, "dev@replay.example", "member", None).await;

    let browser = browser();
    let mut url = reqwest::Url::parse(&format!("{}/v1/oauth/authorize", app.url)).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", "agentctl-cli"),
        ("redirect_uri", LOOPBACK),
        ("code_challenge", &s256(VERIFIER)),
        ("code_challenge_method", "S256"),
        ("org", "replay"),
    ]);
    let to_idp = location(&browser.get(url.clone()).send().await.unwrap());
    let callback = idp.sign_in(&browser, &to_idp, "dev@replay.example").await;

    // Another browser (no sign-in cookie) cannot finish it.
    let response = reqwest::Client::new().get(&callback).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // An answer naming another issuer (mix-up) is refused.
    let response = browser.get(format!("{callback}&iss=https%3A%2F%2Fevil.example")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // The real one works once; replayed, it is refused (its state and nonce are spent).
    let first = browser.get(&callback).send().await.unwrap();
    assert!(location(&first).contains("code="));
    let replay = browser.get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert!(replay.text().await.unwrap().contains("expired or was already used"));

    // Requests agentctl cannot answer safely by redirect are answered in the page.
    let mut evil = url.clone();
    evil.query_pairs_mut().clear().extend_pairs([
        ("response_type", "code"),
        ("client_id", "agentctl-cli"),
        ("redirect_uri", "https://evil.example/cb"),
        ("org", "replay"),
    ]);
    let response = browser.get(evil).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // Without PKCE the client is sent back an error.
    let mut no_pkce = url.clone();
    no_pkce.query_pairs_mut().clear().extend_pairs([
        ("response_type", "code"),
        ("client_id", "agentctl-cli"),
        ("redirect_uri", LOOPBACK),
        ("org", "replay"),
    ]);
    let back = location(&browser.get(no_pkce).send().await.unwrap());
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
}

/// ID tokens from the real provider, checked by agentctl's verifier.
#[tokio::test]
async fn id_tokens_are_verified_strictly() {
    let idp = LocalIdp::start().await;
    let redirect = "http://127.0.0.1:9/cb";
    let ours = idp.register_client(redirect).await;
    let theirs = idp.register_client(redirect).await;
    let oidc = Oidc::new(
        agentctl_shared::outbound::Outbound::new(true, std::time::Duration::from_secs(10)),
        std::time::Duration::ZERO,
    );
    let discovery = oidc.discover(&idp.issuer).await.unwrap();
    let now = chrono::Utc::now().timestamp();

    let token = idp.id_token((&ours.0, &ours.1), redirect, "a@x.example", "n-1").await;
    let good = Expected { issuer: &idp.issuer, client_id: &ours.0, nonce: "n-1" };
    let claims = oidc.verify(&discovery, &token, &good, now).await.expect("a good token verifies");
    assert_eq!(claims.sub, "a@x.example");

    let refused = |e: agentctl_shared::oidc::OidcError| e.to_string();
    // Another client's token (wrong audience).
    let foreign = idp.id_token((&theirs.0, &theirs.1), redirect, "a@x.example", "n-1").await;
    assert!(refused(oidc.verify(&discovery, &foreign, &good, now).await.unwrap_err()).contains("audience"));
    // Expired: the same token an hour and a half later.
    assert!(refused(oidc.verify(&discovery, &token, &good, now + 5400).await.unwrap_err()).contains("expired"));
    // Another nonce (a replayed token).
    let replayed = Expected { nonce: "n-2", ..good };
    assert!(refused(oidc.verify(&discovery, &token, &replayed, now).await.unwrap_err()).contains("nonce"));
    // A bad signature.
    let (head, signature) = token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let tampered = format!("{head}.{flipped}{}", &signature[1..]);
    assert!(refused(oidc.verify(&discovery, &tampered, &good, now).await.unwrap_err()).contains("signature"));
    // alg none, and HS256 keyed with the provider's public key.
    let payload = token.split('.').nth(1).unwrap();
    use base64::Engine;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!("{}.{payload}.", b64(&json!({ "alg": "none" })));
    assert!(oidc.verify(&discovery, &none, &good, now).await.is_err());
    let hs = format!("{}.{payload}.c2lnbmF0dXJl", b64(&json!({ "alg": "HS256" })));
    assert!(refused(oidc.verify(&discovery, &hs, &good, now).await.unwrap_err()).contains("algorithm"));

    // After the provider rotates its keys, a token with the new key id verifies: the
    // unknown key id makes the verifier fetch the key set again.
    let kid = idp.rotate_keys().await;
    let rotated = idp.id_token((&ours.0, &ours.1), redirect, "a@x.example", "n-3").await;
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(rotated.split('.').next().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(header["kid"], kid.as_str());
    let fresh = Expected { nonce: "n-3", ..good };
    oidc.verify(&discovery, &rotated, &fresh, chrono::Utc::now().timestamp()).await.expect("verified after rotation");
}

/// The "done when": a new organization configures its identity provider and a
/// SCIM token; the provider provisions 100 people in 5 groups; one signs in with the
/// device flow and syncs; deactivated in SCIM, they lose access on the next request.
#[tokio::test]
async fn an_organization_onboards_through_its_identity_provider_end_to_end() {
    let app = TestApp::spawn().await;
    let org = app.create_org("onboard").await;
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/v1/orgs/{}", org.id),
            Some(&app.platform_key),
            Some(json!({ "max_employees": 200 })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let idp = LocalIdp::start().await;
    configure(&app, &org, &idp, json!({})).await;
    let (_, created) = app.post("/v1/org/scim-tokens", &org.owner_token, json!({ "name": "IdP" })).await;
    let scim_token = created["token"].as_str().unwrap().to_string();
    let scim = |method: Method, path: String, body: Value| {
        let request = app.request(method, &format!("/scim/v2{path}"), Some(&scim_token));
        async move {
            agentctl_tests::read(
                request.header("content-type", "application/scim+json").body(body.to_string()).send().await.unwrap(),
            )
            .await
        }
    };

    let mut people = Vec::new();
    for n in 0..100 {
        let email = format!("person{n}@onboard.example");
        let body = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": email, "externalId": format!("idp-{n}"), "emails": [{ "value": email, "primary": true }], "name": { "givenName": "Person", "familyName": n.to_string() } });
        let (status, user) = scim(Method::POST, "/Users".into(), body).await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        people.push(user["id"].as_str().unwrap().to_string());
    }
    for (g, members) in people.chunks(20).enumerate() {
        let members: Vec<Value> = members.iter().map(|id| json!({ "value": id })).collect();
        let body =
            json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": format!("Group {g}") });
        let (status, group) = scim(Method::POST, "/Groups".into(), body).await;
        assert_eq!(status, StatusCode::CREATED, "{group}");
        let add = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{ "op": "add", "path": "members", "value": members }] });
        let (status, _) = scim(Method::PATCH, format!("/Groups/{}", group["id"].as_str().unwrap()), add).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (_, teams) = app.get("/v1/teams", &org.owner_token).await;
    let sizes: Vec<(u64, u64)> = teams["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["group_size"].as_u64().unwrap(), t["member_count"].as_u64().unwrap()))
        .collect();
    assert_eq!(sizes, vec![(20, 0); 5], "members of the groups; nobody's own team until one is a team's source");
    let (_, org_now) = app.get("/v1/org", &org.owner_token).await;
    assert_eq!(org_now["employee_count"], 101, "the owner and the 100 provisioned");

    // Person 7 signs in on a terminal with the device flow, and syncs.
    let start = app
        .request(Method::POST, "/v1/oauth/device_authorization", None)
        .form(&[("client_id", "agentctl-cli"), ("org", "onboard")]);
    let (_, grant) = agentctl_tests::read(start.send().await.unwrap()).await;
    let browser = browser();
    let form = [("user_code", grant["user_code"].as_str().unwrap()), ("action", "approve")];
    let to_idp = location(&browser.post(format!("{}/v1/oauth/device", app.url)).form(&form).send().await.unwrap());
    let callback = idp.sign_in(&browser, &to_idp, "person7@onboard.example").await;
    assert_eq!(browser.get(&callback).send().await.unwrap().status(), StatusCode::OK);
    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", "agentctl-cli"),
        ("device_code", grant["device_code"].as_str().unwrap()),
    ];
    let (status, tokens) = token(&app, &poll).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    let (_, me) = app.get("/v1/me", access).await;
    assert_eq!(me["employee"]["id"], people[7].as_str(), "the provisioned employee, linked by email");
    let (status, bundle) = app.get("/v1/me/sync", access).await;
    assert_eq!(status, StatusCode::OK, "{bundle}");

    // Deactivated in SCIM: the very next request is refused, and so is a refresh.
    let off = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{ "op": "replace", "path": "active", "value": false }] });
    let (status, _) = scim(Method::PATCH, format!("/Users/{}", people[7]), off).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get("/v1/me/sync", access).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", "agentctl-cli"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
    ];
    let (status, _) = token(&app, &refresh).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Two organizations trusting the same identity provider: a sign-in through one never
/// lands in the other, even for a person both employ.
#[tokio::test]
async fn an_identity_provider_signs_people_into_its_own_organization_only() {
    let app = TestApp::spawn().await;
    let first = app.create_org("first").await;
    let second = app.create_org("second").await;
    let idp = LocalIdp::start().await;
    let domains = json!({ "allowed_domains": ["shared.example"] });
    configure(&app, &first, &idp, domains.clone()).await;
    configure(&app, &second, &idp, domains).await;
    let in_second = app.add_employee(&second, "both@shared.example", "member", None).await;
    // Not an employee of the first: refused there, whatever the second knows.
    let back = loopback_redirect(&app, &idp, "first", "both@shared.example").await;
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    let in_first = app.add_employee(&first, "both@shared.example", "member", None).await;
    let tokens = sign_in(&app, &idp, "first", "both@shared.example").await;
    let (_, me) = app.get("/v1/me", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(
        (me["employee"]["id"].clone(), me["organization"]["slug"].clone()),
        (in_first["id"].clone(), json!("first"))
    );
    let tokens = sign_in(&app, &idp, "second", "both@shared.example").await;
    let (_, me) = app.get("/v1/me", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(me["employee"]["id"], in_second["id"]);
}

/// "nOAuth": once a person is linked, another subject of the same provider presenting
/// their verified email (a reassigned address, a re-created account, an editable email)
/// is refused, and says why, until an admin removes the link (audited).
#[tokio::test]
async fn a_second_subject_with_a_linked_persons_email_is_refused_until_an_admin_unlinks() {
    let app = TestApp::spawn().await;
    let org = app.create_org("noauth").await;
    let idp = LocalIdp::start().await;
    configure(&app, &org, &idp, json!({})).await;
    let dave = app.add_employee(&org, "dave@noauth.example", "member", None).await;
    let dave_id = dave["id"].as_str().unwrap();
    let tokens = sign_in(&app, &idp, "noauth", "dave@noauth.example").await;
    let (_, me) = app.get("/v1/me", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(me["employee"]["id"], dave_id);

    idp.set_account("impostor", json!({ "email": "Dave@noauth.example", "email_verified": true })).await;
    let back = loopback_redirect(&app, &idp, "noauth", "impostor").await;
    assert_eq!((param(&back, "code"), param(&back, "error").as_deref()), (None, Some("access_denied")), "{back}");
    assert!(param(&back, "error_description").unwrap().contains("another account"), "{back}");
    let refused: Vec<Value> =
        app.activity(&org.id).await.into_iter().filter(|e| e["event_type"] == "sign_in.refused").collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["payload"]["reason"], "linked_to_another_subject");
    assert_eq!(refused[0]["payload"]["subject"], "impostor");

    // Admins see the link with the employee; members and other organizations do not.
    let links_path = format!("/v1/employees/{dave_id}/identity-links");
    let (status, links) = app.get(&links_path, &org.owner_token).await;
    assert_eq!(status, StatusCode::OK, "{links}");
    let links = links["items"].as_array().unwrap().clone();
    assert_eq!(links.len(), 1);
    assert_eq!(
        (links[0]["issuer"].as_str(), links[0]["subject"].as_str()),
        (Some(idp.issuer.as_str()), Some("dave@noauth.example"))
    );
    let link_path = format!("{links_path}/{}", links[0]["id"].as_str().unwrap());
    let (_, member) = app.add_signed_in(&org, "mia@noauth.example", "member").await;
    assert_eq!(app.get(&links_path, &member).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&link_path, &member).await.0, StatusCode::FORBIDDEN);
    let other = app.create_org("noauthother").await;
    assert_eq!(app.get(&links_path, &other.owner_token).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&link_path, &other.owner_token).await.0, StatusCode::NOT_FOUND);
    let unknown = format!("{links_path}/{}", uuid::Uuid::new_v4());
    assert_eq!(app.delete(&unknown, &org.owner_token).await.0, StatusCode::NOT_FOUND);

    // Removed (audited): the new account links at its next sign-in, and the old one is
    // now the stranger.
    assert_eq!(app.delete(&link_path, &org.owner_token).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&link_path, &org.owner_token).await.0, StatusCode::NOT_FOUND);
    let removed: Vec<Value> =
        app.activity(&org.id).await.into_iter().filter(|e| e["event_type"] == "identity_link.removed").collect();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["payload"]["subject"], "dave@noauth.example");
    let tokens = sign_in(&app, &idp, "noauth", "impostor").await;
    let (_, me) = app.get("/v1/me", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(me["employee"]["id"], dave_id);
    let back = loopback_redirect(&app, &idp, "noauth", "dave@noauth.example").await;
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"), "{back}");
}

/// A role mapping grants `owner` only where an owner allowed it, at the first sign-in
/// (just in time) and every later one alike.
#[tokio::test]
async fn a_role_mapping_makes_owners_only_where_an_owner_allowed_it() {
    let app = TestApp::spawn().await;
    let org = app.create_org("ownermap").await;
    let idp = LocalIdp::start().await;
    let owner_mapping = json!([{ "claim": "groups", "value": "founders", "role": "owner" }]);
    let client = idp.register_client(&format!("{}/v1/oauth/callback", app.url)).await;
    let body = json!({ "issuer": idp.issuer, "client_id": client.0, "client_secret": client.1,
        "allowed_domains": ["ownermap.example"], "extra_scopes": ["groups"], "just_in_time": true,
        "role_mappings": owner_mapping });
    let (status, problem) =
        app.call(Method::PUT, "/v1/org/identity-provider", Some(&org.owner_token), Some(body.clone())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "role_mappings", "{problem}");

    let mut allowed = body;
    allowed["allow_owner_mapping"] = json!(true);
    let (status, settings) =
        app.call(Method::PUT, "/v1/org/identity-provider", Some(&org.owner_token), Some(allowed)).await;
    assert_eq!((status, settings["allow_owner_mapping"].as_bool()), (StatusCode::OK, Some(true)), "{settings}");
    let founder = json!({ "email": "founder@ownermap.example", "email_verified": true, "groups": ["founders"] });
    idp.set_account("founder", founder).await;
    let tokens = sign_in(&app, &idp, "ownermap", "founder").await;
    let (_, me) = app.get("/v1/me", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(me["role"], "owner", "just in time, as at every later sign-in");
    let second = json!({ "email": "cofounder@ownermap.example", "email_verified": true, "groups": [] });
    idp.set_account("cofounder", second).await;
    let tokens = sign_in(&app, &idp, "ownermap", "cofounder").await;
    let (_, me) = app.get("/v1/me", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(me["role"], "member");
    let cofounder = json!({ "email": "cofounder@ownermap.example", "email_verified": true, "groups": ["founders"] });
    idp.set_account("cofounder", cofounder).await;
    let tokens = sign_in(&app, &idp, "ownermap", "cofounder").await;
    let (_, me) = app.get("/v1/me", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(me["role"], "owner", "a later sign-in follows the same rule");
}
