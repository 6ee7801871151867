#!/usr/bin/env bash
# README command 2: the whole test suite, against a real AWS emulator (moto), which it
# installs into .venv and starts on a free port unless AWS_ENDPOINT_URL already points
# at a running one. Extra arguments go to the test runner.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

if [ -n "${AWS_ENDPOINT_URL:-}" ] && curl -fs "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1; then
  export_aws_env "$AWS_ENDPOINT_URL"
  log "using the running emulator at $AWS_ENDPOINT_URL"
else
  # Four emulators: the suite waits on moto, one Python process that uses one core; the
  # first two are kept for the two tests that keep one busy by themselves, the
  # onboarding of a thousand people and the authorization matrix (tests/src/lib.rs).
  start_moto 4
  export AGENTCTL_TEST_OWN_EMULATORS=2
  trap stop_moto EXIT
fi
ensure_clients
ensure_idp
ensure_scim_tester
ensure_browser
# cargo-nextest (part of the machine image) runs each test in its own process and ends
# with one summary line; plain cargo test is the fallback. Tests wait on the emulators
# part of the time: one and a half per core keeps the cores busy (2 cores: 497 s with
# 2 at a time, 383 s with 3).
export NEXTEST_TEST_THREADS="${NEXTEST_TEST_THREADS:-$(( $(nproc) * 3 / 2 ))}"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
