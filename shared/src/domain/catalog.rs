//! The catalogs, generically. Agents, tools, MCP categories, MCP servers and policies are
//! all catalog entries: a [`Spec`] (the kind's own fields) inside an [`Entry`] (id, scope,
//! name, description, visibility, counters).
//!
//! Scopes: **global** entries are curated by the platform operator and visible to every
//! organization once `is_public`; **org** entries are created by an organization's admins
//! and visible to that organization alone. Names are unique per scope. The platform
//! operator sees and writes the global scope only; an employee reads their org's entries
//! and the public global ones, and writes their org's. A global entry is read-only to an
//! organization (403), an invisible one does not exist (404).

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::AppState;
use crate::activity::EventType;
use crate::auth::Principal;
use crate::error::{Error, ProblemCode, Result};
use crate::ids::OrgId;
use crate::keys::Key;
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo::{self, StoreError, syncsets};
use crate::roles::Permission;
use crate::validate::{self, Validator};

pub use agentctl_wire::catalog::{CatalogQuery, Entry, Kind, Scope};

const NAME_MAX: usize = 100;
const DESCRIPTION_MAX: usize = 4000;

/// The fields every entry has, parsed from a request.
pub struct Common {
    pub name: String,
    pub description: String,
    pub is_public: bool,
}

impl Common {
    pub fn parse(
        v: &mut Validator,
        name: String,
        description: Option<String>,
        is_public: Option<bool>,
    ) -> Option<Self> {
        let name = v.check("name", name, validate::name(NAME_MAX));
        let description = v.check("description", description.unwrap_or_default(), validate::text(DESCRIPTION_MAX));
        Some(Common { name: name?, description: description?, is_public: is_public.unwrap_or(true) })
    }
}

/// One kind of catalog entry: how it is stored (its kind, key prefixes and filters,
/// [`repo::catalog::Spec`]) and what it means.
pub trait Spec: repo::catalog::Spec {
    /// The request body of a new entry: the common fields and the kind's own.
    type New: DeserializeOwned + Send;
    /// The permission that writes this kind.
    const WRITE: Permission = Permission::CatalogWrite;
    const READ: Permission = Permission::CatalogRead;

    /// Validates a request into the common fields and the spec. Async because a kind
    /// may check references (e.g. an MCP server's category).
    fn parse(
        state: &AppState,
        owner: Option<OrgId>,
        new: Self::New,
    ) -> impl std::future::Future<Output = Result<(Common, Self)>> + Send;

    /// Spec fields the server derives (not part of `New`).
    const DERIVED: &'static [&'static str] = &[];

    /// Catalog entries this one references (their `ref_count` counts it).
    fn references(&self) -> Vec<Key> {
        Vec::new()
    }

    /// Fills derived fields after a read.
    fn refresh(&mut self) {}

    /// Whether organizations assign entries of this kind (agents, MCP servers): an
    /// assigned entry's content is kept in its scope's sync set, so edits refresh it.
    const ASSIGNABLE: bool = false;

    /// What a change of an entry (`None` before a create and after a delete) changes in
    /// its scope's sync set: by default nothing, the kind is not part of sync bundles.
    fn sync_change(_before: Option<&Entry<Self>>, _after: Option<&Entry<Self>>) -> Option<syncsets::Change> {
        None
    }

    /// The `New` body that recreates `entry` (the base of a merge patch).
    fn as_new(entry: &Entry<Self>) -> Value {
        let mut value = serde_json::to_value(&entry.spec).expect("spec serializes");
        let object = value.as_object_mut().expect("a spec is an object");
        for derived in Self::DERIVED {
            object.remove(*derived);
        }
        object.insert("name".into(), json!(entry.name));
        object.insert("description".into(), json!(entry.description));
        object.insert("is_public".into(), json!(entry.is_public));
        value
    }
}

/// The attribute filters a catalog list asks for: (query parameter, value).
fn filters(query: &CatalogQuery) -> Vec<(&'static str, String)> {
    let mut given = Vec::new();
    if let Some(v) = &query.kind {
        given.push(("type", v.clone()));
    }
    if let Some(v) = &query.provider {
        given.push(("provider", v.clone()));
    }
    if let Some(v) = &query.category_id {
        given.push(("category_id", v.to_string()));
    }
    if let Some(v) = &query.policy_type {
        given.push(("policy_type", v.clone()));
    }
    given
}

/// Who may see and write what.
struct Access {
    /// Scopes readable, own first.
    read: Vec<Option<OrgId>>,
    /// The scope written to.
    write: Option<OrgId>,
    /// Non-public global entries are visible.
    sees_hidden: bool,
}

fn access<S: Spec>(principal: &Principal, write: bool) -> Result<Access> {
    Ok(match principal.scope(if write { S::WRITE } else { S::READ })? {
        None => Access { read: vec![None], write: None, sees_hidden: true },
        Some(org) => Access { read: vec![Some(org), None], write: Some(org), sees_hidden: false },
    })
}

fn not_found<S: Spec>() -> Error {
    Error::NotFound(S::KIND)
}

fn name_taken(name: &str) -> Error {
    Error::conflict(ProblemCode::NameTaken, format!("an entry named {name:?} exists in this scope"))
}

fn map_write_error<S: Spec>(name: &str) -> impl FnOnce(StoreError) -> Error + '_ {
    move |e| match e {
        StoreError::ConditionFailed(repo::Guard::CatalogName) => name_taken(name),
        StoreError::ConditionFailed(repo::Guard::CatalogReferenced) => Error::conflict(
            ProblemCode::EntryInUse,
            format!("the {} is still referenced; remove its links and attachments first", S::KIND),
        ),
        StoreError::ConditionFailed(repo::Guard::PolicySpace) => Error::conflict(
            ProblemCode::PolicySpaceExhausted,
            format!(
                "this scope's policies would exceed {} KB of rules; delete unused policies or shorten their rules",
                syncsets::POLICY_BYTES_MAX / 1024
            ),
        ),
        StoreError::ConditionFailed(repo::Guard::AssignmentSpace) => Error::conflict(
            ProblemCode::AssignmentSpaceExhausted,
            format!(
                "this scope's synced catalog content would exceed {} KB; delete or shorten entries first",
                syncsets::ASSIGNMENT_BYTES_MAX / 1024
            ),
        ),
        StoreError::ConditionFailed(repo::Guard::CatalogReferenceMissing) => Error::conflict(
            ProblemCode::ReferenceMissing,
            format!("an entry this {} references was deleted; retry", S::KIND),
        ),
        StoreError::ConditionFailed(_) => Error::conflict(
            ProblemCode::ConcurrentUpdate,
            format!("the {} changed while this request ran; retry", S::KIND),
        ),
        e => e.into(),
    }
}

pub async fn create<S: Spec>(state: &AppState, principal: &Principal, new: S::New) -> Result<Entry<S>> {
    let access = access::<S>(principal, true)?;
    let (common, spec) = S::parse(state, access.write, new).await?;
    let now = crate::time::now();
    let entry = Entry {
        id: Uuid::now_v7().into(),
        scope: if access.write.is_some() { Scope::Org } else { Scope::Global },
        org_id: access.write,
        name: common.name,
        description: common.description,
        is_public: common.is_public || access.write.is_some(),
        ref_count: Some(0),
        spec,
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.repo.transaction();
    repo::catalog::create(&mut tx, &entry)?;
    for key in entry.spec.references() {
        repo::catalog::adjust_refs_at(&mut tx, &key, 1);
    }
    if let Some(change) = S::sync_change(None, Some(&entry)) {
        change.apply(&mut tx, &now);
    }
    record(state, &mut tx, principal, EventType::CatalogCreated, &entry)?;
    crate::domain::notify::commit(state, tx).await.map_err(map_write_error::<S>(&entry.name))?;
    Ok(entry)
}

/// Writes the activity entry of a catalog change (organization changes only: the
/// global catalog has no organization to log to).
fn record<S: Spec>(
    state: &AppState,
    tx: &mut repo::Transaction,
    principal: &Principal,
    event_type: EventType,
    entry: &Entry<S>,
) -> Result<()> {
    match entry.org_id {
        Some(org) => {
            let payload = json!({ "kind": S::KIND, "id": entry.id, "name": entry.name });
            crate::domain::log(state, tx, org, principal, event_type, payload).map(drop)
        }
        None => Ok(()),
    }
}

/// An entry the principal may read.
pub async fn get<S: Spec>(state: &AppState, principal: &Principal, id: S::Id) -> Result<Entry<S>> {
    let access = access::<S>(principal, false)?;
    find::<S>(state, &access.read, access.sees_hidden, id).await
}

async fn find<S: Spec>(state: &AppState, scopes: &[Option<OrgId>], sees_hidden: bool, id: S::Id) -> Result<Entry<S>> {
    let entry = repo::catalog::get::<S>(&state.repo, scopes, id).await?.ok_or_else(not_found::<S>)?;
    if entry.is_public || sees_hidden { Ok(seen_by(entry, sees_hidden)) } else { Err(not_found::<S>()) }
}

/// The entry as a reader sees it: derived fields filled in, and for an organization
/// (`platform` false) no count of a global entry's references, which would tell it what
/// other organizations use.
fn seen_by<S: Spec>(mut entry: Entry<S>, platform: bool) -> Entry<S> {
    entry.spec.refresh();
    if !platform && entry.scope == Scope::Global {
        entry.ref_count = None;
    }
    entry
}

/// An entry visible to `org` (own or public global), for references from other items.
pub async fn visible_to<S: Spec>(state: &AppState, org: Option<OrgId>, id: S::Id) -> Result<Entry<S>> {
    match org {
        Some(org) => find::<S>(state, &[Some(org), None], false, id).await,
        None => find::<S>(state, &[None], true, id).await,
    }
}

pub async fn list<S: Spec>(state: &AppState, principal: &Principal, query: &CatalogQuery) -> Result<Page<Entry<S>>> {
    let access = access::<S>(principal, false)?;
    let page = PageRequest::try_from(&PageQuery { limit: query.limit, cursor: query.cursor.clone() })?;
    let mut equal = Vec::new();
    for (param, value) in filters(query) {
        let Some((_, attribute)) = S::FILTERS.iter().find(|(p, _)| *p == param) else {
            return Err(Error::BadRequest(format!("the {} list cannot be filtered by {param}", S::KIND)));
        };
        equal.push((*attribute, value));
    }
    let scopes: Vec<repo::catalog::ListScope> = access
        .read
        .iter()
        .filter(|owner| match query.scope {
            Some(Scope::Org) => owner.is_some(),
            Some(Scope::Global) => owner.is_none(),
            None => true,
        })
        .map(|owner| repo::catalog::ListScope { owner: *owner, public_only: owner.is_none() && !access.sees_hidden })
        .collect();
    let page = repo::catalog::list::<S>(&state.repo, &scopes, &equal, &page).await?;
    Ok(page.map(|entry| seen_by(entry, access.sees_hidden)))
}

/// Applies a JSON merge patch (RFC 7396) to the entry's fields and validates the result
/// like a new entry.
pub async fn update<S: Spec>(state: &AppState, principal: &Principal, id: S::Id, patch: Value) -> Result<Entry<S>> {
    let access = access::<S>(principal, true)?;
    let before = writable::<S>(state, &access, id).await?;
    if !patch.is_object() {
        return Err(Error::invalid("(body)", "must be a JSON object (a merge patch)"));
    }
    let mut merged = S::as_new(&before);
    json_patch::merge(&mut merged, &patch);
    let new: S::New = crate::strict_json::from_value(&merged, "")?;
    let (common, spec) = S::parse(state, access.write, new).await?;
    let after = Entry {
        name: common.name,
        description: common.description,
        is_public: common.is_public || access.write.is_some(),
        spec,
        updated_at: crate::time::now(),
        ..before.clone()
    };
    let change = S::sync_change(Some(&before), Some(&after));
    let assigned = match S::ASSIGNABLE {
        true => repo::assignments::count_of(&state.repo, &repo::catalog::key::<S>(before.org_id, before.id)).await?,
        false => 0,
    };
    let mut tx = state.repo.transaction();
    repo::catalog::update(&mut tx, &before, assigned, &after)?;
    let (old, new) = (before.spec.references(), after.spec.references());
    for key in old.iter().filter(|k| !new.contains(k)) {
        repo::catalog::adjust_refs_at(&mut tx, key, -1);
    }
    for key in new.iter().filter(|k| !old.contains(k)) {
        repo::catalog::adjust_refs_at(&mut tx, key, 1);
    }
    if let Some(mut change) = change {
        if assigned > 0 && after.org_id.is_some() {
            change.put_entry(&after, Some(&before));
        }
        change.apply(&mut tx, &after.updated_at);
    }
    record(state, &mut tx, principal, EventType::CatalogUpdated, &after)?;
    crate::domain::notify::commit(state, tx).await.map_err(map_write_error::<S>(&after.name))?;
    Ok(after)
}

pub async fn delete<S: Spec>(state: &AppState, principal: &Principal, id: S::Id) -> Result<()> {
    let access = access::<S>(principal, true)?;
    let entry = writable::<S>(state, &access, id).await?;
    let mut tx = state.repo.transaction();
    repo::catalog::delete(&mut tx, &entry);
    for key in entry.spec.references() {
        repo::catalog::adjust_refs_at(&mut tx, &key, -1);
    }
    if let Some(change) = S::sync_change(Some(&entry), None) {
        change.apply(&mut tx, &crate::time::now());
    }
    record(state, &mut tx, principal, EventType::CatalogDeleted, &entry)?;
    crate::domain::notify::commit(state, tx).await.map_err(map_write_error::<S>(&entry.name))
}

/// An entry in the principal's own scope; a visible global one is read-only (403).
async fn writable<S: Spec>(state: &AppState, access: &Access, id: S::Id) -> Result<Entry<S>> {
    let entry = find::<S>(state, &access.read, access.sees_hidden, id).await?;
    if entry.org_id != access.write {
        return Err(Error::Forbidden(format!(
            "this {} belongs to the global catalog, which the platform operator curates",
            S::KIND
        )));
    }
    Ok(entry)
}

/// The sync change of an entry that bundles deliver (agents, MCP servers). The global
/// catalog's entries travel in the platform's sync set from their creation, whoever
/// assigns them, so that no organization's assignments take room from another's; an
/// organization's own entries travel in its set while assigned (see
/// `assignments::stage_entry`), and editing or deleting one changes its version.
pub fn delivered_entry_change<S: Spec>(
    before: Option<&Entry<S>>,
    after: Option<&Entry<S>>,
) -> Option<syncsets::Change> {
    let owner = after.or(before)?.org_id;
    let mut change = syncsets::Change::new(syncsets::Scope::of(owner));
    match (owner, before, after) {
        (None, _, Some(after)) => change.put_entry(after, before),
        (None, Some(before), None) => change.remove_entry(before),
        (Some(_), None, _) => return None,
        _ => {}
    }
    Some(change)
}
