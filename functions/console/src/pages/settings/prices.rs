//! Model prices: the table in force (agentctl's list prices until the organization saves
//! its own), every earlier version, and a new version saved over the one read (a save
//! over a newer one is refused, so two edits never overwrite each other).

use agentctl_shared::AppState;
use agentctl_shared::domain::prices::{self, ModelPrice, NewPriceTable, PriceTable};
use agentctl_shared::http::problem::{self, Problem};
use agentctl_shared::roles::Permission;
use agentctl_shared::{Error, Result};
use agentctl_wire::money::Usd;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::html;
use serde::Deserialize;

use crate::forms::Submitted;
use crate::layout::{self, Section};
use crate::session::{PageResult, Params, Signed};

const PAGE: &str = "/console/settings/prices";
/// Empty rows the form offers for new models.
const NEW_ROWS: usize = 3;
/// The price columns: form field and heading.
const COLUMNS: [(&str, &str); 4] =
    [("input", "Input"), ("output", "Output"), ("cache_read", "Cache read"), ("cache_write", "Cache write")];

fn column(price: &ModelPrice, field: &str) -> Usd {
    match field {
        "input" => price.input_usd_per_mtok,
        "output" => price.output_usd_per_mtok,
        "cache_read" => price.cache_read_usd_per_mtok,
        _ => price.cache_write_usd_per_mtok,
    }
}

#[derive(Default, Deserialize)]
pub struct VersionQuery {
    version: Option<u32>,
}

/// `GET /console/settings/prices[?version=]`.
pub async fn page(State(state): State<AppState>, signed: Signed, Params(query): Params<VersionQuery>) -> PageResult {
    render(&state, &signed, query.version, None, None).await
}

async fn render(
    state: &AppState,
    signed: &Signed,
    version: Option<u32>,
    submitted: Option<&Submitted>,
    problem: Option<Problem>,
) -> PageResult {
    let caller = &signed.caller;
    let current = prices::current(state, caller).await?;
    let shown: PriceTable = match version {
        Some(v) if v != current.version => prices::version(state, caller, v).await?,
        _ => current.clone(),
    };
    let may_write = caller.can(Permission::SubscriptionWrite) && shown.version == current.version;
    let status = problem.as_ref().map_or(StatusCode::OK, problem::status);
    let value = |row: usize, field: &str| -> String {
        match submitted {
            Some(form) => form.text(&format!("{field}.{row}")),
            None => shown.models.get(row).map_or_else(String::new, |p| match field {
                "model" => p.model.clone(),
                field => column(p, field).to_string(),
            }),
        }
    };
    let rows = shown.models.len() + if may_write { NEW_ROWS } else { 0 };
    let body = html! {
        p { a href="/console/settings" { "Back to the settings" } }
        p {
            "Version " (shown.version)
            @if shown.version == 0 { " (agentctl's list prices)" }
            @if let Some(at) = &shown.saved_at { ", saved " (layout::when(at)) }
            @if shown.version != current.version { " — not in force: version " (current.version) " is" }
            ". Prices in USD per million tokens; they price usage reported as tokens only (Codex, Gemini CLI)."
        }
        nav aria-label="Versions" {
            ul.inline {
                @for v in (0..=current.version).rev().take(20) {
                    li { @if v == shown.version { strong { "v" (v) } } @else { a href=(format!("{PAGE}?version={v}")) { "v" (v) } } }
                }
            }
        }
        @if let Some(problem) = &problem { (layout::problem_box(problem)) }
        form method="post" action=(PAGE) {
            (layout::csrf(signed))
            input type="hidden" name="replaces_version" value=(shown.version);
            table {
                thead { tr { th { "Model" } @for (_, heading) in COLUMNS { th { (heading) } } } }
                tbody {
                    @for row in 0..rows {
                        tr {
                            td {
                                @if may_write {
                                    input name=(format!("model.{row}")) aria-label=(format!("Model of row {}", row + 1)) value=(value(row, "model"));
                                } @else { (value(row, "model")) }
                            }
                            @for (field, heading) in COLUMNS {
                                td {
                                    @if may_write {
                                        input name=(format!("{field}.{row}")) inputmode="decimal" size="8"
                                            aria-label=(format!("{heading} price of row {}", row + 1)) value=(value(row, field));
                                    } @else { (value(row, field)) }
                                }
                            }
                        }
                    }
                }
            }
            @if may_write {
                p.muted { "A row with no model is left out; clear a model to remove it." }
                div.actions { button type="submit" { "Save as version " (current.version + 1) } }
            }
        }
    };
    Ok((status, layout::page(signed, Section::Settings, "Model prices", body)).into_response())
}

/// The price rows a form describes (rows without a model left out).
fn table_of(form: &Submitted) -> Result<NewPriceTable> {
    let mut models = Vec::new();
    for row in 0.. {
        let Some(model) = form.get(&format!("model.{row}")) else { break };
        if model.trim().is_empty() {
            continue;
        }
        let price = |field: &str| {
            let at = format!("models[{}].{field}_usd_per_mtok", models.len());
            Usd::parse(&form.text(&format!("{field}.{row}"))).map_err(|message| Error::invalid(&at, message))
        };
        models.push(ModelPrice {
            model: model.trim().to_string(),
            input_usd_per_mtok: price("input")?,
            output_usd_per_mtok: price("output")?,
            cache_read_usd_per_mtok: price("cache_read")?,
            cache_write_usd_per_mtok: price("cache_write")?,
        });
    }
    let replaces_version = form.get("replaces_version").and_then(|v| v.parse().ok());
    Ok(NewPriceTable { replaces_version, models })
}

/// `POST /console/settings/prices`.
pub async fn save(State(state): State<AppState>, signed: Signed, form: Submitted) -> PageResult {
    let saved = match table_of(&form) {
        Ok(table) => prices::save(&state, &signed.caller, table).await.map(drop),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to(PAGE).into_response()),
        Err(e @ (Error::Validation(_) | Error::Conflict { .. })) => {
            render(&state, &signed, None, Some(&form), Some(e.report())).await
        }
        Err(e) => Err(e.into()),
    }
}
