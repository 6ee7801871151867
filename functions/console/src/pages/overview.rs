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
use crate::pages::{activity, approvals, usage};
use crate::session::{PageResult, Signed};

/// How many rows the overview's lists show.
const TOP: u32 = 5;

/// `GET /console/`.
pub async fn page(State(state): State<AppState>, signed: Signed) -> PageResult {
    let caller = &signed.caller;
    let body = html! {
        div.grid {
            @if caller.can(Permission::SubscriptionRead) { (budget(&state, caller).await?) }
            @if caller.can(Permission::RequestsDecide) {
                section.card aria-labelledby="pending" {
                    h2 id="pending" { a href="/console/approvals" { "Waiting for your decision" } }
                    (approvals::table(&requests::pending(&state, caller, &requests::PendingQuery { limit: Some(TOP), ..Default::default() }).await?.items))
                }
            }
        }
        @if caller.can(Permission::UsageRead) { (usage(&state, caller).await?) }
        @if caller.can(Permission::ActivityRead) {
            section.card aria-labelledby="recent" {
                h2 id="recent" { a href="/console/activity" { "Recent activity" } }
                (activity::table(&audit::list(&state, caller, audit::ActivityQuery { limit: Some(8), ..Default::default() }).await?.items))
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
    let month = RangeQuery::default();
    let daily = analytics::daily(state, caller, &RangeQuery { limit: Some(31), ..Default::default() }).await?;
    let days: Vec<_> = daily.items.iter().map(|d| (d.date, d.usage.cost_usd)).collect();
    let teams = analytics::teams(state, caller, &RangeQuery { limit: Some(TOP), ..month }).await?;
    let by = |by| BreakdownQuery { by, from: None, to: None, limit: Some(TOP), cursor: None };
    let spenders = analytics::breakdown(state, caller, &by(BreakdownBy::Employee)).await?;
    let agents = analytics::breakdown(state, caller, &by(BreakdownBy::Agent)).await?;
    let kinds = analytics::breakdown(state, caller, &by(BreakdownBy::ResourceType)).await?;
    let tools = analytics::breakdown(state, caller, &by(BreakdownBy::Tool)).await?;
    let models = analytics::breakdown(state, caller, &by(BreakdownBy::Model)).await?;
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
