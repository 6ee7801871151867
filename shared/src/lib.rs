//! Common code of every agentctl function.
//!
//! Layers, from the outside in:
//! - [`http`]: axum extractors, the problem+json mapping of [`Error`], OpenAPI helpers;
//! - [`auth`]: who is calling (the authorizer's logic and the context it hands to handlers);
//! - [`domain`]: the rules of the product, plain async Rust over the repository;
//! - [`repo`]: DynamoDB access, one named function per access pattern, keys in [`keys`].
//!
//! The wire types (ids, API bodies, the sync bundle) come from `agentctl-wire`, shared with
//! the CLI; the modules here re-export them where they belong.
//!
//! [`state::AppState`] bundles configuration and SDK clients, built once per process.

pub mod activity;
pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod ids;
pub mod keys;
pub mod lambda;
#[cfg(test)]
mod layers;
pub mod money;
pub mod oidc;
pub mod outbound;
pub mod pagination;
pub mod policy;
pub mod queue;
pub mod repo;
pub mod roles;
pub mod secrets;
pub mod state;
pub mod strict_json;
pub mod time;
pub mod validate;
pub mod vault;

pub use agentctl_wire::Name;
pub use error::{Error, Result};
pub use state::AppState;
