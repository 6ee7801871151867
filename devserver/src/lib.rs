//! The local stack: every function's router (the console's too) mounted in one process, behind the same
//! authorizer logic API Gateway runs, plus provisioning of the emulated AWS resources
//! and the demo organization.

pub mod catalog;
pub mod consumers;
pub mod faults;
pub mod provision;
pub mod request_log;
pub mod seed;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;

use agentctl_shared::domain::authorizer::{AuthError, authorize};
use agentctl_shared::http::extract::PeerIp;
use agentctl_shared::http::problem::{self, ProblemCode};
use agentctl_shared::{AppState, Error};
use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Every Lambda function that serves HTTP routes: its logical id in template.yaml and
/// its router. The dev server, the OpenAPI document and the template test all read this.
pub fn functions() -> Vec<(&'static str, OpenApiRouter<AppState>)> {
    vec![
        ("OrganizationsFunction", fn_organizations::router()),
        ("TeamsFunction", fn_teams::router()),
        ("EmployeesFunction", fn_employees::router()),
        ("SessionsFunction", fn_sessions::router()),
        ("IdentityFunction", fn_identity::router()),
        ("ScimFunction", fn_scim::router()),
        ("CatalogFunction", fn_catalog::router()),
        ("PoliciesFunction", fn_policies::router()),
        ("ConfigsFunction", fn_configs::router()),
        ("SyncFunction", fn_sync::router()),
        ("UsageFunction", fn_usage::router()),
        ("RequestsFunction", fn_requests::router()),
        ("WebhooksFunction", fn_webhooks::router()),
        ("DocsFunction", fn_docs::router()),
    ]
}

/// The OpenAPI document of every route.
pub fn openapi() -> OpenApi {
    merged().1
}

fn merged() -> (Router<AppState>, OpenApi) {
    functions()
        .into_iter()
        .fold(OpenApiRouter::with_openapi(agentctl_shared::http::openapi::base()), |all, (_, router)| all.merge(router))
        .split_for_parts()
}

/// `(METHOD, /path/{param})` of every route that API Gateway serves without the authorizer.
pub fn public_routes(api: &OpenApi) -> HashSet<(Method, String)> {
    let mut public = HashSet::new();
    for (path, item) in &api.paths.paths {
        for (method, operation) in operations(item) {
            let anonymous = operation.security.as_ref().is_some_and(|reqs| {
                reqs.iter().any(|r| serde_json::to_value(r).is_ok_and(|v| v == serde_json::json!({})))
            });
            if anonymous {
                public.insert((method, path.clone()));
            }
        }
    }
    public
}

/// The operations of a path item with their HTTP methods.
pub fn operations(item: &utoipa::openapi::PathItem) -> Vec<(Method, &utoipa::openapi::path::Operation)> {
    [
        (Method::GET, &item.get),
        (Method::POST, &item.post),
        (Method::PUT, &item.put),
        (Method::PATCH, &item.patch),
        (Method::DELETE, &item.delete),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
    .collect()
}

#[derive(Clone)]
struct Gateway {
    state: AppState,
    public: Arc<HashSet<(Method, String)>>,
}

/// The whole API as one router, like API Gateway in front of the functions.
pub fn app(state: AppState) -> Router {
    app_with_authorizer(state.clone(), state)
}

/// [`app`] with the authorizer on its own clients, as in AWS where it is a function of its
/// own (tests count the functions' DynamoDB requests without the authorizer's).
pub fn app_with_authorizer(state: AppState, authorizer: AppState) -> Router {
    let (router, api) = merged();
    let gateway = Gateway { state: authorizer, public: Arc::new(public_routes(&api)) };
    let router = router
        .route_layer(middleware::from_fn_with_state(gateway, run_authorizer))
        // The console authenticates its own cookie, as in AWS (no authorizer on its routes).
        .merge(fn_console::router());
    agentctl_shared::lambda::finish(router, state).layer(middleware::from_fn(peer_ip))
}

/// Runs the authorizer logic for routes that have one, and passes its principal on.
async fn run_authorizer(
    State(gateway): State<Gateway>,
    matched: MatchedPath,
    mut request: Request,
    next: Next,
) -> Response {
    let route = (request.method().clone(), matched.as_str().to_string());
    if gateway.public.contains(&route) {
        return next.run(request).await;
    }
    let header = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let route_key = format!("{} {}", route.0, route.1);
    match authorize(&gateway.state, header, &route_key).await {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        // API Gateway: no identity source is a 401, a denied request a 403.
        Err(AuthError::Missing) => problem::respond(problem::problem(
            StatusCode::UNAUTHORIZED,
            ProblemCode::Unauthenticated,
            "Authorization: Bearer <token> required",
        )),
        Err(AuthError::Denied(reason)) => {
            tracing::info!(reason, "request denied");
            problem::respond(problem::problem(
                StatusCode::FORBIDDEN,
                ProblemCode::TokenRejected,
                "the token is invalid, expired or revoked",
            ))
        }
        Err(AuthError::Store(e)) => Error::from(e).into_response(),
    }
}

async fn peer_ip(mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(addr)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let ip = PeerIp(addr.ip().to_string());
        request.extensions_mut().insert(ip);
    }
    next.run(request).await
}
