//! The tool registry: what agents can do (read files, run git, call HTTP, ...).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::AppState;
use crate::domain::catalog::{Common, Kind, Spec};
use crate::error::Result;
use crate::ids::OrgId;
use crate::validate::{self, Validator};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ToolType {
    Fs,
    Git,
    Http,
    Shell,
    Docker,
    Browser,
    Database,
    Search,
    Other,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ToolSpec {
    #[serde(rename = "type")]
    pub tool_type: ToolType,
    /// JSON Schema of the tool's input.
    pub schema: Value,
    /// Using the tool needs a manager's approval.
    pub requires_approval: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTool {
    pub name: String,
    pub description: Option<String>,
    pub is_public: Option<bool>,
    #[serde(rename = "type")]
    pub tool_type: ToolType,
    /// JSON Schema of the tool's input (default: any object).
    pub schema: Option<Value>,
    pub requires_approval: Option<bool>,
}

impl Kind for ToolSpec {
    type Id = crate::ids::ToolId;
}

impl Spec for ToolSpec {
    type New = NewTool;
    const KIND: &'static str = "tool";
    const PREFIX: &'static str = "TOOL#";
    const NAME_PREFIX: &'static str = "TOOLNAME#";
    const FILTERS: &'static [(&'static str, &'static str)] = &[("type", "type")];

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
