//! SCIM tokens: an organization's owners create them for their identity provider (shown
//! once, stored as SHA-256), list them and delete them; several may live at once so a
//! rotation never interrupts provisioning.

use serde_json::json;

use super::{ScimClient, ScimError, ScimResult};
use crate::AppState;
use crate::activity::EventType;
use crate::auth::{self, Caller};
use crate::error::{Error, Result};
use crate::ids::ScimTokenId;
use crate::repo;
use crate::roles::Permission;
use crate::validate::{self, Validator};

pub use crate::repo::scim::StoredToken;
pub use agentctl_wire::identity::{NewScimToken, ScimToken, ScimTokenRequest};

/// Prefix of SCIM tokens.
/// The most tokens an organization keeps at once.
const MAX_TOKENS: usize = 10;
/// How fresh a token's `last_used_at` is kept.
const LAST_USED_PRECISION: chrono::Duration = chrono::Duration::minutes(5);

impl StoredToken {
    fn view(&self) -> ScimToken {
        ScimToken { id: self.id, name: self.name.clone(), created_at: self.created_at, last_used_at: self.last_used_at }
    }
}

/// Where an organization's identity provider sends SCIM requests.
pub fn base_url(public_url: &str) -> String {
    format!("{public_url}/scim/v2")
}

/// A token is the key to every employee of the organization: owners only.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    request: ScimTokenRequest,
    public_url: &str,
) -> Result<NewScimToken> {
    caller.require(Permission::OwnersManage)?;
    let mut v = Validator::new();
    let name = v.check("name", request.name, validate::name(100));
    let name = v.finish(|| name)?;
    if repo::scim::tokens(&state.repo, caller.org_id).await?.len() >= MAX_TOKENS {
        return Err(Error::conflict(
            crate::error::ProblemCode::LimitReached,
            format!("an organization keeps at most {MAX_TOKENS} SCIM tokens; delete an old one"),
        ));
    }
    let token = auth::new_secret(auth::SCIM_TOKEN_PREFIX);
    let stored = StoredToken {
        id: ScimTokenId::new(),
        org_id: caller.org_id,
        name,
        created_at: crate::time::now(),
        last_used_at: None,
    };
    let mut tx = state.repo.transaction();
    repo::scim::create_token(&mut tx, &auth::digest(&token), &stored)?;
    let payload = json!({ "token_id": stored.id, "name": stored.name });
    crate::domain::log(state, &mut tx, caller.org_id, &caller.principal(), EventType::ScimTokenCreated, payload)?;
    crate::domain::notify::commit(state, tx).await?;
    Ok(NewScimToken { token, base_url: base_url(public_url), scim_token: stored.view() })
}

pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<ScimToken>> {
    caller.require(Permission::OwnersManage)?;
    Ok(repo::scim::tokens(&state.repo, caller.org_id).await?.into_iter().map(|(_, t)| t.view()).collect())
}

pub async fn delete(state: &AppState, caller: &Caller, id: ScimTokenId) -> Result<()> {
    caller.require(Permission::OwnersManage)?;
    let tokens = repo::scim::tokens(&state.repo, caller.org_id).await?;
    let (key, token) = tokens.into_iter().find(|(_, t)| t.id == id).ok_or(Error::NotFound("SCIM token"))?;
    let mut tx = state.repo.transaction();
    repo::scim::delete_token(&mut tx, &key);
    let payload = json!({ "token_id": token.id, "name": token.name });
    crate::domain::log(state, &mut tx, caller.org_id, &caller.principal(), EventType::ScimTokenDeleted, payload)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        repo::StoreError::ConditionFailed(_) => Error::NotFound("SCIM token"),
        e => e.into(),
    })
}

/// Who sends `authorization` (the raw header value) to the SCIM endpoints.
pub async fn authenticate(state: &AppState, authorization: Option<&str>) -> ScimResult<ScimClient> {
    let refused = || ScimError::new(401, None, "a valid SCIM token is required (Authorization: Bearer acx_...)");
    let token = auth::bearer(authorization)
        .filter(|t| t.starts_with(auth::SCIM_TOKEN_PREFIX) && t.len() <= 128)
        .ok_or_else(refused)?;
    let hash = auth::digest(token);
    let stored = repo::scim::token(&state.repo, &hash).await?.ok_or_else(refused)?;
    let now = crate::time::now();
    if stored.last_used_at.is_none_or(|used| used <= now - LAST_USED_PRECISION)
        && let Err(e) = repo::scim::touch_token(&state.repo, &hash, &now, LAST_USED_PRECISION).await
    {
        tracing::warn!(error = %e, "the SCIM token's last use was not recorded");
    }
    Ok(ScimClient { org_id: stored.org_id, token_id: stored.id })
}
