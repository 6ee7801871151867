#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    agentctl_shared::lambda::run_http(fn_scim::router(), &[]).await
}
