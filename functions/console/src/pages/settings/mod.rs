//! Settings: the organization (`organization.rs`), the monthly budget, the identity
//! provider (its client secret write-only) and the SCIM tokens (each shown once, when
//! made); webhooks and model prices have pages of their own. Each part only for a role
//! that may change it; a form's problem is shown beside it.

pub mod organization;
pub mod prices;
pub mod webhooks;

use agentctl_shared::AppState;
use agentctl_shared::Name;
use agentctl_shared::auth::Caller;
use agentctl_shared::domain::identity::{IdentityProvider, IdentityProviderRequest, provider};
use agentctl_shared::domain::roles;
use agentctl_shared::domain::scim::tokens::{self, NewScimToken, ScimTokenRequest};
use agentctl_shared::domain::subscriptions::{self, BudgetUpdate};
use agentctl_shared::http::problem::{self, Problem};
use agentctl_shared::http::{Path, PublicUrl};
use agentctl_shared::roles::Permission;
use agentctl_shared::{Error, Result};
use agentctl_wire::ids::ScimTokenId;
use agentctl_wire::roles::RoleName;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::layout::{self, Section};
use crate::pages::{part, when};
use crate::session::{PageResult, Signed};

/// What a form just did, shown above the settings.
enum Outcome {
    Problem(&'static str, Problem),
    Token(NewScimToken),
}

async fn render(state: &AppState, signed: &Signed, public_url: &str, outcome: Option<Outcome>) -> PageResult {
    let caller = &signed.caller;
    // The section's permission: the parts below each check their own.
    caller.require(Permission::SubscriptionRead)?;
    let status = match &outcome {
        Some(Outcome::Problem(_, problem)) => problem::status(problem),
        _ => StatusCode::OK,
    };
    let problem_of = |form: &str| match &outcome {
        Some(Outcome::Problem(name, problem)) if *name == form => Some(layout::problem_box(problem)),
        _ => None,
    };
    let (budget, current, scim, organization, roles) = tokio::try_join!(
        part(subscriptions::get(state, caller)),
        part(current_provider(state, caller, public_url)),
        when(caller.can(Permission::OwnersManage), tokens::list(state, caller)),
        part(organization::cards(state, signed, &problem_of)),
        part(roles::list(state, caller)),
    )?;
    let body = html! {
        nav aria-label="Settings" {
            ul.inline {
                @if caller.can(Permission::OrgWrite) { li { a href="/console/settings/webhooks" { "Webhooks" } } }
                @if caller.can(Permission::UsageRead) { li { a href="/console/settings/prices" { "Model prices" } } }
            }
        }
        @if let Some(Outcome::Token(token)) = &outcome {
            div.notice role="status" {
                p { "The SCIM token “" (token.scim_token.name) "”: give your identity provider this base URL and token. "
                    strong { "It is shown only now." } }
                dl.facts {
                    dt { "Base URL" } dd.mono { (token.base_url) }
                    dt { "Token" } dd.mono { (token.token) }
                }
            }
        }
        (organization)
        section.card aria-labelledby="budget" {
            h2 id="budget" { "Monthly budget" }
            @if let Some(problem) = problem_of("budget") { (problem) }
            @if caller.can(Permission::SubscriptionWrite) {
                form.actions method="post" action="/console/settings/budget" {
                    (layout::csrf(signed))
                    div {
                        label for="monthly_budget_usd" { "Budget in USD" }
                        input id="monthly_budget_usd" name="monthly_budget_usd" inputmode="decimal" required value=(budget.monthly_budget_usd);
                    }
                    button type="submit" { "Save the budget" }
                }
            } @else {
                p { "$" (budget.monthly_budget_usd) }
            }
        }
        @if caller.can(Permission::OwnersManage) {
            (identity_provider(signed, current.as_ref(), problem_of("identity_provider")))
        } @else if let Some(current) = &current {
            section.card aria-labelledby="idp" {
                h2 id="idp" { "Identity provider" }
                p { (current.issuer) }
            }
        }
        section.card aria-labelledby="roles" {
            h2 id="roles" { "Roles and what they may do" }
            table {
                thead { tr { th { "Role" } th { "Permissions" } } }
                tbody {
                    @for role in &roles {
                        tr {
                            td { (role.name.as_str()) }
                            td { (role.permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            }
        }
        @if let Some(scim) = scim {
            section.card aria-labelledby="scim" {
                h2 id="scim" { "SCIM tokens" }
                @if let Some(problem) = problem_of("scim") { (problem) }
                @if scim.is_empty() {
                    p.muted { "No token: the identity provider does not provision people yet." }
                } @else {
                    table {
                        thead { tr { th { "Name" } th { "Made" } th { "Last used" } th { span.skip { "Delete" } } } }
                        tbody {
                            @for token in &scim {
                                tr {
                                    td { (token.name) }
                                    td { (layout::when(&token.created_at)) }
                                    td { (token.last_used_at.as_ref().map(layout::when).unwrap_or_else(|| "never".into())) }
                                    td {
                                        form.inline method="post" action=(format!("/console/settings/scim-tokens/{}/delete", token.id)) {
                                            (layout::csrf(signed))
                                            button.secondary type="submit" { "Delete" span.skip { " the token " (token.name) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form.actions method="post" action="/console/settings/scim-tokens" {
                    (layout::csrf(signed))
                    div {
                        label for="token_name" { "New token's name" }
                        input id="token_name" name="name" required placeholder="Okta";
                    }
                    button type="submit" { "Make a token" }
                }
            }
        }
    };
    Ok((status, layout::page(signed, Section::Settings, "Settings", body)).into_response())
}

fn identity_provider(signed: &Signed, current: Option<&IdentityProvider>, problem: Option<Markup>) -> Markup {
    let domains = current.map(|c| c.allowed_domains.join(", "));
    let default_role = current.map_or(RoleName::Member, |c| c.default_role);
    html! {
        section.card aria-labelledby="idp" {
            h2 id="idp" { "Identity provider (single sign-on)" }
            @if let Some(problem) = problem { (problem) }
            @if let Some(current) = current {
                p { "Register this redirect URI at the provider: " code { (current.redirect_uri) } }
            }
            form.stack method="post" action="/console/settings/identity-provider" {
                (layout::csrf(signed))
                label for="issuer" { "Issuer (https, as its discovery document names itself)" }
                input id="issuer" name="issuer" required size="50" value=[current.map(|c| &c.issuer)];
                label for="client_id" { "Client id" }
                input id="client_id" name="client_id" required size="50" value=[current.map(|c| &c.client_id)];
                label for="client_secret" {
                    "Client secret" @if current.is_some() { " (leave empty to keep the stored one)" }
                }
                input id="client_secret" name="client_secret" type="password" autocomplete="off" size="50";
                label for="allowed_domains" { "Email domains people sign in with (comma-separated)" }
                input id="allowed_domains" name="allowed_domains" required size="50" value=[domains];
                label {
                    input type="checkbox" name="just_in_time" value="yes" checked[current.is_some_and(|c| c.just_in_time)];
                    " Create people at their first sign-in"
                }
                label for="default_role" { "Their role" }
                select id="default_role" name="default_role" {
                    @for role in <RoleName as strum::VariantArray>::VARIANTS {
                        option value=(role.as_str()) selected[*role == default_role] { (role.as_str()) }
                    }
                }
                div.actions { button type="submit" { "Save the identity provider" } }
            }
            @if current.is_some() {
                form.inline method="post" action="/console/settings/identity-provider/delete" {
                    (layout::csrf(signed))
                    button.danger type="submit" { "Remove the identity provider" }
                }
                p.muted { "Without it, people sign in with enrollment codes; their sessions go on." }
            }
        }
    }
}

/// `GET /console/settings`.
pub async fn page(State(state): State<AppState>, signed: Signed, PublicUrl(public_url): PublicUrl) -> PageResult {
    render(&state, &signed, &public_url, None).await
}

/// Shows the domain's refusal beside the form `form`, or fails the page.
async fn refused(state: &AppState, signed: &Signed, public_url: &str, form: &'static str, e: Error) -> PageResult {
    match e {
        Error::Validation(_) | Error::Conflict { .. } | Error::BadRequest(_) => {
            render(state, signed, public_url, Some(Outcome::Problem(form, e.report()))).await
        }
        e => Err(e.into()),
    }
}

fn back() -> Response {
    Redirect::to("/console/settings").into_response()
}

#[derive(Deserialize)]
pub struct BudgetForm {
    monthly_budget_usd: String,
}

/// `POST /console/settings/budget`.
pub async fn budget(
    State(state): State<AppState>,
    signed: Signed,
    PublicUrl(public_url): PublicUrl,
    form: std::result::Result<Form<BudgetForm>, FormRejection>,
) -> PageResult {
    let update = BudgetUpdate { monthly_budget_usd: form.map(|Form(f)| f.monthly_budget_usd).unwrap_or_default() };
    match subscriptions::update_budget(&state, &signed.caller, update).await {
        Ok(_) => Ok(back()),
        Err(e) => refused(&state, &signed, &public_url, "budget", e).await,
    }
}

#[derive(Default, Deserialize)]
pub struct ProviderForm {
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    allowed_domains: String,
    just_in_time: Option<String>,
    default_role: Option<RoleName>,
}

/// The provider settings the form sets, over what it does not show (scopes, the groups
/// claim, team and role mappings stay as they are).
fn provider_request(form: ProviderForm, current: Option<IdentityProvider>) -> IdentityProviderRequest {
    let kept =
        current.map(|c| (c.extra_scopes, c.groups_claim, c.team_mappings, c.role_mappings, c.allow_owner_mapping));
    let (extra_scopes, groups_claim, team_mappings, role_mappings, allow_owner_mapping) = kept.unwrap_or_default();
    IdentityProviderRequest {
        issuer: form.issuer.trim().to_string(),
        client_id: form.client_id.trim().to_string(),
        client_secret: Some(form.client_secret).filter(|s| !s.is_empty()),
        allowed_domains: form
            .allowed_domains
            .split([',', ' '])
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect(),
        extra_scopes,
        groups_claim: Some(groups_claim).filter(|c| !c.is_empty()),
        team_mappings,
        role_mappings,
        allow_owner_mapping,
        just_in_time: form.just_in_time.is_some(),
        default_role: form.default_role.unwrap_or(RoleName::Member),
    }
}

/// `POST /console/settings/identity-provider`.
pub async fn set_provider(
    State(state): State<AppState>,
    signed: Signed,
    PublicUrl(public_url): PublicUrl,
    form: std::result::Result<Form<ProviderForm>, FormRejection>,
) -> PageResult {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let current = current_provider(&state, &signed.caller, &public_url).await?;
    match provider::put(&state, &signed.caller, provider_request(form, current), &public_url).await {
        Ok(_) => Ok(back()),
        Err(e) => refused(&state, &signed, &public_url, "identity_provider", e).await,
    }
}

async fn current_provider(state: &AppState, caller: &Caller, public_url: &str) -> Result<Option<IdentityProvider>> {
    match provider::get(state, caller, public_url).await {
        Ok(current) => Ok(Some(current)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

#[derive(Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

/// `POST /console/settings/identity-provider/delete`.
pub async fn remove_provider(State(state): State<AppState>, signed: Signed) -> PageResult {
    provider::delete(&state, &signed.caller).await?;
    Ok(back())
}

/// `POST /console/settings/scim-tokens`: the new token, shown once.
pub async fn make_token(
    State(state): State<AppState>,
    signed: Signed,
    PublicUrl(public_url): PublicUrl,
    form: std::result::Result<Form<TokenForm>, FormRejection>,
) -> PageResult {
    let request = ScimTokenRequest { name: form.map(|Form(f)| f.name).unwrap_or_default() };
    match tokens::create(&state, &signed.caller, request, &public_url).await {
        Ok(token) => render(&state, &signed, &public_url, Some(Outcome::Token(token))).await,
        Err(e) => refused(&state, &signed, &public_url, "scim", e).await,
    }
}

/// `POST /console/settings/scim-tokens/{token_id}/delete`.
pub async fn delete_token(State(state): State<AppState>, signed: Signed, Path(id): Path<ScimTokenId>) -> PageResult {
    tokens::delete(&state, &signed.caller, id).await?;
    Ok(back())
}
