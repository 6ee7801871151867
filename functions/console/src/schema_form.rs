//! Forms generated from an MCP server's connection schema (JSON Schema of an object):
//! one input per property, typed by its `type` or `enum`, labelled by its `title` and
//! `description`. `writeOnly` properties are credentials: password inputs, never filled
//! in. The domain checks what the form makes against the schema, as for the API.

use agentctl_shared::http::problem::Problem;
use agentctl_shared::{Error, Result};
use maud::{Markup, html};
use serde_json::{Map, Value};

use crate::forms::{Submitted, field_problem};

/// How a property is entered.
enum Kind<'a> {
    Text,
    Integer,
    Number,
    Boolean,
    Choice(Vec<&'a str>),
}

/// One property of a connection schema.
pub struct Property<'a> {
    name: &'a str,
    label: String,
    description: Option<&'a str>,
    kind: Kind<'a>,
    required: bool,
    /// A credential (`writeOnly`).
    pub secret: bool,
}

/// The properties of an object schema, in its order.
pub fn properties(schema: &Value) -> Vec<Property<'_>> {
    let required: Vec<&str> =
        schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else { return Vec::new() };
    properties
        .iter()
        .map(|(name, property)| {
            let kind = match (property["enum"].as_array(), property["type"].as_str()) {
                (Some(choices), _) => Kind::Choice(choices.iter().filter_map(Value::as_str).collect()),
                (None, Some("integer")) => Kind::Integer,
                (None, Some("number")) => Kind::Number,
                (None, Some("boolean")) => Kind::Boolean,
                _ => Kind::Text,
            };
            Property {
                name,
                label: property["title"].as_str().unwrap_or(name).to_string(),
                description: property["description"].as_str(),
                kind,
                required: required.contains(&name.as_str()),
                secret: property["writeOnly"] == true,
            }
        })
        .collect()
}

/// The inputs of `properties`, named `{prefix}{property}`, filled from `values` unless
/// they are credentials.
pub fn inputs(properties: &[&Property], values: &Value, prefix: &str, problem: Option<&Problem>) -> Markup {
    html! {
        @for property in properties {
            @let id = format!("{prefix}{}", property.name);
            @let value = if property.secret { String::new() } else {
                match &values[property.name] { Value::String(s) => s.clone(), Value::Null => String::new(), v => v.to_string() }
            };
            @if let Kind::Boolean = property.kind {
                label { input type="checkbox" id=(id) name=(id) value="true" checked[values[property.name] == true]; " " (property.label) }
            } @else {
                label for=(id) { (property.label) @if property.required { " (required)" } }
            }
            @if let Some(description) = property.description { span.muted { (description) } }
            (field_problem(problem, property.name))
            @match &property.kind {
                Kind::Choice(choices) => select id=(id) name=(id) {
                    option value="" { "—" }
                    @for choice in choices { option value=(choice) selected[value == *choice] { (choice) } }
                },
                Kind::Boolean => {},
                Kind::Integer | Kind::Number => input id=(id) name=(id) inputmode="decimal" value=(value);,
                Kind::Text if property.secret => input id=(id) name=(id) type="password" autocomplete="off" size="40";,
                Kind::Text => input id=(id) name=(id) size="40" value=(value);,
            }
        }
    }
}

/// The object the form's inputs for `properties` describe (those left empty left out).
pub fn read(properties: &[&Property], form: &Submitted, prefix: &str) -> Result<Value> {
    let mut object = Map::new();
    for property in properties {
        let raw = form.text(&format!("{prefix}{}", property.name));
        if raw.is_empty() {
            continue;
        }
        let invalid = |what: &str| Error::invalid(property.name, format!("must be {what}"));
        let value = match property.kind {
            Kind::Integer => Value::from(raw.parse::<i64>().map_err(|_| invalid("a whole number"))?),
            Kind::Number => {
                serde_json::from_str::<serde_json::Number>(&raw).map(Value::Number).map_err(|_| invalid("a number"))?
            }
            Kind::Boolean => Value::Bool(raw == "true"),
            Kind::Text | Kind::Choice(_) => Value::from(raw),
        };
        object.insert(property.name.to_string(), value);
    }
    Ok(Value::Object(object))
}
