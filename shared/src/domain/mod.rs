//! The rules of the product. Plain async functions over [`crate::AppState`]: they parse
//! requests into valid values, check permissions and invariants, and write through the
//! repository. Handlers only map HTTP to these calls and back.

pub mod agents;
pub mod audit;
pub mod catalog;
pub mod configs;
pub mod employees;
pub mod mcp;
pub mod organizations;
pub mod policies;
pub mod roles;
pub mod sessions;
pub mod subscriptions;
pub mod teams;
pub mod tools;
