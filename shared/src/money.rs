//! Money is `Decimal`, stored as a DynamoDB Number and read back from its exact text.
//!
//! serde_dynamo reads a Number into `Decimal` through `f64` and loses digits, so money
//! attributes never go through it: [`to_attr`] and [`from_item`] do the conversion.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use rust_decimal::Decimal;

use crate::repo::StoreError;

/// Largest number of decimal places we keep for an amount in USD.
pub const MAX_SCALE: u32 = 6;

pub fn to_attr(amount: &Decimal) -> AttributeValue {
    AttributeValue::N(amount.normalize().to_string())
}

pub fn from_item(item: &HashMap<String, AttributeValue>, name: &str) -> Result<Decimal, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(text)) => Decimal::from_str_exact(text)
            .or_else(|_| Decimal::from_str(text))
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
    fn missing_amount_is_corrupt() {
        assert!(from_item(&HashMap::new(), "x").is_err());
    }
}
