//! The notifier: consumes the notification queue — announced events, fanned out to the
//! organization's webhooks, and webhook delivery attempts with their retries
//! (`domain::notify`).

// The notifier's future nests the SDK's, the runtime's and the domain's state machines.
#![recursion_limit = "256"]

use agentctl_shared::config::Resource;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let needs = [Resource::VaultKey, Resource::NotificationQueue, Resource::NotificationDeadLetterQueue];
    agentctl_shared::lambda::run_sqs(agentctl_shared::domain::notify::handle_message, &needs).await
}
