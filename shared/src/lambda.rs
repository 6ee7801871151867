//! Process setup shared by every function binary and the dev server.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::config::Resource;
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
    // Unknown routes are 404 problems, as API Gateway answers them (it knows the routes);
    // below /scim/v2, where every method reaches the SCIM function, SCIM errors.
    router
        .fallback(|uri: axum::http::Uri| async move { unrouted(&uri, StatusCode::NOT_FOUND) })
        .method_not_allowed_fallback(
            |uri: axum::http::Uri| async move { unrouted(&uri, StatusCode::METHOD_NOT_ALLOWED) },
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

fn unrouted(uri: &axum::http::Uri, status: StatusCode) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with(crate::domain::scim::PATH_PREFIX) {
        let detail = if status == StatusCode::NOT_FOUND {
            "no such SCIM endpoint"
        } else {
            "this SCIM endpoint does not take that method"
        };
        crate::domain::scim::ScimError::new(status.as_u16(), None, detail).into_response()
    } else {
        Error::NotFound("route").into_response()
    }
}

/// Runs one function's router as a Lambda behind API Gateway (HTTP API, payload 2.0),
/// once the resources it `needs` are configured.
pub async fn run_http(router: OpenApiRouter<AppState>, needs: &[Resource]) -> Result<(), lambda_http::Error> {
    run_router(router.split_for_parts().0, needs).await
}

/// [`run_http`] for a router outside the API document (the console's pages).
pub async fn run_router(router: Router<AppState>, needs: &[Resource]) -> Result<(), lambda_http::Error> {
    init_tracing();
    let state = AppState::from_env().await?;
    state.config.require(needs)?;
    lambda_http::run(finish(router, state)).await
}

/// Runs a queue consumer as a Lambda with an SQS event source that reports batch item
/// failures: `handle` runs once per message; a failed message alone is retried (and
/// dead-lettered by the queue's redrive policy), the rest of the batch is done.
pub async fn run_sqs<F>(handle: F, needs: &[Resource]) -> Result<(), lambda_runtime::Error>
where
    F: AsyncFn(&AppState, &str) -> crate::Result<()>,
{
    init_tracing();
    let state = AppState::from_env().await?;
    state.config.require(needs)?;
    let handle = &handle;
    let state = &state;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<SqsEvent>| async move {
        let count = event.payload.records.len();
        batch_outcome(process_batch(state, event.payload, handle).await, count)
    }))
    .await
}

/// What Lambda is told of a batch: its failed messages, or an error when every one
/// failed (Powertools' rule: the event source then backs off instead of counting a
/// partial success, as when the table is down).
fn batch_outcome(response: SqsBatchResponse, count: usize) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    if count > 0 && response.batch_item_failures.len() == count {
        return Err(format!("every message of the batch failed ({count})").into());
    }
    Ok(response)
}

/// One batch of queue messages, as Lambda or the dev server's poller delivers it.
pub async fn process_batch<F>(state: &AppState, event: SqsEvent, handle: &F) -> SqsBatchResponse
where
    F: AsyncFn(&AppState, &str) -> crate::Result<()>,
{
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.unwrap_or_default();
        if let Err(e) = handle(state, message.body.as_deref().unwrap_or_default()).await {
            // The error, never the body: messages may name people.
            tracing::warn!(message_id = %id, error = %crate::error::with_causes(&e), "message failed; it will be retried");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(ids: &[&str]) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for id in ids {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id.to_string();
            response.batch_item_failures.push(failure);
        }
        response
    }

    #[test]
    fn a_batch_that_failed_whole_is_an_error() {
        assert!(batch_outcome(failed(&["a", "b"]), 2).is_err());
        assert_eq!(batch_outcome(failed(&["a"]), 2).unwrap().batch_item_failures.len(), 1, "partial: reported");
        assert!(batch_outcome(failed(&[]), 0).is_ok(), "an empty batch is no failure");
    }
}
