//! The webhooks function: an organization's webhooks, their delivery log and test
//! deliveries.

use agentctl_shared::auth::Caller;
use agentctl_shared::domain::webhooks::{
    self, NewWebhook, Webhook, WebhookDelivery, WebhookPatch, WebhookTest, WebhookWithSecret,
};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::{Json, Path, Query};
use agentctl_shared::ids::WebhookId;
use agentctl_shared::pagination::{Page, PageQuery};
use agentctl_shared::{AppState, Result};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_webhook_secret))
        .routes(routes!(test_webhook))
        .routes(routes!(list_webhook_deliveries))
}

/// Create a webhook; its signing secret is in the answer, this once.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, body = WebhookWithSecret), Problems), security(("session" = [])))]
async fn create_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewWebhook>,
) -> Result<(StatusCode, Json<WebhookWithSecret>)> {
    Ok((StatusCode::CREATED, Json(webhooks::create(&state, &caller, body).await?)))
}

/// List the organization's webhooks.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", params(PageQuery),
    responses((status = 200, body = Page<Webhook>), Problems), security(("session" = [])))]
async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<Webhook>>> {
    Ok(Json(webhooks::list(&state, &caller, &query).await?))
}

/// Read a webhook.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_id}", tag = "webhooks", params(("webhook_id" = WebhookId, Path)),
    responses((status = 200, body = Webhook), Problems), security(("session" = [])))]
async fn get_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
) -> Result<Json<Webhook>> {
    Ok(Json(webhooks::get(&state, &caller, id).await?))
}

/// Change a webhook's URL, events, format, description, or disable it.
#[utoipa::path(patch, path = "/v1/webhooks/{webhook_id}", tag = "webhooks", params(("webhook_id" = WebhookId, Path)),
    request_body = WebhookPatch, responses((status = 200, body = Webhook), Problems), security(("session" = [])))]
async fn update_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
    Json(body): Json<WebhookPatch>,
) -> Result<Json<Webhook>> {
    Ok(Json(webhooks::update(&state, &caller, id, body).await?))
}

/// Delete a webhook (pending deliveries fail).
#[utoipa::path(delete, path = "/v1/webhooks/{webhook_id}", tag = "webhooks", params(("webhook_id" = WebhookId, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn delete_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
) -> Result<StatusCode> {
    webhooks::delete(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace a webhook's signing secret; the new one is in the answer, this once.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_id}/secret", tag = "webhooks",
    params(("webhook_id" = WebhookId, Path)),
    responses((status = 200, body = WebhookWithSecret), Problems), security(("session" = [])))]
async fn rotate_webhook_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
) -> Result<Json<WebhookWithSecret>> {
    Ok(Json(webhooks::rotate_secret(&state, &caller, id).await?))
}

/// Queue a test delivery (a `webhook.tested` event) to the webhook.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_id}/test", tag = "webhooks",
    params(("webhook_id" = WebhookId, Path)),
    responses((status = 202, body = WebhookTest), Problems), security(("session" = [])))]
async fn test_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
) -> Result<(StatusCode, Json<WebhookTest>)> {
    Ok((StatusCode::ACCEPTED, Json(webhooks::test(&state, &caller, id).await?)))
}

/// A webhook's delivery log, newest first.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_id}/deliveries", tag = "webhooks",
    params(("webhook_id" = WebhookId, Path), PageQuery),
    responses((status = 200, body = Page<WebhookDelivery>), Problems), security(("session" = [])))]
async fn list_webhook_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WebhookId>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<WebhookDelivery>>> {
    Ok(Json(webhooks::deliveries(&state, &caller, id, &query).await?))
}
