//! DynamoDB access. One [`Repository`] per process (cheap to clone); each access pattern
//! is one named function in the entity's module (`repo::requests::pending`,
//! `repo::bundles::inputs`, `repo::usage::event_inputs`, ...), which takes and returns
//! domain types: the domain names no attribute, builds no expression and reads no item
//! by position. Keys come from [`crate::keys`]; the repository makes no product decision
//! (who may, what is valid), the domain does.

mod error;
mod expr;
mod guard;
mod item;
mod query;
pub mod transaction;

pub mod activity;
pub mod agent_tools;
pub mod assignments;
pub mod bundles;
pub mod catalog;
pub mod configs;
pub mod employees;
pub mod fleet;
pub mod groups;
pub mod identity;
pub mod mcp;
pub mod money;
pub mod organizations;
pub mod policies;
pub mod prices;
pub mod requests;
pub mod roles;
pub mod scim;
pub mod sessions;
pub mod subscriptions;
pub mod syncsets;
pub mod teams;
pub mod telemetry;
pub mod usage;
pub mod webhooks;

pub use guard::Guard;

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;

pub use error::StoreError;
pub(crate) use error::classify;
pub use expr::Expr;
pub use item::*;
pub use query::QuerySpec;
pub use transaction::Transaction;

use crate::keys::{self, Key};
use crate::pagination::{Cursor, Page, PageRequest};

pub type Item = HashMap<String, AttributeValue>;

/// The items [`Repository::query_all`] asks for per request (DynamoDB stops at 1 MB first).
const QUERY_ALL_PAGE: u32 = 1000;

#[derive(Clone)]
pub struct Repository {
    client: Client,
    table: Arc<str>,
}

impl Repository {
    pub fn new(client: Client, table: impl Into<Arc<str>>) -> Self {
        Self { client, table: table.into() }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// A strongly consistent GetItem.
    pub async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(self.table.as_ref())
            .set_key(Some(key_attrs(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.item)
    }

    /// One UpdateItem outside a transaction, when `condition` holds; `false` when it did
    /// not (for writes that may be skipped, such as refreshing a timestamp).
    pub async fn update_if(&self, key: &Key, update: Expr, condition: Expr) -> Result<bool, StoreError> {
        let (update_text, condition_text) = (update.text.clone(), condition.text.clone());
        let all = update.merge(condition);
        let sent = self
            .client
            .update_item()
            .table_name(self.table.as_ref())
            .set_key(Some(key_attrs(key)))
            .update_expression(update_text)
            .condition_expression(condition_text)
            .set_expression_attribute_names(all.names())
            .set_expression_attribute_values(all.values())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(classify(e)),
        }
    }

    /// Strongly consistent BatchGetItem, one request per 100 keys (missing items are
    /// absent from the result; unprocessed keys are retried).
    pub async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.batch_get_projected(keys, &[]).await
    }

    /// [`Self::batch_get`] reading only `attributes` (all when empty).
    pub async fn batch_get_projected(&self, keys: &[Key], attributes: &[&str]) -> Result<Vec<Item>, StoreError> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        // DynamoDB refuses a request that names a key twice: callers may (two
        // configurations of one agent), each key is read once.
        let mut distinct: Vec<&Key> = Vec::with_capacity(keys.len());
        for key in keys {
            if !distinct.contains(&key) {
                distinct.push(key);
            }
        }
        let names: Vec<String> = (0..attributes.len()).map(|i| format!("#p{i}")).collect();
        let mut found = Vec::new();
        for chunk in distinct.chunks(100) {
            let mut request = KeysAndAttributes::builder()
                .set_keys(Some(chunk.iter().map(|key| key_attrs(key)).collect()))
                .consistent_read(true);
            if !attributes.is_empty() {
                request = request.projection_expression(names.join(", "));
                for (name, attribute) in names.iter().zip(attributes) {
                    request = request.expression_attribute_names(name, *attribute);
                }
            }
            let mut pending = Some(request.build().map_err(|e| StoreError::Backend(Box::new(e)))?);
            let mut attempts = 0;
            while let Some(request) = pending.take() {
                attempts += 1;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(self.table.as_ref(), request)
                    .send()
                    .await
                    .map_err(classify)?;
                if let Some(mut responses) = out.responses {
                    found.extend(responses.remove(self.table.as_ref()).unwrap_or_default());
                }
                pending = out.unprocessed_keys.and_then(|mut u| u.remove(self.table.as_ref()));
                if pending.is_some() {
                    if attempts >= 5 {
                        return Err(StoreError::Throttled("unprocessed keys after 5 attempts".into()));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempts)).await;
                }
            }
        }
        Ok(found)
    }

    pub async fn get_as<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<T>, StoreError> {
        self.get(key).await?.map(from_item).transpose()
    }

    /// One page of a Query. The cursor must belong to the same partition.
    pub async fn query(&self, spec: QuerySpec, page: &PageRequest) -> Result<Page<Item>, StoreError> {
        let (items, last) = self.query_raw(&spec, page.limit, page.cursor.as_ref()).await?;
        Ok(Page { items, next_cursor: last.map(|k| Cursor::from_key(&k).encode()) })
    }

    /// One page over several partitions read one after the other (e.g. an org's own
    /// catalog entries, then the global ones). The cursor remembers the partition.
    pub async fn query_chain(&self, specs: &[QuerySpec], page: &PageRequest) -> Result<Page<Item>, StoreError> {
        let (mut part, mut cursor) = match &page.cursor {
            Some(c) => c.part()?,
            None => (0, None),
        };
        let mut items = Vec::new();
        while let Some(spec) = specs.get(part) {
            let remaining = page.limit - items.len() as u32;
            let (found, last) = self.query_raw(spec, remaining, cursor.as_ref()).await?;
            items.extend(found);
            if let Some(key) = last {
                return Ok(Page { items, next_cursor: Some(Cursor::chained(part, Some(&key)).encode()) });
            }
            part += 1;
            cursor = None;
            if items.len() as u32 >= page.limit && part < specs.len() {
                return Ok(Page { items, next_cursor: Some(Cursor::chained(part, None).encode()) });
            }
        }
        Ok(Page { items, next_cursor: None })
    }

    async fn query_raw(
        &self,
        spec: &QuerySpec,
        limit: u32,
        cursor: Option<&Cursor>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let spec = spec.clone();
        let mut expr = Expr::new("#pk = :pk").name("#pk", spec.pk_attr).value(":pk", s(&spec.pk));
        if let Some((from, to)) = &spec.sk_between {
            expr = expr
                .and_key("#sk BETWEEN :from AND :to")
                .name("#sk", spec.sk_attr)
                .value(":from", s(from))
                .value(":to", s(to));
        }
        if let Some(prefix) = &spec.sk_prefix {
            expr = expr.and_key("begins_with(#sk, :sk)").name("#sk", spec.sk_attr).value(":sk", s(prefix));
        }
        let key_attrs: &[&str] = match spec.index {
            None => &[keys::PK, keys::SK],
            Some(_) => &[keys::PK, keys::SK, spec.pk_attr, spec.sk_attr],
        };
        let start = cursor.map(|c| c.start_key(key_attrs, spec.pk_attr, &spec.pk)).transpose()?;
        let mut request = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .set_index_name(spec.index.map(str::to_string))
            .scan_index_forward(spec.forward)
            .consistent_read(spec.consistent)
            .limit(limit as i32)
            .set_exclusive_start_key(start);
        let key_condition = expr.text.clone();
        let mut all = expr;
        if let Some(filter) = spec.filter {
            request = request.filter_expression(filter.text.clone());
            all = all.merge(filter);
        }
        let out = request
            .key_condition_expression(key_condition)
            .set_expression_attribute_names(all.names())
            .set_expression_attribute_values(all.values())
            .send()
            .await
            .map_err(classify)?;
        Ok((out.items.unwrap_or_default(), out.last_evaluated_key))
    }

    /// Every item of a partition in as few requests as DynamoDB allows (one per MB read):
    /// for partitions kept small by design, like an employee's.
    pub async fn query_partition(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(self.table.as_ref())
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(classify)?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Every item a query finds, in as few requests as DynamoDB allows (one per MB).
    pub async fn query_all(&self, spec: QuerySpec) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut request = PageRequest::first(QUERY_ALL_PAGE);
        loop {
            let page = self.query(spec.clone(), &request).await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(cursor) => request.cursor = Some(Cursor::decode(&cursor)?),
                None => return Ok(items),
            }
        }
    }

    /// Unconditional puts, 25 per BatchWriteItem (benchmark data).
    #[cfg(feature = "bulk-load")]
    pub async fn batch_put(&self, items: Vec<Item>) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        for chunk in items.chunks(25) {
            let mut pending: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder().set_item(Some(item.clone())).build();
                    put.map(|p| WriteRequest::builder().put_request(p).build())
                })
                .collect::<Result<_, _>>()
                .map_err(|e| StoreError::Backend(Box::new(e)))?;
            for attempt in 0.. {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(self.table.as_ref(), pending)
                    .send()
                    .await
                    .map_err(classify)?;
                pending = out.unprocessed_items.and_then(|mut u| u.remove(self.table.as_ref())).unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if attempt >= 5 {
                    return Err(StoreError::Throttled("unprocessed items after 5 attempts".into()));
                }
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
            }
        }
        Ok(())
    }

    pub fn transaction(&self) -> Transaction {
        Transaction::new(self.table.clone())
    }

    pub async fn transact(&self, tx: Transaction) -> Result<(), StoreError> {
        tx.execute(&self.client).await
    }
}
