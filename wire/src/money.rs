//! Money: exact amounts of US dollars.
//!
//! Amounts travel as plain decimal strings (`"12.50"`): [`Usd::parse`] is the only way in
//! from text, and refuses what `Decimal`'s own parser also takes (`1_000`, `+5`, `.5`,
//! exponents), which no client means as money.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The OpenAPI pattern of every amount: [`Usd::parse`]'s syntax.
pub const PLAIN_PATTERN: &str = r"^[0-9]+(\.[0-9]+)?$";

/// An exact amount of US dollars (a price, a total, a budget; [`Usd::parse`] reads the
/// non-negative ones people type).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, pattern = r"^[0-9]+(\.[0-9]+)?$"))]
#[serde(transparent)]
pub struct Usd(Decimal);

impl Usd {
    pub const ZERO: Usd = Usd(Decimal::ZERO);

    /// An amount computed from others (sums, stored values): exact as given.
    pub fn new(amount: Decimal) -> Self {
        Self(amount)
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    /// `self / whole * 100`, rounded to two places (none of a zero whole).
    pub fn percent_of(self, whole: Usd) -> Option<Decimal> {
        if whole.is_zero() {
            return None;
        }
        self.0.checked_div(whole.0).and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED)).map(|p| p.round_dp(2))
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Parses an amount written as a plain non-negative decimal: digits with an optional
    /// fraction (`12`, `0.0036`); no sign, space, exponent, underscore or bare point.
    pub fn parse(raw: &str) -> Result<Self, String> {
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
        Decimal::from_str_exact(raw).map(Self).map_err(|_| "has too many digits".to_string())
    }

    /// Decimal places once trailing zeros are dropped (`1.50` has 1).
    pub fn places(self) -> u32 {
        self.0.normalize().scale()
    }

    /// The same amount without trailing zeros (`1.50` -> `1.5`), as stored.
    pub fn normalize(self) -> Self {
        Self(self.0.normalize())
    }
}

impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Usd {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Usd::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl Add for Usd {
    type Output = Usd;
    fn add(self, other: Usd) -> Usd {
        Usd(self.0 + other.0)
    }
}

impl AddAssign for Usd {
    fn add_assign(&mut self, other: Usd) {
        self.0 += other.0;
    }
}

impl Sum for Usd {
    fn sum<I: Iterator<Item = Usd>>(iter: I) -> Usd {
        iter.fold(Usd::ZERO, Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_exact_and_rounded() {
        let usd = |text: &str| Usd::parse(text).unwrap();
        assert_eq!(usd("1234.567").percent_of(usd("5000")).unwrap().to_string(), "24.69");
        assert_eq!(usd("1").percent_of(Usd::ZERO), None);
    }

    #[test]
    fn amounts_are_plain_decimals_only() {
        for good in ["0", "5", "12.50", "0.0000000001", "1000000"] {
            assert_eq!(Usd::parse(good).unwrap().amount(), Decimal::from_str_exact(good).unwrap(), "{good}");
        }
        for bad in ["1_000", " 5 ", "+5", "-5", ".5", "5.", "1e3", "", "0x10", "5..0", "١٢"] {
            assert!(Usd::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn amounts_travel_as_their_exact_text() {
        let amount: Usd = serde_json::from_value(serde_json::json!("1234.5670")).unwrap();
        assert_eq!(serde_json::to_value(amount).unwrap(), serde_json::json!("1234.5670"));
        assert_eq!(amount.places(), 3);
        assert!(serde_json::from_value::<Usd>(serde_json::json!(12.5)).is_err(), "a JSON number");
    }
}
