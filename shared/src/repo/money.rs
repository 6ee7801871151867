//! Money ([`Usd`], exact) stored as a DynamoDB Number and read back from its exact text.
//!
//! serde_dynamo reads a Number into `Decimal` through `f64` and loses digits, so money
//! attributes never go through it: [`to_attr`] and [`from_item`] do the conversion.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use rust_decimal::Decimal;

use super::StoreError;
use agentctl_wire::money::Usd;

pub fn to_attr(amount: Usd) -> AttributeValue {
    AttributeValue::N(amount.normalize().to_string())
}

pub fn from_item(item: &HashMap<String, AttributeValue>, name: &str) -> Result<Usd, StoreError> {
    let exact = |text: &str| {
        Decimal::from_str_exact(text).map(Usd::new).map_err(|e| StoreError::Corrupt(format!("{name}: {e}")))
    };
    match item.get(name) {
        // DynamoDB answers plain decimals; the emulator's sums may come in exponent form.
        Some(AttributeValue::N(text)) => exact(text)
            .or_else(|_| Decimal::from_str(text).map(Usd::new))
            .or_else(|_| Decimal::from_scientific(text).map(Usd::new))
            .map_err(|e| StoreError::Corrupt(format!("{name}: {e}"))),
        Some(AttributeValue::S(text)) => exact(text),
        _ => Err(StoreError::Corrupt(format!("{name}: missing amount"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_amounts_round_trip_exactly() {
        let amount = Usd::parse("1000000000037.037033001").unwrap();
        let mut item = HashMap::new();
        item.insert("x".to_string(), to_attr(amount));
        assert_eq!(from_item(&item, "x").unwrap(), amount);
    }

    #[test]
    fn exponent_numbers_from_the_emulator_are_read_exactly() {
        let item = HashMap::from([("x".to_string(), AttributeValue::N("2E-10".into()))]);
        assert_eq!(from_item(&item, "x").unwrap(), Usd::parse("0.0000000002").unwrap());
    }

    #[test]
    fn missing_amount_is_corrupt() {
        assert!(from_item(&HashMap::new(), "x").is_err());
    }
}
