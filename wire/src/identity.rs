//! Single sign-on: an organization's OpenID Provider, and the OAuth 2.0 answers agentctl
//! gives its own clients (the CLI, the console) when they sign people in through it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{IdentityLinkId, ScimTokenId, TeamId};
use crate::roles::RoleName;

/// `PUT /v1/org/identity-provider`: the organization's OpenID Provider.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IdentityProviderRequest {
    /// The issuer URL exactly as the provider's discovery document states it (https).
    pub issuer: String,
    /// The client id registered at the provider for agentctl.
    pub client_id: String,
    /// The client secret (write-only, encrypted with KMS). Required the first time;
    /// omitted later, the stored one is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The email domains people of this organization sign in with (at least one). An
    /// existing employee is linked at first sign-in only by a verified email of one.
    pub allowed_domains: Vec<String>,
    /// Scopes asked for besides `openid email profile` (say `groups`).
    #[serde(default)]
    pub extra_scopes: Vec<String>,
    /// The ID token claim that lists the person's groups (default `groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_claim: Option<String>,
    /// Group → team: the first group of the list the person is in sets their team.
    #[serde(default)]
    pub team_mappings: Vec<TeamMapping>,
    /// Claim value → role: the first rule that matches sets the person's role.
    #[serde(default)]
    pub role_mappings: Vec<RoleMapping>,
    /// Whether a role mapping may make people owners (off unless an owner turns it on;
    /// a mapping to `owner` is refused without it). A mapping never demotes an owner.
    #[serde(default)]
    pub allow_owner_mapping: bool,
    /// Whether people the organization does not know yet are created at their first
    /// sign-in (just in time) rather than refused.
    #[serde(default)]
    pub just_in_time: bool,
    /// The role of people created just in time whom no role mapping matches.
    #[serde(default = "default_role")]
    pub default_role: RoleName,
}

fn default_role() -> RoleName {
    RoleName::Member
}

/// People in `group` (a value of the groups claim) belong to `team_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TeamMapping {
    pub group: String,
    pub team_id: TeamId,
}

/// People whose ID token claim `claim` is `value` (or lists it) get `role`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RoleMapping {
    pub claim: String,
    pub value: String,
    pub role: RoleName,
}

/// The organization's OpenID Provider as stored (the secret is never returned).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityProvider {
    pub issuer: String,
    pub client_id: String,
    pub allowed_domains: Vec<String>,
    pub extra_scopes: Vec<String>,
    pub groups_claim: String,
    pub team_mappings: Vec<TeamMapping>,
    pub role_mappings: Vec<RoleMapping>,
    pub allow_owner_mapping: bool,
    pub just_in_time: bool,
    pub default_role: RoleName,
    /// Where the provider sends people back after sign-in: register it at the provider.
    pub redirect_uri: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A person of the organization's identity provider linked to an employee: made at their
/// first sign-in (by verified email, or when created just in time), used by every later
/// one. While it exists, no other subject of that provider is linked to the employee by
/// email; an admin removes it where the person's account at the provider was replaced.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityLink {
    pub id: IdentityLinkId,
    pub issuer: String,
    /// The provider's `sub` for the person.
    pub subject: String,
    pub created_at: DateTime<Utc>,
}

/// `POST /v1/oauth/token` and the device authorization answer: OAuth 2.0's own JSON
/// (RFC 6749 §5.1), not problem+json, because OAuth clients expect it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// The session token to send as `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Exchanged for a new pair at `POST /v1/oauth/token` (`grant_type=refresh_token`);
    /// each works once.
    pub refresh_token: String,
}

/// `POST /v1/oauth/device_authorization` (RFC 8628 §3.2).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceAuthorization {
    pub device_code: String,
    /// What the person checks and enters in the browser.
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    /// Seconds to wait between polls.
    pub interval: i64,
}

/// An OAuth 2.0 error answer (RFC 6749 §5.2, RFC 8628 §3.5).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type`,
    /// `authorization_pending`, `slow_down`, `access_denied`, `expired_token`.
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// The OAuth client id of the `agentctl` CLI (a public client: PKCE, loopback redirects).
pub const CLI_CLIENT_ID: &str = "agentctl-cli";
/// The device grant's `grant_type` (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// `POST /v1/org/scim-tokens`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScimTokenRequest {
    /// What the token is for (say `Okta`, `Entra rotation 2026-12`), 1 to 100 characters.
    pub name: String,
}

/// A SCIM token of the organization (the secret itself is shown only at creation).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScimToken {
    pub id: ScimTokenId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// When the identity provider last used it (to the nearest few minutes).
    #[serde(default)]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new SCIM token: `token` is shown here once and never again.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewScimToken {
    pub token: String,
    /// Where the identity provider sends SCIM requests.
    pub base_url: String,
    #[serde(flatten)]
    pub scim_token: ScimToken,
}
