//! Notifications: the events webhooks are sent, from the transaction that records them to
//! the organization's endpoints.
//!
//! 1. **Outbox.** A transaction that records a notifiable activity entry
//!    ([`EventType::notifies`]) is committed with [`commit`], which announces the entry on
//!    the notification queue *before* the commit. An announcement is only a reference: the
//!    notifier reads the entry back and goes on only once it exists, so a transaction that
//!    failed announces nothing (its announcement is dropped after [`COMMIT_WINDOW`]) and one
//!    that succeeded cannot be lost between commit and queue.
//! 2. **Fan-out.** For each enabled webhook that wants the event, a delivery is stored with
//!    the exact body to send (its id is the entry's: announcing twice creates it once) and
//!    its first attempt queued.
//! 3. **Attempts.** Each attempt signs the body (`Agentctl-Signature: t=<unix>,v1=<hex
//!    HMAC-SHA256 of "<t>.<body>">`) and POSTs it through the guarded client (public
//!    addresses only, no redirects, 10 s). A failure queues the next attempt after an
//!    exponentially growing delay (SQS `DelaySeconds`, capped at 15 minutes); after the
//!    last one the delivery is failed and dead-lettered. Every outcome is in the delivery
//!    log. Deliveries are at least once: receivers drop duplicates by `Agentctl-Delivery-Id`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::AppState;
use crate::activity::{ActivityEntry, EventType};
use crate::error::{Error, Result};
use crate::ids::{DeliveryId, OrgId, WebhookId};
use crate::queue::{Queue, QueueError};
use crate::repo::activity::ActivityRef;
use crate::repo::{self, StoreError, Transaction};
use crate::vault::Owner;

pub use agentctl_wire::webhooks::{DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent, WebhookFormat};

/// Longer than any write transaction takes to commit: an announced entry still missing
/// after this was never committed.
const COMMIT_WINDOW: chrono::Duration = chrono::Duration::minutes(2);
/// How long announcements wait in the queue: the commit that follows them is then done
/// (almost always) when they are read.
const ANNOUNCE_DELAY: Duration = Duration::from_secs(1);
/// How long an endpoint has to answer.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest failure reason kept in the delivery log.
const ERROR_MAX_CHARS: usize = 300;

/// A message of the notification queue.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Message {
    /// A transaction recording this entry is committing (or failed).
    Announce { activity: ActivityRef, announced_at: DateTime<Utc> },
    /// Attempt number `attempt` of a delivery.
    Deliver { org_id: OrgId, webhook_id: WebhookId, delivery_id: DeliveryId, attempt: u32 },
}

fn encode(message: &Message) -> String {
    serde_json::to_string(message).expect("messages serialize")
}

/// Commits a transaction, announcing first the notifiable entries it records.
pub async fn commit(state: &AppState, mut tx: Transaction) -> Result<(), StoreError> {
    let announced = tx.take_announced();
    if !announced.is_empty() {
        let now = crate::time::now();
        let bodies =
            announced.into_iter().map(|activity| encode(&Message::Announce { activity, announced_at: now })).collect();
        state.queues.send_all_later(Queue::Notifications, bodies, ANNOUNCE_DELAY).await.map_err(|e| match e {
            QueueError::Unavailable(..) => StoreError::Throttled(Box::new(e)),
            QueueError::NotConfigured(_) => StoreError::Backend(Box::new(e)),
        })?;
    }
    state.repo.transact(tx).await
}

/// The notifier's work for one queue message.
pub async fn handle_message(state: &AppState, body: &str) -> Result<()> {
    match serde_json::from_str::<Message>(body) {
        Ok(Message::Announce { activity, announced_at }) => fan_out(state, &activity, announced_at).await,
        Ok(Message::Deliver { org_id, webhook_id, delivery_id, attempt }) => {
            attempt_delivery(state, org_id, webhook_id, delivery_id, attempt).await
        }
        Err(e) => {
            tracing::warn!(error = %e, "not a notification message: dropped");
            Ok(())
        }
    }
}

/// Whether `webhook` is sent `entry`: a test goes to its webhook only (enabled or not).
fn wants(webhook: &Webhook, entry: &ActivityEntry) -> bool {
    match entry.event_type {
        EventType::WebhookTested => entry.payload.get("webhook_id") == Some(&json!(webhook.id)),
        event => webhook.enabled && webhook.events.contains(&event),
    }
}

async fn fan_out(state: &AppState, at: &ActivityRef, announced_at: DateTime<Utc>) -> Result<()> {
    let Some(entry) = repo::activity::get(&state.repo, at).await? else {
        if crate::time::now() - announced_at < COMMIT_WINDOW {
            // Maybe still committing: the message comes back after its visibility timeout.
            return Err(Error::Unavailable("the announced activity entry is not committed yet".into()));
        }
        tracing::info!(activity = %at.id, "announced activity entry never committed: nothing to send");
        return Ok(());
    };
    let id = DeliveryId::from(entry.id.0);
    for webhook in repo::webhooks::all(&state.repo, at.org_id).await?.iter().filter(|w| wants(w, &entry)) {
        let delivery = WebhookDelivery {
            id,
            webhook_id: webhook.id,
            event_type: entry.event_type,
            activity_id: entry.id,
            status: DeliveryStatus::Pending,
            attempts: 0,
            response_status: None,
            error: None,
            created_at: crate::time::now(),
            last_attempt_at: None,
            next_attempt_at: None,
        };
        // Announced twice: created once, and a repeated first attempt is skipped once the
        // first is recorded (or, racing it, not recorded twice: receivers deduplicate).
        repo::webhooks::create_delivery(&state.repo, at.org_id, &delivery, &body(webhook.format, id, &entry)).await?;
        let first = Message::Deliver { org_id: at.org_id, webhook_id: webhook.id, delivery_id: id, attempt: 1 };
        state.queues.send(Queue::Notifications, encode(&first)).await?;
    }
    Ok(())
}

/// What a delivery of `entry` sends in `format`.
fn body(format: WebhookFormat, id: DeliveryId, entry: &ActivityEntry) -> String {
    match format {
        WebhookFormat::Json => serde_json::to_string(&WebhookEvent {
            id,
            event_type: entry.event_type,
            org_id: entry.org_id,
            activity: entry.clone(),
        })
        .expect("events serialize"),
        WebhookFormat::Slack => json!({ "text": slack_text(entry) }).to_string(),
    }
}

/// One line for a chat channel: what happened and the entry's plain fields. Slack reads
/// `<...>` as links and mentions (`<!channel>`), so `&`, `<` and `>` are escaped as it asks.
fn slack_text(entry: &ActivityEntry) -> String {
    let what = match entry.event_type {
        EventType::RequestSubmitted => "Request submitted",
        EventType::RequestApproved => "Request approved",
        EventType::RequestRejected => "Request rejected",
        EventType::BudgetThresholdCrossed => "Budget threshold crossed",
        EventType::SpendCapReached => "Spend cap reached",
        EventType::RateLimitExceeded => "Rate limit exceeded",
        EventType::EmployeeDeactivated => "Employee deactivated",
        EventType::EmployeeDeleted => "Employee deleted",
        EventType::WebhookTested => "Test delivery",
        _ => "Event",
    };
    let fields: Vec<String> = match &entry.payload {
        Value::Object(fields) => fields
            .iter()
            .filter_map(|(name, value)| match value {
                Value::String(text) => Some(format!("{name}: {text}")),
                Value::Number(number) => Some(format!("{name}: {number}")),
                Value::Bool(flag) => Some(format!("{name}: {flag}")),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let text = format!("agentctl · {what} · {}", fields.join(" · "));
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    clean.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("t={timestamp},v1={}", crate::auth::hex(&mac.finalize().into_bytes()))
}

/// The wait before attempt `attempt + 1`: the base doubled per failed attempt, capped
/// at SQS's longest delay.
fn backoff(base: chrono::Duration, attempt: u32) -> Duration {
    let base = base.to_std().unwrap_or_default();
    let doubled = base.saturating_mul(1 << attempt.saturating_sub(1).min(16));
    doubled.min(Duration::from_secs(crate::queue::MAX_DELAY_SECONDS))
}

/// What an attempt came to.
enum Attempt {
    Delivered(u16),
    Failed {
        status: Option<u16>,
        error: String,
    },
    /// Not worth retrying: the webhook is gone or disabled.
    Abandoned(&'static str),
}

async fn attempt_delivery(
    state: &AppState,
    org: OrgId,
    webhook_id: WebhookId,
    id: DeliveryId,
    attempt: u32,
) -> Result<()> {
    let Some((delivery, body)) = repo::webhooks::delivery(&state.repo, org, webhook_id, id).await? else {
        return Ok(());
    };
    if delivery.status != DeliveryStatus::Pending || delivery.attempts >= attempt {
        return Ok(()); // done, or a repeated message of an attempt made
    }
    let outcome = match repo::webhooks::get(&state.repo, org, webhook_id).await? {
        None => Attempt::Abandoned("the webhook was deleted"),
        Some((webhook, _)) if !webhook.enabled && delivery.event_type != EventType::WebhookTested => {
            Attempt::Abandoned("the webhook is disabled")
        }
        Some((webhook, sealed)) => send(state, &webhook, &sealed, &delivery, &body).await?,
    };
    let now = crate::time::now();
    let last = attempt >= state.config.webhook_max_attempts;
    let mut after =
        WebhookDelivery { attempts: attempt, last_attempt_at: Some(now), next_attempt_at: None, ..delivery.clone() };
    match outcome {
        Attempt::Delivered(status) => {
            after.status = DeliveryStatus::Delivered;
            after.response_status = Some(status);
            after.error = None;
        }
        Attempt::Abandoned(reason) => {
            after.status = DeliveryStatus::Failed;
            after.error = Some(reason.to_string());
        }
        Attempt::Failed { status, error } => {
            after.response_status = status;
            after.error = Some(error.chars().take(ERROR_MAX_CHARS).collect());
            let next = Message::Deliver { org_id: org, webhook_id, delivery_id: id, attempt: attempt + 1 };
            // Queued before the outcome is recorded: a crash in between repeats this
            // attempt rather than losing the next one.
            if last {
                after.status = DeliveryStatus::Failed;
                state.queues.send(Queue::NotificationsDeadLetter, encode(&next)).await?;
            } else {
                let wait = backoff(state.config.webhook_retry_base, attempt);
                after.next_attempt_at = Some(now + chrono::Duration::from_std(wait).unwrap_or_default());
                state.queues.send_later(Queue::Notifications, encode(&next), wait).await?;
            }
        }
    }
    // Not recorded when another worker recorded this attempt first (a repeated message).
    repo::webhooks::record_attempt(&state.repo, org, &delivery, &after).await?;
    Ok(())
}

/// Signs and POSTs a delivery's body to its webhook.
async fn send(
    state: &AppState,
    webhook: &Webhook,
    sealed: &str,
    delivery: &WebhookDelivery,
    body: &str,
) -> Result<Attempt> {
    let owner = Owner::Webhook { org_id: webhook.org_id, webhook_id: webhook.id };
    let secret = state.vault.open(&owner, sealed).await?;
    let secret = secret.as_str().ok_or_else(|| Error::internal("a webhook secret is not a string"))?;
    let signed = signature(secret, crate::time::now().timestamp(), body);
    let event = serde_json::to_value(delivery.event_type).ok().and_then(|v| v.as_str().map(str::to_string));
    let sent = state
        .outbound
        .http
        .post(&webhook.url)
        .timeout(DELIVERY_TIMEOUT)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Agentctl-Signature", signed)
        .header("Agentctl-Delivery-Id", delivery.id.to_string())
        .header("Agentctl-Webhook-Id", webhook.id.to_string())
        .header("Agentctl-Event", event.unwrap_or_default())
        .body(body.to_string())
        .send()
        .await;
    Ok(match sent {
        Ok(response) if response.status().is_success() => Attempt::Delivered(response.status().as_u16()),
        Ok(response) => Attempt::Failed {
            status: Some(response.status().as_u16()),
            error: format!("the endpoint answered {}", response.status()),
        },
        // Without the URL: it may hold a token (Slack's do).
        Err(e) => Attempt::Failed { status: None, error: crate::error::with_causes(&e.without_url()) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_and_body() {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"1700000000.{\"a\":1}");
        let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(signature("Jefe", 1_700_000_000, "{\"a\":1}"), format!("t=1700000000,v1={expected}"));
        assert_ne!(signature("Jefe", 1_700_000_001, "{\"a\":1}"), format!("t=1700000001,v1={expected}"));
    }

    #[test]
    fn backoff_doubles_up_to_fifteen_minutes() {
        let base = chrono::Duration::seconds(30);
        let waits: Vec<u64> = (1..=7).map(|a| backoff(base, a).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(backoff(base, 40).as_secs(), 900);
    }

    #[test]
    fn slack_text_cannot_mention_or_link() {
        let entry = crate::activity::entry(
            OrgId::new(),
            crate::activity::By { actor: crate::activity::Actor::Employee, employee_id: None },
            EventType::RequestSubmitted,
            json!({ "reason": "<!channel> see <https://evil|here> & more\u{1b}[2J", "amount": 5, "nested": {"x": 1} }),
        );
        let text = slack_text(&entry);
        assert!(text.starts_with("agentctl · Request submitted · "), "{text}");
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('\u{1b}'), "{text}");
        assert!(text.contains("&lt;!channel&gt;") && text.contains("amount: 5") && !text.contains("nested"));
    }
}
