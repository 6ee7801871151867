//! Policy rule types. Each policy has one type, its rules (validated on write) and a
//! severity. Team overrides replace top-level rule fields of a policy.

use crate::Name;
use crate::money::Usd;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::validate::FieldError;

pub use agentctl_wire::policy::{Metric, PolicyType, Severity, Window};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilesystemRules {
    /// Absolute paths or globs (`/home/*/work/**`, `~/projects/**`).
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShellRules {
    /// Command patterns, `*` as wildcard (`rm -rf *`, `curl *`).
    pub deny: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkRules {
    /// Domains, optionally with a leading `*.` wildcard.
    #[serde(default)]
    pub allow_domains: Vec<String>,
    #[serde(default)]
    pub deny_domains: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitRules {
    pub metric: Metric,
    pub max: u64,
    pub per: Window,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelRules {
    /// Model ids, e.g. `claude-sonnet-4-5`.
    pub allowed: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolRules {
    /// Tool names (from the tool registry, or a client's built-in tool such as `Bash`).
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
    #[serde(default)]
    pub require_approval: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct McpServerRules {
    /// MCP catalog names.
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpendCapRules {
    /// A plain decimal string, e.g. `"200.00"`.
    #[schema(value_type = String, pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub monthly_usd: Usd,
}

/// A policy's rules, tagged by type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "rules", rename_all = "snake_case")]
pub enum Rules {
    Filesystem(FilesystemRules),
    Shell(ShellRules),
    Network(NetworkRules),
    RateLimit(RateLimitRules),
    Models(ModelRules),
    Tools(ToolRules),
    McpServers(McpServerRules),
    SpendCap(SpendCapRules),
}

const MAX_ENTRIES: usize = 200;
const MAX_ENTRY_LEN: usize = 512;

impl Rules {
    pub fn policy_type(&self) -> PolicyType {
        match self {
            Rules::Filesystem(_) => PolicyType::Filesystem,
            Rules::Shell(_) => PolicyType::Shell,
            Rules::Network(_) => PolicyType::Network,
            Rules::RateLimit(_) => PolicyType::RateLimit,
            Rules::Models(_) => PolicyType::Models,
            Rules::Tools(_) => PolicyType::Tools,
            Rules::McpServers(_) => PolicyType::McpServers,
            Rules::SpendCap(_) => PolicyType::SpendCap,
        }
    }

    /// The rules object alone (what the API shows as `rules`).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("rules serialize")["rules"].take()
    }

    /// Parses and validates `rules` for `policy_type`. Errors name fields under `rules.`.
    pub fn parse(policy_type: PolicyType, rules: Value) -> Result<Rules, Vec<FieldError>> {
        fn typed<T: serde::de::DeserializeOwned>(rules: Value) -> Result<T, Vec<FieldError>> {
            serde_path_to_error::deserialize(rules).map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." { "rules".to_string() } else { format!("rules.{path}") };
                vec![FieldError { field, message: e.into_inner().to_string() }]
            })
        }
        let parsed = match policy_type {
            PolicyType::Filesystem => Rules::Filesystem(typed(rules)?),
            PolicyType::Shell => Rules::Shell(typed(rules)?),
            PolicyType::Network => Rules::Network(typed(rules)?),
            PolicyType::RateLimit => Rules::RateLimit(typed(rules)?),
            PolicyType::Models => Rules::Models(typed(rules)?),
            PolicyType::Tools => Rules::Tools(typed(rules)?),
            PolicyType::McpServers => Rules::McpServers(typed(rules)?),
            PolicyType::SpendCap => Rules::SpendCap(typed(rules)?),
        };
        let errors = parsed.check();
        if errors.is_empty() { Ok(parsed) } else { Err(errors) }
    }

    /// These rules with `overrides` (an object of top-level rule fields) applied. A field
    /// the policy type does not have is an error, and so is a result that fails validation.
    pub fn with_overrides(&self, overrides: &Value) -> Result<Rules, Vec<FieldError>> {
        let Some(overrides) = overrides.as_object() else {
            return Err(vec![FieldError { field: "overrides".into(), message: "must be a JSON object".into() }]);
        };
        let mut rules = self.to_value();
        let fields = rules.as_object_mut().expect("rules are an object");
        let unknown: Vec<FieldError> = overrides
            .keys()
            .filter(|k| !fields.contains_key(*k))
            .map(|k| FieldError {
                field: format!("overrides.{k}"),
                message: format!(
                    "a {} policy has no field {k:?} (it has: {})",
                    self.policy_type().as_str(),
                    fields.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            })
            .collect();
        if !unknown.is_empty() {
            return Err(unknown);
        }
        for (k, v) in overrides {
            fields.insert(k.clone(), v.clone());
        }
        Rules::parse(self.policy_type(), rules).map_err(|errors| {
            errors
                .into_iter()
                .map(|e| FieldError { field: format!("overrides.{}", e.field.trim_start_matches("rules.")), ..e })
                .collect()
        })
    }

    fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut list = |field: &str, values: &[String], item: fn(&str) -> Result<(), String>| {
            if values.len() > MAX_ENTRIES {
                errors.push(FieldError {
                    field: format!("rules.{field}"),
                    message: format!("at most {MAX_ENTRIES} entries"),
                });
            }
            for (i, v) in values.iter().enumerate() {
                let result = if v.trim().is_empty()
                    || v.len() > MAX_ENTRY_LEN
                    || crate::validate::clean_line(v).is_err()
                {
                    Err(format!(
                        "must be 1 to {MAX_ENTRY_LEN} characters without control or bidirectional formatting characters"
                    ))
                } else {
                    item(v)
                };
                if let Err(message) = result {
                    errors.push(FieldError { field: format!("rules.{field}[{i}]"), message });
                }
            }
        };
        let any = |_: &str| Ok(());
        match self {
            Rules::Filesystem(r) => {
                list("allow", &r.allow, path);
                list("deny", &r.deny, path);
                if r.allow.is_empty() && r.deny.is_empty() {
                    errors.push(FieldError {
                        field: "rules".into(),
                        message: "give at least one allow or deny path".into(),
                    });
                }
            }
            Rules::Shell(r) => {
                list("deny", &r.deny, any);
                if r.deny.is_empty() {
                    errors.push(FieldError { field: "rules.deny".into(), message: "must not be empty".into() });
                }
            }
            Rules::Network(r) => {
                list("allow_domains", &r.allow_domains, domain);
                list("deny_domains", &r.deny_domains, domain);
                if r.allow_domains.is_empty() && r.deny_domains.is_empty() {
                    errors.push(FieldError {
                        field: "rules".into(),
                        message: "give at least one allowed or denied domain".into(),
                    });
                }
            }
            Rules::RateLimit(r) => {
                if r.max == 0 || r.max > 1_000_000_000 {
                    errors.push(FieldError {
                        field: "rules.max".into(),
                        message: "must be between 1 and 1000000000".into(),
                    });
                }
            }
            Rules::Models(r) => {
                list("allowed", &r.allowed, any);
                if r.allowed.is_empty() {
                    errors.push(FieldError { field: "rules.allowed".into(), message: "must not be empty".into() });
                }
            }
            Rules::Tools(r) => {
                list("allow", &r.allow, any);
                list("deny", &r.deny, any);
                list("require_approval", &r.require_approval, any);
                if r.allow.is_empty() && r.deny.is_empty() && r.require_approval.is_empty() {
                    errors.push(FieldError { field: "rules".into(), message: "give at least one tool".into() });
                }
            }
            Rules::McpServers(r) => {
                list("allow", &r.allow, any);
                list("deny", &r.deny, any);
                if r.allow.is_empty() && r.deny.is_empty() {
                    errors.push(FieldError { field: "rules".into(), message: "give at least one server".into() });
                }
            }
            Rules::SpendCap(r) => {
                if let Err(message) = crate::money::check_budget(r.monthly_usd) {
                    errors.push(FieldError { field: "rules.monthly_usd".into(), message });
                }
            }
        }
        errors
    }
}

/// An absolute path, a home-relative path, or a glob of either.
fn path(value: &str) -> Result<(), String> {
    if value.starts_with('/') || value.starts_with("~/") || value == "~" {
        Ok(())
    } else {
        Err("must be an absolute path or start with ~/".into())
    }
}

/// A domain name, optionally `*.`-prefixed.
fn domain(value: &str) -> Result<(), String> {
    let name = value.strip_prefix("*.").unwrap_or(value);
    let ok = name.contains('.')
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok { Ok(()) } else { Err("must be a domain such as example.com or *.example.com".into()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_of_the_right_shape_parse() {
        let r = Rules::parse(PolicyType::Filesystem, json!({ "deny": ["/etc/**"] })).unwrap();
        assert_eq!(r, Rules::Filesystem(FilesystemRules { allow: vec![], deny: vec!["/etc/**".into()] }));
        let r =
            Rules::parse(PolicyType::RateLimit, json!({ "metric": "llm_calls", "max": 100, "per": "hour" })).unwrap();
        assert_eq!(r.to_value(), json!({ "metric": "llm_calls", "max": 100, "per": "hour" }));
    }

    #[test]
    fn rules_of_the_wrong_shape_are_refused_with_the_field() {
        let cases = [
            (PolicyType::Filesystem, json!({ "deny": ["etc"] }), "rules.deny[0]"),
            (PolicyType::Filesystem, json!({ "deny": "/etc" }), "deny"),
            (PolicyType::Filesystem, json!({}), "rules"),
            (PolicyType::Shell, json!({ "deny": [], "x": 1 }), "x"),
            (PolicyType::Network, json!({ "deny_domains": ["not a domain"] }), "rules.deny_domains[0]"),
            (PolicyType::RateLimit, json!({ "metric": "llm_calls", "max": 0, "per": "hour" }), "rules.max"),
            (PolicyType::RateLimit, json!({ "metric": "llm_calls", "max": 5, "per": "fortnight" }), "per"),
            (PolicyType::SpendCap, json!({ "monthly_usd": "-1" }), "rules.monthly_usd"),
            (PolicyType::Models, json!({ "allowed": [] }), "rules.allowed"),
        ];
        for (policy_type, rules, field) in cases {
            let errors = Rules::parse(policy_type, rules.clone()).expect_err(&rules.to_string());
            assert!(errors.iter().any(|e| e.field.contains(field)), "{rules}: {errors:?}");
        }
    }

    #[test]
    fn overrides_replace_fields_and_refuse_unknown_ones() {
        let base =
            Rules::parse(PolicyType::RateLimit, json!({ "metric": "llm_calls", "max": 100, "per": "hour" })).unwrap();
        let widened = base.with_overrides(&json!({ "max": 500 })).unwrap();
        assert_eq!(widened.to_value()["max"], 500);
        let errors = base.with_overrides(&json!({ "domains": ["x.com"] })).unwrap_err();
        assert_eq!(errors[0].field, "overrides.domains");
        let errors = base.with_overrides(&json!({ "max": 0 })).unwrap_err();
        assert_eq!(errors[0].field, "overrides.max");
        assert!(base.with_overrides(&json!([1])).is_err());
    }
}
