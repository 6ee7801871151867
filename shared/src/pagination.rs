//! Opaque cursors and bounded page sizes for every list.
//!
//! A cursor is DynamoDB's LastEvaluatedKey, base64url-encoded JSON. It is only ever used
//! as the start key of a query on the same partition as the caller's own, so a cursor
//! forged with another org's key is refused rather than followed. Lists computed in
//! memory (sorted aggregates) page by offset; their cursors name the list they belong to
//! (the caller's organization and the query), and any other list refuses them.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::keys;

/// A DynamoDB key (or item) as the SDK holds it.
type Item = HashMap<String, AttributeValue>;

pub use agentctl_wire::page::{Page, PageQuery};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;

/// A cursor this server did not hand out, or not for this list.
#[derive(Debug, thiserror::Error)]
#[error("the cursor is invalid")]
pub struct InvalidCursor;

/// Why a page request is refused.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("must be between 1 and {MAX_LIMIT}")]
    Limit,
    #[error(transparent)]
    Cursor(#[from] InvalidCursor),
}

/// A validated page request.
#[derive(Clone, Debug)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    pub fn first(limit: u32) -> Self {
        Self { limit, cursor: None }
    }

    pub fn max() -> Self {
        Self::first(MAX_LIMIT)
    }
}

impl TryFrom<&PageQuery> for PageRequest {
    type Error = PageError;

    fn try_from(query: &PageQuery) -> Result<Self, PageError> {
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(PageError::Limit);
        }
        let cursor = query.cursor.as_deref().map(Cursor::decode).transpose()?;
        Ok(Self { limit, cursor })
    }
}

/// One page of a list computed in memory; `list` names it (the caller's organization and
/// everything that selects its items), so a cursor serves that list alone.
pub fn in_memory<T>(mut items: Vec<T>, page: &PageRequest, list: &str) -> Result<Page<T>, InvalidCursor> {
    let start = page.cursor.as_ref().map(|c| c.as_offset(list)).transpose()?.unwrap_or(0).min(items.len());
    let end = start.saturating_add(page.limit as usize).min(items.len());
    let next_cursor = (end < items.len()).then(|| Cursor::offset(end, list).encode());
    items.truncate(end);
    Ok(Page { items: items.split_off(start), next_cursor })
}

/// The cursor entry naming which of several chained queries it continues.
const PART: &str = "~part";
const OFFSET: &str = "~offset";
/// The cursor entry naming the in-memory list an offset belongs to.
const LIST: &str = "~list";

/// A decoded cursor: the attributes of a LastEvaluatedKey, as text (all are strings
/// but the ranking index's sort key, a Number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(BTreeMap<String, String>);

impl Cursor {
    pub fn from_key(key: &Item) -> Self {
        let text = |value: &AttributeValue| match value {
            AttributeValue::S(text) | AttributeValue::N(text) => Some(text.clone()),
            _ => None,
        };
        Self(key.iter().filter_map(|(k, v)| text(v).map(|text| (k.clone(), text))).collect())
    }

    /// A cursor into the `part`-th of several chained queries (`key` empty: its start).
    pub fn chained(part: usize, key: Option<&Item>) -> Self {
        let mut cursor = key.map(Self::from_key).unwrap_or(Self(BTreeMap::new()));
        cursor.0.insert(PART.into(), part.to_string());
        cursor
    }

    /// Splits a chained cursor into its part and the key within that part.
    pub fn part(&self) -> Result<(usize, Option<Cursor>), InvalidCursor> {
        let mut map = self.0.clone();
        let part = map.remove(PART).ok_or(InvalidCursor)?;
        let part = part.parse().map_err(|_| InvalidCursor)?;
        Ok((part, (!map.is_empty()).then_some(Cursor(map))))
    }

    /// A cursor into the list computed in memory that `list` names.
    pub fn offset(offset: usize, list: &str) -> Self {
        Self(BTreeMap::from([(OFFSET.to_string(), offset.to_string()), (LIST.to_string(), list.to_string())]))
    }

    /// The offset of a cursor of the list `list`; a cursor of any other is refused.
    pub fn as_offset(&self, list: &str) -> Result<usize, InvalidCursor> {
        if self.0.len() != 2 || self.0.get(LIST).map(String::as_str) != Some(list) {
            return Err(InvalidCursor);
        }
        let offset = self.0.get(OFFSET).ok_or(InvalidCursor)?;
        offset.parse().map_err(|_| InvalidCursor)
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&self.0).expect("a map of strings serializes"))
    }

    pub fn decode(text: &str) -> Result<Self, InvalidCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| InvalidCursor)?;
        let map: BTreeMap<String, String> = serde_json::from_slice(&bytes).map_err(|_| InvalidCursor)?;
        if map.is_empty() || map.len() > 5 {
            return Err(InvalidCursor);
        }
        Ok(Self(map))
    }

    /// The ExclusiveStartKey for a query of partition `pk_attr = pk` whose keys are
    /// `key_attrs`; refuses a cursor of any other partition or index (DynamoDB would
    /// answer a mismatched start key with an error).
    pub fn start_key(&self, key_attrs: &[&str], pk_attr: &str, pk: &str) -> Result<Item, InvalidCursor> {
        let same_keys = self.0.len() == key_attrs.len() && key_attrs.iter().all(|k| self.0.contains_key(*k));
        if !same_keys || self.0.get(pk_attr).map(String::as_str) != Some(pk) {
            return Err(InvalidCursor);
        }
        self.0
            .iter()
            .map(|(k, v)| match keys::NUMBER_KEYS.contains(&k.as_str()) {
                true => match rust_decimal::Decimal::from_str_exact(v) {
                    Ok(_) => Ok((k.clone(), AttributeValue::N(v.clone()))),
                    Err(_) => Err(InvalidCursor),
                },
                false => Ok((k.clone(), AttributeValue::S(v.clone()))),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pk: &str, sk: &str) -> Item {
        Item::from([("PK".into(), AttributeValue::S(pk.into())), ("SK".into(), AttributeValue::S(sk.into()))])
    }

    #[test]
    fn cursor_round_trips_for_its_own_partition() {
        let cursor = Cursor::from_key(&key("ORG#a", "TEAM#1"));
        let decoded = Cursor::decode(&cursor.encode()).unwrap();
        assert_eq!(decoded.start_key(&["PK", "SK"], "PK", "ORG#a").unwrap(), key("ORG#a", "TEAM#1"));
    }

    #[test]
    fn cursor_of_another_partition_is_refused() {
        let cursor = Cursor::from_key(&key("ORG#b", "TEAM#1"));
        assert!(cursor.start_key(&["PK", "SK"], "PK", "ORG#a").is_err());
    }

    #[test]
    fn a_ranking_cursor_keeps_its_number_and_refuses_anything_else() {
        let ranked = |spend: AttributeValue| {
            let mut item = key("ORG#a", "ROLLUP");
            item.extend([("GSI3PK".into(), AttributeValue::S("ORG#a#RANK".into())), ("GSI3SK".into(), spend)]);
            item
        };
        let attrs = ["PK", "SK", "GSI3PK", "GSI3SK"];
        let cursor = Cursor::decode(&Cursor::from_key(&ranked(AttributeValue::N("12.5".into()))).encode()).unwrap();
        assert_eq!(cursor.start_key(&attrs, "GSI3PK", "ORG#a#RANK").unwrap(), ranked(AttributeValue::N("12.5".into())));
        let forged = Cursor::from_key(&ranked(AttributeValue::S("twelve".into())));
        assert!(forged.start_key(&attrs, "GSI3PK", "ORG#a#RANK").is_err(), "not a number");
    }

    #[test]
    fn cursor_of_another_index_is_refused() {
        let cursor = Cursor::from_key(&key("ORG#a", "TEAM#1"));
        assert!(cursor.start_key(&["PK", "SK", "GSI1PK", "GSI1SK"], "PK", "ORG#a").is_err());
    }

    #[test]
    fn offset_cursors_serve_their_own_list_only() {
        let page = |cursor: Option<Cursor>| PageRequest { limit: 2, cursor };
        let first = in_memory(vec![1, 2, 3, 4, 5], &page(None), "ORG#a#teams").unwrap();
        let next = Cursor::decode(first.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(in_memory(vec![1, 2, 3, 4, 5], &page(Some(next.clone())), "ORG#a#teams").unwrap().items, [3, 4]);
        assert!(in_memory(vec![1, 2, 3], &page(Some(next)), "ORG#b#teams").is_err(), "another org's list");
        let bare = Cursor(BTreeMap::from([(OFFSET.to_string(), "1".to_string())]));
        assert!(in_memory(vec![1, 2, 3], &page(Some(bare)), "ORG#a#teams").is_err(), "a bare offset");
    }

    #[test]
    fn garbage_cursors_are_refused() {
        for bad in ["", "!!", "bm90IGpzb24", "e30"] {
            assert!(Cursor::decode(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn limits_are_bounded() {
        for (limit, ok) in [(None, true), (Some(1), true), (Some(100), true), (Some(0), false), (Some(101), false)] {
            let q = PageQuery { limit, cursor: None };
            assert_eq!(PageRequest::try_from(&q).is_ok(), ok, "{limit:?}");
        }
    }
}
