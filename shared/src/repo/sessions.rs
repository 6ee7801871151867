//! Sessions: PK `SESSION#<sha256(token)>`, SK `SESSION`, GSI1 `EMP#e` / `SESSION#<id>`
//! (list and revoke an employee's sessions); TTL at expiry.
//! Refresh tokens: PK `REFRESH#<sha256(token)>`, SK `REFRESH`; TTL at the session's end;
//! kept after use (marked `used_at`) so that a second use is noticed.
//! Enrollment codes: PK `ENROLL#<sha256(code)>`, SK `ENROLL`; TTL at expiry; deleted on use.

use super::Guard;
use crate::ids::OrgId;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Expr, QuerySpec, Repository, StoreError, Transaction, from_item, n, s, to_item, ts, with_key};
use crate::ids::{EmployeeId, SessionId};
use crate::keys::{self, Key};
use crate::pagination::{Page, PageRequest};
use crate::time::{Timestamp, sortable};
use agentctl_wire::sessions::Session;

pub fn create(tx: &mut Transaction, token_hash: &str, session: &Session) -> Result<(), StoreError> {
    let mut item = with_key(to_item(session)?, &keys::session(token_hash), "session");
    item.insert(keys::GSI1PK.into(), s(keys::employee_sessions_pk(session.employee_id)));
    item.insert(keys::GSI1SK.into(), s(keys::employee_session_sk(session.id)));
    // Kept until the session ends: a refresh finds it after its access token expired.
    item.insert(keys::TTL.into(), n(session.ends_at.unwrap_or(session.expires_at).timestamp()));
    tx.put_new(item, Guard::Session);
    Ok(())
}

/// Moves a session to a new access token (a refresh): the item under the old token must
/// still be there and not revoked.
pub fn replace(tx: &mut Transaction, old_hash: &str, new_hash: &str, session: &Session) -> Result<(), StoreError> {
    tx.delete(
        &keys::session(old_hash),
        Some(Expr::new("attribute_exists(PK) AND attribute_not_exists(revoked_at)")),
        Guard::Session,
    );
    create(tx, new_hash, session)
}

pub fn create_refresh(tx: &mut Transaction, token_hash: &str, record: &RefreshRecord) -> Result<(), StoreError> {
    let mut item = with_key(to_item(record)?, &keys::refresh_token(token_hash), "refresh_token");
    item.insert(keys::TTL.into(), n(record.ends_at.timestamp()));
    tx.put_new(item, Guard::RefreshToken);
    Ok(())
}

pub async fn refresh_record(repo: &Repository, token_hash: &str) -> Result<Option<RefreshRecord>, StoreError> {
    repo.get_as(&keys::refresh_token(token_hash)).await
}

/// Marks a refresh token used; fails if it was already (two uses race to one).
pub fn use_refresh(tx: &mut Transaction, token_hash: &str, at: &Timestamp) {
    let unused =
        Expr::new("attribute_exists(PK) AND (attribute_not_exists(used_at) OR attribute_type(used_at, :null))")
            .value(":null", s("NULL"));
    tx.update(
        &keys::refresh_token(token_hash),
        Expr::set(vec![("used_at", ts(at))]),
        Some(unused),
        Guard::RefreshToken,
    );
}

pub async fn get(repo: &Repository, token_hash: &str) -> Result<Option<Session>, StoreError> {
    repo.get_as(&keys::session(token_hash)).await
}

/// The table keys of an employee's sessions that are not revoked yet (optionally one).
pub async fn live_keys(
    repo: &Repository,
    employee: EmployeeId,
    only: Option<SessionId>,
) -> Result<Vec<Key>, StoreError> {
    let prefix = match only {
        Some(id) => keys::employee_session_sk(id),
        None => keys::SESSION_PREFIX.to_string(),
    };
    let filter = Expr::new("attribute_not_exists(revoked_at)");
    let items =
        repo.query_all(QuerySpec::gsi1(keys::employee_sessions_pk(employee), &prefix).filter(Some(filter))).await?;
    items
        .into_iter()
        .map(|item| match (item.get(keys::PK), item.get(keys::SK)) {
            (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => Ok(Key { pk: pk.clone(), sk: sk.clone() }),
            _ => Err(StoreError::Corrupt("session without key".into())),
        })
        .collect()
}

/// One page of an employee's sessions that are not revoked (newest first; expired ones
/// until their TTL removes them: the caller filters those).
pub async fn live(repo: &Repository, employee: EmployeeId, page: &PageRequest) -> Result<Page<Session>, StoreError> {
    let filter = Expr::new("attribute_not_exists(revoked_at)");
    let spec = QuerySpec::gsi1(keys::employee_sessions_pk(employee), keys::SESSION_PREFIX).filter(Some(filter));
    repo.query(spec.backwards(), page).await?.try_map(from_item)
}

/// Records that a session was used at `at`, unless it was within `precision` of it
/// already (so a busy session writes at most once per `precision`). Fixed-width text, so
/// the condition compares instants.
pub async fn touch(
    repo: &Repository,
    token_hash: &str,
    at: &Timestamp,
    precision: chrono::Duration,
) -> Result<(), StoreError> {
    let update = Expr::set(vec![("last_used_at", s(sortable(at)))]);
    // Never used: absent (older sessions) or NULL (serde writes `None` as NULL).
    let condition = Expr::new(
        "attribute_exists(PK) AND (attribute_not_exists(last_used_at) OR attribute_type(last_used_at, :null) \
         OR last_used_at < :stale)",
    )
    .value(":null", s("NULL"))
    .value(":stale", s(sortable(&(*at - precision))));
    repo.update_if(&keys::session(token_hash), update, condition).await.map(drop)
}

/// Marks a session revoked (no-op when it is already).
pub fn revoke(tx: &mut Transaction, key: &Key, at: &Timestamp) {
    let update = Expr::set(vec![("revoked_at", ts(at))]);
    tx.update(key, update, Some(Expr::new("attribute_exists(PK)")), Guard::Session);
}

pub fn create_enrollment(tx: &mut Transaction, enrollment: &Enrollment) -> Result<(), StoreError> {
    let mut item = with_key(to_item(enrollment)?, &keys::enrollment_code(&enrollment.code_hash), "enrollment");
    item.insert(keys::TTL.into(), n(enrollment.expires_at.timestamp()));
    tx.put_new(item, Guard::EnrollmentCode);
    Ok(())
}

pub async fn get_enrollment(repo: &Repository, code_hash: &str) -> Result<Option<Enrollment>, StoreError> {
    let item = repo.get(&keys::enrollment_code(code_hash)).await?;
    item.map(from_item).transpose()
}

/// Uses up an enrollment code: it must still exist (so two exchanges race to one winner).
pub fn consume_enrollment(tx: &mut Transaction, code_hash: &str) {
    tx.delete(&keys::enrollment_code(code_hash), Some(Expr::new("attribute_exists(PK)")), Guard::EnrollmentCode);
}

/// A stored enrollment code (only its hash).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Enrollment {
    pub code_hash: String,
    pub org_id: OrgId,
    pub employee_id: EmployeeId,
    pub issued_by: Option<EmployeeId>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A stored refresh token (only its hash is the key). Kept after use until the session
/// would have ended, so that a second use is noticed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub session_id: SessionId,
    pub org_id: OrgId,
    pub employee_id: EmployeeId,
    /// The key of the session's item while this token is the current one.
    pub access_hash: String,
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}
