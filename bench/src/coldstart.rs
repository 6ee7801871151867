//! Cold start of every function binary (release build, as deployed): the time from
//! process start to its first poll of the Lambda Runtime API (`GET .../invocation/next`:
//! configuration read, SDK clients built, default roles checked), its peak resident
//! memory at that point, and the binary's size. A fake Runtime API on localhost stands in
//! for Lambda's; DynamoDB is the emulator (`scripts/bench.sh coldstart` starts it).
//!
//! Usage: coldstart-bench [RUNS [DIR [FUNCTION...]]]: RUNS starts per function (5), the
//! binaries from DIR (target/release), every function unless some are named.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// Every function binary of template.yaml.
const FUNCTIONS: [&str; 13] = [
    "authorizer",
    "organizations",
    "teams",
    "employees",
    "sessions",
    "catalog",
    "policies",
    "configs",
    "sync",
    "sync-recorder",
    "usage",
    "usage-processor",
    "requests",
];

/// Lambda's memory setting in template.yaml.
const MEMORY_MB: u64 = 128;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One start: time to the first poll, and peak RSS (kB) then.
async fn start_once(binary: &Path, table: &str) -> Result<(Duration, u64), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let runtime_api = listener.local_addr()?.to_string();
    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", binary.file_name().unwrap_or_default())
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", MEMORY_MB.to_string())
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true")
        .env("TABLE_NAME", table)
        // What functions check at cold start; the start itself calls none of them.
        .env("KMS_KEY_ID", "alias/bench")
        .env("SYNC_QUEUE_URL", "http://127.0.0.1:1/sync")
        .env("USAGE_QUEUE_URL", "http://127.0.0.1:1/usage")
        .env("USAGE_DLQ_URL", "http://127.0.0.1:1/usage-dlq")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().ok_or("the function exited at once")?;
    let (mut socket, _) = tokio::time::timeout(Duration::from_secs(30), listener.accept()).await??;
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(30), socket.read(&mut buf)).await??;
        if n == 0 {
            return Err("the function closed the connection".into());
        }
        request.extend_from_slice(&buf[..n]);
    }
    let elapsed = started.elapsed();
    if !String::from_utf8_lossy(&request).starts_with("GET /2018-06-01/runtime/invocation/next") {
        return Err(format!("unexpected first request: {}", String::from_utf8_lossy(&request)).into());
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let peak_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    child.kill().await?;
    Ok((elapsed, peak_kb))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(5);
    let dir =
        args.next().map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release"), PathBuf::from);
    let named: Vec<String> = args.collect();
    let functions: Vec<&str> =
        if named.is_empty() { FUNCTIONS.to_vec() } else { named.iter().map(String::as_str).collect() };
    let sdk = aws_config::load_from_env().await;
    let table = format!("coldstart-{}", uuid::Uuid::new_v4());
    devserver::provision::ensure_table(&aws_sdk_dynamodb::Client::new(&sdk), &table).await?;

    println!("cold start of each function, {runs} runs (process start to first Runtime API poll), {}", dir.display());
    println!("{:<16} {:>10} {:>10} {:>10} {:>12}", "function", "median", "max", "peak RSS", "binary");
    let mut heaviest = 0;
    for name in functions {
        let binary = dir.join(name);
        let size = std::fs::metadata(&binary)
            .map_err(|e| format!("{}: {e} (build with scripts/bench.sh coldstart)", binary.display()))?
            .len();
        let mut times = Vec::with_capacity(runs);
        let mut peak = 0;
        for _ in 0..runs {
            let (elapsed, peak_kb) = start_once(&binary, &table).await?;
            times.push(elapsed);
            peak = peak.max(peak_kb);
        }
        times.sort();
        heaviest = heaviest.max(peak);
        println!(
            "{name:<16} {:>8.1}ms {:>8.1}ms {:>7.1} MB {:>9.1} MB",
            times[times.len() / 2].as_secs_f64() * 1000.0,
            times[times.len() - 1].as_secs_f64() * 1000.0,
            peak as f64 / 1024.0,
            size as f64 / (1024.0 * 1024.0)
        );
    }
    println!("largest peak RSS at ready: {:.1} MB of the {MEMORY_MB} MB Lambda memory", heaviest as f64 / 1024.0);
    if heaviest / 1024 >= MEMORY_MB {
        return Err("a function needs more than its Lambda memory".into());
    }
    Ok(())
}
