//! The sync recorder: consumes the sync queue and records each delivered bundle
//! (`last_sync_at`, `config.synced`), off the sync's request path.

// The recorder's future nests the SDK's, the runtime's and the domain's state machines.
#![recursion_limit = "256"]

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    agentctl_shared::lambda::run_sqs(agentctl_shared::domain::sync::record_message, &[]).await
}
