//! Policies: the catalog's policies (the organization's own, editable; the platform's
//! global ones, read-only), an editor per policy type whose fields are the type's rules,
//! what each client enforces of a type, and where the organization attached a policy: the
//! whole organization, teams (each with the rule fields it overrides for its members) and
//! agents. Employee attachments are made on a person's page.

mod rules;

use agentctl_shared::AppState;
use agentctl_shared::auth::Caller;
use agentctl_shared::domain::catalog::{self, CatalogQuery};
use agentctl_shared::domain::policies::{self, AttachRequest, Placement, PolicySpec, Target};
use agentctl_shared::domain::teams;
use agentctl_shared::http::Path;
use agentctl_shared::http::problem::{self, Problem};
use agentctl_shared::roles::Permission;
use agentctl_shared::{Error, Name, Result};
use agentctl_wire::catalog::AgentSpec;
use agentctl_wire::ids::{AgentId, PolicyId, TeamId};
use agentctl_wire::page::PageQuery;
use agentctl_wire::policy::PolicyType;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rules::{editor, new_policy, policy_type_of, rule_inputs, rules_of};
use serde::Deserialize;
use serde_json::Value;
use strum::VariantArray;

use crate::forms::Submitted;
use crate::layout::{self, Section};
use crate::session::{PageResult, Params, Signed};

#[derive(Default, Deserialize)]
pub struct ListQuery {
    #[serde(rename = "type")]
    policy_type: Option<PolicyType>,
    cursor: Option<String>,
}

/// `GET /console/policies`.
pub async fn list(State(state): State<AppState>, signed: Signed, Params(query): Params<ListQuery>) -> PageResult {
    let caller = &signed.caller;
    caller.require(Permission::PoliciesRead)?;
    let catalog_query = CatalogQuery {
        policy_type: query.policy_type.map(|t| t.as_str().to_string()),
        cursor: query.cursor,
        limit: Some(50),
        ..Default::default()
    };
    let page = catalog::list::<PolicySpec>(&state, &caller.principal(), &catalog_query).await?;
    let filters: Vec<(&str, String)> =
        query.policy_type.map(|t| ("type", t.as_str().to_string())).into_iter().collect();
    let body = html! {
        form.actions method="get" action="/console/policies" {
            div {
                label for="type" { "Type" }
                (type_select("type", query.policy_type, true))
            }
            button type="submit" { "Filter" }
        }
        @if caller.can(Permission::PoliciesWrite) {
            form.actions method="get" action="/console/policies/new" {
                div {
                    label for="new-type" { "New policy of type" }
                    (type_select("new-type", None, false))
                }
                button type="submit" { "Write a policy" }
            }
        }
        table {
            thead { tr { th { "Name" } th { "Type" } th { "Severity" } th { "Owner" } th { "Used by" } } }
            tbody {
                @for policy in &page.items {
                    tr {
                        td { a href=(format!("/console/policies/{}", policy.id)) { (policy.name) } }
                        td { (policy.spec.policy_type.as_str()) }
                        td { (policy.spec.severity.as_str()) }
                        td { @if policy.org_id.is_some() { "this organization" } @else { "the platform" } }
                        td { (policy.ref_count.map_or_else(|| "—".to_string(), |n| format!("{n} attachment(s)"))) }
                    }
                }
            }
        }
        (layout::pager("/console/policies", &filters, page.next_cursor.as_deref()))
    };
    Ok(layout::page(&signed, Section::Policies, "Policies", body).into_response())
}

/// A select of the policy types, with the id `id`.
fn type_select(id: &str, selected: Option<PolicyType>, any: bool) -> Markup {
    html! {
        select id=(id) name="type" {
            @if any { option value="" { "Any" } }
            @for t in PolicyType::VARIANTS {
                option value=(t.as_str()) selected[selected == Some(*t)] { (t.as_str()) }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct NewQuery {
    #[serde(rename = "type")]
    policy_type: PolicyType,
}

/// `GET /console/policies/new?type=`: the editor of a new policy of that type.
pub async fn new(State(_): State<AppState>, signed: Signed, Params(query): Params<NewQuery>) -> PageResult {
    signed.caller.require(Permission::PoliciesWrite)?;
    Ok(new_page(&signed, query.policy_type, None, None))
}

fn new_page(signed: &Signed, policy_type: PolicyType, form: Option<&Submitted>, problem: Option<&Problem>) -> Response {
    let body = html! {
        p { "A " strong { (policy_type.as_str()) } " policy. Attach it once created." }
        (editor(signed, "/console/policies", policy_type, None, form, problem))
    };
    let status = problem.map_or(StatusCode::OK, problem::status);
    (status, layout::page(signed, Section::Policies, "New policy", body)).into_response()
}

/// Whether the domain's answer is a problem the form shows.
fn form_problem(e: &Error) -> bool {
    matches!(e, Error::Validation(_) | Error::Conflict { .. } | Error::BadRequest(_))
}

/// `POST /console/policies`.
pub async fn create(State(state): State<AppState>, signed: Signed, form: Submitted) -> PageResult {
    let policy_type = policy_type_of(&form)?;
    let created = match new_policy(&form, policy_type) {
        Ok(new) => catalog::create::<PolicySpec>(&state, &signed.caller.principal(), new).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(policy) => Ok(Redirect::to(&format!("/console/policies/{}", policy.id)).into_response()),
        Err(e) if form_problem(&e) => Ok(new_page(&signed, policy_type, Some(&form), Some(&e.report()))),
        Err(e) => Err(e.into()),
    }
}

/// What a form on a policy's page just did wrong, and which form.
struct Refusal<'a> {
    form: &'static str,
    problem: Problem,
    submitted: &'a Submitted,
}

/// `GET /console/policies/{policy_id}`.
pub async fn show(State(state): State<AppState>, signed: Signed, Path(id): Path<PolicyId>) -> PageResult {
    render(&state, &signed, id, None).await
}

async fn render(state: &AppState, signed: &Signed, id: PolicyId, refusal: Option<Refusal<'_>>) -> PageResult {
    let caller = &signed.caller;
    caller.require(Permission::PoliciesRead)?;
    let policy = catalog::get::<PolicySpec>(state, &caller.principal(), id).await?;
    let placement = policies::placement(state, caller, id).await?;
    let may_write = caller.can(Permission::PoliciesWrite);
    let editable = may_write && policy.org_id.is_some();
    let problem_of = |form: &str| refusal.as_ref().filter(|r| r.form == form).map(|r| &r.problem);
    let submitted_to = |form: &str| refusal.as_ref().filter(|r| r.form == form).map(|r| r.submitted);
    let teams = teams::list(state, caller, &PageQuery { limit: Some(100), cursor: None }).await?.items;
    let team_name =
        |team: TeamId| teams.iter().find(|t| t.id == team).map_or_else(|| team.to_string(), |t| t.name.clone());
    let agents = catalog::list::<AgentSpec>(
        state,
        &caller.principal(),
        &CatalogQuery { limit: Some(100), ..Default::default() },
    )
    .await?
    .items;
    let agent_name =
        |agent: AgentId| agents.iter().find(|a| a.id == agent).map_or_else(|| agent.to_string(), |a| a.name.clone());
    let enforcement = policy
        .spec
        .enforcement
        .clone()
        .unwrap_or_else(|| agentctl_shared::policy::enforcement::enforcement(policy.spec.policy_type));
    let policy_type = policy.spec.policy_type;
    let base = format!("/console/policies/{id}");
    let status = refusal.as_ref().map_or(StatusCode::OK, |r| problem::status(&r.problem));
    let body = html! {
        dl.facts {
            dt { "Type" } dd { (policy_type.as_str()) }
            dt { "When a rule matches" } dd { (policy.spec.severity.as_str()) }
            dt { "Owner" } dd { @if policy.org_id.is_some() { "this organization" } @else { "the platform (read-only here)" } }
            @if !policy.description.is_empty() { dt { "Description" } dd { (policy.description) } }
            dt { "Rules" } dd.mono { (policy.spec.rules.to_string()) }
        }
        section.card aria-labelledby="enforced" {
            h2 id="enforced" { "Who enforces it" }
            p { (enforcement.note) }
            (layout::enforcement(&enforcement))
        }
        section.card aria-labelledby="where" {
            h2 id="where" { "Where it applies" }
            @if let Some(problem) = problem_of("attach") { (layout::problem_box(problem)) }
            (placement_table(signed, &base, &placement, may_write, &team_name, &agent_name))
            @if may_write {
                @if !placement.org {
                    form.inline method="post" action=(format!("{base}/attach")) {
                        (layout::csrf(signed))
                        input type="hidden" name="level" value="org";
                        button type="submit" { "Apply to the whole organization" }
                    }
                }
                h3 { "Attach to a team" }
                p.muted { "Fields left empty keep the policy's own rules for the team; those filled in replace them for its members." }
                form.stack method="post" action=(format!("{base}/attach")) {
                    (layout::csrf(signed))
                    input type="hidden" name="level" value="team";
                    label for="team_id" { "Team" }
                    select id="team_id" name="team_id" required {
                        @for team in &teams { option value=(team.id) { (team.name) } }
                    }
                    (rule_inputs(policy_type, &submitted_to("attach").map(|f| rules_of(policy_type, f, true).unwrap_or_default()).unwrap_or_default(), problem_of("attach"), "override-", true))
                    div.actions { button type="submit" { "Attach to the team" } }
                }
                h3 { "Attach to an agent" }
                form.actions method="post" action=(format!("{base}/attach")) {
                    (layout::csrf(signed))
                    input type="hidden" name="level" value="agent";
                    div {
                        label for="agent_id" { "Agent" }
                        select id="agent_id" name="agent_id" required {
                            @for agent in &agents { option value=(agent.id) { (agent.name) } }
                        }
                    }
                    button type="submit" { "Attach to the agent" }
                }
            }
        }
        @if editable {
            section.card aria-labelledby="edit" {
                h2 id="edit" { "Edit" }
                (editor(signed, &base, policy_type, Some(&policy), submitted_to("edit"), problem_of("edit")))
            }
            section.card aria-labelledby="delete" {
                h2 id="delete" { "Delete" }
                @if let Some(problem) = problem_of("delete") { (layout::problem_box(problem)) }
                p { "A policy still attached somewhere cannot be deleted: detach it first." }
                form.inline method="post" action=(format!("{base}/delete")) {
                    (layout::csrf(signed))
                    button.secondary type="submit" { "Delete the policy " (policy.name) }
                }
            }
        }
    };
    Ok((status, layout::page(signed, Section::Policies, &policy.name, body)).into_response())
}

fn placement_table(
    signed: &Signed,
    base: &str,
    placement: &Placement,
    may_write: bool,
    team_name: &dyn Fn(TeamId) -> String,
    agent_name: &dyn Fn(AgentId) -> String,
) -> Markup {
    let detach = |level: &str, target: Option<String>, label: String| {
        html! {
            @if may_write {
                form.inline method="post" action=(format!("{base}/detach")) {
                    (layout::csrf(signed))
                    input type="hidden" name="level" value=(level);
                    @if let Some(target) = target { input type="hidden" name="target_id" value=(target); }
                    button.secondary type="submit" { "Detach" span.skip { " from " (label) } }
                }
            }
        }
    };
    html! {
        @if !placement.org && placement.teams.is_empty() && placement.agents.is_empty() {
            p.muted { "Not attached to the organization, a team or an agent." }
        } @else {
            table {
                thead { tr { th { "Attached to" } th { "Overrides" } th { span.skip { "Detach" } } } }
                tbody {
                    @if placement.org {
                        tr { td { "The whole organization" } td { "—" } td { (detach("org", None, "the organization".into())) } }
                    }
                    @for (team, overrides) in &placement.teams {
                        @let name = team_name(*team);
                        tr {
                            td { "Team " a href=(format!("/console/teams/{team}")) { (name) } }
                            td.mono { (overrides.as_ref().map_or_else(|| "—".to_string(), Value::to_string)) }
                            td { (detach("team", Some(team.to_string()), format!("the team {name}"))) }
                        }
                    }
                    @for agent in &placement.agents {
                        @let name = agent_name(*agent);
                        tr { td { "Agent " (name) } td { "—" } td { (detach("agent", Some(agent.to_string()), format!("the agent {name}"))) } }
                    }
                }
            }
        }
    }
}

/// The attachment target a form names.
fn target_of(form: &Submitted, id_field: &str) -> Result<Target> {
    let missing = || Error::invalid(id_field, "choose one");
    let id = |id_field| form.get(id_field).ok_or_else(missing);
    match form.get("level") {
        Some("org") => Ok(Target::Org),
        Some("team") => id(id_field)?.parse().map(Target::Team).map_err(|_| missing()),
        Some("agent") => id(id_field)?.parse().map(Target::Agent).map_err(|_| missing()),
        _ => Err(Error::invalid("level", "the organization, a team or an agent")),
    }
}

/// `POST /console/policies/{policy_id}`.
pub async fn edit(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<PolicyId>,
    form: Submitted,
) -> PageResult {
    let result = match policy_type_of(&form).and_then(|t| new_policy(&form, t)) {
        Ok(new) => {
            let patch = serde_json::json!({
                "name": new.name, "description": new.description, "severity": new.severity, "rules": new.rules,
            });
            // A merge patch would merge the rules' fields; the form gives them all.
            catalog::update::<PolicySpec>(&state, &signed.caller.principal(), id, patch).await.map(drop)
        }
        Err(e) => Err(e),
    };
    done(&state, &signed, id, "edit", &form, result).await
}

/// `POST /console/policies/{policy_id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<PolicyId>,
    form: Submitted,
) -> PageResult {
    match catalog::delete::<PolicySpec>(&state, &signed.caller.principal(), id).await {
        Ok(()) => Ok(Redirect::to("/console/policies").into_response()),
        Err(e) => done(&state, &signed, id, "delete", &form, Err(e)).await,
    }
}

/// `POST /console/policies/{policy_id}/attach`: to the organization, a team (with the
/// rule fields it overrides) or an agent.
pub async fn attach(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<PolicyId>,
    form: Submitted,
) -> PageResult {
    let result = attach_as(&state, &signed.caller, id, &form).await;
    done(&state, &signed, id, "attach", &form, result).await
}

async fn attach_as(state: &AppState, caller: &Caller, id: PolicyId, form: &Submitted) -> Result<()> {
    let target = target_of(form, if form.get("level") == Some("agent") { "agent_id" } else { "team_id" })?;
    let overrides = match target {
        Target::Team(_) => {
            let policy = catalog::get::<PolicySpec>(state, &caller.principal(), id).await?;
            Some(rules_of(policy.spec.policy_type, form, true)?)
                .filter(|o| o.as_object().is_some_and(|o| !o.is_empty()))
        }
        _ => None,
    };
    policies::attach(state, &caller.principal(), target, id, AttachRequest { overrides }).await.map(drop)
}

/// `POST /console/policies/{policy_id}/detach`.
pub async fn detach(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<PolicyId>,
    form: Submitted,
) -> PageResult {
    let result = match target_of(&form, "target_id") {
        Ok(target) => policies::detach(&state, &signed.caller.principal(), target, id).await,
        Err(e) => Err(e),
    };
    done(&state, &signed, id, "attach", &form, result).await
}

/// Back to the policy's page, or the page again with the problem beside `form`.
async fn done(
    state: &AppState,
    signed: &Signed,
    id: PolicyId,
    form: &'static str,
    submitted: &Submitted,
    result: Result<()>,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/console/policies/{id}")).into_response()),
        Err(e) if form_problem(&e) => {
            render(state, signed, id, Some(Refusal { form, problem: e.report(), submitted })).await
        }
        Err(e) => Err(e.into()),
    }
}
