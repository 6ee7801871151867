use agentctl_shared::config::Resource;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // Decisions, revocations and the rest of what admins do are announced to webhooks.
    agentctl_shared::lambda::run_router(fn_console::router(), &[Resource::NotificationQueue]).await
}
