//! Plans, subscriptions and where spending stands against the budget.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, SubscriptionId};
use crate::money::Usd;

wire_enum! {
    "snake_case",
    pub enum Plan {
        Starter,
        Pro,
        Enterprise,
    }
}

impl Plan {
    /// Seats and agents per employee a plan comes with, unless the operator says otherwise.
    pub fn default_limits(self) -> (u32, u32) {
        match self {
            Plan::Starter => (25, 3),
            Plan::Pro => (250, 5),
            Plan::Enterprise => (10_000, 10),
        }
    }
}

wire_enum! {
    "snake_case",
    pub enum SubscriptionStatus {
        Active,
        PastDue,
        Cancelled,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub id: SubscriptionId,
    pub org_id: OrgId,
    pub plan_type: Plan,
    /// Exact decimal, as a string.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "5000.00"))]
    pub monthly_budget_usd: Usd,
    /// Exact decimal, as a string. Server-owned.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "1234.567"))]
    pub current_spending_usd: Usd,
    /// Spending as a percentage of the budget (absent when the budget is zero).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "24.69"))]
    pub usage_pct: Option<Decimal>,
    /// Spending has reached the budget (a zero budget is never exceeded).
    pub over_budget: bool,
    /// The highest budget threshold (50, 80, 100 %) crossed in this period and recorded
    /// (activity `budget.threshold_crossed`); what sync bundles report.
    pub budget_threshold_pct: u8,
    pub budget_state: BudgetState,
    pub billing_period_start: DateTime<Utc>,
    pub billing_period_end: DateTime<Utc>,
    pub status: SubscriptionStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

wire_enum! {
    "snake_case",
    /// Where spending stands against the budget, as clients and gateways act on it.
    pub enum BudgetState {
        /// Below 50 %.
        Ok,
        /// 50 % or 80 % crossed.
        Warning,
        /// 100 % crossed: over budget.
        Exceeded,
    }
}

impl BudgetState {
    pub fn of(threshold_pct: u8) -> Self {
        match threshold_pct {
            100.. => Self::Exceeded,
            50.. => Self::Warning,
            _ => Self::Ok,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BudgetUpdate {
    /// New monthly budget in USD, a plain decimal string such as `"7500.00"`, at most 6
    /// decimal places.
    #[cfg_attr(feature = "openapi", schema(example = "7500.00", pattern = r"^[0-9]+(\.[0-9]+)?$"))]
    pub monthly_budget_usd: String,
}
