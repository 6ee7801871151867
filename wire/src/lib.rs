//! agentctl's wire types: what crosses the API between the server, the `agentctl` CLI and
//! the console — ids, money, the enums every side names, the bodies clients read and send,
//! and the sync bundle. Defined once here; the server adds behaviour and storage around
//! them, the clients read them as they are.
//!
//! The crate depends on serde and the value types only (no AWS SDK, no HTTP), so every
//! client can use it. The `openapi` feature adds the OpenAPI schemas the server publishes.

/// A unit enum named on the wire: serde, strum and the OpenAPI schema take their names
/// from the one case given first (`"snake_case"`, `"kebab-case"`), so [`Name::as_str`], `Display` and `FromStr`
/// agree with the JSON; every variant list is [`strum::VariantArray::VARIANTS`].
macro_rules! wire_enum {
    // `tt`, not `literal`: a literal matched as a fragment reaches the derives wrapped in an
    // invisible group, which serde reads and utoipa ignores (the schema would keep the
    // Rust names).
    ($case:tt, $(#[$meta:meta])* $vis:vis enum $name:ident $body:tt) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
            strum::IntoStaticStr, strum::EnumString, strum::Display, strum::VariantArray,
        )]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = $case)]
        #[strum(serialize_all = $case)]
        $vis enum $name $body
    };
}

pub mod activity;
pub mod analytics;
pub mod assignments;
pub mod bundle;
pub mod catalog;
pub mod configs;
pub mod employees;
pub mod exports;
pub mod fleet;
pub mod identity;
pub mod ids;
pub mod money;
pub mod organizations;
pub mod page;
pub mod policy;
pub mod prices;
pub mod problem;
pub mod requests;
pub mod roles;
pub mod sessions;
pub mod subscriptions;
pub mod teams;
pub mod telemetry;
pub mod text;
pub mod usage;
pub mod webhooks;

/// The wire name of an enum variant (its serde name; strum derives both from one
/// `rename_all`).
pub trait Name: Copy + Into<&'static str> {
    fn as_str(self) -> &'static str {
        self.into()
    }
}

impl<T: Copy + Into<&'static str>> Name for T {}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::Name;

    /// strum's names are the serde names, for every enum whose names both give.
    fn same_names<T: VariantArray + Name + serde::Serialize + std::str::FromStr + PartialEq + std::fmt::Debug>() {
        for &variant in T::VARIANTS {
            assert_eq!(serde_json::to_value(variant).unwrap(), serde_json::json!(variant.as_str()));
            assert_eq!(variant.as_str().parse::<T>().ok(), Some(variant));
        }
    }

    #[test]
    fn strum_and_serde_name_variants_alike() {
        same_names::<crate::roles::RoleName>();
        same_names::<crate::roles::Permission>();
        same_names::<crate::employees::EmployeeStatus>();
        same_names::<crate::requests::RequestType>();
        same_names::<crate::requests::RequestStatus>();
        same_names::<crate::configs::ConfigStatus>();
        same_names::<crate::subscriptions::Plan>();
        same_names::<crate::subscriptions::BudgetState>();
        same_names::<crate::policy::PolicyType>();
        same_names::<crate::catalog::AgentType>();
    }

    /// The OpenAPI schema names variants as the JSON does (a macro can hide serde's
    /// `rename_all` from utoipa).
    #[cfg(feature = "openapi")]
    #[test]
    fn schemas_name_variants_as_the_json_does() {
        let names = |schema: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>| {
            serde_json::to_value(schema).unwrap()["enum"].clone()
        };
        assert_eq!(
            names(<crate::catalog::Scope as utoipa::PartialSchema>::schema()),
            serde_json::json!(["global", "org"])
        );
        let agent_types = names(<crate::catalog::AgentType as utoipa::PartialSchema>::schema());
        assert!(agent_types.as_array().unwrap().contains(&serde_json::json!("claude-code")), "{agent_types}");
    }

    #[test]
    fn the_configured_clients_are_every_agent_type_but_other() {
        use crate::catalog::AgentType;
        let others: Vec<_> = AgentType::VARIANTS.iter().filter(|t| !AgentType::CLIENTS.contains(t)).collect();
        assert_eq!(others, [&AgentType::Other]);
    }
}
