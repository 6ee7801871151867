//! TransactWriteItems with a tag per conditional item, so that a cancelled transaction
//! says which guard failed (`"email"`, `"slug"`, `"capacity"`, ...).

use super::Guard;
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};

use super::activity::ActivityRef;
use super::{Expr, Item, StoreError, classify, key_attrs};
use crate::keys::Key;

/// DynamoDB's limit of items per transaction.
pub const MAX_ITEMS: usize = 100;

/// Built with [`super::Repository::transaction`], executed with
/// [`super::Repository::transact`].
pub struct Transaction {
    table: Arc<str>,
    items: Vec<TransactWriteItem>,
    /// The guard of each item (`None`: an unconditional put).
    tags: Vec<Option<Guard>>,
    /// Activity entries recorded here that webhooks are sent: announced before the
    /// commit by `domain::notify::commit` (the outbox), which takes them.
    announced: Vec<ActivityRef>,
}

impl Transaction {
    pub(super) fn new(table: Arc<str>) -> Self {
        Self { table, items: Vec::new(), tags: Vec::new(), announced: Vec::new() }
    }

    /// An unconditional put (overwrites).
    pub fn put(&mut self, item: Item) -> &mut Self {
        self.push_put(item, None, None)
    }

    /// A put that fails (with `tag`) when an item with this key exists already.
    pub fn put_new(&mut self, item: Item, tag: Guard) -> &mut Self {
        self.push_put(item, Some(Expr::new("attribute_not_exists(PK)")), Some(tag))
    }

    pub fn put_if(&mut self, item: Item, condition: Expr, tag: Guard) -> &mut Self {
        self.push_put(item, Some(condition), Some(tag))
    }

    fn push_put(&mut self, item: Item, condition: Option<Expr>, tag: Option<Guard>) -> &mut Self {
        let mut put = Put::builder().set_item(Some(item)).table_name(self.table.as_ref());
        if let Some(c) = condition {
            put = put
                .condition_expression(c.text.clone())
                .set_expression_attribute_names(c.names())
                .set_expression_attribute_values(c.values());
        }
        self.push(TransactWriteItem::builder().put(put.build().expect("put has item")).build(), tag)
    }

    pub fn update(&mut self, key: &Key, update: Expr, condition: Option<Expr>, tag: Guard) -> &mut Self {
        let update_text = update.text.clone();
        let condition_text = condition.as_ref().map(|c| c.text.clone());
        let all = match condition {
            Some(c) => update.merge(c),
            None => update,
        };
        let update = Update::builder()
            .set_key(Some(key_attrs(key)))
            .update_expression(update_text)
            .set_condition_expression(condition_text)
            .set_expression_attribute_names(all.names())
            .set_expression_attribute_values(all.values())
            .table_name(self.table.as_ref())
            .build()
            .expect("update has key and expression");
        self.push(TransactWriteItem::builder().update(update).build(), Some(tag))
    }

    pub fn delete(&mut self, key: &Key, condition: Option<Expr>, tag: Guard) -> &mut Self {
        let mut delete = Delete::builder().set_key(Some(key_attrs(key))).table_name(self.table.as_ref());
        if let Some(c) = condition {
            delete = delete
                .condition_expression(c.text.clone())
                .set_expression_attribute_names(c.names())
                .set_expression_attribute_values(c.values());
        }
        let delete = delete.build().expect("delete has key");
        self.push(TransactWriteItem::builder().delete(delete).build(), Some(tag))
    }

    pub fn check(&mut self, key: &Key, condition: Expr, tag: Guard) -> &mut Self {
        let check = ConditionCheck::builder()
            .set_key(Some(key_attrs(key)))
            .condition_expression(condition.text.clone())
            .set_expression_attribute_names(condition.names())
            .set_expression_attribute_values(condition.values())
            .table_name(self.table.as_ref())
            .build()
            .expect("check has key and condition");
        self.push(TransactWriteItem::builder().condition_check(check).build(), Some(tag))
    }

    /// Adds the writes of another transaction of the same table (built by another part
    /// of the domain) to this one.
    pub fn append(&mut self, other: Transaction) -> &mut Self {
        self.items.extend(other.items);
        self.tags.extend(other.tags);
        self.announced.extend(other.announced);
        self
    }

    /// Marks an activity entry of this transaction as one to announce.
    pub(super) fn announce(&mut self, entry: ActivityRef) {
        self.announced.push(entry);
    }

    /// The entries to announce, taken (the transaction can then be executed).
    pub fn take_announced(&mut self) -> Vec<ActivityRef> {
        std::mem::take(&mut self.announced)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn push(&mut self, item: TransactWriteItem, tag: Option<Guard>) -> &mut Self {
        self.items.push(item);
        self.tags.push(tag);
        self
    }

    pub(super) async fn execute(self, client: &Client) -> Result<(), StoreError> {
        assert!(self.items.len() <= MAX_ITEMS, "transaction of {} items", self.items.len());
        assert!(self.announced.is_empty(), "events to announce: commit with domain::notify::commit");
        if self.items.is_empty() {
            return Ok(());
        }
        let result = client.transact_write_items().set_transact_items(Some(self.items)).send().await;
        let Err(err) = result else { return Ok(()) };
        let failed_guard = err.as_service_error().and_then(|service| {
            match service {
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(
                cancelled,
            ) => cancelled
                .cancellation_reasons()
                .iter()
                .position(|reason| reason.code() == Some("ConditionalCheckFailed"))
                .and_then(|index| self.tags[index]),
            _ => None,
        }
        });
        match failed_guard {
            Some(guard) => Err(StoreError::ConditionFailed(guard)),
            None if is_conflict(&err) => Err(StoreError::Throttled(Box::new(err))),
            None => Err(classify(err)),
        }
    }
}

/// A cancellation without a failed condition is a conflict with another transaction
/// (or throttling): retryable.
fn is_conflict<R>(
    err: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        R,
    >,
) -> bool {
    err.as_service_error().is_some_and(|s| s.is_transaction_canceled_exception())
}
