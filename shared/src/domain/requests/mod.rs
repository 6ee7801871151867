//! The approval workflow: employees ask for an agent, an MCP server or more budget; the
//! approvers the organization's rules name decide; the last approval provisions what
//! was asked for in the same transaction.
//!
//! Who decides is data: `settings.approval_rules` of the organization lists, per request
//! type, the approvals needed, each as the roles that may give it (`manager` meaning a
//! manager of the requester's team). A request keeps the rules it was filed under.
//! Decisions are conditional writes on the request's `version`: racing approvers each
//! re-read and get a consistent answer, and every approval is counted exactly once.
//!
//! One job per file: [`types`] (the wire types), [`wanted`] (what can be asked for, and
//! checking it), [`filing`] (filing and reading requests), [`deciding`] (decisions,
//! retried over concurrent ones), [`provisioning`] (what the last approval creates),
//! [`cancel`]. Who decides (the rules, and what they let a decider do) is pure policy
//! logic: [`crate::policy::approvals`].

mod cancel;
mod deciding;
mod filing;
mod provisioning;
mod types;
mod wanted;

pub use cancel::*;
pub use deciding::*;
pub use filing::*;
pub use types::*;

use provisioning::*;
use wanted::*;

use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Caller;
use crate::domain::employees;
use crate::error::Result;
use crate::roles::RoleName;
use crate::validate::{self, Validator};

pub use crate::policy::approvals::{ApprovalRules, Decider, MAX_STEPS, RULES_SETTING};
const REASON_MAX: usize = 2000;
const COMMENT_MAX: usize = 2000;
/// Re-reads after a concurrent change before giving up (each retry follows a commit by
/// someone else, and a request sees at most `MAX_STEPS` + 1 commits).
const MAX_ATTEMPTS: usize = 12;

/// The caller as a decider (a manager's team is read).
async fn decider(state: &AppState, caller: &Caller) -> Result<Decider> {
    let team = match caller.role {
        RoleName::Manager => employees::find(state, caller.org_id, caller.employee_id).await?.team_id,
        _ => None,
    };
    Ok(Decider { id: caller.employee_id, role: caller.role, team })
}

/// The shape of every request event (activity entries of category `approval`), as an
/// organization would route it to chat or email. Documented in docs/ARCHITECTURE.md.
fn event(request: &AgentRequest, comment: Option<&str>) -> Value {
    json!({
        "request_id": request.id,
        "request_type": request.wanted.request_type(),
        "requester_id": request.employee_id,
        "requester_name": request.requester_name,
        "team_id": request.team_id,
        "status": request.status,
        "approvals": request.approval_count,
        "required": request.required_approvals.len(),
        "decided_by": request.decided_by,
        "comment": comment,
    })
}

fn optional_text(v: &mut Validator, field: &str, value: Option<String>, max: usize) -> Option<Option<String>> {
    v.check_opt(field, value, validate::text(max)).map(|t| t.filter(|t| !t.trim().is_empty()))
}
