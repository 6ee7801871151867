//! Creates the AWS resources template.yaml declares, in the emulator (moto): the table
//! with its indexes and TTL, the KMS key, the usage queue and its dead-letter queue.
//! Idempotent: existing resources are kept.

use agentctl_shared::keys;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};

#[derive(Debug, thiserror::Error)]
#[error("provisioning {what}: {source}")]
pub struct ProvisionError {
    what: &'static str,
    source: Box<dyn std::error::Error + Send + Sync>,
}

fn fail(what: &'static str) -> impl FnOnce(Box<dyn std::error::Error + Send + Sync>) -> ProvisionError {
    move |source| ProvisionError { what, source }
}

/// The global secondary indexes of the table: (name, partition attribute, sort attribute).
pub const INDEXES: [(&str, &str, &str); 3] = [
    (keys::GSI1, keys::GSI1PK, keys::GSI1SK),
    (keys::GSI2, keys::GSI2PK, keys::GSI2SK),
    (keys::GSI3, keys::GSI3PK, keys::GSI3SK),
];

/// The key attributes of the table and its indexes with their types ([`keys::NUMBER_KEYS`]
/// are Numbers, the rest strings).
pub fn key_attribute_type(attribute: &str) -> ScalarAttributeType {
    match keys::NUMBER_KEYS.contains(&attribute) {
        true => ScalarAttributeType::N,
        false => ScalarAttributeType::S,
    }
}

fn key(attribute: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder().attribute_name(attribute).key_type(kind).build().expect("key has name and type")
}

/// Creates the table (pay per request, sparse GSIs, TTL) unless it exists.
pub async fn ensure_table(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), ProvisionError> {
    if client.describe_table().table_name(table).send().await.is_ok() {
        return Ok(());
    }
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(keys::PK, KeyType::Hash))
        .key_schema(key(keys::SK, KeyType::Range));
    let mut attributes = vec![keys::PK, keys::SK];
    for (name, pk, sk) in INDEXES {
        attributes.extend([pk, sk]);
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .key_schema(key(pk, KeyType::Hash))
                .key_schema(key(sk, KeyType::Range))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .expect("index is complete"),
        );
    }
    for attribute in attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute)
                .attribute_type(key_attribute_type(attribute))
                .build()
                .expect("attribute is complete"),
        );
    }
    request.send().await.map_err(|e| fail("table")(e.into()))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(keys::TTL)
                .build()
                .expect("ttl is complete"),
        )
        .send()
        .await
        .map_err(|e| fail("table ttl")(e.into()))?;
    Ok(())
}

/// The KMS key behind `alias`, created when missing. Returns its key id.
pub async fn ensure_key(client: &aws_sdk_kms::Client, alias: &str) -> Result<String, ProvisionError> {
    if let Ok(found) = client.describe_key().key_id(alias).send().await
        && let Some(id) = found.key_metadata.map(|m| m.key_id)
    {
        return Ok(id);
    }
    let created = client
        .create_key()
        .description("agentctl MCP credential vault (local)")
        .send()
        .await
        .map_err(|e| fail("kms key")(e.into()))?;
    let id = created.key_metadata.map(|m| m.key_id).ok_or_else(|| fail("kms key")("no key id returned".into()))?;
    client.create_alias().alias_name(alias).target_key_id(&id).send().await.map_err(|e| fail("kms alias")(e.into()))?;
    Ok(id)
}

/// A queue and its dead-letter queue `<name>-dlq` (5 receives, then dead-lettered), as
/// template.yaml declares the usage and sync queues.
pub async fn ensure_queues(client: &aws_sdk_sqs::Client, name: &str) -> Result<Queues, ProvisionError> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let dlq = client
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await
        .map_err(|e| fail("dead-letter queue")(e.into()))?;
    let dlq_url = dlq.queue_url.unwrap_or_default();
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| fail("dead-letter queue arn")(e.into()))?
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .unwrap_or_default();
    let redrive = serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5" }).to_string();
    let queue = client
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .attributes(QueueAttributeName::VisibilityTimeout, "60")
        .send()
        .await
        .map_err(|e| fail("queue")(e.into()))?;
    Ok(Queues { url: queue.queue_url.unwrap_or_default(), dead_letter_url: dlq_url })
}

/// The URLs of a queue and of its dead-letter queue.
pub struct Queues {
    pub url: String,
    pub dead_letter_url: String,
}
