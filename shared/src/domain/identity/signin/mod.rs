//! The browser side of single sign-on: a client's authorization request or a device's
//! user code sends the person to the organization's provider (code flow with PKCE,
//! `state`, `nonce`, bound to the browser by a cookie); the provider sends them back to
//! the callback, where the ID token is verified, the person resolved to an employee,
//! and the sign-in finished for the client (a one-time code) or the device.

use crate::activity::By;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{AuthorizationCode, CLI_CLIENT_ID, DeviceStatus, ProviderSettings, SignIn, Then};
use crate::AppState;
use crate::activity::{Actor, EventType};
use crate::auth;
use crate::domain::identity::provider::{self, BASE_SCOPES};
use crate::error::Result;
use crate::oidc::{ClientCredentials, IdClaims};
use crate::repo::{self, StoreError};

mod console;
mod device;
mod person;

pub use console::*;
pub use device::*;
use person::*;

/// How long a person has to sign in at the provider.
const SIGN_IN_TTL: Duration = Duration::minutes(10);
/// How long a client has to exchange the code it was sent back with.
const CODE_TTL: Duration = Duration::minutes(2);

/// What the browser is answered.
#[derive(Debug)]
pub enum Answer {
    /// Send the browser on; set `cookie` (the sign-in's browser binding) if given.
    Redirect { location: String, cookie: Option<String> },
    /// Tell the person, when there is nowhere safe to send them.
    Message { status: u16, title: &'static str, detail: String },
    /// The device flow's page: enter (or confirm) the code the terminal shows.
    DeviceForm { user_code: Option<String>, organization: Option<String>, error: Option<&'static str> },
    /// Signed in to the console: set its session cookie to `token`, then open it.
    Console { token: String },
}

fn message(status: u16, title: &'static str, detail: impl Into<String>) -> Answer {
    Answer::Message { status, title, detail: detail.into() }
}

fn expired() -> Answer {
    message(
        400,
        "Sign-in expired",
        "This sign-in link has expired or was already used. Start again from where you began.",
    )
}

/// `GET /v1/oauth/authorize` (RFC 6749 §4.1.1 with PKCE, plus `org`: the organization's slug).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorizeQuery {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub state: Option<String>,
    /// The organization's slug.
    pub org: Option<String>,
}

/// A loopback redirect URI of a native app (RFC 8252 §7.3): http, 127.0.0.1 or [::1],
/// any port, no fragment.
fn is_loopback_redirect(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|url| {
        url.scheme() == "http"
            && matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
                | matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
            && url.port().is_some()
            && url.fragment().is_none()
            && url.username().is_empty()
    }) && uri.len() <= 512
}

/// A PKCE S256 challenge: 43 characters of base64url.
fn is_challenge(value: &str) -> bool {
    value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(base).expect("checked URL");
    url.query_pairs_mut().extend_pairs(pairs);
    url.into()
}

pub async fn authorize(state: &AppState, query: AuthorizeQuery, public_url: &str) -> Result<Answer> {
    if query.client_id.as_deref() != Some(CLI_CLIENT_ID) {
        return Ok(message(400, "Unknown client", "This sign-in request does not come from an agentctl client."));
    }
    let Some(redirect_uri) = query.redirect_uri.filter(|uri| is_loopback_redirect(uri)) else {
        return Ok(message(
            400,
            "Redirect not allowed",
            "agentctl only sends sign-ins back to this computer (a loopback address).",
        ));
    };
    let client_state = query.state.filter(|s| s.len() <= 512);
    let refuse = |error: &str, description: &str| {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(s) = &client_state {
            pairs.push(("state", s));
        }
        Answer::Redirect { location: with_query(&redirect_uri, &pairs), cookie: None }
    };
    if query.response_type.as_deref() != Some("code") {
        return Ok(refuse("unsupported_response_type", "only response_type=code is supported"));
    }
    let Some(code_challenge) = query.code_challenge.filter(|c| is_challenge(c)) else {
        return Ok(refuse("invalid_request", "a PKCE code_challenge is required"));
    };
    if query.code_challenge_method.as_deref() != Some("S256") {
        return Ok(refuse("invalid_request", "code_challenge_method must be S256"));
    }
    let Some(settings) = configured(state, query.org.as_deref()).await? else {
        return Ok(refuse("access_denied", NOT_CONFIGURED));
    };
    let then = Then::Client {
        client_id: CLI_CLIENT_ID.into(),
        redirect_uri: redirect_uri.clone(),
        code_challenge,
        state: client_state.clone(),
    };
    match send_to_provider(state, &settings, then, public_url).await? {
        Some(answer) => Ok(answer),
        None => Ok(refuse("temporarily_unavailable", "the identity provider cannot be reached")),
    }
}

/// Same words whether the organization does not exist or has no provider: the answer
/// must not tell which slugs exist.
pub const NOT_CONFIGURED: &str = "single sign-on is not configured for this organization";

/// The provider of the organization a slug names, if both exist.
pub(crate) async fn configured(state: &AppState, slug: Option<&str>) -> Result<Option<ProviderSettings>> {
    let Some(slug) = slug.filter(|s| crate::validate::slug(s.to_string()).is_ok()) else { return Ok(None) };
    let Some(org) = repo::organizations::id_by_slug(&state.repo, slug).await? else { return Ok(None) };
    provider::find(state, org).await
}

/// Records a sign-in and answers the redirect to the provider (`None`: the provider's
/// discovery document cannot be read).
pub(crate) async fn send_to_provider(
    state: &AppState,
    settings: &ProviderSettings,
    then: Then,
    public_url: &str,
) -> Result<Option<Answer>> {
    let discovery = match state.oidc.discover(&settings.issuer).await {
        Ok(discovery) => discovery,
        Err(e) => {
            tracing::warn!(error = %e, issuer = settings.issuer, "identity provider discovery failed");
            return Ok(None);
        }
    };
    let provider_state = auth::new_secret("");
    let nonce = auth::new_secret("");
    let code_verifier = auth::new_secret("");
    let browser = auth::new_secret("");
    let sign_in = SignIn {
        org_id: settings.org_id,
        nonce: nonce.clone(),
        code_verifier: code_verifier.clone(),
        browser_hash: auth::digest(&browser),
        then,
        expires_at: crate::time::now() + SIGN_IN_TTL,
    };
    repo::identity::put_sign_in(&state.repo, &auth::digest(&provider_state), &sign_in).await?;
    let scope = BASE_SCOPES
        .iter()
        .map(|s| s.to_string())
        .chain(settings.extra_scopes.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let location = with_query(
        &discovery.authorization_endpoint,
        &[
            ("response_type", "code"),
            ("client_id", &settings.client_id),
            ("redirect_uri", &provider::redirect_uri(public_url)),
            ("scope", &scope),
            ("state", &provider_state),
            ("nonce", &nonce),
            ("code_challenge", &s256(&code_verifier)),
            ("code_challenge_method", "S256"),
        ],
    );
    Ok(Some(Answer::Redirect { location, cookie: Some(browser) }))
}

/// `GET /v1/oauth/callback`: where the provider sends the person back.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The issuer of the answer (RFC 9207), when the provider sends it.
    pub iss: Option<String>,
}

/// Why someone the provider vouched for is not let in.
#[derive(Clone, Copy, Debug, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
enum Refusal {
    ProviderDeclined,
    TokenRejected,
    EmailNotVerified,
    DomainNotAllowed,
    NotProvisioned,
    NotActive,
    NoSeat,
    /// The employee the email names is linked to another subject of this provider.
    LinkedToAnotherSubject,
}

impl Refusal {
    fn explain(self) -> &'static str {
        match self {
            Refusal::ProviderDeclined => "the identity provider did not sign you in",
            Refusal::TokenRejected => "the identity provider's answer could not be verified",
            Refusal::EmailNotVerified => "your identity provider does not vouch for your email address",
            Refusal::DomainNotAllowed => "your email address is not of a domain this organization allows",
            Refusal::NotProvisioned => "you are not an employee of this organization in agentctl yet; ask an admin",
            Refusal::NotActive => "your agentctl account is suspended or deactivated",
            Refusal::NoSeat => "the organization has no free seat; ask an admin",
            Refusal::LinkedToAnotherSubject => {
                "another account of your identity provider signs in as this person; an admin can remove that link"
            }
        }
    }
}

pub async fn callback(
    state: &AppState,
    query: CallbackQuery,
    browser: Option<&str>,
    public_url: &str,
    ip_address: Option<String>,
) -> Result<Answer> {
    let Some(provider_state) = query.state.as_deref().filter(|s| s.len() <= 128) else { return Ok(expired()) };
    let state_hash = auth::digest(provider_state);
    let Some(sign_in) = repo::identity::sign_in(&state.repo, &state_hash).await? else { return Ok(expired()) };
    if sign_in.expires_at <= crate::time::now() {
        return Ok(expired());
    }
    if !browser.is_some_and(|b| {
        bool::from(subtle::ConstantTimeEq::ct_eq(auth::digest(b).as_bytes(), sign_in.browser_hash.as_bytes()))
    }) {
        return Ok(message(
            400,
            "Different browser",
            "This sign-in was started in another browser. Start again from where you began.",
        ));
    }
    let Some(settings) = provider::find(state, sign_in.org_id).await? else {
        return finish(state, &state_hash, &sign_in, Err(Refusal::ProviderDeclined), None, None).await;
    };
    // RFC 9207: an answer naming another issuer is a mix-up attack.
    if query.iss.as_deref().is_some_and(|iss| iss != settings.issuer) {
        return Ok(message(
            400,
            "Wrong identity provider",
            "The answer came from an identity provider this organization does not use.",
        ));
    }
    let (Some(code), None) = (query.code.as_deref(), query.error.as_deref()) else {
        return finish(state, &state_hash, &sign_in, Err(Refusal::ProviderDeclined), None, None).await;
    };
    let claims = match verified_claims(state, &settings, &sign_in, code, public_url).await? {
        Ok(claims) => claims,
        Err(refusal) => return finish(state, &state_hash, &sign_in, Err(refusal), None, None).await,
    };
    let person = Person::resolve(state, &settings, &claims).await?;
    finish(state, &state_hash, &sign_in, person, Some(&claims), ip_address).await
}

async fn verified_claims(
    state: &AppState,
    settings: &ProviderSettings,
    sign_in: &SignIn,
    code: &str,
    public_url: &str,
) -> Result<std::result::Result<IdClaims, Refusal>> {
    let discovery = match state.oidc.discover(&settings.issuer).await {
        Ok(discovery) => discovery,
        Err(e) => {
            tracing::warn!(error = %e, "identity provider discovery failed");
            return Ok(Err(Refusal::TokenRejected));
        }
    };
    let secret = settings.client_secret(state).await?;
    let client = ClientCredentials { client_id: &settings.client_id, client_secret: &secret };
    let redirect_uri = provider::redirect_uri(public_url);
    match state
        .oidc
        .exchange_code(&discovery, &client, code, &redirect_uri, &sign_in.code_verifier, &sign_in.nonce)
        .await
    {
        Ok(claims) => Ok(Ok(claims)),
        Err(e) => {
            tracing::warn!(error = %e, org_id = %settings.org_id, "sign-in refused: the provider's answer failed verification");
            Ok(Err(Refusal::TokenRejected))
        }
    }
}

/// Ends a sign-in: for the client, a one-time code (or the refusal) sent back to it; for
/// a device, its authorization approved (or denied). The sign-in is used up in the same
/// transaction, so a replayed return changes nothing.
async fn finish(
    state: &AppState,
    state_hash: &str,
    sign_in: &SignIn,
    person: std::result::Result<Person, Refusal>,
    claims: Option<&IdClaims>,
    ip_address: Option<String>,
) -> Result<Answer> {
    let now = crate::time::now();
    let mut tx = state.repo.transaction();
    repo::identity::consume_sign_in(&mut tx, state_hash);
    let mut code = None;
    match &person {
        Ok(person) => {
            record_person(state, &mut tx, person, now)?;
            match &sign_in.then {
                Then::Client { client_id, redirect_uri, code_challenge, .. } => {
                    let secret = auth::new_secret(auth::AUTHORIZATION_CODE_PREFIX);
                    let grant = AuthorizationCode {
                        org_id: sign_in.org_id,
                        employee_id: person.employee.id,
                        client_id: client_id.clone(),
                        redirect_uri: redirect_uri.clone(),
                        code_challenge: code_challenge.clone(),
                        expires_at: now + CODE_TTL,
                    };
                    repo::identity::create_code(&mut tx, &auth::digest(&secret), &grant)?;
                    code = Some(secret);
                }
                Then::Device { device_hash } => {
                    let approved = DeviceStatus::Approved { employee_id: person.employee.id };
                    repo::identity::decide_device_grant(&mut tx, device_hash, &approved)?;
                }
                // Its session opens once the person is recorded (below).
                Then::Console => {}
            }
        }
        Err(refusal) => {
            let reason: &'static str = (*refusal).into();
            if let Then::Device { device_hash } = &sign_in.then {
                let denied = DeviceStatus::Denied { reason: refusal.explain().into() };
                repo::identity::decide_device_grant(&mut tx, device_hash, &denied)?;
            }
            let payload = json!({
                "reason": reason,
                "email": claims.and_then(|c| c.email.clone()),
                "subject": claims.map(|c| c.sub.clone()),
            });
            crate::domain::log(
                state,
                &mut tx,
                sign_in.org_id,
                By { actor: Actor::IdentityProvider, employee_id: None },
                EventType::SignInRefused,
                payload,
            )?;
        }
    }
    let outcome = match crate::domain::notify::commit(state, tx).await {
        Ok(()) => person.as_ref().map(|_| ()).map_err(|refusal| *refusal),
        Err(StoreError::ConditionFailed(repo::Guard::SignIn)) => return Ok(expired()),
        Err(StoreError::ConditionFailed(repo::Guard::DeviceGrant)) => {
            return Ok(message(
                400,
                "Sign-in expired",
                "This device sign-in was already decided or has expired. Start again from your terminal.",
            ));
        }
        Err(StoreError::ConditionFailed(repo::Guard::Capacity)) => Err(Refusal::NoSeat),
        // Another subject was linked to the person meanwhile.
        Err(StoreError::ConditionFailed(repo::Guard::EmployeeIdentityLink)) => Err(Refusal::LinkedToAnotherSubject),
        Err(e @ StoreError::ConditionFailed(_)) => {
            tracing::info!(error = %e, "sign-in raced another change");
            return Ok(message(409, "Try again", "Your account changed while you signed in. Start again."));
        }
        Err(e) => return Err(e.into()),
    };
    if let (Then::Console, Ok(())) = (&sign_in.then, &outcome) {
        let employee = &person.as_ref().expect("signed in").employee;
        return console_session(state, employee.org_id, employee.id, ip_address).await;
    }
    Ok(match (&sign_in.then, outcome) {
        (Then::Client { redirect_uri, state: client_state, .. }, outcome) => {
            let mut pairs: Vec<(&str, &str)> = match (&outcome, &code) {
                (Ok(()), Some(code)) => vec![("code", code.as_str())],
                (Err(refusal), _) => vec![("error", "access_denied"), ("error_description", refusal.explain())],
                (Ok(()), None) => unreachable!("a client's sign-in issues a code"),
            };
            if let Some(s) = client_state {
                pairs.push(("state", s));
            }
            Answer::Redirect { location: with_query(redirect_uri, &pairs), cookie: None }
        }
        (Then::Device { .. }, Ok(())) => {
            message(200, "Signed in", "You are signed in. Return to your terminal: agentctl finishes there.")
        }
        (Then::Device { .. } | Then::Console, Err(refusal)) => {
            message(403, "Not signed in", capitalised(refusal.explain()))
        }
        (Then::Console, Ok(())) => unreachable!("answered above"),
    })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>() + ".").unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_redirects_are_allowed() {
        assert!(is_loopback_redirect("http://127.0.0.1:53682/callback"));
        assert!(is_loopback_redirect("http://[::1]:8000/"));
        for refused in [
            "https://evil.example/cb",
            "http://localhost:80/cb",
            "http://127.0.0.1/cb",
            "http://10.0.0.1:80/",
            "http://127.0.0.1:80/#x",
            "http://u@127.0.0.1:80/",
        ] {
            assert!(!is_loopback_redirect(refused), "{refused}");
        }
    }

    #[test]
    fn pkce_follows_rfc_7636() {
        // RFC 7636 appendix B.
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(is_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!is_challenge("short"));
    }

    #[test]
    fn user_codes_are_read_as_typed() {
        assert_eq!(normalise_user_code("bcdf-ghjk").as_deref(), Some("BCDFGHJK"));
        assert_eq!(normalise_user_code(" BCDF GHJK "), Some("BCDFGHJK".into()));
        assert_eq!(normalise_user_code("BCDF"), None);
    }

    #[test]
    fn claims_match_mappings_as_strings_or_lists() {
        assert!(has_value(&json!(["eng", "admins"]), "admins"));
        assert!(has_value(&json!("admins"), "admins"));
        assert!(has_value(&json!(true), "true"));
        assert!(!has_value(&json!({"admins": 1}), "admins"));
    }
}
