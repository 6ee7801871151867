//! SCIM Users: the organization's employees.

use super::ScimType;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{
    ENTERPRISE_USER_SCHEMA, ScimClient, ScimError, ScimResult, USER_SCHEMA, attribute, boolean, patch, text, version,
};
use crate::AppState;
use crate::activity::{By, EventType};
use crate::domain::employees::{self, Employee, EmployeeStatus};
use crate::domain::teams;
use crate::ids::{EmployeeId, OrgId, TeamId};
pub use crate::repo::scim::UserOverlay;
use crate::repo::{self, StoreError, employees::EmployeeChanges};
use crate::roles::RoleName;

mod search;

pub use search::*;

const NAME_MAX: usize = 200;
const MAX_EMAILS: usize = 10;
/// The sub-attributes of `name` kept (the ones the User schema publishes).
const NAME_PARTS: [&str; 3] = ["formatted", "familyName", "givenName"];

/// A User as a SCIM client sends it, checked.
struct UserInput {
    user_name: String,
    external_id: Option<String>,
    name: Option<Map<String, Value>>,
    display_name: Option<String>,
    emails: Vec<Value>,
    /// As sent (absent: active).
    active: Option<bool>,
    department: Option<String>,
    /// The employee's email: the primary email, the first, or a `userName` that is one.
    email: String,
    full_name: String,
}

impl UserInput {
    fn parse(body: &Value) -> ScimResult<Self> {
        if !body.is_object() {
            return Err(ScimError::new(400, Some(ScimType::InvalidSyntax), "a User is a JSON object"));
        }
        super::require_schema(body, USER_SCHEMA)?;
        let user_name = attribute(body, "userName").ok_or_else(|| ScimError::invalid_value("userName is required"))?;
        let user_name = text(user_name, "userName", 256)?;
        let external_id = attribute(body, "externalId").map(|v| text(v, "externalId", 256)).transpose()?;
        let display_name = attribute(body, "displayName").map(|v| text(v, "displayName", NAME_MAX)).transpose()?;
        let name = match attribute(body, "name") {
            None => None,
            Some(Value::Object(parts)) => {
                let mut kept = Map::new();
                for part in NAME_PARTS {
                    if let Some(value) = attribute(&Value::Object(parts.clone()), part) {
                        kept.insert(part.to_string(), Value::String(text(value, &format!("name.{part}"), NAME_MAX)?));
                    }
                }
                Some(kept).filter(|k| !k.is_empty())
            }
            Some(_) => return Err(ScimError::invalid_value("name is an object")),
        };
        let emails = match attribute(body, "emails") {
            None => Vec::new(),
            Some(Value::Array(emails)) if emails.len() <= MAX_EMAILS => {
                emails.iter().map(email_entry).collect::<ScimResult<_>>()?
            }
            Some(_) => return Err(ScimError::invalid_value(format!("emails is a list of at most {MAX_EMAILS}"))),
        };
        let active = attribute(body, "active").map(|v| boolean(v, "active")).transpose()?;
        let department = attribute(body, ENTERPRISE_USER_SCHEMA)
            .and_then(|e| attribute(e, "department"))
            .map(|v| text(v, "department", 100))
            .transpose()?;
        let primary = emails.iter().find(|e| e["primary"] == json!(true)).or(emails.first());
        let email = match primary {
            Some(entry) => entry["value"].as_str().unwrap_or_default().to_string(),
            None => crate::validate::email(user_name.clone())
                .map_err(|_| ScimError::invalid_value("an email address is needed: in emails, or as the userName"))?,
        };
        let given_family = name.as_ref().map(|n| {
            let part = |k: &str| n.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            format!("{} {}", part("givenName"), part("familyName")).trim().to_string()
        });
        let formatted = name.as_ref().and_then(|n| n.get("formatted")).and_then(Value::as_str).map(str::to_string);
        let full_name = [display_name.clone(), formatted, given_family.filter(|n| !n.is_empty())]
            .into_iter()
            .flatten()
            .next()
            .unwrap_or_else(|| user_name.clone());
        Ok(Self { user_name, external_id, name, display_name, emails, active, department, email, full_name })
    }

    fn overlay(
        &self,
        org_id: OrgId,
        employee_id: EmployeeId,
        created: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> UserOverlay {
        UserOverlay {
            org_id,
            employee_id,
            user_name: self.user_name.clone(),
            external_id: self.external_id.clone(),
            name: self.name.clone(),
            display_name: self.display_name.clone(),
            emails: self.emails.clone(),
            active: self.active,
            department: self.department.clone(),
            created,
            last_modified: now,
        }
    }
}

fn email_entry(entry: &Value) -> ScimResult<Value> {
    let value = attribute(entry, "value").ok_or_else(|| ScimError::invalid_value("each email has a value"))?;
    let value = value.as_str().ok_or_else(|| ScimError::invalid_value("emails.value is a string"))?;
    let value =
        crate::validate::email(value.to_string()).map_err(|e| ScimError::invalid_value(format!("emails.value {e}")))?;
    let mut kept = json!({ "value": value });
    if let Some(kind) = attribute(entry, "type") {
        kept["type"] = json!(text(kind, "emails.type", 64)?);
    }
    if let Some(primary) = attribute(entry, "primary") {
        kept["primary"] = json!(boolean(primary, "emails.primary")?);
    }
    Ok(kept)
}

/// The SCIM representation of an employee.
pub fn resource(employee: &Employee, overlay: Option<&UserOverlay>, base: &str) -> Value {
    let last_modified = overlay.map_or(employee.updated_at, |o| o.last_modified.max(employee.updated_at));
    let created = overlay.map_or(employee.created_at, |o| o.created.min(employee.created_at));
    let mut user = json!({
        "schemas": [USER_SCHEMA],
        "id": employee.id,
        "userName": overlay.map_or(employee.email.as_str(), |o| o.user_name.as_str()),
        "emails": match overlay {
            Some(o) if !o.emails.is_empty() => Value::Array(o.emails.clone()),
            _ => json!([{ "value": employee.email, "primary": true }]),
        },
        "meta": {
            "resourceType": "User",
            "created": created,
            "lastModified": last_modified,
            "location": format!("{base}/Users/{}", employee.id),
            "version": version(&last_modified),
        },
    });
    // What SCIM set is what it reads back; an employee SCIM never set reads from itself.
    match overlay {
        Some(o) => {
            if let Some(display_name) = &o.display_name {
                user["displayName"] = json!(display_name);
            }
        }
        None => user["displayName"] = json!(employee.full_name),
    }
    // `active` is the employee's status; omitted only where SCIM removed it and the
    // employee is active (the default).
    let active = employee.status == EmployeeStatus::Active;
    if overlay.is_none_or(|o| o.active.is_some()) || !active {
        user["active"] = json!(active);
    }
    if let Some(external_id) = overlay.and_then(|o| o.external_id.as_ref()) {
        user["externalId"] = json!(external_id);
    }
    if let Some(name) = overlay.and_then(|o| o.name.clone()) {
        user["name"] = Value::Object(name);
    }
    if let Some(department) = overlay.and_then(|o| o.department.as_ref()) {
        user["schemas"] = json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]);
        user[ENTERPRISE_USER_SCHEMA] = json!({ "department": department });
    }
    user
}

/// The team a `department` names: the team of that name, created for it if none has it.
async fn department_team(state: &AppState, org: OrgId, department: &str) -> ScimResult<TeamId> {
    let lookup = async || repo::teams::id_by_name(&state.repo, org, &department.to_lowercase()).await;
    if let Some(team) = lookup().await? {
        return Ok(team);
    }
    let about = teams::About { name: department.to_string(), description: String::new(), team_source: false };
    match teams::insert(state, org, By::SCIM, about).await {
        Ok(team) => Ok(team.id),
        // Another User's department created it meanwhile.
        Err(crate::Error::Conflict { code: crate::error::ProblemCode::TeamNameTaken, .. }) => {
            lookup().await?.ok_or_else(|| ScimError::new(409, None, "the department's team changed meanwhile; retry"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The team an active User's `department` gives them, if it changes theirs.
async fn team_change(state: &AppState, employee: &Employee, department: Option<&str>) -> ScimResult<Option<TeamId>> {
    let Some(department) = department else { return Ok(None) };
    let team = department_team(state, employee.org_id, department).await?;
    Ok(Some(team).filter(|t| employee.team_id != Some(*t)))
}

/// An employee and what SCIM said of them, unless SCIM deleted them.
async fn find(state: &AppState, client: &ScimClient, id: &str) -> ScimResult<(Employee, Option<UserOverlay>)> {
    let id: EmployeeId = id.parse().map_err(|_| ScimError::not_found("User"))?;
    let employee =
        repo::employees::get(&state.repo, client.org_id, id).await?.ok_or_else(|| ScimError::not_found("User"))?;
    let overlay = repo::scim::user_overlay(&state.repo, client.org_id, id).await?;
    if employee.scim_deleted {
        return Err(ScimError::not_found("User"));
    }
    Ok((employee, overlay))
}

pub async fn get(state: &AppState, client: &ScimClient, id: &str, base: &str) -> ScimResult<Value> {
    let (employee, overlay) = find(state, client, id).await?;
    Ok(resource(&employee, overlay.as_ref(), base))
}

fn conflict(e: StoreError, input: &UserInput) -> ScimError {
    match e {
        StoreError::ConditionFailed(repo::Guard::ScimUserName) => ScimError::new(
            409,
            Some(ScimType::Uniqueness),
            format!("userName {:?} belongs to another user", input.user_name),
        ),
        StoreError::ConditionFailed(repo::Guard::Email) => {
            ScimError::new(409, Some(ScimType::Uniqueness), format!("{} belongs to another user", input.email))
        }
        StoreError::ConditionFailed(repo::Guard::Capacity) => employees::creation_error(e, &input.email).into(),
        StoreError::ConditionFailed(_) => ScimError::new(409, None, "the user changed meanwhile; retry"),
        e => e.into(),
    }
}

/// `POST /Users`: a new employee (a member, in their department's team). Someone SCIM deleted earlier
/// comes back as the same employee, history and all.
pub async fn create(state: &AppState, client: &ScimClient, body: &Value, base: &str) -> ScimResult<Value> {
    let input = UserInput::parse(body)?;
    let now = crate::time::now();
    if let Some(id) = repo::employees::id_by_email(&state.repo, client.org_id, &input.email).await? {
        return match repo::employees::get(&state.repo, client.org_id, id).await? {
            Some(employee) if employee.scim_deleted => {
                let overlay = repo::scim::user_overlay(&state.repo, client.org_id, id).await?;
                replace_with(state, &employee, overlay.as_ref(), input, base).await
            }
            _ => Err(ScimError::new(
                409,
                Some(ScimType::Uniqueness),
                format!("a user with the email {} exists", input.email),
            )),
        };
    }
    let team = match input.department.as_deref() {
        Some(department) if input.active != Some(false) => {
            Some(department_team(state, client.org_id, department).await?)
        }
        _ => None,
    };
    let employee = employees::new_employee(
        client.org_id,
        input.email.clone(),
        input.full_name.clone(),
        RoleName::Member,
        team,
        now,
    );
    let overlay = input.overlay(client.org_id, employee.id, now, now);
    let mut tx = state.repo.transaction();
    employees::add(&mut tx, &employee)?;
    repo::scim::put_user_overlay(&mut tx, &overlay, None, &employee.email)?;
    let payload = json!({ "employee_id": employee.id, "email": employee.email, "role": employee.role, "team_id": employee.team_id });
    crate::domain::log(state, &mut tx, client.org_id, By::SCIM, EventType::EmployeeCreated, payload)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| conflict(e, &input))?;
    if input.active == Some(false) {
        let changes = EmployeeChanges { status: Some(EmployeeStatus::Deactivated), ..Default::default() };
        let employee = employees::change(state, By::SCIM, &employee, changes, state.repo.transaction()).await?;
        return Ok(resource(&employee, Some(&overlay), base));
    }
    Ok(resource(&employee, Some(&overlay), base))
}

/// `PUT /Users/{id}`.
pub async fn replace(state: &AppState, client: &ScimClient, id: &str, body: &Value, base: &str) -> ScimResult<Value> {
    let input = UserInput::parse(body)?;
    let (employee, overlay) = find(state, client, id).await?;
    replace_with(state, &employee, overlay.as_ref(), input, base).await
}

/// `PATCH /Users/{id}`: the operations applied to the User, then replaced.
pub async fn patch(state: &AppState, client: &ScimClient, id: &str, body: &Value, base: &str) -> ScimResult<Value> {
    let (employee, overlay) = find(state, client, id).await?;
    let mut user = resource(&employee, overlay.as_ref(), base);
    patch::apply(&mut user, body)?;
    let input = UserInput::parse(&user)?;
    replace_with(state, &employee, overlay.as_ref(), input, base).await
}

async fn replace_with(
    state: &AppState,
    employee: &Employee,
    overlay: Option<&UserOverlay>,
    input: UserInput,
    base: &str,
) -> ScimResult<Value> {
    let now = crate::time::now();
    let created = overlay.map_or(employee.created_at, |o| o.created);
    let after = input.overlay(employee.org_id, employee.id, created, now);
    let status = match (input.active.unwrap_or(true), employee.status) {
        (true, EmployeeStatus::Active) | (false, EmployeeStatus::Deactivated) => None,
        (true, _) => Some(EmployeeStatus::Active),
        (false, _) => Some(EmployeeStatus::Deactivated),
    };
    // A deactivated User leaves its team; an active one is in its department's.
    let team = match status.unwrap_or(employee.status) {
        EmployeeStatus::Deactivated => employee.team_id.map(|_| None),
        _ => team_change(state, employee, input.department.as_deref()).await?.map(Some),
    };
    let changes = EmployeeChanges {
        email: Some(input.email.clone()).filter(|e| *e != employee.email),
        full_name: Some(input.full_name.clone()).filter(|n| *n != employee.full_name),
        status,
        team,
        scim_deleted: Some(false).filter(|_| employee.scim_deleted),
        ..Default::default()
    };
    let mut with = state.repo.transaction();
    repo::scim::put_user_overlay(&mut with, &after, overlay, &employee.email)?;
    let employee = employees::change(state, By::SCIM, employee, changes, with).await.map_err(|e| match e {
        crate::Error::Conflict { code: crate::error::ProblemCode::ConcurrentUpdate, .. } => {
            ScimError::new(409, None, "the user changed meanwhile; retry")
        }
        e => e.into(),
    })?;
    Ok(resource(&employee, Some(&after), base))
}

/// `DELETE /Users/{id}`: the employee is deactivated (sessions ended, history kept),
/// leaves their groups, and the User is gone for SCIM.
pub async fn delete(state: &AppState, client: &ScimClient, id: &str) -> ScimResult<()> {
    let (employee, _) = find(state, client, id).await?;
    let changes = EmployeeChanges {
        status: Some(EmployeeStatus::Deactivated).filter(|_| employee.status != EmployeeStatus::Deactivated),
        team: employee.team_id.map(|_| None),
        scim_deleted: Some(true),
        ..Default::default()
    };
    let employee = employees::change(state, By::SCIM, &employee, changes, state.repo.transaction()).await?;
    Ok(crate::domain::groups::leave_all(state, By::SCIM, &employee).await?)
}

/// What the directory last sent about an employee of the caller's organization (`None`:
/// SCIM never touched them, so nothing of theirs follows it).
pub async fn record_of(
    state: &AppState,
    caller: &crate::auth::Caller,
    employee: EmployeeId,
) -> crate::Result<Option<repo::scim::UserOverlay>> {
    caller.require(crate::roles::Permission::EmployeesRead)?;
    Ok(repo::scim::user_overlay(&state.repo, caller.org_id, employee).await?)
}
