//! The agent catalog (Claude Code, Cursor, ...) and the tools linked to each agent.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::domain::catalog::{Common, Spec};
use crate::error::Result;
use crate::ids::OrgId;
use crate::validate::{self, Validator};

/// Which local tool an agent is, so `agentctl sync` knows which files to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AgentType {
    ClaudeCode,
    Cursor,
    Vscode,
    Windsurf,
    GeminiCli,
    Codex,
    /// Any other agent: managed and metered, but no local files are written.
    Other,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentSpec {
    #[serde(rename = "type")]
    pub agent_type: AgentType,
    /// Who makes the agent (Anthropic, Anysphere, GitHub, ...).
    pub provider: String,
    /// Settings every configuration of this agent starts from (JSON object).
    pub default_config: Value,
    /// JSON Schema that configuration overrides must satisfy (absent: any object).
    pub config_schema: Option<Value>,
    pub capabilities: Vec<String>,
    pub llm_provider: Option<String>,
    pub llm_model: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    pub name: String,
    pub description: Option<String>,
    /// Global entries only: hide from organizations until true (default true).
    pub is_public: Option<bool>,
    #[serde(rename = "type")]
    pub agent_type: AgentType,
    pub provider: String,
    pub default_config: Option<Value>,
    pub config_schema: Option<Value>,
    pub capabilities: Option<Vec<String>>,
    pub llm_provider: Option<String>,
    pub llm_model: Option<String>,
}

impl Spec for AgentSpec {
    type New = NewAgent;
    const KIND: &'static str = "agent";
    const PREFIX: &'static str = "AGENT#";
    const NAME_PREFIX: &'static str = "AGENTNAME#";
    const FILTERS: &'static [(&'static str, &'static str)] = &[("type", "type"), ("provider", "provider")];

    async fn parse(_: &AppState, _: Option<OrgId>, new: NewAgent) -> Result<(Common, Self)> {
        let mut v = Validator::new();
        let common = Common::parse(&mut v, new.name, new.description, new.is_public);
        let provider = v.check("provider", new.provider, validate::name(100));
        let default_config = v.check(
            "default_config",
            new.default_config.unwrap_or_else(|| json!({})),
            validate::json_object(32 * 1024),
        );
        let config_schema = v.check_opt("config_schema", new.config_schema, validate::json_schema(32 * 1024));
        if let (Some(config), Some(Some(schema))) = (&default_config, &config_schema)
            && let Ok(validator) = jsonschema::validator_for(schema)
            && let Err(e) = validator.validate(config)
        {
            v.error("default_config", format!("does not satisfy config_schema: {e}"));
        }
        let capabilities = v.check("capabilities", new.capabilities.unwrap_or_default(), validate::labels(50));
        let llm_provider = v.check_opt("llm_provider", new.llm_provider, validate::name(100));
        let llm_model = v.check_opt("llm_model", new.llm_model, validate::name(200));
        v.finish(|| {
            Some((
                common?,
                AgentSpec {
                    agent_type: new.agent_type,
                    provider: provider?,
                    default_config: default_config?,
                    config_schema: config_schema?,
                    capabilities: capabilities?,
                    llm_provider: llm_provider?,
                    llm_model: llm_model?,
                },
            ))
        })
    }
}
