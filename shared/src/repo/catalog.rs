//! Catalog entries of every kind (agents, tools, MCP categories and servers, policies):
//! PK `CATALOG` (global, curated by the platform) or `ORG#o` (org-private), SK
//! `<PREFIX><id>`; name guard `<NAME_PREFIX><lowercase name>` in the same partition
//! (names are unique per scope). `ref_count` counts references; only an unreferenced
//! entry can be deleted.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    Expr, Guard, Item, QuerySpec, Repository, StoreError, Transaction, from_item, n, s, to_item, ts, with_key,
};
use crate::ids::OrgId;
use crate::keys::{self, Key};
use crate::pagination::{Page, PageRequest};
use agentctl_wire::catalog::{AgentSpec, Entry, Kind, McpCategorySpec, McpServerSpec, ToolSpec};
use agentctl_wire::policy::PolicySpec;

/// A kind of catalog entry as the table keeps it (the domain's `catalog::Spec` adds what
/// the kind means: validation, permissions, references).
pub trait Spec: Kind + Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The items' `kind`, also the entity's name in messages and activity (`agent`, ...).
    const KIND: &'static str;
    /// Sort-key prefix of the entries ([`keys`]).
    const PREFIX: &'static str;
    /// Sort-key prefix of their name guards ([`keys`]).
    const NAME_PREFIX: &'static str;
    /// The list filters of this kind: (query parameter, attribute).
    const FILTERS: &'static [(&'static str, &'static str)] = &[];
}

impl Spec for AgentSpec {
    const KIND: &'static str = "agent";
    const PREFIX: &'static str = keys::AGENT_PREFIX;
    const NAME_PREFIX: &'static str = keys::AGENT_NAME_PREFIX;
    const FILTERS: &'static [(&'static str, &'static str)] = &[("type", "type"), ("provider", "provider")];
}

impl Spec for ToolSpec {
    const KIND: &'static str = "tool";
    const PREFIX: &'static str = keys::TOOL_PREFIX;
    const NAME_PREFIX: &'static str = keys::TOOL_NAME_PREFIX;
    const FILTERS: &'static [(&'static str, &'static str)] = &[("type", "type")];
}

impl Spec for McpCategorySpec {
    const KIND: &'static str = "mcp_category";
    const PREFIX: &'static str = keys::MCP_CATEGORY_PREFIX;
    const NAME_PREFIX: &'static str = keys::MCP_CATEGORY_NAME_PREFIX;
}

impl Spec for McpServerSpec {
    const KIND: &'static str = "mcp_server";
    const PREFIX: &'static str = keys::MCP_SERVER_PREFIX;
    const NAME_PREFIX: &'static str = keys::MCP_SERVER_NAME_PREFIX;
    const FILTERS: &'static [(&'static str, &'static str)] =
        &[("provider", "provider"), ("category_id", "category_id")];
}

impl Spec for PolicySpec {
    const KIND: &'static str = "policy";
    const PREFIX: &'static str = keys::POLICY_PREFIX;
    const NAME_PREFIX: &'static str = keys::POLICY_NAME_PREFIX;
    const FILTERS: &'static [(&'static str, &'static str)] = &[("policy_type", "policy_type")];
}

fn partition(owner: Option<OrgId>) -> String {
    keys::catalog_partition(owner)
}

pub fn key<S: Spec>(owner: Option<OrgId>, id: S::Id) -> Key {
    keys::catalog_entry(owner, S::PREFIX, id.into())
}

fn name_guard_key<S: Spec>(owner: Option<OrgId>, name: &str) -> Key {
    keys::catalog_name_guard(owner, S::NAME_PREFIX, &name.to_lowercase())
}

fn item<S: Spec>(entry: &Entry<S>) -> Result<Item, StoreError> {
    Ok(with_key(to_item(entry)?, &key::<S>(entry.org_id, entry.id), S::KIND))
}

pub fn create<S: Spec>(tx: &mut Transaction, entry: &Entry<S>) -> Result<(), StoreError> {
    tx.put_new(item(entry)?, Guard::CatalogEntry);
    let guard = Item::from([("entry_id".to_string(), s(entry.id.to_string()))]);
    tx.put_new(with_key(guard, &name_guard_key::<S>(entry.org_id, &entry.name), "name_guard"), Guard::CatalogName);
    Ok(())
}

/// The first of `owners`' entries with this id (one BatchGetItem).
pub async fn get<S: Spec>(
    repo: &Repository,
    owners: &[Option<OrgId>],
    id: S::Id,
) -> Result<Option<Entry<S>>, StoreError> {
    let keys: Vec<Key> = owners.iter().map(|o| key::<S>(*o, id)).collect();
    let found = repo.batch_get(&keys).await?;
    in_owners_order(&keys, found).into_iter().next().map(from_item).transpose()
}

/// The items found for `keys` (one per owner's partition), in the order of `keys`.
fn in_owners_order(keys: &[Key], mut found: Vec<Item>) -> Vec<Item> {
    keys.iter()
        .filter_map(|k| {
            let at = found.iter().position(|item| item.get(keys::PK).and_then(|v| v.as_s().ok()) == Some(&k.pk))?;
            Some(found.swap_remove(at))
        })
        .collect()
}

/// The ids of the entries named `name` (any case) in `owners`' catalogs, by their name
/// guards (one BatchGetItem), in the order of `owners`.
pub async fn ids_by_name<S: Spec>(
    repo: &Repository,
    owners: &[Option<OrgId>],
    name: &str,
) -> Result<Vec<uuid::Uuid>, StoreError> {
    #[derive(serde::Deserialize)]
    struct NameGuard {
        entry_id: uuid::Uuid,
    }
    let keys: Vec<Key> = owners.iter().map(|o| name_guard_key::<S>(*o, name)).collect();
    let found = repo.batch_get(&keys).await?;
    in_owners_order(&keys, found)
        .into_iter()
        .map(|item| from_item::<NameGuard>(item).map(|guard| guard.entry_id))
        .collect()
}

/// The entries at these (owner, id) references that exist, each read once (one
/// BatchGetItem for up to 100 distinct entries).
pub async fn get_many<S: Spec>(
    repo: &Repository,
    refs: impl IntoIterator<Item = (Option<OrgId>, S::Id)>,
) -> Result<Vec<Entry<S>>, StoreError> {
    let keys: Vec<Key> = refs.into_iter().map(|(owner, id)| key::<S>(owner, id)).collect();
    repo.batch_get(&keys).await?.into_iter().map(from_item).collect()
}

/// One scope a catalog list reads: its owner (`None`: the global catalog), and whether
/// only public entries count there.
pub struct ListScope {
    pub owner: Option<OrgId>,
    pub public_only: bool,
}

/// One page of entries over several scopes read one after the other, those whose
/// `attribute`s equal the given values.
pub async fn list<S: Spec>(
    repo: &Repository,
    scopes: &[ListScope],
    equal: &[(&str, String)],
    page: &PageRequest,
) -> Result<Page<Entry<S>>, StoreError> {
    let specs: Vec<QuerySpec> = scopes
        .iter()
        .map(|scope| {
            let mut clauses = Vec::new();
            let mut filter = Expr::default();
            for (i, (attribute, value)) in equal.iter().enumerate() {
                clauses.push(format!("#f{i} = :f{i}"));
                filter = filter.name(&format!("#f{i}"), attribute).value(&format!(":f{i}"), s(value.as_str()));
            }
            if scope.public_only {
                clauses.push("is_public = :public".into());
                filter = filter.value(":public", AttributeValue::Bool(true));
            }
            filter.text = clauses.join(" AND ");
            QuerySpec::table(partition(scope.owner), S::PREFIX).filter((!clauses.is_empty()).then_some(filter))
        })
        .collect();
    repo.query_chain(&specs, page).await?.try_map(from_item)
}

/// Writes every field of `after` but the counters, if the entry is unchanged since
/// `before` was read; moves the name guard on a rename.
/// Writes an entry read as `before` with `assigned` assignments, if both are unchanged
/// (assigned entries' content is copied into sync sets: see [`super::assignments`]).
pub fn update<S: Spec>(
    tx: &mut Transaction,
    before: &Entry<S>,
    assigned: u32,
    after: &Entry<S>,
) -> Result<(), StoreError> {
    let mut fields: Vec<(String, AttributeValue)> = to_item(after)?
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "id" | "ref_count" | "created_at" | "scope" | "org_id"))
        .collect();
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    let update = Expr::set(fields.iter().map(|(k, v)| (k.as_str(), v.clone())).collect());
    let condition = super::assignments::count_is(assigned)
        .and_key("updated_at = :read_at")
        .value(":read_at", ts(&before.updated_at));
    tx.update(&key::<S>(before.org_id, before.id), update, Some(condition), Guard::CatalogEntry);
    if before.name.to_lowercase() != after.name.to_lowercase() {
        tx.delete(&name_guard_key::<S>(before.org_id, &before.name), None, Guard::CatalogName);
        let guard = Item::from([("entry_id".to_string(), s(after.id.to_string()))]);
        tx.put_new(with_key(guard, &name_guard_key::<S>(after.org_id, &after.name), "name_guard"), Guard::CatalogName);
    }
    Ok(())
}

/// Deletes an unreferenced entry and its name guard.
pub fn delete<S: Spec>(tx: &mut Transaction, entry: &Entry<S>) {
    let condition = Expr::new("attribute_exists(PK) AND ref_count = :zero").value(":zero", n(0));
    tx.delete(&key::<S>(entry.org_id, entry.id), Some(condition), Guard::CatalogReferenced);
    tx.delete(&name_guard_key::<S>(entry.org_id, &entry.name), None, Guard::CatalogName);
}

/// Counts a reference to an entry that must exist (`delta` +1) or drops one (-1).
pub fn adjust_refs_at(tx: &mut Transaction, entry: &Key, delta: i32) {
    let update = Expr::new("ADD ref_count :d").value(":d", n(delta));
    tx.update(entry, update, Some(Expr::new("attribute_exists(PK)")), Guard::CatalogReferenceMissing);
}
