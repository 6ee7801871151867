//! agentctl's token endpoint and device authorization endpoint (RFC 6749, RFC 8628):
//! authorization codes (PKCE), device codes and refresh tokens turned into sessions.

use chrono::Duration;
use serde::Deserialize;

use super::signin::{self, NOT_CONFIGURED};
use super::{
    CLI_CLIENT_ID, DEVICE_CODE_GRANT, DeviceAuthorization, DeviceGrant, DeviceStatus, OAuthError, TokenResponse,
};
use crate::AppState;
use crate::auth;
use crate::domain::employees;
use crate::domain::sessions::{self, Opening, RefreshError, SignInMethod};
use crate::error::Error;
use crate::repo::{self, StoreError};

/// How long a device code lives.
const DEVICE_TTL: Duration = Duration::minutes(10);
/// Seconds between polls a device starts with (RFC 8628 §3.2 default).
const DEVICE_INTERVAL: i64 = 5;
/// What `slow_down` adds to the interval (RFC 8628 §3.5).
const SLOW_DOWN_STEP: i64 = 5;
/// The user code alphabet: consonants only, no look-alikes, no words (RFC 8628 §6.1).
const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// A refusal in OAuth's own terms (the token endpoint answers it as RFC 6749 §5.2 JSON).
#[derive(Debug)]
pub enum GrantError {
    OAuth(OAuthError),
    App(Error),
}

impl GrantError {
    fn oauth(error: &str, description: impl Into<String>) -> Self {
        Self::OAuth(OAuthError { error: error.into(), error_description: Some(description.into()) })
    }

    fn invalid_grant(description: &str) -> Self {
        Self::oauth("invalid_grant", description)
    }
}

impl<E: Into<Error>> From<E> for GrantError {
    fn from(e: E) -> Self {
        Self::App(e.into())
    }
}

type Result<T> = std::result::Result<T, GrantError>;

/// `POST /v1/oauth/device_authorization` (form).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DeviceAuthorizationForm {
    pub client_id: Option<String>,
    /// The organization's slug.
    pub org: Option<String>,
    pub scope: Option<String>,
}

pub async fn authorize_device(
    state: &AppState,
    form: DeviceAuthorizationForm,
    public_url: &str,
) -> Result<DeviceAuthorization> {
    if form.client_id.as_deref() != Some(CLI_CLIENT_ID) {
        return Err(GrantError::oauth("invalid_client", "unknown client"));
    }
    let Some(settings) = signin::configured(state, form.org.as_deref()).await? else {
        return Err(GrantError::oauth("access_denied", NOT_CONFIGURED));
    };
    let now = crate::time::now();
    let device_code = auth::new_secret(auth::DEVICE_CODE_PREFIX);
    // A user code is 20^8 (2^34.6) strong and lives 10 minutes behind a throttled
    // endpoint; on the rare collision with a live one, draw again.
    for _ in 0..3 {
        let grant = DeviceGrant {
            org_id: settings.org_id,
            client_id: CLI_CLIENT_ID.into(),
            user_code: new_user_code(),
            status: DeviceStatus::Pending,
            interval: DEVICE_INTERVAL,
            last_polled_at: None,
            expires_at: now + DEVICE_TTL,
        };
        match repo::identity::create_device_grant(&state.repo, &auth::digest(&device_code), &grant).await {
            Ok(()) => {
                let shown = format!("{}-{}", &grant.user_code[..4], &grant.user_code[4..]);
                let verification_uri = format!("{public_url}/v1/oauth/device");
                return Ok(DeviceAuthorization {
                    verification_uri_complete: format!("{verification_uri}?user_code={shown}"),
                    verification_uri,
                    device_code,
                    user_code: shown,
                    expires_in: DEVICE_TTL.num_seconds(),
                    interval: DEVICE_INTERVAL,
                });
            }
            Err(StoreError::ConditionFailed(repo::Guard::UserCode)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(GrantError::App(Error::Unavailable("no free user code".into())))
}

fn new_user_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..8).map(|_| USER_CODE_ALPHABET[rng.random_range(0..USER_CODE_ALPHABET.len())] as char).collect()
}

/// `POST /v1/oauth/token` (form).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct TokenForm {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    /// `authorization_code`: the code, the redirect URI it was sent to, the PKCE verifier.
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    /// The device grant's device code.
    pub device_code: Option<String>,
    pub refresh_token: Option<String>,
    /// A name for this device, shown in session lists (agentctl's extension).
    pub device_name: Option<String>,
}

pub async fn token(state: &AppState, form: TokenForm, ip_address: Option<String>) -> Result<TokenResponse> {
    if form.client_id.as_deref() != Some(CLI_CLIENT_ID) {
        return Err(GrantError::oauth("invalid_client", "unknown client"));
    }
    let device_name = match form.device_name {
        Some(name) => Some(
            crate::validate::name(sessions::DEVICE_NAME_MAX)(name)
                .map_err(|e| GrantError::oauth("invalid_request", format!("device_name {e}")))?,
        ),
        None => None,
    };
    let opening = Opening { device_name, ip_address, method: SignInMethod::SingleSignOn };
    let now = crate::time::now();
    let issued = match form.grant_type.as_deref() {
        Some("authorization_code") => {
            let (Some(code), Some(redirect_uri), Some(verifier)) = (form.code, form.redirect_uri, form.code_verifier)
            else {
                return Err(GrantError::oauth("invalid_request", "code, redirect_uri and code_verifier are required"));
            };
            exchange_code(state, &code, &redirect_uri, &verifier, opening).await?
        }
        Some(DEVICE_CODE_GRANT) => {
            let Some(device_code) = form.device_code else {
                return Err(GrantError::oauth("invalid_request", "device_code is required"));
            };
            poll_device(state, &device_code, opening).await?
        }
        Some("refresh_token") => {
            let Some(refresh_token) = form.refresh_token else {
                return Err(GrantError::oauth("invalid_request", "refresh_token is required"));
            };
            sessions::refresh(state, &refresh_token).await.map_err(|e| match e {
                RefreshError::App(e) => GrantError::App(e),
                refused => GrantError::invalid_grant(&refused.to_string()),
            })?
        }
        Some(_) => {
            return Err(GrantError::oauth(
                "unsupported_grant_type",
                "use authorization_code, refresh_token or the device code grant",
            ));
        }
        None => return Err(GrantError::oauth("invalid_request", "grant_type is required")),
    };
    Ok(issued.into_token_response(now))
}

async fn exchange_code(
    state: &AppState,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
    opening: Opening,
) -> Result<sessions::Issued> {
    const UNUSABLE: &str = "the authorization code is invalid, used or expired";
    if !code.starts_with(auth::AUTHORIZATION_CODE_PREFIX) || code.len() > 128 || verifier.len() > 128 {
        return Err(GrantError::invalid_grant(UNUSABLE));
    }
    let code_hash = auth::digest(code);
    let grant =
        repo::identity::code(&state.repo, &code_hash).await?.ok_or_else(|| GrantError::invalid_grant(UNUSABLE))?;
    let now = crate::time::now();
    let proof = signin::s256(verifier);
    let pkce_ok = bool::from(subtle::ConstantTimeEq::ct_eq(proof.as_bytes(), grant.code_challenge.as_bytes()));
    if grant.expires_at <= now || grant.redirect_uri != redirect_uri || grant.client_id != CLI_CLIENT_ID || !pkce_ok {
        return Err(GrantError::invalid_grant(UNUSABLE));
    }
    let employee = employees::find(state, grant.org_id, grant.employee_id).await?;
    if !employee.status.may_log_in() {
        return Err(GrantError::invalid_grant(UNUSABLE));
    }
    let mut tx = state.repo.transaction();
    repo::identity::consume_code(&mut tx, &code_hash);
    let issued = sessions::open(state, &mut tx, &employee, opening, now).await?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(repo::Guard::AuthorizationCode) => GrantError::invalid_grant(UNUSABLE),
        e => GrantError::App(sessions::opening_error(e)),
    })?;
    Ok(issued)
}

async fn poll_device(state: &AppState, device_code: &str, opening: Opening) -> Result<sessions::Issued> {
    const UNKNOWN: &str = "the device code is invalid";
    if !device_code.starts_with(auth::DEVICE_CODE_PREFIX) || device_code.len() > 128 {
        return Err(GrantError::invalid_grant(UNKNOWN));
    }
    let device_hash = auth::digest(device_code);
    let grant = repo::identity::device_grant(&state.repo, &device_hash)
        .await?
        .ok_or_else(|| GrantError::invalid_grant(UNKNOWN))?;
    let now = crate::time::now();
    if grant.expires_at <= now {
        return Err(GrantError::oauth("expired_token", "the device code expired; run agentctl login again"));
    }
    match grant.status {
        DeviceStatus::Pending => {
            let too_soon = grant.last_polled_at.is_some_and(|at| now < at + Duration::seconds(grant.interval));
            let interval = if too_soon { grant.interval + SLOW_DOWN_STEP } else { grant.interval };
            let recorded =
                repo::identity::record_poll(&state.repo, &device_hash, grant.last_polled_at.as_ref(), &now, interval)
                    .await?;
            Err(if too_soon || !recorded {
                GrantError::oauth("slow_down", format!("poll at most every {interval} seconds"))
            } else {
                GrantError::oauth("authorization_pending", "the sign-in in the browser is not finished yet")
            })
        }
        DeviceStatus::Denied { reason } => {
            let mut tx = state.repo.transaction();
            repo::identity::consume_device_grant(&mut tx, &device_hash, &grant.user_code);
            crate::domain::notify::commit(state, tx).await.map_err(Error::from)?;
            Err(GrantError::oauth("access_denied", reason))
        }
        DeviceStatus::Approved { employee_id } => {
            let employee = employees::find(state, grant.org_id, employee_id).await?;
            if !employee.status.may_log_in() {
                return Err(GrantError::oauth("access_denied", "your agentctl account is suspended or deactivated"));
            }
            let mut tx = state.repo.transaction();
            repo::identity::consume_device_grant(&mut tx, &device_hash, &grant.user_code);
            let issued = sessions::open(state, &mut tx, &employee, opening, now).await?;
            crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
                StoreError::ConditionFailed(repo::Guard::DeviceGrant) => GrantError::invalid_grant(UNKNOWN),
                e => GrantError::App(sessions::opening_error(e)),
            })?;
            Ok(issued)
        }
    }
}
