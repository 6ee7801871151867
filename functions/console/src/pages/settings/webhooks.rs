//! Webhooks: where the organization's notifiable events are POSTed, each with its events,
//! format and signing secret (shown once, when made or rotated), a test delivery, and the
//! log of its deliveries.

use agentctl_shared::AppState;
use agentctl_shared::domain::webhooks::{self, NewWebhook, WebhookPatch, WebhookWithSecret};
use agentctl_shared::http::Path;
use agentctl_shared::http::problem::{self, Problem};
use agentctl_shared::{Error, Name, Result};
use agentctl_wire::activity::EventType;
use agentctl_wire::ids::{DeliveryId, WebhookId};
use agentctl_wire::page::PageQuery;
use agentctl_wire::webhooks::{DeliveryStatus, Webhook, WebhookFormat};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;
use strum::VariantArray;

use crate::forms::Submitted;
use crate::layout::{self, Section};
use crate::session::{PageResult, Params, Signed};

const LIST: &str = "/console/settings/webhooks";

/// What a form just did, shown above the webhook.
enum Outcome {
    Problem(Problem),
    Secret(String),
    Tested(DeliveryId),
}

#[derive(Default, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

/// `GET /console/settings/webhooks`.
pub async fn list(State(state): State<AppState>, signed: Signed, Params(query): Params<ListQuery>) -> PageResult {
    render_list(&state, &signed, query.cursor, None).await
}

async fn render_list(
    state: &AppState,
    signed: &Signed,
    cursor: Option<String>,
    problem: Option<Problem>,
) -> PageResult {
    let page = webhooks::list(state, &signed.caller, &PageQuery { limit: Some(50), cursor }).await?;
    let status = problem.as_ref().map_or(StatusCode::OK, problem::status);
    let body = html! {
        p { a href="/console/settings" { "Back to the settings" } }
        @if page.items.is_empty() {
            p.muted { "No webhook: no one is told when requests are filed, budgets crossed or people deprovisioned." }
        } @else {
            table {
                thead { tr { th { "Endpoint" } th { "Events" } th { "Format" } th { "Enabled" } } }
                tbody {
                    @for webhook in &page.items {
                        tr {
                            td { a href=(format!("{LIST}/{}", webhook.id)) { (webhook.url) } }
                            td { (webhook.events.len()) }
                            td { (webhook.format.as_str()) }
                            td { @if webhook.enabled { "yes" } @else { "no" } }
                        }
                    }
                }
            }
        }
        (layout::pager(LIST, &[], page.next_cursor.as_deref()))
        section.card aria-labelledby="new-webhook" {
            h2 id="new-webhook" { "New webhook" }
            @if let Some(problem) = &problem { (layout::problem_box(problem)) }
            (webhook_form(signed, LIST, None))
        }
    };
    Ok((status, layout::page(signed, Section::Settings, "Webhooks", body)).into_response())
}

fn webhook_form(signed: &Signed, action: &str, current: Option<&Webhook>) -> Markup {
    let subscribed = |event: &EventType| current.is_none_or(|w| w.events.contains(event));
    html! {
        form.stack method="post" action=(action) {
            (layout::csrf(signed))
            label for="url" { "Endpoint (https)" }
            input id="url" name="url" type="url" required size="60" value=[current.map(|w| &w.url)];
            label for="description" { "Description" }
            input id="description" name="description" size="60" value=[current.map(|w| &w.description)];
            fieldset {
                legend { "Events" }
                // The test event goes to the tested webhook alone, whatever it asks for.
                @for event in EventType::NOTIFIABLE.into_iter().filter(|e| *e != EventType::WebhookTested) {
                    @let name = layout::event_name(event);
                    label { input type="checkbox" name="events" value=(name) checked[subscribed(&event)]; " " code { (name) } }
                }
            }
            label for="format" { "Format" }
            select id="format" name="format" {
                @for format in WebhookFormat::VARIANTS {
                    option value=(format.as_str()) selected[current.is_some_and(|w| w.format == *format)] {
                        @match format { WebhookFormat::Json => "JSON (signed event)", WebhookFormat::Slack => "Slack message" }
                    }
                }
            }
            @if let Some(current) = current {
                label { input type="checkbox" name="enabled" value="yes" checked[current.enabled]; " Enabled" }
            }
            div.actions { button type="submit" { @if current.is_some() { "Save the webhook" } @else { "Add the webhook" } } }
        }
    }
}

/// The events a form ticked; an unknown one is a problem named `events`.
fn events_of(form: &Submitted) -> Result<Vec<EventType>> {
    form.all("events")
        .map(|name| {
            serde_json::from_value(serde_json::Value::from(name))
                .map_err(|_| Error::invalid("events", format!("{name:?} is not an event")))
        })
        .collect()
}

fn format_of(form: &Submitted) -> Option<WebhookFormat> {
    form.get("format").and_then(|f| f.parse().ok())
}

/// `POST /console/settings/webhooks`: the new webhook's page, with its secret shown once.
pub async fn create(State(state): State<AppState>, signed: Signed, form: Submitted) -> PageResult {
    let made = match events_of(&form) {
        Ok(events) => {
            let request = NewWebhook {
                url: form.text("url"),
                events: Some(events),
                format: format_of(&form),
                description: Some(form.text("description")),
            };
            webhooks::create(&state, &signed.caller, request).await
        }
        Err(e) => Err(e),
    };
    match made {
        Ok(WebhookWithSecret { webhook, secret }) => {
            render(&state, &signed, webhook.id, None, Some(Outcome::Secret(secret))).await
        }
        Err(e @ (Error::Validation(_) | Error::Conflict { .. })) => {
            render_list(&state, &signed, None, Some(e.report())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /console/settings/webhooks/{webhook_id}`.
pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<WebhookId>,
    Params(query): Params<ListQuery>,
) -> PageResult {
    render(&state, &signed, id, query.cursor, None).await
}

async fn render(
    state: &AppState,
    signed: &Signed,
    id: WebhookId,
    cursor: Option<String>,
    outcome: Option<Outcome>,
) -> PageResult {
    let caller = &signed.caller;
    let webhook = webhooks::get(state, caller, id).await?;
    let deliveries = webhooks::deliveries(state, caller, id, &PageQuery { limit: Some(25), cursor }).await?;
    let base = format!("{LIST}/{id}");
    let status = match &outcome {
        Some(Outcome::Problem(problem)) => problem::status(problem),
        _ => StatusCode::OK,
    };
    let body = html! {
        p { a href=(LIST) { "Back to the webhooks" } }
        @match &outcome {
            Some(Outcome::Secret(secret)) => div.notice role="status" {
                p { "Its signing secret: check each delivery’s " code { "Agentctl-Signature" } " with it. " strong { "It is shown only now." } }
                p.mono { (secret) }
            },
            Some(Outcome::Tested(delivery)) => p.notice role="status" { "A test event is on its way: delivery " code { (delivery) } "." },
            Some(Outcome::Problem(problem)) => (layout::problem_box(problem)),
            None => {},
        }
        section.card aria-labelledby="edit" {
            h2 id="edit" { "Settings" }
            (webhook_form(signed, &base, Some(&webhook)))
        }
        div.actions {
            (button(signed, &format!("{base}/test"), "Send a test event"))
            (button(signed, &format!("{base}/rotate"), "Rotate the signing secret"))
            (button(signed, &format!("{base}/delete"), "Delete the webhook"))
        }
        h2 { "Deliveries" }
        @if deliveries.items.is_empty() {
            p.muted { "Nothing sent yet." }
        } @else {
            table {
                thead { tr { th { "Event" } th { "Status" } th { "Attempts" } th { "Answer" } th { "Made" } th { "Last attempt" } } }
                tbody {
                    @for delivery in &deliveries.items {
                        tr {
                            td { code { (layout::event_name(delivery.event_type)) } }
                            td {
                                @match delivery.status {
                                    DeliveryStatus::Delivered => span.state-ok { "delivered" },
                                    DeliveryStatus::Pending => span.state-warn { "pending" },
                                    DeliveryStatus::Failed => span.state-bad { "failed" },
                                }
                            }
                            td { (delivery.attempts) }
                            td {
                                @if let Some(code) = delivery.response_status { "HTTP " (code) " " }
                                @if let Some(error) = &delivery.error { span.muted { (error) } }
                            }
                            td { (layout::when(&delivery.created_at)) }
                            td { (delivery.last_attempt_at.as_ref().map(layout::when).unwrap_or_default()) }
                        }
                    }
                }
            }
            (layout::pager(&base, &[], deliveries.next_cursor.as_deref()))
        }
    };
    Ok((status, layout::page(signed, Section::Settings, &webhook.url, body)).into_response())
}

fn button(signed: &Signed, action: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (layout::csrf(signed))
            button.secondary type="submit" { (label) }
        }
    }
}

/// `POST /console/settings/webhooks/{webhook_id}`.
pub async fn edit(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<WebhookId>,
    form: Submitted,
) -> PageResult {
    let updated = match events_of(&form) {
        Ok(events) => {
            let patch = WebhookPatch {
                url: Some(form.text("url")),
                events: Some(events),
                format: format_of(&form),
                description: Some(form.text("description")),
                enabled: Some(form.get("enabled").is_some()),
            };
            webhooks::update(&state, &signed.caller, id, patch).await.map(drop)
        }
        Err(e) => Err(e),
    };
    match updated {
        Ok(()) => Ok(Redirect::to(&format!("{LIST}/{id}")).into_response()),
        Err(e @ (Error::Validation(_) | Error::Conflict { .. })) => {
            render(&state, &signed, id, None, Some(Outcome::Problem(e.report()))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/settings/webhooks/{webhook_id}/test`.
pub async fn test(State(state): State<AppState>, signed: Signed, Path(id): Path<WebhookId>) -> PageResult {
    let test = webhooks::test(&state, &signed.caller, id).await?;
    render(&state, &signed, id, None, Some(Outcome::Tested(test.delivery_id))).await
}

/// `POST /console/settings/webhooks/{webhook_id}/rotate`: the new secret, shown once.
pub async fn rotate(State(state): State<AppState>, signed: Signed, Path(id): Path<WebhookId>) -> PageResult {
    let rotated = webhooks::rotate_secret(&state, &signed.caller, id).await?;
    render(&state, &signed, id, None, Some(Outcome::Secret(rotated.secret))).await
}

/// `POST /console/settings/webhooks/{webhook_id}/delete`.
pub async fn delete(State(state): State<AppState>, signed: Signed, Path(id): Path<WebhookId>) -> PageResult {
    webhooks::delete(&state, &signed.caller, id).await?;
    Ok(Redirect::to(LIST).into_response())
}
