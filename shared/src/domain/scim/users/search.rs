//! Listing and filtering Users: by key where the filter names one (`id`, `userName`,
//! `externalId`), otherwise a window of the organization's employees read in key order.

use super::super::filter::Filter;
use super::super::{ListQuery, ListResponse, Matches, ScimClient, ScimResult, Window};
use super::*;
use crate::AppState;
use crate::domain::employees::Employee;
use crate::ids::{EmployeeId, OrgId};
use crate::pagination::{Cursor, PageRequest};
use crate::repo;

pub async fn list(state: &AppState, client: &ScimClient, query: &ListQuery, base: &str) -> ScimResult<ListResponse> {
    let matches = matching(state, client, query.parsed_filter()?.as_ref(), query.window()?, base).await?;
    Ok(query.answer(matches))
}

/// Employees read per request where a filter is checked against each User.
const FILTERED_PAGE: u32 = 100;
/// Employees read per request where only the window's are needed.
const UNFILTERED_PAGE: usize = 1000;

/// The Users of the organization `filter` matches, oldest first, counted, with those
/// inside `window`. `id eq`, `userName eq` and `externalId eq` are answered by key (a
/// guard or an index); no filter, by the count kept on the organization and a read of
/// the employees up to the window's end; any other filter, by reading the employees a
/// hundred at a time with their overlays.
pub async fn matching(
    state: &AppState,
    client: &ScimClient,
    filter: Option<&Filter>,
    window: Window,
    base: &str,
) -> ScimResult<Matches> {
    let org = client.org_id;
    let mut matches = Matches::new(window);
    if let Some(ids) = candidates(state, org, filter).await? {
        let mut employees = repo::employees::get_many(&state.repo, org, &ids).await?;
        employees.retain(|e| !e.scim_deleted);
        employees.sort_by_key(|e| e.id);
        resources(state, org, &employees, base)
            .await?
            .into_iter()
            .filter(|user| filter.is_none_or(|f| f.matches(user)))
            .for_each(|user| matches.push(user));
        return Ok(matches);
    }
    let Some(filter) = filter else {
        let in_window = employees_in(state, org, window).await?;
        let total = repo::organizations::scim_user_count(&state.repo, org).await? as usize;
        return Ok(Matches { window, total, page: resources(state, org, &in_window, base).await? });
    };
    let mut request = PageRequest::first(FILTERED_PAGE);
    loop {
        let page = repo::employees::scim_users(&state.repo, org, &request).await?;
        for user in resources(state, org, &page.items, base).await? {
            if filter.matches(&user) {
                matches.push(user);
            }
        }
        match page.next_cursor {
            Some(cursor) => request.cursor = Some(Cursor::decode(&cursor).map_err(crate::Error::from)?),
            None => return Ok(matches),
        }
    }
}

/// The employees a filter can only match, found by key (`None`: no such comparison).
async fn candidates(state: &AppState, org: OrgId, filter: Option<&Filter>) -> ScimResult<Option<Vec<EmployeeId>>> {
    let Some(filter) = filter else { return Ok(None) };
    let mut ids = Vec::new();
    if let Some(id) = filter.equals("id") {
        ids.extend(id.parse::<EmployeeId>());
    } else if let Some(name) = filter.equals("username") {
        // A User SCIM never named is named by their email.
        let name = name.to_lowercase();
        ids.extend(repo::scim::user_by_name(&state.repo, org, &name).await?);
        ids.extend(repo::employees::id_by_email(&state.repo, org, &name).await?);
    } else if let Some(external_id) = filter.equals("externalid") {
        ids.extend(repo::scim::users_by_external_id(&state.repo, org, external_id).await?);
    } else {
        return Ok(None);
    }
    ids.sort();
    ids.dedup();
    Ok(Some(ids))
}

/// The Users inside `window` when nothing is filtered: the employees are read in order
/// up to the window's end.
async fn employees_in(state: &AppState, org: OrgId, window: Window) -> ScimResult<Vec<Employee>> {
    let (mut seen, mut in_window) = (0, Vec::new());
    let mut request = PageRequest::first(0);
    while seen < window.reach() {
        request.limit = (window.reach() - seen).min(UNFILTERED_PAGE) as u32;
        let page = repo::employees::scim_users(&state.repo, org, &request).await?;
        for employee in page.items {
            if seen >= window.skipped() && seen < window.reach() {
                in_window.push(employee);
            }
            seen += 1;
        }
        match page.next_cursor {
            Some(cursor) => request.cursor = Some(Cursor::decode(&cursor).map_err(crate::Error::from)?),
            None => break,
        }
    }
    Ok(in_window)
}

/// The Users of these employees, in their order.
async fn resources(state: &AppState, org: OrgId, employees: &[Employee], base: &str) -> ScimResult<Vec<Value>> {
    let ids: Vec<EmployeeId> = employees.iter().map(|e| e.id).collect();
    let overlays = repo::scim::user_overlays_of(&state.repo, org, &ids).await?;
    Ok(employees.iter().map(|e| resource(e, overlays.iter().find(|o| o.employee_id == e.id), base)).collect())
}
