//! Model prices: how token counts become money when a tool reports tokens without a cost
//! (Codex, Gemini CLI). Every organization starts with agentctl's list prices (version
//! 0, below) and may save its own table (versions 1, 2, ...; every version is kept).
//! The usage processor prices each token-only event with the table in force and records
//! the version and unit price on the usage record.

use rust_decimal::Decimal;
use serde_json::json;

use crate::AppState;
use crate::activity::EventType;
use crate::auth::Caller;
use crate::error::{Error, ProblemCode, Result};
use crate::ids::OrgId;
use crate::money::Usd;
use crate::repo::{self, StoreError};
use crate::roles::Permission;
use crate::validate::Validator;

pub use agentctl_wire::prices::{ModelPrice, NewPriceTable, PriceTable};

const MAX_MODELS: usize = 200;
const MODEL_MAX: usize = 100;
/// A million tokens cost at most this (a guard against a misplaced decimal point).
const MAX_USD_PER_MTOK: i64 = 10_000;
const USD_PER_MTOK_PLACES: u32 = 6;

/// The kinds of tokens a model price distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Input,
    Output,
    CacheRead,
    CacheWrite,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::Output => "output",
            Self::CacheRead => "cache_read",
            Self::CacheWrite => "cache_write",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Input, Self::Output, Self::CacheRead, Self::CacheWrite].into_iter().find(|k| k.as_str() == raw)
    }
}

/// agentctl's list prices (USD per million tokens, standard tier, as published in
/// November 2026): the table of every organization that has not saved its own.
const LIST_PRICES: &[(&str, &str, &str, &str, &str)] = &[
    // model, input, output, cache read, cache write
    ("claude-opus-4-5", "5", "25", "0.5", "6.25"),
    ("claude-opus-4-1", "15", "75", "1.5", "18.75"),
    ("claude-sonnet-4-5", "3", "15", "0.3", "3.75"),
    ("claude-sonnet-4", "3", "15", "0.3", "3.75"),
    ("claude-haiku-4-5", "1", "5", "0.1", "1.25"),
    ("gpt-5.1-codex", "1.25", "10", "0.125", "0"),
    ("gpt-5.1", "1.25", "10", "0.125", "0"),
    ("gpt-5-codex", "1.25", "10", "0.125", "0"),
    ("gpt-5", "1.25", "10", "0.125", "0"),
    ("gpt-5-mini", "0.25", "2", "0.025", "0"),
    ("gpt-5-nano", "0.05", "0.4", "0.005", "0"),
    ("gemini-3-pro-preview", "2", "12", "0.2", "0"),
    ("gemini-2.5-pro", "1.25", "10", "0.125", "0"),
    ("gemini-2.5-flash", "0.3", "2.5", "0.03", "0"),
    ("gemini-2.5-flash-lite", "0.1", "0.4", "0.01", "0"),
];

/// Version 0: the list prices.
pub fn list_prices() -> PriceTable {
    let usd = |raw: &str| Usd::parse(raw).expect("list prices are plain decimals");
    let models = LIST_PRICES
        .iter()
        .map(|(model, input, output, read, write)| ModelPrice {
            model: (*model).into(),
            input_usd_per_mtok: usd(input),
            output_usd_per_mtok: usd(output),
            cache_read_usd_per_mtok: usd(read),
            cache_write_usd_per_mtok: usd(write),
        })
        .collect();
    PriceTable { version: 0, models, saved_at: None, saved_by: None }
}

/// The price of `model`: the entry named exactly so, or else the longest entry it
/// extends with `-` (`gpt-5-codex-2025-09-15` is priced as `gpt-5-codex`).
pub fn price_of<'a>(table: &'a PriceTable, model: &str) -> Option<&'a ModelPrice> {
    table
        .models
        .iter()
        .filter(|p| model == p.model || model.strip_prefix(p.model.as_str()).is_some_and(|rest| rest.starts_with('-')))
        .max_by_key(|p| p.model.len())
}

/// What `tokens` of `kind` cost at `price`, exact.
pub fn cost(price: &ModelPrice, kind: TokenKind, tokens: u64) -> (Usd, Usd) {
    let per_mtok = match kind {
        TokenKind::Input => price.input_usd_per_mtok,
        TokenKind::Output => price.output_usd_per_mtok,
        TokenKind::CacheRead => price.cache_read_usd_per_mtok,
        TokenKind::CacheWrite => price.cache_write_usd_per_mtok,
    };
    let amount = per_mtok.amount() * Decimal::from(tokens) / Decimal::from(1_000_000);
    (per_mtok, Usd::new(amount.normalize()))
}

/// The table in force for an organization.
pub async fn in_force(state: &AppState, org: OrgId) -> Result<PriceTable> {
    Ok(repo::prices::current(&state.repo, org).await?.unwrap_or_else(list_prices))
}

/// `GET /v1/model-prices`.
pub async fn current(state: &AppState, caller: &Caller) -> Result<PriceTable> {
    caller.require(Permission::UsageRead)?;
    in_force(state, caller.org_id).await
}

/// `GET /v1/model-prices/versions/{version}`: 0 is the list prices.
pub async fn version(state: &AppState, caller: &Caller, version: u32) -> Result<PriceTable> {
    caller.require(Permission::UsageRead)?;
    if version == 0 {
        return Ok(list_prices());
    }
    repo::prices::version(&state.repo, caller.org_id, version).await?.ok_or(Error::NotFound("price table version"))
}

/// `PUT /v1/model-prices`: saves a new version (those who set budgets may).
pub async fn save(state: &AppState, caller: &Caller, new: NewPriceTable) -> Result<PriceTable> {
    caller.require(Permission::SubscriptionWrite)?;
    let models = validate(new.models)?;
    let replaces = match new.replaces_version {
        Some(version) => version,
        None => in_force(state, caller.org_id).await?.version,
    };
    let version = replaces.checked_add(1).ok_or_else(|| Error::invalid("replaces_version", "is too large"))?;
    let now = crate::time::now();
    let table = PriceTable { version, models, saved_at: Some(now), saved_by: Some(caller.employee_id) };
    let payload = json!({ "version": table.version, "models": table.models.len() });
    let mut tx = state.repo.transaction();
    repo::prices::save(&mut tx, caller.org_id, &table, replaces)?;
    crate::domain::log(state, &mut tx, caller.org_id, &caller.principal(), EventType::PricesUpdated, payload)?;
    crate::domain::notify::commit(state, tx).await.map_err(|e| match e {
        StoreError::ConditionFailed(repo::Guard::PriceTableMoved) => Error::conflict(
            ProblemCode::ConcurrentUpdate,
            format!("version {replaces} is not the version in force: read the table again"),
        ),
        e => e.into(),
    })?;
    Ok(table)
}

fn validate(models: Vec<ModelPrice>) -> Result<Vec<ModelPrice>> {
    let mut v = Validator::new();
    if models.is_empty() || models.len() > MAX_MODELS {
        v.error("models", format!("must list 1 to {MAX_MODELS} models"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, price) in models.iter().enumerate() {
        let at = |field: &str| format!("models[{i}].{field}");
        let model_ok = !price.model.is_empty()
            && price.model.len() <= MODEL_MAX
            && price.model.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._:/@".contains(&b));
        if !model_ok {
            v.error(&at("model"), format!("must be 1 to {MODEL_MAX} characters of A-Z a-z 0-9 - . _ : / @"));
        } else if !seen.insert(price.model.as_str()) {
            v.error(&at("model"), "is listed twice");
        }
        for (field, amount) in [
            ("input_usd_per_mtok", price.input_usd_per_mtok),
            ("output_usd_per_mtok", price.output_usd_per_mtok),
            ("cache_read_usd_per_mtok", price.cache_read_usd_per_mtok),
            ("cache_write_usd_per_mtok", price.cache_write_usd_per_mtok),
        ] {
            if amount.places() > USD_PER_MTOK_PLACES || amount.amount() > Decimal::from(MAX_USD_PER_MTOK) {
                v.error(&at(field), format!("must be at most {MAX_USD_PER_MTOK} with {USD_PER_MTOK_PLACES} decimals"));
            }
        }
    }
    v.finish(|| Some(models))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_matching_entry_prices_a_model() {
        let table = list_prices();
        assert_eq!(price_of(&table, "gpt-5-codex").unwrap().model, "gpt-5-codex");
        assert_eq!(price_of(&table, "gpt-5-codex-2025-09-15").unwrap().model, "gpt-5-codex");
        assert_eq!(price_of(&table, "gpt-5-mini").unwrap().model, "gpt-5-mini");
        assert_eq!(price_of(&table, "claude-sonnet-4-5-20250929").unwrap().model, "claude-sonnet-4-5");
        assert!(price_of(&table, "gpt-50").is_none(), "a prefix counts only up to a '-'");
        assert!(price_of(&table, "llama-3").is_none());
    }

    #[test]
    fn token_costs_are_exact() {
        let table = list_prices();
        let price = price_of(&table, "gpt-5-codex").unwrap();
        assert_eq!(cost(price, TokenKind::Input, 800).1.to_string(), "0.001");
        assert_eq!(cost(price, TokenKind::CacheRead, 200).1.to_string(), "0.000025");
        assert_eq!(cost(price, TokenKind::Output, 400).1.to_string(), "0.004");
        assert_eq!(cost(price, TokenKind::Output, 1).1.to_string(), "0.00001");
    }

    #[test]
    fn a_table_is_checked_whole() {
        let price = |model: &str, input: &str| ModelPrice {
            model: model.into(),
            input_usd_per_mtok: Usd::parse(input).unwrap(),
            output_usd_per_mtok: Usd::ZERO,
            cache_read_usd_per_mtok: Usd::ZERO,
            cache_write_usd_per_mtok: Usd::ZERO,
        };
        assert!(validate(list_prices().models).is_ok());
        let Err(Error::Validation(errors)) =
            validate(vec![price("m", "1"), price("m", "1"), price("bad model", "1"), price("x", "0.0000001")])
        else {
            panic!()
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["models[1].model", "models[2].model", "models[3].input_usd_per_mtok"]);
        assert!(validate(vec![]).is_err());
    }
}
