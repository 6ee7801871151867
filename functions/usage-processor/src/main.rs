//! The usage processor: consumes the usage queue and applies each event (record,
//! rollups, spending) exactly once; rejected events go to the dead-letter queue.

// The processor's future nests the SDK's, the runtime's and the domain's state machines.
#![recursion_limit = "256"]

use agentctl_shared::config::Resource;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    agentctl_shared::lambda::run_sqs(
        agentctl_shared::domain::usage::handle_message,
        &[Resource::UsageDeadLetterQueue, Resource::NotificationQueue],
    )
    .await
}
