//! Expressions with their placeholder names and values, merged safely into one request.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

#[derive(Clone, Debug, Default)]
pub struct Expr {
    pub text: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

/// Defines a placeholder. One placeholder meaning two things would make one of the
/// expressions sharing it test the wrong thing: a programming error, refused loudly.
fn define<V: PartialEq + std::fmt::Debug>(map: &mut HashMap<String, V>, placeholder: &str, meaning: V) {
    if let Some(existing) = map.get(placeholder) {
        assert_eq!(*existing, meaning, "placeholder {placeholder} defined twice with different meanings");
        return;
    }
    map.insert(placeholder.to_string(), meaning);
}

impl Expr {
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), ..Self::default() }
    }

    /// `#placeholder` for an attribute name (needed for reserved words like `status`).
    pub fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        define(&mut self.names, placeholder, attribute.to_string());
        self
    }

    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        define(&mut self.values, placeholder, value);
        self
    }

    /// Appends ` AND <clause>` (to a key condition or a filter).
    pub fn and_key(mut self, clause: &str) -> Self {
        self.text = format!("{} AND {clause}", self.text);
        self
    }

    /// Takes over the other expression's placeholders (the texts stay separate).
    pub fn merge(mut self, other: Expr) -> Self {
        for (placeholder, attribute) in other.names {
            define(&mut self.names, &placeholder, attribute);
        }
        for (placeholder, value) in other.values {
            define(&mut self.values, &placeholder, value);
        }
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

    #[test]
    fn a_placeholder_means_one_thing() {
        let zero = || AttributeValue::N("0".into());
        let same = Expr::new("a = :z").value(":z", zero()).merge(Expr::new("b = :z").value(":z", zero()));
        assert_eq!(same.values().unwrap().len(), 1, "the same meaning twice is one placeholder");
        let clash = std::panic::catch_unwind(|| {
            Expr::new("a = :v")
                .value(":v", zero())
                .merge(Expr::new("b = :v").value(":v", AttributeValue::N("1".into())))
        });
        assert!(clash.is_err(), "a second meaning is refused, not silently taken");
    }
}
