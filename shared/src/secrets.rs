//! Secrets agentctl issues: every kind's prefix (so a leaked one is recognisable and a
//! scanner can find it), how one is made, and the only form one is stored in (its
//! SHA-256). Below every layer: keys, the repository and the domain use it alike.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of session tokens.
pub const SESSION_TOKEN_PREFIX: &str = "acs_";
/// Prefix of refresh tokens.
pub const REFRESH_TOKEN_PREFIX: &str = "acr_";
/// Prefix of the authorization codes agentctl gives its clients.
pub const AUTHORIZATION_CODE_PREFIX: &str = "aca_";
/// Prefix of device codes (RFC 8628).
pub const DEVICE_CODE_PREFIX: &str = "acd_";
/// Prefix of enrollment codes.
pub const ENROLLMENT_CODE_PREFIX: &str = "ace_";
/// Prefix of platform keys.
pub const PLATFORM_KEY_PREFIX: &str = "acp_";
/// Telemetry tokens: the tools' OTLP exports, on `auth::TELEMETRY_ROUTES` only.
pub const TELEMETRY_TOKEN_PREFIX: &str = "act_";
/// SCIM bearer tokens of an organization's identity provider.
pub const SCIM_TOKEN_PREFIX: &str = "acx_";
/// Webhook signing secrets (the prefix Standard Webhooks uses).
pub const WEBHOOK_SECRET_PREFIX: &str = "whsec_";

/// A new 256-bit random secret, URL-safe, with a recognisable prefix.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 of a secret, hex: the only form in which secrets are stored.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The console's CSRF token of a session: derived from the session token, which only the
/// HttpOnly cookie holds, so pages can carry it without revealing the session while a
/// form on another site cannot know it.
pub fn csrf_token(session_token: &str) -> String {
    digest(&format!("csrf:{session_token}"))
}

/// Bytes as lowercase hex (digests, signatures).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
