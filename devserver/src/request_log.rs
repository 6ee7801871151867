//! An SDK interceptor that records every DynamoDB request sent, with how many items it
//! carried: what tests and benchmarks count (requests per sync, writes per event).

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// One request: the operation, and the items it wrote or read by key (1 for single-item
/// operations, the keys of a BatchGetItem, the items of a transaction or batch write).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub operation: String,
    pub items: usize,
}

#[derive(Clone, Debug, Default)]
pub struct RequestLog(Arc<Mutex<Vec<Request>>>);

impl RequestLog {
    /// The operations sent since the last call (and forgets them).
    pub fn take(&self) -> Vec<String> {
        self.take_requests().into_iter().map(|r| r.operation).collect()
    }

    pub fn take_requests(&self) -> Vec<Request> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Items in a request body (DynamoDB's JSON protocol).
fn items(operation: &str, body: Option<&[u8]>) -> usize {
    let Some(body) = body.and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok()) else { return 1 };
    let per_table = |field: &str| -> usize {
        body["RequestItems"].as_object().map_or(0, |tables| {
            tables
                .values()
                .map(|t| {
                    if field.is_empty() {
                        t.as_array().map_or(0, Vec::len)
                    } else {
                        t[field].as_array().map_or(0, Vec::len)
                    }
                })
                .sum()
        })
    };
    match operation {
        "TransactWriteItems" | "TransactGetItems" => body["TransactItems"].as_array().map_or(0, Vec::len),
        "BatchWriteItem" => per_table(""),
        "BatchGetItem" => per_table("Keys"),
        _ => 1,
    }
}

impl Intercept for RequestLog {
    fn name(&self) -> &'static str {
        "RequestLog"
    }

    /// Called once per attempt actually sent (retries count).
    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let operation = metadata.name().to_string();
            let items = items(&operation, context.request().body().bytes());
            self.0.lock().unwrap().push(Request { operation, items });
        }
        Ok(())
    }
}
