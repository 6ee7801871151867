//! Role items: PK `ROLE`, SK `ROLE#<name>`.

use super::Guard;
use crate::Name;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Expr, QuerySpec, Repository, StoreError, from_item, n, to_item, with_key};
use crate::ids::RoleId;
use crate::keys;
use crate::time::Timestamp;
use agentctl_wire::roles::{Permission, Role, RoleName};

/// The stored form: permission names stay strings so that a name this version does not
/// know (written by a newer one) is skipped instead of failing the whole role.
#[derive(Serialize, Deserialize)]
struct RoleRecord {
    id: RoleId,
    name: RoleName,
    description: String,
    permissions: Vec<String>,
    defaults_version: u32,
    created_at: Timestamp,
}

/// A role as stored, with the version of the defaults that wrote it.
pub struct StoredRole {
    pub role: Role,
    pub defaults_version: u32,
}

pub async fn list(repo: &Repository) -> Result<Vec<StoredRole>, StoreError> {
    let items = repo.query_all(QuerySpec::table(keys::ROLE_PK.into(), keys::ROLE_PREFIX)).await?;
    items
        .into_iter()
        .map(|item| {
            let r: RoleRecord = from_item(item)?;
            let permissions: BTreeSet<Permission> = r.permissions.iter().filter_map(|p| p.parse().ok()).collect();
            let role =
                Role { id: r.id, name: r.name, description: r.description, permissions, created_at: r.created_at };
            Ok(StoredRole { role, defaults_version: r.defaults_version })
        })
        .collect()
}

/// Writes the role unless the stored one is at least `version`. Returns false when a
/// newer (or concurrent) writer got there first.
pub async fn put_default(repo: &Repository, role: &Role, version: u32) -> Result<bool, StoreError> {
    let record = RoleRecord {
        id: role.id,
        name: role.name,
        description: role.description.clone(),
        permissions: role.permissions.iter().map(|p| p.as_str().to_string()).collect(),
        defaults_version: version,
        created_at: role.created_at,
    };
    let item = with_key(to_item(&record)?, &keys::role(role.name.as_str()), "role");
    let condition = Expr::new("attribute_not_exists(PK) OR defaults_version < :v").value(":v", n(version));
    let mut tx = repo.transaction();
    tx.put_if(item, condition, Guard::RoleVersion);
    match repo.transact(tx).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed(_)) => Ok(false),
        Err(e) => Err(e),
    }
}
