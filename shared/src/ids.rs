//! Typed identifiers, so that a team id can never be passed where an employee id is
//! expected. Defined with the wire types.

pub use agentctl_wire::ids::*;
