#!/usr/bin/env bash
# The benchmarks of docs/BENCHMARKS.md, against the emulator (started like scripts/test.sh
# does, unless AWS_ENDPOINT_URL points at a running one). Release build.
#   scripts/bench.sh [usage]     the usage pipeline; sizes: BENCH_EMPLOYEES (1000),
#                                BENCH_RECORDS (1000000), BENCH_SAMPLE (20000)
#   scripts/bench.sh coldstart   every function binary's cold start, memory and size
#   scripts/bench.sh load        load test of the dev server: throughput, p50/p99;
#                                BENCH_REQUESTS (400) per scenario, BENCH_CONCURRENCY (8)
#   scripts/bench.sh routes      DynamoDB requests per API call, every route
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

if [ -n "${AWS_ENDPOINT_URL:-}" ] && curl -fs "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1; then
  export_aws_env "$AWS_ENDPOINT_URL"
else
  start_moto
  trap stop_moto EXIT
fi
case "${1:-usage}" in
  usage) cargo run --release --quiet -p agentctl-bench --bin usage-bench ;;
  coldstart)
    log "building every function (release)"
    cargo build --release --quiet --bins $(sed -n 's/^    "functions\/\(.*\)",$/-p fn-\1/p' Cargo.toml)
    cargo run --release --quiet -p agentctl-bench --bin coldstart-bench -- "${BENCH_RUNS:-5}"
    ;;
  load) cargo run --release --quiet -p agentctl-bench --bin load-bench -- "${BENCH_REQUESTS:-400}" "${BENCH_CONCURRENCY:-8}" ;;
  routes) cargo run --release --quiet -p agentctl-bench --bin route-costs ;;
  *) echo "usage: scripts/bench.sh [usage|coldstart|load|routes]" >&2; exit 2 ;;
esac
