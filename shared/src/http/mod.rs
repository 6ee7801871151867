//! The HTTP edge shared by every function: extractors, problem+json, OpenAPI.

pub mod catalog_routes;
pub mod cookies;
mod export;
pub mod extract;
pub mod openapi;
pub mod otlp;
pub mod problem;
pub mod scim;

pub use extract::{ClientIp, Json, Path, PublicUrl, Query};
pub use problem::Problem;
