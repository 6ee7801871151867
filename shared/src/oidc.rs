//! agentctl as a relying party of an organization's OpenID Provider: discovery, the
//! provider's signing keys, the code exchange and ID token verification.
//!
//! Every request goes through the guarded client of [`crate::outbound`] (no redirects,
//! public addresses only), and answers larger than [`MAX_DOCUMENT`] are refused.
//!
//! Discovery documents and key sets are cached per process (an hour). A token signed
//! with a key the cached set lacks (the provider rotated its keys) refetches the set,
//! at most once per `jwks_min_refresh` per issuer, so a flood of made-up key ids cannot
//! turn into a flood of requests to the provider.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use moka::sync::Cache;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::with_causes;
use crate::outbound::Outbound;

/// Largest discovery document, key set or token answer read.
pub const MAX_DOCUMENT: usize = 256 * 1024;
/// Allowed clock difference with the provider.
const SKEW_SECONDS: i64 = 60;
/// An ID token issued longer ago than this is not accepted (it is used right after the
/// code exchange that returned it).
const MAX_ID_TOKEN_AGE_SECONDS: i64 = 10 * 60;
const CACHE_TTL: Duration = Duration::from_secs(3600);
/// The asymmetric algorithms accepted for ID tokens: never `none`, never HMAC (a
/// provider's public key used as an HMAC secret is the classic confusion attack).
const ACCEPTED_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The URL is not one agentctl will call (scheme, private address, credentials).
    #[error("{0}")]
    RefusedUrl(String),
    /// The provider could not be reached or answered with an error.
    #[error("the identity provider is unreachable or failed: {0}")]
    Unreachable(String),
    /// The provider answered something that is not what OpenID Connect requires.
    #[error("the identity provider's answer is invalid: {0}")]
    Invalid(String),
    /// The ID token failed verification (the reason is for logs; people see a generic one).
    #[error("the ID token is not acceptable: {0}")]
    Rejected(&'static str),
}

/// What an OpenID Provider publishes at `/.well-known/openid-configuration` (what we use).
#[derive(Clone, Debug, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

impl Discovery {
    /// Whether the token endpoint takes the client secret in the body rather than HTTP
    /// Basic (the default when the provider lists no method).
    fn wants_secret_in_body(&self) -> bool {
        let methods = &self.token_endpoint_auth_methods_supported;
        !methods.is_empty() && !methods.iter().any(|m| m == "client_secret_basic")
    }
}

/// The claims of a verified ID token.
#[derive(Clone, Debug, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    #[serde(default)]
    pub email: Option<String>,
    /// Some providers send `"true"` as a string.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub email_verified: bool,
    #[serde(default)]
    pub name: Option<String>,
    /// Every claim, for group and role mappings.
    #[serde(flatten)]
    pub all: Map<String, Value>,
}

fn lenient_bool<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(b) => b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    })
}

/// What the ID token must say.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
}

#[derive(Deserialize)]
struct TimeClaims {
    exp: i64,
    iat: i64,
    nonce: Option<String>,
    azp: Option<String>,
    /// One audience or several (jsonwebtoken has checked ours is among them).
    #[serde(default)]
    aud: Value,
}

/// Checks an ID token against `keys`: signature (key chosen by `kid`, algorithm from the
/// accepted list and consistent with the key), `iss`, `aud` (and `azp`), `exp` and `iat`
/// with [`SKEW_SECONDS`] of skew at `now` (epoch seconds), and `nonce`.
/// [`IdTokenError::UnknownKey`] means the set may be stale.
pub fn verify_id_token(
    token: &str,
    keys: &JwkSet,
    expected: &Expected<'_>,
    now: i64,
) -> Result<IdClaims, IdTokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| IdTokenError::Rejected("malformed header"))?;
    if !ACCEPTED_ALGORITHMS.contains(&header.alg) {
        return Err(IdTokenError::Rejected("algorithm not accepted"));
    }
    let jwk = match header.kid.as_deref() {
        Some(kid) => keys.find(kid).ok_or(IdTokenError::UnknownKey)?,
        // Without a key id, only a provider with a single key is unambiguous.
        None => match keys.keys.as_slice() {
            [only] => only,
            _ => return Err(IdTokenError::Rejected("no key id")),
        },
    };
    if jwk.common.key_algorithm.is_some_and(|alg| alg != header.alg.into()) {
        return Err(IdTokenError::Rejected("algorithm differs from the key's"));
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| IdTokenError::Rejected("unusable key"))?;
    if key.family() != header.alg.family() {
        return Err(IdTokenError::Rejected("algorithm differs from the key's"));
    }
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    validation.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
    // Times are checked below against `now`, so tests can move the clock.
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        IdTokenError::Rejected(match e.kind() {
            ErrorKind::InvalidSignature => "bad signature",
            ErrorKind::InvalidIssuer => "wrong issuer",
            ErrorKind::InvalidAudience => "wrong audience",
            ErrorKind::MissingRequiredClaim(_) => "missing claim",
            _ => "invalid token",
        })
    })?;
    let times: TimeClaims =
        serde_json::from_value(data.claims.clone()).map_err(|_| IdTokenError::Rejected("missing exp or iat"))?;
    if times.exp + SKEW_SECONDS <= now {
        return Err(IdTokenError::Rejected("expired"));
    }
    if times.iat > now + SKEW_SECONDS || times.iat + MAX_ID_TOKEN_AGE_SECONDS + SKEW_SECONDS < now {
        return Err(IdTokenError::Rejected("issued at an unacceptable time"));
    }
    if times.azp.as_deref().is_some_and(|azp| azp != expected.client_id)
        || (times.aud.as_array().is_some_and(|all| all.len() > 1) && times.azp.is_none())
    {
        return Err(IdTokenError::Rejected("wrong authorized party"));
    }
    if times.nonce.as_deref() != Some(expected.nonce) {
        return Err(IdTokenError::Rejected("nonce mismatch"));
    }
    serde_json::from_value(data.claims).map_err(|_| IdTokenError::Rejected("invalid claims"))
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    /// Signed with a key id the set does not have.
    #[error("unknown signing key")]
    UnknownKey,
    #[error("{0}")]
    Rejected(&'static str),
}

/// A client's credentials at the provider.
pub struct ClientCredentials<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

#[derive(Clone)]
struct KeySet {
    keys: Arc<JwkSet>,
    fetched: Instant,
}

/// The relying party: built once per process.
#[derive(Clone)]
pub struct Oidc {
    outbound: Outbound,
    jwks_min_refresh: Duration,
    discovery: Cache<String, Arc<Discovery>>,
    keys: Cache<String, KeySet>,
}

impl Oidc {
    pub fn new(outbound: Outbound, jwks_min_refresh: Duration) -> Self {
        Self {
            outbound,
            jwks_min_refresh,
            discovery: Cache::builder().max_capacity(1000).time_to_live(CACHE_TTL).build(),
            keys: Cache::builder().max_capacity(1000).time_to_live(CACHE_TTL).build(),
        }
    }

    /// The provider's discovery document, checked: its `issuer` is exactly `issuer`.
    pub async fn discover(&self, issuer: &str) -> Result<Arc<Discovery>, OidcError> {
        if let Some(found) = self.discovery.get(issuer) {
            return Ok(found);
        }
        let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let document: Discovery = self.get_json(&url).await?;
        if document.issuer != issuer {
            return Err(OidcError::Invalid(format!(
                "its discovery document names the issuer {:?}, not {issuer:?}",
                document.issuer
            )));
        }
        for endpoint in [&document.authorization_endpoint, &document.token_endpoint, &document.jwks_uri] {
            self.check_url(endpoint)?;
        }
        let document = Arc::new(document);
        self.discovery.insert(issuer.to_string(), document.clone());
        Ok(document)
    }

    /// Exchanges an authorization code at the provider and verifies the ID token it
    /// returns.
    pub async fn exchange_code(
        &self,
        discovery: &Discovery,
        client: &ClientCredentials<'_>,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
        nonce: &str,
    ) -> Result<IdClaims, OidcError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", code_verifier),
        ];
        let mut request = self.outbound.http.post(&discovery.token_endpoint);
        if discovery.wants_secret_in_body() {
            form.extend([("client_id", client.client_id), ("client_secret", client.client_secret)]);
        } else {
            // RFC 6749 §2.3.1: form-encode both before Basic.
            let encode = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            request = request.basic_auth(encode(client.client_id), Some(encode(client.client_secret)));
        }
        let response = request.form(&form).send().await.map_err(|e| OidcError::Unreachable(e.to_string()))?;
        if !response.status().is_success() {
            return Err(OidcError::Unreachable(format!("the token endpoint answered {}", response.status())));
        }
        let answer: TokenAnswer = read_json(response).await?;
        let id_token = answer.id_token.ok_or_else(|| OidcError::Invalid("no id_token in the token answer".into()))?;
        let expected = Expected { issuer: &discovery.issuer, client_id: client.client_id, nonce };
        self.verify(discovery, &id_token, &expected, crate::time::now().timestamp()).await
    }

    /// Verifies an ID token with the provider's keys, refetching them once if the token
    /// names a key the cached set lacks.
    pub async fn verify(
        &self,
        discovery: &Discovery,
        token: &str,
        expected: &Expected<'_>,
        now: i64,
    ) -> Result<IdClaims, OidcError> {
        let cached = self.keys.get(&discovery.jwks_uri);
        let keys = match &cached {
            Some(set) => set.clone(),
            None => self.fetch_keys(&discovery.jwks_uri).await?,
        };
        match verify_id_token(token, &keys.keys, expected, now) {
            Err(IdTokenError::UnknownKey) if cached.is_some() && keys.fetched.elapsed() >= self.jwks_min_refresh => {
                let fresh = self.fetch_keys(&discovery.jwks_uri).await?;
                verify_id_token(token, &fresh.keys, expected, now).map_err(|e| OidcError::Rejected(reason(&e)))
            }
            other => other.map_err(|e| OidcError::Rejected(reason(&e))),
        }
    }

    async fn fetch_keys(&self, jwks_uri: &str) -> Result<KeySet, OidcError> {
        let keys: JwkSet = self.get_json(jwks_uri).await?;
        let set = KeySet { keys: Arc::new(keys), fetched: Instant::now() };
        self.keys.insert(jwks_uri.to_string(), set.clone());
        Ok(set)
    }

    /// Refuses issuer and endpoint URLs agentctl must not call ([`Outbound::check_url`]).
    pub fn check_url(&self, raw: &str) -> Result<url::Url, OidcError> {
        self.outbound.check_url(raw).map_err(|e| OidcError::RefusedUrl(e.0))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        self.check_url(url)?;
        let response = self
            .outbound
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| OidcError::Unreachable(with_causes(&e)))?;
        if !response.status().is_success() {
            return Err(OidcError::Unreachable(format!("{url} answered {}", response.status())));
        }
        read_json(response).await
    }
}

fn reason(e: &IdTokenError) -> &'static str {
    match e {
        IdTokenError::UnknownKey => "signed with an unknown key",
        IdTokenError::Rejected(reason) => reason,
    }
}

async fn read_json<T: serde::de::DeserializeOwned>(mut response: reqwest::Response) -> Result<T, OidcError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| OidcError::Unreachable(with_causes(&e)))? {
        if body.len() + chunk.len() > MAX_DOCUMENT {
            return Err(OidcError::Invalid(format!("the answer is larger than {MAX_DOCUMENT} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| OidcError::Invalid(format!("not the expected JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_verified_is_read_leniently() {
        let claims: IdClaims =
            serde_json::from_value(serde_json::json!({"iss": "i", "sub": "s", "email_verified": "True"})).unwrap();
        assert!(claims.email_verified);
        let claims: IdClaims = serde_json::from_value(serde_json::json!({"iss": "i", "sub": "s"})).unwrap();
        assert!(!claims.email_verified);
    }
}
