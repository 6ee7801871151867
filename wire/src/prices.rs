//! Model prices: what a million tokens of each kind cost per model, the table that prices
//! usage reported as token counts only (Codex's and Gemini CLI's telemetry).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::EmployeeId;
use crate::money::Usd;

/// The prices of one model, in US dollars per million tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// A model id (`gpt-5-codex`): it prices that model and its dated or suffixed
    /// variants (`gpt-5-codex-2025-09-15`) unless a longer entry matches them.
    pub model: String,
    pub input_usd_per_mtok: Usd,
    pub output_usd_per_mtok: Usd,
    /// Input tokens read from the provider's prompt cache.
    pub cache_read_usd_per_mtok: Usd,
    /// Input tokens written to the provider's prompt cache.
    pub cache_write_usd_per_mtok: Usd,
}

/// One version of an organization's price table. Version 0 is agentctl's list prices,
/// in force until the organization saves its own.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceTable {
    pub version: u32,
    pub models: Vec<ModelPrice>,
    /// When this version was saved (absent for the list prices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_by: Option<EmployeeId>,
}

/// A new version of the price table: the whole list, replacing the current one.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPriceTable {
    /// The version this replaces (the one last read): a save over a newer version is
    /// refused with 409, so two admins' edits never silently overwrite each other.
    /// Absent: whichever version is in force.
    #[serde(default)]
    pub replaces_version: Option<u32>,
    pub models: Vec<ModelPrice>,
}
