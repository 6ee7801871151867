//! SCIM 2.0 provisioning (RFC 7643, RFC 7644): an organization's identity provider
//! creates, updates and deactivates its employees (`/scim/v2/Users`) and teams
//! (`/scim/v2/Groups`) with a SCIM token of the organization.
//!
//! Every employee is a SCIM User: those SCIM never touched read as `userName` = email.
//! What SCIM says beyond the employee (its `userName`, `externalId`, name parts, emails)
//! is kept beside the employee; the employee's email, name and status follow it, and
//! their team follows the enterprise extension's `department`. A User deleted through
//! SCIM is deactivated (its history stays), leaves its groups and is gone for SCIM. A
//! Group is a team as a directory group: groups overlap ([`crate::domain::groups`]).

pub mod discovery;
pub mod filter;
pub mod groups;
pub mod patch;
pub mod tokens;
pub mod users;

use serde::Serialize;
use serde_json::{Value, json};

use crate::error::Error;
use crate::ids::OrgId;

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The enterprise User extension (RFC 7643 §4.3): its `department` names the team.
pub const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Where the SCIM endpoints live.
pub const PATH_PREFIX: &str = "/scim/v2";
/// The media type of SCIM bodies.
pub const CONTENT_TYPE: &str = "application/scim+json";
/// The most resources one list answer holds.
pub const MAX_PAGE: usize = 200;

/// The organization a SCIM token provisions, and which token it was.
#[derive(Clone, Copy, Debug)]
pub struct ScimClient {
    pub org_id: OrgId,
    pub token_id: crate::ids::ScimTokenId,
}

/// The `scimType` of an error answer (RFC 7644 §3.12): what kind of 400 or 409 it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "camelCase")]
pub enum ScimType {
    InvalidFilter,
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    NoTarget,
    TooMany,
    Uniqueness,
}

impl ScimType {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A SCIM error answer (RFC 7644 §3.12).
#[derive(Debug)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<ScimType>,
    pub detail: String,
    /// An internal cause, logged (never sent).
    pub cause: Option<Error>,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        Self { status, scim_type, detail: detail.into(), cause: None }
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::InvalidValue), detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(404, None, format!("{what} not found"))
    }

    pub fn body(&self) -> Value {
        let mut body = json!({ "schemas": [ERROR_SCHEMA], "status": self.status.to_string(), "detail": self.detail });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type.as_str());
        }
        body
    }
}

impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        match &e {
            Error::Validation(errors) => {
                let fields: Vec<String> = errors.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
                Self::invalid_value(fields.join("; "))
            }
            Error::BadRequest(detail) => Self::new(400, Some(ScimType::InvalidSyntax), detail.clone()),
            Error::PayloadTooLarge(_) => Self::new(413, None, e.to_string()),
            Error::NotFound(what) => Self::not_found(what),
            Error::Conflict { code, detail } => match code {
                crate::error::ProblemCode::EmployeeLimitReached => {
                    Self::new(403, None, format!("{detail}: raise the plan's seats or deprovision someone first"))
                }
                crate::error::ProblemCode::EmailTaken
                | crate::error::ProblemCode::TeamNameTaken
                | crate::error::ProblemCode::UserNameTaken => {
                    Self::new(409, Some(ScimType::Uniqueness), detail.clone())
                }
                _ => Self::new(409, None, detail.clone()),
            },
            Error::Unauthenticated(detail) => Self::new(401, None, detail.clone()),
            Error::Forbidden(detail) => Self::new(403, None, detail.clone()),
            Error::Unavailable(_) => {
                Self { cause: Some(e), ..Self::new(503, None, "the service is busy, retry shortly") }
            }
            _ => Self { cause: Some(e), ..Self::new(500, None, "internal error") },
        }
    }
}

impl From<crate::repo::StoreError> for ScimError {
    fn from(e: crate::repo::StoreError) -> Self {
        Error::from(e).into()
    }
}

/// A resource's `schemas` lists its core schema (RFC 7643 §3: URNs compare
/// case-insensitively); extensions may be listed besides.
pub fn require_schema(body: &Value, core: &str) -> ScimResult<()> {
    let listed = match body.get("schemas") {
        Some(Value::Array(schemas)) => schemas.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(core))),
        _ => false,
    };
    if listed { Ok(()) } else { Err(ScimError::invalid_value(format!("schemas must list {core}"))) }
}

pub type ScimResult<T> = Result<T, ScimError>;

/// A list answer (RFC 7644 §3.4.2), 1-based `startIndex`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse {
    pub schemas: [&'static str; 1],
    pub total_results: usize,
    pub start_index: usize,
    pub items_per_page: usize,
    #[serde(rename = "Resources")]
    pub resources: Vec<Value>,
}

/// Which attributes an answer carries (`attributes` or `excludedAttributes`, comma
/// separated; RFC 7644 §3.4.2.5).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Projection {
    pub attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    pub excluded_attributes: Option<String>,
}

/// Attribute paths as listed: `userName`, `name.givenName`, with or without the URN.
fn paths(list: &str) -> Vec<Vec<String>> {
    list.split(',')
        .map(|p| {
            let p = p.trim();
            let p = match p.rfind(':') {
                Some(at) if p.to_ascii_lowercase().starts_with("urn:") => &p[at + 1..],
                _ => p,
            };
            p.split('.').map(str::to_ascii_lowercase).collect::<Vec<_>>()
        })
        .filter(|p| !p.iter().all(String::is_empty))
        .collect()
}

impl Projection {
    /// Whether the answer carries `attribute` (a top-level name, any case).
    pub fn wants(&self, attribute: &str) -> bool {
        let names = |list: &str| paths(list).into_iter().filter_map(|p| p.into_iter().next()).collect::<Vec<_>>();
        let attribute = attribute.to_ascii_lowercase();
        match (&self.attributes, &self.excluded_attributes) {
            (Some(list), _) => names(list).contains(&attribute),
            (None, Some(list)) => !paths(list).iter().any(|p| p.len() == 1 && p[0] == attribute),
            (None, None) => true,
        }
    }

    /// `resource` with only the attributes asked for (`id`, `schemas` and `meta` always).
    pub fn apply(&self, mut resource: Value) -> Value {
        const ALWAYS: [&str; 3] = ["id", "schemas", "meta"];
        let Some(object) = resource.as_object_mut() else { return resource };
        if let Some(list) = self.attributes.as_deref() {
            let wanted = paths(list);
            object.retain(|key, value| {
                let key_l = key.to_ascii_lowercase();
                if ALWAYS.contains(&key.as_str()) || wanted.iter().any(|p| p.len() == 1 && p[0] == key_l) {
                    return true;
                }
                let subs: Vec<&String> =
                    wanted.iter().filter(|p| p.len() == 2 && p[0] == key_l).map(|p| &p[1]).collect();
                if subs.is_empty() {
                    return false;
                }
                let keep = |item: &mut Value| {
                    if let Some(inner) = item.as_object_mut() {
                        inner.retain(|k, _| subs.contains(&&k.to_ascii_lowercase()));
                    }
                };
                match value {
                    Value::Array(items) => items.iter_mut().for_each(keep),
                    other => keep(other),
                }
                true
            });
        } else if let Some(list) = self.excluded_attributes.as_deref() {
            for path in paths(list) {
                let Some(key) = object.keys().find(|k| k.eq_ignore_ascii_case(&path[0])).cloned() else { continue };
                if ALWAYS.contains(&key.as_str()) {
                    continue;
                }
                match path.get(1) {
                    None => {
                        object.remove(&key);
                    }
                    Some(sub) => {
                        let drop_sub = |item: &mut Value| {
                            if let Some(inner) = item.as_object_mut() {
                                inner.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                            }
                        };
                        match object.get_mut(&key) {
                            Some(Value::Array(items)) => items.iter_mut().for_each(drop_sub),
                            Some(other) => drop_sub(other),
                            None => {}
                        }
                    }
                }
            }
        }
        resource
    }
}

/// A list's filter, paging and projection, from the query string (GET) or a search
/// body (`POST .search`, RFC 7644 §3.4.3).
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    pub filter: Option<String>,
    #[serde(rename = "startIndex")]
    pub start_index: Option<String>,
    pub count: Option<String>,
    #[serde(flatten)]
    pub projection: Projection,
}

impl ListQuery {
    /// A search request body.
    pub fn from_search(body: &Value) -> ScimResult<Self> {
        let text = |name: &str| -> ScimResult<Option<String>> {
            match attribute(body, name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(Value::Array(items)) => {
                    Ok(Some(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")))
                }
                Some(_) => Err(ScimError::invalid_value(format!("{name} has the wrong type"))),
            }
        };
        Ok(Self {
            filter: text("filter")?,
            start_index: text("startIndex")?,
            count: text("count")?,
            projection: Projection {
                attributes: text("attributes")?,
                excluded_attributes: text("excludedAttributes")?,
            },
        })
    }

    /// The filter, parsed (`invalidFilter` if it cannot be).
    pub fn parsed_filter(&self) -> ScimResult<Option<filter::Filter>> {
        self.filter.as_deref().map(filter::Filter::parse).transpose()
    }

    /// The part of the list asked for. RFC 7644 §3.4.2.4: a start below 1 is 1, a
    /// negative count 0; at most [`MAX_PAGE`].
    pub fn window(&self) -> ScimResult<Window> {
        let number = |raw: &Option<String>, default: i64| -> ScimResult<i64> {
            match raw {
                None => Ok(default),
                Some(raw) => {
                    raw.trim().parse::<i64>().map_err(|_| ScimError::invalid_value("startIndex and count are integers"))
                }
            }
        };
        let start = usize::try_from(number(&self.start_index, 1)?.max(1)).unwrap_or(usize::MAX);
        let count = usize::try_from(number(&self.count, MAX_PAGE as i64)?.clamp(0, MAX_PAGE as i64)).unwrap_or(0);
        Ok(Window { start, count })
    }

    /// The list answer of `matches`, projected.
    pub fn answer(&self, matches: Matches) -> ListResponse {
        let resources: Vec<Value> = matches.page.into_iter().map(|r| self.projection.apply(r)).collect();
        ListResponse {
            schemas: [LIST_SCHEMA],
            total_results: matches.total,
            start_index: matches.window.start,
            items_per_page: resources.len(),
            resources,
        }
    }
}

/// The part of a list a request asks for: from the 1-based `start`, `count` resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: usize,
    pub count: usize,
}

impl Window {
    /// How many resources come before the window.
    pub fn skipped(&self) -> usize {
        self.start - 1
    }

    /// How many of a list's first resources the window needs read: those before it and
    /// its own.
    pub fn reach(&self) -> usize {
        self.skipped().saturating_add(self.count)
    }
}

/// What a list matched: how many in all, and those inside the window, in order.
#[derive(Debug)]
pub struct Matches {
    pub window: Window,
    pub total: usize,
    pub page: Vec<Value>,
}

impl Matches {
    pub fn new(window: Window) -> Self {
        Self { window, total: 0, page: Vec::new() }
    }

    /// Whether the next match falls inside the window.
    pub fn next_in_window(&self) -> bool {
        self.total >= self.window.skipped() && self.page.len() < self.window.count
    }

    /// Counts the next match and keeps it when it falls inside the window.
    pub fn push(&mut self, resource: Value) {
        if self.next_in_window() {
            self.page.push(resource);
        }
        self.total += 1;
    }
}

/// `POST /.search` at the root: Users and Groups alike (RFC 7644 §3.4.3).
pub async fn search_all(
    state: &crate::AppState,
    client: &ScimClient,
    query: &ListQuery,
    base: &str,
) -> ScimResult<ListResponse> {
    // Users first, then Groups: the window's rest is taken from the Groups.
    let window = query.window()?;
    let filter = query.parsed_filter()?;
    let mut all = users::matching(state, client, filter.as_ref(), window, base).await?;
    let rest = Window { start: window.start.saturating_sub(all.total).max(1), count: window.count - all.page.len() };
    let groups = groups::matching(state, client, query, rest, base).await?;
    all.total += groups.total;
    all.page.extend(groups.page);
    Ok(query.answer(all))
}

/// Text a SCIM client sent for a string attribute: 1..=max characters, one line.
pub(crate) fn text(value: &Value, name: &str, max: usize) -> ScimResult<String> {
    let text = value.as_str().ok_or_else(|| ScimError::invalid_value(format!("{name} must be a string")))?;
    crate::validate::name(max)(text.to_string()).map_err(|e| ScimError::invalid_value(format!("{name} {e}")))
}

/// A boolean as clients send it: `true`, or Microsoft Entra's `"True"` / `"False"`.
pub(crate) fn boolean(value: &Value, name: &str) -> ScimResult<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::invalid_value(format!("{name} must be true or false"))),
    }
}

/// The attribute of a resource object, looked up case-insensitively (RFC 7643 §2.1).
pub(crate) fn attribute<'a>(resource: &'a Value, name: &str) -> Option<&'a Value> {
    resource.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v).filter(|v| !v.is_null())
}

/// `meta.version` of a resource: a weak ETag of its last change.
pub(crate) fn version(at: &chrono::DateTime<chrono::Utc>) -> String {
    format!("W/\"{}\"", at.timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projections_keep_or_drop_what_is_asked() {
        let user = json!({ "id": "1", "schemas": [USER_SCHEMA], "userName": "a", "name": { "givenName": "A", "familyName": "B" }, "emails": [{ "value": "a@x", "type": "work" }] });
        let only =
            Projection { attributes: Some("userName,name.givenName,emails.value".into()), excluded_attributes: None };
        assert_eq!(
            only.apply(user.clone()),
            json!({ "id": "1", "schemas": [USER_SCHEMA], "userName": "a", "name": { "givenName": "A" }, "emails": [{ "value": "a@x" }] })
        );
        let without = Projection {
            attributes: None,
            excluded_attributes: Some("urn:ietf:params:scim:schemas:core:2.0:User:name,emails.type,id".into()),
        };
        assert_eq!(
            without.apply(user),
            json!({ "id": "1", "schemas": [USER_SCHEMA], "userName": "a", "emails": [{ "value": "a@x" }] })
        );
    }
}
