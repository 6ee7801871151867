//! What reaches a person: their team and directory groups, the assignments that target
//! them (through the organization, their team or a group) with who is left out and who
//! still lacks credentials, and the policies attached to them alone.

use std::collections::BTreeMap;

use agentctl_shared::AppState;
use agentctl_shared::domain::assignments::{self, Assigned, AssignmentTarget, Reach};
use agentctl_shared::domain::catalog::{self, CatalogQuery};
use agentctl_shared::domain::employees::Employee;
use agentctl_shared::domain::policies::{self, AttachRequest, PolicyLink, PolicySpec, Target};
use agentctl_shared::domain::teams;
use agentctl_shared::http::Path;
use agentctl_shared::roles::Permission;
use agentctl_shared::{Error, Name, Result};
use agentctl_wire::ids::{AssignmentId, EmployeeId, PolicyId, TeamId};
use agentctl_wire::page::PageQuery;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;

use crate::layout;
use crate::pages::{part, when};
use crate::session::{PageResult, Signed};

/// Team names the person's page shows: the first page of teams to choose from, and the
/// person's own team and groups.
pub struct TeamNames {
    pub choices: Vec<(TeamId, String)>,
    pub groups: Vec<TeamId>,
    names: BTreeMap<TeamId, String>,
}

impl TeamNames {
    pub fn name(&self, team: TeamId) -> String {
        self.names.get(&team).cloned().unwrap_or_else(|| team.to_string())
    }
}

/// The person's page's part about what reaches them.
pub struct Section {
    pub teams: TeamNames,
    pub markup: Markup,
}

pub async fn section(state: &AppState, signed: &Signed, employee: &Employee) -> Result<Section> {
    let caller = &signed.caller;
    let (principal, all) = (caller.principal(), CatalogQuery { limit: Some(100), ..Default::default() });
    let (reach, memberships, choices, attached, attachable) = tokio::try_join!(
        part(assignments::reaching(state, caller, employee.id)),
        part(teams::memberships(state, employee)),
        part(async {
            let first = PageQuery { limit: Some(100), cursor: None };
            let teams = teams::list(state, caller, &first).await?.items;
            Ok(teams.into_iter().map(|t| (t.id, t.name)).collect::<Vec<(TeamId, String)>>())
        }),
        when(caller.can(Permission::PoliciesRead), policies::links(state, &principal, Target::Employee(employee.id))),
        when(caller.can(Permission::PoliciesWrite), catalog::list::<PolicySpec>(state, &principal, &all)),
    )?;
    let attachable = attachable.map(|page| page.items).unwrap_or_default();
    let mut names: BTreeMap<TeamId, String> = choices.iter().cloned().collect();
    let targeted = reach.iter().filter_map(|r| match r.assignment.target {
        AssignmentTarget::Team { team_id } => Some(team_id),
        AssignmentTarget::Organization {} => None,
    });
    let wanted: Vec<TeamId> =
        memberships.team.into_iter().chain(memberships.groups.iter().copied()).chain(targeted).collect();
    for team in wanted {
        if let std::collections::btree_map::Entry::Vacant(slot) = names.entry(team) {
            slot.insert(teams::get(state, caller, team).await?.name);
        }
    }
    let teams = TeamNames { choices, groups: memberships.groups.into_iter().collect(), names };
    let markup = html! {
        (assignment_table(signed, employee.id, &reach, &teams))
        @if let Some(attached) = attached {
            (own_policies(signed, employee.id, &attached, &attachable))
        }
    };
    Ok(Section { teams, markup })
}

fn assignment_table(signed: &Signed, employee: EmployeeId, reach: &[Reach], teams: &TeamNames) -> Markup {
    let may_write = signed.caller.can(Permission::EmployeesWrite);
    html! {
        h2 { "Assignments" }
        @if reach.is_empty() {
            p.muted { "No assignment targets them." }
        } @else {
            table {
                thead { tr { th { "Assigned" } th { "Through" } th { "For them" } @if may_write { th { span.skip { "Change" } } } } }
                tbody {
                    @for r in reach {
                        @let a = &r.assignment;
                        tr {
                            td {
                                @match a.item { Assigned::Agent { .. } => "Agent ", Assigned::McpServer { .. } => "MCP server " }
                                (a.name)
                            }
                            td {
                                @match a.target {
                                    AssignmentTarget::Organization {} => "the organization",
                                    AssignmentTarget::Team { team_id } => { "team " (teams.name(team_id)) },
                                }
                            }
                            td {
                                @if r.excluded { span.muted { "left out" } }
                                @else if r.lacks_credentials { span.state-warn { "waits for their credentials" } }
                                @else { span.state-ok { "reaches them" } }
                            }
                            @if may_write {
                                td {
                                    form.inline method="post" action=(format!("/console/people/{employee}/assignments/{}", a.id)) {
                                        (layout::csrf(signed))
                                        input type="hidden" name="excluded" value=(if r.excluded { "no" } else { "yes" });
                                        button.secondary type="submit" {
                                            @if r.excluded { "Include again" } @else { "Leave out" }
                                            span.skip { " " (a.name) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn own_policies(
    signed: &Signed,
    employee: EmployeeId,
    attached: &[PolicyLink],
    attachable: &[catalog::Entry<PolicySpec>],
) -> Markup {
    let may_write = signed.caller.can(Permission::PoliciesWrite);
    html! {
        h2 { "Policies attached to them" }
        @if attached.is_empty() {
            p.muted { "None: what applies comes from the organization, their teams and agents." }
        } @else {
            ul {
                @for link in attached {
                    li {
                        a href=(format!("/console/policies/{}", link.policy_id)) { (link.policy_name) }
                        @if may_write {
                            " "
                            form.inline method="post" action=(format!("/console/people/{employee}/policies/{}/detach", link.policy_id)) {
                                (layout::csrf(signed))
                                button.secondary type="submit" { "Detach" span.skip { " " (link.policy_name) } }
                            }
                        }
                    }
                }
            }
        }
        @if may_write && !attachable.is_empty() {
            form.actions method="post" action=(format!("/console/people/{employee}/policies")) {
                (layout::csrf(signed))
                div {
                    label for="policy_id" { "Attach a policy to them alone" }
                    select id="policy_id" name="policy_id" {
                        @for policy in attachable {
                            option value=(policy.id) { (policy.name) " (" (policy.spec.policy_type.as_str()) ")" }
                        }
                    }
                }
                button type="submit" { "Attach" }
            }
        }
    }
}

fn back(employee: EmployeeId) -> axum::response::Response {
    Redirect::to(&format!("/console/people/{employee}")).into_response()
}

#[derive(Deserialize)]
pub struct Exclusion {
    excluded: String,
    /// `assignment`: back to the assignment's page rather than the person's.
    back: Option<String>,
}

/// `POST /console/people/{employee_id}/assignments/{assignment_id}`: leaves the person
/// out of an assignment (`excluded=yes`) or takes them back in.
pub async fn exclude(
    State(state): State<AppState>,
    signed: Signed,
    Path((employee, assignment)): Path<(EmployeeId, AssignmentId)>,
    form: std::result::Result<Form<Exclusion>, FormRejection>,
) -> PageResult {
    let excluded = match form.as_ref().map(|f| f.excluded.as_str()) {
        Ok("yes") => true,
        Ok("no") => false,
        _ => return Err(Error::invalid("excluded", "yes or no").into()),
    };
    // The person must be of the organization: excluding an unknown id is a 404.
    agentctl_shared::domain::employees::get(&state, &signed.caller, employee).await?;
    assignments::set_excluded(&state, &signed.caller, assignment, employee, excluded).await?;
    if form.is_ok_and(|Form(f)| f.back.as_deref() == Some("assignment")) {
        return Ok(Redirect::to(&format!("/console/assignments/{assignment}")).into_response());
    }
    Ok(back(employee))
}

#[derive(Deserialize)]
pub struct Attach {
    policy_id: PolicyId,
}

/// `POST /console/people/{employee_id}/policies`.
pub async fn attach_policy(
    State(state): State<AppState>,
    signed: Signed,
    Path(employee): Path<EmployeeId>,
    form: std::result::Result<Form<Attach>, FormRejection>,
) -> PageResult {
    let Ok(Form(form)) = form else { return Err(Error::invalid("policy_id", "choose a policy").into()) };
    let target = Target::Employee(employee);
    policies::attach(&state, &signed.caller.principal(), target, form.policy_id, AttachRequest::default()).await?;
    Ok(back(employee))
}

/// `POST /console/people/{employee_id}/policies/{policy_id}/detach`.
pub async fn detach_policy(
    State(state): State<AppState>,
    signed: Signed,
    Path((employee, policy)): Path<(EmployeeId, PolicyId)>,
) -> PageResult {
    policies::detach(&state, &signed.caller.principal(), Target::Employee(employee), policy).await?;
    Ok(back(employee))
}
