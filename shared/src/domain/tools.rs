//! The tool registry: what agents can do (read files, run git, call HTTP, ...).

use crate::AppState;
use crate::domain::catalog::{Common, Entry, Spec};
use crate::error::Result;
use crate::ids::OrgId;
use crate::repo::syncsets;
use crate::validate::{self, Validator};

pub use agentctl_wire::catalog::{NewTool, ToolSpec, ToolType};

impl Spec for ToolSpec {
    type New = NewTool;

    /// Bundles list an agent's tools: the scope's set keeps every tool's facts.
    fn sync_change(before: Option<&Entry<Self>>, after: Option<&Entry<Self>>) -> Option<syncsets::Change> {
        let mut change = syncsets::Change::new(syncsets::Scope::of(before.or(after)?.org_id));
        match after {
            Some(after) => change.put_tool(after, before),
            None => change.remove_tool(before?),
        }
        Some(change)
    }

    async fn parse(_: &AppState, _: Option<OrgId>, new: NewTool) -> Result<(Common, Self)> {
        let mut v = Validator::new();
        let common = Common::parse(&mut v, new.name, new.description, new.is_public);
        let schema = v.check(
            "schema",
            new.schema.unwrap_or_else(|| serde_json::json!({ "type": "object" })),
            validate::json_schema(32 * 1024),
        );
        v.finish(|| {
            Some((
                common?,
                ToolSpec {
                    tool_type: new.tool_type,
                    schema: schema?,
                    requires_approval: new.requires_approval.unwrap_or(false),
                },
            ))
        })
    }
}
