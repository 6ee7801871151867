//! The SCIM function: SCIM 2.0 (RFC 7644) under `/scim/v2` for an organization's
//! identity provider, authenticated by the organization's SCIM token (checked here, so
//! that every refusal is a SCIM error body). Bodies are `application/scim+json`.

use agentctl_shared::AppState;
use agentctl_shared::domain::scim::{
    self, ListQuery, Projection, ScimError, ScimResult, ScimType, discovery, groups, tokens, users,
};
use agentctl_shared::http::PublicUrl;
use agentctl_shared::http::scim::{Scim, ScimAnswer};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(service_provider_config))
        .routes(routes!(list_resource_types))
        .routes(routes!(get_resource_type))
        .routes(routes!(list_schemas))
        .routes(routes!(get_schema))
        .routes(routes!(search))
        .routes(routes!(search_users))
        .routes(routes!(search_groups))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, replace_user, patch_user, delete_user))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, replace_group, patch_group, delete_group))
}

/// The SCIM error answers (RFC 7644 §3.12), `application/scim+json`.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its generated OpenAPI description is used.
enum ScimErrors {
    /// `invalidSyntax`, `invalidValue`, `invalidFilter`, `invalidPath`, `noTarget`.
    #[response(status = 400, content_type = "application/scim+json")]
    BadRequest(Value),
    /// No valid SCIM token.
    #[response(status = 401, content_type = "application/scim+json")]
    Unauthenticated(Value),
    /// The organization has no free seat.
    #[response(status = 403, content_type = "application/scim+json")]
    Forbidden(Value),
    /// No such resource in the token's organization.
    #[response(status = 404, content_type = "application/scim+json")]
    NotFound(Value),
    /// `uniqueness`, a concurrent change, or the organization's last active owner.
    #[response(status = 409, content_type = "application/scim+json")]
    Conflict(Value),
    /// The body is larger than the limit (256 KiB).
    #[response(status = 413, content_type = "application/scim+json")]
    PayloadTooLarge(Value),
    /// Neither `application/scim+json` nor `application/json`.
    #[response(status = 415, content_type = "application/scim+json")]
    UnsupportedMediaType(Value),
    /// Busy or briefly unavailable: retry.
    #[response(status = 503, content_type = "application/scim+json")]
    Unavailable(Value),
}

fn base(public_url: &str) -> String {
    tokens::base_url(public_url)
}

/// A request body: `application/scim+json` or `application/json` (RFC 7644 §3.1), JSON,
/// within the body limit.
fn json(headers: &HeaderMap, body: &Result<Bytes, BytesRejection>) -> ScimResult<Value> {
    let media_type = agentctl_shared::http::extract::media_type(headers);
    if media_type != scim::CONTENT_TYPE && media_type != "application/json" {
        return Err(ScimError::new(415, None, "the body must be application/scim+json or application/json"));
    }
    let body = body.as_ref().map_err(|rejection| {
        ScimError::from(agentctl_shared::http::extract::refused_body(
            rejection,
            agentctl_shared::lambda::MAX_BODY_BYTES,
        ))
    })?;
    serde_json::from_slice(body)
        .map_err(|e| ScimError::new(400, Some(ScimType::InvalidSyntax), format!("the body is not JSON: {e}")))
}

fn list_query(query: Result<Query<ListQuery>, QueryRejection>) -> ScimResult<ListQuery> {
    query.map(|q| q.0).map_err(|e| ScimError::new(400, Some(ScimType::InvalidSyntax), e.body_text()))
}

fn projection(query: Result<Query<Projection>, QueryRejection>) -> ScimResult<Projection> {
    query.map(|q| q.0).map_err(|e| ScimError::new(400, Some(ScimType::InvalidSyntax), e.body_text()))
}

fn listed(list: scim::ListResponse) -> ScimAnswer {
    ScimAnswer::Ok(serde_json::to_value(list).expect("a list serializes"))
}

/// Search Users and Groups at once (RFC 7644 §3.4.3): `filter`, `startIndex`, `count`,
/// `attributes`, `excludedAttributes` in the body.
#[utoipa::path(post, path = "/scim/v2/.search", tag = "scim",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn search(
    State(state): State<AppState>,
    Scim(client): Scim,
    headers: HeaderMap,
    PublicUrl(url): PublicUrl,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult<ScimAnswer> {
    let query = ListQuery::from_search(&json(&headers, &body)?)?;
    Ok(listed(scim::search_all(&state, &client, &query, &base(&url)).await?))
}

/// Search Users (RFC 7644 §3.4.3).
#[utoipa::path(post, path = "/scim/v2/Users/.search", tag = "scim",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn search_users(
    State(state): State<AppState>,
    Scim(client): Scim,
    headers: HeaderMap,
    PublicUrl(url): PublicUrl,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult<ScimAnswer> {
    let query = ListQuery::from_search(&json(&headers, &body)?)?;
    Ok(listed(users::list(&state, &client, &query, &base(&url)).await?))
}

/// Search Groups (RFC 7644 §3.4.3).
#[utoipa::path(post, path = "/scim/v2/Groups/.search", tag = "scim",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn search_groups(
    State(state): State<AppState>,
    Scim(client): Scim,
    headers: HeaderMap,
    PublicUrl(url): PublicUrl,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult<ScimAnswer> {
    let query = ListQuery::from_search(&json(&headers, &body)?)?;
    Ok(listed(groups::list(&state, &client, &query, &base(&url)).await?))
}

/// What this SCIM service supports.
#[utoipa::path(get, path = "/scim/v2/ServiceProviderConfig", tag = "scim",
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn service_provider_config(_: Scim, PublicUrl(url): PublicUrl) -> ScimResult<ScimAnswer> {
    Ok(ScimAnswer::Ok(discovery::service_provider_config(&base(&url))))
}

/// The resource types (User, Group).
#[utoipa::path(get, path = "/scim/v2/ResourceTypes", tag = "scim",
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn list_resource_types(_: Scim, PublicUrl(url): PublicUrl) -> ScimResult<ScimAnswer> {
    Ok(ScimAnswer::Ok(discovery::list(discovery::resource_types(&base(&url)))))
}

/// One resource type.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes/{id}", tag = "scim", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn get_resource_type(_: Scim, PublicUrl(url): PublicUrl, Path(id): Path<String>) -> ScimResult<ScimAnswer> {
    discovery::resource_type_named(&id, &base(&url)).map(ScimAnswer::Ok)
}

/// The schemas of the attributes kept.
#[utoipa::path(get, path = "/scim/v2/Schemas", tag = "scim",
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn list_schemas(_: Scim, PublicUrl(url): PublicUrl) -> ScimResult<ScimAnswer> {
    Ok(ScimAnswer::Ok(discovery::list(discovery::schemas(&base(&url)))))
}

/// One schema, by its URN.
#[utoipa::path(get, path = "/scim/v2/Schemas/{id}", tag = "scim", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn get_schema(_: Scim, PublicUrl(url): PublicUrl, Path(id): Path<String>) -> ScimResult<ScimAnswer> {
    discovery::schema_named(&id, &base(&url)).map(ScimAnswer::Ok)
}

/// Users, filtered (`userName eq "..."`, `externalId eq "..."`) and paged (`startIndex`, `count`).
#[utoipa::path(get, path = "/scim/v2/Users", tag = "scim",
    params(("filter" = Option<String>, Query), ("startIndex" = Option<i64>, Query), ("count" = Option<i64>, Query),
        ("attributes" = Option<String>, Query), ("excludedAttributes" = Option<String>, Query)),
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn list_users(
    State(state): State<AppState>,
    Scim(client): Scim,
    PublicUrl(url): PublicUrl,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ScimResult<ScimAnswer> {
    let query = list_query(query)?;
    Ok(listed(users::list(&state, &client, &query, &base(&url)).await?))
}

/// Provision a User: a new employee (a member, in no team).
#[utoipa::path(post, path = "/scim/v2/Users", tag = "scim",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 201, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn create_user(
    State(state): State<AppState>,
    Scim(client): Scim,
    headers: HeaderMap,
    PublicUrl(url): PublicUrl,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult<ScimAnswer> {
    Ok(ScimAnswer::Created(users::create(&state, &client, &json(&headers, &body)?, &base(&url)).await?))
}

/// One User (`attributes` / `excludedAttributes` choose what it carries).
#[utoipa::path(get, path = "/scim/v2/Users/{id}", tag = "scim",
    params(("id" = String, Path), ("attributes" = Option<String>, Query), ("excludedAttributes" = Option<String>, Query)),
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn get_user(
    State(state): State<AppState>,
    Scim(client): Scim,
    PublicUrl(url): PublicUrl,
    Path(id): Path<String>,
    query: Result<Query<Projection>, QueryRejection>,
) -> ScimResult<ScimAnswer> {
    let projection = projection(query)?;
    Ok(ScimAnswer::Ok(projection.apply(users::get(&state, &client, &id, &base(&url)).await?)))
}

/// Replace a User (Okta updates this way).
#[utoipa::path(put, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path)),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn replace_user(
    State(state): State<AppState>,
    Scim(client): Scim,
    headers: HeaderMap,
    PublicUrl(url): PublicUrl,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult<ScimAnswer> {
    Ok(ScimAnswer::Ok(users::replace(&state, &client, &id, &json(&headers, &body)?, &base(&url)).await?))
}

/// Change a User with PATCH operations (`active: false` deactivates the employee).
#[utoipa::path(patch, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path)),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn patch_user(
    State(state): State<AppState>,
    Scim(client): Scim,
    headers: HeaderMap,
    PublicUrl(url): PublicUrl,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult<ScimAnswer> {
    Ok(ScimAnswer::Ok(users::patch(&state, &client, &id, &json(&headers, &body)?, &base(&url)).await?))
}

/// Deprovision a User: the employee is deactivated (history kept), their sessions end.
#[utoipa::path(delete, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path)),
    responses((status = 204), ScimErrors), security(()))]
async fn delete_user(
    State(state): State<AppState>,
    Scim(client): Scim,
    Path(id): Path<String>,
) -> ScimResult<ScimAnswer> {
    users::delete(&state, &client, &id).await?;
    Ok(ScimAnswer::NoContent)
}

/// Groups (teams), filtered (`displayName eq "..."`) and paged.
#[utoipa::path(get, path = "/scim/v2/Groups", tag = "scim",
    params(("filter" = Option<String>, Query), ("startIndex" = Option<i64>, Query), ("count" = Option<i64>, Query),
        ("attributes" = Option<String>, Query), ("excludedAttributes" = Option<String>, Query)),
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn list_groups(
    State(state): State<AppState>,
    Scim(client): Scim,
    PublicUrl(url): PublicUrl,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ScimResult<ScimAnswer> {
    let query = list_query(query)?;
    Ok(listed(groups::list(&state, &client, &query, &base(&url)).await?))
}

/// A new team with its members.
#[utoipa::path(post, path = "/scim/v2/Groups", tag = "scim",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 201, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn create_group(
    State(state): State<AppState>,
    Scim(client): Scim,
    headers: HeaderMap,
    PublicUrl(url): PublicUrl,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult<ScimAnswer> {
    Ok(ScimAnswer::Created(groups::create(&state, &client, &json(&headers, &body)?, &base(&url)).await?))
}

/// One Group with its members.
#[utoipa::path(get, path = "/scim/v2/Groups/{id}", tag = "scim",
    params(("id" = String, Path), ("attributes" = Option<String>, Query), ("excludedAttributes" = Option<String>, Query)),
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn get_group(
    State(state): State<AppState>,
    Scim(client): Scim,
    PublicUrl(url): PublicUrl,
    Path(id): Path<String>,
    query: Result<Query<Projection>, QueryRejection>,
) -> ScimResult<ScimAnswer> {
    let projection = projection(query)?;
    Ok(ScimAnswer::Ok(groups::get(&state, &client, &id, &projection, &base(&url)).await?))
}

/// Replace a Group: its name, `externalId` and exactly these members.
#[utoipa::path(put, path = "/scim/v2/Groups/{id}", tag = "scim", params(("id" = String, Path)),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, content_type = "application/scim+json", body = Object), ScimErrors), security(()))]
async fn replace_group(
    State(state): State<AppState>,
    Scim(client): Scim,
    headers: HeaderMap,
    PublicUrl(url): PublicUrl,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult<ScimAnswer> {
    Ok(ScimAnswer::Ok(groups::replace(&state, &client, &id, &json(&headers, &body)?, &base(&url)).await?))
}

/// Change a Group with PATCH operations (`members` added or removed by the members
/// named, `displayName`, `externalId`): 204, whatever the group's size.
#[utoipa::path(patch, path = "/scim/v2/Groups/{id}", tag = "scim", params(("id" = String, Path)),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 204), ScimErrors), security(()))]
async fn patch_group(
    State(state): State<AppState>,
    Scim(client): Scim,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult<ScimAnswer> {
    groups::patch(&state, &client, &id, &json(&headers, &body)?).await?;
    Ok(ScimAnswer::NoContent)
}

/// Delete a Group: its members leave the team, then the team is deleted.
#[utoipa::path(delete, path = "/scim/v2/Groups/{id}", tag = "scim", params(("id" = String, Path)),
    responses((status = 204), ScimErrors), security(()))]
async fn delete_group(
    State(state): State<AppState>,
    Scim(client): Scim,
    Path(id): Path<String>,
) -> ScimResult<ScimAnswer> {
    groups::delete(&state, &client, &id).await?;
    Ok(ScimAnswer::NoContent)
}
