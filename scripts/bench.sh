#!/usr/bin/env bash
# The benchmarks of docs/BENCHMARKS.md, against the emulator (started like scripts/test.sh
# does, unless AWS_ENDPOINT_URL points at a running one). Release build.
#   scripts/bench.sh [usage]     the usage pipeline; sizes: BENCH_EMPLOYEES (1000),
#                                BENCH_RECORDS (1000000), BENCH_SAMPLE (20000)
#   scripts/bench.sh coldstart   every function binary's cold start, memory and size
#   scripts/bench.sh profiles    one function (BENCH_FUNCTION, catalog) built with cargo's
#                                defaults, thin LTO, opt-level "s" and ours, side by side
#   scripts/bench.sh load        load test of the dev server: throughput, p50/p99;
#                                BENCH_REQUESTS (400) per scenario, BENCH_CONCURRENCY (8)
#   scripts/bench.sh routes      DynamoDB requests per API call, every route (and SCIM's)
#   scripts/bench.sh console     every console page for the benchmark organization (1,000
#                                employees, BENCH_RECORDS usage records): p50/p95, DDB/page
#   scripts/bench.sh scim        SCIM at scale: BENCH_SCIM_USERS (10000) Users, a group of
#                                all and five of a fifth; Users/s, memberships/s, requests
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
  profiles)
    # One function under the release profile's alternatives, to show what each setting
    # buys: binaries in target/profiles/bin/VARIANT, then their cold starts.
    function="${BENCH_FUNCTION:-catalog}"
    out="$ROOT/target/profiles"
    variant() { # name, then profile.release overrides
      local name="$1" dir="$out" overrides=()
      shift
      for setting in "$@"; do overrides+=(--config "profile.release.$setting"); done
      [ "$name" = ours ] && dir="$ROOT/target"
      log "building $function: $name ${*:-(the release profile of Cargo.toml)}"
      CARGO_TARGET_DIR="$dir" cargo build --release --quiet -p "fn-$function" "${overrides[@]}"
      mkdir -p "$out/bin/$name" && cp "$dir/release/$function" "$out/bin/$name/"
    }
    variant cargo-defaults lto=false codegen-units=16 strip=false
    variant cargo-defaults-stripped lto=false codegen-units=16
    variant thin-lto 'lto="thin"' codegen-units=4
    variant thin-lto-opt-size 'lto="thin"' codegen-units=4 'opt-level="s"'
    variant ours
    for name in cargo-defaults cargo-defaults-stripped thin-lto thin-lto-opt-size ours; do
      log "$name"
      cargo run --release --quiet -p agentctl-bench --bin coldstart-bench -- "${BENCH_RUNS:-5}" "$out/bin/$name" "$function"
    done
    ;;
  load) cargo run --release --quiet -p agentctl-bench --bin load-bench -- "${BENCH_REQUESTS:-400}" "${BENCH_CONCURRENCY:-8}" ;;
  routes) cargo run --release --quiet -p agentctl-bench --bin route-costs ;;
  scim) cargo run --release --quiet -p agentctl-bench --bin scim-bench ;;
  console) cargo run --release --quiet -p agentctl-bench --bin console-bench ;;
  *) echo "usage: scripts/bench.sh [usage|coldstart|profiles|load|routes|scim|console]" >&2; exit 2 ;;
esac
