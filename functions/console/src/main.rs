use agentctl_shared::config::Resource;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // Decisions, revocations and the rest of what admins do are announced to webhooks; the
    // identity provider's client secret is encrypted before it is stored.
    agentctl_shared::lambda::run_router(fn_console::router(), &[Resource::NotificationQueue, Resource::VaultKey]).await
}
