//! Webhook items: PK `ORG#o`, SK `WEBHOOK#w`, with the KMS-sealed signing secret in
//! `secret_sealed` (never part of the wire type). Their delivery log: PK
//! `ORG#o#WEBHOOK#w`, SK `DELIVERY#d` (v7 ids: newest last), with the exact body sent in
//! `body`; TTL set.

use chrono::Duration;

use super::with_key;
use super::{Expr, Guard, Item, QuerySpec, Repository, StoreError, Transaction, from_item, n, s, to_attr, to_item, ts};
use crate::ids::{DeliveryId, OrgId, WebhookId};
use crate::keys;
use crate::pagination::{Page, PageRequest};
use agentctl_wire::webhooks::{DeliveryStatus, Webhook, WebhookDelivery};

/// How long the delivery log keeps a delivery.
const DELIVERY_RETENTION_DAYS: i64 = 30;
const SECRET: &str = "secret_sealed";
const BODY: &str = "body";

fn text(item: &Item, attribute: &str) -> Result<String, StoreError> {
    item.get(attribute)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .ok_or_else(|| StoreError::Corrupt(format!("{attribute} is missing")))
}

pub fn create(tx: &mut Transaction, webhook: &Webhook, secret_sealed: &str) -> Result<(), StoreError> {
    let mut item = with_key(to_item(webhook)?, &keys::webhook(webhook.org_id, webhook.id), "webhook");
    item.insert(SECRET.into(), s(secret_sealed));
    tx.put_new(item, Guard::Webhook);
    Ok(())
}

/// A webhook with its sealed secret.
pub async fn get(repo: &Repository, org: OrgId, id: WebhookId) -> Result<Option<(Webhook, String)>, StoreError> {
    let Some(item) = repo.get(&keys::webhook(org, id)).await? else { return Ok(None) };
    let secret = text(&item, SECRET)?;
    Ok(Some((from_item(item)?, secret)))
}

pub async fn list(repo: &Repository, org: OrgId, page: &PageRequest) -> Result<Page<Webhook>, StoreError> {
    repo.query(QuerySpec::table(keys::org_pk(org), keys::WEBHOOK_PREFIX), page).await?.try_map(from_item)
}

/// Every webhook of the organization (at most a handful: creation is capped).
pub async fn all(repo: &Repository, org: OrgId) -> Result<Vec<Webhook>, StoreError> {
    repo.query_all(QuerySpec::table(keys::org_pk(org), keys::WEBHOOK_PREFIX))
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}

/// Replaces a webhook's settings (and, when given, its sealed secret) if it is still the
/// version `before` was read at.
pub fn replace(
    tx: &mut Transaction,
    before: &Webhook,
    after: &Webhook,
    secret_sealed: Option<&str>,
) -> Result<(), StoreError> {
    let mut fields = vec![
        ("url", s(&after.url)),
        ("events", to_attr(&after.events)?),
        ("format", to_attr(&after.format)?),
        ("description", s(&after.description)),
        ("enabled", to_attr(&after.enabled)?),
        ("updated_at", ts(&after.updated_at)),
    ];
    if let Some(secret) = secret_sealed {
        fields.push((SECRET, s(secret)));
    }
    let condition = Expr::new("updated_at = :read").value(":read", ts(&before.updated_at));
    tx.update(&keys::webhook(before.org_id, before.id), Expr::set(fields), Some(condition), Guard::Webhook);
    Ok(())
}

pub fn delete(tx: &mut Transaction, webhook: &Webhook) {
    tx.delete(&keys::webhook(webhook.org_id, webhook.id), Some(Expr::new("attribute_exists(PK)")), Guard::Webhook);
}

/// Adds a delivery with the body to send, unless it exists (`false`: it did already).
pub async fn create_delivery(
    repo: &Repository,
    org: OrgId,
    delivery: &WebhookDelivery,
    body: &str,
) -> Result<bool, StoreError> {
    let key = keys::webhook_delivery(org, delivery.webhook_id, delivery.id);
    let mut item = with_key(to_item(delivery)?, &key, "delivery");
    item.insert(BODY.into(), s(body));
    let expires = delivery.created_at + Duration::days(DELIVERY_RETENTION_DAYS);
    item.insert(keys::TTL.into(), n(expires.timestamp()));
    let mut tx = repo.transaction();
    tx.put_new(item, Guard::Delivery);
    match repo.transact(tx).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed(Guard::Delivery)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A delivery with the body it sends.
pub async fn delivery(
    repo: &Repository,
    org: OrgId,
    webhook: WebhookId,
    id: DeliveryId,
) -> Result<Option<(WebhookDelivery, String)>, StoreError> {
    let Some(item) = repo.get(&keys::webhook_delivery(org, webhook, id)).await? else { return Ok(None) };
    let body = text(&item, BODY)?;
    Ok(Some((from_item(item)?, body)))
}

/// Records the outcome of an attempt, if no other attempt was recorded since `before`
/// was read (`false`: one was, and this one is not recorded).
pub async fn record_attempt(
    repo: &Repository,
    org: OrgId,
    before: &WebhookDelivery,
    after: &WebhookDelivery,
) -> Result<bool, StoreError> {
    let key = keys::webhook_delivery(org, before.webhook_id, before.id);
    let update = Expr::set(vec![
        ("status", to_attr(&after.status)?),
        ("attempts", n(after.attempts)),
        ("response_status", to_attr(&after.response_status)?),
        ("error", to_attr(&after.error)?),
        ("last_attempt_at", to_attr(&after.last_attempt_at)?),
        ("next_attempt_at", to_attr(&after.next_attempt_at)?),
    ]);
    let condition = Expr::new("attempts = :attempts AND #status = :pending")
        .name("#status", "status")
        .value(":attempts", n(before.attempts))
        .value(":pending", to_attr(&DeliveryStatus::Pending)?);
    repo.update_if(&key, update, condition).await
}

/// One page of a webhook's deliveries, newest first.
pub async fn deliveries(
    repo: &Repository,
    org: OrgId,
    webhook: WebhookId,
    page: &PageRequest,
) -> Result<Page<WebhookDelivery>, StoreError> {
    let spec = QuerySpec::table(keys::webhook_deliveries_pk(org, webhook), keys::DELIVERY_PREFIX).backwards();
    repo.query(spec, page).await?.try_map(from_item)
}
