//! Enrollment and sessions.
//!
//! An admin issues a one-time enrollment code for an employee; the employee exchanges it
//! (`agentctl login`) for a session: an access token and a refresh token. Codes and tokens
//! are 256-bit random secrets, shown once and stored only as SHA-256.
//!
//! - Refresh rotates: each use issues a new pair and marks the old refresh token used; a
//!   second use of one ends the whole session family (a stolen token was replayed).
//! - Lifetimes: an access token lives `access_token_ttl`; a session ends after the
//!   organization's idle and maximum lifetimes (`SessionLifetimes`, the maximum bounded by
//!   `session_ttl`), however often it is refreshed.
//! - Logout revokes the session; deactivation and SCIM deprovisioning revoke all of an
//!   employee's sessions.

use crate::Name;
use serde_json::json;

use crate::AppState;
use crate::activity::{By, EventType};
use crate::auth::{self, Caller};
use crate::domain::employees::{self, Employee, EmployeeStatus};
use crate::domain::{organizations, telemetry};
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{EmployeeId, OrgId, SessionId};
use crate::pagination::{Page, PageQuery, PageRequest};
use crate::repo::{self, StoreError};
use crate::roles::{Permission, RoleName};
use crate::validate::{self, Validator};
use chrono::{DateTime, Utc};

/// Longest device name a session keeps.
pub(crate) const DEVICE_NAME_MAX: usize = 100;

mod refresh;

pub use crate::repo::sessions::{Enrollment, RefreshRecord};
pub use agentctl_wire::sessions::{EnrollmentCode, Me, NewSession, OrganizationSummary, Session, SessionRequest};
pub use refresh::{RefreshError, refresh};

impl Enrollment {
    pub fn into_code(self, code: String) -> EnrollmentCode {
        EnrollmentCode { employee_id: self.employee_id, code, expires_at: self.expires_at }
    }
}

/// A new code for `employee`, and what to store of it.
pub fn new_enrollment(
    state: &AppState,
    employee: &Employee,
    issued_by: Option<EmployeeId>,
    now: DateTime<Utc>,
) -> (String, Enrollment) {
    let code = auth::new_secret(auth::ENROLLMENT_CODE_PREFIX);
    let enrollment = Enrollment {
        code_hash: auth::digest(&code),
        org_id: employee.org_id,
        employee_id: employee.id,
        issued_by,
        expires_at: now + state.config.enrollment_ttl,
        created_at: now,
    };
    (code, enrollment)
}

pub async fn issue_enrollment(state: &AppState, caller: &Caller, employee_id: EmployeeId) -> Result<EnrollmentCode> {
    caller.require(Permission::EmployeesEnroll)?;
    let employee = employees::find(state, caller.org_id, employee_id).await?;
    require_rights_over(caller, &employee)?;
    if !employee.status.may_log_in() {
        return Err(Error::conflict(ProblemCode::EmployeeNotActive, "only active employees can be enrolled"));
    }
    let (code, enrollment) = new_enrollment(state, &employee, Some(caller.employee_id), crate::time::now());
    let mut tx = state.repo.transaction();
    repo::sessions::create_enrollment(&mut tx, &enrollment)?;
    crate::domain::log(
        state,
        &mut tx,
        caller.org_id,
        &caller.principal(),
        EventType::EnrollmentIssued,
        json!({ "employee_id": employee.id, "expires_at": enrollment.expires_at }),
    )?;
    crate::domain::notify::commit(state, tx).await?;
    Ok(enrollment.into_code(code))
}

/// Who may mint an employee's sign-ins or end them: an owner's are the owners' (a code
/// lets its holder act as the employee; ending sessions locks them out).
fn require_rights_over(caller: &Caller, employee: &Employee) -> Result<()> {
    if employee.role == RoleName::Owner {
        caller.require(Permission::OwnersManage)?;
    }
    Ok(())
}

fn unusable_code() -> Error {
    Error::Unauthenticated("the enrollment code is invalid, used or expired".into())
}

/// Exchanges an enrollment code for a session token.
pub async fn exchange(state: &AppState, request: SessionRequest, ip_address: Option<String>) -> Result<NewSession> {
    let mut v = Validator::new();
    let device_name = v.check_opt("device_name", request.device_name, validate::name(DEVICE_NAME_MAX));
    let device_name = v.finish(|| device_name)?;
    let (code_hash, employee) = enrollment(state, &request.code).await?;
    let mut tx = state.repo.transaction();
    repo::sessions::consume_enrollment(&mut tx, &code_hash);
    let opening = Opening { device_name, ip_address, method: SignInMethod::EnrollmentCode };
    let issued = open(state, &mut tx, &employee, opening, crate::time::now()).await?;
    commit_enrollment(state, tx).await?;
    let employee = employees::find(state, employee.org_id, employee.id).await?;
    Ok(NewSession {
        token: issued.access_token,
        refresh_token: issued.refresh_token,
        session: issued.session,
        employee,
    })
}

/// The device name console sessions are listed with.
pub const CONSOLE_DEVICE: &str = "Web console";

/// Signs in to the console with an enrollment code: a console session (see
/// [`open_console`]), its token for the browser's cookie.
pub async fn exchange_for_console(state: &AppState, code: &str, ip_address: Option<String>) -> Result<String> {
    let (code_hash, employee) = enrollment(state, code).await?;
    let mut tx = state.repo.transaction();
    repo::sessions::consume_enrollment(&mut tx, &code_hash);
    let opening =
        Opening { device_name: Some(CONSOLE_DEVICE.into()), ip_address, method: SignInMethod::EnrollmentCode };
    let token = open_console(state, &mut tx, &employee, opening, crate::time::now()).await?;
    commit_enrollment(state, tx).await?;
    Ok(token)
}

/// The enrollment code's digest and its employee, while both are usable.
async fn enrollment(state: &AppState, code: &str) -> Result<(String, Employee)> {
    let code = code.trim();
    if !code.starts_with(auth::ENROLLMENT_CODE_PREFIX) || code.len() > 128 {
        return Err(Error::invalid("code", "is not an enrollment code"));
    }
    let code_hash = auth::digest(code);
    let enrollment = repo::sessions::get_enrollment(&state.repo, &code_hash).await?.ok_or_else(unusable_code)?;
    if enrollment.expires_at <= crate::time::now() {
        return Err(unusable_code());
    }
    let employee = employees::find(state, enrollment.org_id, enrollment.employee_id).await?;
    if !employee.status.may_log_in() {
        return Err(unusable_code());
    }
    Ok((code_hash, employee))
}

/// Commits a session opened with an enrollment code (which `tx` uses up).
async fn commit_enrollment(state: &AppState, tx: repo::Transaction) -> Result<()> {
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(repo::Guard::EnrollmentCode) => unusable_code(),
        e => opening_error(e),
    })
}

/// How someone signed in.
#[derive(Clone, Copy, Debug, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum SignInMethod {
    EnrollmentCode,
    SingleSignOn,
}

/// What a new session records of where it comes from.
pub struct Opening {
    pub device_name: Option<String>,
    pub ip_address: Option<String>,
    pub method: SignInMethod,
}

/// A new session's tokens (shown once) and the session.
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub session: Session,
}

impl Issued {
    pub fn into_token_response(self, now: DateTime<Utc>) -> crate::domain::identity::TokenResponse {
        crate::domain::identity::TokenResponse {
            access_token: self.access_token,
            token_type: "Bearer".into(),
            expires_in: (self.session.expires_at - now).num_seconds(),
            refresh_token: self.refresh_token,
        }
    }
}

/// Adds a new session of `employee` to `tx` (the caller adds what uses up the credential
/// it signed in with, and commits): the session under its access token, its first
/// refresh token, the sign-in on the employee, the activity entry. The organization's
/// lifetimes apply, within the deployment's ceiling.
pub(crate) async fn open(
    state: &AppState,
    tx: &mut repo::Transaction,
    employee: &Employee,
    opening: Opening,
    now: DateTime<Utc>,
) -> Result<Issued> {
    let (access_token, session) = start(state, tx, employee, opening, Client::Cli, now).await?;
    let refresh_token = auth::new_secret(auth::REFRESH_TOKEN_PREFIX);
    let access_hash = auth::digest(&access_token);
    repo::sessions::create_refresh(tx, &auth::digest(&refresh_token), &RefreshRecord::of(&session, access_hash, now))?;
    Ok(Issued { access_token, refresh_token, session })
}

/// Adds a new console session of `employee` to `tx`, as [`open`] does: one token, kept
/// in the browser's HttpOnly cookie, that lives as long as the session (the
/// organization's idle and maximum lifetimes) and is never refreshed.
pub(crate) async fn open_console(
    state: &AppState,
    tx: &mut repo::Transaction,
    employee: &Employee,
    opening: Opening,
    now: DateTime<Utc>,
) -> Result<String> {
    Ok(start(state, tx, employee, opening, Client::Console, now).await?.0)
}

/// Which client a session is for.
#[derive(Clone, Copy, Debug, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
enum Client {
    /// agentctl: short-lived access tokens and a refresh token that rotates.
    Cli,
    /// The console: one token for the whole session.
    Console,
}

async fn start(
    state: &AppState,
    tx: &mut repo::Transaction,
    employee: &Employee,
    opening: Opening,
    client: Client,
    now: DateTime<Utc>,
) -> Result<(String, Session)> {
    let lifetimes = organizations::get(state, employee.org_id).await?.sessions;
    let ends_at = now + chrono::Duration::hours(i64::from(lifetimes.max_hours)).min(state.config.session_ttl);
    let expires_at = match client {
        Client::Cli => (now + state.config.access_token_ttl).min(ends_at),
        Client::Console => ends_at,
    };
    let access_token = auth::new_secret(auth::SESSION_TOKEN_PREFIX);
    let session = Session {
        id: SessionId::new(),
        org_id: employee.org_id,
        employee_id: employee.id,
        ip_address: opening.ip_address.filter(|ip| ip.len() <= 64),
        device_name: opening.device_name,
        last_used_at: None,
        idle_minutes: lifetimes.idle_minutes,
        expires_at,
        ends_at: Some(ends_at),
        created_at: now,
        revoked_at: None,
    };
    repo::sessions::create(tx, &auth::digest(&access_token), &session)?;
    let login = repo::employees::EmployeeChanges { last_login_at: Some(now), ..Default::default() };
    repo::employees::update(tx, employee, &login, &now)?;
    let method: &'static str = opening.method.into();
    let client: &'static str = client.into();
    crate::domain::log(
        state,
        tx,
        employee.org_id,
        By::employee(employee.id),
        EventType::SessionCreated,
        json!({ "session_id": session.id, "ip_address": session.ip_address, "method": method, "client": client }),
    )?;
    Ok((access_token, session))
}

/// What a failed [`open`] transaction means, past the credential's own guard.
pub(crate) fn opening_error(e: StoreError) -> Error {
    match e {
        StoreError::ConditionFailed(_) => {
            Error::conflict(ProblemCode::ConcurrentUpdate, "the employee changed while signing in; retry")
        }
        e => e.into(),
    }
}

/// Logout: revokes the caller's current session.
pub async fn revoke_current(state: &AppState, caller: &Caller) -> Result<()> {
    let keys = repo::sessions::live_keys(&state.repo, caller.employee_id, Some(caller.session_id)).await?;
    let now = crate::time::now();
    let mut tx = state.repo.transaction();
    for key in &keys {
        repo::sessions::revoke(&mut tx, key, &now);
    }
    telemetry::token::end_with_session(state, &mut tx, caller.session_id).await?;
    crate::domain::log(
        state,
        &mut tx,
        caller.org_id,
        &caller.principal(),
        EventType::SessionRevoked,
        json!({ "session_id": caller.session_id, "reason": "logout" }),
    )?;
    Ok(crate::domain::notify::commit(state, tx).await?)
}

/// The caller's own sessions that are still live, newest first.
pub async fn list_mine(state: &AppState, caller: &Caller, query: &PageQuery) -> Result<Page<Session>> {
    live(state, caller.employee_id, query).await
}

/// An employee's live sessions, for those who manage employees.
pub async fn list_for(
    state: &AppState,
    caller: &Caller,
    employee: EmployeeId,
    query: &PageQuery,
) -> Result<Page<Session>> {
    caller.require(Permission::EmployeesWrite)?;
    employees::find(state, caller.org_id, employee).await?;
    live(state, employee, query).await
}

async fn live(state: &AppState, employee: EmployeeId, query: &PageQuery) -> Result<Page<Session>> {
    let page = repo::sessions::live(&state.repo, employee, &PageRequest::try_from(query)?).await?;
    let now = crate::time::now();
    Ok(Page { items: page.items.into_iter().filter(|s| s.expires_at > now).collect(), next_cursor: page.next_cursor })
}

/// Ends every session of an employee at once (a lost laptop, a leaver before the IdP
/// catches up). An owner's sessions are the owners' to end.
pub async fn revoke_for(state: &AppState, caller: &Caller, employee_id: EmployeeId) -> Result<()> {
    caller.require(Permission::EmployeesWrite)?;
    let employee = employees::find(state, caller.org_id, employee_id).await?;
    require_rights_over(caller, &employee)?;
    // The authorizer refuses every session created until now even if a revocation below
    // were lost; sessions the employee starts afterwards are theirs.
    let keys = repo::sessions::live_keys(&state.repo, employee_id, None).await?;
    let now = crate::time::now();
    let mut tx = state.repo.transaction();
    let changes = repo::employees::EmployeeChanges { sessions_revoked_at: Some(now), ..Default::default() };
    repo::employees::update(&mut tx, &employee, &changes, &now)?;
    let payload = json!({ "employee_id": employee_id, "sessions": keys.len(), "reason": "admin" });
    crate::domain::log(state, &mut tx, caller.org_id, &caller.principal(), EventType::SessionRevoked, payload)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => {
            Error::conflict(ProblemCode::ConcurrentUpdate, "the employee changed meanwhile; retry")
        }
        e => e.into(),
    })?;
    for chunk in keys.chunks(repo::transaction::MAX_ITEMS) {
        let mut tx = state.repo.transaction();
        for key in chunk {
            repo::sessions::revoke(&mut tx, key, &now);
        }
        crate::domain::notify::commit(state, tx).await?;
    }
    Ok(())
}

/// Revokes every live session of an employee (suspension or deactivation by `by`).
pub async fn revoke_all(
    state: &AppState,
    org: OrgId,
    by: By,
    employee: EmployeeId,
    reason: EmployeeStatus,
) -> Result<()> {
    let keys = repo::sessions::live_keys(&state.repo, employee, None).await?;
    let now = crate::time::now();
    for chunk in keys.chunks(repo::transaction::MAX_ITEMS - 1) {
        let mut tx = state.repo.transaction();
        for key in chunk {
            repo::sessions::revoke(&mut tx, key, &now);
        }
        let payload = json!({ "employee_id": employee, "sessions": chunk.len(), "reason": reason.as_str() });
        crate::domain::log(state, &mut tx, org, by, EventType::SessionRevoked, payload)?;
        crate::domain::notify::commit(state, tx).await?;
    }
    Ok(())
}

pub async fn me(state: &AppState, caller: &Caller) -> Result<Me> {
    let employee = employees::find(state, caller.org_id, caller.employee_id).await?;
    let org = organizations::get(state, caller.org_id).await?;
    Ok(Me {
        employee,
        organization: OrganizationSummary { id: org.id, name: org.name, slug: org.slug },
        role: caller.role,
        permissions: caller.permissions.iter().copied().collect(),
        session_id: caller.session_id,
    })
}
