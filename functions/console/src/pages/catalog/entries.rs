//! Catalog entries of every kind (agents, MCP servers, tools, categories), created,
//! edited and deleted through one editor built from each kind's fields; the domain
//! validates what the form makes exactly as it validates the API's bodies. An agent's
//! page also links tools to it.

use agentctl_shared::AppState;
use agentctl_shared::domain::agents::{self, AgentSpec};
use agentctl_shared::domain::catalog::{self, CatalogQuery, Entry, Spec};
use agentctl_shared::domain::mcp::{McpCategorySpec, McpServerSpec};
use agentctl_shared::domain::tools::ToolSpec;
use agentctl_shared::http::Path;
use agentctl_shared::http::problem::{self, Problem};
use agentctl_shared::roles::Permission;
use agentctl_shared::{Error, Name, Result};
use agentctl_wire::catalog::{AgentType, LinkTool, ToolType, Transport};
use agentctl_wire::ids::{AgentId, ToolId};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::{Map, Value};
use strum::VariantArray;

use crate::forms::{self, Field, Input, Layout, Submitted, field};
use crate::layout::{self, Section};
use crate::session::{PageResult, Signed};

/// A catalog kind the console edits.
pub trait Editable: Spec<Id: std::fmt::Display + Copy + Send + Sync> {
    /// Its path under `/console/catalog/`.
    const PATH: &'static str;
    /// What one entry is called ("MCP server").
    const NOUN: &'static str;
    /// Its fields beyond the name and description.
    const FIELDS: &'static [Field];

    /// What an entry's page shows beyond its fields.
    fn extra(
        _state: &AppState,
        _signed: &Signed,
        _entry: &Entry<Self>,
    ) -> impl std::future::Future<Output = Result<Markup>> + Send {
        async { Ok(Markup::default()) }
    }
}

fn agent_types() -> Vec<&'static str> {
    AgentType::VARIANTS.iter().map(|t| t.as_str()).collect()
}

fn tool_types() -> Vec<&'static str> {
    ToolType::VARIANTS.iter().map(|t| t.as_str()).collect()
}

fn transports() -> Vec<&'static str> {
    Transport::VARIANTS.iter().map(|t| t.as_str()).collect()
}

impl Editable for AgentSpec {
    const PATH: &'static str = "agents";
    const NOUN: &'static str = "agent";
    const FIELDS: &'static [Field] = &[
        field("type", "Which local tool it is", Input::Choice(agent_types)),
        field("provider", "Provider", Input::Text),
        field("default_config", "Settings every configuration starts from (JSON object)", Input::Json),
        field("config_schema", "JSON Schema the settings must satisfy (empty: any object)", Input::Json),
        field("capabilities", "Capabilities (one per line)", Input::Lines),
        field("llm_provider", "LLM provider", Input::Text),
        field("llm_model", "LLM model", Input::Text),
    ];

    async fn extra(state: &AppState, signed: &Signed, entry: &Entry<Self>) -> Result<Markup> {
        agent_tools(state, signed, entry.id).await
    }
}

impl Editable for McpServerSpec {
    const PATH: &'static str = "mcp-servers";
    const NOUN: &'static str = "MCP server";
    const FIELDS: &'static [Field] = &[
        field("provider", "Provider", Input::Text),
        field("version", "Version", Input::Text),
        field("transport", "Transport", Input::Choice(transports)),
        field("command", "Command (stdio)", Input::Text),
        field("args", "Arguments (stdio, one per line; ${field} for a connection field)", Input::Lines),
        field("env", "Environment (stdio, NAME=value per line)", Input::Pairs),
        field("url", "Endpoint (http, sse)", Input::Text),
        field("headers", "Headers (http, sse, Name=value per line)", Input::Pairs),
        field(
            "connection_schema",
            "Connection: JSON Schema of what each person (or the organization) fills in; writeOnly properties are credentials",
            Input::Json,
        ),
        field("capabilities", "Capabilities (one per line)", Input::Lines),
        field("category_id", "Category", Input::Reference),
    ];
}

impl Editable for ToolSpec {
    const PATH: &'static str = "tools";
    const NOUN: &'static str = "tool";
    const FIELDS: &'static [Field] = &[
        field("type", "Type", Input::Choice(tool_types)),
        field("schema", "JSON Schema of its input (empty: any object)", Input::Json),
        field("requires_approval", "Using it needs an approval", Input::Flag),
    ];
}

impl Editable for McpCategorySpec {
    const PATH: &'static str = "categories";
    const NOUN: &'static str = "category";
    const FIELDS: &'static [Field] = &[];
}

const COMMON: &[Field] = &[field("name", "Name", Input::Text), field("description", "Description", Input::Text)];

/// The request body the form describes: every field, those left empty as `null` (a
/// merge patch removes them; a new entry leaves them out).
fn body_of<S: Editable>(form: &Submitted) -> Result<Value> {
    let mut body = Map::new();
    for field in COMMON.iter().chain(S::FIELDS) {
        let value = field.read(form, field.name)?.unwrap_or(Value::Null);
        body.insert(field.name.to_string(), value);
    }
    Ok(Value::Object(body))
}

/// The categories a server may be filed under: (id, name).
async fn categories(state: &AppState, signed: &Signed) -> Result<Vec<(String, String)>> {
    let all = CatalogQuery { limit: Some(100), ..Default::default() };
    let page = catalog::list::<McpCategorySpec>(state, &signed.caller.principal(), &all).await?;
    Ok(page.items.into_iter().map(|c| (c.id.to_string(), c.name)).collect())
}

fn editor<S: Editable>(
    signed: &Signed,
    action: &str,
    values: &Value,
    problem: Option<&Problem>,
    references: &[(String, String)],
    saving: bool,
) -> Markup {
    let layout = Layout { prefix: "", id_prefix: "", keep_choice: false, references };
    html! {
        @if let Some(problem) = problem { (layout::problem_box(problem)) }
        form.stack method="post" action=(action) {
            (layout::csrf(signed))
            (forms::inputs(COMMON, values, problem, &layout))
            (forms::inputs(S::FIELDS, values, problem, &layout))
            div.actions { button type="submit" { @if saving { "Save the " (S::NOUN) } @else { "Create the " (S::NOUN) } } }
        }
    }
}

/// The values a form shows: what was sent, else the entry's.
fn values_of<S: Editable>(submitted: Option<&Submitted>, entry: Option<&Entry<S>>) -> Value {
    match (submitted, entry) {
        (Some(form), _) => {
            let fields = COMMON.iter().chain(S::FIELDS);
            // What was typed, even where it does not parse, is shown again as typed.
            Value::Object(fields.map(|f| (f.name.to_string(), Value::from(form.text(f.name)))).collect())
        }
        (None, Some(entry)) => S::as_new(entry),
        (None, None) => {
            let mut defaults = Map::new();
            defaults.insert("default_config".into(), Value::Object(Map::new()));
            Value::Object(defaults)
        }
    }
}

/// `GET /console/catalog/{kind}/new`.
pub async fn new<S: Editable>(State(state): State<AppState>, signed: Signed) -> PageResult {
    signed.caller.require(S::WRITE)?;
    new_page::<S>(&state, &signed, None, None).await
}

async fn new_page<S: Editable>(
    state: &AppState,
    signed: &Signed,
    form: Option<&Submitted>,
    problem: Option<&Problem>,
) -> PageResult {
    let references = categories(state, signed).await?;
    let action = format!("/console/catalog/{}", S::PATH);
    let body = editor::<S>(signed, &action, &values_of::<S>(form, None), problem, &references, false);
    let status = problem.map_or(StatusCode::OK, problem::status);
    Ok((status, layout::page(signed, Section::Catalog, &format!("New {}", S::NOUN), body)).into_response())
}

fn shown_by_the_form(e: &Error) -> bool {
    matches!(e, Error::Validation(_) | Error::Conflict { .. } | Error::BadRequest(_))
}

/// `POST /console/catalog/{kind}`.
pub async fn create<S: Editable>(State(state): State<AppState>, signed: Signed, form: Submitted) -> PageResult {
    let new = body_of::<S>(&form).and_then(|mut body| {
        // A new entry leaves out what the form left empty.
        body.as_object_mut().expect("an object").retain(|_, v| !v.is_null());
        agentctl_shared::strict_json::from_value::<S::New>(&body, "")
    });
    let created = match new {
        Ok(new) => catalog::create::<S>(&state, &signed.caller.principal(), new).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(entry) => Ok(Redirect::to(&format!("/console/catalog/{}/{}", S::PATH, entry.id)).into_response()),
        Err(e) if shown_by_the_form(&e) => new_page::<S>(&state, &signed, Some(&form), Some(&e.report())).await,
        Err(e) => Err(e.into()),
    }
}

/// `GET /console/catalog/{kind}/{id}`.
pub async fn show<S: Editable>(State(state): State<AppState>, signed: Signed, Path(id): Path<S::Id>) -> PageResult
where
    S::Id: serde::de::DeserializeOwned,
{
    render::<S>(&state, &signed, id, None, None).await
}

async fn render<S: Editable>(
    state: &AppState,
    signed: &Signed,
    id: S::Id,
    form: Option<&Submitted>,
    problem: Option<&Problem>,
) -> PageResult {
    let caller = &signed.caller;
    let entry = catalog::get::<S>(state, &caller.principal(), id).await?;
    let editable = caller.can(S::WRITE) && entry.org_id.is_some();
    let base = format!("/console/catalog/{}/{id}", S::PATH);
    let references = categories(state, signed).await?;
    let values = values_of::<S>(form, Some(&entry));
    let extra = S::extra(state, signed, &entry).await?;
    let body = html! {
        p { a href="/console/catalog" { "Back to the catalog" } }
        dl.facts {
            dt { "Owner" } dd { @if entry.org_id.is_some() { "this organization" } @else { "the platform (read-only here)" } }
            @if let Some(count) = entry.ref_count { dt { "Used by" } dd { (count) " reference(s)" } }
        }
        @if editable {
            section.card aria-labelledby="edit" {
                h2 id="edit" { "Edit" }
                (editor::<S>(signed, &base, &values, problem, &references, true))
            }
        } @else {
            @if let Some(problem) = problem { (layout::problem_box(problem)) }
            dl.facts {
                @for field in COMMON.iter().chain(S::FIELDS) {
                    dt { (field.label) } dd.mono { (field.shown(&values)) }
                }
            }
        }
        (extra)
        @if editable {
            section.card aria-labelledby="delete" {
                h2 id="delete" { "Delete" }
                p { "An entry still assigned, attached or linked cannot be deleted." }
                form.inline method="post" action=(format!("{base}/delete")) {
                    (layout::csrf(signed))
                    button.danger type="submit" { "Delete the " (S::NOUN) " " (entry.name) }
                }
            }
        }
    };
    let status = problem.map_or(StatusCode::OK, problem::status);
    Ok((status, layout::page(signed, Section::Catalog, &entry.name, body)).into_response())
}

/// The tools linked to an agent, and linking one.
async fn agent_tools(state: &AppState, signed: &Signed, agent: AgentId) -> Result<Markup> {
    let caller = &signed.caller;
    let linked = agents::tools(state, &caller.principal(), agent).await?;
    let all = CatalogQuery { limit: Some(100), ..Default::default() };
    let tools = catalog::list::<ToolSpec>(state, &caller.principal(), &all).await?.items;
    let base = format!("/console/catalog/agents/{agent}/tools");
    let may_write = caller.can(Permission::CatalogWrite);
    Ok(html! {
        section.card aria-labelledby="tools" {
            h2 id="tools" { "Tools" }
            @if linked.is_empty() { p.muted { "No tool linked." } } @else {
                table {
                    thead { tr { th { "Tool" } th { "Configuration" } @if may_write { th { span.skip { "Unlink" } } } } }
                    tbody {
                        @for link in &linked {
                            tr {
                                td { (link.tool_name) }
                                td.mono { (link.config.to_string()) }
                                @if may_write && link.org_id.is_some() {
                                    td {
                                        form.inline method="post" action=(format!("{base}/{}/delete", link.tool_id)) {
                                            (layout::csrf(signed))
                                            button.secondary type="submit" { "Unlink" span.skip { " " (link.tool_name) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if may_write && !tools.is_empty() {
                form.stack method="post" action=(base) {
                    (layout::csrf(signed))
                    label for="tool_id" { "Link a tool" }
                    select id="tool_id" name="tool_id" { @for tool in &tools { option value=(tool.id) { (tool.name) } } }
                    label for="tool_config" { "Its configuration for this agent (JSON object, optional)" }
                    textarea.mono id="tool_config" name="config" rows="3" cols="60" spellcheck="false" {}
                    div.actions { button type="submit" { "Link the tool" } }
                }
            }
        }
    })
}

/// `POST /console/catalog/{kind}/{id}`: the form as a merge patch.
pub async fn edit<S: Editable>(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<S::Id>,
    form: Submitted,
) -> PageResult
where
    S::Id: serde::de::DeserializeOwned,
{
    let updated = match body_of::<S>(&form) {
        Ok(patch) => catalog::update::<S>(&state, &signed.caller.principal(), id, patch).await.map(drop),
        Err(e) => Err(e),
    };
    match updated {
        Ok(()) => Ok(Redirect::to(&format!("/console/catalog/{}/{id}", S::PATH)).into_response()),
        Err(e) if shown_by_the_form(&e) => render::<S>(&state, &signed, id, Some(&form), Some(&e.report())).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/catalog/{kind}/{id}/delete`.
pub async fn delete<S: Editable>(State(state): State<AppState>, signed: Signed, Path(id): Path<S::Id>) -> PageResult
where
    S::Id: serde::de::DeserializeOwned,
{
    match catalog::delete::<S>(&state, &signed.caller.principal(), id).await {
        Ok(()) => Ok(Redirect::to("/console/catalog").into_response()),
        Err(e @ Error::Conflict { .. }) => render::<S>(&state, &signed, id, None, Some(&e.report())).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/catalog/agents/{id}/tools`.
pub async fn link_tool(
    State(state): State<AppState>,
    signed: Signed,
    Path(agent): Path<AgentId>,
    form: Submitted,
) -> PageResult {
    let back = || Redirect::to(&format!("/console/catalog/agents/{agent}")).into_response();
    let linked = async {
        let tool: ToolId = form
            .get("tool_id")
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| Error::invalid("tool_id", "choose a tool"))?;
        let config = field("config", "", Input::Json).read(&form, "config")?;
        agents::link_tool(&state, &signed.caller.principal(), agent, tool, LinkTool { config }).await
    }
    .await;
    match linked {
        Ok(_) => Ok(back()),
        Err(e) if shown_by_the_form(&e) => render::<AgentSpec>(&state, &signed, agent, None, Some(&e.report())).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/catalog/agents/{id}/tools/{tool_id}/delete`.
pub async fn unlink_tool(
    State(state): State<AppState>,
    signed: Signed,
    Path((agent, tool)): Path<(AgentId, ToolId)>,
) -> PageResult<Response> {
    agents::unlink_tool(&state, &signed.caller.principal(), agent, tool).await?;
    Ok(Redirect::to(&format!("/console/catalog/agents/{agent}")).into_response())
}
