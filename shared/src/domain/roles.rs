//! The global roles: listed by anyone signed in, seeded from the built-in defaults.

use crate::AppState;
use crate::auth::Caller;
use crate::error::Result;
use crate::repo;
use crate::roles::{DEFAULTS_VERSION, Permission, Role, RoleName};
use strum::VariantArray;

/// Writes the five roles with their default permissions where the table lacks them or
/// holds an older version of the defaults. Idempotent and safe to race.
pub async fn ensure_defaults(state: &AppState) -> Result<()> {
    let stored = state.roles.get(&state.repo).await?;
    if stored.len() == RoleName::VARIANTS.len()
        && stored.values().all(|r| r.permissions == crate::roles::default_permissions(r.name))
    {
        return Ok(());
    }
    let now = crate::time::now();
    for &name in RoleName::VARIANTS {
        let role = Role {
            id: name.id(),
            name,
            description: name.description().to_string(),
            permissions: crate::roles::default_permissions(name),
            created_at: stored.get(&name).map_or(now, |r| r.created_at),
        };
        repo::roles::put_default(&state.repo, &role, DEFAULTS_VERSION).await?;
    }
    state.roles.invalidate().await;
    Ok(())
}

pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<Role>> {
    caller.require(Permission::RolesRead)?;
    let roles = state.roles.get(&state.repo).await?;
    Ok(RoleName::VARIANTS.iter().filter_map(|name| roles.get(name).cloned()).collect())
}
