//! Policies as typed data, and how they combine. Pure: no I/O, no HTTP.
//!
//! - [`rules`]: the rule types, their validation, team overrides;
//! - [`approvals`]: who decides a request (an organization's approval rules);
//! - [`enforcement`]: who can actually enforce each type (client config, gateway, monitoring);
//! - [`resolve`]: the effective policy set of an employee (and agent) from the policies
//!   attached at the four levels.

pub mod approvals;
pub mod enforcement;
pub mod resolve;
pub mod rules;

pub use resolve::{Attachment, Effective, Level, resolve};
pub use rules::{PolicyType, Rules, Severity};
