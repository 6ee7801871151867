//! The global roles: listed by anyone signed in, seeded from the built-in defaults.

use crate::AppState;
use crate::auth::Caller;
use crate::error::Result;
use crate::repo;
use crate::roles::{DEFAULTS_VERSION, Permission, Role, RoleName};
use strum::VariantArray;

/// Writes the five roles with their default permissions where the table lacks them or
/// holds an older version of the defaults (when an organization is created: processes
/// answer the current defaults meanwhile, [`crate::roles::in_effect`]). Idempotent and safe
/// to race.
pub async fn ensure_defaults(state: &AppState) -> Result<()> {
    let stored = repo::roles::list(&state.repo).await?;
    let outdated: Vec<Role> =
        crate::roles::in_effect(stored).into_iter().filter_map(|(role, default)| default.then_some(role)).collect();
    for role in &outdated {
        repo::roles::put_default(&state.repo, role, DEFAULTS_VERSION).await?;
    }
    if !outdated.is_empty() {
        state.roles.invalidate().await;
    }
    Ok(())
}

pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<Role>> {
    caller.require(Permission::RolesRead)?;
    let roles = state.roles.get(&state.repo).await?;
    Ok(RoleName::VARIANTS.iter().filter_map(|name| roles.get(name).cloned()).collect())
}
