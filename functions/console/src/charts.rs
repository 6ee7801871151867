//! Charts drawn on the server as SVG (no chart library in the browser). Geometry is
//! computed from the exact amounts and rounded to whole units; every chart has a text
//! title and a table or figures beside it for those who do not see it.

use agentctl_shared::money::Usd;
use maud::{Markup, html};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

const WIDTH: u32 = 600;
const HEIGHT: u32 = 160;
const BASELINE: u32 = HEIGHT - 20;

/// `part / whole` of `length`, whole units (0 when `whole` is 0).
fn scaled(part: Decimal, whole: Decimal, length: u32) -> u32 {
    if whole <= Decimal::ZERO || part <= Decimal::ZERO {
        return 0;
    }
    (part.min(whole) * Decimal::from(length) / whole).round().to_u32().unwrap_or(0)
}

/// Daily spend as bars, labelled with the first and last day.
pub fn daily_bars(title: &str, days: &[(chrono::NaiveDate, Usd)]) -> Markup {
    let highest = days.iter().map(|(_, usd)| usd.amount()).max().unwrap_or(Decimal::ZERO);
    let slot = WIDTH / u32::try_from(days.len().max(1)).unwrap_or(1);
    let bar = slot.saturating_sub(2).max(1);
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(title) {
            title { (title) }
            line.axis x1="0" y1=(BASELINE) x2=(WIDTH) y2=(BASELINE) {}
            @for (i, (day, usd)) in days.iter().enumerate() {
                @let height = scaled(usd.amount(), highest, BASELINE - 10);
                @let x = u32::try_from(i).unwrap_or(0) * slot;
                rect.bar x=(x) y=(BASELINE - height) width=(bar) height=(height) {
                    title { (day) ": $" (usd) }
                }
            }
            @if let (Some((first, _)), Some((last, _))) = (days.first(), days.last()) {
                text x="0" y=(HEIGHT - 4) { (first) }
                text x=(WIDTH) y=(HEIGHT - 4) text-anchor="end" { (last) }
            }
        }
    }
}

/// Spending against the budget, with the thresholds (50, 80, 100 %) marked.
pub fn budget_meter(spent: Usd, budget: Usd) -> Markup {
    let pct = spent.percent_of(budget).unwrap_or(Decimal::ZERO);
    let class = if pct >= Decimal::from(100) {
        "fill-bad"
    } else if pct >= Decimal::from(80) {
        "fill-warn"
    } else {
        "fill-ok"
    };
    let filled = scaled(spent.amount(), budget.amount(), WIDTH);
    html! {
        svg.meter viewBox=(format!("0 0 {WIDTH} 20")) preserveAspectRatio="none" role="img"
            aria-label=(format!("${spent} of ${budget} spent")) {
            rect.track x="0" y="0" width=(WIDTH) height="20" {}
            rect class=(class) x="0" y="0" width=(filled) height="20" {}
            @for threshold in [50u32, 80] {
                line.mark x1=(WIDTH * threshold / 100) y1="0" x2=(WIDTH * threshold / 100) y2="20" {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_is_exact_and_bounded() {
        assert_eq!(scaled(Decimal::new(5, 1), Decimal::ONE, 100), 50);
        assert_eq!(scaled(Decimal::from(3), Decimal::ONE, 100), 100);
        assert_eq!(scaled(Decimal::ONE, Decimal::ZERO, 100), 0);
        assert_eq!(scaled(Decimal::new(-1, 0), Decimal::ONE, 100), 0);
    }
}
