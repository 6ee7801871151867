//! Organizations (tenants). Created by the platform operator together with their
//! subscription and first owner; afterwards their admins manage name and settings.

use serde_json::{Value, json};

use crate::AppState;
use crate::activity::EventType;
use crate::auth::{Caller, Principal};
use crate::domain::employees::{self};
use crate::domain::requests;
use crate::domain::sessions::{self};
use crate::domain::subscriptions::{self};
use crate::error::{Error, ProblemCode, Result};
use crate::ids::OrgId;
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo::{self, StoreError};
use crate::roles::{Permission, RoleName};
use crate::validate::{self, Validator};

pub use agentctl_wire::organizations::{
    BudgetAction, CreatedOrganization, NewOrganization, NewOwner, Organization, OrganizationPatch,
    PlatformOrganizationPatch, SessionLifetimes, Telemetry,
};
pub use agentctl_wire::subscriptions::Plan;

/// Upper bound of `max_employees` (what one table partition comfortably serves).
pub const MAX_EMPLOYEES_LIMIT: u32 = 100_000;
pub const MAX_AGENTS_LIMIT: u32 = 100;
const SETTINGS_MAX_BYTES: usize = 16 * 1024;
const NAME_MAX: usize = 200;

/// Session lifetimes within their bounds: at most a year, an idle limit of at least a
/// quarter of an hour (the last use is recorded to within 5 minutes) and at most 30 days.
fn session_lifetimes(lifetimes: SessionLifetimes) -> Result<SessionLifetimes, String> {
    if !(1..=24 * 365).contains(&lifetimes.max_hours) {
        return Err("max_hours must be 1 to 8760".into());
    }
    if lifetimes.idle_minutes.is_some_and(|idle| !(15..=60 * 24 * 30).contains(&idle)) {
        return Err("idle_minutes must be 15 to 43200".into());
    }
    Ok(lifetimes)
}

/// Organization settings: a JSON object whose `approval_rules`, if present, are valid.
fn settings(raw: Value) -> Result<Value, String> {
    let settings = validate::json_object(SETTINGS_MAX_BYTES)(raw)?;
    requests::ApprovalRules::from_settings(&settings)?;
    Ok(settings)
}

/// A new organization with its subscription and first owner (the platform operator's).
pub async fn create(state: &AppState, principal: &Principal, request: NewOrganization) -> Result<CreatedOrganization> {
    principal.require_platform()?;
    let mut v = Validator::new();
    let name = v.check("name", request.name, validate::name(NAME_MAX));
    let slug = v.check("slug", request.slug, validate::slug);
    let settings = v.check_opt("settings", request.settings, settings);
    let (default_seats, default_agents) = request.plan.default_limits();
    let max_employees =
        v.check("max_employees", request.max_employees.unwrap_or(default_seats), validate::count(MAX_EMPLOYEES_LIMIT));
    let max_agents = v.check(
        "max_agents_per_employee",
        request.max_agents_per_employee.unwrap_or(default_agents),
        validate::count(MAX_AGENTS_LIMIT),
    );
    let budget = v.check(
        "monthly_budget_usd",
        request.monthly_budget_usd.unwrap_or_else(|| "0".into()),
        subscriptions::parse_budget,
    );
    let owner_fields = employees::parse_identity(&mut v, "owner.", request.owner.email, request.owner.full_name);
    let (name, slug, settings, max_employees, max_agents, budget, (email, full_name)) =
        v.finish(|| Some((name?, slug?, settings?, max_employees?, max_agents?, budget?, owner_fields?)))?;

    crate::domain::roles::ensure_defaults(state).await?;
    let now = crate::time::now();
    let org = Organization {
        id: OrgId::new(),
        name,
        slug,
        plan: request.plan,
        settings: settings.unwrap_or_else(|| json!({})),
        max_employees,
        max_agents_per_employee: max_agents,
        employee_count: 1,
        employee_total: 1,
        sessions: SessionLifetimes::default(),
        budget_action: BudgetAction::default(),
        telemetry: Telemetry::default(),
        created_at: now,
        updated_at: now,
    };
    let subscription = subscriptions::open(org.id, org.plan, budget, now);
    let owner = employees::new_employee(org.id, email, full_name, RoleName::Owner, None, now);
    let (code, enrollment) = sessions::new_enrollment(state, &owner, None, now);

    let mut tx = state.repo.transaction();
    repo::organizations::create(&mut tx, &org)?;
    repo::subscriptions::create(&mut tx, &subscription)?;
    repo::employees::create(&mut tx, &owner)?;
    repo::sessions::create_enrollment(&mut tx, &enrollment)?;
    crate::domain::log(
        state,
        &mut tx,
        org.id,
        principal,
        EventType::OrgCreated,
        json!({ "slug": org.slug, "plan": org.plan, "owner_id": owner.id }),
    )?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(repo::Guard::Slug) => {
            Error::conflict(ProblemCode::SlugTaken, format!("the slug {:?} is taken", org.slug))
        }
        StoreError::ConditionFailed(repo::Guard::Email) => {
            Error::conflict(ProblemCode::EmailTaken, format!("{} already belongs to an employee", owner.email))
        }
        e => e.into(),
    })?;
    Ok(CreatedOrganization { organization: org, subscription, owner, owner_enrollment: enrollment.into_code(code) })
}

/// Every organization (the platform operator's).
pub async fn list(state: &AppState, principal: &Principal, query: &PageQuery) -> Result<Page<Organization>> {
    principal.require_platform()?;
    Ok(repo::organizations::list(&state.repo, &PageRequest::try_from(query)?).await?)
}

/// Any organization (the platform operator's).
pub async fn get_by_platform(state: &AppState, principal: &Principal, org: OrgId) -> Result<Organization> {
    principal.require_platform()?;
    get(state, org).await
}

/// An organization, for the domain's own checks (limits, settings, names).
pub(crate) async fn get(state: &AppState, org: OrgId) -> Result<Organization> {
    repo::organizations::get(&state.repo, org).await?.ok_or(Error::NotFound("organization"))
}

/// The caller's own organization.
pub async fn get_own(state: &AppState, caller: &Caller) -> Result<Organization> {
    caller.require(Permission::OrgRead)?;
    get(state, caller.org_id).await
}

pub async fn update_by_platform(
    state: &AppState,
    principal: &Principal,
    org: OrgId,
    patch: PlatformOrganizationPatch,
) -> Result<Organization> {
    principal.require_platform()?;
    let mut v = Validator::new();
    let name = v.check_opt("name", patch.name, validate::name(NAME_MAX));
    let settings = v.check_opt("settings", patch.settings, settings);
    let max_employees = v.check_opt("max_employees", patch.max_employees, validate::count(MAX_EMPLOYEES_LIMIT));
    let max_agents =
        v.check_opt("max_agents_per_employee", patch.max_agents_per_employee, validate::count(MAX_AGENTS_LIMIT));
    let (name, settings, max_employees, max_agents) =
        v.finish(|| Some((name?, settings?, max_employees?, max_agents?)))?;
    // The platform addresses organizations by id: make "no such org" a 404 before a
    // failed seat condition could be mistaken for it.
    get(state, org).await?;
    let changes = repo::organizations::OrganizationChanges {
        name,
        settings,
        plan: patch.plan,
        max_employees,
        max_agents_per_employee: max_agents,
        sessions: None,
        budget_action: None,
        telemetry: None,
    };
    apply(state, org, principal, changes).await
}

pub async fn update_own(state: &AppState, caller: &Caller, patch: OrganizationPatch) -> Result<Organization> {
    caller.require(Permission::OrgWrite)?;
    let mut v = Validator::new();
    let name = v.check_opt("name", patch.name, validate::name(NAME_MAX));
    let settings = v.check_opt("settings", patch.settings, settings);
    let sessions = v.check_opt("sessions", patch.sessions, session_lifetimes);
    let (name, settings, sessions) = v.finish(|| Some((name?, settings?, sessions?)))?;
    let changes = repo::organizations::OrganizationChanges {
        name,
        settings,
        sessions,
        budget_action: patch.budget_action,
        telemetry: patch.telemetry,
        ..Default::default()
    };
    apply(state, caller.org_id, &caller.principal(), changes).await
}

async fn apply(
    state: &AppState,
    org: OrgId,
    by: &Principal,
    changes: repo::organizations::OrganizationChanges,
) -> Result<Organization> {
    let changed = changes.changed();
    if changed.is_empty() {
        return get(state, org).await;
    }
    let now = crate::time::now();
    let mut tx = state.repo.transaction();
    repo::organizations::update(&mut tx, org, &changes, &now)?;
    if let Some(plan) = changes.plan {
        repo::subscriptions::set_plan(&mut tx, org, plan, &now);
    }
    if changes.budget_action.is_some() || changes.telemetry.is_some() {
        // Whether spending pauses agents, and whether telemetry is wired, are part of
        // every member's bundle.
        repo::syncsets::Change::new(repo::syncsets::Scope::Org(org)).apply(&mut tx, &now);
    }
    crate::domain::log(state, &mut tx, org, by, EventType::OrgUpdated, json!({ "changed": changed }))?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(repo::Guard::LimitBelowCount) => {
            Error::conflict(ProblemCode::LimitBelowCount, "max_employees is below the current number of employees")
        }
        StoreError::ConditionFailed(_) => Error::NotFound("organization"),
        e => e.into(),
    })?;
    get(state, org).await
}
