#!/usr/bin/env bash
# The benchmarks of docs/BENCHMARKS.md, against the emulator (started like scripts/test.sh
# does, unless AWS_ENDPOINT_URL points at a running one). Release build.
# Sizes: BENCH_EMPLOYEES (1000), BENCH_RECORDS (1000000), BENCH_SAMPLE (20000).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

if [ -n "${AWS_ENDPOINT_URL:-}" ] && curl -fs "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1; then
  export_aws_env "$AWS_ENDPOINT_URL"
else
  start_moto
  trap stop_moto EXIT
fi
cargo run --release --quiet -p agentctl-bench --bin usage-bench
