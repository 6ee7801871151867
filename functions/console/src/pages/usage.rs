//! Usage: analytics for any range (by day, team, employee, agent and kind of use), and
//! its export as CSV or JSON Lines, streamed like the API's.

use agentctl_shared::AppState;
use agentctl_shared::Name;
use agentctl_shared::domain::analytics::{self, BreakdownBy, BreakdownQuery, RangeQuery, TeamUsage};
use agentctl_shared::domain::exports::{self, Export, UsageExportQuery};
use agentctl_shared::money::Usd;
use agentctl_wire::exports::ExportFormat;
use axum::extract::State;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use crate::charts;
use crate::layout::{self, Section};
use crate::pages::part;
use crate::session::{PageError, PageResult, Params, Signed};

/// How many rows each breakdown shows.
const ROWS: u32 = 20;

/// Spend per day as a chart (also the overview's).
pub fn daily_card(title: &str, days: &[(NaiveDate, Usd)]) -> Markup {
    html! {
        section.card aria-labelledby="daily" {
            h2 id="daily" { (title) }
            (charts::daily_bars(title, days))
        }
    }
}

/// Spend by team (also the overview's).
pub fn teams_card(teams: &[TeamUsage]) -> Markup {
    html! {
        section.card aria-labelledby="teams" {
            h2 id="teams" { "By team" }
            table {
                thead { tr { th { "Team" } th.num { "People" } th.num { "Tokens" } th.num { "Spend" } } }
                tbody {
                    @for team in teams {
                        tr { td { (team.team_name) } td.num { (team.employee_count) } td.num { (team.usage.tokens) } td.num { "$" (team.total_cost_usd) } }
                    }
                }
            }
        }
    }
}

#[derive(Default, Deserialize)]
pub struct Range {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    by: Option<BreakdownBy>,
}

/// `GET /console/usage?from=&to=&by=`.
pub async fn page(State(state): State<AppState>, signed: Signed, Params(range): Params<Range>) -> PageResult {
    let caller = &signed.caller;
    let by = range.by.unwrap_or(BreakdownBy::Employee);
    let query = |limit| RangeQuery { from: range.from, to: range.to, limit: Some(limit), cursor: None };
    let (all_days, rows) = (query(100), query(ROWS));
    let breakdown = BreakdownQuery { by, from: range.from, to: range.to, limit: Some(ROWS), cursor: None };
    let (daily, teams, lines) = tokio::try_join!(
        part(analytics::daily(&state, caller, &all_days)),
        part(analytics::teams(&state, caller, &rows)),
        part(analytics::breakdown(&state, caller, &breakdown)),
    )?;
    let days: Vec<_> = daily.items.iter().map(|d| (d.date, d.usage.cost_usd)).collect();
    let (first, last) = (days.first().map(|d| d.0), days.last().map(|d| d.0));
    let export = |format: &str| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let (Some(from), Some(to)) = (first, last) {
            query.append_pair("from", &from.to_string()).append_pair("to", &to.to_string());
        }
        format!("/console/usage/export?{}", query.append_pair("format", format).finish())
    };
    let body = html! {
        form.actions method="get" action="/console/usage" {
            div { label for="from" { "From" } input id="from" name="from" type="date" value=[first]; }
            div { label for="to" { "To" } input id="to" name="to" type="date" value=[last]; }
            div {
                label for="by" { "Breakdown by" }
                select id="by" name="by" {
                    @for choice in <BreakdownBy as strum::VariantArray>::VARIANTS {
                        option value=(choice.as_str()) selected[*choice == by] { (choice.as_str()) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
        p { "Export the records: " a href=(export("csv")) { "CSV" } " · " a href=(export("jsonl")) { "JSON Lines" } }
        (daily_card("Spend per day", &days))
        div.grid {
            (teams_card(&teams.items))
            section.card aria-labelledby="breakdown" {
                h2 id="breakdown" { "By " (by.as_str()) }
                table {
                    thead { tr { th { "Name" } th.num { "Events" } th.num { "Tokens" } th.num { "Spend" } } }
                    tbody {
                        @for line in &lines.items {
                            tr {
                                td { (line.name.as_deref().unwrap_or(&line.id)) }
                                td.num { (line.usage.events) }
                                td.num { (line.usage.tokens) }
                                td.num { "$" (line.usage.cost_usd) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&signed, Section::Usage, "Usage", body).into_response())
}

#[derive(Deserialize)]
pub struct ExportRange {
    from: NaiveDate,
    to: NaiveDate,
    format: Option<ExportFormat>,
}

/// `GET /console/usage/export?from=&to=&format=`: the API's export, for the session.
pub async fn export(
    State(state): State<AppState>,
    signed: Signed,
    Params(range): Params<ExportRange>,
) -> Result<Export, PageError> {
    let query = UsageExportQuery { from: range.from, to: range.to, format: range.format };
    Ok(exports::usage(&state, &signed.caller, query).await?)
}
