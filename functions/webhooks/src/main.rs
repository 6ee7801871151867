use agentctl_shared::config::Resource;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    agentctl_shared::lambda::run_http(fn_webhooks::router(), &[Resource::VaultKey, Resource::NotificationQueue]).await
}
