use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    agentctl_shared::lambda::init_tracing();
    let state = agentctl_shared::AppState::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| fn_authorizer::handle(&state, event))).await
}
