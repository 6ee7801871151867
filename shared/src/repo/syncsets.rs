//! Sync sets: what a sync's ETag is made of, and what a bundle needs from a scope that
//! cannot be read by key. One item per scope, written in the same transaction as every
//! change it reflects, so that a sync reads it with one BatchGetItem instead of
//! querying prefixes (see docs/ARCHITECTURE.md, "The sync bundle"):
//!
//! - `CATALOG` / `SYNCSET` (the platform) and `ORG#o` / `SYNCSET` (an organization):
//!   `version` and `changed_at`, plus flat attributes, one per fact:
//!   `pol_<policy>` a policy's content (JSON), `pol_bytes` their total size (capped),
//!   `orgpol_<policy>` an organization-wide attachment, `teampol_<team>_<policy>` a team
//!   attachment (its overrides, JSON), `agentpol_<agent>_<policy>` an agent attachment,
//!   `mcpok_<server>` an MCP server approval; `asg_<assignment>` an assignment (JSON) of
//!   the organization, `ent_<kind>_<id>` the content (JSON) of an agent or MCP server of
//!   the scope's catalog (every global one; an organization's own while it assigns it),
//!   so a sync reads assigned entries without knowing them beforehand, `tool_<tool>` a tool of the scope's
//!   catalog (name, type, `requires_approval`), `agenttool_<agent>_<tool>` a tool the
//!   scope linked to an agent (with the link's config), `sharedcred_<assignment>` the
//!   organization's sealed credentials of an assignment (KMS ciphertext), `asg_bytes` the
//!   size of these five (capped).
//! - `ORG#o#EMP#e` / `SYNCSET` (an employee): `version` and `changed_at` only; the
//!   employee's configurations and own attachments share its partition.
//!
//! Flat attributes (rather than maps) need no parent to exist, so every change is one
//! UpdateItem that also creates the item.

use super::Guard;
use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalog::Spec;
use super::policies::PolicyContent;
use super::{Expr, Item, Repository, StoreError, Transaction, n, s, ts};
use crate::ids::{AgentId, AssignmentId, EmployeeId, McpServerId, OrgId, PolicyId, TeamId, ToolId};
use crate::keys::{self, Key};
use crate::time::Timestamp;
use agentctl_wire::assignments::Assignment;
use agentctl_wire::catalog::AgentTool;
use agentctl_wire::catalog::Entry;
use agentctl_wire::catalog::{ToolSpec, ToolType};

pub const SK: &str = keys::SYNC_SET_SK;
/// The most policy content (JSON bytes) one scope keeps: the set must stay well inside
/// DynamoDB's 400 KB item limit, with room for the attachments.
pub const POLICY_BYTES_MAX: i64 = 256 * 1024;
/// The most assignment and assigned-entry content (JSON bytes) one scope keeps; with the
/// policies, the set stays under 400 KB.
pub const ASSIGNMENT_BYTES_MAX: i64 = 96 * 1024;

const VERSION: &str = "version";
const CHANGED_AT: &str = "changed_at";
const POLICY_BYTES: &str = "pol_bytes";
const POLICY: &str = "pol_";
const ORG_LINK: &str = "orgpol_";
const TEAM_LINK: &str = "teampol_";
const AGENT_LINK: &str = "agentpol_";
const APPROVAL: &str = "mcpok_";
const ASSIGNMENT_BYTES: &str = "asg_bytes";
const ASSIGNMENT: &str = "asg_";
const ENTRY: &str = "ent_";
const TOOL: &str = "tool_";
const TOOL_LINK: &str = "agenttool_";
const SHARED_CREDENTIALS: &str = "sharedcred_";

/// A tool as sync sets keep it: what clients need to write a rule for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolFacts {
    pub name: String,
    #[serde(rename = "type")]
    pub tool_type: ToolType,
    pub requires_approval: bool,
    /// Whether organizations see it (a global tool may be hidden).
    pub is_public: bool,
}

impl ToolFacts {
    fn of(tool: &Entry<ToolSpec>) -> Self {
        Self {
            name: tool.name.clone(),
            tool_type: tool.spec.tool_type,
            requires_approval: tool.spec.requires_approval,
            is_public: tool.is_public,
        }
    }
}

/// A tool linked to an agent, as sync sets keep it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolLinkFacts {
    /// The tool's owner (absent: a global tool, whose facts are in the platform's set).
    pub tool_org_id: Option<OrgId>,
    pub config: Value,
}

fn tool_link_json(link: &AgentTool) -> String {
    serde_json::to_string(&ToolLinkFacts { tool_org_id: link.tool_org_id, config: link.config.clone() })
        .expect("links serialize")
}

/// Whose sync set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The platform's: global policies, its attachments to global agents, global entries.
    Catalog,
    Org(OrgId),
    Employee(OrgId, EmployeeId),
}

impl Scope {
    /// The scope of a catalog owner (`None`: the global catalog).
    pub fn of(owner: Option<OrgId>) -> Self {
        owner.map_or(Scope::Catalog, Scope::Org)
    }

    pub fn key(self) -> Key {
        keys::sync_set(match self {
            Scope::Catalog => keys::CATALOG_PK.to_string(),
            Scope::Org(org) => keys::org_pk(org),
            Scope::Employee(org, employee) => keys::employee_partition(org, employee),
        })
    }
}

/// An attachment, as the sync set records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Org(PolicyId),
    Team(TeamId, PolicyId),
    Agent(AgentId, PolicyId),
}

impl Link {
    fn attribute(self) -> String {
        match self {
            Link::Org(policy) => format!("{ORG_LINK}{policy}"),
            Link::Team(team, policy) => format!("{TEAM_LINK}{team}_{policy}"),
            Link::Agent(agent, policy) => format!("{AGENT_LINK}{agent}_{policy}"),
        }
    }
}

/// The changes one transaction makes to one scope's set; [`Change::apply`] adds them
/// (and the version bump) to the transaction as one update.
#[derive(Debug)]
pub struct Change {
    scope: Scope,
    set: Vec<(String, AttributeValue)>,
    remove: Vec<String>,
    policy_bytes: i64,
    assignment_bytes: i64,
}

/// The attribute holding an entry's content.
fn entry_attribute<S: Spec>(id: S::Id) -> String {
    format!("{ENTRY}{}_{id}", S::KIND)
}

/// An entry's content as a set keeps it (without its organization-relative `ref_count`).
fn entry_json<S: Spec>(entry: &Entry<S>) -> String {
    let entry = Entry { ref_count: None, ..entry.clone() };
    serde_json::to_string(&entry).expect("entries serialize")
}

impl Change {
    /// A change of the scope that shapes bundles (the version moves even with no facts).
    pub fn new(scope: Scope) -> Self {
        Self { scope, set: Vec::new(), remove: Vec::new(), policy_bytes: 0, assignment_bytes: 0 }
    }

    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Writes an assignment (`before`: the one it replaces).
    pub fn put_assignment(&mut self, assignment: &Assignment, before: Option<&Assignment>) {
        let text = serde_json::to_string(assignment).expect("assignments serialize");
        self.assignment_bytes += text.len() as i64 - before.map_or(0, assignment_len);
        self.set.push((format!("{ASSIGNMENT}{}", assignment.id), s(text)));
    }

    pub fn remove_assignment(&mut self, before: &Assignment) {
        self.assignment_bytes -= assignment_len(before);
        self.remove.push(format!("{ASSIGNMENT}{}", before.id));
    }

    /// Writes the content of an assigned entry (`before`: the content it replaces).
    pub fn put_entry<S: Spec>(&mut self, entry: &Entry<S>, before: Option<&Entry<S>>) {
        let text = entry_json(entry);
        self.assignment_bytes += text.len() as i64 - before.map_or(0, |b| entry_json(b).len() as i64);
        self.set.push((entry_attribute::<S>(entry.id), s(text)));
    }

    /// Drops the content of an entry no organization assigns any more.
    pub fn remove_entry<S: Spec>(&mut self, before: &Entry<S>) {
        self.assignment_bytes -= entry_json(before).len() as i64;
        self.remove.push(entry_attribute::<S>(before.id));
    }

    /// Writes the sealed organization credentials of an assignment (`before_len`: the
    /// size of those they replace).
    pub fn put_shared_credentials(&mut self, assignment: AssignmentId, ciphertext: &str, before_len: i64) {
        self.assignment_bytes += ciphertext.len() as i64 - before_len;
        self.set.push((format!("{SHARED_CREDENTIALS}{assignment}"), s(ciphertext)));
    }

    pub fn remove_shared_credentials(&mut self, assignment: AssignmentId, before_len: i64) {
        self.assignment_bytes -= before_len;
        self.remove.push(format!("{SHARED_CREDENTIALS}{assignment}"));
    }

    /// Writes a tool's facts (`before`: the tool they replace).
    pub fn put_tool(&mut self, tool: &Entry<ToolSpec>, before: Option<&Entry<ToolSpec>>) {
        let text = serde_json::to_string(&ToolFacts::of(tool)).expect("tools serialize");
        let before = before.map_or(0, |b| serde_json::to_string(&ToolFacts::of(b)).map_or(0, |t| t.len() as i64));
        self.assignment_bytes += text.len() as i64 - before;
        self.set.push((format!("{TOOL}{}", tool.id), s(text)));
    }

    pub fn remove_tool(&mut self, before: &Entry<ToolSpec>) {
        self.assignment_bytes -= serde_json::to_string(&ToolFacts::of(before)).map_or(0, |t| t.len() as i64);
        self.remove.push(format!("{TOOL}{}", before.id));
    }

    /// Records a tool linked to an agent (`before`: the link it replaces).
    pub fn link_tool(&mut self, link: &AgentTool, before: Option<&AgentTool>) {
        let text = tool_link_json(link);
        self.assignment_bytes += text.len() as i64 - before.map_or(0, |b| tool_link_json(b).len() as i64);
        self.set.push((format!("{TOOL_LINK}{}_{}", link.agent_id, link.tool_id), s(text)));
    }

    pub fn unlink_tool(&mut self, before: &AgentTool) {
        self.assignment_bytes -= tool_link_json(before).len() as i64;
        self.remove.push(format!("{TOOL_LINK}{}_{}", before.agent_id, before.tool_id));
    }

    /// Writes a policy's content (`before`: the content it replaces).
    pub fn put_policy(&mut self, id: PolicyId, content: &PolicyContent, before: Option<&PolicyContent>) {
        let text = content.to_json();
        self.policy_bytes += text.len() as i64 - before.map_or(0, |b| b.to_json().len() as i64);
        self.set.push((format!("{POLICY}{id}"), s(text)));
    }

    pub fn remove_policy(&mut self, id: PolicyId, before: &PolicyContent) {
        self.policy_bytes -= before.to_json().len() as i64;
        self.remove.push(format!("{POLICY}{id}"));
    }

    /// Records an attachment (team attachments with their overrides).
    pub fn link(&mut self, link: Link, overrides: Option<&Value>) {
        let value = overrides.map_or_else(String::new, Value::to_string);
        self.set.push((link.attribute(), s(value)));
    }

    pub fn unlink(&mut self, link: Link) {
        self.remove.push(link.attribute());
    }

    pub fn approve(&mut self, server: McpServerId) {
        self.set.push((format!("{APPROVAL}{server}"), s("")));
    }

    pub fn revoke(&mut self, server: McpServerId) {
        self.remove.push(format!("{APPROVAL}{server}"));
    }

    /// Adds the update to `tx`: the facts, `version + 1`, `changed_at`; a change that
    /// grows the policies fails with [`Guard::PolicySpace`] past [`POLICY_BYTES_MAX`], one
    /// that grows the assignments with [`Guard::AssignmentSpace`] past
    /// [`ASSIGNMENT_BYTES_MAX`].
    pub fn apply(self, tx: &mut Transaction, at: &Timestamp) {
        let mut set = self.set;
        set.push((CHANGED_AT.into(), ts(at)));
        let mut expr = Expr::set(set.iter().map(|(k, v)| (k.as_str(), v.clone())).collect());
        let mut adds = vec!["#version :one"];
        expr = expr.name("#version", VERSION).value(":one", n(1));
        if self.policy_bytes != 0 {
            adds.push("#bytes :bytes");
            expr = expr.name("#bytes", POLICY_BYTES).value(":bytes", n(self.policy_bytes));
        }
        if self.assignment_bytes != 0 {
            adds.push("#asgbytes :asgbytes");
            expr = expr.name("#asgbytes", ASSIGNMENT_BYTES).value(":asgbytes", n(self.assignment_bytes));
        }
        expr = expr.then(&format!("ADD {}", adds.join(", ")));
        if !self.remove.is_empty() {
            let names: Vec<String> = (0..self.remove.len()).map(|i| format!("#r{i}")).collect();
            expr = expr.then(&format!("REMOVE {}", names.join(", ")));
            for (name, attribute) in names.iter().zip(&self.remove) {
                expr = expr.name(name, attribute);
            }
        }
        // Policies and assignments never change in one transaction: one guard names the
        // counter that grows.
        let (condition, guard) = if self.assignment_bytes > 0 {
            let room = Expr::new("attribute_not_exists(#asgbytes) OR #asgbytes <= :asgroom")
                .name("#asgbytes", ASSIGNMENT_BYTES)
                .value(":asgroom", n(ASSIGNMENT_BYTES_MAX - self.assignment_bytes));
            (Some(room), Guard::AssignmentSpace)
        } else {
            let room = (self.policy_bytes > 0).then(|| {
                Expr::new("attribute_not_exists(#bytes) OR #bytes <= :room")
                    .name("#bytes", POLICY_BYTES)
                    .value(":room", n(POLICY_BYTES_MAX - self.policy_bytes))
            });
            (room, Guard::PolicySpace)
        };
        tx.update(&self.scope.key(), expr, condition, guard);
    }
}

/// A scope's version as a sync sees it (a set never written is version 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamp {
    pub version: u64,
    pub changed_at: Option<Timestamp>,
}

/// A scope's sync set, read.
#[derive(Debug, Default)]
pub struct SyncSet {
    pub stamp: Stamp,
    pub policies: BTreeMap<PolicyId, PolicyContent>,
    pub org_links: BTreeSet<PolicyId>,
    /// (team, policy) -> overrides.
    pub team_links: BTreeMap<(TeamId, PolicyId), Option<Value>>,
    /// (agent, policy).
    pub agent_links: BTreeSet<(AgentId, PolicyId)>,
    pub approved: BTreeSet<McpServerId>,
    pub assignments: BTreeMap<AssignmentId, Assignment>,
    /// The organization's sealed credentials of assignments.
    pub shared_credentials: BTreeMap<AssignmentId, String>,
    /// The content (JSON) of assigned entries, by `<kind>_<id>`.
    entries: BTreeMap<String, String>,
    pub tools: BTreeMap<ToolId, ToolFacts>,
    /// (agent, tool) -> the link.
    pub tool_links: BTreeMap<(AgentId, ToolId), ToolLinkFacts>,
}

impl SyncSet {
    /// An assigned entry of this scope's catalog, if the set holds its content.
    pub fn entry<S: Spec>(&self, id: S::Id) -> Result<Option<Entry<S>>, StoreError> {
        let attribute = entry_attribute::<S>(id);
        let Some(json) = self.entries.get(&attribute[ENTRY.len()..]) else { return Ok(None) };
        serde_json::from_str(json).map(Some).map_err(|_| corrupt(&attribute))
    }
}

fn assignment_len(assignment: &Assignment) -> i64 {
    serde_json::to_string(assignment).expect("assignments serialize").len() as i64
}

/// The attributes a stamp needs (for a projection).
pub const STAMP_ATTRIBUTES: [&str; 4] = [keys::PK, keys::SK, VERSION, CHANGED_AT];

pub fn stamp(item: &Item) -> Result<Stamp, StoreError> {
    let version = match item.get(VERSION) {
        Some(AttributeValue::N(v)) => v.parse().map_err(|_| corrupt(VERSION))?,
        _ => 0,
    };
    let changed_at = match item.get(CHANGED_AT) {
        Some(value) => Some(serde_dynamo::from_attribute_value(value.clone()).map_err(|_| corrupt(CHANGED_AT))?),
        None => None,
    };
    Ok(Stamp { version, changed_at })
}

pub fn read(item: &Item) -> Result<SyncSet, StoreError> {
    let mut set = SyncSet { stamp: stamp(item)?, ..SyncSet::default() };
    for (attribute, value) in item {
        let text = || value.as_s().map_err(|_| corrupt(attribute));
        if let Some(id) = attribute.strip_prefix(POLICY).and_then(|id| id.parse().ok()) {
            let content = PolicyContent::from_json(text()?).map_err(|_| corrupt(attribute))?;
            set.policies.insert(id, content);
        } else if let Some(policy) = attribute.strip_prefix(ORG_LINK) {
            set.org_links.insert(id(policy, attribute)?);
        } else if let Some((team, policy)) = attribute.strip_prefix(TEAM_LINK).and_then(|r| r.split_once('_')) {
            let overrides = match text()?.as_str() {
                "" => None,
                json => Some(serde_json::from_str(json).map_err(|_| corrupt(attribute))?),
            };
            set.team_links.insert((id(team, attribute)?, id(policy, attribute)?), overrides);
        } else if let Some((agent, policy)) = attribute.strip_prefix(AGENT_LINK).and_then(|r| r.split_once('_')) {
            set.agent_links.insert((id(agent, attribute)?, id(policy, attribute)?));
        } else if let Some(server) = attribute.strip_prefix(APPROVAL) {
            set.approved.insert(id(server, attribute)?);
        } else if attribute.starts_with(ASSIGNMENT) && attribute != ASSIGNMENT_BYTES {
            let assignment: Assignment = serde_json::from_str(text()?).map_err(|_| corrupt(attribute))?;
            set.assignments.insert(assignment.id, assignment);
        } else if let Some(assignment) = attribute.strip_prefix(SHARED_CREDENTIALS) {
            set.shared_credentials.insert(id(assignment, attribute)?, text()?.clone());
        } else if let Some(entry) = attribute.strip_prefix(ENTRY) {
            set.entries.insert(entry.to_string(), text()?.clone());
        } else if let Some(tool) = attribute.strip_prefix(TOOL) {
            let facts = serde_json::from_str(text()?).map_err(|_| corrupt(attribute))?;
            set.tools.insert(id(tool, attribute)?, facts);
        } else if let Some((agent, tool)) = attribute.strip_prefix(TOOL_LINK).and_then(|r| r.split_once('_')) {
            let facts = serde_json::from_str(text()?).map_err(|_| corrupt(attribute))?;
            set.tool_links.insert((id(agent, attribute)?, id(tool, attribute)?), facts);
        }
    }
    Ok(set)
}

/// The size of the organization's sealed credentials of an assignment (0: none), read
/// alone from its set.
pub async fn shared_credentials_len(
    repo: &super::Repository,
    org: OrgId,
    assignment: AssignmentId,
) -> Result<i64, StoreError> {
    let attribute = format!("{SHARED_CREDENTIALS}{assignment}");
    let items = repo.batch_get_projected(&[Scope::Org(org).key()], &[&attribute]).await?;
    Ok(items.first().and_then(|item| item.get(&attribute)).and_then(|v| v.as_s().ok()).map_or(0, |c| c.len() as i64))
}

/// The organization's sync set and the platform's, in one BatchGetItem: what policy
/// resolution and the usage limits read.
pub async fn org_and_platform(repo: &Repository, org: OrgId) -> Result<(SyncSet, SyncSet), StoreError> {
    let (org_scope, platform) = (Scope::Org(org), Scope::Catalog);
    let items = repo.batch_get(&[org_scope.key(), platform.key()]).await?;
    Ok((find(&items, org_scope)?, find(&items, platform)?))
}

/// The set of `scope` among items read by key (version 0 when it was never written).
pub fn find(items: &[Item], scope: Scope) -> Result<SyncSet, StoreError> {
    super::by_key(items, &scope.key()).map(read).transpose().map(Option::unwrap_or_default)
}

/// The stamp of `scope` among items read by key.
pub fn find_stamp(items: &[Item], scope: Scope) -> Result<Stamp, StoreError> {
    super::by_key(items, &scope.key()).map(stamp).transpose().map(Option::unwrap_or_default)
}

fn id<T: std::str::FromStr>(text: &str, attribute: &str) -> Result<T, StoreError> {
    text.parse().map_err(|_| corrupt(attribute))
}

fn corrupt(attribute: &str) -> StoreError {
    StoreError::Corrupt(format!("sync set attribute {attribute}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentctl_wire::policy::{PolicyType, Severity};
    use serde_json::json;

    #[test]
    fn facts_written_as_attributes_read_back() {
        let (policy, team, agent, server) = (PolicyId::new(), TeamId::new(), AgentId::new(), McpServerId::new());
        let content = PolicyContent {
            name: "No /etc".into(),
            policy_type: PolicyType::Filesystem,
            severity: Severity::Block,
            rules: json!({ "deny": ["/etc/**"] }),
        };
        let overrides = json!({ "deny": [] });
        let mut item = Item::from([(VERSION.to_string(), n(7))]);
        item.insert(format!("{POLICY}{policy}"), s(content.to_json()));
        item.insert(Link::Org(policy).attribute(), s(""));
        item.insert(Link::Team(team, policy).attribute(), s(overrides.to_string()));
        item.insert(Link::Agent(agent, policy).attribute(), s(""));
        item.insert(format!("{APPROVAL}{server}"), s(""));
        item.insert(POLICY_BYTES.into(), n(12));
        let set = read(&item).unwrap();
        assert_eq!(set.stamp.version, 7);
        assert_eq!(set.policies[&policy].name, "No /etc");
        assert!(set.org_links.contains(&policy));
        assert_eq!(set.team_links[&(team, policy)], Some(overrides));
        assert!(set.agent_links.contains(&(agent, policy)));
        assert!(set.approved.contains(&server));
    }

    #[test]
    fn assignments_and_assigned_entries_read_back_and_their_counter_is_no_assignment() {
        use agentctl_wire::assignments::{Assigned, AssignmentTarget};
        use agentctl_wire::catalog::AgentSpec;
        let assignment = Assignment {
            id: AssignmentId::new(),
            org_id: OrgId::new(),
            target: AssignmentTarget::Organization {},
            item: Assigned::Agent { agent_id: AgentId::new(), config_override: json!({ "a": 1 }) },
            entry_org_id: None,
            name: "Codex".into(),
            excluded_employee_ids: vec![],
            shared_credentials: false,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let agent: Entry<AgentSpec> = serde_json::from_value(json!({
            "id": AgentId::new(), "scope": "global", "org_id": null, "name": "Codex", "description": "",
            "is_public": true, "ref_count": 3, "type": "codex", "provider": "OpenAI", "llm_provider": null,
            "llm_model": null, "default_config": {}, "config_schema": null, "capabilities": [],
            "created_at": chrono::Utc::now(), "updated_at": chrono::Utc::now(),
        }))
        .unwrap();
        let mut change = Change::new(Scope::Catalog);
        change.put_assignment(&assignment, None);
        change.put_entry(&agent, None);
        let mut item: Item = change.set.into_iter().collect();
        item.insert(ASSIGNMENT_BYTES.into(), n(change.assignment_bytes));
        let set = read(&item).unwrap();
        assert_eq!(set.assignments.len(), 1, "the byte counter is not an assignment");
        assert_eq!(set.assignments[&assignment.id].name, "Codex");
        let stored = set.entry::<AgentSpec>(agent.id).unwrap().expect("the entry's content");
        assert_eq!((stored.name.as_str(), stored.ref_count), ("Codex", None));
        assert!(set.entry::<AgentSpec>(AgentId::new()).unwrap().is_none());
    }

    #[test]
    fn an_unwritten_set_is_version_zero() {
        assert_eq!(read(&Item::new()).unwrap().stamp, Stamp::default());
    }
}
