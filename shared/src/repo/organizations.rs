//! Organization items: PK `ORG#o`, SK `ORG`; listed on GSI1 `ORGS`; slug guard `SLUG#slug`.

use super::Guard;
use super::{Expr, Item, QuerySpec, Repository, StoreError, Transaction, from_item, n, s, to_item, with_key};
use crate::Name;
use crate::ids::OrgId;
use crate::keys;
use crate::pagination::{Page, PageRequest};
use agentctl_wire::organizations::Organization;

fn item(org: &Organization) -> Result<Item, StoreError> {
    let mut item = with_key(to_item(org)?, &keys::organization(org.id), "organization");
    item.insert(keys::GSI1PK.into(), s(keys::ORG_LIST_PK));
    item.insert(keys::GSI1SK.into(), s(keys::org_list_sk(org.id)));
    Ok(item)
}

/// Adds the organization and its slug guard.
pub fn create(tx: &mut Transaction, org: &Organization) -> Result<(), StoreError> {
    tx.put_new(item(org)?, Guard::Org);
    let guard = with_key(Item::from([("org_id".into(), s(org.id.to_string()))]), &keys::slug_guard(&org.slug), "slug");
    tx.put_new(guard, Guard::Slug);
    Ok(())
}

pub async fn get(repo: &Repository, org: OrgId) -> Result<Option<Organization>, StoreError> {
    repo.get_as(&keys::organization(org)).await
}

/// How many of the organization's employees are SCIM Users (all but those SCIM deleted).
pub async fn scim_user_count(repo: &Repository, org: OrgId) -> Result<u32, StoreError> {
    #[derive(serde::Deserialize)]
    struct Counters {
        #[serde(default)]
        employee_total: u32,
        #[serde(default)]
        scim_deleted_count: u32,
    }
    let counters = repo.get_as::<Counters>(&keys::organization(org)).await?;
    Ok(counters.map_or(0, |c| c.employee_total.saturating_sub(c.scim_deleted_count)))
}

/// The organization a slug names, if any (its slug guard).
pub async fn id_by_slug(repo: &Repository, slug: &str) -> Result<Option<OrgId>, StoreError> {
    #[derive(serde::Deserialize)]
    struct SlugOwner {
        org_id: OrgId,
    }
    Ok(repo.get_as::<SlugOwner>(&keys::slug_guard(slug)).await?.map(|owner| owner.org_id))
}

pub async fn list(repo: &Repository, page: &PageRequest) -> Result<Page<Organization>, StoreError> {
    let page = repo.query(QuerySpec::gsi1(keys::ORG_LIST_PK.into(), keys::ORG_LIST_PREFIX), page).await?;
    page.try_map(from_item)
}

/// Sets fields of an existing organization. `max_employees`, when set, may not go
/// below the current employee count.
/// What an update of an organization changes (`None`: left as it is).
#[derive(Default)]
pub struct OrganizationChanges {
    pub name: Option<String>,
    pub settings: Option<serde_json::Value>,
    pub plan: Option<agentctl_wire::subscriptions::Plan>,
    /// Refused ([`Guard::LimitBelowCount`]) below the seats held.
    pub max_employees: Option<u32>,
    pub max_agents_per_employee: Option<u32>,
    pub sessions: Option<agentctl_wire::organizations::SessionLifetimes>,
    pub budget_action: Option<agentctl_wire::organizations::BudgetAction>,
    pub telemetry: Option<agentctl_wire::organizations::Telemetry>,
}

impl OrganizationChanges {
    /// The organization's fields this changes, by their API names.
    pub fn changed(&self) -> Vec<&'static str> {
        super::changed_fields([
            ("name", self.name.is_some()),
            ("settings", self.settings.is_some()),
            ("plan", self.plan.is_some()),
            ("max_employees", self.max_employees.is_some()),
            ("max_agents_per_employee", self.max_agents_per_employee.is_some()),
            ("sessions", self.sessions.is_some()),
            ("budget_action", self.budget_action.is_some()),
            ("telemetry", self.telemetry.is_some()),
        ])
    }
}

/// Writes the changes, stamped `updated_at`.
pub fn update(
    tx: &mut Transaction,
    org: OrgId,
    changes: &OrganizationChanges,
    updated_at: &crate::time::Timestamp,
) -> Result<(), StoreError> {
    let mut fields = Vec::new();
    if let Some(name) = &changes.name {
        fields.push(("name", s(name)));
    }
    if let Some(settings) = &changes.settings {
        fields.push(("settings", super::to_attr(settings)?));
    }
    if let Some(plan) = changes.plan {
        fields.push(("plan", s(plan.as_str())));
    }
    if let Some(sessions) = &changes.sessions {
        fields.push(("sessions", super::to_attr(sessions)?));
    }
    if let Some(action) = changes.budget_action {
        fields.push(("budget_action", s(action.as_str())));
    }
    if let Some(telemetry) = changes.telemetry {
        fields.push(("telemetry", s(telemetry.as_str())));
    }
    if let Some(max) = changes.max_employees {
        fields.push(("max_employees", n(max)));
    }
    if let Some(max) = changes.max_agents_per_employee {
        fields.push(("max_agents_per_employee", n(max)));
    }
    fields.push(("updated_at", super::ts(updated_at)));
    let mut condition = Expr::new("attribute_exists(PK)");
    if let Some(max) = changes.max_employees {
        condition = Expr::new("attribute_exists(PK) AND employee_count <= :max").value(":max", n(max));
    }
    let tag = if changes.max_employees.is_some() { Guard::LimitBelowCount } else { Guard::Org };
    tx.update(&keys::organization(org), Expr::set(fields), Some(condition), tag);
    Ok(())
}

/// A change of an organization's employee counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Headcount {
    /// Employees holding a seat (all but deactivated ones): `employee_count`.
    pub seats: i32,
    /// Employees in any status: `employee_total`.
    pub employees: i32,
    /// Employees SCIM deleted: `scim_deleted_count`.
    pub scim_deleted: i32,
}

/// Changes the employee counters in one update. Taking a seat fails with
/// [`Guard::Capacity`] when the organization is full.
pub fn adjust_headcount(tx: &mut Transaction, org: OrgId, change: Headcount) {
    let update = Expr::new("ADD employee_count :s, employee_total :e, scim_deleted_count :d")
        .value(":s", n(change.seats))
        .value(":e", n(change.employees))
        .value(":d", n(change.scim_deleted));
    let condition = if change.seats > 0 {
        Expr::new("attribute_exists(PK) AND employee_count < max_employees")
    } else {
        Expr::new("attribute_exists(PK)")
    };
    tx.update(&keys::organization(org), update, Some(condition), Guard::Capacity);
}
