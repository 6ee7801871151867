//! SCIM items.
//! - Token: PK `SCIMTOKEN#<sha256(token)>`, SK `SCIMTOKEN`; GSI1 `ORG#o#SCIMTOKENS` / `TOKEN#<created>#<id>`.
//! - User overlay: PK `ORG#o`, SK `SCIMUSER#e` (what SCIM said beyond the employee);
//!   GSI1 `ORG#o#SCIMUSEREXT#<externalId>` / `SCIMUSER#e` while it has one; `userName`
//!   guard `ORG#o` / `SCIMNAME#<lowercase userName>`.
//! - Group overlay: PK `ORG#o`, SK `SCIMGROUP#t` (its `externalId`); GSI1
//!   `ORG#o#SCIMGROUPEXT#<externalId>` / `SCIMGROUP#t` while it has one.

use crate::ids::ScimTokenId;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Expr, Item, QuerySpec, Repository, StoreError, Transaction, from_item, s, to_item, ts, with_key};

use crate::ids::{EmployeeId, OrgId, TeamId};
use crate::keys::{self, Key};
use crate::time::Timestamp;

use super::Guard;

pub fn create_token(tx: &mut Transaction, token_hash: &str, token: &StoredToken) -> Result<(), StoreError> {
    let mut item = with_key(to_item(token)?, &keys::scim_token(token_hash), "scim_token");
    item.insert(keys::GSI1PK.into(), s(keys::scim_tokens_pk(token.org_id)));
    item.insert(keys::GSI1SK.into(), s(keys::scim_token_index_sk(&token.created_at, token.id)));
    tx.put_new(item, Guard::ScimToken);
    Ok(())
}

pub async fn token(repo: &Repository, token_hash: &str) -> Result<Option<StoredToken>, StoreError> {
    repo.get_as(&keys::scim_token(token_hash)).await
}

/// The organization's tokens with their table keys, oldest first.
pub async fn tokens(repo: &Repository, org: OrgId) -> Result<Vec<(Key, StoredToken)>, StoreError> {
    let items = repo.query_all(QuerySpec::gsi1(keys::scim_tokens_pk(org), keys::SCIM_TOKEN_INDEX_PREFIX)).await?;
    items
        .into_iter()
        .map(|item| {
            let key = match (item.get(keys::PK), item.get(keys::SK)) {
                (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => Key { pk: pk.clone(), sk: sk.clone() },
                _ => return Err(StoreError::Corrupt("SCIM token without key".into())),
            };
            Ok((key, from_item(item)?))
        })
        .collect()
}

pub fn delete_token(tx: &mut Transaction, key: &Key) {
    tx.delete(key, Some(Expr::new("attribute_exists(PK)")), Guard::ScimToken);
}

/// Records a token's use at `at`, unless within `precision` of the last one.
pub async fn touch_token(
    repo: &Repository,
    token_hash: &str,
    at: &Timestamp,
    precision: chrono::Duration,
) -> Result<(), StoreError> {
    let update = Expr::set(vec![("last_used_at", ts(at))]);
    let condition = Expr::new(
        "attribute_exists(PK) AND (attribute_not_exists(last_used_at) OR attribute_type(last_used_at, :null) OR last_used_at < :stale)",
    )
    .value(":null", s("NULL"))
    .value(":stale", ts(&(*at - precision)));
    repo.update_if(&keys::scim_token(token_hash), update, condition).await.map(drop)
}

pub async fn user_overlay(
    repo: &Repository,
    org: OrgId,
    employee: EmployeeId,
) -> Result<Option<UserOverlay>, StoreError> {
    repo.get_as(&keys::scim_user(org, employee)).await
}

/// Writes a user overlay, moving its `userName` guard from `before`'s (if any). A new
/// `userName` other than the employee's own email (`own_email`, as it was) must not be
/// the email of another employee either: that employee's `userName`, unless SCIM named
/// them otherwise ([`Guard::ScimUserName`]).
pub fn put_user_overlay(
    tx: &mut Transaction,
    overlay: &UserOverlay,
    before: Option<&UserOverlay>,
    own_email: &str,
) -> Result<(), StoreError> {
    let key = keys::scim_user(overlay.org_id, overlay.employee_id);
    let mut item = with_key(to_item(overlay)?, &key, "scim_user");
    if let Some(external_id) = &overlay.external_id {
        item.insert(keys::GSI1PK.into(), s(keys::scim_users_by_external_id_pk(overlay.org_id, external_id)));
        item.insert(keys::GSI1SK.into(), s(key.sk.clone()));
    }
    match before {
        None => tx.put_new(item, Guard::ScimUser),
        Some(before) => tx.put_if(
            item,
            Expr::new("last_modified = :read").value(":read", ts(&before.last_modified)),
            Guard::ScimUser,
        ),
    };
    let name = overlay.user_name.to_lowercase();
    let before_name = before.map(|b| b.user_name.to_lowercase());
    if before_name.as_deref() != Some(name.as_str()) {
        if let Some(old) = before_name {
            tx.delete(&keys::scim_user_name_guard(overlay.org_id, &old), None, Guard::ScimUserName);
        }
        let owner = Item::from([("employee_id".into(), s(overlay.employee_id.to_string()))]);
        tx.put_new(
            with_key(owner, &keys::scim_user_name_guard(overlay.org_id, &name), "scim_user_name"),
            Guard::ScimUserName,
        );
        if name != own_email.to_lowercase() {
            let key = keys::email_guard(overlay.org_id, &name);
            tx.check_free(&key, super::employees::held_by(overlay.employee_id), Guard::ScimUserName);
        }
    }
    Ok(())
}

/// The overlays of these employees that exist (one BatchGetItem per 100).
pub async fn user_overlays_of(
    repo: &Repository,
    org: OrgId,
    employees: &[EmployeeId],
) -> Result<Vec<UserOverlay>, StoreError> {
    let keys: Vec<Key> = employees.iter().map(|e| keys::scim_user(org, *e)).collect();
    repo.batch_get(&keys).await?.into_iter().map(from_item).collect()
}

/// The employees whose overlay has this `externalId`.
pub async fn users_by_external_id(
    repo: &Repository,
    org: OrgId,
    external_id: &str,
) -> Result<Vec<EmployeeId>, StoreError> {
    let spec = QuerySpec::gsi1(keys::scim_users_by_external_id_pk(org, external_id), keys::SCIM_USER_PREFIX);
    let overlays: Vec<UserOverlay> =
        repo.query_all(spec).await?.into_iter().map(from_item).collect::<Result<_, _>>()?;
    Ok(overlays.into_iter().map(|o| o.employee_id).collect())
}

/// The employee SCIM gave this `userName` (lower case), by its guard.
pub async fn user_by_name(
    repo: &Repository,
    org: OrgId,
    lowercase_user_name: &str,
) -> Result<Option<EmployeeId>, StoreError> {
    #[derive(serde::Deserialize)]
    struct NameOwner {
        employee_id: EmployeeId,
    }
    Ok(repo.get_as::<NameOwner>(&keys::scim_user_name_guard(org, lowercase_user_name)).await?.map(|o| o.employee_id))
}

/// The overlays of these teams that exist (one BatchGetItem per 100).
pub async fn group_overlays_of(
    repo: &Repository,
    org: OrgId,
    teams: &[TeamId],
) -> Result<Vec<GroupOverlay>, StoreError> {
    let keys: Vec<Key> = teams.iter().map(|t| keys::scim_group(org, *t)).collect();
    repo.batch_get(&keys).await?.into_iter().map(from_item).collect()
}

/// The teams whose overlay has this `externalId`.
pub async fn groups_by_external_id(
    repo: &Repository,
    org: OrgId,
    external_id: &str,
) -> Result<Vec<TeamId>, StoreError> {
    let spec = QuerySpec::gsi1(keys::scim_groups_by_external_id_pk(org, external_id), keys::SCIM_GROUP_PREFIX);
    let overlays: Vec<GroupOverlay> =
        repo.query_all(spec).await?.into_iter().map(from_item).collect::<Result<_, _>>()?;
    Ok(overlays.into_iter().map(|o| o.team_id).collect())
}

pub async fn group_overlay(repo: &Repository, org: OrgId, team: TeamId) -> Result<Option<GroupOverlay>, StoreError> {
    repo.get_as(&keys::scim_group(org, team)).await
}

pub fn put_group_overlay(tx: &mut Transaction, overlay: &GroupOverlay) -> Result<(), StoreError> {
    let key = keys::scim_group(overlay.org_id, overlay.team_id);
    let mut item = with_key(to_item(overlay)?, &key, "scim_group");
    if let Some(external_id) = &overlay.external_id {
        item.insert(keys::GSI1PK.into(), s(keys::scim_groups_by_external_id_pk(overlay.org_id, external_id)));
        item.insert(keys::GSI1SK.into(), s(key.sk.clone()));
    }
    tx.put(item);
    Ok(())
}

pub fn delete_group_overlay(tx: &mut Transaction, org: OrgId, team: TeamId) {
    tx.delete(&keys::scim_group(org, team), None, Guard::ScimGroup);
}

/// What SCIM said of a team beyond the team itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupOverlay {
    pub org_id: OrgId,
    pub team_id: TeamId,
    #[serde(default)]
    pub external_id: Option<String>,
    pub last_modified: DateTime<Utc>,
}

/// What SCIM said of an employee beyond the employee itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserOverlay {
    pub org_id: OrgId,
    pub employee_id: EmployeeId,
    pub user_name: String,
    #[serde(default)]
    pub external_id: Option<String>,
    /// `{formatted, familyName, givenName}` as sent.
    #[serde(default)]
    pub name: Option<Map<String, Value>>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `[{value, type, primary}]` as sent.
    #[serde(default)]
    pub emails: Vec<Value>,
    /// `active` as SCIM last sent it (absent: never sent, or removed).
    #[serde(default)]
    pub active: Option<bool>,
    /// The enterprise extension's `department` (the employee's team, by name).
    #[serde(default)]
    pub department: Option<String>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredToken {
    pub id: ScimTokenId,
    pub org_id: OrgId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub last_used_at: Option<DateTime<Utc>>,
}
