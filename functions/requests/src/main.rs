use agentctl_shared::config::Resource;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // Deprovisioning and requests are announced to webhooks.
    agentctl_shared::lambda::run_http(fn_requests::router(), &[Resource::NotificationQueue]).await
}
