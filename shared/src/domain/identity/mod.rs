//! Single sign-on. An organization configures its OpenID Provider ([`provider`]);
//! agentctl then signs its people in through it as a relying party and hands its own
//! clients (the CLI, the console) OAuth 2.0 tokens ([`signin`] for the browser side,
//! [`grants`] for the token endpoint, including the device flow of RFC 8628).
//!
//! ```text
//! client --authorize / device_authorization--> agentctl --code+PKCE+state+nonce--> IdP
//! IdP --callback (code, state)--> agentctl: ID token verified, person resolved
//!     -> client: agentctl's own one-time code (PKCE)   | device: authorization approved
//! client --token (code / device_code / refresh_token)--> agentctl: session tokens
//! ```

pub mod grants;
pub mod links;
pub mod provider;
pub mod signin;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{EmployeeId, OrgId};
use crate::roles::RoleName;

pub use agentctl_wire::identity::{
    CLI_CLIENT_ID, DEVICE_CODE_GRANT, DeviceAuthorization, IdentityLink as LinkView, IdentityProvider,
    IdentityProviderRequest, OAuthError, RoleMapping, TeamMapping, TokenResponse,
};

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

/// Where a sign-in leads once the provider vouched for the person.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Then {
    /// Back to one of agentctl's clients with an authorization code.
    Client { client_id: String, redirect_uri: String, code_challenge: String, state: Option<String> },
    /// Approves a device authorization.
    Device { device_hash: String },
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

/// SHA-256 of a person's (issuer, subject): the key of their link.
pub fn subject_hash(issuer: &str, subject: &str) -> String {
    crate::auth::digest(&format!("{issuer}\n{subject}"))
}
