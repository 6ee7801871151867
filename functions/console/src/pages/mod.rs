//! One module per console section; each handler is a page: extract, call the domain with
//! the signed-in caller, render.

pub mod activity;
pub mod approvals;
pub mod assignments;
pub mod catalog;
pub mod fleet;
pub mod login;
pub mod overview;
pub mod people;
pub mod policies;
pub mod settings;
pub mod teams;
pub mod usage;
