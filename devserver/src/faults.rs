//! An SDK interceptor that injects the failures AWS services produce, for tests of what
//! the code does under them: a request refused before it reaches the service (throttling,
//! an unreachable endpoint: nothing was done), or a request that took effect but whose
//! answer was lost (a 500 after the commit: the SDK retries it). One instance can be put
//! on the DynamoDB, KMS and SQS clients alike.

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// The request never reaches the service.
    BeforeSending,
    /// The service did the work; its answer is replaced by an internal error.
    AfterCommit,
}

#[derive(Debug)]
struct Fault {
    operation: &'static str,
    when: When,
    remaining: u32,
}

#[derive(Clone, Debug, Default)]
pub struct Faults(Arc<Mutex<Vec<Fault>>>);

impl Faults {
    /// Fails the next `times` attempts of `operation` (e.g. `TransactWriteItems`, `Encrypt`).
    pub fn inject(&self, operation: &'static str, when: When, times: u32) {
        self.0.lock().unwrap().push(Fault { operation, when, remaining: times });
    }

    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    /// How many injected failures are still to happen.
    pub fn pending(&self) -> u32 {
        self.0.lock().unwrap().iter().map(|f| f.remaining).sum()
    }

    fn strikes(&self, cfg: &ConfigBag, when: When) -> Option<String> {
        let operation = cfg.load::<Metadata>()?.name().to_string();
        let mut faults = self.0.lock().unwrap();
        let fault = faults.iter_mut().find(|f| f.operation == operation && f.when == when && f.remaining > 0)?;
        fault.remaining -= 1;
        Some(operation)
    }
}

impl Intercept for Faults {
    fn name(&self) -> &'static str {
        "Faults"
    }

    fn read_before_transmit(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        match self.strikes(cfg, When::BeforeSending) {
            Some(operation) => Err(format!("injected fault: {operation} not sent").into()),
            None => Ok(()),
        }
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        if let Some(operation) = self.strikes(cfg, When::AfterCommit) {
            let body = format!(r#"{{"__type":"InternalServerError","message":"injected fault after {operation}"}}"#);
            let mut response = Response::new(StatusCode::try_from(500).expect("a status"), SdkBody::from(body));
            response.headers_mut().insert("content-type", "application/x-amz-json-1.0");
            *context.response_mut() = response;
        }
        Ok(())
    }
}
