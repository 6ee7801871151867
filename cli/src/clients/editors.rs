//! Cursor, VS Code and Windsurf: one MCP file each, credentials as `${env:VAR}` from
//! agentctl's env file (editors have no admin tier agentctl can write).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::{FileSpec, Format, Op, Plan, stdio_entry};
use crate::render::{Launch, Rendered};

impl Plan<'_> {
    /// Cursor, VS Code, Windsurf: one MCP file each (`key` holds the servers).
    pub(super) fn editor(
        &self,
        path: PathBuf,
        key: &'static str,
        url_key: &str,
        typed: bool,
        warnings: &mut Vec<String>,
    ) -> FileSpec {
        let entries = self.servers(&|s, w| editor_entry(s, w, url_key, typed), warnings);
        self.spec(path, Format::Json(vec![(vec![key], Op::Entries(entries))]), false)
    }
}

/// Cursor, VS Code, Windsurf: secrets as `${env:VAR}` (set by sourcing agentctl's
/// 0600 env file); Windsurf names the URL `serverUrl`; VS Code types every entry.
fn editor_entry(s: &Rendered, _: &mut Vec<String>, url_key: &str, typed: bool) -> Option<Value> {
    match &s.launch {
        Launch::Stdio { .. } => stdio_entry(s, typed),
        Launch::Remote { sse, url, headers } => {
            let reference = |field: &str| format!("${{env:{}}}", s.env_var(field));
            let mut entry = json!({ url_key: url.with(reference) });
            if !headers.is_empty() {
                entry["headers"] =
                    json!(headers.iter().map(|(k, v)| (k, v.with(reference))).collect::<BTreeMap<_, _>>());
            }
            if typed {
                entry["type"] = json!(if *sse { "sse" } else { "http" });
            }
            Some(entry)
        }
    }
}
