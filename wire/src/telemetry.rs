//! Telemetry credentials: what `agentctl sync` gives the agent tools so that their
//! OpenTelemetry exports reach agentctl as the employee.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A telemetry token: good for the OTLP routes only (`/v1/otlp/v1/*`), as the employee
/// who asked for it, until it expires (or their sessions are revoked). Shown once.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TelemetryToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}
