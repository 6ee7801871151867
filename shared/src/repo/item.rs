//! Items and attributes: serde_dynamo for records, exact forms for the values written in
//! conditions and keys.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Item, StoreError};
use crate::keys::{self, Key};

pub fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The names of the fields an update changes, from (name, changed) pairs.
pub fn changed_fields<const N: usize>(fields: [(&'static str, bool); N]) -> Vec<&'static str> {
    fields.into_iter().filter_map(|(name, changes)| changes.then_some(name)).collect()
}

/// One value as an attribute, through serde (enums by their serde names).
pub fn to_attr<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A timestamp attribute, in exactly the form serde writes it (so that a value read
/// back and written again compares equal in a condition).
pub fn ts(at: &crate::time::Timestamp) -> AttributeValue {
    serde_dynamo::to_attribute_value(at).expect("timestamps serialize")
}

/// Adds the key attributes (and the entity type) to an item.
pub fn with_key(mut item: Item, key: &Key, entity: &str) -> Item {
    item.insert(keys::PK.into(), s(&key.pk));
    item.insert(keys::SK.into(), s(&key.sk));
    item.insert(keys::ENTITY.into(), s(entity));
    item
}

/// The item with this key among items read (e.g. by a BatchGetItem).
pub fn by_key<'a>(items: &'a [Item], key: &Key) -> Option<&'a Item> {
    let attr = |item: &'a Item, name| item.get(name).and_then(|v| v.as_s().ok());
    items.iter().find(|item| attr(item, keys::PK) == Some(&key.pk) && attr(item, keys::SK) == Some(&key.sk))
}

pub fn key_attrs(key: &Key) -> Item {
    HashMap::from([(keys::PK.to_string(), s(&key.pk)), (keys::SK.to_string(), s(&key.sk))])
}
