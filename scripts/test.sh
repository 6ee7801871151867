#!/usr/bin/env bash
# README command 2: the whole test suite, against a real AWS emulator (moto), which it
# installs into .venv and starts on a free port unless AWS_ENDPOINT_URL already points
# at a running one. Extra arguments go to `cargo test`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

if [ -n "${AWS_ENDPOINT_URL:-}" ] && curl -fs "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1; then
  export_aws_env "$AWS_ENDPOINT_URL"
  log "using the running emulator at $AWS_ENDPOINT_URL"
else
  start_moto
  trap stop_moto EXIT
fi
cargo test --workspace "$@"
