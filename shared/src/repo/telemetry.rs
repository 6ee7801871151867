//! Telemetry storage.
//!
//! - token `TELTOKEN#<sha256 of the token>` / `TELTOKEN`: whose it is, until when (TTL).
//! - a session's tokens `TELSESSION#<session id>` / `TELTOKENS`: the hashes of the tokens
//!   issued within it (`token_hashes`, a string set), deleted when the session ends.
//! - cumulative series `ORG#o#OTELSERIES#<series hash>` / `SERIES`: the running total
//!   counted so far (`counted`), so each point adds only what is new.

use chrono::Duration;

use serde::{Deserialize, Serialize};

use aws_sdk_dynamodb::types::AttributeValue;

use super::{Expr, Guard, Repository, StoreError, Transaction, n, to_item, with_key};
use crate::ids::{EmployeeId, OrgId, SessionId};
use crate::keys;
use crate::time::Timestamp;

/// A series idle this long is forgotten (a tool restarts its series with each process).
const SERIES_TTL_DAYS: i64 = 35;

/// The running total counted so far (0 for a new series).
pub async fn counted(repo: &Repository, org: OrgId, series: &str) -> Result<u64, StoreError> {
    let item = repo.get(&keys::telemetry_series(org, series)).await?;
    let total = item.as_ref().and_then(|i| i.get("counted")).and_then(|v| v.as_n().ok()).and_then(|t| t.parse().ok());
    Ok(total.unwrap_or(0))
}

/// Moves the series from `from` (what was read) to `to`, or fails with
/// [`Guard::TelemetrySeriesMoved`] if another point moved it meanwhile.
pub fn advance(tx: &mut Transaction, org: OrgId, series: &str, (from, to): (u64, u64), now: &Timestamp) {
    let expires = (*now + Duration::days(SERIES_TTL_DAYS)).timestamp();
    let update = Expr::set(vec![("counted", n(to)), (keys::TTL, n(expires))]);
    let condition = if from == 0 {
        Expr::new("attribute_not_exists(counted) OR counted = :from")
    } else {
        Expr::new("counted = :from")
    }
    .value(":from", n(from));
    tx.update(&keys::telemetry_series(org, series), update, Some(condition), Guard::TelemetrySeriesMoved);
}

/// A telemetry token as stored (never the token itself).
#[derive(Debug, Serialize, Deserialize)]
pub struct StoredToken {
    pub org_id: OrgId,
    pub employee_id: EmployeeId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Stores a new token and adds it to the tokens of the session it was issued in.
pub fn put_token(
    tx: &mut Transaction,
    token_hash: &str,
    token: &StoredToken,
    session: SessionId,
) -> Result<(), StoreError> {
    let expires = n(token.expires_at.timestamp());
    let mut item = with_key(to_item(token)?, &keys::telemetry_token(token_hash), "telemetry_token");
    item.insert(keys::TTL.into(), expires.clone());
    tx.put_new(item, Guard::TelemetryToken);
    // The newest token expires last: the list lives as long as any of its tokens.
    let update = Expr::set(vec![(keys::TTL, expires)])
        .then("ADD token_hashes :hash")
        .value(":hash", AttributeValue::Ss(vec![token_hash.to_string()]));
    tx.update(&keys::session_telemetry_tokens(session), update, None, Guard::TelemetryToken);
    Ok(())
}

/// The hashes of the tokens issued within a session (expired ones included).
pub async fn session_tokens(repo: &Repository, session: SessionId) -> Result<Vec<String>, StoreError> {
    let item = repo.get(&keys::session_telemetry_tokens(session)).await?;
    Ok(item.as_ref().and_then(|i| i.get("token_hashes")).and_then(|v| v.as_ss().ok()).cloned().unwrap_or_default())
}

/// Deletes tokens by hash (gone already: nothing to do).
pub fn delete_tokens(tx: &mut Transaction, token_hashes: &[String]) {
    for hash in token_hashes {
        tx.delete(&keys::telemetry_token(hash), None, Guard::TelemetryToken);
    }
}

/// Deletes the list of a session's tokens.
pub fn delete_session_tokens(tx: &mut Transaction, session: SessionId) {
    tx.delete(&keys::session_telemetry_tokens(session), None, Guard::TelemetryToken);
}

pub async fn token(repo: &Repository, token_hash: &str) -> Result<Option<StoredToken>, StoreError> {
    repo.get_as(&keys::telemetry_token(token_hash)).await
}
