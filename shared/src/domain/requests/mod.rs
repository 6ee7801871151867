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
//! checking it), [`rules`] (who decides: the rules and the decider, pure), [`filing`]
//! (filing and reading requests), [`deciding`] (decisions, retried over concurrent
//! ones), [`provisioning`] (what the last approval creates), [`cancel`].

mod cancel;
mod deciding;
mod filing;
mod provisioning;
mod rules;
mod types;
mod wanted;

pub use cancel::*;
pub use deciding::*;
pub use filing::*;
pub use rules::*;
pub use types::*;

use provisioning::*;
use wanted::*;

/// The organization setting that holds the approval rules.
pub const RULES_SETTING: &str = "approval_rules";
/// At most this many approvals per request type.
const MAX_STEPS: usize = 5;
const REASON_MAX: usize = 2000;
const COMMENT_MAX: usize = 2000;
/// Re-reads after a concurrent change before giving up (each retry follows a commit by
/// someone else, and a request sees at most `MAX_STEPS` + 1 commits).
const MAX_ATTEMPTS: usize = 12;
