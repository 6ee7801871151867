//! Single sign-on items.
//! - Identity provider: PK `ORG#o`, SK `IDP`.
//! - Identity link: PK `ORG#o`, SK `IDENT#<sha256(issuer, subject)>` (one per person), and
//!   its copy under the employee, PK `ORG#o`, SK `IDENTOF#<employee>#<sha256(issuer)>`
//!   (one per employee and issuer: a second subject is never linked by email).
//! - Sign-in on its way through the provider: PK `SIGNIN#<sha256(state)>`; TTL; deleted on return.
//! - Authorization code: PK `AUTHCODE#<sha256(code)>`; TTL; deleted on exchange.
//! - Device authorization: PK `DEVICE#<sha256(device code)>`, its user code
//!   `USERCODE#<code>`; TTL; deleted when the token is issued or refused.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Expr, Guard, Item, QuerySpec, Repository, StoreError, Transaction, from_item, n, s, to_item, ts, with_key,
};
use crate::ids::{EmployeeId, OrgId};
use crate::keys;
use crate::time::Timestamp;
use agentctl_wire::identity::{RoleMapping, TeamMapping};
use agentctl_wire::roles::RoleName;

pub async fn provider(repo: &Repository, org: OrgId) -> Result<Option<ProviderSettings>, StoreError> {
    repo.get_as(&keys::identity_provider(org)).await
}

/// Writes the settings: new, or replacing exactly the version `before` (its `updated_at`).
pub fn put_provider(
    tx: &mut Transaction,
    settings: &ProviderSettings,
    before: Option<&ProviderSettings>,
) -> Result<(), StoreError> {
    let item = with_key(to_item(settings)?, &keys::identity_provider(settings.org_id), "identity_provider");
    match before {
        None => tx.put_new(item, Guard::IdentityProvider),
        Some(before) => tx.put_if(
            item,
            Expr::new("updated_at = :read").value(":read", ts(&before.updated_at)),
            Guard::IdentityProvider,
        ),
    };
    Ok(())
}

pub fn delete_provider(tx: &mut Transaction, org: OrgId) {
    tx.delete(&keys::identity_provider(org), Some(Expr::new("attribute_exists(PK)")), Guard::IdentityProvider);
}

pub async fn link(repo: &Repository, org: OrgId, subject_hash: &str) -> Result<Option<IdentityLink>, StoreError> {
    repo.get_as(&keys::identity_link(org, subject_hash)).await
}

/// The links of an employee (one per issuer).
pub async fn links_of(repo: &Repository, org: OrgId, employee: EmployeeId) -> Result<Vec<IdentityLink>, StoreError> {
    let spec = QuerySpec::table(keys::org_pk(org), &keys::employee_identity_links_prefix(employee));
    repo.query_all(spec).await?.into_iter().map(from_item).collect()
}

/// Links a person to an employee: the person once ([`Guard::IdentityLink`]), the
/// employee once per issuer ([`Guard::EmployeeIdentityLink`]). `stale`: the link of the
/// person to an employee deleted since, replaced.
pub fn create_link(tx: &mut Transaction, link: &IdentityLink, stale: Option<&IdentityLink>) -> Result<(), StoreError> {
    let item = with_key(to_item(link)?, &keys::identity_link(link.org_id, &link.subject_hash), "identity_link");
    match stale {
        None => tx.put_new(item, Guard::IdentityLink),
        Some(stale) => tx.put_if(
            item,
            Expr::new("employee_id = :stale").value(":stale", s(stale.employee_id.to_string())),
            Guard::IdentityLink,
        ),
    };
    let key = keys::employee_identity_link(link.org_id, link.employee_id, &link.issuer);
    tx.put_new(with_key(to_item(link)?, &key, "employee_identity_link"), Guard::EmployeeIdentityLink);
    Ok(())
}

/// Removes a link (both items), as it was read.
pub fn delete_link(tx: &mut Transaction, link: &IdentityLink) {
    let same = || Expr::new("employee_id = :employee").value(":employee", s(link.employee_id.to_string()));
    tx.delete(&keys::identity_link(link.org_id, &link.subject_hash), Some(same()), Guard::IdentityLink);
    let key = keys::employee_identity_link(link.org_id, link.employee_id, &link.issuer);
    tx.delete(&key, Some(same()), Guard::EmployeeIdentityLink);
}

fn expiring(item: Item, at: &Timestamp) -> Item {
    let mut item = item;
    item.insert(keys::TTL.into(), n(at.timestamp()));
    item
}

pub async fn put_sign_in(repo: &Repository, state_hash: &str, sign_in: &SignIn) -> Result<(), StoreError> {
    let item = expiring(with_key(to_item(sign_in)?, &keys::sign_in(state_hash), "sign_in"), &sign_in.expires_at);
    let mut tx = repo.transaction();
    tx.put_new(item, Guard::SignIn);
    repo.transact(tx).await
}

pub async fn sign_in(repo: &Repository, state_hash: &str) -> Result<Option<SignIn>, StoreError> {
    repo.get_as(&keys::sign_in(state_hash)).await
}

/// Uses up a sign-in: it must still be there (a replayed return loses).
pub fn consume_sign_in(tx: &mut Transaction, state_hash: &str) {
    tx.delete(&keys::sign_in(state_hash), Some(Expr::new("attribute_exists(PK)")), Guard::SignIn);
}

pub fn create_code(tx: &mut Transaction, code_hash: &str, code: &AuthorizationCode) -> Result<(), StoreError> {
    let item = expiring(
        with_key(to_item(code)?, &keys::authorization_code(code_hash), "authorization_code"),
        &code.expires_at,
    );
    tx.put_new(item, Guard::AuthorizationCode);
    Ok(())
}

pub async fn code(repo: &Repository, code_hash: &str) -> Result<Option<AuthorizationCode>, StoreError> {
    repo.get_as(&keys::authorization_code(code_hash)).await
}

pub fn consume_code(tx: &mut Transaction, code_hash: &str) {
    tx.delete(&keys::authorization_code(code_hash), Some(Expr::new("attribute_exists(PK)")), Guard::AuthorizationCode);
}

/// A new device authorization and its user code (which must be free).
pub async fn create_device_grant(repo: &Repository, device_hash: &str, grant: &DeviceGrant) -> Result<(), StoreError> {
    let item = expiring(with_key(to_item(grant)?, &keys::device_grant(device_hash), "device_grant"), &grant.expires_at);
    let pointer = Item::from([("device_hash".into(), s(device_hash))]);
    let pointer = expiring(with_key(pointer, &keys::user_code(&grant.user_code), "user_code"), &grant.expires_at);
    let mut tx = repo.transaction();
    tx.put_new(item, Guard::DeviceGrant);
    // An expired code whose item TTL has not removed yet may be taken again.
    tx.put_if(
        pointer,
        Expr::new("attribute_not_exists(PK) OR expires_at_epoch < :now")
            .value(":now", n(crate::time::now().timestamp())),
        Guard::UserCode,
    );
    repo.transact(tx).await
}

pub async fn device_grant(repo: &Repository, device_hash: &str) -> Result<Option<DeviceGrant>, StoreError> {
    repo.get_as(&keys::device_grant(device_hash)).await
}

/// The device code hash a user code names, if it lives.
pub async fn device_by_user_code(repo: &Repository, user_code: &str) -> Result<Option<String>, StoreError> {
    #[derive(serde::Deserialize)]
    struct Pointer {
        device_hash: String,
    }
    Ok(repo.get_as::<Pointer>(&keys::user_code(user_code)).await?.map(|p| p.device_hash))
}

/// Records a decision on a pending device authorization (once).
pub fn decide_device_grant(tx: &mut Transaction, device_hash: &str, status: &DeviceStatus) -> Result<(), StoreError> {
    let update = Expr::set(vec![("status", super::to_attr(status)?)]);
    let pending = Expr::new("#status.#state = :pending")
        .name("#status", "status")
        .name("#state", "state")
        .value(":pending", s("pending"));
    tx.update(&keys::device_grant(device_hash), update, Some(pending), Guard::DeviceGrant);
    Ok(())
}

/// Records a poll of a device authorization, with the interval the client must keep from
/// now on; fails if another poll came in since `last_polled_at` was read.
pub async fn record_poll(
    repo: &Repository,
    device_hash: &str,
    read: Option<&Timestamp>,
    at: &Timestamp,
    interval: i64,
) -> Result<bool, StoreError> {
    let update = Expr::set(vec![("last_polled_at", ts(at)), ("interval", n(interval))]);
    let condition = match read {
        Some(read) => Expr::new("last_polled_at = :read").value(":read", ts(read)),
        None => Expr::new(
            "attribute_exists(PK) AND (attribute_not_exists(last_polled_at) OR attribute_type(last_polled_at, :null))",
        )
        .value(":null", s("NULL")),
    };
    repo.update_if(&keys::device_grant(device_hash), update, condition).await
}

/// Ends a device authorization (its token is issued, or it was refused).
pub fn consume_device_grant(tx: &mut Transaction, device_hash: &str, user_code: &str) {
    tx.delete(&keys::device_grant(device_hash), Some(Expr::new("attribute_exists(PK)")), Guard::DeviceGrant);
    tx.delete(&keys::user_code(user_code), None, Guard::UserCode);
}

/// The identity provider as stored: the wire fields plus the encrypted client secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProviderSettings {
    pub org_id: OrgId,
    pub issuer: String,
    pub client_id: String,
    /// KMS ciphertext (base64) of the client secret, bound to the organization.
    pub client_secret_encrypted: String,
    pub allowed_domains: Vec<String>,
    pub extra_scopes: Vec<String>,
    pub groups_claim: String,
    pub team_mappings: Vec<TeamMapping>,
    pub role_mappings: Vec<RoleMapping>,
    /// Settings stored before this switch existed read as off.
    #[serde(default)]
    pub allow_owner_mapping: bool,
    pub just_in_time: bool,
    pub default_role: RoleName,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A sign-in sent to the identity provider, waiting for the person to come back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignIn {
    pub org_id: OrgId,
    pub nonce: String,
    /// PKCE verifier of the code agentctl will exchange at the provider.
    pub code_verifier: String,
    /// SHA-256 of the cookie set on the browser that started it: only that browser may
    /// finish it.
    pub browser_hash: String,
    pub then: Then,
    pub expires_at: DateTime<Utc>,
}

/// An authorization code agentctl issued to a client (one use, PKCE-bound).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthorizationCode {
    pub org_id: OrgId,
    pub employee_id: EmployeeId,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub expires_at: DateTime<Utc>,
}

/// A device authorization (RFC 8628).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeviceGrant {
    pub org_id: OrgId,
    pub client_id: String,
    pub user_code: String,
    pub status: DeviceStatus,
    /// Seconds the client must wait between polls (raised on `slow_down`).
    pub interval: i64,
    #[serde(default)]
    pub last_polled_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeviceStatus {
    Pending,
    Approved { employee_id: EmployeeId },
    Denied { reason: String },
}

/// A person of the identity provider (issuer, subject) known as an employee.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IdentityLink {
    pub org_id: OrgId,
    /// SHA-256 of issuer and subject: the item's key.
    pub subject_hash: String,
    pub issuer: String,
    pub subject: String,
    pub employee_id: EmployeeId,
    pub created_at: DateTime<Utc>,
}

/// Where a sign-in leads once the provider vouched for the person.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Then {
    /// Back to one of agentctl's clients with an authorization code.
    Client { client_id: String, redirect_uri: String, code_challenge: String, state: Option<String> },
    /// Approves a device authorization.
    Device { device_hash: String },
    /// Opens a console session in the browser that signed in.
    Console,
}
