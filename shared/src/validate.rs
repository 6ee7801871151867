//! Parse, don't validate: request bodies are checked field by field, every problem is
//! collected, and the caller gets them all at once as problem+json field errors.

pub use agentctl_wire::problem::FieldError;
use agentctl_wire::text::is_bidi_control;

/// Collects field errors while a request is parsed.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError { field: field.to_string(), message: message.into() });
    }

    /// Runs `parse` on `value`, remembering its error; `None` when it failed.
    pub fn check<T, V>(&mut self, field: &str, value: V, parse: impl FnOnce(V) -> Result<T, String>) -> Option<T> {
        match parse(value) {
            Ok(v) => Some(v),
            Err(message) => {
                self.error(field, message);
                None
            }
        }
    }

    /// Like [`Validator::check`] for an optional field: absent stays `None` without error.
    pub fn check_opt<T, V>(
        &mut self,
        field: &str,
        value: Option<V>,
        parse: impl FnOnce(V) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match value {
            None => Some(None),
            Some(v) => self.check(field, v, parse).map(Some),
        }
    }

    /// Ends validation: `Err` with every collected problem, or the built value.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, crate::Error> {
        if !self.errors.is_empty() {
            return Err(crate::Error::Validation(self.errors));
        }
        build().ok_or_else(|| crate::Error::Validation(vec![]))
    }
}

/// Characters that show nothing: whitespace, zero-width and filler characters.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
        )
}

/// Text that is safe to print on one line of a terminal or a page: no control
/// characters (ESC, NUL, BEL, newlines, ...) and no bidirectional formatting.
pub fn clean_line(text: &str) -> Result<(), String> {
    clean(text, false)
}

fn clean(text: &str, multi_line: bool) -> Result<(), String> {
    let allowed = |c: char| multi_line && matches!(c, '\t' | '\n');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(if multi_line {
            "must not contain control characters (tab and newline are allowed)".into()
        } else {
            "must not contain control characters".into()
        });
    }
    if text.chars().any(is_bidi_control) {
        return Err("must not contain bidirectional formatting characters (U+202A-U+202E, U+2066-U+2069, ...)".into());
    }
    Ok(())
}

/// A display name: trimmed, 1..=max characters, something visible, no control or
/// bidirectional formatting characters.
pub fn name(max: usize) -> impl FnOnce(String) -> Result<String, String> {
    move |raw| {
        let trimmed = raw.trim();
        if trimmed.chars().all(is_invisible) {
            return Err("must not be empty (or only invisible characters)".into());
        }
        if trimmed.chars().count() > max {
            return Err(format!("must be at most {max} characters"));
        }
        clean_line(trimmed)?;
        Ok(trimmed.to_string())
    }
}

/// Optional multi-line free text (descriptions, reasons, comments): at most `max`
/// characters, no control characters but tab and newline, no bidirectional formatting.
pub fn text(max: usize) -> impl FnOnce(String) -> Result<String, String> {
    move |raw| {
        if raw.chars().count() > max {
            return Err(format!("must be at most {max} characters"));
        }
        clean(&raw, true)?;
        Ok(raw)
    }
}

/// A URL slug: 3..=63 of `a-z`, `0-9` and inner `-`.
pub fn slug(raw: String) -> Result<String, String> {
    let ok_len = (3..=63).contains(&raw.len());
    let ok_chars = raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ok_ends = !raw.starts_with('-') && !raw.ends_with('-');
    if ok_len && ok_chars && ok_ends {
        Ok(raw)
    } else {
        Err("must be 3 to 63 characters of a-z, 0-9 and '-', not starting or ending with '-'".into())
    }
}

/// An email address, normalised to lower case (emails are unique case-insensitively).
pub fn email(raw: String) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    let Some((local, domain)) = email.split_once('@') else {
        return Err("must be an email address".into());
    };
    let valid = !local.is_empty()
        && local.len() <= 64
        && email.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid { Ok(email) } else { Err("must be an email address".into()) }
}

/// How deeply free-form JSON may nest. DynamoDB stores at most 32 levels per item and
/// these values sit a few levels down in theirs; deeper input would fail in storage.
pub const MAX_JSON_DEPTH: usize = 16;

fn depth(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        serde_json::Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Whether some object in `value` has an empty key (storage keeps map keys non-empty).
fn has_empty_key(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Array(items) => items.iter().any(has_empty_key),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.is_empty() || has_empty_key(v)),
        _ => false,
    }
}

/// Bounded size and nesting of a free-form JSON value, and no empty object keys.
fn bounded(value: &serde_json::Value, max_bytes: usize) -> Result<(), String> {
    if value.to_string().len() > max_bytes {
        return Err(format!("must be at most {max_bytes} bytes of JSON"));
    }
    if depth(value) > MAX_JSON_DEPTH {
        return Err(format!("must not nest deeper than {MAX_JSON_DEPTH} levels"));
    }
    if has_empty_key(value) {
        return Err("object keys must not be empty".into());
    }
    Ok(())
}

/// A JSON object of at most `max_bytes` serialized bytes and [`MAX_JSON_DEPTH`] levels
/// (settings, preferences).
pub fn json_object(max_bytes: usize) -> impl FnOnce(serde_json::Value) -> Result<serde_json::Value, String> {
    move |value| {
        if !value.is_object() {
            return Err("must be a JSON object".into());
        }
        bounded(&value, max_bytes)?;
        Ok(value)
    }
}

/// A positive count within `1..=max`.
pub fn count(max: u32) -> impl FnOnce(u32) -> Result<u32, String> {
    move |n| {
        if (1..=max).contains(&n) { Ok(n) } else { Err(format!("must be between 1 and {max}")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(email(" Alice@Example.COM ".into()).unwrap(), "alice@example.com");
        for bad in ["", "alice", "@example.com", "alice@", "alice@example", "a b@example.com", "a@b@c.com"] {
            assert!(email(bad.into()).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn slugs_follow_the_rule() {
        assert!(slug("acme-corp".into()).is_ok());
        for bad in ["ab", "Acme", "-acme", "acme-", "ac me", "acme_corp"] {
            assert!(slug(bad.into()).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name(5)("  abc ".into()).unwrap(), "abc");
        assert!(name(5)("   ".into()).is_err());
        assert!(name(5)("abcdef".into()).is_err());
        assert!(name(5)("a\u{7}b".into()).is_err());
    }

    #[test]
    fn names_refuse_bidi_controls_and_invisible_only_values() {
        assert_eq!(name(50)("Caf\u{e9} \u{1F600}".into()).unwrap(), "Caf\u{e9} \u{1F600}");
        for bad in [
            "evil\u{202E}txt.exe",
            "\u{200B}\u{200B}",
            "\u{2066}x\u{2069}",
            "\u{FEFF} \u{2060}",
            "a\u{1b}[31mb",
            "a\nb",
        ] {
            assert!(name(50)(bad.into()).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn free_text_keeps_tabs_and_newlines_only() {
        assert!(text(100)("line one\n\tline two".into()).is_ok());
        for bad in ["nul\0", "esc\u{1b}[2J", "bell\u{7}", "cr\roverwrite", "bidi\u{202E}", "c1\u{9b}"] {
            assert!(text(100)(bad.into()).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn deep_json_is_refused() {
        let mut deep = serde_json::json!({});
        for _ in 0..MAX_JSON_DEPTH {
            deep = serde_json::json!({ "a": deep });
        }
        assert!(json_object(10_000)(deep.clone()).is_err());
        assert!(json_object(10_000)(deep["a"].clone()).is_ok());
        assert!(json_object(100)(serde_json::json!({ "a": [{ "": 1 }] })).is_err());
    }

    #[test]
    fn validator_collects_every_error() {
        let mut v = Validator::new();
        v.check("a", String::new(), name(3));
        v.check("b", "x".to_string(), slug);
        let Err(crate::Error::Validation(errors)) = v.finish(|| Some(())) else { panic!("expected errors") };
        assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    }
}

/// A self-contained JSON Schema (an object, valid against its meta-schema, no remote
/// references), at most `max_bytes` of JSON.
pub fn json_schema(max_bytes: usize) -> impl FnOnce(serde_json::Value) -> Result<serde_json::Value, String> {
    move |schema| {
        if !schema.is_object() {
            return Err("must be a JSON Schema object".into());
        }
        bounded(&schema, max_bytes)?;
        jsonschema::meta::validate(&schema).map_err(|e| format!("is not a valid JSON Schema: {e}"))?;
        jsonschema::validator_for(&schema).map_err(|e| format!("is not a usable JSON Schema: {e}"))?;
        Ok(schema)
    }
}

/// A list of short identifiers (capabilities and the like).
pub fn labels(max: usize) -> impl FnOnce(Vec<String>) -> Result<Vec<String>, String> {
    move |labels| {
        if labels.len() > max {
            return Err(format!("at most {max} entries"));
        }
        if labels.iter().any(|l| l.trim().is_empty() || l.len() > 100 || clean_line(l).is_err()) {
            return Err(
                "entries must be 1 to 100 characters without control or bidirectional formatting characters".into()
            );
        }
        Ok(labels)
    }
}

#[cfg(test)]
mod schema_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_schemas_are_checked_against_the_meta_schema() {
        assert!(json_schema(1000)(json!({ "type": "object", "properties": { "a": { "type": "string" } } })).is_ok());
        assert!(json_schema(1000)(json!({ "type": "objekt" })).is_err());
        assert!(json_schema(1000)(json!({ "properties": { "a": { "minLength": -1 } } })).is_err());
        assert!(json_schema(1000)(json!("string")).is_err());
        assert!(json_schema(10)(json!({ "type": "object", "title": "too long" })).is_err());
    }
}
