//! The credential vault: MCP credentials, identity provider client secrets and webhook
//! signing secrets, encrypted with KMS.
//!
//! Each secret is encrypted directly with the KMS key (`Encrypt`, up to 4 KB — ample for
//! tokens) under an encryption context naming the organization, employee and
//! configuration it belongs to. KMS refuses to decrypt with any other context, so a
//! ciphertext copied to another configuration or employee is useless. (Envelope
//! encryption with data keys would save KMS calls for large or many secrets; a sync
//! decrypts a handful, so direct encryption keeps one moving part fewer.)
//! Plaintext never leaves this module except into the owning employee's sync.

use aws_sdk_kms::primitives::Blob;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::ids::{AssignmentId, EmployeeId, McpConfigId, OrgId, WebhookId};

/// Largest credentials document accepted (KMS Encrypt takes 4096 bytes).
pub const MAX_PLAINTEXT: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no KMS key is configured")]
    NoKey,
    #[error("the credentials are larger than {MAX_PLAINTEXT} bytes")]
    TooLarge,
    /// KMS refused (wrong context, disabled key) or the ciphertext is damaged.
    #[error("the credentials cannot be decrypted")]
    Undecryptable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("KMS is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Whose secret it is: bound into the ciphertext as the KMS encryption context.
#[derive(Clone, Copy, Debug)]
pub enum Owner {
    /// An employee's MCP configuration's credentials.
    McpConfig { org_id: OrgId, employee_id: EmployeeId, config_id: McpConfigId },
    /// The client secret of an organization's identity provider.
    IdentityProvider { org_id: OrgId },
    /// An employee's own credentials for an MCP server assigned to them.
    Assignment { org_id: OrgId, employee_id: EmployeeId, assignment_id: AssignmentId },
    /// The organization's credentials for an assigned MCP server, for every member
    /// without their own.
    SharedAssignment { org_id: OrgId, assignment_id: AssignmentId },
    /// The signing secret of an organization's webhook.
    Webhook { org_id: OrgId, webhook_id: WebhookId },
}

impl Owner {
    fn context(&self) -> std::collections::HashMap<String, String> {
        let pairs = match self {
            Owner::McpConfig { org_id, employee_id, config_id } => vec![
                ("org_id", org_id.to_string()),
                ("employee_id", employee_id.to_string()),
                ("config_id", config_id.to_string()),
            ],
            Owner::Assignment { org_id, employee_id, assignment_id } => vec![
                ("org_id", org_id.to_string()),
                ("employee_id", employee_id.to_string()),
                ("assignment_id", assignment_id.to_string()),
            ],
            Owner::SharedAssignment { org_id, assignment_id } => vec![
                ("org_id", org_id.to_string()),
                ("assignment_id", assignment_id.to_string()),
                ("purpose", "shared_credentials".to_string()),
            ],
            Owner::Webhook { org_id, webhook_id } => {
                vec![("org_id", org_id.to_string()), ("webhook_id", webhook_id.to_string())]
            }
            Owner::IdentityProvider { org_id } => {
                vec![("org_id", org_id.to_string()), ("purpose", "identity_provider".to_string())]
            }
        };
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

#[derive(Clone)]
pub struct Vault {
    kms: aws_sdk_kms::Client,
    key_id: Option<String>,
}

impl Vault {
    pub fn new(kms: aws_sdk_kms::Client, key_id: Option<String>) -> Self {
        Self { kms, key_id }
    }

    /// Encrypts a credentials document; returns base64 ciphertext.
    pub async fn seal(&self, owner: &Owner, credentials: &Value) -> Result<String, VaultError> {
        let key = self.key_id.as_deref().ok_or(VaultError::NoKey)?;
        let plaintext = serde_json::to_vec(credentials).expect("JSON serializes");
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(VaultError::TooLarge);
        }
        let out = self
            .kms
            .encrypt()
            .key_id(key)
            .plaintext(Blob::new(plaintext))
            .set_encryption_context(Some(owner.context()))
            .send()
            .await
            .map_err(|e| VaultError::Unavailable(Box::new(e)))?;
        let blob = out.ciphertext_blob.ok_or_else(|| VaultError::Unavailable("KMS returned no ciphertext".into()))?;
        Ok(STANDARD.encode(blob.as_ref()))
    }

    /// Decrypts what [`Vault::seal`] produced for the same owner.
    pub async fn open(&self, owner: &Owner, ciphertext: &str) -> Result<Value, VaultError> {
        let bytes = STANDARD.decode(ciphertext).map_err(|e| VaultError::Undecryptable(Box::new(e)))?;
        let out = self
            .kms
            .decrypt()
            .ciphertext_blob(Blob::new(bytes))
            .set_encryption_context(Some(owner.context()))
            .send()
            .await
            .map_err(|e| {
                let refused = e.as_service_error().is_some_and(|s| {
                    s.is_invalid_ciphertext_exception() || s.is_incorrect_key_exception() || s.is_disabled_exception()
                });
                if refused { VaultError::Undecryptable(Box::new(e)) } else { VaultError::Unavailable(Box::new(e)) }
            })?;
        let plaintext = out.plaintext.ok_or_else(|| VaultError::Undecryptable("KMS returned no plaintext".into()))?;
        serde_json::from_slice(plaintext.as_ref()).map_err(|e| VaultError::Undecryptable(Box::new(e)))
    }
}
