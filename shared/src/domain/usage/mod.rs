//! Usage events: what producers report (LLM tokens, calls), format version 1, and how the
//! usage processor applies them — the record, the rollups and the subscription's spending
//! in one transaction guarded by the event id.
//!
//! The event (JSON, on the usage queue or in `POST /v1/usage`):
//!
//! ```json
//! { "v": 1, "event_id": "gw-7f3a-000123", "org_id": "…", "employee_id": "…",
//!   "agent_config_id": "…", "resource_type": "llm_tokens_input", "quantity": 1200,
//!   "cost_usd": "0.0036", "period_start": "2026-11-25T10:00:00Z",
//!   "period_end": "2026-11-25T10:01:00Z", "metadata": { "model": "claude-sonnet-4-5" } }
//! ```
//!
//! - `event_id`: the producer's id, 1-128 characters `[A-Za-z0-9._:-]`; an event id is
//!   counted once per organization, however often it is delivered.
//! - `cost_usd`: a plain decimal **string** (`digits[.digits]`), 0 to 1,000,000, at most
//!   10 decimal places (a few tokens of a cheap model cost less than a micro-dollar).
//! - `quantity`: a whole number (tokens or calls), at most 10^12.
//! - `agent_config_id`: optional; the employee's agent configuration the usage came from.
//! - The event belongs to the billing period (calendar month, UTC) of `period_start`,
//!   which may be at most 15 minutes ahead and 400 days behind the processor's clock.
//!
//! An event that can never succeed (malformed, unknown organization, employee or
//! configuration) is **rejected**: logged, recorded as a `usage.rejected` activity entry
//! when its organization exists, and moved to the dead-letter queue with its reason —
//! not retried. Anything else that fails (throttling) is retried by the queue.
//!
//! One job per file: [`event`] (the format and its validation), [`ingest`] (`POST
//! /v1/usage` and queueing), [`rollups`] (what an event adds where), [`processor`] (the
//! queue consumer: apply once, or reject), [`limits`] (per-employee spend caps and rate limits).

mod event;
mod ingest;
mod limits;
mod processor;
mod rollups;

pub use event::*;
pub use ingest::*;
pub use limits::{LimitCache, Limits, SPEND_CAP_RAISE_DAYS, limits_of, resolve_limits, window};
pub use processor::*;
pub use rollups::*;

pub use agentctl_wire::usage::{Accepted, NewUsageEvent, ResourceType, UsageBatch, UsageEvent, UsageTotals};
