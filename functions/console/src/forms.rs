//! Forms whose fields depend on what they edit (a policy type's rules, approval steps,
//! price rows): read as name-value pairs, in order.

use agentctl_shared::http::problem::Problem;
use axum::Form;
use axum::extract::{FromRequest, Request};
use maud::{Markup, html};
use serde_json::{Map, Value};

/// A submitted form, read in order (list fields are one value each, lines inside). A
/// body that is no form reads as an empty one, which the domain then refuses field by
/// field.
#[derive(Default)]
pub struct Submitted(Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for Submitted {
    type Rejection = std::convert::Infallible;

    async fn from_request(request: Request, state: &S) -> std::result::Result<Self, Self::Rejection> {
        let form = Form::<Vec<(String, String)>>::from_request(request, state).await;
        Ok(Submitted(form.map(|Form(fields)| fields).unwrap_or_default()))
    }
}

impl Submitted {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().trim().to_string()
    }

    /// Every value sent under `name` (checkboxes).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// How a field is entered.
pub enum Input {
    /// One line of text.
    Text,
    /// A list of strings, one per line.
    Lines,
    /// An object of strings, one `NAME=value` per line.
    Pairs,
    /// A JSON document.
    Json,
    /// A whole number.
    Count,
    /// A decimal amount in USD, kept as text.
    Amount,
    /// One of an enumeration's values.
    Choice(fn() -> Vec<&'static str>),
    /// One of the options the page supplies (an id), or none.
    Reference,
    /// Yes or no.
    Flag,
}

/// One field of a form built from a description: its JSON name, label and input.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub input: Input,
}

pub const fn field(name: &'static str, label: &'static str, input: Input) -> Field {
    Field { name, label, input }
}

impl Field {
    /// The field's value in `form` under `input_name`: `None` when left empty (a flag is
    /// always given). A malformed value is a problem named after the field.
    pub fn read(&self, form: &Submitted, input_name: &str) -> agentctl_shared::Result<Option<Value>> {
        let raw = form.get(input_name).unwrap_or_default().trim();
        if raw.is_empty() {
            return Ok(match self.input {
                Input::Flag => Some(Value::Bool(false)),
                _ => None,
            });
        }
        let invalid = |message: String| agentctl_shared::Error::invalid(self.name, message);
        let value = match self.input {
            Input::Text | Input::Amount | Input::Choice(_) | Input::Reference => Value::from(raw),
            Input::Lines => Value::from(raw.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>()),
            Input::Pairs => {
                let mut pairs = Map::new();
                for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
                    let (name, value) = line.split_once('=').ok_or_else(|| invalid(format!("{line:?}: NAME=value")))?;
                    pairs.insert(name.trim().to_string(), Value::from(value.trim()));
                }
                Value::Object(pairs)
            }
            Input::Json => serde_json::from_str(raw).map_err(|e| invalid(format!("is not JSON: {e}")))?,
            Input::Count => Value::from(raw.parse::<u64>().map_err(|_| invalid("a whole number".into()))?),
            Input::Flag => Value::Bool(true),
        };
        Ok(Some(value))
    }

    /// The field's value in `values` as its input shows it.
    pub fn shown(&self, values: &Value) -> String {
        let value = &values[self.name];
        match (&self.input, value) {
            (_, Value::Null) => String::new(),
            (Input::Json, value) => serde_json::to_string_pretty(value).unwrap_or_default(),
            (Input::Pairs, Value::Object(pairs)) => pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join("\n"),
            (_, Value::Array(items)) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"),
            (_, Value::String(s)) => s.clone(),
            (_, other) => other.to_string(),
        }
    }
}

/// The problem's messages about one field (`rules.deny[2]`, `overrides.deny`, `env`, ...).
pub fn field_problem(problem: Option<&Problem>, field: &str) -> Markup {
    let about = |name: &str| {
        let bare = name.strip_prefix("rules.").or_else(|| name.strip_prefix("overrides.")).unwrap_or(name);
        bare == field || bare.strip_prefix(field).is_some_and(|rest| rest.starts_with(['[', '.']))
    };
    let messages: Vec<&str> = problem
        .map_or_else(Vec::new, |p| p.errors.iter().filter(|e| about(&e.field)).map(|e| e.message.as_str()).collect());
    html! {
        @for message in messages { span.field-problem { (message) } }
    }
}

/// How a form of fields is drawn.
pub struct Layout<'a> {
    /// Put before each field's name to make its input's name (`rules.`).
    pub prefix: &'a str,
    /// Put before each field's name to make its element id (unique on the page).
    pub id_prefix: &'a str,
    /// Choices offer "keep" (an empty value) first.
    pub keep_choice: bool,
    /// The options of a `Reference` field: (id, label).
    pub references: &'a [(String, String)],
}

/// The inputs of `fields`, filled from `values`, each with its problems.
pub fn inputs(fields: &[Field], values: &Value, problem: Option<&Problem>, layout: &Layout) -> Markup {
    html! {
        @for field in fields {
            @let id = format!("{}{}", layout.id_prefix, field.name);
            @let name = format!("{}{}", layout.prefix, field.name);
            @let value = field.shown(values);
            @if let Input::Flag = field.input {
                label { input type="checkbox" id=(id) name=(name) value="yes" checked[values[field.name] == true]; " " (field.label) }
            } @else {
                label for=(id) { (field.label) }
            }
            (field_problem(problem, field.name))
            @match field.input {
                Input::Lines | Input::Pairs => textarea id=(id) name=(name) rows="4" cols="60" spellcheck="false" { (value) },
                Input::Json => textarea.mono id=(id) name=(name) rows="6" cols="60" spellcheck="false" { (value) },
                Input::Text => input id=(id) name=(name) size="50" value=(value);,
                Input::Count => input id=(id) name=(name) inputmode="numeric" value=(value);,
                Input::Amount => input id=(id) name=(name) inputmode="decimal" value=(value);,
                Input::Choice(choices) => select id=(id) name=(name) {
                    @if layout.keep_choice { option value="" { "(keep)" } }
                    @for choice in choices() { option value=(choice) selected[value == choice] { (choice) } }
                },
                Input::Reference => select id=(id) name=(name) {
                    option value="" { "none" }
                    @for (option, label) in layout.references { option value=(option) selected[value == *option] { (label) } }
                },
                Input::Flag => {},
            }
        }
    }
}
