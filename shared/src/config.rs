//! Configuration, read from the environment once per process (at cold start).

use chrono::Duration;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

#[derive(Clone, Debug)]
pub struct Config {
    /// The single DynamoDB table.
    pub table_name: String,
    /// SHA-256 (hex) of the platform operator's key; `None` disables platform routes.
    pub platform_key_sha256: Option<String>,
    /// The longest a session may last (organizations choose up to this).
    pub session_ttl: Duration,
    /// Lifetime of an access token (a session token); refresh tokens renew it.
    pub access_token_ttl: Duration,
    /// The API's public base URL (`https://api.example.com`), for the redirect URI given
    /// to identity providers and the device flow's verification URI; `None`: taken from
    /// the request's `Host` (API Gateway sets it).
    pub public_url: Option<String>,
    /// Whether identity providers may live on private networks and plain http (the
    /// local stack and tests only: otherwise an issuer URL could reach inside).
    pub oidc_allow_private_network: bool,
    /// The least time between two fetches of a provider's keys for an unknown key id.
    pub jwks_min_refresh: Duration,
    /// Lifetime of an unused enrollment code.
    pub enrollment_ttl: Duration,
    /// How long activity entries are kept (DynamoDB TTL).
    pub activity_retention_days: i64,
    /// The KMS key (id, ARN or alias) that encrypts MCP credentials; `None` where a
    /// function never encrypts.
    pub kms_key_id: Option<String>,
    /// A sync bundle read this soon after its newest change gets no ETag (see
    /// `domain::sync`): longer than a write transaction takes to commit.
    pub sync_settle: Duration,
    /// Where the sync function puts the syncs to record (the sync recorder consumes it);
    /// `None` in functions that do not sync.
    pub sync_queue_url: Option<String>,
    /// The usage queue (`POST /v1/usage` enqueues there) and its dead-letter queue (the
    /// usage processor moves rejected events there).
    pub usage_queue_url: Option<String>,
    pub usage_dlq_url: Option<String>,
    /// The notification queue (events to announce, webhook deliveries and their retries)
    /// and its dead-letter queue (deliveries that failed every attempt).
    pub notification_queue_url: Option<String>,
    pub notification_dlq_url: Option<String>,
    /// The wait before a webhook delivery's second attempt; each retry doubles it (up
    /// to SQS's 15 minutes).
    pub webhook_retry_base: Duration,
    /// Attempts per webhook delivery before it is dead-lettered.
    pub webhook_max_attempts: u32,
}

/// A resource a function cannot work without: checked at cold start
/// ([`Config::require`]), so a deployment that forgot one fails to start instead of
/// answering 500 on the first request that needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// `KMS_KEY_ID`: the key that encrypts MCP credentials.
    VaultKey,
    /// `SYNC_QUEUE_URL`: where syncs are queued for recording.
    SyncQueue,
    /// `USAGE_QUEUE_URL`: where `POST /v1/usage` queues events.
    UsageQueue,
    /// `USAGE_DLQ_URL`: where the usage processor moves rejected events.
    UsageDeadLetterQueue,
    /// `NOTIFICATION_QUEUE_URL`: where events that webhooks are sent are announced.
    NotificationQueue,
    /// `NOTIFICATION_DLQ_URL`: where webhook deliveries go after their last attempt.
    NotificationDeadLetterQueue,
}

impl Config {
    /// Fails naming every resource of `needs` that is not configured.
    pub fn require(&self, needs: &[Resource]) -> Result<(), ConfigError> {
        let missing: Vec<&str> = needs
            .iter()
            .filter_map(|need| match need {
                Resource::VaultKey => self.kms_key_id.is_none().then_some("KMS_KEY_ID"),
                Resource::SyncQueue => self.sync_queue_url.is_none().then_some("SYNC_QUEUE_URL"),
                Resource::UsageQueue => self.usage_queue_url.is_none().then_some("USAGE_QUEUE_URL"),
                Resource::UsageDeadLetterQueue => self.usage_dlq_url.is_none().then_some("USAGE_DLQ_URL"),
                Resource::NotificationQueue => {
                    self.notification_queue_url.is_none().then_some("NOTIFICATION_QUEUE_URL")
                }
                Resource::NotificationDeadLetterQueue => {
                    self.notification_dlq_url.is_none().then_some("NOTIFICATION_DLQ_URL")
                }
            })
            .collect();
        if missing.is_empty() { Ok(()) } else { Err(ConfigError(format!("{} not set", missing.join(", ")))) }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            platform_key_sha256: optional("PLATFORM_KEY_SHA256"),
            session_ttl: Duration::hours(number("SESSION_TTL_HOURS", 24 * 30)?),
            access_token_ttl: Duration::minutes(number("ACCESS_TOKEN_MINUTES", 60)?),
            public_url: optional("PUBLIC_URL").map(|url| url.trim_end_matches('/').to_string()),
            oidc_allow_private_network: optional("OIDC_ALLOW_PRIVATE_NETWORK").is_some_and(|v| v == "true"),
            jwks_min_refresh: Duration::seconds(number("JWKS_MIN_REFRESH_SECONDS", 60)?),
            enrollment_ttl: Duration::hours(number("ENROLLMENT_TTL_HOURS", 72)?),
            activity_retention_days: number("ACTIVITY_RETENTION_DAYS", 400)?,
            kms_key_id: optional("KMS_KEY_ID"),
            sync_settle: Duration::seconds(number("SYNC_SETTLE_SECONDS", 5)?),
            sync_queue_url: optional("SYNC_QUEUE_URL"),
            usage_queue_url: optional("USAGE_QUEUE_URL"),
            usage_dlq_url: optional("USAGE_DLQ_URL"),
            notification_queue_url: optional("NOTIFICATION_QUEUE_URL"),
            notification_dlq_url: optional("NOTIFICATION_DLQ_URL"),
            webhook_retry_base: Duration::seconds(number("WEBHOOK_RETRY_BASE_SECONDS", 30)?),
            webhook_max_attempts: u32::try_from(number("WEBHOOK_MAX_ATTEMPTS", 10)?)
                .map_err(|_| ConfigError("WEBHOOK_MAX_ATTEMPTS must be positive".into()))?
                .max(1),
        })
    }

    /// Defaults for a given table, as used by the local stack and tests.
    pub fn for_table(table_name: impl Into<String>, platform_key_sha256: Option<String>) -> Self {
        Self {
            table_name: table_name.into(),
            platform_key_sha256,
            session_ttl: Duration::hours(24 * 30),
            access_token_ttl: Duration::minutes(60),
            public_url: None,
            oidc_allow_private_network: false,
            jwks_min_refresh: Duration::seconds(60),
            enrollment_ttl: Duration::hours(72),
            activity_retention_days: 400,
            kms_key_id: None,
            sync_settle: Duration::seconds(5),
            sync_queue_url: None,
            usage_queue_url: None,
            usage_dlq_url: None,
            notification_queue_url: None,
            notification_dlq_url: None,
            webhook_retry_base: Duration::seconds(30),
            webhook_max_attempts: 10,
        }
    }
}

fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn required(name: &str) -> Result<String, ConfigError> {
    std::env::var(name).map_err(|_| ConfigError(format!("{name} is not set")))
}

fn number(name: &str, default: i64) -> Result<i64, ConfigError> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(v) => v.parse().map_err(|_| ConfigError(format!("{name} must be a whole number, got {v:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_resources_are_named() {
        let mut config = Config::for_table("t", None);
        assert!(config.require(&[]).is_ok());
        let error = config.require(&[Resource::SyncQueue, Resource::VaultKey]).unwrap_err().to_string();
        assert!(error.contains("SYNC_QUEUE_URL") && error.contains("KMS_KEY_ID"), "{error}");
        config.sync_queue_url = Some("https://queue".into());
        assert!(config.require(&[Resource::SyncQueue]).is_ok());
    }
}
