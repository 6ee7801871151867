//! What every handler borrows: configuration and SDK clients, built once per process.

use std::sync::Arc;

use crate::config::{Config, ConfigError};
use crate::domain::usage::LimitCache;
use crate::oidc::Oidc;
use crate::outbound::Outbound;
use crate::queue::Queues;
use crate::repo::Repository;
use crate::roles::RoleCache;
use crate::vault::Vault;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub repo: Repository,
    pub roles: RoleCache,
    pub vault: Vault,
    pub queues: Queues,
    /// The usage processor's spend caps, cached for a minute.
    pub limits: LimitCache,
    /// Identity providers' discovery documents and keys, cached.
    pub oidc: Oidc,
    /// The guarded HTTP client for addresses customers chose (webhooks; the OIDC client
    /// shares it).
    pub outbound: Outbound,
}

impl AppState {
    pub fn new(config: Config, sdk: &aws_config::SdkConfig) -> Self {
        Self::with_dynamodb(config, sdk, aws_sdk_dynamodb::Client::new(sdk))
    }

    /// With a DynamoDB client of the caller's making (tests add a request-counting
    /// interceptor to it).
    pub fn with_dynamodb(config: Config, sdk: &aws_config::SdkConfig, dynamodb: aws_sdk_dynamodb::Client) -> Self {
        let repo = Repository::new(dynamodb, config.table_name.as_str());
        let vault = Vault::new(aws_sdk_kms::Client::new(sdk), config.kms_key_id.clone());
        let queues = Queues::new(aws_sdk_sqs::Client::new(sdk), &config);
        let outbound = Outbound::new(config.oidc_allow_private_network, crate::domain::notify::DELIVERY_TIMEOUT);
        let oidc = Oidc::new(outbound.clone(), config.jwks_min_refresh.to_std().unwrap_or_default());
        Self {
            oidc,
            outbound,
            config: Arc::new(config),
            repo,
            roles: RoleCache::default(),
            vault,
            queues,
            limits: LimitCache::default(),
        }
    }

    /// Configuration and clients from the environment (`AWS_ENDPOINT_URL` is honoured).
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let sdk = aws_config::load_from_env().await;
        Ok(Self::new(config, &sdk))
    }
}
