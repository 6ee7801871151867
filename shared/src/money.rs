//! Money is `Decimal`, stored as a DynamoDB Number and read back from its exact text.
//!
//! serde_dynamo reads a Number into `Decimal` through `f64` and loses digits, so money
//! attributes never go through it: [`to_attr`] and [`from_item`] do the conversion.
//! Amounts arrive as plain decimal strings ([`parse_plain`]): `Decimal`'s own parser
//! also takes `1_000`, `+5` and `.5`, which no client means as money.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use rust_decimal::Decimal;

use crate::repo::StoreError;

/// Largest number of decimal places of a budget or a spend cap.
pub const MAX_SCALE: u32 = 6;

/// The OpenAPI pattern of every amount: [`parse_plain`]'s syntax.
pub const PLAIN_PATTERN: &str = r"^[0-9]+(\.[0-9]+)?$";

/// Parses an amount written as a plain non-negative decimal: digits with an optional
/// fraction (`12`, `0.0036`); no sign, space, exponent, underscore or bare point.
pub fn parse_plain(raw: &str) -> Result<Decimal, String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let plain = match raw.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(raw),
    };
    if !plain {
        return Err("must be a plain decimal number as a string, such as \"12.50\" (digits and an optional \
                    fraction; no sign, spaces or exponent)"
            .into());
    }
    Decimal::from_str_exact(raw).map_err(|_| "has too many digits".to_string())
}

/// `deserialize_with` for an amount in a request: a string [`parse_plain`] takes.
pub fn plain<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let raw = <String as serde::Deserialize>::deserialize(deserializer)?;
    parse_plain(&raw).map_err(serde::de::Error::custom)
}

pub fn to_attr(amount: &Decimal) -> AttributeValue {
    AttributeValue::N(amount.normalize().to_string())
}

pub fn from_item(item: &HashMap<String, AttributeValue>, name: &str) -> Result<Decimal, StoreError> {
    match item.get(name) {
        // DynamoDB answers plain decimals; the emulator's sums may come in exponent form.
        Some(AttributeValue::N(text)) => Decimal::from_str_exact(text)
            .or_else(|_| Decimal::from_str(text))
            .or_else(|_| Decimal::from_scientific(text))
            .map_err(|e| StoreError::Corrupt(format!("{name}: {e}"))),
        Some(AttributeValue::S(text)) => {
            Decimal::from_str_exact(text).map_err(|e| StoreError::Corrupt(format!("{name}: {e}")))
        }
        _ => Err(StoreError::Corrupt(format!("{name}: missing amount"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_amounts_round_trip_exactly() {
        let amount = Decimal::from_str_exact("1000000000037.037033001").unwrap();
        let mut item = HashMap::new();
        item.insert("x".to_string(), to_attr(&amount));
        assert_eq!(from_item(&item, "x").unwrap(), amount);
    }

    #[test]
    fn amounts_are_plain_decimals_only() {
        for good in ["0", "5", "12.50", "0.0000000001", "1000000"] {
            assert_eq!(parse_plain(good).unwrap(), Decimal::from_str_exact(good).unwrap(), "{good}");
        }
        for bad in ["1_000", " 5 ", "+5", "-5", ".5", "5.", "1e3", "", "0x10", "5..0", "١٢"] {
            assert!(parse_plain(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn exponent_numbers_from_the_emulator_are_read_exactly() {
        let item = HashMap::from([("x".to_string(), AttributeValue::N("2E-10".into()))]);
        assert_eq!(from_item(&item, "x").unwrap(), Decimal::from_str_exact("0.0000000002").unwrap());
    }

    #[test]
    fn missing_amount_is_corrupt() {
        assert!(from_item(&HashMap::new(), "x").is_err());
    }
}
