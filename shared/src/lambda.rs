//! Process setup shared by every function binary and the dev server.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::Error;

/// Largest request body accepted (API Gateway allows 10 MB; nothing here needs more).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// JSON logs in Lambda (CloudWatch), readable logs elsewhere. `RUST_LOG` filters.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        builder.json().with_current_span(false).without_time().try_init()
    } else {
        builder.try_init()
    };
    // A second initialisation (tests) keeps the first subscriber.
    drop(result);
}

/// The layers every API router gets, in Lambda and in the dev server alike.
pub fn finish(router: Router<AppState>, state: AppState) -> Router {
    router
        .fallback(|| async { Error::NotFound("route") })
        .method_not_allowed_fallback(|| async { Error::NotFound("route") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Runs one function's router as a Lambda behind API Gateway (HTTP API, payload 2.0).
pub async fn run_http(router: OpenApiRouter<AppState>) -> Result<(), lambda_http::Error> {
    init_tracing();
    let state = AppState::from_env().await?;
    // Roll out new default role permissions with the deployment that brings them (the
    // first cold start of any function writes them; a no-op when they are current).
    if let Err(e) = crate::domain::roles::ensure_defaults(&state).await {
        tracing::warn!(error = %e, "could not bring the default roles up to date");
    }
    let (router, _) = router.split_for_parts();
    lambda_http::run(finish(router, state)).await
}
