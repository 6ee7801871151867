//! Price tables: the version in force `ORG#o` / `PRICES#CURRENT`, and every saved version
//! `ORG#o#PRICES` / `V#<version>` (kept: usage records name the version that priced them).

use serde::{Deserialize, Serialize};

use super::{Expr, Guard, Repository, StoreError, Transaction, n, to_item, with_key};
use crate::ids::OrgId;
use crate::keys;
use agentctl_wire::prices::PriceTable;

#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    table: PriceTable,
}

/// The organization's own table in force (`None`: it never saved one).
pub async fn current(repo: &Repository, org: OrgId) -> Result<Option<PriceTable>, StoreError> {
    Ok(repo.get_as::<Stored>(&keys::price_table(org)).await?.map(|s| s.table))
}

/// A saved version.
pub async fn version(repo: &Repository, org: OrgId, version: u32) -> Result<Option<PriceTable>, StoreError> {
    Ok(repo.get_as::<Stored>(&keys::price_table_version(org, version)).await?.map(|s| s.table))
}

/// Saves `table` as the new version in force, if the one in force is still
/// `replaces` (else [`Guard::PriceTableMoved`]).
pub fn save(tx: &mut Transaction, org: OrgId, table: &PriceTable, replaces: u32) -> Result<(), StoreError> {
    let stored = || to_item(&Stored { table: table.clone() });
    let version = with_key(stored()?, &keys::price_table_version(org, table.version), "price_table_version");
    tx.put_new(version, Guard::PriceTableMoved);
    let condition = if replaces == 0 {
        Expr::new("attribute_not_exists(PK)")
    } else {
        Expr::new("version = :replaces").value(":replaces", n(replaces))
    };
    tx.put_if(with_key(stored()?, &keys::price_table(org), "price_table"), condition, Guard::PriceTableMoved);
    Ok(())
}
