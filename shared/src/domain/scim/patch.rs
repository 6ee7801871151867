//! SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's representation: the result is
//! then taken as a replacement, so PATCH and PUT share one path. Operations `add`,
//! `replace`, `remove` — in any case, as Microsoft Entra sends `"Replace"` — with or
//! without `path`; paths `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`, with or
//! without the schema URN prefix.

use super::ScimType;
use serde_json::{Map, Value};

use super::filter::Filter;
use super::{PATCH_SCHEMA, ScimError, ScimResult, attribute};

/// The most operations one PATCH may carry.
const MAX_OPERATIONS: usize = 1000;

fn invalid_path(detail: impl Into<String>) -> ScimError {
    ScimError::new(400, Some(ScimType::InvalidPath), detail)
}

fn no_target(detail: impl Into<String>) -> ScimError {
    ScimError::new(400, Some(ScimType::NoTarget), detail)
}

/// One operation of a PatchOp request.
pub struct Operation {
    pub op: Op,
    pub path: Option<Path>,
    pub value: Option<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Replace,
    Remove,
}

/// The operations of a PatchOp request body, their ops and paths checked.
pub fn operations(body: &Value) -> ScimResult<Vec<Operation>> {
    let schemas = attribute(body, "schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|v| v.as_str() == Some(PATCH_SCHEMA))) {
        return Err(ScimError::new(
            400,
            Some(ScimType::InvalidSyntax),
            format!("a PATCH body names the schema {PATCH_SCHEMA}"),
        ));
    }
    let operations = attribute(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::new(400, Some(ScimType::InvalidSyntax), "a PATCH body lists its Operations"))?;
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimError::new(400, Some(ScimType::TooMany), format!("at most {MAX_OPERATIONS} operations")));
    }
    operations
        .iter()
        .map(|operation| {
            let op = attribute(operation, "op").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
            let op = match op.as_str() {
                "add" => Op::Add,
                "replace" => Op::Replace,
                "remove" => Op::Remove,
                other => {
                    return Err(ScimError::new(400, Some(ScimType::InvalidSyntax), format!("unknown op {other:?}")));
                }
            };
            let path = attribute(operation, "path").and_then(Value::as_str).map(Path::parse).transpose()?;
            let value = attribute(operation, "value").cloned();
            match (op, &path, &value) {
                (Op::Add | Op::Replace, None, Some(Value::Object(_))) | (Op::Remove, Some(_), _) => {}
                (Op::Add | Op::Replace, None, _) => {
                    return Err(no_target("without a path, the value is an object of attributes"));
                }
                (Op::Add | Op::Replace, Some(_), None) => {
                    return Err(ScimError::invalid_value("add and replace need a value"));
                }
                (Op::Add | Op::Replace, Some(_), Some(_)) => {}
                (Op::Remove, None, _) => return Err(no_target("remove needs a path")),
            }
            Ok(Operation { op, path, value })
        })
        .collect()
}

/// Applies a PatchOp request body to `resource`.
pub fn apply(resource: &mut Value, body: &Value) -> ScimResult<()> {
    operations(body)?.into_iter().try_for_each(|operation| apply_one(resource, operation))
}

/// Applies one checked operation to `resource`.
pub fn apply_one(resource: &mut Value, operation: Operation) -> ScimResult<()> {
    let Operation { op, path, value } = operation;
    match (path, value) {
        (None, Some(Value::Object(values))) => {
            for (name, value) in values {
                set(resource, &Path::parse(&name)?, value, op == Op::Add)?;
            }
            Ok(())
        }
        (Some(path), value) if op == Op::Remove => remove(resource, &path, value.as_ref()),
        (Some(path), Some(value)) => set(resource, &path, value, op == Op::Add),
        _ => Err(ScimError::invalid_value("add and replace need a value")),
    }
}

/// `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`.
pub struct Path {
    pub attribute: String,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

impl Path {
    pub fn parse(raw: &str) -> ScimResult<Self> {
        // The enterprise extension is an attribute of its own (its URN), which a path may
        // name whole or with one of its attributes.
        let extension = super::ENTERPRISE_USER_SCHEMA;
        if raw.eq_ignore_ascii_case(extension) {
            return Ok(Path { attribute: extension.to_string(), filter: None, sub: None });
        }
        if let Some(sub) = raw.get(extension.len() + 1..).filter(|_| {
            raw.get(..extension.len()).is_some_and(|p| p.eq_ignore_ascii_case(extension))
                && raw.as_bytes()[extension.len()] == b':'
        }) {
            let sub = Self::parse(sub)?;
            if sub.filter.is_some() || sub.sub.is_some() {
                return Err(invalid_path(format!("{raw:?} is not a path")));
            }
            return Ok(Path { attribute: extension.to_string(), filter: None, sub: Some(sub.attribute) });
        }
        // An attribute of the core schema may be prefixed with its URN.
        let raw = match raw.rfind(':') {
            Some(at) if raw.to_ascii_lowercase().starts_with("urn:") && !raw[at..].contains('[') => &raw[at + 1..],
            _ => raw,
        };
        let (head, filter, tail) = match (raw.find('['), raw.rfind(']')) {
            (Some(open), Some(close)) if open < close => {
                (&raw[..open], Some(Filter::parse(&raw[open + 1..close])?), &raw[close + 1..])
            }
            (None, None) => (raw, None, ""),
            _ => return Err(invalid_path(format!("{raw:?} is not a path"))),
        };
        let (attribute, sub) = match (head.split_once('.'), tail.strip_prefix('.')) {
            (Some((attribute, sub)), _) if filter.is_none() => (attribute, Some(sub)),
            (None, Some(sub)) => (head, Some(sub)),
            (None, None) if tail.is_empty() => (head, None),
            _ => return Err(invalid_path(format!("{raw:?} is not a path"))),
        };
        let valid =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-');
        if !valid(attribute) || sub.is_some_and(|s| !valid(s)) {
            return Err(invalid_path(format!("{raw:?} is not a path")));
        }
        Ok(Path { attribute: attribute.to_string(), filter, sub: sub.map(str::to_string) })
    }
}

/// The key `name` has in `object`, whatever its case.
fn key_of(object: &Map<String, Value>, name: &str) -> String {
    object.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned().unwrap_or_else(|| name.to_string())
}

fn object(resource: &mut Value) -> ScimResult<&mut Map<String, Value>> {
    resource.as_object_mut().ok_or_else(|| invalid_path("the target is not an object"))
}

/// Add or replace at `path`. `add` on a multi-valued attribute appends what is not there.
fn set(resource: &mut Value, path: &Path, value: Value, add: bool) -> ScimResult<()> {
    let object = object(resource)?;
    let key = key_of(object, &path.attribute);
    match (&path.filter, &path.sub) {
        (None, None) => {
            let slot = object.entry(key).or_insert(Value::Null);
            match (slot, value) {
                (Value::Array(existing), Value::Array(new)) if add => {
                    for item in new {
                        if !existing.contains(&item) {
                            existing.push(item);
                        }
                    }
                }
                (slot @ Value::Object(_), Value::Object(new)) if add => {
                    let existing = slot.as_object_mut().expect("an object");
                    for (name, value) in new {
                        let key = key_of(existing, &name);
                        existing.insert(key, value);
                    }
                }
                (slot, value) => *slot = value,
            }
        }
        (None, Some(sub)) => {
            let slot = object.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if slot.is_null() {
                *slot = Value::Object(Map::new());
            }
            let inner =
                slot.as_object_mut().ok_or_else(|| invalid_path(format!("{} is not complex", path.attribute)))?;
            let sub_key = key_of(inner, sub);
            inner.insert(sub_key, value);
        }
        (Some(filter), sub) => {
            let items = object
                .get_mut(&key)
                .and_then(Value::as_array_mut)
                .ok_or_else(|| no_target(format!("no {} to filter", path.attribute)))?;
            let mut hit = false;
            for item in items.iter_mut().filter(|item| filter.matches(item)) {
                hit = true;
                match sub {
                    Some(sub) => {
                        let inner =
                            item.as_object_mut().ok_or_else(|| invalid_path("a filtered value is not complex"))?;
                        let sub_key = key_of(inner, sub);
                        inner.insert(sub_key, value.clone());
                    }
                    None => *item = value.clone(),
                }
            }
            if !hit {
                return Err(no_target(format!("no {} matches the filter", path.attribute)));
            }
        }
    }
    Ok(())
}

/// Remove at `path`; with a value on a multi-valued attribute (Entra's way for group
/// members), only the listed values (compared by their `value`).
fn remove(resource: &mut Value, path: &Path, value: Option<&Value>) -> ScimResult<()> {
    let object = object(resource)?;
    let key = key_of(object, &path.attribute);
    match (&path.filter, &path.sub, value) {
        (None, None, Some(Value::Array(listed))) => {
            if let Some(Value::Array(items)) = object.get_mut(&key) {
                let same = |a: &Value, b: &Value| match (attribute(a, "value"), attribute(b, "value")) {
                    (Some(x), Some(y)) => x == y,
                    _ => a == b,
                };
                items.retain(|item| !listed.iter().any(|gone| same(item, gone)));
            }
        }
        (None, None, _) => {
            object.remove(&key);
        }
        (None, Some(sub), _) => {
            if let Some(Value::Object(inner)) = object.get_mut(&key) {
                let sub_key = key_of(inner, sub);
                inner.remove(&sub_key);
            }
        }
        (Some(filter), sub, _) => {
            if let Some(Value::Array(items)) = object.get_mut(&key) {
                match sub {
                    None => items.retain(|item| !filter.matches(item)),
                    Some(sub) => items.iter_mut().filter(|item| filter.matches(item)).for_each(|item| {
                        if let Some(inner) = item.as_object_mut() {
                            let sub_key = key_of(inner, sub);
                            inner.remove(&sub_key);
                        }
                    }),
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(mut resource: Value, operations: Value) -> Value {
        apply(&mut resource, &json!({ "schemas": [PATCH_SCHEMA], "Operations": operations })).unwrap();
        resource
    }

    #[test]
    fn entra_and_okta_patches_apply() {
        let user = json!({ "userName": "a@x.example", "active": true, "name": { "givenName": "A" } });
        // Entra: capitalised op, string boolean, path with the URN.
        let entra = patched(user.clone(), json!([{ "op": "Replace", "path": "active", "value": "False" }]));
        assert_eq!(entra["active"], "False");
        let urn = patched(
            user.clone(),
            json!([{ "op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName", "value": "B" }]),
        );
        assert_eq!(urn["name"], json!({ "givenName": "A", "familyName": "B" }));
        // Okta: replace without a path.
        let okta = patched(
            user.clone(),
            json!([{ "op": "replace", "value": { "active": false, "NAME": { "givenName": "C" } } }]),
        );
        assert_eq!((okta["active"].clone(), okta["name"].clone()), (json!(false), json!({ "givenName": "C" })));
    }

    #[test]
    fn the_enterprise_extension_is_patched_whole_or_by_its_attributes() {
        const EXT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let user = json!({ "userName": "a@x.example" });
        let by_attribute =
            patched(user.clone(), json!([{ "op": "Add", "path": format!("{EXT}:department"), "value": "Eng" }]));
        assert_eq!(by_attribute[EXT], json!({ "department": "Eng" }));
        let flat_key =
            patched(user.clone(), json!([{ "op": "replace", "value": { format!("{EXT}:department"): "Ops" } }]));
        assert_eq!(flat_key[EXT], json!({ "department": "Ops" }));
        let whole =
            patched(by_attribute.clone(), json!([{ "op": "replace", "path": EXT, "value": { "department": "Data" } }]));
        assert_eq!(whole[EXT], json!({ "department": "Data" }));
        let removed = patched(by_attribute, json!([{ "op": "remove", "path": EXT }]));
        assert!(removed.get(EXT).is_none());
    }

    #[test]
    fn group_members_are_added_and_removed_every_way() {
        let group = json!({ "displayName": "Eng", "members": [{ "value": "1" }, { "value": "2" }] });
        let added = patched(
            group.clone(),
            json!([{ "op": "add", "path": "members", "value": [{ "value": "3" }, { "value": "1" }] }]),
        );
        assert_eq!(added["members"], json!([{ "value": "1" }, { "value": "2" }, { "value": "3" }]));
        let filtered = patched(group.clone(), json!([{ "op": "remove", "path": "members[value eq \"1\"]" }]));
        assert_eq!(filtered["members"], json!([{ "value": "2" }]));
        let listed =
            patched(group.clone(), json!([{ "op": "Remove", "path": "members", "value": [{ "value": "2" }] }]));
        assert_eq!(listed["members"], json!([{ "value": "1" }]));
        let all = patched(group, json!([{ "op": "remove", "path": "members" }]));
        assert!(all.get("members").is_none());
    }

    #[test]
    fn filtered_sub_attributes_are_replaced() {
        let user = json!({ "emails": [{ "type": "work", "value": "a@x.example" }, { "type": "home", "value": "h@x.example" }] });
        let done = patched(
            user,
            json!([{ "op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x.example" }]),
        );
        assert_eq!(done["emails"][0]["value"], "b@x.example");
        assert_eq!(done["emails"][1]["value"], "h@x.example");
    }

    #[test]
    fn malformed_patches_are_refused_with_scim_types() {
        let mut user = json!({});
        for (body, scim_type) in [
            (json!({ "Operations": [] }), "invalidSyntax"),
            (
                json!({ "schemas": [PATCH_SCHEMA], "Operations": [{ "op": "move", "path": "a", "value": 1 }] }),
                "invalidSyntax",
            ),
            (json!({ "schemas": [PATCH_SCHEMA], "Operations": [{ "op": "remove" }] }), "noTarget"),
            (
                json!({ "schemas": [PATCH_SCHEMA], "Operations": [{ "op": "add", "path": "a b", "value": 1 }] }),
                "invalidPath",
            ),
        ] {
            assert_eq!(apply(&mut user, &body).unwrap_err().scim_type.map(ScimType::as_str), Some(scim_type), "{body}");
        }
    }
}
