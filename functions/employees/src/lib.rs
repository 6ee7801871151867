//! The employees function: the organization's employees and their enrollment codes.

use agentctl_shared::auth::Caller;
use agentctl_shared::domain::employees::{self, Employee, EmployeePatch, EmployeeQuery, NewEmployee};
use agentctl_shared::domain::identity::{LinkView, links};
use agentctl_shared::domain::sessions::{self, EnrollmentCode, Session};
use agentctl_shared::http::openapi::Problems;
use agentctl_shared::http::{Json, Path, Query};
use agentctl_shared::ids::{EmployeeId, IdentityLinkId};
use agentctl_shared::pagination::{Page, PageQuery};
use agentctl_shared::{AppState, Result};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_employee, list_employees))
        .routes(routes!(get_employee, update_employee, delete_employee))
        .routes(routes!(issue_enrollment_code))
        .routes(routes!(list_employee_sessions, revoke_employee_sessions))
        .routes(routes!(list_identity_links))
        .routes(routes!(remove_identity_link))
}

/// Add an employee (takes a seat).
#[utoipa::path(post, path = "/v1/employees", tag = "employees", request_body = NewEmployee,
    responses((status = 201, body = Employee), Problems), security(("session" = [])))]
async fn create_employee(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewEmployee>,
) -> Result<(StatusCode, Json<Employee>)> {
    Ok((StatusCode::CREATED, Json(employees::create(&state, &caller, body).await?)))
}

/// List employees, optionally of one team, status or role.
#[utoipa::path(get, path = "/v1/employees", tag = "employees", params(EmployeeQuery),
    responses((status = 200, body = Page<Employee>), Problems), security(("session" = [])))]
async fn list_employees(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<EmployeeQuery>,
) -> Result<Json<Page<Employee>>> {
    Ok(Json(employees::list(&state, &caller, query).await?))
}

/// Read an employee.
#[utoipa::path(get, path = "/v1/employees/{employee_id}", tag = "employees", params(("employee_id" = EmployeeId, Path)),
    responses((status = 200, body = Employee), Problems), security(("session" = [])))]
async fn get_employee(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EmployeeId>,
) -> Result<Json<Employee>> {
    Ok(Json(employees::get(&state, &caller, id).await?))
}

/// Change an employee: details, team, role, status (deactivation revokes their sessions).
#[utoipa::path(patch, path = "/v1/employees/{employee_id}", tag = "employees", params(("employee_id" = EmployeeId, Path)),
    request_body = EmployeePatch, responses((status = 200, body = Employee), Problems), security(("session" = [])))]
async fn update_employee(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EmployeeId>,
    Json(body): Json<EmployeePatch>,
) -> Result<Json<Employee>> {
    Ok(Json(employees::update(&state, &caller, id, body).await?))
}

/// Delete a deactivated employee.
#[utoipa::path(delete, path = "/v1/employees/{employee_id}", tag = "employees", params(("employee_id" = EmployeeId, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn delete_employee(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EmployeeId>,
) -> Result<StatusCode> {
    employees::delete(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issue a one-time enrollment code with which the employee logs in. Shown once.
#[utoipa::path(post, path = "/v1/employees/{employee_id}/enrollment-codes", tag = "employees",
    params(("employee_id" = EmployeeId, Path)),
    responses((status = 201, body = EnrollmentCode), Problems), security(("session" = [])))]
async fn issue_enrollment_code(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EmployeeId>,
) -> Result<(StatusCode, Json<EnrollmentCode>)> {
    Ok((StatusCode::CREATED, Json(sessions::issue_enrollment(&state, &caller, id).await?)))
}

/// An employee's live sessions (device, address, created, last used), newest first.
#[utoipa::path(get, path = "/v1/employees/{employee_id}/sessions", tag = "employees",
    params(("employee_id" = EmployeeId, Path), PageQuery),
    responses((status = 200, body = Page<Session>), Problems), security(("session" = [])))]
async fn list_employee_sessions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EmployeeId>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<Session>>> {
    Ok(Json(sessions::list_for(&state, &caller, id, &query).await?))
}

/// End every session of an employee at once (they sign in again to continue).
#[utoipa::path(delete, path = "/v1/employees/{employee_id}/sessions", tag = "employees",
    params(("employee_id" = EmployeeId, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn revoke_employee_sessions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EmployeeId>,
) -> Result<StatusCode> {
    sessions::revoke_for(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The people of the identity provider linked to an employee (one per issuer).
#[utoipa::path(get, path = "/v1/employees/{employee_id}/identity-links", tag = "employees",
    params(("employee_id" = EmployeeId, Path)),
    responses((status = 200, body = Page<LinkView>), Problems), security(("session" = [])))]
async fn list_identity_links(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EmployeeId>,
) -> Result<Json<Page<LinkView>>> {
    Ok(Json(links::list(&state, &caller, id).await?))
}

/// Remove an identity link: that person no longer signs in as the employee (audited).
#[utoipa::path(delete, path = "/v1/employees/{employee_id}/identity-links/{link_id}", tag = "employees",
    params(("employee_id" = EmployeeId, Path), ("link_id" = IdentityLinkId, Path)),
    responses((status = 204), Problems), security(("session" = [])))]
async fn remove_identity_link(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, link)): Path<(EmployeeId, IdentityLinkId)>,
) -> Result<StatusCode> {
    links::remove(&state, &caller, id, link).await?;
    Ok(StatusCode::NO_CONTENT)
}
