//! TransactWriteItems with a tag per conditional item, so that a cancelled transaction
//! says which guard failed (`"email"`, `"slug"`, `"capacity"`, ...).

use super::Guard;
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update};

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
    /// For each item: the key it creates (`put_new`), deletes, or checks as free
    /// ([`Self::check_free`]).
    claims: Vec<Option<(Key, Claim)>>,
    /// Activity entries recorded here that webhooks are sent: announced before the
    /// commit by `domain::notify::commit` (the outbox), which takes them.
    announced: Vec<ActivityRef>,
}

impl Transaction {
    pub(super) fn new(table: Arc<str>) -> Self {
        Self { table, items: Vec::new(), tags: Vec::new(), claims: Vec::new(), announced: Vec::new() }
    }

    /// An unconditional put (overwrites).
    pub fn put(&mut self, item: Item) -> &mut Self {
        self.push_put(item, None, None)
    }

    /// A put that fails (with `tag`) when an item with this key exists already. It
    /// takes the place of a [`Self::check_free`] of the same key (which it implies).
    pub fn put_new(&mut self, item: Item, tag: Guard) -> &mut Self {
        let key = item_key(&item);
        if let Some(key) = &key {
            self.drop_check_free(key);
        }
        self.push_put(item, Some(Expr::new("attribute_not_exists(PK)")), Some(tag));
        *self.claims.last_mut().expect("just pushed") = key.map(|k| (k, Claim::Created));
        self
    }

    /// Leaves out a [`Self::check_free`] of `key` that a write of this transaction makes moot.
    fn drop_check_free(&mut self, key: &Key) {
        if let Some(index) = self.claims.iter().position(|c| c.as_ref() == Some(&(key.clone(), Claim::Free))) {
            self.items.remove(index);
            self.tags.remove(index);
            self.claims.remove(index);
        }
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

    /// A delete. Guards are deleted by their holder: it takes the place of a
    /// [`Self::check_free`] of the same key.
    pub fn delete(&mut self, key: &Key, condition: Option<Expr>, tag: Guard) -> &mut Self {
        self.drop_check_free(key);
        let mut delete = Delete::builder().set_key(Some(key_attrs(key))).table_name(self.table.as_ref());
        if let Some(c) = condition {
            delete = delete
                .condition_expression(c.text.clone())
                .set_expression_attribute_names(c.names())
                .set_expression_attribute_values(c.values());
        }
        let delete = delete.build().expect("delete has key");
        self.push(TransactWriteItem::builder().delete(delete).build(), Some(tag));
        *self.claims.last_mut().expect("just pushed") = Some((key.clone(), Claim::Deleted));
        self
    }

    /// A check that no item has this key, or that the one there satisfies `held_by` (a
    /// guard item that belongs to the writer). Left out where this transaction creates
    /// the key with [`Self::put_new`], whose own condition implies it, or deletes it (a
    /// guard its holder gives up): DynamoDB refuses two operations on one item in a
    /// transaction.
    pub fn check_free(&mut self, key: &Key, held_by: Expr, tag: Guard) -> &mut Self {
        if self.claims.iter().any(|c| c.as_ref().is_some_and(|(k, _)| k == key)) {
            return self;
        }
        let mut condition = held_by;
        condition.text = format!("attribute_not_exists(PK) OR ({})", condition.text);
        self.check(key, condition, tag);
        *self.claims.last_mut().expect("just pushed") = Some((key.clone(), Claim::Free));
        self
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
        self.claims.extend(other.claims);
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
        self.claims.push(None);
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
        let codes: Option<Vec<Option<String>>> = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                Some(cancelled.cancellation_reasons().iter().map(|r| r.code().map(str::to_string)).collect())
            }
            _ => None,
        };
        let Some(codes) = codes else { return Err(classify(err)) };
        match Cancellation::of(&codes) {
            Cancellation::Condition(index) => match self.tags[index] {
                Some(guard) => Err(StoreError::ConditionFailed(guard)),
                None => Err(classify(err)),
            },
            Cancellation::Retryable => Err(StoreError::Throttled(Box::new(err))),
            Cancellation::Refused(reasons) => {
                tracing::error!(?reasons, "DynamoDB refused a transaction: not retryable");
                Err(StoreError::Refused(reasons))
            }
        }
    }
}

/// What a transaction's item says about its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Claim {
    /// `put_new`: the key is created.
    Created,
    /// `check_free`: the key is free or the writer's.
    Free,
    /// `delete`: the key is the writer's (or gone).
    Deleted,
}

fn item_key(item: &Item) -> Option<Key> {
    match (item.get(crate::keys::PK), item.get(crate::keys::SK)) {
        (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => Some(Key { pk: pk.clone(), sk: sk.clone() }),
        _ => None,
    }
}

/// Why DynamoDB cancelled a transaction, read from each item's cancellation reason code.
#[derive(Debug, PartialEq, Eq)]
enum Cancellation {
    /// The condition of this item failed.
    Condition(usize),
    /// Conflicts with other transactions or throttling: worth retrying.
    Retryable,
    /// Refused for what the items are (a validation error, an item collection over its
    /// size): retrying cannot help. `"item <index>: <code>"` for each refused item.
    Refused(Vec<String>),
}

impl Cancellation {
    /// Reason codes that a retry may clear.
    const RETRYABLE: [&str; 3] = ["TransactionConflict", "ProvisionedThroughputExceeded", "ThrottlingError"];

    fn of(codes: &[Option<String>]) -> Self {
        if let Some(index) = codes.iter().position(|c| c.as_deref() == Some("ConditionalCheckFailed")) {
            return Self::Condition(index);
        }
        let refused: Vec<String> = codes
            .iter()
            .enumerate()
            .filter_map(|(index, code)| match code.as_deref() {
                None | Some("None") => None,
                Some(code) if Self::RETRYABLE.contains(&code) => None,
                Some(code) => Some(format!("item {index}: {code}")),
            })
            .collect();
        if refused.is_empty() { Self::Retryable } else { Self::Refused(refused) }
    }
}

#[cfg(test)]
mod tests {
    use super::{Cancellation, Transaction};
    use crate::keys::Key;
    use crate::repo::{Expr, Guard, Item, s};

    fn key(sk: &str) -> Key {
        Key { pk: "ORG#o".into(), sk: sk.into() }
    }

    fn item(sk: &str) -> Item {
        Item::from([("PK".into(), s("ORG#o")), ("SK".into(), s(sk))])
    }

    fn free(tx: &mut Transaction, sk: &str) {
        tx.check_free(&key(sk), Expr::new("employee_id = :me").value(":me", s("e")), Guard::ScimUserName);
    }

    #[test]
    fn a_check_free_of_a_key_the_transaction_creates_or_deletes_is_left_out() {
        let mut tx = Transaction::new("t".into());
        free(&mut tx, "EMAIL#a");
        tx.put_new(item("EMAIL#a"), Guard::Email);
        free(&mut tx, "SCIMNAME#b");
        tx.delete(&key("SCIMNAME#b"), None, Guard::ScimUserName);
        tx.put_new(item("SCIMNAME#c"), Guard::ScimUserName);
        free(&mut tx, "SCIMNAME#c");
        tx.delete(&key("EMAIL#d"), None, Guard::Email);
        free(&mut tx, "EMAIL#d");
        free(&mut tx, "EMAIL#e");
        assert_eq!(tx.items.len(), 5, "three writes and one check, one write per key and the free check of e");
        let checks = tx.items.iter().filter(|i| i.condition_check.is_some()).count();
        assert_eq!(checks, 1, "only EMAIL#e is checked");
        assert_eq!((tx.tags.len(), tx.claims.len()), (5, 5));
    }

    fn codes(codes: &[&str]) -> Vec<Option<String>> {
        codes.iter().map(|c| Some(c.to_string())).collect()
    }

    #[test]
    fn cancellations_are_classified_by_each_items_reason() {
        assert_eq!(Cancellation::of(&codes(&["None", "ConditionalCheckFailed"])), Cancellation::Condition(1));
        assert_eq!(Cancellation::of(&codes(&["None", "TransactionConflict"])), Cancellation::Retryable);
        assert_eq!(
            Cancellation::of(&codes(&["ThrottlingError", "ProvisionedThroughputExceeded"])),
            Cancellation::Retryable
        );
        assert_eq!(Cancellation::of(&[]), Cancellation::Retryable, "no reasons given: as DynamoDB throttling");
        assert_eq!(
            Cancellation::of(&codes(&["None", "ValidationError", "TransactionConflict"])),
            Cancellation::Refused(vec!["item 1: ValidationError".into()])
        );
        assert_eq!(
            Cancellation::of(&codes(&["ItemCollectionSizeLimitExceeded"])),
            Cancellation::Refused(vec!["item 0: ItemCollectionSizeLimitExceeded".into()])
        );
        assert_eq!(
            Cancellation::of(&codes(&["ValidationError", "ConditionalCheckFailed"])),
            Cancellation::Condition(1),
            "a failed condition says which guard, whatever else failed"
        );
    }
}
