//! Telemetry storage.
//!
//! - token `TELTOKEN#<sha256 of the token>` / `TELTOKEN`: whose it is, until when (TTL).
//! - cumulative series `ORG#o#OTELSERIES#<series hash>` / `SERIES`: the running total
//!   counted so far (`counted`), so each point adds only what is new.

use chrono::Duration;

use serde::{Deserialize, Serialize};

use super::{Expr, Guard, Repository, StoreError, Transaction, n, to_item, with_key};
use crate::ids::EmployeeId;
use crate::ids::OrgId;
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

pub fn put_token(tx: &mut Transaction, token_hash: &str, token: &StoredToken) -> Result<(), StoreError> {
    let mut item = with_key(to_item(token)?, &keys::telemetry_token(token_hash), "telemetry_token");
    item.insert(keys::TTL.into(), n(token.expires_at.timestamp()));
    tx.put_new(item, Guard::TelemetryToken);
    Ok(())
}

pub async fn token(repo: &Repository, token_hash: &str) -> Result<Option<StoredToken>, StoreError> {
    repo.get_as(&keys::telemetry_token(token_hash)).await
}
