//! The queues between functions: sync records to the sync recorder, usage events to the
//! usage processor, and the usage processor's dead-letter queue for events it rejects;
//! events to announce and webhook deliveries to the notifier, and its dead-letter queue.
//! The domain hands bodies to [`Queues`]; the SQS calls and the queue URLs stay here.

use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};

use crate::config::Config;

/// SQS takes at most this many messages per SendMessageBatch.
const BATCH: usize = 10;
/// The longest delay SQS gives a message.
pub const MAX_DELAY_SECONDS: u64 = 900;
/// The longest rejection reason kept on a dead-lettered message.
const REASON_MAX_CHARS: usize = 1000;

/// One of the queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queue {
    Sync,
    Usage,
    UsageDeadLetter,
    Notifications,
    NotificationsDeadLetter,
}

fn delay_seconds(delay: std::time::Duration) -> i32 {
    i32::try_from(delay.as_secs().min(MAX_DELAY_SECONDS)).unwrap_or_default()
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The deployment names no URL for the queue (functions check theirs at cold start).
    #[error("the {0:?} queue is not configured")]
    NotConfigured(Queue),
    /// SQS refused or could not be reached: the caller may retry.
    #[error("the {0:?} queue is unavailable")]
    Unavailable(Queue, #[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Clone)]
pub struct Queues {
    sqs: aws_sdk_sqs::Client,
    sync: Option<String>,
    usage: Option<String>,
    usage_dead_letter: Option<String>,
    notifications: Option<String>,
    notifications_dead_letter: Option<String>,
}

impl Queues {
    pub fn new(sqs: aws_sdk_sqs::Client, config: &Config) -> Self {
        Self {
            sqs,
            sync: config.sync_queue_url.clone(),
            usage: config.usage_queue_url.clone(),
            usage_dead_letter: config.usage_dlq_url.clone(),
            notifications: config.notification_queue_url.clone(),
            notifications_dead_letter: config.notification_dlq_url.clone(),
        }
    }

    fn url(&self, queue: Queue) -> Result<&str, QueueError> {
        let url = match queue {
            Queue::Sync => &self.sync,
            Queue::Usage => &self.usage,
            Queue::UsageDeadLetter => &self.usage_dead_letter,
            Queue::Notifications => &self.notifications,
            Queue::NotificationsDeadLetter => &self.notifications_dead_letter,
        };
        url.as_deref().ok_or(QueueError::NotConfigured(queue))
    }

    pub async fn send(&self, queue: Queue, body: String) -> Result<(), QueueError> {
        self.send_later(queue, body, std::time::Duration::ZERO).await
    }

    /// Sends a message that stays invisible for `delay` (SQS takes up to 15 minutes).
    pub async fn send_later(&self, queue: Queue, body: String, delay: std::time::Duration) -> Result<(), QueueError> {
        let seconds = delay_seconds(delay);
        self.sqs
            .send_message()
            .queue_url(self.url(queue)?)
            .message_body(body)
            .delay_seconds(seconds)
            .send()
            .await
            .map_err(|e| QueueError::Unavailable(queue, e.into()))?;
        Ok(())
    }

    /// Sends every body, [`BATCH`] per request; any message refused fails the call (the
    /// caller retries the whole call, so consumers must take a message more than once).
    pub async fn send_all(&self, queue: Queue, bodies: Vec<String>) -> Result<(), QueueError> {
        self.send_all_later(queue, bodies, std::time::Duration::ZERO).await
    }

    /// [`Self::send_all`], each message invisible for `delay`.
    pub async fn send_all_later(
        &self,
        queue: Queue,
        bodies: Vec<String>,
        delay: std::time::Duration,
    ) -> Result<(), QueueError> {
        let url = self.url(queue)?;
        let unavailable = |e: Box<dyn std::error::Error + Send + Sync>| QueueError::Unavailable(queue, e);
        for chunk in bodies.chunks(BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, body)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .delay_seconds(delay_seconds(delay))
                        .build()
                        .map_err(|e| unavailable(e.into()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .sqs
                .send_message_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| unavailable(e.into()))?;
            if !out.failed.is_empty() {
                return Err(unavailable(format!("{} messages were refused", out.failed.len()).into()));
            }
        }
        Ok(())
    }

    /// Moves a message the usage processor rejects to its dead-letter queue, with the
    /// reason as a message attribute.
    pub async fn dead_letter(&self, body: &str, reason: &str) -> Result<(), QueueError> {
        let queue = Queue::UsageDeadLetter;
        let reason = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(reason.chars().take(REASON_MAX_CHARS).collect::<String>())
            .build()
            .map_err(|e| QueueError::Unavailable(queue, e.into()))?;
        self.sqs
            .send_message()
            .queue_url(self.url(queue)?)
            .message_body(body)
            .message_attributes("rejection_reason", reason)
            .send()
            .await
            .map_err(|e| QueueError::Unavailable(queue, e.into()))?;
        Ok(())
    }
}
