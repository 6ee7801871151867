//! An organization's webhooks: admins (`org:write`) create them with an https URL and the
//! events to send, read the delivery log and ask for test deliveries. The signing secret
//! is made here, shown once (at creation and rotation) and stored sealed by KMS; only the
//! notifier ([`super::notify`]) opens it. Reading webhooks needs `org:write` too: a URL
//! may carry a token (Slack's incoming-webhook URLs are secrets themselves).

use serde_json::{Value, json};

use crate::AppState;
use crate::activity::EventType;
use crate::auth::{self, Caller};
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{DeliveryId, OrgId, WebhookId};
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo::{self, StoreError};
use crate::roles::Permission;
use crate::validate::{self, Validator};
use crate::vault::Owner;

pub use agentctl_wire::webhooks::{
    NewWebhook, Webhook, WebhookDelivery, WebhookFormat, WebhookPatch, WebhookTest, WebhookWithSecret,
};

/// Prefix of webhook signing secrets.
/// The most webhooks an organization keeps.
const MAX_WEBHOOKS: usize = 20;
const URL_MAX: usize = 2000;
const DESCRIPTION_MAX: usize = 500;

fn not_found() -> Error {
    Error::NotFound("webhook")
}

/// An endpoint URL agentctl will POST to: https (plain http only to a loopback address
/// where the deployment allows private networks, i.e. the local stack).
fn endpoint(state: &AppState) -> impl FnOnce(String) -> Result<String, String> + '_ {
    move |raw| {
        if raw.len() > URL_MAX {
            return Err(format!("must be at most {URL_MAX} characters"));
        }
        let url = state.outbound.check_url(&raw).map_err(|e| e.to_string())?;
        let loopback = match url.host() {
            Some(url::Host::Domain(host)) => host == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if url.scheme() != "https" && !(state.outbound.allows_private() && loopback) {
            return Err("must be an https URL".into());
        }
        Ok(url.to_string())
    }
}

/// The events a webhook may ask for: the notifiable ones but the test, which goes to the
/// tested webhook whatever it asks for. At least one, each once.
fn events(raw: Vec<EventType>) -> Result<Vec<EventType>, String> {
    let mut chosen = Vec::new();
    for event in raw {
        if !event.notifies() || event == EventType::WebhookTested {
            let name = serde_json::to_value(event).unwrap_or_default();
            return Err(format!("{name} is not an event webhooks are sent"));
        }
        if !chosen.contains(&event) {
            chosen.push(event);
        }
    }
    if chosen.is_empty() {
        return Err("must name at least one event".into());
    }
    Ok(chosen)
}

fn subscribable() -> Vec<EventType> {
    EventType::NOTIFIABLE.into_iter().filter(|e| *e != EventType::WebhookTested).collect()
}

async fn seal(state: &AppState, webhook: &Webhook, secret: &str) -> Result<String> {
    let owner = Owner::Webhook { org_id: webhook.org_id, webhook_id: webhook.id };
    Ok(state.vault.seal(&owner, &Value::String(secret.to_string())).await?)
}

fn log(state: &AppState, tx: &mut repo::Transaction, caller: &Caller, event: EventType, payload: Value) -> Result<()> {
    super::log(state, tx, caller.org_id, &caller.principal(), event, payload).map(drop)
}

pub async fn create(state: &AppState, caller: &Caller, request: NewWebhook) -> Result<WebhookWithSecret> {
    caller.require(Permission::OrgWrite)?;
    let mut v = Validator::new();
    let url = v.check("url", request.url, endpoint(state));
    let events = v.check("events", request.events.unwrap_or_else(subscribable), events);
    let description = v.check("description", request.description.unwrap_or_default(), validate::text(DESCRIPTION_MAX));
    let (url, events, description) = v.finish(|| Some((url?, events?, description?)))?;
    if repo::webhooks::all(&state.repo, caller.org_id).await?.len() >= MAX_WEBHOOKS {
        return Err(Error::conflict(
            ProblemCode::LimitReached,
            format!("an organization keeps at most {MAX_WEBHOOKS} webhooks; delete one first"),
        ));
    }
    let now = crate::time::now();
    let webhook = Webhook {
        id: WebhookId::new(),
        org_id: caller.org_id,
        url,
        events,
        format: request.format.unwrap_or(WebhookFormat::Json),
        description,
        enabled: true,
        created_at: now,
        updated_at: now,
    };
    let secret = auth::new_secret(auth::WEBHOOK_SECRET_PREFIX);
    let sealed = seal(state, &webhook, &secret).await?;
    let mut tx = state.repo.transaction();
    repo::webhooks::create(&mut tx, &webhook, &sealed)?;
    log(state, &mut tx, caller, EventType::WebhookCreated, summary(&webhook))?;
    crate::domain::notify::commit(state, tx).await?;
    Ok(WebhookWithSecret { webhook, secret })
}

/// What the activity log says of a webhook: never its URL (it may carry a token).
fn summary(webhook: &Webhook) -> Value {
    let host = url::Url::parse(&webhook.url).ok().and_then(|u| u.host_str().map(str::to_string));
    json!({ "webhook_id": webhook.id, "host": host, "events": webhook.events, "format": webhook.format })
}

pub async fn list(state: &AppState, caller: &Caller, query: &PageQuery) -> Result<Page<Webhook>> {
    caller.require(Permission::OrgWrite)?;
    Ok(repo::webhooks::list(&state.repo, caller.org_id, &PageRequest::try_from(query)?).await?)
}

async fn find(state: &AppState, org: OrgId, id: WebhookId) -> Result<Webhook> {
    Ok(repo::webhooks::get(&state.repo, org, id).await?.ok_or_else(not_found)?.0)
}

pub async fn get(state: &AppState, caller: &Caller, id: WebhookId) -> Result<Webhook> {
    caller.require(Permission::OrgWrite)?;
    find(state, caller.org_id, id).await
}

fn stale(e: StoreError) -> Error {
    match e {
        // Changed or deleted since it was read: the caller reads it again.
        StoreError::ConditionFailed(repo::Guard::Webhook) => {
            Error::conflict(ProblemCode::ConcurrentUpdate, "the webhook changed while this request ran; retry")
        }
        e => e.into(),
    }
}

pub async fn update(state: &AppState, caller: &Caller, id: WebhookId, patch: WebhookPatch) -> Result<Webhook> {
    caller.require(Permission::OrgWrite)?;
    let mut v = Validator::new();
    let url = v.check_opt("url", patch.url, endpoint(state));
    let events = v.check_opt("events", patch.events, events);
    let description = v.check_opt("description", patch.description, validate::text(DESCRIPTION_MAX));
    let (url, events, description) = v.finish(|| Some((url?, events?, description?)))?;
    let before = find(state, caller.org_id, id).await?;
    let after = Webhook {
        url: url.unwrap_or_else(|| before.url.clone()),
        events: events.unwrap_or_else(|| before.events.clone()),
        format: patch.format.unwrap_or(before.format),
        description: description.unwrap_or_else(|| before.description.clone()),
        enabled: patch.enabled.unwrap_or(before.enabled),
        updated_at: crate::time::now(),
        ..before.clone()
    };
    let mut tx = state.repo.transaction();
    repo::webhooks::replace(&mut tx, &before, &after, None)?;
    log(state, &mut tx, caller, EventType::WebhookUpdated, summary(&after))?;
    crate::domain::notify::commit(state, tx).await.map_err(stale)?;
    Ok(after)
}

/// A new signing secret, shown once; the old one stops signing at once.
pub async fn rotate_secret(state: &AppState, caller: &Caller, id: WebhookId) -> Result<WebhookWithSecret> {
    caller.require(Permission::OrgWrite)?;
    let before = find(state, caller.org_id, id).await?;
    let after = Webhook { updated_at: crate::time::now(), ..before.clone() };
    let secret = auth::new_secret(auth::WEBHOOK_SECRET_PREFIX);
    let sealed = seal(state, &after, &secret).await?;
    let mut tx = state.repo.transaction();
    repo::webhooks::replace(&mut tx, &before, &after, Some(&sealed))?;
    log(state, &mut tx, caller, EventType::WebhookSecretRotated, summary(&after))?;
    crate::domain::notify::commit(state, tx).await.map_err(stale)?;
    Ok(WebhookWithSecret { webhook: after, secret })
}

/// Deletes a webhook; deliveries still pending fail (their log expires with the TTL).
pub async fn delete(state: &AppState, caller: &Caller, id: WebhookId) -> Result<()> {
    caller.require(Permission::OrgWrite)?;
    let webhook = find(state, caller.org_id, id).await?;
    let mut tx = state.repo.transaction();
    repo::webhooks::delete(&mut tx, &webhook);
    log(state, &mut tx, caller, EventType::WebhookDeleted, summary(&webhook))?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => not_found(),
        e => e.into(),
    })
}

/// Queues a test delivery to the webhook (enabled or not): a `webhook.tested` activity
/// entry, sent through the same outbox, signing and retries as every event.
pub async fn test(state: &AppState, caller: &Caller, id: WebhookId) -> Result<WebhookTest> {
    caller.require(Permission::OrgWrite)?;
    let webhook = find(state, caller.org_id, id).await?;
    let mut tx = state.repo.transaction();
    let payload = json!({ "webhook_id": webhook.id });
    let entry =
        crate::domain::log(state, &mut tx, caller.org_id, &caller.principal(), EventType::WebhookTested, payload)?;
    super::notify::commit(state, tx).await?;
    Ok(WebhookTest { delivery_id: DeliveryId::from(entry.id.0) })
}

pub async fn deliveries(
    state: &AppState,
    caller: &Caller,
    id: WebhookId,
    query: &PageQuery,
) -> Result<Page<WebhookDelivery>> {
    caller.require(Permission::OrgWrite)?;
    let page = PageRequest::try_from(query)?;
    find(state, caller.org_id, id).await?;
    Ok(repo::webhooks::deliveries(&state.repo, caller.org_id, id, &page).await?)
}
