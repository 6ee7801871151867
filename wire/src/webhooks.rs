//! Webhooks: endpoints an organization has notified of events (requests, budgets, rate
//! limits, deprovisioning), with signed bodies and a delivery log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::activity::{ActivityEntry, EventType};
use crate::ids::{DeliveryId, OrgId, WebhookId};

wire_enum! {
    "snake_case",
    /// The body sent: agentctl's own event, or a Slack incoming-webhook message.
    pub enum WebhookFormat {
        /// [`WebhookEvent`] as JSON.
        Json,
        /// `{"text": "..."}`, which Slack (and compatible chat tools) post as a message.
        Slack,
    }
}

wire_enum! {
    "snake_case",
    /// Where a delivery stands.
    pub enum DeliveryStatus {
        /// Not yet answered with a 2xx: attempts remain.
        Pending,
        /// The endpoint answered 2xx.
        Delivered,
        /// Every attempt failed (the delivery went to the dead-letter queue), or the
        /// webhook was disabled or deleted before it succeeded.
        Failed,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: WebhookId,
    pub org_id: OrgId,
    /// Where events are POSTed (https; the signing secret is never shown again).
    pub url: String,
    /// The events sent (every notifiable event when created without a list).
    pub events: Vec<EventType>,
    pub format: WebhookFormat,
    pub description: String,
    /// A disabled webhook is sent nothing.
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A webhook just created (or its secret just rotated): the secret, shown this once.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookWithSecret {
    pub webhook: Webhook,
    /// Signs every delivery: `Agentctl-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
    /// "<t>.<body>" with this secret>`.
    pub secret: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    pub url: String,
    /// Defaults to every notifiable event.
    #[serde(default)]
    pub events: Option<Vec<EventType>>,
    #[serde(default)]
    pub format: Option<WebhookFormat>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<EventType>>,
    pub format: Option<WebhookFormat>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// The body of a `json` webhook delivery.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEvent {
    /// The delivery's id: the same through every retry (also `Agentctl-Delivery-Id`),
    /// so receivers can drop duplicates.
    pub id: DeliveryId,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub org_id: OrgId,
    /// The activity entry that records the event (never holds secrets).
    pub activity: ActivityEntry,
}

/// One event's delivery to one webhook, as the delivery log shows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub event_type: EventType,
    /// The activity entry the delivery announces.
    pub activity_id: crate::ids::ActivityId,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// The HTTP status the endpoint last answered.
    pub response_status: Option<u16>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the next attempt is due (pending deliveries that failed once).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A test delivery queued: follow it in the delivery log.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookTest {
    pub delivery_id: DeliveryId,
}
