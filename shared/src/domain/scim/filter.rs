//! The SCIM filters identity providers send (RFC 7644 §3.4.2.2): one comparison
//! `attribute op "value"` with `eq` (the big providers' `userName eq`, `externalId eq`,
//! `displayName eq`), `ne`, `co`, `sw`, `ew`, or `attribute pr`, joined by `and`.
//! Attribute names are case-insensitive; string comparisons too (caseExact false).

use super::ScimType;
use serde_json::Value;

use super::{ScimError, ScimResult};

#[derive(Debug, PartialEq)]
enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Pr,
}

#[derive(Debug, PartialEq)]
struct Comparison {
    /// `userName`, `emails.value`, `meta.lastModified`... (lower case).
    path: Vec<String>,
    op: Op,
    value: Option<Value>,
}

/// A parsed filter: every comparison must hold.
#[derive(Debug, PartialEq)]
pub struct Filter(Vec<Comparison>);

fn invalid(detail: &str) -> ScimError {
    ScimError::new(400, Some(ScimType::InvalidFilter), detail)
}

impl Filter {
    pub fn parse(raw: &str) -> ScimResult<Self> {
        if raw.len() > 1000 {
            return Err(invalid("the filter is too long"));
        }
        let tokens = tokens(raw)?;
        let mut comparisons = Vec::new();
        let mut rest = tokens.as_slice();
        loop {
            let (comparison, after) = comparison(rest)?;
            comparisons.push(comparison);
            match after {
                [] => break,
                [and, more @ ..] if and.eq_ignore_ascii_case("and") => rest = more,
                _ => return Err(invalid("only comparisons joined by `and` are supported")),
            }
        }
        Ok(Filter(comparisons))
    }

    /// The value a comparison `attribute eq "value"` asks for, if the filter has one
    /// (`attribute` as a lower-case path such as `username` or `emails.value`). Every
    /// comparison must hold, so such a value narrows what can match to what it names.
    pub fn equals(&self, attribute: &str) -> Option<&str> {
        self.0.iter().find_map(|c| match (&c.op, &c.value) {
            (Op::Eq, Some(Value::String(value))) if c.path.join(".") == attribute => Some(value.as_str()),
            _ => None,
        })
    }

    /// Whether a comparison reads `attribute` (its first path segment, lower case).
    pub fn reads(&self, attribute: &str) -> bool {
        self.0.iter().any(|c| c.path.first().is_some_and(|p| p == attribute))
    }

    /// Whether `resource` (its SCIM representation) matches.
    pub fn matches(&self, resource: &Value) -> bool {
        self.0.iter().all(|c| c.matches(resource))
    }
}

fn comparison(tokens: &[String]) -> ScimResult<(Comparison, &[String])> {
    let [attribute, op, rest @ ..] = tokens else { return Err(invalid("expected `attribute op value`")) };
    if attribute.starts_with('"') {
        return Err(invalid("expected an attribute name"));
    }
    let path = attribute.split('.').map(str::to_ascii_lowercase).collect();
    let op = match op.to_ascii_lowercase().as_str() {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "co" => Op::Co,
        "sw" => Op::Sw,
        "ew" => Op::Ew,
        "pr" => return Ok((Comparison { path, op: Op::Pr, value: None }, rest)),
        other => return Err(invalid(&format!("the operator {other:?} is not supported"))),
    };
    let [value, rest @ ..] = rest else { return Err(invalid("a comparison needs a value")) };
    let value = if let Some(text) = value.strip_prefix('"') {
        Value::String(serde_json::from_str::<String>(&format!("\"{text}")).map_err(|_| invalid("a malformed string"))?)
    } else {
        match value.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            number => number
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| invalid("values are quoted strings, numbers, true, false or null"))?,
        }
    };
    Ok((Comparison { path, op, value: Some(value) }, rest))
}

/// Splits a filter into words and quoted strings (quotes kept, escapes kept).
fn tokens(raw: &str) -> ScimResult<Vec<String>> {
    let mut tokens = Vec::new();
    let mut chars = raw.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            let mut token = String::from(chars.next().unwrap());
            let mut closed = false;
            while let Some(c) = chars.next() {
                token.push(c);
                if c == '\\' {
                    token.extend(chars.next());
                } else if c == '"' {
                    closed = true;
                    break;
                }
            }
            if !closed {
                return Err(invalid("an unterminated string"));
            }
            tokens.push(token);
        } else if c == '(' || c == ')' || c == '[' || c == ']' {
            return Err(invalid("grouping and value paths are not supported in filters"));
        } else {
            let mut token = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                token.push(c);
                chars.next();
            }
            tokens.push(token);
        }
    }
    Ok(tokens)
}

impl Comparison {
    fn matches(&self, resource: &Value) -> bool {
        let mut found = Vec::new();
        values(resource, &self.path, &mut found);
        match (&self.op, &self.value) {
            (Op::Pr, _) => found.iter().any(|v| !v.is_null() && *v != &Value::String(String::new())),
            (Op::Ne, Some(wanted)) => !found.iter().any(|v| equal(v, wanted)),
            (op, Some(wanted)) => found.iter().any(|v| match op {
                Op::Eq => equal(v, wanted),
                Op::Co => text_op(v, wanted, |a, b| a.contains(b)),
                Op::Sw => text_op(v, wanted, |a, b| a.starts_with(b)),
                Op::Ew => text_op(v, wanted, |a, b| a.ends_with(b)),
                _ => false,
            }),
            (_, None) => false,
        }
    }
}

/// Every value at `path` (through arrays of complex values).
fn values<'a>(value: &'a Value, path: &[String], out: &mut Vec<&'a Value>) {
    match (value, path) {
        (Value::Array(items), _) => items.iter().for_each(|item| values(item, path, out)),
        (_, []) => out.push(value),
        (Value::Object(object), [first, rest @ ..]) => {
            if let Some((_, next)) = object.iter().find(|(k, _)| k.eq_ignore_ascii_case(first)) {
                values(next, rest, out);
            }
        }
        _ => {}
    }
}

fn equal(found: &Value, wanted: &Value) -> bool {
    match (found, wanted) {
        (Value::String(a), Value::String(b)) => a.to_lowercase() == b.to_lowercase(),
        (a, b) => a == b,
    }
}

fn text_op(found: &Value, wanted: &Value, op: impl Fn(&str, &str) -> bool) -> bool {
    match (found.as_str(), wanted.as_str()) {
        (Some(a), Some(b)) => op(&a.to_lowercase(), &b.to_lowercase()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_filters_identity_providers_send_work() {
        let user = json!({ "userName": "Ada@Example.com", "externalId": "00u1", "emails": [{ "value": "ada@example.com" }], "active": true });
        for (filter, matches) in [
            (r#"userName eq "ada@example.com""#, true),
            (r#"USERNAME EQ "ADA@EXAMPLE.COM""#, true),
            (r#"externalId eq "00u1""#, true),
            (r#"externalId eq "00u2""#, false),
            (r#"emails.value eq "ada@example.com""#, true),
            (r#"userName sw "ada" and active eq true"#, true),
            (r#"displayName pr"#, false),
            (r#"userName eq "quote\"d""#, false),
        ] {
            assert_eq!(Filter::parse(filter).unwrap().matches(&user), matches, "{filter}");
        }
    }

    #[test]
    fn unsupported_filters_are_invalid_filters() {
        for filter in [
            r#"userName eq"#,
            r#"emails[type eq "work"]"#,
            r#"userName gt "a""#,
            r#"userName eq "open"#,
            r#"a eq "b" or c eq "d""#,
        ] {
            let error = Filter::parse(filter).unwrap_err();
            assert_eq!((error.status, error.scim_type), (400, Some(ScimType::InvalidFilter)), "{filter}");
        }
    }
}
