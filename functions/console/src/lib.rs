//! The admin console: pages rendered on the server (maud), enhanced by htmx, over the
//! same domain functions and permission checks as the API (every page calls the domain
//! with the signed-in `Caller`). API Gateway sends `/` and `/console/*` here without the
//! authorizer: the console reads its HttpOnly session cookie and asks the authorizer's
//! own function who it is. Every answer carries a strict Content-Security-Policy (no
//! inline script or style), is never framed, and authenticated pages are never cached;
//! every state-changing form carries the session's CSRF token.

mod assets;
mod charts;
mod forms;
mod layout;
mod pages;
mod schema_form;
mod session;

use agentctl_shared::AppState;
use agentctl_shared::domain::{
    agents::AgentSpec,
    mcp::{McpCategorySpec, McpServerSpec},
    tools::ToolSpec,
};
use agentctl_shared::http::cookies::{self, CONSOLE_COOKIE};
use agentctl_shared::secrets;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use pages::catalog::entries;

/// Where signing in with an enrollment code is posted: the one form without a session.
const SIGN_IN_WITH_CODE: &str = "/console/login/code";

/// Largest form the console reads.
const MAX_FORM_BYTES: usize = 64 * 1024;

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The sign-in page sends people on to their identity provider, wherever it is.
const SIGN_IN_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/console", get(pages::overview::page))
        .route("/console/", get(|| async { Redirect::to("/console") }))
        .route("/console/login", get(pages::login::page))
        .route(SIGN_IN_WITH_CODE, post(pages::login::with_code))
        .route("/console/login/sso", get(pages::login::with_provider))
        .route("/console/logout", post(pages::login::logout))
        .route("/console/approvals", get(pages::approvals::list))
        .route("/console/approvals/{request_id}", get(pages::approvals::show).post(pages::approvals::decide))
        .route("/console/people", get(pages::people::list).post(pages::people::invite))
        .route("/console/people/{employee_id}", get(pages::people::show).post(pages::people::change))
        .route("/console/people/{employee_id}/enrollment-code", post(pages::people::enroll))
        .route("/console/people/{employee_id}/identity-links/{link_id}/delete", post(pages::people::unlink))
        .route("/console/people/{employee_id}/sessions/revoke", post(pages::people::revoke_sessions))
        .route("/console/people/{employee_id}/assignments/{assignment_id}", post(pages::people::exclude))
        .route("/console/people/{employee_id}/policies", post(pages::people::attach_policy))
        .route("/console/people/{employee_id}/delete", post(pages::people::delete))
        .route("/console/people/{employee_id}/agent-configs", post(pages::people::add_agent))
        .route("/console/people/{employee_id}/agent-configs/{config_id}/delete", post(pages::people::remove_agent))
        .route("/console/people/{employee_id}/mcp-configs", post(pages::people::add_server))
        .route("/console/people/{employee_id}/mcp-configs/{config_id}/delete", post(pages::people::remove_server))
        .route("/console/people/{employee_id}/policies/{policy_id}/detach", post(pages::people::detach_policy))
        .route("/console/teams", get(pages::teams::list).post(pages::teams::create))
        .route("/console/teams/{team_id}", get(pages::teams::show).post(pages::teams::edit))
        .route("/console/teams/{team_id}/delete", post(pages::teams::delete))
        .route("/console/assignments", get(pages::assignments::page).post(pages::assignments::assign))
        .route("/console/assignments/{assignment_id}", get(pages::assignments::show))
        .route("/console/assignments/{assignment_id}/delete", post(pages::assignments::remove))
        .route("/console/assignments/{assignment_id}/connection", post(pages::assignments::connection))
        .route("/console/assignments/{assignment_id}/credentials", post(pages::assignments::credentials))
        .route("/console/assignments/{assignment_id}/credentials/delete", post(pages::assignments::remove_credentials))
        .route("/console/catalog", get(pages::catalog::page))
        .route("/console/catalog/import", post(pages::catalog::import))
        .route("/console/catalog/agents", post(entries::create::<AgentSpec>))
        .route("/console/catalog/agents/new", get(entries::new::<AgentSpec>))
        .route("/console/catalog/agents/{id}", get(entries::show::<AgentSpec>).post(entries::edit::<AgentSpec>))
        .route("/console/catalog/agents/{id}/delete", post(entries::delete::<AgentSpec>))
        .route("/console/catalog/mcp-servers", post(entries::create::<McpServerSpec>))
        .route("/console/catalog/mcp-servers/new", get(entries::new::<McpServerSpec>))
        .route(
            "/console/catalog/mcp-servers/{id}",
            get(entries::show::<McpServerSpec>).post(entries::edit::<McpServerSpec>),
        )
        .route("/console/catalog/mcp-servers/{id}/delete", post(entries::delete::<McpServerSpec>))
        .route("/console/catalog/tools", post(entries::create::<ToolSpec>))
        .route("/console/catalog/tools/new", get(entries::new::<ToolSpec>))
        .route("/console/catalog/tools/{id}", get(entries::show::<ToolSpec>).post(entries::edit::<ToolSpec>))
        .route("/console/catalog/tools/{id}/delete", post(entries::delete::<ToolSpec>))
        .route("/console/catalog/categories", post(entries::create::<McpCategorySpec>))
        .route("/console/catalog/categories/new", get(entries::new::<McpCategorySpec>))
        .route(
            "/console/catalog/categories/{id}",
            get(entries::show::<McpCategorySpec>).post(entries::edit::<McpCategorySpec>),
        )
        .route("/console/catalog/categories/{id}/delete", post(entries::delete::<McpCategorySpec>))
        .route("/console/catalog/agents/{id}/tools", post(entries::link_tool))
        .route("/console/catalog/agents/{id}/tools/{tool_id}/delete", post(entries::unlink_tool))
        .route("/console/catalog/mcp-servers/{id}/approve", post(pages::catalog::approve))
        .route("/console/catalog/mcp-servers/{id}/revoke", post(pages::catalog::revoke))
        .route("/console/policies", get(pages::policies::list).post(pages::policies::create))
        .route("/console/policies/new", get(pages::policies::new))
        .route("/console/policies/{policy_id}", get(pages::policies::show).post(pages::policies::edit))
        .route("/console/policies/{policy_id}/delete", post(pages::policies::delete))
        .route("/console/policies/{policy_id}/attach", post(pages::policies::attach))
        .route("/console/policies/{policy_id}/detach", post(pages::policies::detach))
        .route("/console/fleet", get(pages::fleet::page))
        .route("/console/fleet/export", get(pages::fleet::export))
        .route("/console/usage", get(pages::usage::page))
        .route("/console/usage/export", get(pages::usage::export))
        .route("/console/activity", get(pages::activity::list))
        .route("/console/activity/export", get(pages::activity::export))
        .route("/console/settings", get(pages::settings::page))
        .route("/console/settings/budget", post(pages::settings::budget))
        .route("/console/settings/organization", post(pages::settings::organization::save))
        .route("/console/settings/approval-rules", post(pages::settings::organization::save_rules))
        .route("/console/settings/prices", get(pages::settings::prices::page).post(pages::settings::prices::save))
        .route(
            "/console/settings/webhooks",
            get(pages::settings::webhooks::list).post(pages::settings::webhooks::create),
        )
        .route(
            "/console/settings/webhooks/{webhook_id}",
            get(pages::settings::webhooks::show).post(pages::settings::webhooks::edit),
        )
        .route("/console/settings/webhooks/{webhook_id}/test", post(pages::settings::webhooks::test))
        .route("/console/settings/webhooks/{webhook_id}/rotate", post(pages::settings::webhooks::rotate))
        .route("/console/settings/webhooks/{webhook_id}/delete", post(pages::settings::webhooks::delete))
        .route("/console/settings/identity-provider", post(pages::settings::set_provider))
        .route("/console/settings/identity-provider/delete", post(pages::settings::remove_provider))
        .route("/console/settings/scim-tokens", post(pages::settings::make_token))
        .route("/console/settings/scim-tokens/{token_id}/delete", post(pages::settings::delete_token))
        .route("/console/assets/{name}", get(assets::serve))
        .layer(middleware::from_fn(same_origin_forms))
        .layer(middleware::from_fn(security_headers))
}

/// Headers every console answer carries.
async fn security_headers(request: Request, next: Next) -> Response {
    // The sign-in pages (also as answers to a refused code or organization).
    let sign_in = request.uri().path().starts_with("/console/login");
    let assets = request.uri().path().starts_with("/console/assets/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let policy = if sign_in { SIGN_IN_CONTENT_SECURITY_POLICY } else { CONTENT_SECURITY_POLICY };
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !assets {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Every state-changing request: from a page of this console (the browser's own
/// `Sec-Fetch-Site`, where it sends one) and, past sign-in, with the session's CSRF token
/// in its form. The token is read here, once, so no handler can forget it.
async fn same_origin_forms(request: Request, next: Next) -> Response {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return next.run(request).await;
    }
    let cross_site = request
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site != "same-origin" && site != "none");
    if cross_site {
        return refused();
    }
    if request.uri().path() == SIGN_IN_WITH_CODE {
        return next.run(request).await;
    }
    let Some(token) = cookies::read(request.headers(), CONSOLE_COOKIE) else {
        return Redirect::to("/console/login").into_response();
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return agentctl_shared::Error::PayloadTooLarge(MAX_FORM_BYTES).into_response();
    };
    let sent = url::form_urlencoded::parse(&bytes).find(|(name, _)| name == "csrf").map(|(_, value)| value);
    let expected = secrets::csrf_token(&token);
    let valid =
        sent.is_some_and(|sent| bool::from(subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), expected.as_bytes())));
    if !valid {
        return refused();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn refused() -> Response {
    let page = layout::bare(
        "Form refused",
        html! {
            p.problem role="alert" {
                "This form did not come from a page of this console, or the page is from an earlier session. "
                "Reload the page and try again."
            }
            p { a href="/console" { "Back to the console" } }
        },
    );
    (StatusCode::FORBIDDEN, page).into_response()
}
