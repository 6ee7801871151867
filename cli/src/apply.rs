//! Turning a [`FileSpec`] into the file's new text, given its current text and what
//! agentctl managed in it before.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use toml_edit::{DocumentMut, Item, Table};

use crate::api::CliError;
use crate::clients::{FileSpec, Format, Op};
use crate::jsonfile::JsonFile;
use crate::state::{FileState, digest};
use agentctl_wire::Name;

/// The part name of a file agentctl owns entirely.
pub const WHOLE: &str = "*";

/// A file's new text (`None`: agentctl's file is no longer wanted), the managed state
/// that goes with it, and the user's entries that kept an entry from being written.
pub struct Planned {
    pub after: Option<String>,
    pub state: FileState,
    pub conflicts: Vec<String>,
}

pub fn plan(
    spec: &FileSpec,
    before: Option<&str>,
    previous: Option<&FileState>,
    remove: bool,
) -> Result<Planned, CliError> {
    let path = spec.path.display().to_string();
    let managed = |part: &str| -> BTreeSet<String> {
        previous.and_then(|p| p.parts.get(part)).map(|keys| keys.keys().cloned().collect()).unwrap_or_default()
    };
    let created = previous.map_or(before.is_none_or(|text| text.trim().is_empty()), |p| p.created);
    // agentctl's entries were all removed from a file it created: the file goes too.
    let emptied_out = |parts: &BTreeMap<String, BTreeMap<String, String>>| {
        created && previous.is_some_and(|p| !p.parts.is_empty()) && parts.is_empty()
    };
    let mut state = FileState { client: spec.client.as_str().to_string(), created, parts: BTreeMap::new() };
    let mut conflicts = Vec::new();
    let after = match &spec.format {
        Format::Whole(_) if remove => None,
        Format::Whole(value) => {
            state.parts.insert(WHOLE.into(), BTreeMap::from([(String::new(), digest(value))]));
            Some(JsonFile::whole(value).text())
        }
        Format::Json(ops) => {
            let file = JsonFile::parse(&path, before)?;
            for (at, op) in ops {
                let part = at.join(".");
                let keys = match op {
                    Op::Entries(desired) => {
                        let now = file.merge_entries(at, desired, &managed(&part), &mut conflicts);
                        now.into_iter().map(|k| (digest(&desired[&k]), k)).map(|(d, k)| (k, d)).collect()
                    }
                    Op::Strings(desired) => {
                        let now = file.merge_strings(at, desired, &managed(&part));
                        now.into_iter().map(|s| (s, String::new())).collect::<BTreeMap<_, _>>()
                    }
                };
                if !keys.is_empty() {
                    state.parts.insert(part, keys);
                }
            }
            let emptied = emptied_out(&state.parts) && file.value() == Some(Value::Object(Default::default()));
            (!emptied).then(|| file.text())
        }
        Format::Toml { table, entries, root_keys } => {
            let mut doc: DocumentMut = before.unwrap_or_default().parse().map_err(|e: toml_edit::TomlError| {
                CliError::CorruptFile { path: path.clone(), reason: e.to_string() }
            })?;
            let fresh = doc.is_empty();
            let now = merge_toml_table(&mut doc, table, entries, &managed(table), &mut conflicts);
            if !now.is_empty() {
                state.parts.insert(table.to_string(), now);
            }
            let now = merge_toml_root(&mut doc, root_keys, &managed(""), &mut conflicts);
            if !now.is_empty() {
                state.parts.insert(String::new(), now);
            }
            let text = doc.to_string();
            let emptied = emptied_out(&state.parts) && text.trim().is_empty();
            // A new file starts with agentctl's comment, not the blank line before it.
            (!emptied).then(|| if fresh { format!("{}\n", text.trim()) } else { text })
        }
        Format::Env(desired) => {
            let (text, now) = merge_env(before.unwrap_or_default(), desired, &managed(""), &mut conflicts);
            if !now.is_empty() {
                state.parts.insert(String::new(), now);
            }
            let emptied = emptied_out(&state.parts) && text.trim().is_empty();
            (!emptied).then_some(text)
        }
    };
    Ok(Planned { after, state, conflicts })
}

/// The variable a `.env` line sets and its value (`KEY=value` or `export KEY=value`;
/// not comments).
fn env_entry(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").unwrap_or(line);
    if line.starts_with('#') {
        return None;
    }
    line.split_once('=').map(|(key, value)| (key.trim(), value.trim()))
}

/// A `.env` file's variables, by name (the last line setting one wins, as dotenv reads).
fn env_vars(text: &str) -> Value {
    let vars = text.lines().filter_map(env_entry);
    Value::Object(vars.map(|(key, value)| (key.to_string(), Value::String(value.to_string()))).collect())
}

/// agentctl's variables into a `.env` file: stale ones removed, managed ones set in
/// place, new ones appended under agentctl's comment; the user's own lines untouched
/// (one of theirs with a managed name is a conflict, and stays).
fn merge_env(
    text: &str,
    desired: &BTreeMap<String, String>,
    managed: &BTreeSet<String>,
    conflicts: &mut Vec<String>,
) -> (String, BTreeMap<String, String>) {
    let mut lines = Vec::new();
    let mut placed = BTreeSet::new();
    for line in text.lines() {
        match env_entry(line).map(|(key, _)| key) {
            Some(key) if managed.contains(key) => {
                if let Some(value) = desired.get(key).filter(|_| placed.insert(key.to_string())) {
                    lines.push(format!("{key}={value}"));
                }
            }
            Some(key) if desired.contains_key(key) => {
                conflicts.push(key.to_string());
                placed.insert(key.to_string());
                lines.push(line.to_string());
            }
            _ => lines.push(line.to_string()),
        }
    }
    let mut now = BTreeMap::new();
    let new: Vec<_> = desired.iter().filter(|(key, _)| !placed.contains(*key)).collect();
    if !new.is_empty() {
        lines.push(MANAGED_COMMENT.trim().to_string());
    }
    for (key, value) in new {
        lines.push(format!("{key}={value}"));
    }
    for (key, value) in desired {
        if !conflicts.contains(key) {
            now.insert(key.clone(), digest(&Value::String(value.clone())));
        }
    }
    if now.is_empty() {
        lines.retain(|line| line != MANAGED_COMMENT.trim());
    }
    let text = lines.join("\n");
    (if text.trim().is_empty() { String::new() } else { format!("{}\n", text.trim_end()) }, now)
}

/// A JSON value as TOML (objects become inline tables inside arrays and values).
fn toml_value(value: &Value) -> Option<toml_edit::Value> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64()?.into(),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => toml_edit::Value::Array(items.iter().filter_map(toml_value).collect()),
        Value::Object(map) => {
            let mut table = toml_edit::InlineTable::new();
            for (k, v) in map {
                if let Some(v) = toml_value(v) {
                    table.insert(k, v);
                }
            }
            toml_edit::Value::InlineTable(table)
        }
    })
}

const MANAGED_COMMENT: &str = "\n# managed by agentctl (agentctl sync)\n";

/// A server entry as a `[table.NAME]` table, keys in the order JSON entries use;
/// objects holding objects (`identity`) become sub-tables, maps of strings (`env`,
/// headers) inline tables. The table says who manages it.
fn toml_table(entry: &Value) -> Table {
    let mut table = Table::new();
    let map = entry.as_object().cloned().unwrap_or_default();
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by_key(|k| (crate::jsonfile::rank(k), (*k).clone()));
    for key in keys {
        match &map[key] {
            Value::Object(inner) if key == "identity" => {
                let mut sub = Table::new();
                for (k, v) in inner {
                    if let Some(v) = toml_value(v) {
                        sub.insert(k, Item::Value(v));
                    }
                }
                table.insert(key, Item::Table(sub));
            }
            other => {
                if let Some(v) = toml_value(other) {
                    table.insert(key, Item::Value(v));
                }
            }
        }
    }
    if table.iter().all(|(_, item)| item.is_table()) {
        // Only sub-tables: no empty `[parent]` header; the comment goes on the first.
        table.set_implicit(true);
        if let Some((_, Item::Table(first))) = table.iter_mut().next() {
            first.decor_mut().set_prefix(MANAGED_COMMENT);
        }
    } else {
        table.decor_mut().set_prefix(MANAGED_COMMENT);
    }
    table
}

fn merge_toml_table(
    doc: &mut DocumentMut,
    name: &str,
    desired: &BTreeMap<String, Value>,
    managed: &BTreeSet<String>,
    conflicts: &mut Vec<String>,
) -> BTreeMap<String, String> {
    if doc.get(name).is_none() {
        if desired.is_empty() {
            return BTreeMap::new();
        }
        let mut parent = Table::new();
        parent.set_implicit(true);
        doc.insert(name, Item::Table(parent));
    }
    let Some(parent) = doc[name].as_table_mut() else {
        conflicts.push(format!("{name} (not a table)"));
        return BTreeMap::new();
    };
    let mut removed = false;
    for stale in managed.iter().filter(|k| !desired.contains_key(*k)) {
        removed |= parent.remove(stale).is_some();
    }
    if removed && parent.is_empty() {
        // The parent agentctl created for its tables goes with the last of them.
        doc.remove(name);
        return BTreeMap::new();
    }
    let mut now = BTreeMap::new();
    for (key, value) in desired {
        if parent.contains_key(key) && !managed.contains(key) {
            conflicts.push(format!("{name}.{key}"));
            continue;
        }
        parent.insert(key, Item::Table(toml_table(value)));
        now.insert(key.clone(), digest(value));
    }
    now
}

fn merge_toml_root(
    doc: &mut DocumentMut,
    desired: &BTreeMap<String, Value>,
    managed: &BTreeSet<String>,
    conflicts: &mut Vec<String>,
) -> BTreeMap<String, String> {
    for stale in managed.iter().filter(|k| !desired.contains_key(*k)) {
        doc.remove(stale);
    }
    let mut now = BTreeMap::new();
    for (key, value) in desired {
        if doc.contains_key(key) && !managed.contains(key) {
            conflicts.push(key.clone());
            continue;
        }
        if let Some(v) = toml_value(value) {
            doc.insert(key, Item::Value(v));
            now.insert(key.clone(), digest(value));
        }
    }
    now
}

/// What changed in a managed file since it was written: each managed entry `edited` or
/// `missing` (as `part.key: edited|missing`), or the whole file gone; `Err` when the
/// file no longer parses (corrupt). The file's format is told by its name.
pub fn drift(path: &std::path::Path, text: Option<&str>, previous: &FileState) -> Result<Vec<String>, String> {
    let Some(text) = text else { return Ok(vec!["the file is gone".into()]) };
    // The file as one JSON value, parsed once: TOML the way `toml_table` built it.
    let document = if path.extension().is_some_and(|e| e == "toml") {
        text.parse::<DocumentMut>().map(|doc| item_json(doc.as_item())).map_err(|e| e.to_string())?
    } else if path.file_name().is_some_and(|n| n == ".env") {
        env_vars(text)
    } else {
        JsonFile::parse("", Some(text))
            .map_err(|e| match e {
                CliError::CorruptFile { reason, .. } => reason,
                other => other.to_string(),
            })?
            .value()
            .unwrap_or(Value::Null)
    };
    let document = Some(document);
    let at = |part: &str| -> Option<&Value> {
        if part.is_empty() || part == WHOLE {
            return document.as_ref();
        }
        part.split('.').try_fold(document.as_ref()?, |value, key| value.get(key))
    };
    let mut found = Vec::new();
    for (part, keys) in &previous.parts {
        for (key, written) in keys {
            let state = if written.is_empty() {
                // A string of a list: present or not.
                let listed = at(part).and_then(Value::as_array).is_some_and(|l| l.iter().any(|v| v == key));
                (!listed).then_some("missing")
            } else {
                let current = if part == WHOLE { at(part) } else { at(part).and_then(|v| v.get(key)) };
                match current {
                    None => Some("missing"),
                    Some(value) if digest(value) != *written => Some("edited"),
                    Some(_) => None,
                }
            };
            if let Some(state) = state {
                let at = if part.is_empty() || part == WHOLE { key.clone() } else { format!("{part}.{key}") };
                found.push(format!("{at}: {state}"));
            }
        }
    }
    Ok(found)
}

/// A TOML item as JSON, the way [`toml_table`] built it (for drift digests).
pub fn item_json(item: &Item) -> Value {
    fn value(v: &toml_edit::Value) -> Value {
        match v {
            toml_edit::Value::String(s) => Value::String(s.value().clone()),
            toml_edit::Value::Integer(i) => Value::from(*i.value()),
            toml_edit::Value::Float(f) => Value::from(*f.value()),
            toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
            toml_edit::Value::Datetime(d) => Value::String(d.value().to_string()),
            toml_edit::Value::Array(a) => Value::Array(a.iter().map(value).collect()),
            toml_edit::Value::InlineTable(t) => {
                Value::Object(t.iter().map(|(k, v)| (k.to_string(), value(v))).collect())
            }
        }
    }
    match item {
        Item::Value(v) => value(v),
        Item::Table(t) => Value::Object(t.iter().map(|(k, v)| (k.to_string(), item_json(v))).collect()),
        Item::ArrayOfTables(a) => Value::Array(a.iter().map(|t| item_json(&Item::Table(t.clone()))).collect()),
        Item::None => Value::Null,
    }
}
