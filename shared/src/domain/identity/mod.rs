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

pub use crate::repo::identity::{
    AuthorizationCode, DeviceGrant, DeviceStatus, IdentityLink, ProviderSettings, SignIn, Then,
};
pub use agentctl_wire::identity::{
    CLI_CLIENT_ID, DEVICE_CODE_GRANT, DeviceAuthorization, IdentityLink as LinkView, IdentityProvider,
    IdentityProviderRequest, OAuthError, RoleMapping, TeamMapping, TokenResponse,
};

/// SHA-256 of a person's (issuer, subject): the key of their link.
pub fn subject_hash(issuer: &str, subject: &str) -> String {
    crate::auth::digest(&format!("{issuer}\n{subject}"))
}
