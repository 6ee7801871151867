//! Money is [`Usd`] (exact, from the wire crate), and the bounds of a budget. Its
//! storage as a DynamoDB Number is the repository's (`repo::money`).

use rust_decimal::Decimal;

pub use agentctl_wire::money::{PLAIN_PATTERN, Usd};

/// Largest number of decimal places of a budget or a spend cap.
pub const MAX_SCALE: u32 = 6;

/// Largest monthly budget accepted (a typo guard, not a business limit).
pub const MAX_BUDGET: i64 = 1_000_000_000;

/// Checks a budget: at most [`MAX_SCALE`] decimal places, bounded.
pub fn check_budget(raw: Usd) -> Result<Usd, String> {
    if raw.places() > MAX_SCALE {
        return Err(format!("must have at most {MAX_SCALE} decimal places"));
    }
    if raw.amount() > Decimal::from(MAX_BUDGET) {
        return Err(format!("must be at most {MAX_BUDGET}"));
    }
    Ok(raw.normalize())
}
