//! The five global roles. Their permissions are data (role items in the table); the
//! defaults below are compiled in and versioned: a process reads the stored roles and
//! answers this version's defaults for any stored by an older one, so a deployment that
//! changes them takes effect without a write at cold start;
//! [`crate::domain::roles::ensure_defaults`] writes them when an organization is created.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::RwLock;

use crate::repo::roles::StoredRole;
use crate::repo::{Repository, StoreError};
use crate::time::Timestamp;

pub use agentctl_wire::roles::{Permission, Role, RoleName};
use strum::VariantArray;

/// Bump when the default permissions change, so deployed tables get them.
pub const DEFAULTS_VERSION: u32 = 5;

/// How long a process trusts its copy of the role table.
const CACHE_TTL: Duration = Duration::from_secs(300);

/// Default permissions of a role.
pub fn default_permissions(role: RoleName) -> BTreeSet<Permission> {
    use Permission::*;
    let read = [OrgRead, TeamsRead, RolesRead, CatalogRead, RequestsSubmit];
    match role {
        RoleName::Owner => Permission::VARIANTS.iter().copied().collect(),
        RoleName::Admin => Permission::VARIANTS.iter().copied().filter(|p| *p != OwnersManage).collect(),
        RoleName::Billing => read
            .into_iter()
            .chain([SubscriptionRead, SubscriptionWrite, EmployeesRead, UsageRead, RequestsDecide])
            .collect(),
        RoleName::Manager => read.into_iter().chain([EmployeesRead, PoliciesRead, UsageRead, RequestsDecide]).collect(),
        RoleName::Member => read.into_iter().collect(),
    }
}

/// A role with this version's default permissions (`created_at` as first stored, else now).
fn default_role(name: RoleName, created_at: Option<Timestamp>) -> Role {
    Role {
        id: name.id(),
        name,
        description: name.description().to_string(),
        permissions: default_permissions(name),
        created_at: created_at.unwrap_or_else(crate::time::now),
    }
}

/// Each role in effect, and whether it is this version's defaults standing in for what
/// an older version (or none) stored: as stored when the current defaults (or newer ones)
/// wrote it.
pub fn in_effect(stored: Vec<StoredRole>) -> Vec<(Role, bool)> {
    let mut stored: HashMap<RoleName, StoredRole> = stored.into_iter().map(|s| (s.role.name, s)).collect();
    RoleName::VARIANTS
        .iter()
        .map(|&name| match stored.remove(&name) {
            Some(found) if found.defaults_version >= DEFAULTS_VERSION => (found.role, false),
            found => (default_role(name, found.map(|s| s.role.created_at)), true),
        })
        .collect()
}

/// A process-local copy of the role table, refreshed every few minutes. Roles are
/// global, five items, and change only when the defaults are upgraded.
#[derive(Clone, Default)]
pub struct RoleCache {
    inner: Arc<RwLock<Option<RoleSnapshot>>>,
}

/// When the roles were loaded, and what they were.
type RoleSnapshot = (Instant, Arc<HashMap<RoleName, Role>>);

impl RoleCache {
    pub async fn get(&self, repo: &Repository) -> Result<Arc<HashMap<RoleName, Role>>, StoreError> {
        if let Some((loaded, roles)) = self.inner.read().await.as_ref()
            && loaded.elapsed() < CACHE_TTL
        {
            return Ok(roles.clone());
        }
        let roles = in_effect(crate::repo::roles::list(repo).await?);
        let roles: Arc<HashMap<RoleName, Role>> = Arc::new(roles.into_iter().map(|(r, _)| (r.name, r)).collect());
        *self.inner.write().await = Some((Instant::now(), roles.clone()));
        Ok(roles)
    }

    /// Forgets the copy (after this process changed the role table).
    pub async fn invalidate(&self) {
        *self.inner.write().await = None;
    }

    pub async fn permissions(&self, repo: &Repository, role: RoleName) -> Result<BTreeSet<Permission>, StoreError> {
        Ok(self.get(repo).await?.get(&role).map(|r| r.permissions.clone()).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Name;

    #[test]
    fn owner_has_every_permission_and_admin_all_but_owners() {
        assert_eq!(default_permissions(RoleName::Owner).len(), Permission::VARIANTS.len());
        let admin = default_permissions(RoleName::Admin);
        assert!(!admin.contains(&Permission::OwnersManage));
        assert_eq!(admin.len(), Permission::VARIANTS.len() - 1);
    }

    #[test]
    fn permission_names_round_trip() {
        for &p in Permission::VARIANTS {
            assert_eq!(p.as_str().parse::<Permission>().ok(), Some(p));
        }
        assert!("future:thing".parse::<Permission>().is_err());
    }

    #[test]
    fn role_names_parse() {
        assert_eq!("billing".parse::<RoleName>(), Ok(RoleName::Billing));
        assert!("root".parse::<RoleName>().is_err());
    }
}
