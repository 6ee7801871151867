//! The identity function: the organization's identity provider (single sign-on
//! settings), and agentctl's OAuth 2.0 endpoints for its own clients — authorization
//! with PKCE, the provider's callback, the device flow (RFC 8628) and the token endpoint.
//! The browser-facing pages are HTML; the token endpoints answer OAuth's own JSON.

mod pages;

use agentctl_shared::auth::Caller;
use agentctl_shared::domain::identity::grants::{self, DeviceAuthorizationForm, GrantError, TokenForm};
use agentctl_shared::domain::identity::signin::{self, Answer, AuthorizeQuery, CallbackQuery};
use agentctl_shared::domain::identity::{
    DeviceAuthorization, IdentityProvider, IdentityProviderRequest, OAuthError, TokenResponse, provider,
};
use agentctl_shared::domain::scim;
use agentctl_shared::domain::scim::tokens::{NewScimToken, ScimToken, ScimTokenRequest};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::{ClientIp, Json, Path, PublicUrl, cookies};
use agentctl_shared::ids::ScimTokenId;
use agentctl_shared::{AppState, Result};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Schemas only the error answers name (utoipa-axum collects those of bodies only).
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(OAuthError)))]
struct Schemas;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<Schemas as utoipa::OpenApi>::openapi())
        .routes(routes!(get_identity_provider, put_identity_provider, delete_identity_provider))
        .routes(routes!(list_scim_tokens, create_scim_token))
        .routes(routes!(delete_scim_token))
        .routes(routes!(authorize))
        .routes(routes!(callback))
        .routes(routes!(device_page, device_decision))
        .routes(routes!(device_authorization))
        .routes(routes!(token))
}

/// What the sign-in pages may answer besides success: the page tells the person.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its generated OpenAPI description is used.
enum PageAnswers {
    /// Expired, replayed or foreign sign-in; unknown client or redirect (HTML).
    #[response(status = 400, content_type = "text/html")]
    Refused(String),
    /// The person may not sign in (device flow; HTML).
    #[response(status = 403, content_type = "text/html")]
    NotAllowed(String),
    /// The account changed during the sign-in (HTML).
    #[response(status = 409, content_type = "text/html")]
    Raced(String),
    /// The identity provider cannot be reached (HTML).
    #[response(status = 502, content_type = "text/html")]
    ProviderDown(String),
    /// Busy or briefly unavailable: retry after `Retry-After` seconds.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(agentctl_shared::http::Problem),
}

/// What the OAuth endpoints may answer besides success (RFC 6749 §5.2).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its generated OpenAPI description is used.
enum OAuthAnswers {
    /// `invalid_request`, `invalid_grant`, `unsupported_grant_type`, `authorization_pending`,
    /// `slow_down`, `access_denied`, `expired_token`.
    #[response(status = 400)]
    Refused(OAuthError),
    /// `invalid_client`.
    #[response(status = 401)]
    UnknownClient(OAuthError),
    /// Busy or briefly unavailable: retry after `Retry-After` seconds.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(agentctl_shared::http::Problem),
}

/// The organization's identity provider (the client secret is never returned).
#[utoipa::path(get, path = "/v1/org/identity-provider", tag = "identity",
    responses((status = 200, body = IdentityProvider), Problems), security(("session" = [])))]
async fn get_identity_provider(
    State(state): State<AppState>,
    caller: Caller,
    PublicUrl(public_url): PublicUrl,
) -> Result<Json<IdentityProvider>> {
    Ok(Json(provider::get(&state, &caller, &public_url).await?))
}

/// Set the organization's OpenID Provider (owners only). Its discovery document is read
/// first: an issuer that cannot be reached or names itself differently is refused.
#[utoipa::path(put, path = "/v1/org/identity-provider", tag = "identity", request_body = IdentityProviderRequest,
    responses((status = 200, body = IdentityProvider), Problems), security(("session" = [])))]
async fn put_identity_provider(
    State(state): State<AppState>,
    caller: Caller,
    PublicUrl(public_url): PublicUrl,
    Json(body): Json<IdentityProviderRequest>,
) -> Result<Json<IdentityProvider>> {
    Ok(Json(provider::put(&state, &caller, body, &public_url).await?))
}

/// Stop signing in through the identity provider (owners only; sessions live on).
#[utoipa::path(delete, path = "/v1/org/identity-provider", tag = "identity",
    responses((status = 204), Problems), security(("session" = [])))]
async fn delete_identity_provider(State(state): State<AppState>, caller: Caller) -> Result<StatusCode> {
    provider::delete(&state, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's SCIM tokens (owners only; the secrets are never shown again).
#[utoipa::path(get, path = "/v1/org/scim-tokens", tag = "identity",
    responses((status = 200, body = Vec<ScimToken>), Problems), security(("session" = [])))]
async fn list_scim_tokens(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<ScimToken>>> {
    Ok(Json(scim::tokens::list(&state, &caller).await?))
}

/// A new SCIM token for the identity provider (owners only; shown once). Several may
/// live at once, for rotation.
#[utoipa::path(post, path = "/v1/org/scim-tokens", tag = "identity", request_body = ScimTokenRequest,
    responses((status = 201, body = NewScimToken), Problems), security(("session" = [])))]
async fn create_scim_token(
    State(state): State<AppState>,
    caller: Caller,
    PublicUrl(public_url): PublicUrl,
    Json(body): Json<ScimTokenRequest>,
) -> Result<(StatusCode, Json<NewScimToken>)> {
    Ok((StatusCode::CREATED, Json(scim::tokens::create(&state, &caller, body, &public_url).await?)))
}

/// Delete a SCIM token: provisioning with it stops at once.
#[utoipa::path(delete, path = "/v1/org/scim-tokens/{token_id}", tag = "identity", params(("token_id" = ScimTokenId, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn delete_scim_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(token_id): Path<ScimTokenId>,
) -> Result<StatusCode> {
    scim::tokens::delete(&state, &caller, token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start signing in through the organization's identity provider (OAuth 2.0
/// authorization request with PKCE; `org` is the organization's slug). Redirects to the
/// provider, or back to the client with an error.
#[utoipa::path(get, path = "/v1/oauth/authorize", tag = "identity", params(AuthorizeQuery),
    responses((status = 303, description = "To the identity provider, or back to the client"), PageAnswers),
    security(()))]
async fn authorize(
    State(state): State<AppState>,
    PublicUrl(public_url): PublicUrl,
    query: std::result::Result<axum::extract::Query<AuthorizeQuery>, QueryRejection>,
) -> Result<Response> {
    // OAuth ignores parameters it does not know (RFC 6749 §3.1); unreadable ones are
    // as good as absent, and the page says what is missing.
    let query = query.map(|q| q.0).unwrap_or_default();
    let secure = public_url.starts_with("https://");
    Ok(answer(signin::authorize(&state, query, &public_url).await?, secure))
}

/// Where the identity provider sends people back (register it as the redirect URI).
#[utoipa::path(get, path = "/v1/oauth/callback", tag = "identity", params(CallbackQuery),
    responses((status = 303, description = "Back to the client with a code or an error"),
        (status = 200, description = "A device sign-in finished (HTML)", content_type = "text/html", body = String),
        PageAnswers), security(()))]
async fn callback(
    State(state): State<AppState>,
    PublicUrl(public_url): PublicUrl,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    query: std::result::Result<axum::extract::Query<CallbackQuery>, QueryRejection>,
) -> Result<Response> {
    let query = query.map(|q| q.0).unwrap_or_default();
    let browser = cookies::read(&headers, cookies::SIGN_IN_COOKIE);
    let secure = public_url.starts_with("https://");
    Ok(answer(signin::callback(&state, query, browser.as_deref(), &public_url, ip).await?, secure))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DevicePageQuery {
    /// The code the terminal shows (`verification_uri_complete` carries it).
    user_code: Option<String>,
}

/// The device sign-in page: enter or confirm the code `agentctl login` shows.
#[utoipa::path(get, path = "/v1/oauth/device", tag = "identity", params(DevicePageQuery),
    responses((status = 200, content_type = "text/html", body = String), PageAnswers), security(()))]
async fn device_page(
    State(state): State<AppState>,
    query: std::result::Result<axum::extract::Query<DevicePageQuery>, QueryRejection>,
) -> Result<Response> {
    let query = query.map(|q| q.0).unwrap_or_default();
    Ok(answer(signin::device_page(&state, query.user_code.as_deref()).await?, false))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct DeviceDecision {
    user_code: String,
    /// `approve` (continue to the identity provider) or `deny`.
    action: String,
}

/// Confirm (or refuse) a device sign-in; confirming continues at the identity provider.
#[utoipa::path(post, path = "/v1/oauth/device", tag = "identity",
    request_body(content = DeviceDecision, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "To the identity provider"),
        (status = 200, content_type = "text/html", body = String), PageAnswers), security(()))]
async fn device_decision(
    State(state): State<AppState>,
    PublicUrl(public_url): PublicUrl,
    form: std::result::Result<Form<DeviceDecision>, FormRejection>,
) -> Result<Response> {
    let secure = public_url.starts_with("https://");
    let Ok(Form(form)) = form else {
        return Ok(answer(
            Answer::DeviceForm { user_code: None, organization: None, error: Some("Enter the code.") },
            secure,
        ));
    };
    let approve = form.action == "approve";
    Ok(answer(signin::device_decision(&state, &form.user_code, approve, &public_url).await?, secure))
}

/// Device authorization request (RFC 8628 §3.1): `client_id=agentctl-cli&org=<slug>`.
#[utoipa::path(post, path = "/v1/oauth/device_authorization", tag = "identity",
    request_body(content = DeviceAuthorizationForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = DeviceAuthorization), OAuthAnswers), security(()))]
async fn device_authorization(
    State(state): State<AppState>,
    PublicUrl(public_url): PublicUrl,
    form: std::result::Result<Form<DeviceAuthorizationForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else { return malformed_form() };
    oauth(grants::authorize_device(&state, form, &public_url).await)
}

/// Token endpoint (RFC 6749 §3.2): `authorization_code` (PKCE), the device code grant
/// (RFC 8628 §3.4) and `refresh_token` (rotated on every use; a reused one ends its
/// session). Errors are OAuth's JSON (`error`, `error_description`).
#[utoipa::path(post, path = "/v1/oauth/token", tag = "identity",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenResponse), OAuthAnswers), security(()))]
async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    form: std::result::Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else { return malformed_form() };
    oauth(grants::token(&state, form, ip).await)
}

fn malformed_form() -> Response {
    oauth::<()>(Err(GrantError::OAuth(OAuthError {
        error: "invalid_request".into(),
        error_description: Some("the body must be application/x-www-form-urlencoded parameters".into()),
    })))
}

/// An OAuth endpoint's answer: the body as JSON, never cached (RFC 6749 §5.1).
fn oauth<T: serde::Serialize>(result: std::result::Result<T, GrantError>) -> Response {
    let mut response = match result {
        Ok(body) => axum::Json(body).into_response(),
        Err(GrantError::OAuth(error)) => {
            let status =
                if error.error == "invalid_client" { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
            (status, axum::Json(error)).into_response()
        }
        Err(GrantError::App(error)) => error.into_response(),
    };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A browser answer: a redirect (with the sign-in cookie) or a page.
fn answer(answer: Answer, secure: bool) -> Response {
    let mut response = match answer {
        Answer::Redirect { location, cookie } => {
            let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
            if let Some(value) = cookie.and_then(|binding| cookies::sign_in(&binding, secure)) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Answer::Message { status, title, detail } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            (status, Html(pages::message(title, &detail).into_string())).into_response()
        }
        Answer::DeviceForm { user_code, organization, error } => {
            Html(pages::device_form(user_code.as_deref(), organization.as_deref(), error).into_string()).into_response()
        }
        Answer::Console { token } => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, HeaderValue::from_static("/console")),
                (header::SET_COOKIE, cookies::console_session(Some(&token), secure)),
            ],
        )
            .into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The pages carry codes in their URLs and ask people to confirm sign-ins: never
    // framed (clickjacking), never leaked as a referrer.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
}
