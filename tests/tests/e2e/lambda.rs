//! The Lambda path, with fixture events as API Gateway sends them: the authorizer
//! function's handler, and a function's router behind lambda_http reading the
//! authorizer context from the request context (not from the dev server's extension).

use agentctl_shared::lambda::finish;
use agentctl_tests::{TestApp, slug};
use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use tower::ServiceExt;

/// An HTTP API (payload 2.0) authorizer event for `GET /v1/me`.
fn authorizer_event(authorization: Option<&str>) -> LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request> {
    let mut headers = json!({ "host": "api.example.com", "user-agent": "agentctl/1.0" });
    if let Some(value) = authorization {
        headers["authorization"] = json!(value);
    }
    let event = json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/GET/v1/me",
        "identitySource": [authorization.unwrap_or_default()],
        "routeKey": "GET /v1/me",
        "rawPath": "/v1/me",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123", "domainName": "api.example.com",
            "http": { "method": "GET", "path": "/v1/me", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "agentctl/1.0" },
            "requestId": "req-1", "routeKey": "GET /v1/me", "stage": "$default", "time": "25/Nov/2026:09:00:00 +0000", "timeEpoch": 1795597200000u64
        }
    });
    LambdaEvent::new(serde_json::from_value(event).expect("authorizer event"), Context::default())
}

/// An HTTP API (payload 2.0) proxy event as the function receives it.
fn http_event(
    method: &str,
    path: &str,
    authorizer_context: Option<Value>,
    body: Option<Value>,
) -> lambda_http::Request {
    let mut context = json!({
        "accountId": "123456789012", "apiId": "abc123", "domainName": "api.example.com",
        "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "agentctl/1.0" },
        "requestId": "req-2", "routeKey": format!("{method} {path}"), "stage": "$default",
        "time": "25/Nov/2026:09:00:00 +0000", "timeEpoch": 1795597200000u64
    });
    if let Some(lambda) = authorizer_context {
        context["authorizer"] = json!({ "lambda": lambda });
    }
    let mut event = json!({
        "version": "2.0", "routeKey": format!("{method} {path}"), "rawPath": path, "rawQueryString": "",
        "headers": { "host": "api.example.com", "content-type": "application/json" },
        "requestContext": context, "isBase64Encoded": false
    });
    if let Some(body) = body {
        event["body"] = json!(body.to_string());
    }
    lambda_http::request::from_str(&event.to_string()).expect("http event")
}

async fn send(router: axum::Router, request: lambda_http::Request) -> (u16, Value) {
    let response = router.oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn authorizer_allows_sessions_and_denies_everything_else() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("lambda-authz")).await;

    let allowed = fn_authorizer::handle(&app.state, authorizer_event(Some(&format!("Bearer {}", org.owner_token))))
        .await
        .unwrap();
    assert!(allowed.is_authorized);
    assert_eq!(allowed.context["principal"], "employee");
    assert_eq!(allowed.context["org_id"], org.id.as_str());
    assert_eq!(allowed.context["role"], "owner");

    let platform = fn_authorizer::handle(&app.state, authorizer_event(Some(&format!("Bearer {}", app.platform_key))))
        .await
        .unwrap();
    assert!(platform.is_authorized);
    assert_eq!(platform.context["principal"], "platform");

    for header in [None, Some("Bearer acs_forged"), Some("Basic abc"), Some("Bearer acp_wrong")] {
        let denied = fn_authorizer::handle(&app.state, authorizer_event(header)).await.unwrap();
        assert!(!denied.is_authorized, "{header:?}");
        assert!(denied.context.is_empty(), "a denial carries no context");
    }

    app.delete("/v1/sessions/current", &org.owner_token).await;
    let revoked = fn_authorizer::handle(&app.state, authorizer_event(Some(&format!("Bearer {}", org.owner_token))))
        .await
        .unwrap();
    assert!(!revoked.is_authorized, "a revoked session is denied at once (no cache)");
}

#[tokio::test]
async fn functions_read_the_authorizer_context_from_api_gateway() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("lambda-fn")).await;
    let context = fn_authorizer::handle(&app.state, authorizer_event(Some(&format!("Bearer {}", org.owner_token))))
        .await
        .unwrap()
        .context;
    let context = serde_json::to_value(context).unwrap();

    let sessions = || finish(fn_sessions::router().split_for_parts().0, app.state.clone());
    let (status, me) = send(sessions(), http_event("GET", "/v1/me", Some(context.clone()), None)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["employee"]["id"], org.owner_id.as_str());

    let teams = finish(fn_teams::router().split_for_parts().0, app.state.clone());
    let (status, team) =
        send(teams, http_event("POST", "/v1/teams", Some(context.clone()), Some(json!({ "name": "Via Lambda" }))))
            .await;
    assert_eq!(status, 201, "{team}");

    // Without an authorizer context (a misconfigured route) the function refuses.
    let (status, body) = send(sessions(), http_event("GET", "/v1/me", None, None)).await;
    assert_eq!(status, 401, "{body}");
    // The client IP comes from API Gateway's request context.
    let member = app.add_employee(&org, "m@lambda-fn.example", "member", None).await;
    let code = app.issue_code(&org, member["id"].as_str().unwrap()).await;
    let (status, session) =
        send(sessions(), http_event("POST", "/v1/sessions", None, Some(json!({ "code": code })))).await;
    assert_eq!(status, 201, "{session}");
    assert_eq!(session["session"]["ip_address"], "203.0.113.9");
}
