//! Who decides a request: the organization's approval rules (per request type, the
//! approvals needed, each as the roles that may give it) and what they let one decider
//! do. Pure logic, unit-tested here; the workflow is `domain::requests`.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde_json::Value;
use strum::VariantArray;

use crate::Name;
use crate::ids::{EmployeeId, TeamId};
use agentctl_wire::requests::{AgentRequest, Approval, ApprovalStatus, RequestType};
use agentctl_wire::roles::RoleName;

/// The organization setting that holds the approval rules.
pub const RULES_SETTING: &str = "approval_rules";
/// At most this many approvals per request type.
pub const MAX_STEPS: usize = 5;

/// Per request type, the approvals needed, each as the roles that may give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalRules(BTreeMap<RequestType, Vec<Vec<RoleName>>>);

impl ApprovalRules {
    /// A team's manager or an admin adds an agent, or lets someone use a tool that
    /// requires approval (the seed's "manager approval"); an MCP server needs the team's
    /// manager and an admin; budget is billing's (or the owner's) call.
    pub fn defaults() -> Self {
        use RoleName::*;
        Self(BTreeMap::from([
            (RequestType::NewAgent, vec![vec![Manager, Admin, Owner]]),
            (RequestType::NewMcp, vec![vec![Manager], vec![Admin, Owner]]),
            (RequestType::IncreaseBudget, vec![vec![Billing, Owner]]),
            (RequestType::EnableTool, vec![vec![Manager, Admin, Owner]]),
        ]))
    }

    /// The rules of an organization's settings: `approval_rules` maps request types to
    /// lists of role lists, e.g. `{"new_mcp": [["manager"], ["admin", "owner"]]}`.
    /// Types left out keep their defaults.
    pub fn from_settings(settings: &Value) -> std::result::Result<Self, String> {
        let mut rules = Self::defaults();
        let Some(raw) = settings.get(RULES_SETTING) else { return Ok(rules) };
        let raw = raw.as_object().ok_or_else(|| format!("{RULES_SETTING} must be an object"))?;
        for (kind, steps) in raw {
            let at = format!("{RULES_SETTING}.{kind}");
            let kind = kind.parse::<RequestType>().map_err(|_| {
                let known: Vec<&str> = RequestType::VARIANTS.iter().map(|t| (*t).as_str()).collect();
                format!("{at}: unknown request type (one of {})", known.join(", "))
            })?;
            let steps = steps
                .as_array()
                .filter(|s| (1..=MAX_STEPS).contains(&s.len()))
                .ok_or_else(|| format!("{at} must list 1 to {MAX_STEPS} approvals, each a list of roles"))?;
            let mut parsed = Vec::with_capacity(steps.len());
            for (i, step) in steps.iter().enumerate() {
                let roles = step
                    .as_array()
                    .filter(|r| !r.is_empty())
                    .ok_or_else(|| format!("{at}[{i}] must be a non-empty list of roles"))?;
                let mut step_roles = Vec::with_capacity(roles.len());
                for role in roles {
                    let role = role
                        .as_str()
                        .ok_or_else(|| format!("{at}[{i}]: roles are strings"))
                        .and_then(|r| RoleName::from_str(r).map_err(|e| format!("{at}[{i}]: {r:?} {e}")))?;
                    if !step_roles.contains(&role) {
                        step_roles.push(role);
                    }
                }
                parsed.push(step_roles);
            }
            rules.0.insert(kind, parsed);
        }
        Ok(rules)
    }

    /// Each request type's approvals, in order, each as the roles that may give it.
    pub fn steps(&self) -> impl Iterator<Item = (RequestType, &[Vec<RoleName>])> {
        self.0.iter().map(|(kind, steps)| (*kind, steps.as_slice()))
    }

    /// The approvals a request of `kind` by someone in `team` needs. Without a team there
    /// is no team manager: an admin gives the approval a manager would.
    pub fn required(&self, kind: RequestType, team: Option<TeamId>) -> Vec<Vec<RoleName>> {
        let mut steps = self.0.get(&kind).cloned().unwrap_or_default();
        if team.is_none() {
            for step in &mut steps {
                if let Some(i) = step.iter().position(|r| *r == RoleName::Manager) {
                    step.remove(i);
                    if !step.contains(&RoleName::Admin) {
                        step.push(RoleName::Admin);
                    }
                }
            }
        }
        steps
    }

    /// The request types someone of `role` may decide.
    pub fn types_for(&self, role: RoleName) -> Vec<RequestType> {
        self.0.iter().filter(|(_, steps)| steps.iter().any(|s| s.contains(&role))).map(|(t, _)| *t).collect()
    }
}

/// A decider as the rules see them: their role, and the team they manage (managers).
#[derive(Clone, Copy, Debug)]
pub struct Decider {
    pub id: EmployeeId,
    pub role: RoleName,
    pub team: Option<TeamId>,
}

impl Decider {
    /// Whether they may give an approval of `roles` on `request`.
    pub fn fits(&self, roles: &[RoleName], request: &AgentRequest) -> bool {
        roles.contains(&self.role)
            && (self.role != RoleName::Manager || (self.team.is_some() && self.team == request.team_id))
    }

    /// Whether the request is theirs to decide at all (and so to see).
    pub fn decides(&self, request: &AgentRequest) -> bool {
        request.employee_id != self.id && request.required_approvals.iter().any(|step| self.fits(step, request))
    }

    /// The first required approval they can give that nobody gave yet.
    pub fn open_step(&self, request: &AgentRequest, approvals: &[Approval]) -> Option<usize> {
        let given =
            |i: usize| approvals.iter().any(|a| a.status == ApprovalStatus::Approved && a.step == Some(i as u32));
        request.required_approvals.iter().enumerate().position(|(i, step)| !given(i) && self.fits(step, request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OrgId;
    use crate::ids::{ApprovalId, RequestId};
    use agentctl_wire::ids::McpServerId;
    use agentctl_wire::requests::{McpWanted, RequestStatus, Wanted};
    use chrono::Utc;
    use serde_json::json;

    fn request(team: Option<TeamId>, required: Vec<Vec<RoleName>>) -> AgentRequest {
        AgentRequest {
            id: RequestId::new(),
            org_id: OrgId::new(),
            employee_id: EmployeeId::new(),
            requester_name: "R".into(),
            team_id: team,
            wanted: Wanted::NewMcp(McpWanted { server_id: McpServerId::new(), connection_config: None }),
            reason: String::new(),
            status: RequestStatus::Pending,
            required_approvals: required,
            approval_count: 0,
            provisioned: None,
            decided_by: None,
            resolution_comment: None,
            version: 0,
            created_at: Utc::now(),
            resolved_at: None,
        }
    }

    fn approved(step: u32) -> Approval {
        let now = Utc::now();
        Approval {
            id: ApprovalId::new(),
            org_id: OrgId::new(),
            request_id: RequestId::new(),
            approver_id: EmployeeId::new(),
            approver_role: RoleName::Admin,
            status: ApprovalStatus::Approved,
            step: Some(step),
            comment: None,
            created_at: now,
            resolved_at: now,
        }
    }

    #[test]
    fn settings_override_defaults_per_type_and_are_checked() {
        let rules =
            ApprovalRules::from_settings(&json!({ "approval_rules": { "new_agent": [["admin"], ["billing"]] } }))
                .unwrap();
        assert_eq!(rules.0[&RequestType::NewAgent], vec![vec![RoleName::Admin], vec![RoleName::Billing]]);
        assert_eq!(rules.0[&RequestType::NewMcp], ApprovalRules::defaults().0[&RequestType::NewMcp]);
        for bad in [
            json!({ "approval_rules": [] }),
            json!({ "approval_rules": { "new_pony": [["admin"]] } }),
            json!({ "approval_rules": { "new_agent": [] } }),
            json!({ "approval_rules": { "new_agent": [[]] } }),
            json!({ "approval_rules": { "new_agent": [["boss"]] } }),
            json!({ "approval_rules": { "new_agent": [["admin"], ["admin"], ["admin"], ["admin"], ["admin"], ["admin"]] } }),
        ] {
            assert!(ApprovalRules::from_settings(&bad).is_err(), "{bad}");
        }
        assert_eq!(ApprovalRules::from_settings(&json!({})).unwrap(), ApprovalRules::defaults());
    }

    #[test]
    fn without_a_team_an_admin_stands_in_for_the_manager() {
        let rules = ApprovalRules::defaults();
        assert_eq!(
            rules.required(RequestType::NewMcp, None),
            vec![vec![RoleName::Admin], vec![RoleName::Admin, RoleName::Owner]]
        );
        assert_eq!(rules.required(RequestType::NewMcp, Some(TeamId::new()))[0], vec![RoleName::Manager]);
    }

    #[test]
    fn managers_decide_for_their_own_team_only() {
        let team = TeamId::new();
        let r = request(Some(team), vec![vec![RoleName::Manager], vec![RoleName::Admin]]);
        let manager = |team| Decider { id: EmployeeId::new(), role: RoleName::Manager, team };
        assert!(manager(Some(team)).decides(&r));
        assert!(!manager(Some(TeamId::new())).decides(&r));
        assert!(!manager(None).decides(&r));
        let billing = Decider { id: EmployeeId::new(), role: RoleName::Billing, team: None };
        assert!(!billing.decides(&r));
        let requester = Decider { id: r.employee_id, role: RoleName::Admin, team: None };
        assert!(!requester.decides(&r));
    }

    #[test]
    fn an_approval_fills_the_first_open_step_of_the_role() {
        let r = request(None, vec![vec![RoleName::Admin], vec![RoleName::Admin, RoleName::Owner]]);
        let admin = Decider { id: EmployeeId::new(), role: RoleName::Admin, team: None };
        assert_eq!(admin.open_step(&r, &[]), Some(0));
        assert_eq!(admin.open_step(&r, &[approved(0)]), Some(1));
        assert_eq!(admin.open_step(&r, &[approved(0), approved(1)]), None);
        let owner = Decider { id: EmployeeId::new(), role: RoleName::Owner, team: None };
        assert_eq!(owner.open_step(&r, &[]), Some(1));
        assert_eq!(owner.open_step(&r, &[approved(1)]), None);
    }
}
