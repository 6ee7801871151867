//! Editing a client's JSON (or JSONC) configuration in place: the user's keys, order,
//! comments and formatting stay as they are; only agentctl's entries change.

use std::collections::{BTreeMap, BTreeSet};

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use serde_json::Value;

use crate::api::CliError;

/// Keys written first, in this order, so entries read naturally; others follow sorted.
const LEADING_KEYS: [&str; 10] =
    ["type", "command", "args", "env", "url", "serverUrl", "httpUrl", "headers", "headersHelper", "inputs"];

/// Where a key goes among an entry's keys (then by name).
pub fn rank(key: &str) -> usize {
    LEADING_KEYS.iter().position(|l| *l == key).unwrap_or(LEADING_KEYS.len())
}

fn input(value: &Value) -> CstInputValue {
    match value {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(items) => CstInputValue::Array(items.iter().map(input).collect()),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
            CstInputValue::Object(keys.into_iter().map(|k| (k.clone(), input(&map[k]))).collect())
        }
    }
}

pub struct JsonFile {
    root: CstRootNode,
}

impl JsonFile {
    /// Parses a configuration file (absent or empty: `{}`); anything that is not a JSON
    /// object is corrupt and never overwritten.
    pub fn parse(path: &str, text: Option<&str>) -> Result<Self, CliError> {
        let corrupt = |reason: String| CliError::CorruptFile { path: path.to_string(), reason };
        let text = text.filter(|t| !t.trim().is_empty()).unwrap_or("{}\n");
        let root = CstRootNode::parse(text, &ParseOptions::default()).map_err(|e| corrupt(e.to_string()))?;
        if root.value().is_some_and(|v| v.as_object().is_none()) {
            return Err(corrupt("its top level is not a JSON object".into()));
        }
        root.object_value_or_set();
        Ok(Self { root })
    }

    /// A file holding exactly `value` (an object), formatted like edited files.
    pub fn whole(value: &Value) -> Self {
        let file = Self::parse("", None).expect("an empty object parses");
        let object = file.root.object_value_or_set();
        for (key, value) in value.as_object().into_iter().flatten() {
            object.append(key, input(value));
        }
        file
    }

    pub fn text(&self) -> String {
        let text = self.root.to_string();
        if text.ends_with('\n') { text } else { format!("{text}\n") }
    }

    fn object(&self, path: &[&str], create: bool) -> Option<CstObject> {
        let mut object = self.root.object_value_or_set();
        for key in path {
            object = match object.object_value(key) {
                Some(next) => next,
                None if create => object.object_value_or_set(key),
                None => return None,
            };
        }
        Some(object)
    }

    /// The whole document.
    pub fn value(&self) -> Option<Value> {
        self.root.value()?.to_serde_value()
    }

    /// Makes the object at `path` hold `desired` for agentctl's keys: keys managed before
    /// and no longer desired are removed; a desired key the user owns (present, not
    /// managed before) is left alone and reported in `conflicts`. Returns the keys
    /// agentctl manages now.
    pub fn merge_entries(
        &self,
        path: &[&str],
        desired: &BTreeMap<String, Value>,
        managed: &BTreeSet<String>,
        conflicts: &mut Vec<String>,
    ) -> BTreeSet<String> {
        let Some(object) = self.object(path, !desired.is_empty()) else { return BTreeSet::new() };
        let mut removed = false;
        for name in managed.iter().filter(|n| !desired.contains_key(*n)) {
            if let Some(prop) = object.get(name) {
                prop.remove();
                removed = true;
            }
        }
        if removed && desired.is_empty() {
            self.prune(path);
        }
        let mut now = BTreeSet::new();
        for (name, value) in desired {
            match object.get(name) {
                Some(_) if !managed.contains(name) => conflicts.push(format!("{}.{name}", path.join("."))),
                Some(prop) => {
                    if prop.value().and_then(|v| v.to_serde_value()).as_ref() != Some(value) {
                        prop.set_value(input(value));
                    }
                    now.insert(name.clone());
                }
                None => {
                    object.append(name, input(value));
                    now.insert(name.clone());
                }
            }
        }
        now
    }

    /// Removes the object or list at `path` once agentctl's removals left it empty, and
    /// then each parent left empty: the containers agentctl created for its entries
    /// (`"mcpServers": {}`, `"tools": {"exclude": []}`) go with them.
    fn prune(&self, path: &[&str]) {
        let is_empty = |value: Value| match value {
            Value::Object(map) => map.is_empty(),
            Value::Array(items) => items.is_empty(),
            _ => false,
        };
        for depth in (1..=path.len()).rev() {
            let Some((last, parent)) = path[..depth].split_last() else { return };
            let Some(prop) = self.object(parent, false).and_then(|object| object.get(last)) else { return };
            if !prop.value().and_then(|v| v.to_serde_value()).is_some_and(is_empty) {
                return;
            }
            prop.remove();
        }
    }

    /// Makes the string list at `path` hold `desired` among its values: strings agentctl
    /// added before and no longer wants are removed, the user's own stay. Returns the
    /// strings agentctl manages now (a string the user had already is theirs).
    pub fn merge_strings(&self, path: &[&str], desired: &[String], managed: &BTreeSet<String>) -> BTreeSet<String> {
        let Some((last, parent)) = path.split_last() else { return BTreeSet::new() };
        let Some(object) = self.object(parent, !desired.is_empty()) else { return BTreeSet::new() };
        let array = match object.array_value(last) {
            Some(array) => array,
            None if desired.is_empty() => return BTreeSet::new(),
            None => object.array_value_or_set(last),
        };
        let text =
            |node: &jsonc_parser::cst::CstNode| node.to_serde_value().and_then(|v| v.as_str().map(str::to_string));
        let mut present = BTreeSet::new();
        let mut removed = false;
        for element in array.elements() {
            match text(&element) {
                Some(s) if managed.contains(&s) && !desired.contains(&s) => {
                    element.remove();
                    removed = true;
                }
                Some(s) => {
                    present.insert(s);
                }
                None => {}
            }
        }
        if removed && desired.is_empty() {
            self.prune(path);
        }
        let mut now = BTreeSet::new();
        for value in desired {
            if !present.contains(value) {
                array.append(CstInputValue::String(value.clone()));
                now.insert(value.clone());
            } else if managed.contains(value) {
                now.insert(value.clone());
            }
        }
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_merge_into_the_users_file_keeping_its_comments_and_entries() {
        let text = "{\n  // mine\n  \"theme\": \"dark\",\n  \"mcpServers\": {\n    \"mine\": { \"command\": \"x\" },\n    \"old\": { \"command\": \"y\" }\n  }\n}\n";
        let file = JsonFile::parse("f", Some(text)).unwrap();
        let desired = BTreeMap::from([("new".to_string(), json!({ "args": ["a"], "command": "z" }))]);
        let mut conflicts = Vec::new();
        let managed = BTreeSet::from(["old".to_string()]);
        let now = file.merge_entries(&["mcpServers"], &desired, &managed, &mut conflicts);
        assert_eq!(now, BTreeSet::from(["new".to_string()]));
        let out = file.text();
        assert!(out.contains("// mine") && out.contains("\"mine\"") && !out.contains("\"old\""), "{out}");
        assert!(out.find("\"command\": \"z\"").unwrap() < out.find("\"args\"").unwrap(), "{out}");

        let desired = BTreeMap::from([("mine".to_string(), json!({ "command": "admin" }))]);
        file.merge_entries(&["mcpServers"], &desired, &now, &mut conflicts);
        assert_eq!(conflicts, ["mcpServers.mine"]);
        assert_eq!(file.value().unwrap()["mcpServers"]["mine"], json!({ "command": "x" }));
    }

    #[test]
    fn strings_merge_without_touching_the_users_own() {
        let file = JsonFile::parse("f", Some(r#"{"permissions":{"deny":["Bash(x)","Read(//old/**)"]}}"#)).unwrap();
        let managed = BTreeSet::from(["Read(//old/**)".to_string()]);
        let desired = vec!["Bash(x)".to_string(), "Read(//etc/**)".to_string()];
        let now = file.merge_strings(&["permissions", "deny"], &desired, &managed);
        assert_eq!(now, BTreeSet::from(["Read(//etc/**)".to_string()]), "Bash(x) stays the user's");
        assert_eq!(file.value().unwrap()["permissions"]["deny"], json!(["Bash(x)", "Read(//etc/**)"]));
    }

    #[test]
    fn removing_the_last_managed_entry_removes_the_containers_left_empty() {
        let file =
            JsonFile::parse("f", Some(r#"{"theme":"dark","tools":{"exclude":["X"]},"mcpServers":{"a":{}}}"#)).unwrap();
        file.merge_strings(&["tools", "exclude"], &[], &BTreeSet::from(["X".to_string()]));
        file.merge_entries(&["mcpServers"], &BTreeMap::new(), &BTreeSet::from(["a".to_string()]), &mut Vec::new());
        assert_eq!(file.value().unwrap(), json!({ "theme": "dark" }));

        let users = JsonFile::parse("f", Some(r#"{"mcpServers":{}}"#)).unwrap();
        users.merge_entries(&["mcpServers"], &BTreeMap::new(), &BTreeSet::new(), &mut Vec::new());
        assert_eq!(users.value().unwrap(), json!({ "mcpServers": {} }), "the user's own empty object stays");
    }

    #[test]
    fn non_objects_are_corrupt() {
        assert!(JsonFile::parse("f", Some("[1]")).is_err());
        assert!(JsonFile::parse("f", Some("{ nope")).is_err());
        assert_eq!(JsonFile::parse("f", None).unwrap().text(), "{}\n");
    }
}
