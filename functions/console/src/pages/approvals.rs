//! Approvals: the requests the caller decides, oldest first; a request's details (what is
//! asked, who decides, how many approvals it has of how many); approve or reject with a
//! comment. Plain forms: the keyboard alone suffices.

use agentctl_shared::AppState;
use agentctl_shared::Name;
use agentctl_shared::domain::requests::{self, AgentRequest, Decision, DecisionKind, PendingQuery, Wanted};
use agentctl_shared::http::{Path, problem};
use agentctl_shared::ids::RequestId;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;

use crate::layout::{self, Section};
use crate::session::{PageResult, Params, Signed};

#[derive(Default, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
    /// The request just decided (its confirmation is shown).
    decided: Option<RequestId>,
}

/// What a request asks for, in words.
pub fn wanted(wanted: &Wanted) -> Markup {
    html! {
        @match wanted {
            Wanted::NewAgent(w) => { "Agent " code { (w.agent_id) } @if let Some(name) = &w.name { " as “" (name) "”" } }
            Wanted::NewMcp(w) => { "MCP server " code { (w.server_id) } }
            Wanted::IncreaseBudget(w) => { "Budget of $" (w.amount_usd) " (" (w.scope.as_str()) ")" }
            Wanted::EnableTool(w) => { "Tool " code { (w.tool_id) } " for agent " code { (w.agent_id) } }
        }
    }
}

/// Who may give each of the approvals a request needs.
fn deciders(request: &AgentRequest) -> String {
    request
        .required_approvals
        .iter()
        .map(|roles| roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" or "))
        .collect::<Vec<_>>()
        .join(", then ")
}

/// The pending requests as a table (also the overview's).
pub fn table(requests: &[AgentRequest]) -> Markup {
    html! {
        @if requests.is_empty() {
            p.muted { "Nothing waits for your decision." }
        } @else {
            table {
                thead { tr { th { "Requested" } th { "By" } th { "What" } th { "Approvals" } th { span.skip { "Open" } } } }
                tbody {
                    @for request in requests {
                        tr {
                            td { (layout::when(&request.created_at)) }
                            td { (request.requester_name) }
                            td { (wanted(&request.wanted)) }
                            td.num { (request.approval_count) " of " (request.required_approvals.len()) }
                            td { a href=(format!("/console/approvals/{}", request.id)) { "Review" span.skip { " the request of " (request.requester_name) } } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/approvals`.
pub async fn list(State(state): State<AppState>, signed: Signed, Params(query): Params<ListQuery>) -> PageResult {
    let pending = PendingQuery { cursor: query.cursor, ..Default::default() };
    let page = requests::pending(&state, &signed.caller, &pending).await?;
    let body = html! {
        @if let Some(id) = query.decided {
            p.notice role="status" { "Your decision on request " code { (id) } " is recorded." }
        }
        (table(&page.items))
        (layout::pager("/console/approvals", &[], page.next_cursor.as_deref()))
    };
    Ok(layout::page(&signed, Section::Approvals, "Approvals", body).into_response())
}

/// `GET /console/approvals/{request_id}`.
pub async fn show(State(state): State<AppState>, signed: Signed, Path(id): Path<RequestId>) -> PageResult {
    let view = requests::get(&state, &signed.caller, id).await?;
    Ok(layout::page(&signed, Section::Approvals, "Request", details(&signed, &view, None)).into_response())
}

fn details(signed: &Signed, view: &requests::RequestView, problem: Option<Markup>) -> Markup {
    let request = &view.request;
    html! {
        @if let Some(problem) = problem { (problem) }
        dl.facts {
            dt { "Requested by" } dd { (request.requester_name) }
            dt { "Asked for" } dd { (wanted(&request.wanted)) }
            dt { "Reason" } dd { (request.reason) }
            dt { "Status" } dd { (request.status.as_str()) }
            dt { "Decided by" } dd { (deciders(request)) }
            dt { "Approvals" } dd { (request.approval_count) " of " (request.required_approvals.len()) }
            dt { "Filed" } dd { (layout::when(&request.created_at)) }
        }
        @if !view.approvals.is_empty() {
            h2 { "Decisions so far" }
            ul {
                @for approval in &view.approvals {
                    li {
                        (approval.status.as_str()) " by a " (approval.approver_role.as_str()) " at " (layout::when(&approval.created_at))
                        @if let Some(comment) = &approval.comment { ": “" (comment) "”" }
                    }
                }
            }
        }
        @if request.status == requests::RequestStatus::Pending {
            h2 { "Your decision" }
            form.stack method="post" action=(format!("/console/approvals/{}", request.id)) {
                (layout::csrf(signed))
                label for="comment" { "Comment (optional; the requester sees it)" }
                textarea id="comment" name="comment" rows="3" cols="60" {}
                div.actions {
                    button type="submit" name="decision" value="approve" { "Approve" }
                    button.danger type="submit" name="decision" value="reject" { "Reject" }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: DecisionKind,
    #[serde(default)]
    comment: String,
}

/// `POST /console/approvals/{request_id}`.
pub async fn decide(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<RequestId>,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> PageResult {
    let Ok(Form(form)) = form else {
        let view = requests::get(&state, &signed.caller, id).await?;
        let problem = html! { div.problem role="alert" { p { "Choose approve or reject." } } };
        let page = layout::page(&signed, Section::Approvals, "Request", details(&signed, &view, Some(problem)));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let comment = Some(form.comment).filter(|c| !c.trim().is_empty());
    match requests::decide(&state, &signed.caller, id, Decision { decision: form.decision, comment }).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/approvals?decided={id}")).into_response()),
        Err(e @ (agentctl_shared::Error::Validation(_) | agentctl_shared::Error::Conflict { .. })) => {
            let problem = e.report();
            let view = requests::get(&state, &signed.caller, id).await?;
            let status = problem::status(&problem);
            let page = layout::page(
                &signed,
                Section::Approvals,
                "Request",
                details(&signed, &view, Some(layout::problem_box(&problem))),
            );
            Ok((status, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
