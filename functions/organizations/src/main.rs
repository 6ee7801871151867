use agentctl_shared::config::Resource;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // A lowered budget may cross a threshold, which is announced to webhooks.
    agentctl_shared::lambda::run_http(fn_organizations::router(), &[Resource::NotificationQueue]).await
}
