//! The overview: spend against budget this period, spend by team, by reporting tool
//! (Claude Code, Codex, Gemini CLI from their telemetry; other producers), by model, by
//! agent and by kind of resource, the daily trend and top spenders (SVG drawn here), what waits for the
//! caller's decision, and recent activity: each part only for a role that may read it.

use agentctl_shared::AppState;
use agentctl_shared::auth::Caller;
use agentctl_shared::domain::analytics::{self, BreakdownBy, BreakdownQuery, RangeQuery, UsageLine};
use agentctl_shared::domain::{audit, organizations, requests, subscriptions};
use agentctl_shared::roles::Permission;
use agentctl_shared::{Name, Result};
use axum::extract::State;
use axum::response::IntoResponse;
use maud::{Markup, html};

use crate::charts;
use crate::layout::{self, Section};
use crate::pages::{activity, approvals, part, usage, when};
use crate::session::{PageResult, Signed};

/// How many rows the overview's lists show.
const TOP: u32 = 5;

/// `GET /console/`.
pub async fn page(State(state): State<AppState>, signed: Signed) -> PageResult {
    let caller = &signed.caller;
    let waiting = requests::PendingQuery { limit: Some(TOP), ..Default::default() };
    let recent = audit::ActivityQuery { limit: Some(8), ..Default::default() };
    // The page's parts are independent: read together, the page waits for the slowest.
    let (budget, pending, usage, activity) = tokio::try_join!(
        when(caller.can(Permission::SubscriptionRead), budget(&state, caller)),
        when(caller.can(Permission::RequestsDecide), requests::pending(&state, caller, &waiting)),
        when(caller.can(Permission::UsageRead), usage(&state, caller)),
        when(caller.can(Permission::ActivityRead), audit::list(&state, caller, recent)),
    )?;
    let body = html! {
        div.grid {
            @if let Some(budget) = budget { (budget) }
            @if let Some(pending) = pending {
                section.card aria-labelledby="pending" {
                    h2 id="pending" { a href="/console/approvals" { "Waiting for your decision" } }
                    (approvals::table(&pending.items))
                }
            }
        }
        @if let Some(usage) = usage { (usage) }
        @if let Some(activity) = activity {
            section.card aria-labelledby="recent" {
                h2 id="recent" { a href="/console/activity" { "Recent activity" } }
                (activity::table(&activity.items))
            }
        }
        @if !caller.can(Permission::SubscriptionRead) && !caller.can(Permission::UsageRead) && !caller.can(Permission::RequestsDecide) {
            p { "Your role (" (caller.role.as_str()) ") administers nothing here; "
                code { "agentctl sync" } " brings your own agents and servers to your computer." }
        }
    };
    Ok(layout::page(&signed, Section::Overview, "Overview", body).into_response())
}

async fn budget(state: &AppState, caller: &Caller) -> Result<Markup> {
    let subscription = subscriptions::get(state, caller).await?;
    let action = if caller.can(Permission::OrgRead) {
        Some(organizations::get_own(state, caller).await?.budget_action)
    } else {
        None
    };
    let state_class = match subscription.budget_state.as_str() {
        "ok" => "state-ok",
        "warning" => "state-warn",
        _ => "state-bad",
    };
    Ok(html! {
        section.card aria-labelledby="budget" {
            h2 id="budget" { "Budget this period" }
            p {
                strong { "$" (subscription.current_spending_usd) } " of $" (subscription.monthly_budget_usd)
                @if let Some(pct) = subscription.usage_pct { " (" (pct.round_dp(1)) " %)" }
            }
            (charts::budget_meter(subscription.current_spending_usd, subscription.monthly_budget_usd))
            dl.facts {
                dt { "State" } dd class=(state_class) { (subscription.budget_state.as_str()) }
                dt { "Threshold crossed" } dd { (subscription.budget_threshold_pct) " % (of 50, 80, 100)" }
                @if let Some(action) = action { dt { "At 100 %" } dd { (action.as_str()) } }
                dt { "Period" } dd { (subscription.billing_period_start.date_naive()) " to " (subscription.billing_period_end.date_naive()) }
            }
        }
    })
}

async fn usage(state: &AppState, caller: &Caller) -> Result<Markup> {
    let (days, month) =
        (RangeQuery { limit: Some(31), ..Default::default() }, RangeQuery { limit: Some(TOP), ..Default::default() });
    let by = |by| BreakdownQuery { by, from: None, to: None, limit: Some(TOP), cursor: None };
    let [by_employee, by_agent, by_kind, by_tool, by_model] =
        [BreakdownBy::Employee, BreakdownBy::Agent, BreakdownBy::ResourceType, BreakdownBy::Tool, BreakdownBy::Model]
            .map(by);
    let (daily, teams, spenders, agents, kinds, tools, models) = tokio::try_join!(
        part(analytics::daily(state, caller, &days)),
        part(analytics::teams(state, caller, &month)),
        part(analytics::breakdown(state, caller, &by_employee)),
        part(analytics::breakdown(state, caller, &by_agent)),
        part(analytics::breakdown(state, caller, &by_kind)),
        part(analytics::breakdown(state, caller, &by_tool)),
        part(analytics::breakdown(state, caller, &by_model)),
    )?;
    let days: Vec<_> = daily.items.iter().map(|d| (d.date, d.usage.cost_usd)).collect();
    Ok(html! {
        (usage::daily_card("Spend per day this month", &days))
        div.grid {
            (usage::teams_card(&teams.items))
            (lines("spenders", "Top spenders", &spenders.items))
            (lines("tools", "By tool", &tools.items))
            (lines("models", "By model", &models.items))
            (lines("agents", "By agent", &agents.items))
            (lines("kinds", "By kind of use", &kinds.items))
        }
    })
}

fn lines(id: &str, title: &str, lines: &[UsageLine]) -> Markup {
    html! {
        section.card aria-labelledby=(id) {
            h2 id=(id) { (title) }
            @if lines.is_empty() {
                p.muted { "No usage this month." }
            } @else {
                table {
                    thead { tr { th { "Name" } th.num { "Tokens" } th.num { "Spend" } } }
                    tbody {
                        @for line in lines {
                            tr {
                                td { (line.name.as_deref().unwrap_or(&line.id)) }
                                td.num { (line.usage.tokens) }
                                td.num { "$" (line.usage.cost_usd) }
                            }
                        }
                    }
                }
            }
        }
    }
}
