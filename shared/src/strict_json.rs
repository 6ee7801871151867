//! Strict JSON for request bodies. serde_json, like most serde formats, fills a struct
//! from an array by position (`["name", "desc"]` as a team) and lets the last of two
//! equal keys win; a request body may do neither. A body is therefore read in two steps:
//! into a [`Value`] that refuses duplicate keys, then into its type through
//! [`Strict`], a deserializer over that value that fills structs from objects only.

use serde::de::DeserializeOwned;
use serde::de::value::{MapDeserializer, SeqDeserializer, StrDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, Unexpected, VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Number, Value};

type Error = serde_json::Error;

/// A JSON value whose objects have no duplicate keys.
struct UniqueKeys(Value);

impl<'de> de::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor).map(UniqueKeys)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("numbers must be finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            let UniqueKeys(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// Parses a request body into `T`: syntax errors are 400, shape errors (an array for an
/// object, a duplicate key, a wrong type) 422 naming the field.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, crate::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let UniqueKeys(value) = serde_path_to_error::deserialize(&mut deserializer).map_err(problem)?;
    deserializer.end().map_err(syntax)?;
    serde_path_to_error::deserialize(Strict(&value)).map_err(problem)
}

/// Reads a request already parsed (a merge-patched entry, a `request_data` object) like
/// a body: strictly, with errors named under `field` (`""`: the body itself).
pub fn from_value<T: DeserializeOwned>(value: &Value, field: &str) -> Result<T, crate::Error> {
    serde_path_to_error::deserialize(Strict(value)).map_err(|e| {
        let path = e.path().to_string();
        let name = match (field.is_empty(), path == ".") {
            (true, true) => "(body)".to_string(),
            (true, false) => path,
            (false, true) => field.to_string(),
            (false, false) => format!("{field}.{path}"),
        };
        crate::Error::invalid(&name, e.into_inner().to_string())
    })
}

fn syntax(e: Error) -> crate::Error {
    crate::Error::BadRequest(format!("the request body is not valid JSON: {e}"))
}

fn problem(e: serde_path_to_error::Error<Error>) -> crate::Error {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if inner.is_data() {
        let field = if path == "." { "(body)".to_string() } else { path };
        crate::Error::invalid(&field, inner.to_string())
    } else {
        syntax(inner)
    }
}

/// Deserializes from a [`Value`] like serde_json's own, except that a struct (or a
/// struct variant) is filled from an object only, and strings are only strings.
#[derive(Clone, Copy)]
pub struct Strict<'a>(pub &'a Value);

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Unexpected::Unsigned(u),
            (_, Some(i)) => Unexpected::Signed(i),
            _ => Unexpected::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

impl<'de> Strict<'de> {
    fn invalid<V: Visitor<'de>, T>(self, visitor: &V) -> Result<T, Error> {
        Err(de::Error::invalid_type(unexpected(self.0), visitor))
    }
}

impl<'de> IntoDeserializer<'de, Error> for Strict<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for Strict<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (_, Some(i), _) => visitor.visit_i64(i),
                (_, _, Some(f)) => visitor.visit_f64(f),
                _ => self.invalid(&visitor),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.iter().map(Strict));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Value::Object(object) => {
                let mut map = MapDeserializer::new(object.iter().map(|(k, v)| (k.as_str(), Strict(v))));
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) => visitor.visit_borrowed_str(s),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(StrDeserializer::<Error>::new(s)),
            Value::Object(object) if object.len() == 1 => {
                let (variant, value) = object.iter().next().expect("one entry");
                visitor.visit_enum(Variant { variant, value: Strict(value) })
            }
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit unit_struct
        seq tuple tuple_struct map identifier
    }
}

/// An externally tagged enum value: `{"variant": value}`.
struct Variant<'de> {
    variant: &'de str,
    value: Strict<'de>,
}

impl<'de> EnumAccess<'de> for Variant<'de> {
    type Error = Error;
    type Variant = Strict<'de>;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Strict<'de>), Error> {
        let variant = seed.deserialize(StrDeserializer::<Error>::new(self.variant))?;
        Ok((variant, self.value))
    }
}

impl<'de> VariantAccess<'de> for Strict<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.0 {
            Value::Null => Ok(()),
            other => Err(de::Error::invalid_type(unexpected(other), &"a unit variant")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        self.deserialize_struct("", fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Team {
        name: String,
        description: Option<String>,
        owner: Option<Owner>,
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Owner {
        email: String,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
        Tagged { level: u32 },
    }

    fn team(text: &str) -> Result<Team, String> {
        from_slice(text.as_bytes()).map_err(|e| match e {
            crate::Error::Validation(errors) => format!("{}: {}", errors[0].field, errors[0].message),
            other => other.to_string(),
        })
    }

    #[test]
    fn objects_fill_structs_as_usual() {
        let parsed = team(r#"{"name":"a","owner":{"email":"e"},"kind":{"tagged":{"level":2}}}"#).unwrap();
        assert_eq!(parsed.owner, Some(Owner { email: "e".into() }));
        assert_eq!(parsed.kind, Some(Kind::Tagged { level: 2 }));
        assert_eq!(team(r#"{"name":"a","kind":"plain"}"#).unwrap().kind, Some(Kind::Plain));
    }

    #[test]
    fn arrays_never_fill_structs() {
        assert!(team(r#"["a","b"]"#).is_err());
        let nested = team(r#"{"name":"a","owner":["e"]}"#).unwrap_err();
        assert!(nested.starts_with("owner"), "{nested}");
        assert!(team(r#"{"name":"a","kind":{"tagged":[2]}}"#).is_err());
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        assert!(team(r#"{"name":"a","name":"b"}"#).unwrap_err().contains("duplicate key \"name\""));
        assert!(team(r#"{"name":"a","owner":{"email":"x","email":"y"}}"#).is_err());
        assert!(from_slice::<Value>(br#"[{"k":1},{"k":2}]"#).is_ok(), "equal keys in different objects are fine");
    }

    #[test]
    fn strings_are_only_strings() {
        assert!(team(r#"{"name":42}"#).is_err());
        assert!(team(r#"{"name":"a","unknown":1}"#).is_err());
    }
}
