//! `devserver`: the local stack's API server. Started by `scripts/dev.sh`, which also
//! runs the AWS emulator and sets AWS_ENDPOINT_URL, region and dummy credentials.

use std::net::SocketAddr;

use agentctl_shared::AppState;
use agentctl_shared::auth::{PLATFORM_KEY_PREFIX, digest, new_secret};
use agentctl_shared::config::Config;

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    agentctl_shared::lambda::init_tracing();
    let table = env_or("TABLE_NAME", "agentctl-local");
    let port: u16 = env_or("PORT", "8080").parse()?;
    let platform_key = std::env::var("PLATFORM_KEY").unwrap_or_else(|_| new_secret(PLATFORM_KEY_PREFIX));

    let sdk = aws_config::load_from_env().await;
    devserver::provision::ensure_table(&aws_sdk_dynamodb::Client::new(&sdk), &table).await?;
    let key_id = devserver::provision::ensure_key(&aws_sdk_kms::Client::new(&sdk), "alias/agentctl-local").await?;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let usage = devserver::provision::ensure_queues(&sqs, "agentctl-usage").await?;
    let sync = devserver::provision::ensure_queues(&sqs, "agentctl-sync").await?;
    let notifications = devserver::provision::ensure_queues(&sqs, "agentctl-notifications").await?;

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let url = format!("http://{}", listener.local_addr()?);
    // The local identity provider (scripts/dev.sh starts it), if any.
    let provider = match (std::env::var("LOCAL_IDP_ISSUER"), std::env::var("LOCAL_IDP_CLIENT_SECRET")) {
        (Ok(issuer), Ok(client_secret)) => Some(devserver::seed::LocalProvider {
            issuer,
            client_id: env_or("LOCAL_IDP_CLIENT_ID", "agentctl-local"),
            client_secret,
        }),
        _ => None,
    };
    let config = Config {
        public_url: Some(url.clone()),
        // The local identity provider is on 127.0.0.1, over http; never so deployed.
        oidc_allow_private_network: true,
        // A local day's work with the printed tokens (deployments: an hour, then refresh).
        access_token_ttl: chrono::Duration::hours(12),
        kms_key_id: Some(key_id.clone()),
        sync_queue_url: Some(sync.url.clone()),
        usage_queue_url: Some(usage.url.clone()),
        usage_dlq_url: Some(usage.dead_letter_url.clone()),
        notification_queue_url: Some(notifications.url.clone()),
        notification_dlq_url: Some(notifications.dead_letter_url.clone()),
        ..Config::for_table(&table, Some(digest(&platform_key)))
    };
    let state = AppState::new(config, &sdk);
    let demo = devserver::seed::demo(&state).await?;
    // For tools that act as every role (scripts/fuzz.sh): the demo sessions, 0600.
    if let (Some(path), Some(demo)) = (std::env::var_os("DEMO_SESSIONS_FILE"), &demo) {
        let sessions: serde_json::Map<String, serde_json::Value> =
            demo.sessions.iter().map(|(role, token)| (role.to_string(), token.clone().into())).collect();
        write_private(std::path::Path::new(&path), &serde_json::Value::Object(sessions).to_string())?;
    }
    devserver::consumers::spawn(state.clone(), aws_sdk_sqs::Client::new(&sdk));
    if let Some(provider) = &provider {
        devserver::seed::single_sign_on(&state, provider, &url).await?;
    }
    println!();
    println!("agentctl local stack is up");
    println!("  API            {url}/v1");
    println!("  OpenAPI        {url}/v1/openapi.json");
    println!("  table          {table}   KMS key {key_id}");
    println!("  usage queue    {}   (processed in this process; rejects in {})", usage.url, usage.dead_letter_url);
    println!("  sync queue     {}   (recorded in this process)", sync.url);
    println!("  platform key   {platform_key}");
    match &demo {
        Some(demo) => {
            println!("  demo org       {}", demo.org_name);
            println!(
                "  console        {url}/console   (enrollment code {} signs in {})",
                demo.admin_code, demo.admin_email
            );
            println!("  admin token    {}   ({})", demo.admin_token, demo.admin_email);
            println!("  enrollment     {}   (one-time code of {})", demo.member_code, demo.member_email);
            println!();
            println!("Try:");
            println!("  curl -s {url}/v1/me -H 'Authorization: Bearer {}'", demo.admin_token);
            println!("  curl -s {url}/v1/employees -H 'Authorization: Bearer {}'", demo.admin_token);
            println!("  curl -s {url}/v1/requests/pending -H 'Authorization: Bearer {}'", demo.admin_token);
            println!(
                "  curl -s -X POST {url}/v1/sessions -H 'Content-Type: application/json' -d '{{\"code\":\"{}\"}}'",
                demo.member_code
            );
            println!("  curl -s {url}/v1/me/sync -H 'Authorization: Bearer <the token it returns>'");
        }
        None => println!("  demo org       already seeded (earlier tokens stay valid)"),
    }
    if let Some(provider) = &provider {
        println!();
        println!("Single sign-on (local identity provider at {}; any password):", provider.issuer);
        println!("  cargo run -q -p agentctl-cli -- login --server {url} --org {}", devserver::seed::DEMO_SLUG);
        println!("  then sign in as alice.admin@acme.example (admin) or dave.dev@acme.example (developer)");
        println!("  or open {url}/console/login/sso?org={}", devserver::seed::DEMO_SLUG);
    }
    println!();
    println!("Ctrl-C stops the server, the emulator and the identity provider.");

    let app = devserver::app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
