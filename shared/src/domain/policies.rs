//! Policies: typed rules with a severity, in the catalog (global or org-private), attached
//! at four levels — agent catalog entry, organization, team (with overrides), employee —
//! and resolved into an employee's effective set by [`crate::policy::resolve`].

use serde_json::{Value, json};
use uuid::Uuid;

use crate::AppState;
use crate::activity::EventType;
use crate::auth::{Caller, Principal};
use crate::domain::agents::AgentSpec;
use crate::domain::catalog::{self, Common, Entry, Spec};
use crate::domain::employees;
use crate::domain::teams::{self, Memberships};
use crate::error::{Error, ProblemCode, Result};
use crate::ids::{AgentId, EmployeeId, OrgId, PolicyId, TeamId};
use crate::policy::enforcement::enforcement;
use crate::policy::{self, Attachment, Level, Rules};
use crate::repo::policies::AttachedTo;
use crate::repo::syncsets::{self, SyncSet};
use crate::repo::{self, StoreError};
use crate::roles::Permission;
use crate::validate::Validator;

pub use crate::repo::policies::{PolicyContent, Target};
pub use agentctl_wire::policy::{
    AppliedPolicy, AttachRequest, EffectivePolicies, EffectiveQuery, NewPolicy, PolicyLink, PolicySpec,
};

/// The largest rules one policy may have (its scope keeps at most
/// [`syncsets::POLICY_BYTES_MAX`] of them all).
const RULES_BYTES_MAX: usize = 32 * 1024;

impl PolicyContent {
    fn of(entry: &Entry<PolicySpec>) -> Self {
        let spec = &entry.spec;
        Self {
            name: entry.name.clone(),
            policy_type: spec.policy_type,
            severity: spec.severity,
            rules: spec.rules.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("policy content serializes")
    }

    pub fn from_json(text: &str) -> serde_json::Result<Self> {
        serde_json::from_str(text)
    }

    /// The typed rules (validated when written).
    fn typed(&self) -> Result<Rules> {
        Rules::parse(self.policy_type, self.rules.clone())
            .map_err(|e| Error::internal(format!("stored policy rules no longer parse: {e:?}")))
    }
}

impl Spec for PolicySpec {
    type New = NewPolicy;
    const DERIVED: &'static [&'static str] = &["enforcement"];
    const WRITE: Permission = Permission::PoliciesWrite;
    const READ: Permission = Permission::PoliciesRead;

    fn refresh(&mut self) {
        self.enforcement = Some(enforcement(self.policy_type));
    }

    /// A policy's content lives in its scope's sync set too (resolution reads it there).
    fn sync_change(before: Option<&Entry<Self>>, after: Option<&Entry<Self>>) -> Option<syncsets::Change> {
        let owner = before.or(after)?.org_id;
        let mut change = syncsets::Change::new(syncsets::Scope::of(owner));
        let before_content = before.map(PolicyContent::of);
        match after {
            Some(after) => change.put_policy(after.id, &PolicyContent::of(after), before_content.as_ref()),
            None => change.remove_policy(before?.id, before_content.as_ref()?),
        }
        Some(change)
    }

    async fn parse(_: &AppState, _: Option<OrgId>, new: NewPolicy) -> Result<(Common, Self)> {
        let mut v = Validator::new();
        let common = Common::parse(&mut v, new.name, new.description, new.is_public);
        let rules = match Rules::parse(new.policy_type, new.rules) {
            Ok(rules) if rules.to_value().to_string().len() > RULES_BYTES_MAX => {
                v.error("rules", format!("at most {} KB of JSON", RULES_BYTES_MAX / 1024));
                None
            }
            Ok(rules) => Some(rules),
            Err(errors) => {
                errors.into_iter().for_each(|e| v.error(&e.field, e.message));
                None
            }
        };
        v.finish(|| {
            Some((
                common?,
                PolicySpec {
                    policy_type: new.policy_type,
                    rules: rules?.to_value(),
                    severity: new.severity,
                    enforcement: Some(enforcement(new.policy_type)),
                },
            ))
        })
    }
}

/// What an attachment hangs on: the partition owner, and the target that must still
/// exist when the attachment is written (none for the organization itself).
struct Anchor {
    owner: Option<OrgId>,
    target: Option<AttachedTo>,
}

/// Checks the target exists for the caller.
async fn check_target(state: &AppState, principal: &Principal, target: Target) -> Result<Anchor> {
    let org = match principal {
        Principal::Platform => None,
        Principal::Employee(caller) => Some(caller.org_id),
    };
    match (target, org) {
        (Target::Agent(agent), _) => {
            let agent = catalog::visible_to::<AgentSpec>(state, org, agent).await?;
            Ok(Anchor { owner: org, target: Some(AttachedTo::Agent(agent.org_id, agent.id)) })
        }
        (Target::Team(team), Some(org)) => {
            teams::find(state, org, team).await?;
            Ok(Anchor { owner: Some(org), target: Some(AttachedTo::Team(org, team)) })
        }
        (Target::Employee(employee), Some(org)) => {
            employees::find(state, org, employee).await?;
            Ok(Anchor { owner: Some(org), target: Some(AttachedTo::Employee(org, employee)) })
        }
        (Target::Org, Some(org)) => Ok(Anchor { owner: Some(org), target: None }),
        (_, None) => Err(Error::Forbidden("the platform attaches policies to global agents only".into())),
    }
}

/// Keeps the target alive while the attachment is written (and counts agent references).
fn anchor(tx: &mut repo::Transaction, anchor: &Anchor, delta: i32) {
    if let Some(target) = &anchor.target {
        repo::policies::hold_target(tx, target, delta);
    }
}

pub async fn attach(
    state: &AppState,
    principal: &Principal,
    target: Target,
    policy_id: PolicyId,
    request: AttachRequest,
) -> Result<PolicyLink> {
    let writer = principal.scope(Permission::PoliciesWrite)?;
    let target_anchor = check_target(state, principal, target).await?;
    let owner = target_anchor.owner;
    let policy = catalog::visible_to::<PolicySpec>(state, writer, policy_id).await?;
    if let Some(overrides) = &request.overrides {
        if !matches!(target, Target::Team(_)) {
            return Err(Error::invalid("overrides", "only team attachments take overrides"));
        }
        PolicyContent::of(&policy).typed()?.with_overrides(overrides).map_err(Error::Validation)?;
    }
    let now = crate::time::now();
    let existing = repo::policies::get_link(&state.repo, owner, target, policy_id).await?;
    let link = PolicyLink {
        id: existing.as_ref().map_or_else(Uuid::now_v7, |l| l.id),
        level: level(target),
        org_id: owner,
        target_id: target_id(target),
        policy_id,
        policy_org_id: policy.org_id,
        policy_name: policy.name.clone(),
        overrides: request.overrides,
        created_at: existing.as_ref().map_or(now, |l| l.created_at),
        updated_at: now,
    };
    let mut tx = state.repo.transaction();
    match &existing {
        Some(before) => repo::policies::replace_link(&mut tx, target, &link, before)?,
        None => {
            repo::policies::create_link(&mut tx, target, &link)?;
            repo::catalog::adjust_refs_at(&mut tx, &repo::catalog::key::<PolicySpec>(policy.org_id, policy.id), 1);
            anchor(&mut tx, &target_anchor, 1);
        }
    }
    let (mut change, set_link) = sync_change(owner, target, policy_id);
    if let Some(set_link) = set_link {
        change.link(set_link, link.overrides.as_ref());
    }
    change.apply(&mut tx, &now);
    if let Some(org) = owner {
        let payload = json!({ "policy_id": policy_id, "level": link.level, "target_id": link.target_id, "overrides": link.overrides.is_some() });
        crate::domain::log(state, &mut tx, org, principal, EventType::PolicyAttached, payload)?;
    }
    crate::domain::notify::commit(state, tx).await.map_err(map_link_error)?;
    Ok(link)
}

pub async fn detach(state: &AppState, principal: &Principal, target: Target, policy_id: PolicyId) -> Result<()> {
    principal.scope(Permission::PoliciesWrite)?;
    let target_anchor = check_target(state, principal, target).await?;
    let owner = target_anchor.owner;
    let link =
        repo::policies::get_link(&state.repo, owner, target, policy_id).await?.ok_or(Error::NotFound("policy_link"))?;
    let mut tx = state.repo.transaction();
    repo::policies::delete_link(&mut tx, owner, target, policy_id);
    repo::catalog::adjust_refs_at(&mut tx, &repo::catalog::key::<PolicySpec>(link.policy_org_id, policy_id), -1);
    anchor(&mut tx, &target_anchor, -1);
    let (mut change, set_link) = sync_change(owner, target, policy_id);
    if let Some(set_link) = set_link {
        change.unlink(set_link);
    }
    change.apply(&mut tx, &crate::time::now());
    if let Some(org) = owner {
        let payload = json!({ "policy_id": policy_id, "level": link.level, "target_id": link.target_id });
        crate::domain::log(state, &mut tx, org, principal, EventType::PolicyDetached, payload)?;
    }
    crate::domain::notify::commit(state, tx).await.map_err(map_link_error)
}

/// The sync set an attachment changes, and the fact it records there (employee
/// attachments live in the employee's partition, which the sync reads whole).
fn sync_change(owner: Option<OrgId>, target: Target, policy: PolicyId) -> (syncsets::Change, Option<syncsets::Link>) {
    let scope = syncsets::Scope::of(owner);
    match (target, owner) {
        (Target::Employee(employee), Some(org)) => {
            (syncsets::Change::new(syncsets::Scope::Employee(org, employee)), None)
        }
        (Target::Agent(agent), _) => (syncsets::Change::new(scope), Some(syncsets::Link::Agent(agent, policy))),
        (Target::Team(team), _) => (syncsets::Change::new(scope), Some(syncsets::Link::Team(team, policy))),
        (Target::Org | Target::Employee(_), _) => (syncsets::Change::new(scope), Some(syncsets::Link::Org(policy))),
    }
}

fn map_link_error(e: StoreError) -> Error {
    match e {
        StoreError::ConditionFailed(repo::Guard::CatalogReferenceMissing) => Error::NotFound("policy"),
        StoreError::ConditionFailed(_) => {
            Error::conflict(ProblemCode::ConcurrentUpdate, "the attachment changed meanwhile; retry")
        }
        e => e.into(),
    }
}

/// The policies attached to a target, as the caller may see them.
pub async fn links(state: &AppState, principal: &Principal, target: Target) -> Result<Vec<PolicyLink>> {
    let org = principal.scope(Permission::PoliciesRead)?;
    check_target(state, principal, target).await?;
    let mut links = repo::policies::links(&state.repo, org, target).await?;
    if let (Target::Agent(agent), Some(_)) = (target, org) {
        // The platform's attachments to a global agent apply to every organization.
        links.extend(repo::policies::links(&state.repo, None, Target::Agent(agent)).await?);
    }
    Ok(links)
}

/// Where an organization attached one policy. Employee attachments are not here: each
/// lives with its employee (their page lists them).
#[derive(Debug, Default)]
pub struct Placement {
    pub org: bool,
    /// Teams, with the rule fields each overrides.
    pub teams: Vec<(TeamId, Option<Value>)>,
    pub agents: Vec<AgentId>,
}

/// Where the caller's organization attached `policy_id`: one read of its sync set, which
/// holds every organization, team and agent attachment.
pub async fn placement(state: &AppState, caller: &Caller, policy_id: PolicyId) -> Result<Placement> {
    caller.require(Permission::PoliciesRead)?;
    catalog::visible_to::<PolicySpec>(state, Some(caller.org_id), policy_id).await?;
    let (set, _) = syncsets::org_and_platform(&state.repo, caller.org_id).await?;
    Ok(Placement {
        org: set.org_links.contains(&policy_id),
        teams: set
            .team_links
            .into_iter()
            .filter(|((_, policy), _)| *policy == policy_id)
            .map(|((team, _), overrides)| (team, overrides))
            .collect(),
        agents: set.agent_links.into_iter().filter(|(_, policy)| *policy == policy_id).map(|(a, _)| a).collect(),
    })
}

fn level(target: Target) -> Level {
    match target {
        Target::Agent(_) => Level::Agent,
        Target::Org => Level::Org,
        Target::Team(_) => Level::Team,
        Target::Employee(_) => Level::Employee,
    }
}

fn target_id(target: Target) -> Option<Uuid> {
    match target {
        Target::Agent(id) => Some(id.0),
        Target::Org => None,
        Target::Team(id) => Some(id.0),
        Target::Employee(id) => Some(id.0),
    }
}

/// What applies to one employee whatever the agent: their own attachments, and their
/// organization's and the platform's sync sets (policy contents and every attachment
/// found there). Loaded once, resolved in memory for as many agents as needed.
pub struct Subject {
    pub employee_id: EmployeeId,
    /// Their team and groups: a team's attachments reach them through either.
    pub teams: Memberships,
    own: Vec<PolicyId>,
    org: SyncSet,
    platform: SyncSet,
}

/// A policy attached at some level, as resolution sees it.
struct Attached<'a> {
    level: Level,
    policy_id: PolicyId,
    overrides: Option<&'a Value>,
}

impl Subject {
    /// `own`: the ids of the policies attached to the employee, a member of `teams`.
    pub fn new(
        employee: &employees::Employee,
        teams: Memberships,
        own: Vec<PolicyId>,
        org: SyncSet,
        platform: SyncSet,
    ) -> Self {
        Self { employee_id: employee.id, teams, own, org, platform }
    }

    /// The effective set, adding the policies of `agent_id` when given:
    /// see [`crate::policy::resolve`].
    pub fn resolve(&self, agent_id: Option<AgentId>) -> Result<EffectivePolicies> {
        let at = |level, policy_id| Attached { level, policy_id, overrides: None };
        let mut links: Vec<Attached> = self.org.org_links.iter().map(|p| at(Level::Org, *p)).collect();
        links.extend(self.own.iter().map(|p| at(Level::Employee, *p)));
        if let Some(agent) = agent_id {
            let agent_links = self.org.agent_links.iter().chain(&self.platform.agent_links);
            links.extend(agent_links.filter(|(a, _)| *a == agent).map(|(_, p)| at(Level::Agent, *p)));
        }
        let team_links: Vec<Attached> = self
            .org
            .team_links
            .iter()
            .filter(|((team, _), _)| self.teams.contains(*team))
            .map(|((_, policy), overrides)| Attached {
                level: Level::Team,
                policy_id: *policy,
                overrides: overrides.as_ref(),
            })
            .collect();
        // A team attachment of an organization-wide policy overrides it for the team.
        let overriding: Vec<PolicyId> = team_links
            .iter()
            .filter(|t| links.iter().any(|l| l.level == Level::Org && l.policy_id == t.policy_id))
            .map(|t| t.policy_id)
            .collect();
        links.retain(|l| !(l.level == Level::Org && overriding.contains(&l.policy_id)));
        links.extend(team_links);

        let mut attachments = Vec::new();
        let mut applied = Vec::new();
        for link in &links {
            let Some(policy) = self.org.policies.get(&link.policy_id).or(self.platform.policies.get(&link.policy_id))
            else {
                continue;
            };
            let base = policy.typed()?;
            let rules = match link.overrides {
                Some(overrides) => base.with_overrides(overrides).map_err(|e| Error::internal(format!("{e:?}")))?,
                None => base,
            };
            let overridden = link.level == Level::Team && overriding.contains(&link.policy_id);
            applied.push(AppliedPolicy {
                policy_id: link.policy_id,
                name: policy.name.clone(),
                policy_type: policy.policy_type,
                severity: policy.severity,
                level: link.level,
                overridden,
                rules: rules.to_value(),
                enforcement: enforcement(policy.policy_type),
            });
            attachments.push(Attachment {
                level: link.level,
                policy_id: link.policy_id,
                policy_name: policy.name.clone(),
                severity: policy.severity,
                rules,
                overridden,
            });
        }
        applied.sort_by_key(|p| (p.level, p.policy_id));
        let effective = policy::resolve(&attachments);
        let canonical = json!({
            "policies": applied.iter().map(|p| json!([p.policy_id, p.level, p.severity, p.rules])).collect::<Vec<_>>(),
            "effective": effective,
        });
        let digest = crate::auth::digest(&canonical.to_string());
        Ok(EffectivePolicies {
            employee_id: self.employee_id,
            team_id: self.teams.team,
            agent_id,
            policies: applied,
            effective,
            digest,
        })
    }
}

/// The effective policy set of an employee (their own, or anyone's with `policies:read`),
/// and agent.
pub async fn effective(
    state: &AppState,
    caller: &Caller,
    employee_id: EmployeeId,
    agent_id: Option<AgentId>,
) -> Result<EffectivePolicies> {
    if employee_id != caller.employee_id {
        caller.require(Permission::PoliciesRead)?;
    }
    let org = caller.org_id;
    let employee = employees::find(state, org, employee_id).await?;
    if let Some(agent) = agent_id {
        catalog::visible_to::<AgentSpec>(state, Some(org), agent).await?;
    }
    subject_of(state, &employee).await?.resolve(agent_id)
}

/// Loads what applies to an employee (a Query of their attachments, a BatchGetItem of
/// the two scope sets).
pub async fn subject_of(state: &AppState, employee: &employees::Employee) -> Result<Subject> {
    let (org, employee_id) = (employee.org_id, employee.id);
    let own = repo::policies::links(&state.repo, Some(org), Target::Employee(employee_id)).await?;
    let teams = teams::memberships(state, employee).await?;
    let (org_set, platform_set) = syncsets::org_and_platform(&state.repo, org).await?;
    let own = own.into_iter().map(|link| link.policy_id).collect();
    Ok(Subject::new(employee, teams, own, org_set, platform_set))
}
