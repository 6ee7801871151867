//! Expressions with their placeholder names and values, merged safely into one request.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

#[derive(Clone, Debug, Default)]
pub struct Expr {
    pub text: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), ..Self::default() }
    }

    /// `#placeholder` for an attribute name (needed for reserved words like `status`).
    pub fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names.insert(placeholder.into(), attribute.into());
        self
    }

    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.into(), value);
        self
    }

    /// Appends ` AND <clause>` (to a key condition or a filter).
    pub fn and_key(mut self, clause: &str) -> Self {
        self.text = format!("{} AND {clause}", self.text);
        self
    }

    /// Takes over the other expression's placeholders (the texts stay separate).
    pub fn merge(mut self, other: Expr) -> Self {
        self.names.extend(other.names);
        self.values.extend(other.values);
        self
    }

    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

impl Expr {
    /// `SET #u0 = :u0, #u1 = :u1, ...` for the given attributes.
    pub fn set(fields: Vec<(&str, AttributeValue)>) -> Self {
        let mut expr = Expr::default();
        let mut clauses = Vec::with_capacity(fields.len());
        for (i, (attribute, value)) in fields.into_iter().enumerate() {
            let (name, placeholder) = (format!("#u{i}"), format!(":u{i}"));
            clauses.push(format!("{name} = {placeholder}"));
            expr = expr.name(&name, attribute).value(&placeholder, value);
        }
        expr.text = format!("SET {}", clauses.join(", "));
        expr
    }

    /// Appends `, <clause>` (another SET action) or ` <clause>` (another action kind).
    pub fn then(mut self, clause: &str) -> Self {
        self.text = format!("{} {clause}", self.text);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_expressions_use_placeholders() {
        let e = Expr::set(vec![("name", AttributeValue::S("x".into())), ("status", AttributeValue::S("y".into()))]);
        assert_eq!(e.text, "SET #u0 = :u0, #u1 = :u1");
        assert_eq!(e.names().unwrap()["#u1"], "status");
        assert_eq!(e.values().unwrap()[":u0"], AttributeValue::S("x".into()));
    }
}
