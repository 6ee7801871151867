//! Signing in and out: through the organization's identity provider (the browser flow
//! agentctl's own sign-in uses), or with an enrollment code where an organization has
//! none. Either way the console's session is a session like any other: listed,
//! revocable, ended by its idle and maximum lifetimes, by suspension and by SCIM.

use agentctl_shared::AppState;
use agentctl_shared::domain::identity::signin::{self, Answer};
use agentctl_shared::domain::sessions;
use agentctl_shared::http::{ClientIp, PublicUrl};
use agentctl_shared::http::{cookies, problem};
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::layout;
use crate::session::{PageResult, Params, Signed};

fn sign_in_page(organization: Option<&str>, problem: Option<Markup>) -> Markup {
    layout::bare(
        "Sign in to the agentctl console",
        html! {
            @if let Some(problem) = problem { (problem) }
            section aria-labelledby="sso" {
                h2 id="sso" { "With your identity provider" }
                form method="get" action="/console/login/sso" {
                    label for="org" { "Organization (its short name)" }
                    input id="org" name="org" required autocomplete="organization" value=[organization];
                    p { button type="submit" { "Continue" } }
                }
            }
            section aria-labelledby="code" {
                h2 id="code" { "With an enrollment code" }
                form method="post" action="/console/login/code" {
                    label for="enrollment" { "Enrollment code from your admin" }
                    input id="enrollment" name="code" required autocomplete="off" spellcheck="false";
                    p { button type="submit" { "Sign in" } }
                }
            }
        },
    )
}

/// `GET /console/login`.
pub async fn page() -> Markup {
    sign_in_page(None, None)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /console/login/code`: a console session for an enrollment code.
pub async fn with_code(
    State(state): State<AppState>,
    PublicUrl(public_url): PublicUrl,
    ClientIp(ip): ClientIp,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let code = form.map(|Form(f)| f.code).unwrap_or_default();
    match sessions::exchange_for_console(&state, &code, ip).await {
        Ok(token) => signed_in(&token, public_url.starts_with("https://")),
        Err(e) => {
            let problem = e.report();
            (problem::status(&problem), sign_in_page(None, Some(layout::problem_box(&problem)))).into_response()
        }
    }
}

/// To the console, with the session's cookie.
fn signed_in(token: &str, secure: bool) -> Response {
    let mut response = Redirect::to("/console").into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookies::console_session(Some(token), secure));
    response
}

#[derive(Deserialize)]
pub struct ProviderQuery {
    #[serde(default)]
    org: String,
}

/// `GET /console/login/sso?org=<slug>`: on to the organization's identity provider.
pub async fn with_provider(
    State(state): State<AppState>,
    PublicUrl(public_url): PublicUrl,
    Params(query): Params<ProviderQuery>,
) -> PageResult {
    let slug = query.org;
    Ok(match signin::console(&state, &slug, &public_url).await? {
        Answer::Redirect { location, cookie } => {
            let mut response = Redirect::to(&location).into_response();
            let secure = public_url.starts_with("https://");
            if let Some(value) = cookie.and_then(|binding| cookies::sign_in(&binding, secure)) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Answer::Message { status, title, detail } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            let problem = html! { div.problem role="alert" { p { strong { (title) } ". " (detail) } } };
            (status, sign_in_page(Some(&slug), Some(problem))).into_response()
        }
        Answer::Console { token } => signed_in(&token, public_url.starts_with("https://")),
        Answer::DeviceForm { .. } => unreachable!("the console's sign-in is no device's"),
    })
}

/// `POST /console/logout`: ends this session (everywhere it is used) and its cookie.
pub async fn logout(State(state): State<AppState>, signed: Signed) -> PageResult {
    sessions::revoke_current(&state, &signed.caller).await?;
    let mut response = Redirect::to("/console/login").into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookies::console_session(None, false));
    response.headers_mut().insert("clear-site-data", HeaderValue::from_static("\"cache\""));
    Ok(response)
}
