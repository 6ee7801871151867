//! Employee items: PK `ORG#o`, SK `EMP#e`; GSI1 `ORG#o#TEAM#t` / `EMP#e` while in a team
//! (sparse); email guard `ORG#o` / `EMAIL#<lowercase email>`, unique per organization.

use super::Guard;
use crate::Name;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{Expr, Item, QuerySpec, Repository, StoreError, Transaction, from_item, n, s, to_item, ts, with_key};
use crate::ids::{EmployeeId, OrgId, TeamId};
use crate::keys;
use crate::pagination::{Page, PageRequest};
use agentctl_wire::employees::{Employee, EmployeeStatus};

fn item(employee: &Employee) -> Result<Item, StoreError> {
    let mut item = with_key(to_item(employee)?, &keys::employee(employee.org_id, employee.id), "employee");
    if let Some(team) = employee.team_id {
        item.insert(keys::GSI1PK.into(), s(keys::team_members_pk(employee.org_id, team)));
        item.insert(keys::GSI1SK.into(), s(keys::team_members_sk(employee.id)));
    }
    Ok(item)
}

fn email_guard(employee: &Employee, email: &str) -> Item {
    let owner = Item::from([
        ("org_id".into(), s(employee.org_id.to_string())),
        ("employee_id".into(), s(employee.id.to_string())),
    ]);
    with_key(owner, &keys::email_guard(employee.org_id, email), "email")
}

/// Adds the employee and its email guard (seat and team counters are the caller's).
pub fn create(tx: &mut Transaction, employee: &Employee) -> Result<(), StoreError> {
    tx.put_new(item(employee)?, Guard::EmployeeStale);
    tx.put_new(email_guard(employee, &employee.email), Guard::Email);
    claim_user_name(tx, employee, &employee.email);
    Ok(())
}

/// An email is the SCIM `userName` of an employee SCIM never named otherwise: it must
/// not be another User's `userName` ([`Guard::ScimUserName`]).
fn claim_user_name(tx: &mut Transaction, employee: &Employee, email: &str) {
    let key = keys::scim_user_name_guard(employee.org_id, &email.to_lowercase());
    tx.check_free(&key, held_by(employee.id), Guard::ScimUserName);
}

/// A condition: the guard item belongs to this employee.
pub(super) fn held_by(employee: EmployeeId) -> Expr {
    Expr::new("employee_id = :holder").value(":holder", s(employee.to_string()))
}

pub async fn get(repo: &Repository, org: OrgId, employee: EmployeeId) -> Result<Option<Employee>, StoreError> {
    repo.get_as(&keys::employee(org, employee)).await
}

/// The employee of the organization with this email (lowercase), by its email guard.
pub async fn id_by_email(
    repo: &Repository,
    org: OrgId,
    lowercase_email: &str,
) -> Result<Option<EmployeeId>, StoreError> {
    #[derive(serde::Deserialize)]
    struct EmailOwner {
        employee_id: EmployeeId,
    }
    Ok(repo.get_as::<EmailOwner>(&keys::email_guard(org, lowercase_email)).await?.map(|o| o.employee_id))
}

/// The employees of the organization with these ids that exist (one BatchGetItem).
pub async fn get_many(repo: &Repository, org: OrgId, ids: &[EmployeeId]) -> Result<Vec<Employee>, StoreError> {
    let keys: Vec<keys::Key> = ids.iter().map(|id| keys::employee(org, *id)).collect();
    repo.batch_get(&keys).await?.into_iter().map(from_item).collect()
}

/// A page of the employees that are SCIM Users (all but those SCIM deleted), oldest
/// first (employee ids grow with time). The page may hold fewer than asked even when
/// more follow (the filter applies after the read).
pub async fn scim_users(repo: &Repository, org: OrgId, page: &PageRequest) -> Result<Page<Employee>, StoreError> {
    let not_deleted =
        Expr::new("attribute_not_exists(scim_deleted) OR scim_deleted = :no").value(":no", AttributeValue::Bool(false));
    let spec = QuerySpec::table(keys::org_pk(org), keys::EMPLOYEE_PREFIX).filter(Some(not_deleted));
    repo.query(spec, page).await?.try_map(from_item)
}

/// Optional list filters, applied after the key condition.
#[derive(Default)]
pub struct ListFilter {
    pub status: Option<EmployeeStatus>,
    pub role: Option<agentctl_wire::roles::RoleName>,
}

impl ListFilter {
    fn expr(&self) -> Option<Expr> {
        let mut clauses = Vec::new();
        let mut expr = Expr::default();
        if let Some(status) = self.status {
            clauses.push("#status = :status");
            expr = expr.name("#status", "status").value(":status", s(status.as_str()));
        }
        if let Some(role) = self.role {
            clauses.push("#role = :role");
            expr = expr.name("#role", "role").value(":role", s(role.as_str()));
        }
        if clauses.is_empty() {
            return None;
        }
        expr.text = clauses.join(" AND ");
        Some(expr)
    }
}

pub async fn list(
    repo: &Repository,
    org: OrgId,
    team: Option<TeamId>,
    filter: &ListFilter,
    page: &PageRequest,
) -> Result<Page<Employee>, StoreError> {
    let spec = match team {
        Some(team) => QuerySpec::gsi1(keys::team_members_pk(org, team), keys::EMPLOYEE_PREFIX),
        None => QuerySpec::table(keys::org_pk(org), keys::EMPLOYEE_PREFIX),
    };
    repo.query(spec.filter(filter.expr()), page).await?.try_map(from_item)
}

/// Every employee of an organization, or of one of its teams (SCIM lists them whole).
pub async fn all(repo: &Repository, org: OrgId, team: Option<TeamId>) -> Result<Vec<Employee>, StoreError> {
    let spec = match team {
        Some(team) => QuerySpec::gsi1(keys::team_members_pk(org, team), keys::EMPLOYEE_PREFIX),
        None => QuerySpec::table(keys::org_pk(org), keys::EMPLOYEE_PREFIX),
    };
    repo.query_all(spec).await?.into_iter().map(from_item).collect()
}

/// The organization's active owners (a filtered read of its employees).
pub async fn active_owners(repo: &Repository, org: OrgId) -> Result<Vec<Employee>, StoreError> {
    let filter = ListFilter { status: Some(EmployeeStatus::Active), role: Some(agentctl_wire::roles::RoleName::Owner) };
    let spec = QuerySpec::table(keys::org_pk(org), keys::EMPLOYEE_PREFIX).filter(filter.expr());
    repo.query_all(spec).await?.into_iter().map(from_item).collect()
}

/// Adds to `tx` that the employee is still as read ([`Guard::OwnerRemains`]).
pub fn check_unchanged(tx: &mut Transaction, employee: &Employee) {
    tx.check(&keys::employee(employee.org_id, employee.id), unchanged(employee), Guard::OwnerRemains);
}

/// The optimistic-concurrency condition: the item is as it was read.
fn unchanged(employee: &Employee) -> Expr {
    Expr::new("updated_at = :read_at").value(":read_at", ts(&employee.updated_at))
}

/// What an update of an employee changes (`None`: left as it is).
#[derive(Default)]
pub struct EmployeeChanges {
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub role: Option<agentctl_wire::roles::RoleName>,
    pub status: Option<EmployeeStatus>,
    /// Sessions created until then are refused (suspension, deactivation).
    pub sessions_revoked_at: Option<crate::time::Timestamp>,
    /// `Some(None)`: out of their team.
    pub team: Option<Option<TeamId>>,
    pub preferences: Option<serde_json::Value>,
    /// A sign-in (not a change of the employee's own fields).
    pub last_login_at: Option<crate::time::Timestamp>,
    /// Deleted by SCIM, or provisioned again.
    pub scim_deleted: Option<bool>,
}

impl EmployeeChanges {
    /// The employee's fields this changes, by their API names.
    pub fn changed(&self) -> Vec<&'static str> {
        super::changed_fields([
            ("email", self.email.is_some()),
            ("full_name", self.full_name.is_some()),
            ("role", self.role.is_some()),
            ("status", self.status.is_some()),
            ("team_id", self.team.is_some()),
            ("preferences", self.preferences.is_some()),
            ("scim_deleted", self.scim_deleted.is_some()),
        ])
    }
}

/// Writes the changes of an employee read earlier, stamped `updated_at`; fails with
/// [`Guard::EmployeeStale`] if it changed meanwhile. A team change moves the employee's GSI1 entry.
pub fn update(
    tx: &mut Transaction,
    before: &Employee,
    changes: &EmployeeChanges,
    updated_at: &crate::time::Timestamp,
) -> Result<(), StoreError> {
    let mut fields = Vec::new();
    if let Some(email) = &changes.email {
        fields.push(("email", s(email)));
    }
    if let Some(full_name) = &changes.full_name {
        fields.push(("full_name", s(full_name)));
    }
    if let Some(role) = changes.role {
        fields.push(("role", s(role.as_str())));
        fields.push(("role_id", s(role.id().to_string())));
    }
    if let Some(status) = changes.status {
        fields.push(("status", s(status.as_str())));
    }
    if let Some(at) = &changes.sessions_revoked_at {
        fields.push(("sessions_revoked_at", ts(at)));
    }
    if let Some(team) = changes.team {
        fields.push(("team_id", team.map_or(AttributeValue::Null(true), |t| s(t.to_string()))));
    }
    if let Some(preferences) = &changes.preferences {
        fields.push(("preferences", super::to_attr(preferences)?));
    }
    if let Some(at) = &changes.last_login_at {
        fields.push(("last_login_at", ts(at)));
    }
    if let Some(deleted) = changes.scim_deleted {
        fields.push(("scim_deleted", AttributeValue::Bool(deleted)));
    }
    fields.push(("updated_at", ts(updated_at)));
    let mut update = Expr::set(fields);
    match changes.team {
        Some(Some(team)) => {
            update = update
                .then(", #g1pk = :g1pk, #g1sk = :g1sk")
                .name("#g1pk", keys::GSI1PK)
                .name("#g1sk", keys::GSI1SK)
                .value(":g1pk", s(keys::team_members_pk(before.org_id, team)))
                .value(":g1sk", s(keys::team_members_sk(before.id)));
        }
        Some(None) => {
            update = update.then("REMOVE #g1pk, #g1sk").name("#g1pk", keys::GSI1PK).name("#g1sk", keys::GSI1SK);
        }
        None => {}
    }
    let mut condition = unchanged(before);
    if changes.team.is_some() {
        // The agent configurations moved to the new team are the ones read.
        condition = condition
            .and_key(&same_count("agent_config_count", ":agents", before.agent_config_count))
            .value(":agents", n(before.agent_config_count))
            .and_key(&same_count("agent_config_total", ":total", before.agent_config_total))
            .value(":total", n(before.agent_config_total));
    }
    tx.update(&keys::employee(before.org_id, before.id), update, Some(condition), Guard::EmployeeStale);
    Ok(())
}

/// A condition: the counter `attribute` is still `count` (`placeholder`).
fn same_count(attribute: &str, placeholder: &str, count: u32) -> String {
    if count == 0 {
        format!("(attribute_not_exists({attribute}) OR {attribute} = {placeholder})")
    } else {
        format!("{attribute} = {placeholder}")
    }
}

/// Moves the email guard from the old address to the new one.
pub fn change_email(tx: &mut Transaction, before: &Employee, new_email: &str) {
    tx.delete(&keys::email_guard(before.org_id, &before.email), None, Guard::Email);
    tx.put_new(email_guard(before, new_email), Guard::Email);
    claim_user_name(tx, before, new_email);
}

/// Deletes an employee read earlier (unchanged since) and frees its email.
pub fn delete(tx: &mut Transaction, before: &Employee) {
    tx.delete(&keys::employee(before.org_id, before.id), Some(unchanged(before)), Guard::EmployeeStale);
    tx.delete(&keys::email_guard(before.org_id, &before.email), None, Guard::Email);
}
