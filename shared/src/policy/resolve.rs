//! The effective policy set of an employee (optionally for one agent).
//!
//! Inputs are the policies attached at four levels — the agent's catalog entry, the
//! organization, the employee's team, the employee — with team overrides already
//! applied ([`Attachment`]). How they combine:
//!
//! 1. **Deny lists** (paths, commands, domains, tools, MCP servers) and
//!    **require-approval** lists are the *union* over all levels: a deny anywhere applies.
//! 2. **Allow lists** (paths, domains, models, tools, MCP servers) are the *intersection*
//!    of the lists given at any level: each level can only narrow. No list anywhere means
//!    unrestricted; lists that share nothing leave an empty allow list (nothing allowed).
//!    A value both allowed and denied is denied: consumers apply denies first.
//! 3. **Limits** (rate limits per metric and window, spend cap) take the *minimum*.
//! 4. **Severity**: a combined entry takes the highest severity of the policies that
//!    produce it; a limit takes the severity of the policy that sets the minimum (the
//!    highest among equal minimums).
//! 5. **Team overrides** replace fields of an organization-wide policy for the team's
//!    members (they may widen it: that is their point); removing the override restores
//!    the organization's value. The override shows as a source at the team level.
//!
//! Every effective entry lists its sources (level, policy), so "why is this blocked?"
//! has an answer. The result does not depend on the order of the attachments.

use crate::ids::PolicyId;
use std::collections::BTreeMap;

use crate::money::Usd;

use super::rules::{Metric, Rules, Severity, Window};

pub use agentctl_wire::policy::{AllowDeny, Effective, Entry, Level, Limit, RateLimit, Source, ToolSet};

/// One policy attached at one level, its rules already overridden where a team says so.
#[derive(Clone, Debug, PartialEq)]
pub struct Attachment {
    pub level: Level,
    pub policy_id: PolicyId,
    pub policy_name: String,
    pub severity: Severity,
    pub rules: Rules,
    /// True when a team override changed the organization-wide rules.
    pub overridden: bool,
}

fn source(a: &Attachment) -> Source {
    Source { level: a.level, policy_id: a.policy_id, policy_name: a.policy_name.clone(), overridden: a.overridden }
}

/// Accumulates the union of a deny-like list.
#[derive(Default)]
struct Union(BTreeMap<String, (Severity, Vec<Source>)>);

impl Union {
    fn add(&mut self, values: &[String], a: &Attachment) {
        for value in values {
            let entry = self.0.entry(value.clone()).or_insert((a.severity, Vec::new()));
            entry.0 = entry.0.max(a.severity);
            entry.1.push(source(a));
        }
    }

    fn finish(self) -> Vec<Entry> {
        self.0.into_iter().map(|(value, (severity, sources))| entry(value, severity, sources)).collect()
    }
}

/// Accumulates the intersection of allow lists.
#[derive(Default)]
struct Intersection(Option<BTreeMap<String, (Severity, Vec<Source>)>>);

impl Intersection {
    fn add(&mut self, values: &[String], a: &Attachment) {
        if values.is_empty() {
            return; // This policy says nothing about allowing.
        }
        let given: BTreeMap<String, (Severity, Vec<Source>)> =
            values.iter().map(|v| (v.clone(), (a.severity, vec![source(a)]))).collect();
        self.0 = Some(match self.0.take() {
            None => given,
            Some(current) => current
                .into_iter()
                .filter_map(|(value, (severity, mut sources))| {
                    let (other_severity, other_sources) = given.get(&value)?;
                    sources.extend(other_sources.iter().cloned());
                    Some((value, (severity.max(*other_severity), sources)))
                })
                .collect(),
        });
    }

    fn finish(self) -> Option<Vec<Entry>> {
        self.0.map(|m| m.into_iter().map(|(value, (severity, sources))| entry(value, severity, sources)).collect())
    }
}

fn entry(value: String, severity: Severity, mut sources: Vec<Source>) -> Entry {
    sources.sort();
    sources.dedup();
    Entry { value, severity, sources }
}

/// Keeps the smallest value, the highest severity among equals, all sources of it.
fn tighten<T: Ord + Clone>(slot: &mut Option<Limit<T>>, value: &T, a: &Attachment) {
    match slot {
        Some(limit) if *value > limit.value => {}
        Some(limit) if *value == limit.value => {
            limit.severity = limit.severity.max(a.severity);
            limit.sources.push(source(a));
            limit.sources.sort();
        }
        _ => *slot = Some(Limit { value: value.clone(), severity: a.severity, sources: vec![source(a)] }),
    }
}

/// Combines the attachments into the effective policy set (see the module docs).
pub fn resolve(attachments: &[Attachment]) -> Effective {
    let (mut fs_allow, mut fs_deny, mut shell) = (Intersection::default(), Union::default(), Union::default());
    let (mut net_allow, mut net_deny, mut models) =
        (Intersection::default(), Union::default(), Intersection::default());
    let (mut tool_allow, mut tool_deny, mut tool_ask) = (Intersection::default(), Union::default(), Union::default());
    let (mut mcp_allow, mut mcp_deny) = (Intersection::default(), Union::default());
    let mut rates: BTreeMap<(Metric, Window), Option<Limit<u64>>> = BTreeMap::new();
    let mut cap: Option<Limit<Usd>> = None;

    for a in attachments {
        match &a.rules {
            Rules::Filesystem(r) => {
                fs_allow.add(&r.allow, a);
                fs_deny.add(&r.deny, a);
            }
            Rules::Shell(r) => shell.add(&r.deny, a),
            Rules::Network(r) => {
                net_allow.add(&r.allow_domains, a);
                net_deny.add(&r.deny_domains, a);
            }
            Rules::Models(r) => models.add(&r.allowed, a),
            Rules::Tools(r) => {
                tool_allow.add(&r.allow, a);
                tool_deny.add(&r.deny, a);
                tool_ask.add(&r.require_approval, a);
            }
            Rules::McpServers(r) => {
                mcp_allow.add(&r.allow, a);
                mcp_deny.add(&r.deny, a);
            }
            Rules::RateLimit(r) => tighten(rates.entry((r.metric, r.per)).or_default(), &r.max, a),
            Rules::SpendCap(r) => tighten(&mut cap, &r.monthly_usd, a),
        }
    }

    Effective {
        filesystem: AllowDeny { allow: fs_allow.finish(), deny: fs_deny.finish() },
        shell: shell.finish(),
        network: AllowDeny { allow: net_allow.finish(), deny: net_deny.finish() },
        models: models.finish(),
        tools: ToolSet { allow: tool_allow.finish(), deny: tool_deny.finish(), require_approval: tool_ask.finish() },
        mcp_servers: AllowDeny { allow: mcp_allow.finish(), deny: mcp_deny.finish() },
        rate_limits: rates
            .into_iter()
            .filter_map(|((metric, per), limit)| {
                limit.map(|l| RateLimit { metric, per, max: l.value, severity: l.severity, sources: l.sources })
            })
            .collect(),
        spend_cap_usd: cap,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::rules::{FilesystemRules, PolicyType, RateLimitRules, ToolRules};
    use proptest::prelude::*;
    use serde_json::json;

    fn attach(level: Level, severity: Severity, rules: Rules) -> Attachment {
        Attachment {
            level,
            policy_id: PolicyId::new(),
            policy_name: format!("{level:?}"),
            severity,
            rules,
            overridden: false,
        }
    }

    fn values(entries: &[Entry]) -> Vec<&str> {
        entries.iter().map(|e| e.value.as_str()).collect()
    }

    #[test]
    fn denies_unite_allows_intersect_limits_take_the_minimum() {
        let fs = |allow: &[&str], deny: &[&str]| {
            Rules::Filesystem(FilesystemRules {
                allow: allow.iter().map(|s| s.to_string()).collect(),
                deny: deny.iter().map(|s| s.to_string()).collect(),
            })
        };
        let rate = |max| Rules::RateLimit(RateLimitRules { metric: Metric::LlmCalls, max, per: Window::Hour });
        let effective = resolve(&[
            attach(Level::Org, Severity::Warn, fs(&["/work/**", "/tmp/**"], &["/etc/**"])),
            attach(Level::Team, Severity::Block, fs(&["/work/**"], &["/etc/**", "/var/**"])),
            attach(Level::Agent, Severity::Info, rate(100)),
            attach(Level::Employee, Severity::Block, rate(50)),
        ]);
        assert_eq!(values(&effective.filesystem.deny), ["/etc/**", "/var/**"]);
        assert_eq!(effective.filesystem.deny[0].severity, Severity::Block, "highest severity wins");
        assert_eq!(effective.filesystem.deny[0].sources.len(), 2, "both levels named");
        assert_eq!(values(effective.filesystem.allow.as_ref().unwrap()), ["/work/**"]);
        assert_eq!(effective.rate_limits[0].max, 50);
        assert_eq!(effective.rate_limits[0].sources[0].level, Level::Employee);
        assert!(effective.network.allow.is_none(), "no allow list anywhere: unrestricted");
    }

    #[test]
    fn disjoint_allow_lists_allow_nothing() {
        let tools = |allow: &[&str]| {
            Rules::Tools(ToolRules { allow: allow.iter().map(|s| s.to_string()).collect(), ..Default::default() })
        };
        let effective = resolve(&[
            attach(Level::Org, Severity::Block, tools(&["Read"])),
            attach(Level::Team, Severity::Block, tools(&["Bash"])),
        ]);
        assert_eq!(effective.tools.allow, Some(vec![]));
    }

    #[test]
    fn removing_a_team_override_restores_the_org_value() {
        let org =
            Rules::parse(PolicyType::RateLimit, json!({ "metric": "llm_calls", "max": 100, "per": "hour" })).unwrap();
        let team = org.with_overrides(&json!({ "max": 500 })).unwrap();
        let plain = attach(Level::Org, Severity::Block, org.clone());
        let overridden = Attachment { level: Level::Team, rules: team, overridden: true, ..plain.clone() };
        assert_eq!(resolve(std::slice::from_ref(&overridden)).rate_limits[0].max, 500);
        assert_eq!(resolve(std::slice::from_ref(&plain)).rate_limits[0].max, 100);
    }

    // --- properties -------------------------------------------------------------

    fn level() -> impl Strategy<Value = Level> {
        prop_oneof![Just(Level::Agent), Just(Level::Org), Just(Level::Team), Just(Level::Employee)]
    }

    fn severity() -> impl Strategy<Value = Severity> {
        prop_oneof![Just(Severity::Info), Just(Severity::Warn), Just(Severity::Block)]
    }

    fn names() -> impl Strategy<Value = Vec<String>> {
        prop::collection::vec(prop_oneof![Just("a"), Just("b"), Just("c"), Just("d")].prop_map(String::from), 0..4)
    }

    fn rules() -> impl Strategy<Value = Rules> {
        prop_oneof![
            (names(), names()).prop_map(|(allow, deny)| Rules::Filesystem(FilesystemRules {
                allow: allow.into_iter().map(|n| format!("/{n}")).collect(),
                deny: deny.into_iter().map(|n| format!("/{n}")).collect(),
            })),
            (names(), names(), names()).prop_map(|(allow, deny, require_approval)| Rules::Tools(ToolRules {
                allow,
                deny,
                require_approval
            })),
            (1u64..1000).prop_map(|max| Rules::RateLimit(RateLimitRules {
                metric: Metric::LlmCalls,
                max,
                per: Window::Hour
            })),
        ]
    }

    fn attachment() -> impl Strategy<Value = Attachment> {
        (level(), severity(), rules()).prop_map(|(level, severity, rules)| attach(level, severity, rules))
    }

    /// `after` allows nothing `before` did not, and denies everything `before` did.
    fn no_wider(before: &Effective, after: &Effective) -> Result<(), TestCaseError> {
        let subset = |b: &Option<Vec<Entry>>, a: &Option<Vec<Entry>>| match (b, a) {
            (_, None) => b.is_none(),
            (None, Some(_)) => true,
            (Some(b), Some(a)) => a.iter().all(|e| b.iter().any(|x| x.value == e.value)),
        };
        let superset = |b: &[Entry], a: &[Entry]| {
            b.iter().all(|e| a.iter().any(|x| x.value == e.value && x.severity >= e.severity))
        };
        prop_assert!(subset(&before.filesystem.allow, &after.filesystem.allow));
        prop_assert!(subset(&before.tools.allow, &after.tools.allow));
        prop_assert!(superset(&before.filesystem.deny, &after.filesystem.deny));
        prop_assert!(superset(&before.tools.deny, &after.tools.deny));
        prop_assert!(superset(&before.tools.require_approval, &after.tools.require_approval));
        for limit in &before.rate_limits {
            let tightened = after.rate_limits.iter().find(|l| l.metric == limit.metric && l.per == limit.per);
            prop_assert!(tightened.is_some_and(|l| l.max <= limit.max));
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn adding_a_deny_never_widens_access(base in prop::collection::vec(attachment(), 0..6), deny in names(), level in level(), severity in severity()) {
            let before = resolve(&base);
            let mut more = base.clone();
            more.push(attach(level, severity, Rules::Tools(ToolRules { deny: deny.clone(), ..Default::default() })));
            more.push(attach(level, severity, Rules::Filesystem(FilesystemRules { allow: vec![], deny: deny.iter().map(|n| format!("/{n}")).collect() })));
            no_wider(&before, &resolve(&more))?;
        }

        #[test]
        fn adding_any_policy_never_widens_access(base in prop::collection::vec(attachment(), 0..6), extra in attachment()) {
            let before = resolve(&base);
            let mut more = base.clone();
            more.push(extra);
            no_wider(&before, &resolve(&more))?;
        }

        #[test]
        fn the_order_of_attachments_does_not_matter(base in prop::collection::vec(attachment(), 0..6), seed in any::<u64>()) {
            let mut shuffled = base.clone();
            let n = shuffled.len();
            if n > 1 {
                for i in 0..n { shuffled.swap(i, (seed as usize).wrapping_mul(31).wrapping_add(i * 7) % n); }
            }
            prop_assert_eq!(resolve(&base), resolve(&shuffled));
        }

        #[test]
        fn removing_an_override_restores_the_org_value(max in 1u64..1000, widened in 1u64..5000, others in prop::collection::vec(attachment(), 0..4)) {
            let org = Rules::RateLimit(RateLimitRules { metric: Metric::LlmCalls, max, per: Window::Hour });
            let plain = Attachment { level: Level::Org, ..attach(Level::Org, Severity::Block, org.clone()) };
            let overridden = Attachment {
                level: Level::Team,
                rules: org.with_overrides(&json!({ "max": widened })).unwrap(),
                overridden: true,
                ..plain.clone()
            };
            let mut with_override = others.clone();
            with_override.push(overridden);
            let mut without = others.clone();
            without.push(plain.clone());
            let mut original = others;
            original.push(plain);
            // Dropping the override is the same as never having had it.
            prop_assert_eq!(resolve(&without), resolve(&original));
            let _ = resolve(&with_override);
        }
    }
}
