//! The organization's own settings: its name and limits (seats and agents per person,
//! set by the platform, shown), how long sessions last, what exceeding a budget or spend
//! cap does, whether sync wires telemetry; who approves each kind of request; where the
//! spend caps are.

use agentctl_shared::AppState;
use agentctl_shared::domain::catalog::{self, CatalogQuery};
use agentctl_shared::domain::organizations::{self, Organization, OrganizationPatch};
use agentctl_shared::domain::policies::PolicySpec;
use agentctl_shared::domain::requests::{ApprovalRules, MAX_STEPS, RULES_SETTING};
use agentctl_shared::http::PublicUrl;
use agentctl_shared::roles::Permission;
use agentctl_shared::{Error, Name, Result};
use agentctl_wire::organizations::{BudgetAction, SessionLifetimes, Telemetry};
use agentctl_wire::policy::PolicyType;
use agentctl_wire::requests::RequestType;
use agentctl_wire::roles::RoleName;
use axum::extract::State;
use maud::{Markup, html};
use serde_json::{Map, Value};
use strum::VariantArray;

use super::{back, refused};
use crate::forms::Submitted;
use crate::layout;
use crate::pages::{part, when};
use crate::session::{PageResult, Signed};

/// The organization's cards of the settings page.
pub async fn cards(
    state: &AppState,
    signed: &Signed,
    problem_of: &(dyn Fn(&str) -> Option<Markup> + Sync),
) -> Result<Markup> {
    let caller = &signed.caller;
    let may_write = caller.can(Permission::OrgWrite);
    let spend_caps =
        CatalogQuery { policy_type: Some(PolicyType::SpendCap.as_str().into()), limit: Some(20), ..Default::default() };
    let principal = caller.principal();
    let (org, caps) = tokio::try_join!(
        part(organizations::get_own(state, caller)),
        when(caller.can(Permission::PoliciesRead), catalog::list::<PolicySpec>(state, &principal, &spend_caps)),
    )?;
    let caps = caps.map(|page| page.items);
    Ok(html! {
        section.card aria-labelledby="organization" {
            h2 id="organization" { "Organization" }
            @if let Some(problem) = problem_of("organization") { (problem) }
            dl.facts {
                dt { "Plan" } dd { (org.plan.as_str()) }
                dt { "Seats" } dd { (org.employee_count) " used of " (org.max_employees) }
                dt { "Agents per person" } dd { "at most " (org.max_agents_per_employee) }
            }
            p.muted { "The plan and its limits are set by the platform operator." }
            @if may_write { (organization_form(signed, &org)) } @else {
                dl.facts {
                    dt { "Name" } dd { (org.name) }
                    dt { "Over budget or spend cap" } dd { (org.budget_action.as_str()) }
                    dt { "Usage telemetry" } dd { (org.telemetry.as_str()) }
                }
            }
        }
        section.card aria-labelledby="approval-rules" {
            h2 id="approval-rules" { "Who approves requests" }
            @if let Some(problem) = problem_of("approval_rules") { (problem) }
            (approval_rules(signed, &org, may_write))
        }
        @if let Some(caps) = caps {
            section.card aria-labelledby="spend-caps" {
                h2 id="spend-caps" { "Spend caps per person" }
                @if caps.is_empty() {
                    p.muted { "No spend cap policy. " }
                } @else {
                    ul { @for cap in &caps { li { a href=(format!("/console/policies/{}", cap.id)) { (cap.name) } ": $" (cap.spec.rules["monthly_usd"].as_str().unwrap_or_default()) " a month" } } }
                }
                @if caller.can(Permission::PoliciesWrite) {
                    p { a href="/console/policies/new?type=spend_cap" { "Write a spend cap" } ", then attach it to the organization, a team or a person." }
                }
            }
        }
    })
}

fn organization_form(signed: &Signed, org: &Organization) -> Markup {
    html! {
        form.stack method="post" action="/console/settings/organization" {
            (layout::csrf(signed))
            label for="org_name" { "Name" }
            input id="org_name" name="name" required size="40" value=(org.name);
            label for="max_hours" { "Sessions end after this many hours, however active (1 to 8760)" }
            input id="max_hours" name="max_hours" inputmode="numeric" required value=(org.sessions.max_hours);
            label for="idle_minutes" { "…or after this many idle minutes (15 to 43200; empty: no idle limit)" }
            input id="idle_minutes" name="idle_minutes" inputmode="numeric" value=[org.sessions.idle_minutes];
            label for="budget_action" { "When a budget or spend cap is exceeded" }
            select id="budget_action" name="budget_action" {
                @for action in BudgetAction::VARIANTS {
                    option value=(action.as_str()) selected[*action == org.budget_action] {
                        @match action {
                            BudgetAction::Notify => "notify: record it and tell",
                            BudgetAction::Pause => "pause: also take the managed agents away until more is approved",
                        }
                    }
                }
            }
            label for="telemetry" { "Usage telemetry" }
            select id="telemetry" name="telemetry" {
                @for telemetry in Telemetry::VARIANTS {
                    option value=(telemetry.as_str()) selected[*telemetry == org.telemetry] {
                        @match telemetry {
                            Telemetry::On => "on: sync wires the tools' telemetry to agentctl",
                            Telemetry::Off => "off: sync removes the wiring, nothing is counted",
                        }
                    }
                }
            }
            div.actions { button type="submit" { "Save the organization" } }
        }
    }
}

/// The name of the checkbox of `role` in approval `step` of `kind`.
fn step_field(kind: RequestType, step: usize) -> String {
    format!("approval.{}.{step}", kind.as_str())
}

fn approval_rules(signed: &Signed, org: &Organization, may_write: bool) -> Markup {
    let rules = ApprovalRules::from_settings(&org.settings).unwrap_or_else(|_| ApprovalRules::defaults());
    let customized = |kind: RequestType| org.settings.get(RULES_SETTING).and_then(|r| r.get(kind.as_str())).is_some();
    html! {
        p { "Each request needs its approvals in order; any of the roles ticked may give one. "
            "A manager approves for their own team; without a team an admin does." }
        form.stack method="post" action="/console/settings/approval-rules" {
            (layout::csrf(signed))
            @for (kind, steps) in rules.steps() {
                fieldset {
                    legend { (kind.as_str()) @if !customized(kind) { span.muted { " (defaults)" } } }
                    @for step in 0..(steps.len() + usize::from(may_write)).min(MAX_STEPS) {
                        div.actions role="group" aria-label=(format!("{} approval {}", kind.as_str(), step + 1)) {
                            span { "Approval " (step + 1) ": " }
                            @for role in RoleName::VARIANTS {
                                @let checked = steps.get(step).is_some_and(|roles| roles.contains(role));
                                label {
                                    input type="checkbox" name=(step_field(kind, step)) value=(role.as_str()) checked[checked] disabled[!may_write];
                                    " " (role.as_str())
                                }
                            }
                        }
                    }
                }
            }
            @if may_write {
                p.muted { "A type with no role ticked goes back to its defaults." }
                div.actions { button type="submit" { "Save the approval rules" } }
            }
        }
    }
}

/// `POST /console/settings/organization`.
pub async fn save(
    State(state): State<AppState>,
    signed: Signed,
    PublicUrl(public_url): PublicUrl,
    form: Submitted,
) -> PageResult {
    let result = match organization_patch(&form) {
        Ok(patch) => organizations::update_own(&state, &signed.caller, patch).await.map(drop),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(back()),
        Err(e) => refused(&state, &signed, &public_url, "organization", e).await,
    }
}

fn organization_patch(form: &Submitted) -> Result<OrganizationPatch> {
    let number = |field: &str| -> Result<Option<u32>> {
        match form.text(field) {
            text if text.is_empty() => Ok(None),
            text => text.parse().map(Some).map_err(|_| Error::invalid(field, "a whole number")),
        }
    };
    let max_hours = number("max_hours")?.ok_or_else(|| Error::invalid("max_hours", "a whole number"))?;
    Ok(OrganizationPatch {
        name: Some(form.text("name")),
        sessions: Some(SessionLifetimes { max_hours, idle_minutes: number("idle_minutes")? }),
        budget_action: Some(
            choice(form, "budget_action").ok_or_else(|| Error::invalid("budget_action", "notify or pause"))?,
        ),
        telemetry: Some(choice(form, "telemetry").ok_or_else(|| Error::invalid("telemetry", "on or off"))?),
        settings: None,
    })
}

fn choice<T: std::str::FromStr>(form: &Submitted, field: &str) -> Option<T> {
    form.get(field).and_then(|v| v.parse().ok())
}

/// `POST /console/settings/approval-rules`: the organization's settings with the rules
/// the form ticked (the other settings kept).
pub async fn save_rules(
    State(state): State<AppState>,
    signed: Signed,
    PublicUrl(public_url): PublicUrl,
    form: Submitted,
) -> PageResult {
    let result = async {
        let org = organizations::get_own(&state, &signed.caller).await?;
        let mut rules = Map::new();
        for kind in RequestType::VARIANTS {
            let steps: Vec<Value> = (0..MAX_STEPS)
                .map(|step| form.all(&step_field(*kind, step)).map(Value::from).collect::<Vec<_>>())
                .filter(|roles| !roles.is_empty())
                .map(Value::from)
                .collect();
            if !steps.is_empty() {
                rules.insert(kind.as_str().to_string(), Value::from(steps));
            }
        }
        let mut settings = org.settings.as_object().cloned().unwrap_or_default();
        settings.insert(RULES_SETTING.to_string(), Value::Object(rules));
        let patch = OrganizationPatch { settings: Some(Value::Object(settings)), ..Default::default() };
        organizations::update_own(&state, &signed.caller, patch).await.map(drop)
    }
    .await;
    match result {
        Ok(()) => Ok(back()),
        Err(e) => refused(&state, &signed, &public_url, "approval_rules", e).await,
    }
}
