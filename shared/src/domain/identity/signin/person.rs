//! Who signed in: the provider's verified claims resolved to an employee (an identity
//! link, or a new one by a verified email; created or refused as the organization's
//! provisioning says), and what is recorded of it.

use crate::activity::By;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::*;
use crate::AppState;
use crate::activity::{Actor, EventType};
use crate::domain::employees::{self, Employee};
use crate::domain::identity::{IdentityLink, ProviderSettings};
use crate::error::Result;
use crate::ids::OrgId;
use crate::oidc::IdClaims;
use crate::repo::{self, employees::EmployeeChanges};
use crate::roles::RoleName;

/// Who the person is to the organization, and what signing in writes about them.
pub(super) struct Person {
    pub(super) employee: Employee,
    /// A link to create (first sign-in by email, or just in time).
    pub(super) link: Option<IdentityLink>,
    /// The person's link to an employee deleted since, which `link` replaces.
    pub(super) stale_link: Option<IdentityLink>,
    /// The employee is new (just in time).
    pub(super) created: bool,
    /// Role and team from the mappings that differ, for an existing employee.
    pub(super) role: Option<RoleName>,
    pub(super) team: Option<Option<crate::ids::TeamId>>,
}

impl Person {
    pub(super) async fn resolve(
        state: &AppState,
        settings: &ProviderSettings,
        claims: &IdClaims,
    ) -> Result<std::result::Result<Person, Refusal>> {
        let org = settings.org_id;
        let subject_hash = crate::domain::identity::subject_hash(&claims.iss, &claims.sub);
        let known = repo::identity::link(&state.repo, org, &subject_hash).await?;
        let linked = match &known {
            Some(link) => repo::employees::get(&state.repo, org, link.employee_id).await?,
            None => None,
        };
        // A link whose employee was deleted leads nowhere: the person is resolved anew.
        let stale_link = known.filter(|_| linked.is_none());
        let now = crate::time::now();
        let role = mapped_role(settings, claims);
        let team = mapped_team(settings, claims);
        let (employee, link, created) = match linked {
            Some(employee) => (employee, None, false),
            None => {
                let Some(email) = claims.email.as_deref().map(str::to_ascii_lowercase) else {
                    return Ok(Err(Refusal::EmailNotVerified));
                };
                if !claims.email_verified {
                    return Ok(Err(Refusal::EmailNotVerified));
                }
                let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
                if !settings.allowed_domains.iter().any(|allowed| allowed == domain) {
                    return Ok(Err(Refusal::DomainNotAllowed));
                }
                let existing = match repo::employees::id_by_email(&state.repo, org, &email).await? {
                    Some(id) => repo::employees::get(&state.repo, org, id).await?,
                    None => None,
                };
                let (employee, created) = match existing {
                    // An email names the person only while no other subject of this
                    // provider is theirs: a reassigned address, an account re-created at
                    // the provider or an editable email must not take the person over.
                    Some(employee) => {
                        let links = repo::identity::links_of(&state.repo, org, employee.id).await?;
                        if links.iter().any(|l| l.issuer == claims.iss) {
                            return Ok(Err(Refusal::LinkedToAnotherSubject));
                        }
                        (employee, false)
                    }
                    None if settings.just_in_time => {
                        let Ok(email) = crate::validate::email(email) else {
                            return Ok(Err(Refusal::EmailNotVerified));
                        };
                        let name = claims.name.clone().and_then(|n| crate::validate::name(200)(n).ok());
                        let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_string());
                        let role = role.unwrap_or(settings.default_role);
                        (employees::new_employee(org, email, name, role, team, now), true)
                    }
                    None => return Ok(Err(Refusal::NotProvisioned)),
                };
                let link = IdentityLink {
                    org_id: org,
                    subject_hash,
                    issuer: claims.iss.clone(),
                    subject: claims.sub.clone(),
                    employee_id: employee.id,
                    created_at: now,
                };
                (employee, Some(link), created)
            }
        };
        if !employee.status.may_log_in() {
            return Ok(Err(Refusal::NotActive));
        }
        // Mappings keep role and team in step with the provider at every sign-in; an
        // owner is never demoted by one (owners change owners).
        let (role, team) = if created {
            (None, None)
        } else {
            (
                role.filter(|r| *r != employee.role && employee.role != RoleName::Owner),
                team.filter(|t| Some(*t) != employee.team_id).map(Some),
            )
        };
        Ok(Ok(Person { employee, link, stale_link, created, role, team }))
    }
}

/// The first role mapping whose claim has (or lists) its value. A mapping to `owner`
/// counts only where an owner allowed it (`allow_owner_mapping`), at the first sign-in
/// and every later one alike.
pub(super) fn mapped_role(settings: &ProviderSettings, claims: &IdClaims) -> Option<RoleName> {
    settings
        .role_mappings
        .iter()
        .filter(|m| m.role != RoleName::Owner || settings.allow_owner_mapping)
        .find(|m| claims.all.get(&m.claim).is_some_and(|v| has_value(v, &m.value)))
        .map(|m| m.role)
}

/// The team of the first team mapping whose group the person is in.
pub(super) fn mapped_team(settings: &ProviderSettings, claims: &IdClaims) -> Option<crate::ids::TeamId> {
    let groups = claims.all.get(&settings.groups_claim)?;
    settings.team_mappings.iter().find(|m| has_value(groups, &m.group)).map(|m| m.team_id)
}

pub(super) fn has_value(claim: &Value, wanted: &str) -> bool {
    match claim {
        Value::String(s) => s == wanted,
        Value::Array(items) => items.iter().any(|item| item.as_str() == Some(wanted)),
        Value::Bool(b) => b.to_string() == wanted,
        Value::Number(n) => n.to_string() == wanted,
        _ => false,
    }
}

/// Adds what signing in writes about the person: a new employee (just in time) or their
/// mapped role and team, and the link from the provider's subject. (The sign-in time is
/// recorded when the client turns the sign-in into a session.)
pub(super) fn record_person(
    state: &AppState,
    tx: &mut repo::Transaction,
    person: &Person,
    now: DateTime<Utc>,
) -> Result<()> {
    let employee = &person.employee;
    let org: OrgId = employee.org_id;
    if person.created {
        employees::add(tx, employee)?;
        let payload = json!({ "employee_id": employee.id, "email": employee.email, "role": employee.role, "team_id": employee.team_id });
        crate::domain::log(
            state,
            tx,
            org,
            By { actor: Actor::IdentityProvider, employee_id: Some(employee.id) },
            EventType::EmployeeCreated,
            payload,
        )?;
    } else if person.role.is_some() || person.team.is_some() {
        let changes = EmployeeChanges { role: person.role, team: person.team, ..Default::default() };
        repo::employees::update(tx, employee, &changes, &now)?;
        if let Some(team) = changes.team {
            employees::move_team(tx, employee, team);
            // The sync bundle applies the team's policies.
            repo::syncsets::Change::new(repo::syncsets::Scope::Employee(org, employee.id)).apply(tx, &now);
        }
        let payload = json!({ "employee_id": employee.id, "changed": changes.changed(), "role": changes.role, "team_id": changes.team });
        crate::domain::log(
            state,
            tx,
            org,
            By { actor: Actor::IdentityProvider, employee_id: Some(employee.id) },
            EventType::EmployeeUpdated,
            payload,
        )?;
    }
    if let Some(link) = &person.link {
        repo::identity::create_link(tx, link, person.stale_link.as_ref())?;
    }
    Ok(())
}
