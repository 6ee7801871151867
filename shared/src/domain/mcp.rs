//! MCP server catalog: categories, servers, and their per-organization approval.
//!
//! A server's `connection_schema` is a JSON Schema of what an employee's connection
//! needs. Properties marked `"writeOnly": true` are credentials: they go to the KMS
//! vault, never into plain configuration. `requires_credentials` is derived from it.
//! `is_approved` is decided per organization: only approved servers can be given to
//! employees.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::AppState;
use crate::activity::EventType;
use crate::auth::{Caller, Principal};
use crate::domain::catalog::{self, CatalogQuery, Common, Entry, Spec};
use crate::error::{Error, Result};
use crate::ids::{McpServerId, OrgId};
use crate::keys::Key;
use crate::pagination::Page;
use crate::repo::{self, StoreError, syncsets};
use crate::roles::Permission;
use crate::validate::{self, Validator};

pub use agentctl_wire::catalog::{
    LaunchTemplate, McpApproval, McpCategorySpec, McpServer, McpServerSpec, NewMcpCategory, NewMcpServer, Transport,
};

impl Spec for McpCategorySpec {
    type New = NewMcpCategory;

    async fn parse(_: &AppState, _: Option<OrgId>, new: NewMcpCategory) -> Result<(Common, Self)> {
        let mut v = Validator::new();
        let common = Common::parse(&mut v, new.name, new.description, new.is_public);
        v.finish(|| Some((common?, McpCategorySpec {})))
    }
}

/// The credential fields of a connection schema (`writeOnly` properties), and whether
/// any of them is required.
pub fn credential_fields(schema: &Value) -> (Vec<String>, bool) {
    let required: Vec<&str> =
        schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let mut fields = Vec::new();
    let mut any_required = false;
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            if property["writeOnly"] == json!(true) {
                any_required |= required.contains(&name.as_str());
                fields.push(name.clone());
            }
        }
    }
    (fields, any_required)
}

/// The `${field}` placeholders of a launch template.
pub fn placeholders(template: &str) -> Vec<&str> {
    template.split("${").skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect()
}

fn string_map(map: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, String> {
    let ok = map.len() <= 50
        && map.iter().all(|(k, v)| {
            !k.is_empty()
                && k.len() <= 200
                && v.len() <= 2000
                && validate::clean_line(k).is_ok()
                && validate::clean_line(v).is_ok()
        });
    if ok {
        Ok(map)
    } else {
        Err("at most 50 entries of short names and values without control or bidirectional formatting characters"
            .into())
    }
}

fn url(raw: String) -> Result<String, String> {
    let ok =
        (raw.starts_with("https://") || raw.starts_with("http://localhost") || raw.starts_with("http://127.0.0.1"))
            && raw.len() <= 2000
            && !raw.chars().any(char::is_whitespace)
            && validate::clean_line(&raw).is_ok();
    if ok { Ok(raw) } else { Err("must be an https:// URL (http:// only for localhost)".into()) }
}

impl Spec for McpServerSpec {
    type New = NewMcpServer;
    const ASSIGNABLE: bool = true;
    const DERIVED: &'static [&'static str] = &["requires_credentials", "category_org_id"];

    fn sync_change(before: Option<&Entry<Self>>, after: Option<&Entry<Self>>) -> Option<syncsets::Change> {
        catalog::delivered_entry_change(before, after)
    }

    fn references(&self) -> Vec<Key> {
        self.category_id.map(|id| repo::catalog::key::<McpCategorySpec>(self.category_org_id, id)).into_iter().collect()
    }

    async fn parse(state: &AppState, owner: Option<OrgId>, new: NewMcpServer) -> Result<(Common, Self)> {
        let mut v = Validator::new();
        let common = Common::parse(&mut v, new.name, new.description, new.is_public);
        let provider = v.check("provider", new.provider, validate::name(100));
        let version = v.check("version", new.version, validate::name(50));
        let command = v.check_opt("command", new.command, validate::name(200));
        let args = v.check("args", new.args.unwrap_or_default(), validate::labels(50));
        let env = v.check("env", new.env.unwrap_or_default(), string_map);
        let headers = v.check("headers", new.headers.unwrap_or_default(), string_map);
        let url = v.check_opt("url", new.url, url);
        let schema = v.check(
            "connection_schema",
            new.connection_schema.unwrap_or_else(|| json!({ "type": "object", "properties": {} })),
            validate::json_schema(32 * 1024),
        );
        let capabilities = v.check("capabilities", new.capabilities.unwrap_or_default(), validate::labels(50));
        match new.transport {
            Transport::Stdio if matches!(command, Some(None)) => v.error("command", "a stdio server needs a command"),
            Transport::Stdio if matches!(url, Some(Some(_))) => v.error("url", "a stdio server has no url"),
            Transport::Http | Transport::Sse if matches!(url, Some(None)) => {
                v.error("url", "an HTTP server needs a url")
            }
            Transport::Http | Transport::Sse if matches!(command, Some(Some(_))) => {
                v.error("command", "an HTTP server has no command")
            }
            Transport::Http | Transport::Sse if matches!(&args, Some(a) if !a.is_empty()) => {
                v.error("args", "an HTTP server has no arguments")
            }
            _ => {}
        }
        let category = match new.category_id {
            Some(id) => match catalog::visible_to::<McpCategorySpec>(state, owner, id).await {
                Ok(category) => Some(category),
                Err(Error::NotFound(_)) => {
                    v.error("category_id", "no such MCP category");
                    None
                }
                Err(e) => return Err(e),
            },
            None => None,
        };
        let requires_credentials = schema.as_ref().map(|s| credential_fields(s).1).unwrap_or(false);
        if let Some(schema) = &schema {
            let known: Vec<&str> =
                schema["properties"].as_object().map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
            let templates = args
                .iter()
                .flatten()
                .chain(env.iter().flat_map(|m| m.values()))
                .chain(headers.iter().flat_map(|m| m.values()))
                .chain(url.iter().flatten());
            for template in templates {
                for field in placeholders(template) {
                    if !known.contains(&field) {
                        v.error(
                            "connection_schema",
                            format!("has no property {field:?}, which ${{{field}}} refers to"),
                        );
                    }
                }
            }
        }
        v.finish(|| {
            Some((
                common?,
                McpServerSpec {
                    provider: provider?,
                    version: version?,
                    launch: LaunchTemplate {
                        transport: new.transport,
                        command: command?,
                        args: args?,
                        env: env?,
                        url: url?,
                        headers: headers?,
                    },
                    connection_schema: schema?,
                    capabilities: capabilities?,
                    requires_credentials,
                    category_id: category.as_ref().map(|c| c.id),
                    category_org_id: category.and_then(|c| c.org_id),
                },
            ))
        })
    }
}

async fn approvals(state: &AppState, principal: &Principal) -> Result<Option<Vec<McpServerId>>> {
    match principal {
        Principal::Platform => Ok(None),
        Principal::Employee(caller) => {
            Ok(Some(repo::mcp::approvals(&state.repo, caller.org_id).await?.into_iter().map(|a| a.server_id).collect()))
        }
    }
}

pub async fn get(state: &AppState, principal: &Principal, id: McpServerId) -> Result<McpServer> {
    let entry = catalog::get::<McpServerSpec>(state, principal, id).await?;
    let approved = approvals(state, principal).await?;
    Ok(McpServer { is_approved: approved.map(|ids| ids.contains(&entry.id)), entry })
}

pub async fn list(state: &AppState, principal: &Principal, query: &CatalogQuery) -> Result<Page<McpServer>> {
    let approved = approvals(state, principal).await?;
    if query.approved.is_some() && approved.is_none() {
        return Err(Error::BadRequest("approved filters by the caller's organization; the platform has none".into()));
    }
    let page = catalog::list::<McpServerSpec>(state, principal, query).await?;
    let items = page
        .items
        .into_iter()
        .map(|entry| McpServer { is_approved: approved.as_ref().map(|ids| ids.contains(&entry.id)), entry })
        .filter(|server| query.approved.is_none() || server.is_approved == query.approved)
        .collect();
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Adds the organization's approval of `server` to `tx`: the approval, the new sync
/// version of the organization, the activity entry. The server's `ref_count` is the
/// caller's to adjust (a transaction writes an item once).
pub(crate) fn stage_approval(
    state: &AppState,
    tx: &mut repo::Transaction,
    approver: &Caller,
    server: &Entry<McpServerSpec>,
) -> Result<McpApproval> {
    let org = approver.org_id;
    let approval = McpApproval {
        server_id: server.id,
        org_id: org,
        server_org_id: server.org_id,
        approved_by: approver.employee_id,
        approved_at: crate::time::now(),
    };
    repo::mcp::put_approval(tx, &approval)?;
    let mut change = syncsets::Change::new(syncsets::Scope::Org(org));
    change.approve(server.id);
    change.apply(tx, &approval.approved_at);
    let by = approver.principal();
    crate::domain::log(
        state,
        tx,
        org,
        &by,
        EventType::McpApproved,
        json!({ "server_id": server.id, "name": server.name }),
    )?;
    Ok(approval)
}

/// Approves a visible server for the caller's organization (idempotent).
pub async fn approve(state: &AppState, caller: &Caller, id: McpServerId) -> Result<McpApproval> {
    caller.require(Permission::McpApprove)?;
    let server = catalog::visible_to::<McpServerSpec>(state, Some(caller.org_id), id).await?;
    if let Some(existing) = repo::mcp::approval(&state.repo, caller.org_id, id).await? {
        return Ok(existing);
    }
    let mut tx = state.repo.transaction();
    let approval = stage_approval(state, &mut tx, caller, &server)?;
    repo::catalog::adjust_refs_at(&mut tx, &repo::catalog::key::<McpServerSpec>(server.org_id, server.id), 1);
    match crate::domain::notify::commit(state, tx).await {
        Ok(()) => Ok(approval),
        // A concurrent approval won: the server is approved either way.
        Err(StoreError::ConditionFailed(repo::Guard::McpApproved)) => {
            repo::mcp::approval(&state.repo, caller.org_id, id).await?.ok_or(Error::NotFound("mcp_server"))
        }
        Err(StoreError::ConditionFailed(_)) => Err(Error::NotFound("mcp_server")),
        Err(e) => Err(e.into()),
    }
}

/// Revokes the caller's organization's approval of a server.
pub async fn revoke(state: &AppState, caller: &Caller, id: McpServerId) -> Result<()> {
    caller.require(Permission::McpApprove)?;
    let approval = repo::mcp::approval(&state.repo, caller.org_id, id).await?.ok_or(Error::NotFound("mcp_approval"))?;
    let mut tx = state.repo.transaction();
    repo::mcp::delete_approval(&mut tx, caller.org_id, id);
    repo::catalog::adjust_refs_at(&mut tx, &repo::catalog::key::<McpServerSpec>(approval.server_org_id, id), -1);
    let mut change = syncsets::Change::new(syncsets::Scope::Org(caller.org_id));
    change.revoke(id);
    change.apply(&mut tx, &crate::time::now());
    crate::domain::log(
        state,
        &mut tx,
        caller.org_id,
        &caller.principal(),
        EventType::McpRevoked,
        json!({ "server_id": id }),
    )?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(_) => Error::NotFound("mcp_approval"),
        e => e.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found() {
        assert_eq!(placeholders("Bearer ${token}"), ["token"]);
        assert_eq!(placeholders("${a}-${b}"), ["a", "b"]);
        assert!(placeholders("plain").is_empty());
    }

    #[test]
    fn credential_fields_are_the_write_only_properties() {
        let schema = json!({
            "type": "object",
            "properties": { "token": { "type": "string", "writeOnly": true }, "org": { "type": "string" } },
            "required": ["token"]
        });
        assert_eq!(credential_fields(&schema), (vec!["token".to_string()], true));
        let optional = json!({ "properties": { "key": { "type": "string", "writeOnly": true } } });
        assert_eq!(credential_fields(&optional), (vec!["key".to_string()], false));
    }
}
