//! The dev server's stand-in for Lambda's SQS event source mappings: polls each queue,
//! hands batches to the consumer function's handler like Lambda would, and deletes the
//! messages that did not fail (failed ones come back after a short visibility timeout,
//! and the queue's redrive policy dead-letters them in the end).

use std::time::Duration;

use agentctl_shared::AppState;
use agentctl_shared::lambda::process_batch;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;

/// How long a received message stays invisible locally before it is retried.
const RETRY_AFTER_SECONDS: i32 = 2;
/// Pause between empty receives (no long polling: the emulator serves one request at a time).
const IDLE: Duration = Duration::from_millis(150);

/// Starts the consumers of the queues the configuration names, receiving with `sqs` (as
/// Lambda's event source mappings do, outside the functions).
pub fn spawn(state: AppState, sqs: aws_sdk_sqs::Client) {
    if let Some(url) = state.config.sync_queue_url.clone() {
        tokio::spawn(poll(state.clone(), sqs.clone(), url, agentctl_shared::domain::sync::record_message));
    }
    if let Some(url) = state.config.usage_queue_url.clone() {
        tokio::spawn(poll(state.clone(), sqs.clone(), url, agentctl_shared::domain::usage::handle_message));
    }
    if let Some(url) = state.config.notification_queue_url.clone() {
        tokio::spawn(poll(state, sqs, url, agentctl_shared::domain::notify::handle_message));
    }
}

async fn poll<F>(state: AppState, sqs: aws_sdk_sqs::Client, url: String, handle: F)
where
    F: AsyncFn(&AppState, &str) -> agentctl_shared::Result<()>,
{
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .visibility_timeout(RETRY_AFTER_SECONDS)
            .send()
            .await;
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(queue = %url, error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "receive failed");
                Vec::new()
            }
        };
        if messages.is_empty() {
            tokio::time::sleep(IDLE).await;
            continue;
        }
        let records = messages
            .iter()
            .map(|m| {
                let mut record = SqsMessage::default();
                record.message_id = m.message_id.clone();
                record.receipt_handle = m.receipt_handle.clone();
                record.body = m.body.clone();
                record
            })
            .collect();
        let mut event = SqsEvent::default();
        event.records = records;
        let failed = process_batch(&state, event, &handle).await.batch_item_failures;
        let done: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .filter(|m| !failed.iter().any(|f| Some(&f.item_identifier) == m.message_id.as_ref()))
            .filter_map(|m| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(m.message_id.clone()?)
                    .receipt_handle(m.receipt_handle.clone()?)
                    .build()
                    .ok()
            })
            .collect();
        if !done.is_empty()
            && let Err(e) = sqs.delete_message_batch().queue_url(&url).set_entries(Some(done)).send().await
        {
            tracing::warn!(queue = %url, error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "delete failed");
        }
    }
}
