//! The non-secret connection settings an MCP server's JSON Schema requires (a database's
//! host, a repository path), asked for when requesting the server: from `--set
//! key=value`, or at the terminal. Credentials (`writeOnly` properties) are not asked
//! here: each person sets their own with `agentctl mcp credentials set` once approved.

use serde_json::{Map, Value, json};

use crate::api::CliError;

/// A setting the schema asks for.
#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    /// The JSON Schema type (`string` when it says none).
    pub kind: String,
    pub description: Option<String>,
}

fn is_credential(property: &Value) -> bool {
    property.get("writeOnly").and_then(Value::as_bool).unwrap_or(false)
}

/// The required properties of `schema` that are not credentials, in the schema's order.
pub fn required_settings(schema: &Value) -> Vec<Field> {
    let properties = schema.get("properties").and_then(Value::as_object);
    let required = schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    required
        .filter_map(|name| {
            let property = properties.and_then(|p| p.get(name)).cloned().unwrap_or(json!({}));
            (!is_credential(&property)).then(|| Field {
                name: name.to_string(),
                kind: property.get("type").and_then(Value::as_str).unwrap_or("string").to_string(),
                description: property.get("description").and_then(Value::as_str).map(str::to_string),
            })
        })
        .collect()
}

/// Asks for one field's value (at a terminal).
pub type Ask<'a> = &'a mut dyn FnMut(&Field) -> Result<String, CliError>;

/// A typed value of `raw` for a property of `kind`.
fn typed(name: &str, kind: &str, raw: &str) -> Result<Value, CliError> {
    let bad = || CliError::Usage(format!("{name} must be {kind}, not {raw:?}"));
    Ok(match kind {
        "integer" => json!(raw.trim().parse::<i64>().map_err(|_| bad())?),
        "number" => serde_json::from_str::<serde_json::Number>(raw.trim()).map(Value::Number).map_err(|_| bad())?,
        "boolean" => json!(raw.trim().parse::<bool>().map_err(|_| bad())?),
        _ => json!(raw),
    })
}

/// The connection settings from `--set key=value` pairs and, for required ones not given,
/// `ask` (`None`: not at a terminal, so missing ones are an error naming them).
pub fn settings(schema: &Value, sets: &[String], mut ask: Option<Ask>) -> Result<Option<Value>, CliError> {
    let properties = schema.get("properties").and_then(Value::as_object);
    let mut config = Map::new();
    for set in sets {
        let (key, raw) =
            set.split_once('=').ok_or_else(|| CliError::Usage(format!("--set takes key=value, not {set:?}")))?;
        let property = properties.and_then(|p| p.get(key));
        if property.is_some_and(is_credential) {
            return Err(CliError::Usage(format!(
                "{key} is a credential: set it with `agentctl mcp credentials set` once the server is approved"
            )));
        }
        let kind = property.and_then(|p| p.get("type")).and_then(Value::as_str).unwrap_or("string");
        config.insert(key.to_string(), typed(key, kind, raw)?);
    }
    let missing: Vec<Field> = required_settings(schema).into_iter().filter(|f| !config.contains_key(&f.name)).collect();
    match ask.as_mut() {
        Some(ask) => {
            for field in &missing {
                let raw = ask(field)?;
                config.insert(field.name.clone(), typed(&field.name, &field.kind, &raw)?);
            }
        }
        None if !missing.is_empty() => {
            let names: Vec<String> = missing.iter().map(|f| format!("--set {}=...", f.name)).collect();
            return Err(CliError::Usage(format!("the server needs its connection settings: {}", names.join(" "))));
        }
        None => {}
    }
    Ok((!config.is_empty()).then_some(Value::Object(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        json!({ "type": "object", "required": ["host", "port", "password"], "properties": {
            "host": { "type": "string", "description": "Database host" },
            "port": { "type": "integer" },
            "password": { "type": "string", "writeOnly": true },
            "readonly": { "type": "boolean" } } })
    }

    #[test]
    fn required_settings_leave_credentials_to_their_owner() {
        let names: Vec<String> = required_settings(&schema()).into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["host", "port"]);
    }

    #[test]
    fn settings_come_from_set_or_the_terminal_typed_by_the_schema() {
        let sets = ["host=db.internal".to_string(), "readonly=true".to_string()];
        let mut asked = Vec::new();
        let mut ask = |f: &Field| {
            asked.push(f.name.clone());
            Ok("5432".to_string())
        };
        let config = settings(&schema(), &sets, Some(&mut ask)).unwrap().unwrap();
        assert_eq!(config, json!({ "host": "db.internal", "readonly": true, "port": 5432 }));
        assert_eq!(asked, ["port"], "only what is missing is asked");

        let Err(CliError::Usage(missing)) = settings(&schema(), &sets, None) else { panic!() };
        assert!(missing.contains("--set port=..."), "{missing}");
        for bad in ["port=many", "password=x", "nokey"] {
            let sets = ["host=h".to_string(), bad.to_string()];
            assert!(settings(&schema(), &sets, None).is_err(), "{bad}");
        }
        assert_eq!(settings(&json!({}), &[], None).unwrap(), None);
    }
}
