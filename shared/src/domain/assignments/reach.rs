//! What the assignments mean for one person: which reach them (through the organization,
//! their team or a directory group), which leave them out, and which still wait for
//! credentials only they can give.

use std::collections::BTreeMap;

use super::*;
use crate::domain::employees;
use crate::domain::teams::Memberships;
use crate::ids::McpServerId;

/// One of the organization's assignments as it stands for one person.
#[derive(Clone, Debug)]
pub struct Reach {
    pub assignment: Assignment,
    /// Targeted at them, but they are left out.
    pub excluded: bool,
    /// An MCP server whose credentials are required, without the organization's shared
    /// ones or their own: it reaches them as `needs_credentials`.
    pub lacks_credentials: bool,
}

/// Every assignment that targets `employee_id` (the organization, their team, a group of
/// theirs), excluded or not: their partition (groups, own credentials) and the
/// organization's sync set, plus one read per distinct assigned MCP server.
pub async fn reaching(state: &AppState, caller: &Caller, employee_id: EmployeeId) -> Result<Vec<Reach>> {
    caller.require(Permission::EmployeesRead)?;
    let org = caller.org_id;
    let employee = employees::find(state, org, employee_id).await?;
    let partition = repo::configs::read_partition(&state.repo, org, employee_id).await?;
    let memberships = Memberships { team: employee.team_id, groups: partition.groups.clone() };
    let (set, _) = repo::syncsets::org_and_platform(&state.repo, org).await?;
    let targeted: Vec<Assignment> = set
        .assignments
        .into_values()
        .filter(|a| match a.target {
            AssignmentTarget::Organization {} => true,
            AssignmentTarget::Team { team_id } => memberships.contains(team_id),
        })
        .collect();
    let mut needs_credentials = BTreeMap::<McpServerId, bool>::new();
    for assignment in &targeted {
        if let Assigned::McpServer { server_id, .. } = assignment.item
            && !needs_credentials.contains_key(&server_id)
        {
            let server = catalog::visible_to::<McpServerSpec>(state, Some(org), server_id).await?;
            needs_credentials.insert(server_id, server.spec.requires_credentials);
        }
    }
    Ok(targeted
        .into_iter()
        .map(|assignment| {
            let required = match assignment.item {
                Assigned::McpServer { server_id, .. } => needs_credentials.get(&server_id).copied().unwrap_or(false),
                Assigned::Agent { .. } => false,
            };
            Reach {
                excluded: assignment.excluded_employee_ids.contains(&employee_id),
                lacks_credentials: required
                    && !assignment.shared_credentials
                    && !partition.assignment_credentials.contains_key(&assignment.id),
                assignment,
            }
        })
        .collect())
}

/// Leaves `employee_id` out of an assignment, or takes them back in.
pub async fn set_excluded(
    state: &AppState,
    caller: &Caller,
    id: AssignmentId,
    employee_id: EmployeeId,
    excluded: bool,
) -> Result<Assignment> {
    caller.require(Permission::EmployeesWrite)?;
    let before = find(state, caller.org_id, id).await?;
    let mut ids: Vec<EmployeeId> = before.excluded_employee_ids.iter().copied().filter(|e| *e != employee_id).collect();
    if excluded {
        ids.push(employee_id);
    }
    // Written on condition that no one changed the list meanwhile (a conflict to retry).
    apply_patch(state, caller, before, AssignmentPatch { excluded_employee_ids: Some(ids), ..Default::default() }).await
}

/// One person an assignment targets, as its page lists them.
#[derive(Clone, Debug)]
pub struct Holder {
    pub employee: employees::Employee,
    pub excluded: bool,
    /// They set their own credentials for it.
    pub own_credentials: bool,
}

/// The people an assignment targets, a page at a time: everyone for the organization's,
/// those whose team it is for a team's (the members of a directory group with another
/// team of their own are on their own pages), each with whether they left it or set
/// their own credentials.
pub async fn holders(
    state: &AppState,
    caller: &Caller,
    id: AssignmentId,
    query: &PageQuery,
) -> Result<(Assignment, Page<Holder>)> {
    caller.require(Permission::EmployeesRead)?;
    let org = caller.org_id;
    let assignment = find(state, org, id).await?;
    let team = match assignment.target {
        AssignmentTarget::Organization {} => None,
        AssignmentTarget::Team { team_id } => Some(team_id),
    };
    let listed = employees::list(
        state,
        caller,
        employees::EmployeeQuery {
            team_id: team,
            limit: query.limit,
            cursor: query.cursor.clone(),
            ..Default::default()
        },
    )
    .await?;
    let ids: Vec<EmployeeId> = listed.items.iter().map(|e| e.id).collect();
    let with_credentials = match assignment.item {
        Assigned::McpServer { .. } => repo::assignments::with_own_credentials(&state.repo, org, &ids, id).await?,
        Assigned::Agent { .. } => Vec::new(),
    };
    let page = Page {
        items: listed
            .items
            .into_iter()
            .map(|employee| Holder {
                excluded: assignment.excluded_employee_ids.contains(&employee.id),
                own_credentials: with_credentials.contains(&employee.id),
                employee,
            })
            .collect(),
        next_cursor: listed.next_cursor,
    };
    Ok((assignment, page))
}
