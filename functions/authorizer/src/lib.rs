//! The API Gateway (HTTP API) Lambda REQUEST authorizer, simple-response format.
//!
//! It runs [`agentctl_shared::domain::authorizer::authorize`] on the `Authorization` header and hands
//! the principal to the route's function as the authorizer context. Results are not
//! cached by API Gateway (TTL 0 in template.yaml), so logout and deactivation take
//! effect on the next request.

use std::collections::HashMap;

use agentctl_shared::AppState;
use agentctl_shared::domain::authorizer::{AuthError, authorize};
use aws_lambda_events::apigw::{ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request};
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

pub type Response = ApiGatewayV2CustomAuthorizerSimpleResponse<HashMap<String, Value>>;

/// Decides one request. A rejected token is a deny (403 from API Gateway); only a
/// failure to reach DynamoDB is an error (API Gateway answers 500, the client retries).
pub async fn handle(
    state: &AppState,
    event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>,
) -> Result<Response, Error> {
    let header = event.payload.headers.get("authorization").and_then(|v| v.to_str().ok());
    let mut response = Response::default();
    let route = event.payload.route_key.as_deref().unwrap_or_default();
    match authorize(state, header, route).await {
        Ok(principal) => {
            response.is_authorized = true;
            response.context = principal.to_context();
        }
        Err(AuthError::Missing) => tracing::info!(request_id = %event.context.request_id, "no token"),
        Err(AuthError::Denied(reason)) => {
            tracing::info!(request_id = %event.context.request_id, reason, "token denied")
        }
        Err(AuthError::Store(e)) => return Err(Box::new(e)),
    }
    Ok(response)
}
