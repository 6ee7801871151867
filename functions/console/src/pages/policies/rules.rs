//! The policy editor: each policy type's rule fields as form inputs, and what a form
//! makes of them (the rules, or a team's overrides). The domain validates the result.

use agentctl_shared::domain::catalog::Entry;
use agentctl_shared::domain::policies::{NewPolicy, PolicySpec};
use agentctl_shared::http::problem::Problem;
use agentctl_shared::{Error, Name, Result};
use agentctl_wire::policy::{Metric, PolicyType, Severity, Window};
use maud::{Markup, html};
use serde_json::{Map, Value};
use strum::VariantArray;

use crate::forms::{self, Field, Input, Layout, Submitted, field};
use crate::layout;
use crate::session::Signed;

fn metrics() -> Vec<&'static str> {
    Metric::VARIANTS.iter().map(|m| m.as_str()).collect()
}

fn windows() -> Vec<&'static str> {
    Window::VARIANTS.iter().map(|w| w.as_str()).collect()
}

/// Where a form's rule fields are named (`rules.deny`).
const RULES: &str = "rules.";

/// The rule fields of each policy type (the domain validates what they make).
fn fields(policy_type: PolicyType) -> &'static [Field] {
    const FILESYSTEM: &[Field] = &[
        field("allow", "Paths the agent may use (globs, one per line; empty: any)", Input::Lines),
        field("deny", "Paths the agent may not use (one per line)", Input::Lines),
    ];
    const SHELL: &[Field] =
        &[field("deny", "Commands the agent may not run (`*` as wildcard, one per line)", Input::Lines)];
    const NETWORK: &[Field] = &[
        field("allow_domains", "Domains the agent may reach (`*.` wildcard, one per line; empty: any)", Input::Lines),
        field("deny_domains", "Domains the agent may not reach (one per line)", Input::Lines),
    ];
    const RATE_LIMIT: &[Field] = &[
        field("metric", "What is counted", Input::Choice(metrics)),
        field("max", "At most", Input::Count),
        field("per", "Per", Input::Choice(windows)),
    ];
    const MODELS: &[Field] = &[field("allowed", "Models allowed (ids, one per line)", Input::Lines)];
    const TOOLS: &[Field] = &[
        field("allow", "Tools allowed (one per line; empty: any)", Input::Lines),
        field("deny", "Tools denied (one per line)", Input::Lines),
        field("require_approval", "Tools that ask first (one per line)", Input::Lines),
    ];
    const MCP_SERVERS: &[Field] = &[
        field("allow", "MCP servers allowed (catalog names, one per line; empty: any)", Input::Lines),
        field("deny", "MCP servers denied (one per line)", Input::Lines),
    ];
    const SPEND_CAP: &[Field] = &[field("monthly_usd", "Monthly spend cap per person, USD", Input::Amount)];
    match policy_type {
        PolicyType::Filesystem => FILESYSTEM,
        PolicyType::Shell => SHELL,
        PolicyType::Network => NETWORK,
        PolicyType::RateLimit => RATE_LIMIT,
        PolicyType::Models => MODELS,
        PolicyType::Tools => TOOLS,
        PolicyType::McpServers => MCP_SERVERS,
        PolicyType::SpendCap => SPEND_CAP,
    }
}

/// The rules (or, with `only_given`, the team's overrides: the fields filled in) the
/// form describes for `policy_type`.
pub(super) fn rules_of(policy_type: PolicyType, form: &Submitted, only_given: bool) -> Result<Value> {
    let mut rules = Map::new();
    for field in fields(policy_type) {
        match field.read(form, &format!("{RULES}{}", field.name))? {
            Some(value) => {
                rules.insert(field.name.to_string(), value);
            }
            None if only_given => {}
            None => match field.input {
                Input::Lines => {
                    rules.insert(field.name.to_string(), Value::Array(Vec::new()));
                }
                _ => return Err(Error::invalid(&format!("{RULES}{}", field.name), "is required")),
            },
        }
    }
    Ok(Value::Object(rules))
}

/// The inputs of a policy type's rules, filled from `rules`. `id_prefix` keeps ids unique
/// when a page has two such forms; overrides offer to keep the policy's choices.
pub(super) fn rule_inputs(
    policy_type: PolicyType,
    rules: &Value,
    problem: Option<&Problem>,
    id_prefix: &str,
    keep: bool,
) -> Markup {
    let layout = Layout { prefix: RULES, id_prefix, keep_choice: keep, references: &[] };
    forms::inputs(fields(policy_type), rules, problem, &layout)
}

/// The editor of a policy of `policy_type`: its name, description, severity and rules.
pub(super) fn editor(
    signed: &Signed,
    action: &str,
    policy_type: PolicyType,
    current: Option<&Entry<PolicySpec>>,
    submitted: Option<&Submitted>,
    problem: Option<&Problem>,
) -> Markup {
    let (name, description, severity, rules) = match (submitted, current) {
        (Some(form), _) => (
            form.text("name"),
            form.text("description"),
            form.get("severity").and_then(|s| s.parse().ok()),
            rules_of(policy_type, form, true).unwrap_or_default(),
        ),
        (None, Some(p)) => (p.name.clone(), p.description.clone(), Some(p.spec.severity), p.spec.rules.clone()),
        (None, None) => Default::default(),
    };
    html! {
        @if let Some(problem) = problem { (layout::problem_box(problem)) }
        form.stack method="post" action=(action) {
            (layout::csrf(signed))
            input type="hidden" name="policy_type" value=(policy_type.as_str());
            label for="name" { "Name" }
            (forms::field_problem(problem, "name"))
            input id="name" name="name" required size="50" value=(name);
            label for="description" { "Description" }
            input id="description" name="description" size="50" value=(description);
            label for="severity" { "When a rule matches" }
            select id="severity" name="severity" {
                @for s in Severity::VARIANTS {
                    option value=(s.as_str()) selected[severity.unwrap_or(Severity::Block) == *s] { (s.as_str()) }
                }
            }
            (rule_inputs(policy_type, &rules, problem, "rule-", false))
            div.actions { button type="submit" { @if current.is_some() { "Save the policy" } @else { "Create the policy" } } }
        }
    }
}

pub(super) fn policy_type_of(form: &Submitted) -> Result<PolicyType> {
    form.get("policy_type").and_then(|t| t.parse().ok()).ok_or_else(|| Error::invalid("policy_type", "choose a type"))
}

pub(super) fn new_policy(form: &Submitted, policy_type: PolicyType) -> Result<NewPolicy> {
    Ok(NewPolicy {
        name: form.text("name"),
        description: Some(form.text("description")),
        is_public: None,
        policy_type,
        rules: rules_of(policy_type, form, false)?,
        severity: form.get("severity").and_then(|s| s.parse().ok()).unwrap_or(Severity::Block),
    })
}
